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
        g->kinds[k] = "RLXN"[it->kind];
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

int main(void)
{
    test_shapes();
    test_bad();
    test_latin1_and_big();
    test_real();
    return tap_done();
}
