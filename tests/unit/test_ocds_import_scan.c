/*
 * test_ocds_import_scan.c - the importer's scanner on every kind of input:
 * packages, records (embedded and linked releases), arrays, JSON Lines,
 * string tags, ISO-8859-1, empty files, deep nesting, huge numbers,
 * duplicate keys, malformed JSON, oversized items, big streamed packages,
 * and every real publisher file under ../shared/data/ocds/real.
 */
#include "common.h"
#include "tap.h"
#include "ocds/ocds_import.h"
#include "ocds/ocds_demo.h"
#include "buf.h"

#include <dirent.h>
#include <sys/stat.h>

struct got {
    int rel, link, rej, note;
    char ptr[8][64];
    uint64_t line[8];
    char reason[8][256];
    char kinds[64];
    json_t *last;
};

static int collect(void *arg, const struct ocds_import_item *it)
{
    struct got *g = arg;
    int k = g->rel + g->link + g->rej + g->note;
    if (k < 8) {
        snprintf(g->ptr[k], sizeof g->ptr[k], "%s", it->pointer);
        g->line[k] = it->line;
        snprintf(g->reason[k], sizeof g->reason[k], "%s", it->reason ? it->reason : "");
    }
    if (k < 63)
        g->kinds[k] = "RLXNW"[it->kind];
    switch (it->kind) {
    case OCDS_ITEM_RELEASE:
        g->rel++;
        json_decref(g->last);
        g->last = json_incref(it->release);
        break;
    case OCDS_ITEM_LINK:
        g->link++;
        break;
    case OCDS_ITEM_REJECT:
        g->rej++;
        break;
    case OCDS_ITEM_NOTE:
        g->note++;
        break;
    case OCDS_ITEM_RAW: /* only with OCDS_SCAN_RAW (test_raw) */
        break;
    }
    return 0;
}

static struct got scan(const char *text, size_t len, size_t max_item)
{
    struct got g;
    memset(&g, 0, sizeof g);
    ocds_import_scan("t.json", text, len, max_item, collect, &g);
    return g;
}

#define SCAN(s) scan((s), sizeof(s) - 1, 0)
#define REL(id) "{\"ocid\":\"ocds-abc123-1\",\"id\":\"" id "\",\"date\":\"2024-01-01T00:00:00Z\",\"tag\":[\"tender\"],\"initiationType\":\"tender\"}"

static void test_shapes(void)
{
    struct got g;

    g = SCAN(REL("a"));
    ok(g.rel == 1 && g.rej == 0 && !strcmp(g.ptr[0], ""), "bare release: one release at the root");
    json_decref(g.last);

    g = SCAN("{\"uri\":\"u\",\"version\":\"1.1\",\"releases\":[" REL("a") "," REL("b") "," REL("c") "]}");
    ok(g.rel == 3 && !strcmp(g.ptr[2], "/releases/2"), "release package: 3 releases, pointer %s", g.ptr[2]);
    json_decref(g.last);

    g = SCAN("{\"version\":\"1.1\",\"records\":[{\"ocid\":\"ocds-abc123-1\",\"releases\":[" REL("a")
             ",{\"url\":\"http://x/r#2\",\"date\":\"2024-02-01T00:00:00Z\",\"tag\":[\"award\"]}],"
             "\"compiledRelease\":{}}]}");
    ok(g.rel == 1 && g.link == 1 && !strcmp(g.ptr[1], "/records/0/releases/1"),
       "record package: an embedded and a linked release (%s)", g.kinds);
    ok(g.note == 1, "compiledRelease not imported is noted");
    json_decref(g.last);

    g = SCAN("[" REL("a") ",\n" REL("b") "]");
    ok(g.rel == 2 && !strcmp(g.ptr[1], "/1"), "array of releases: pointer %s", g.ptr[1]);
    json_decref(g.last);

    g = SCAN(REL("a") "\n{\"ocid\":\"x\", bad}\n\n" REL("c") "\n");
    ok(g.rel == 2 && g.rej == 1 && g.line[1] == 2, "JSON Lines: the bad line 2 alone is rejected (line %" PRIu64 ")",
       g.line[1]);
    ok(strstr(g.reason[1], "invalid JSON") != NULL, "reason says invalid JSON: %s", g.reason[1]);
    json_decref(g.last);

    g = SCAN("{\"ocid\":\"o\",\"id\":\"i\",\"date\":\"2024-01-01T00:00:00Z\",\"tag\":\"tender\"}");
    ok(g.rel == 1 && json_is_array(json_object_get(g.last, "tag")) && g.note == 1,
       "string tag becomes an array, with a note");
    json_decref(g.last);
}

static void test_bad(void)
{
    struct got g;
    char deep[400];
    size_t i;

    g = scan("", 0, 0);
    ok(g.rej == 1 && strstr(g.reason[0], "empty"), "empty file is rejected: %s", g.reason[0]);
    g = SCAN("  \n ");
    ok(g.rej == 1 && g.rel == 0, "whitespace-only file is rejected");

    for (i = 0; i < 100; i++)
        deep[i] = '[';
    for (i = 100; i < 200; i++)
        deep[i] = ']';
    g = scan(deep, 200, 0);
    ok(g.rej == 1 && g.rel == 0 && strstr(g.reason[0], "nesting"), "100-level nesting is rejected: %s", g.reason[0]);

    g = SCAN("{\"ocid\":\"o\",\"id\":\"i\",\"x\":123456789012345678901234567890}");
    ok(g.rej == 1 && g.rel == 0, "huge integer is rejected: %s", g.reason[0]);
    g = SCAN("{\"ocid\":\"o\",\"id\":\"i\",\"x\":1e400}");
    ok(g.rej == 1 && g.rel == 0, "overflowing real is rejected: %s", g.reason[0]);
    g = SCAN("{\"ocid\":\"o\",\"id\":\"i\",\"id\":\"j\"}");
    ok(g.rej == 1 && g.rel == 0, "duplicate key is rejected: %s", g.reason[0]);
    g = SCAN("{\"ocid\":\"o\",\"id\":\"i");
    ok(g.rej == 1 && strstr(g.reason[0], "unterminated"), "unterminated string: %s", g.reason[0]);
    g = SCAN("{\"releases\":[" REL("a") ",{\"id\":]}");
    ok(g.rel == 1 && g.rej == 1 && !strcmp(g.ptr[1], "/releases/1"), "bad element after a good one: %s %s",
       g.ptr[1], g.reason[1]);
    json_decref(g.last);
    g = SCAN("\xff\xfe{\0\"\0");
    ok(g.rej == 1 && strstr(g.reason[0], "UTF-16"), "UTF-16 is rejected");
    g = SCAN("[1, \"x\", null]");
    ok(g.rej == 3 && g.rel == 0, "non-objects in an array are rejected one by one");
    g = scan(REL("a"), sizeof(REL("a")) - 1, 40);
    ok(g.rej == 1 && strstr(g.reason[0], "exceeds"), "item over max_item is rejected: %s", g.reason[0]);
}

static void test_latin1_and_big(void)
{
    const char lat[] = "{\"ocid\":\"o\",\"id\":\"i\",\"title\":\"Contrataci\xf3n p\xfa"
                       "blica\",\"tag\":[\"tender\"]}";
    struct got g = scan(lat, sizeof lat - 1, 0);
    const char *t;

    t = json_string_value(json_object_get(g.last, "title"));
    ok(g.rel == 1 && g.note == 1 && t && !strcmp(t, "Contrataci\xc3\xb3n p\xc3\xba" "blica"),
       "ISO-8859-1 bytes are transcoded with a note (%s)", g.reason[0]);
    json_decref(g.last);

    g = scan("{\"uri\":\"u\",\"releases\":[" REL("a") "," REL("b") "],\"version\":\"1.1\"}",
             sizeof("{\"uri\":\"u\",\"releases\":[" REL("a") "," REL("b") "],\"version\":\"1.1\"}") - 1, 150);
    ok(g.rel == 2 && !strcmp(g.ptr[1], "/releases/1"), "package over max_item is streamed element by element (%s)",
       g.kinds);
    json_decref(g.last);
}

static int nfiles, nrel, nrej;

static void walk_real(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    if (!d)
        return;
    while ((de = readdir(d)) != NULL) {
        char path[4096];
        struct stat st;
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (stat(path, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            walk_real(path);
        } else if (strstr(de->d_name, ".json")) {
            FILE *f = fopen(path, "rb");
            char *buf = malloc((size_t)st.st_size + 1);
            struct got g;
            size_t n = fread(buf, 1, (size_t)st.st_size, f);
            fclose(f);
            memset(&g, 0, sizeof g);
            ocds_import_scan(path, buf, n, 0, collect, &g);
            json_decref(g.last);
            nfiles++;
            nrel += g.rel;
            nrej += g.rej;
            free(buf);
        }
    }
    closedir(d);
}

static void test_real(void)
{
    const char *real = tap_shared("ocds/real");
    const char *iso;
    char dir[4096];
    if (!real) {
        skip("../shared/data/ocds/real is absent");
        return;
    }
    snprintf(dir, sizeof dir, "%s", real);
    iso = tap_shared("ocds/real/ocdskit-realdata/release-package_encoding-iso-8859-1.json");
    walk_real(dir);
    ok(nfiles >= 30 && nrel >= 40, "real files scanned without a crash: %d files, %d releases, %d rejected", nfiles,
       nrel, nrej);
    ok(nrej >= 1, "the empty real file is rejected");
    if (iso) {
        FILE *f = fopen(iso, "rb");
        char buf[65536];
        size_t n = fread(buf, 1, sizeof buf, f);
        struct got g;
        fclose(f);
        g = scan(buf, n, 0);
        ok(g.note >= 1 && g.rel >= 1 && strstr(g.reason[0], "ISO-8859-1"), "ISO-8859-1 real file: note and releases");
        json_decref(g.last);
    }
}

/* ---- raw lines (OCDS_SCAN_RAW) ------------------------------------------------- */

struct trail {
    struct bf_buf b;
    int raw;                   /* items that came raw */
};

/* One line per item; a raw one parsed here, as an import worker does. */
static int trail_item(void *arg, const struct ocds_import_item *it)
{
    struct trail *t = arg;
    json_t *rel = it->release;
    char why[640] = "", *s = NULL;
    int kind = it->kind;

    if (it->kind == OCDS_ITEM_RAW) {
        t->raw++;
        kind = ocds_import_parse_raw(it->raw, it->raw_len, it->line, it->byte, &rel, why, sizeof why) ? 2 : 0;
    }
    if (rel)
        s = json_dumps(rel, JSON_COMPACT | JSON_ENCODE_ANY);
    if (bf_buf_printf(&t->b, "%d %" PRIu64 " %" PRIu64 " %s|%s|%s\n", kind, it->line, it->byte, it->pointer,
                      it->kind == OCDS_ITEM_RAW ? why : it->reason ? it->reason : "", s ? s : "") < 0)
        abort();
    free(s);
    if (it->kind == OCDS_ITEM_RAW)
        json_decref(rel);
    return 0;
}

/* Scans text both ways; 1 if the items are the same. *raw: how many
 * came raw. */
static int same_both_ways(const char *text, size_t len, int *raw)
{
    struct trail a, b;
    int same;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    bf_buf_init(&a.b, (size_t)1 << 30);
    bf_buf_init(&b.b, (size_t)1 << 30);
    ocds_import_scan("t.jsonl", text, len, 0, trail_item, &a);
    ocds_import_scan_flags("t.jsonl", text, len, 0, OCDS_SCAN_RAW, trail_item, &b);
    same = a.b.len == b.b.len && a.b.len && !memcmp(a.b.data, b.b.data, a.b.len);
    if (!same)
        diag("scanned:\n%.*s\nraw:\n%.*s", (int)a.b.len, a.b.data ? a.b.data : "", (int)b.b.len,
             b.b.data ? b.b.data : "");
    *raw = b.raw;
    bf_buf_free(&a.b);
    bf_buf_free(&b.b);
    return same;
}

static void test_raw(void)
{
    /* each line must come parsed here (the scanner has to decide it) ... */
    static const char *parsed[] = {
        "{\"ocid\":\"o-1\",\"id\":\"b\",\"tag\":\"tender\"}",                  /* string tag: converted, counted */
        "{\"ocid\":\"o-1\",\"id\":\"c\",\"tag\" : \"award\"}",
        "{\"ocid\":\"o-1\",\"id\":\"d\",\"tag\":[\"compiled\"]}",              /* decided at the end */
        "{\"ocid\":\"o-1\",\"id\":\"e\",\"tag\":[\"t\\u0065nder\"]}",         /* an escape could spell anything */
        "{\"releases\":[{\"ocid\":\"o-2\",\"id\":\"a\",\"tag\":[\"x\"]}],\"version\":\"1.1\"}",
        "{\"ocid\":\"o-1\",\"records\":[],\"tag\":[\"x\"]}",
        "{\"ocid\":\"o-1\",\"id\":\"k\",\"tag\":[\"tender\"],\"title\":\"bad \xff byte\"}", /* ISO-8859-1 */
        "[{\"ocid\":\"o-1\",\"id\":\"m\",\"tag\":[\"tender\"]}]",
    };
    /* ... and these may come raw, the bad ones rejected as the scanner would */
    static const char *raw[] = {
        "{\"ocid\":\"o-1\",\"id\":\"a\",\"date\":\"2024-01-01T00:00:00Z\",\"tag\":[\"tender\"],\"title\":\"Li\xc3\xa8ge\"}",
        "{\"ocid\":\"o-1\",\"id\":\"f\",\"tag\":[\"tender\"],\"tag\":[\"award\"]}", /* duplicate key */
        "{\"ocid\":\"o-1\",\"id\":\"g\",\"tag\":[\"tender\"],\"n\":1e400}",     /* number out of range */
        "{\"ocid\":\"o-1\",\"id\":\"i\",\"tag\":[\"tender\"],",                  /* cut short */
        "{\"ocid\":\"o-1\",\"id\":\"j\", \"tag\" :\n[\"tender\"]}",
        "{\"ocid\":\"o-1\",\"id\":\"l\",\"tag\":[\"tender\"],\"value\":{\"amount\":12.50,\"big\":123456789012345678901234}}",
    };
    char deep[300];
    struct bf_buf all = BF_BUF_INIT;
    size_t i;
    int nraw, same;
    FILE *f;
    char *text = NULL;
    size_t tlen = 0;

    for (i = 0; i < sizeof parsed / sizeof *parsed; i++) {
        char line[512];
        int n = snprintf(line, sizeof line, "%s\n%s\n", raw[0], parsed[i]);
        same = same_both_ways(line, (size_t)n, &nraw);
        ok(same && nraw == 1, "parsed by the scanner, same items: %s", parsed[i]);
    }
    for (i = 0; i < sizeof raw / sizeof *raw; i++) {
        char line[512];
        int n = snprintf(line, sizeof line, "%s\n%s\n", raw[0], raw[i]);
        same = same_both_ways(line, (size_t)n, &nraw);
        ok(same && nraw == (i == 4 ? 1 : 2), "raw line, same release or rejection: %s", raw[i]);
    }
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    deep[200] = 0;
    if (bf_buf_printf(&all, "%s\n{\"ocid\":\"o\",\"id\":\"z\",\"tag\":[\"x\"],\"a\":%s}\n", raw[0], deep) < 0)
        abort();
    same = same_both_ways(all.data, all.len, &nraw);
    ok(same && nraw == 2, "too deep: rejected the same way from a raw line");
    bf_buf_free(&all);

    f = open_memstream(&text, &tlen);
    ocds_demo_jsonl(7, 3000, f, NULL, NULL);
    fclose(f);
    same = same_both_ways(text, tlen, &nraw);
    ok(same && nraw == 3000, "3 000 generated releases: all raw (%d), the same items", nraw);
    free(text);
}

int main(void)
{
    test_shapes();
    test_bad();
    test_latin1_and_big();
    test_real();
    test_raw();
    return tap_done();
}
