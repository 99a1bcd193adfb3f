/*
 * test_ocds_api.c - what the read API serves, without HTTP: the record
 * document (linked releases with index, digest and receipt in date order,
 * stored compiled and versioned releases equal to fresh merges, and the
 * same when the stored merge is behind), the change-feed cursor (every
 * release once, in log order, from -1 and from any index), and store
 * exports (JSON Lines, record package) covering every release; the
 * record's bytes against a slow reference (ids needing %-encoding and
 * escapes) and the one-snapshot read behind it.
 */
#include "common.h"
#include "tap.h"
#include "buf.h"
#include "ocds/ocds.h"
#include "ocds/ocds_demo.h"
#include "ocds/ocds_export.h"
#include "ocds/ocds_import.h"
#include "ledger/ledger.h"
#include "store/store.h"
#include "store/store_ocds.h"

#include <sqlite3.h>

static struct store *s;
static struct ledger *l;
static struct ocds_ctx *c;
static char dir[] = "/tmp/belfry-test-api-XXXXXX";

struct feed {
    uint64_t n, last;
    int ordered;
};

static int feed_row(void *arg, const struct store_ocds_release *r)
{
    struct feed *f = arg;
    if (f->n && r->index <= f->last)
        f->ordered = 0;
    f->last = r->index;
    f->n++;
    return 0;
}

static int mem_write(void *arg, const void *data, size_t n)
{
    return bf_buf_append(arg, data, n);
}

static void test_record(const char *ocid)
{
    struct bf_buf b = BF_BUF_INIT;
    struct bf_err err = { 0 };
    json_t *doc, *arr = NULL, *v[64], *cm = NULL, *vm = NULL, *rels;
    size_t i, n;
    int rc, sorted = 1, linked = 1;

    rc = ocds_record_json(s, ocid, "https://belfry.example", &b, &err);
    doc = rc ? NULL : json_loadb(b.data, b.len, 0, NULL);
    ok(doc != NULL, "record document parses (%s)", err.msg);
    rels = json_object_get(doc, "releases");
    ocds_get_releases(c, ocid, 0, &arr, &err);
    n = json_array_size(arr);
    ok(n > 2 && json_array_size(rels) == n, "%zu linked releases", n);
    for (i = 0; i < n && i < 64; i++) {
        json_t *lk = json_array_get(rels, i), *e = json_array_get(arr, i);
        char want[128];
        v[i] = json_object_get(e, "release");
        snprintf(want, sizeof want, "https://belfry.example/log/proof/%" JSON_INTEGER_FORMAT,
                 json_integer_value(json_object_get(e, "index")));
        linked &= json_integer_value(json_object_get(lk, "logIndex")) == json_integer_value(json_object_get(e, "index")) &&
                  !strcmp(json_string_value(json_object_get(lk, "receipt")), want) &&
                  json_string_length(json_object_get(lk, "sha256")) == 64 &&
                  !strncmp(json_string_value(json_object_get(lk, "url")), "https://belfry.example/api/v1/releases/", 39);
        if (i && strcmp(json_string_value(json_object_get(lk, "date")),
                        json_string_value(json_object_get(json_array_get(rels, i - 1), "date"))) < 0)
            sorted = 0;
    }
    ok(linked, "each link has logIndex, sha256, receipt and url");
    ok(sorted, "links in date order");
    ocds_merge_compiled(v, n, &cm, NULL);
    ocds_merge_versioned(v, n, &vm, NULL);
    ok(json_equal(json_object_get(doc, "compiledRelease"), cm), "compiledRelease equals a fresh merge");
    ok(json_equal(json_object_get(doc, "versionedRelease"), vm), "versionedRelease equals a fresh merge");
    json_decref(doc);
    json_decref(arr);
    json_decref(cm);
    json_decref(vm);
    bf_buf_free(&b);
    bf_buf_init(&b, 0);
    ok(ocds_record_json(s, "ocds-b3lfry-none", "x", &b, &err) == BF_ENOTFOUND, "unknown record: not found");
    bf_buf_free(&b);
}

/* Sets the record row of ocid to say its stored merge covers n releases
 * (as rows written when a merge failed, or by older versions, say). */
static void set_compiled_n(const char *ocid, int n)
{
    char path[512], sql[256];
    sqlite3 *db = NULL;
    snprintf(path, sizeof path, "%s/belfry.db", dir);
    snprintf(sql, sizeof sql, "UPDATE ocds_record SET compiled_n = %d WHERE ocid = '%s'", n, ocid);
    if (sqlite3_open(path, &db) != SQLITE_OK || sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        diag("set_compiled_n: %s", sqlite3_errmsg(db));
    sqlite3_close(db);
}

static void test_behind(void)
{
    /* a record whose stored merge is behind its releases (a merge that
     * failed when they were published): the document must still be right */
    json_t *r1 = json_pack("{sssssss[s]sss{ssss}}", "ocid", "ocds-b3lfry-T-1", "id", "a", "date", "2024-01-01T00:00:00Z",
                           "tag", "tender", "initiationType", "tender", "tender", "id", "T", "title", "first");
    json_t *r2 = json_pack("{sssssss[s]sss{ssss}}", "ocid", "ocds-b3lfry-T-1", "id", "a", "date", "2024-01-01T00:00:00Z",
                           "tag", "tender", "initiationType", "tender", "tender", "id", "T", "title", "changed");
    struct ocds_pub_item it[2];
    struct store_ocds_record rec;
    struct bf_buf b = BF_BUF_INIT;
    json_t *doc;

    memset(it, 0, sizeof it);
    it[0].release = r1;
    it[1].release = r2;
    ocds_publish_batch(c, it, 2, NULL, NULL);
    set_compiled_n("ocds-b3lfry-T-1", 0);
    store_ocds_record_get(s, "ocds-b3lfry-T-1", &rec, NULL);
    ok(it[0].rc == 0 && it[1].rc == BF_ECONFLICT && rec.compiled_n < rec.nrel, "stored merge is behind");
    store_ocds_record_clear(&rec);
    ocds_record_json(s, "ocds-b3lfry-T-1", "x", &b, NULL);
    doc = json_loadb(b.data, b.len, 0, NULL);
    ok(doc && !strcmp(json_string_value(json_object_get(json_object_get(json_object_get(doc, "compiledRelease"),
                                                                          "tender"), "title")), "first") &&
           json_object_get(doc, "versionedRelease"),
       "the record is merged on read instead");
    json_decref(doc);
    bf_buf_free(&b);
    json_decref(r1);
    json_decref(r2);
}

/* The links of a record, built the slow obvious way from the store's rows:
 * the bytes the fast link builder in ocds_api.c must reproduce. */
struct want {
    struct bf_buf *b;
    const char *base;
    int n, bodies;
};

static int want_pct(struct bf_buf *b, const char *str)
{
    int rc = 0;
    for (; *str && !rc; str++) {
        unsigned char ch = (unsigned char)*str;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || strchr("-._~", ch))
            rc = bf_buf_putc(b, (char)ch);
        else
            rc = bf_buf_printf(b, "%%%02X", ch);
    }
    return rc;
}

static int want_row(void *arg, const struct store_ocds_release *r)
{
    struct want *w = arg;
    int rc = bf_buf_puts(w->b, w->n++ ? ",{\"url\":\"" : "{\"url\":\"");
    w->bodies += r->body != NULL;
    rc = rc ? rc : bf_buf_printf(w->b, "%s/api/v1/releases/", w->base);
    rc = rc ? rc : want_pct(w->b, r->ocid);
    rc = rc ? rc : bf_buf_putc(w->b, '/');
    rc = rc ? rc : want_pct(w->b, r->id);
    rc = rc ? rc : bf_buf_puts(w->b, "\",\"date\":");
    rc = rc ? rc : bf_buf_json_str(w->b, r->date, strlen(r->date));
    rc = rc ? rc : bf_buf_printf(w->b, ",\"tag\":%s,\"id\":", r->tags);
    rc = rc ? rc : bf_buf_json_str(w->b, r->id, strlen(r->id));
    return rc ? rc : bf_buf_printf(w->b, ",\"logIndex\":%" PRIu64 ",\"sha256\":\"%s\",\"receipt\":\"%s/log/proof/%" PRIu64 "\"}",
                                   r->index, r->sha256, w->base, r->index);
}

struct seen {
    struct want w; /* first: want_row takes the same arg */
    struct store_ocds_record rec;
};

static int serve_head(void *arg, const struct store_ocds_record *rec)
{
    struct seen *sn = arg;
    sn->rec = *rec;
    return 0;
}

/* An ocid and release ids that need percent-encoding and JSON escaping:
 * the record's bytes equal the reference, and the one-snapshot read hands
 * the same stored text as store_ocds_record_get, with every release's
 * body (the versioned release is merged from them). */
static void test_record_bytes(void)
{
    static const char ocid[] = "ocds-b3lfry-E x/1";
    const char *ids[] = { "a b/\"q\"\\", "\xc3\xa9t\xc3\xa9~1.2_3", "%20+&?" };
    struct ocds_pub_item it[3];
    struct store_ocds_record rec;
    struct seen sn;
    struct bf_buf b = BF_BUF_INIT, w = BF_BUF_INIT;
    struct want wa = { &w, "http://h:1", 0, 0 };
    struct bf_err err = { 0 };
    json_t *v[3];
    size_t i;
    int rc, wrc;

    memset(it, 0, sizeof it);
    for (i = 0; i < 3; i++) {
        v[i] = json_pack("{sssssss[s]sss{ssss}}", "ocid", ocid, "id", ids[i], "date", "2024-01-0" "1T00:00:00Z",
                         "tag", "tender", "initiationType", "tender", "tender", "id", "T", "title", ids[i]);
        it[i].release = v[i];
    }
    ok(ocds_publish_batch(c, it, 3, "test", &err) == 0 && it[2].rc == 0, "3 releases with awkward ids (%s)", err.msg);
    rc = ocds_record_json(s, ocid, "http://h:1", &b, &err);
    wrc = bf_buf_puts(&w, "{\"ocid\":");
    wrc = wrc ? wrc : bf_buf_json_str(&w, ocid, strlen(ocid));
    wrc = wrc ? wrc : bf_buf_puts(&w, ",\"releases\":[");
    wrc = wrc ? wrc : store_ocds_releases_of(s, ocid, want_row, &wa, NULL);
    wrc = wrc ? wrc : bf_buf_puts(&w, "],\"compiledRelease\":");
    ok(rc == 0 && wrc == 0 && wa.n == 3 && b.len > w.len && !memcmp(b.data, w.data, w.len), "links byte for byte");
    if (rc || wrc || b.len <= w.len || memcmp(b.data, w.data, w.len))
        diag("got  %s\nwant %s", b.data ? b.data : "", w.data);
    store_ocds_record_get(s, ocid, &rec, NULL);
    memset(&sn, 0, sizeof sn);
    sn.w = wa;
    sn.w.n = sn.w.bodies = 0;
    bf_buf_reset(&w);
    rc = store_ocds_record_serve(s, ocid, serve_head, want_row, NULL, &sn, NULL);
    ok(rc == 0 && sn.rec.nrel == rec.nrel && sn.rec.last_index == rec.last_index &&
           sn.rec.compiled_n == rec.compiled_n && sn.w.n == 3 && sn.w.bodies == 3,
       "record_serve: the record row, then 3 releases with their bodies");
    bf_buf_free(&b);
    bf_buf_free(&w);
    store_ocds_record_clear(&rec);
    ok(store_ocds_record_serve(s, "ocds-b3lfry-none", NULL, want_row, NULL, &wa, NULL) == BF_ENOTFOUND,
       "record_serve: unknown record");
    for (i = 0; i < 3; i++)
        json_decref(v[i]);
}

struct texts {
    struct store_ocds_record want;
    int same, bodies, rows;
};

static int texts_tail(void *arg, const struct store_ocds_record *rec)
{
    struct texts *t = arg;
    t->same = rec->compiled_len == t->want.compiled_len && !memcmp(rec->compiled, t->want.compiled, rec->compiled_len);
    return 0;
}

static int texts_row(void *arg, const struct store_ocds_release *r)
{
    struct texts *t = arg;
    t->rows++;
    t->bodies += r->body != NULL;
    return 0;
}

/* The borrowed compiled text equals the copied one; every row has its
 * body, whether or not the stored merge is behind. */
static void test_serve_texts(const char *ocid, int behind)
{
    struct texts t;
    struct bf_err err = { 0 };
    int rc;
    memset(&t, 0, sizeof t);
    rc = store_ocds_record_get(s, ocid, &t.want, &err);
    rc = rc ? rc : store_ocds_record_serve(s, ocid, NULL, texts_row, texts_tail, &t, &err);
    if (rc)
        diag("%s: %s", ocid, err.msg);
    ok(rc == 0 && t.same && t.rows > 0 && t.rows == (int)t.want.nrel && t.bodies == t.rows &&
           (t.want.compiled_n < t.want.nrel) == behind,
       "record_serve %s: stored text, %d rows, %d bodies%s", ocid, t.rows, t.bodies, behind ? ", merge behind" : "");
    store_ocds_record_clear(&t.want);
}

static void test_feed_export(uint64_t total)
{
    struct feed f = { 0, 0, 1 }, g = { 0, 0, 1 };
    struct ocds_export *x = NULL;
    struct ocds_export_meta meta = { 0 };
    struct bf_buf b = BF_BUF_INIT;
    size_t i, lines = 0;

    store_ocds_feed(s, -1, 0, feed_row, &f, NULL);
    ok(f.n == total && f.ordered, "feed from the start: %" PRIu64 " releases in log order", f.n);
    store_ocds_feed(s, 99, 50, feed_row, &g, NULL);
    ok(g.n == 50 && g.last == 149, "after=99 limit=50 gives indexes 100..149");
    ocds_export_open(OCDS_EXPORT_JSONL, OCDS_EXPORT_PLAIN, NULL, mem_write, &b, &x, NULL);
    ok(ocds_store_export(s, x, 0, NULL) == 0 && ocds_export_finish(x, NULL) == 0, "JSON Lines export");
    for (i = 0; i < b.len; i++)
        lines += b.data[i] == '\n';
    ok(lines == total, "one line per release (%zu)", lines);
    bf_buf_free(&b);
    bf_buf_init(&b, 0);
    meta.uri = "https://belfry.example/export";
    meta.publisher_name = "test";
    ocds_export_open(OCDS_EXPORT_RECORD_PACKAGE, OCDS_EXPORT_PLAIN, &meta, mem_write, &b, &x, NULL);
    ok(ocds_store_export(s, x, 1, NULL) == 0 && ocds_export_finish(x, NULL) == 0, "record package export");
    {
        json_t *pkg = json_loadb(b.data, b.len, 0, NULL);
        uint64_t nrec = 0;
        store_ocds_counts(s, NULL, &nrec, NULL);
        ok(pkg && json_array_size(json_object_get(pkg, "records")) == nrec, "every record in the package (%" PRIu64 ")",
           nrec);
        json_decref(pkg);
    }
    bf_buf_free(&b);
}

struct gen {
    struct ocds_pub_item it[500];
    json_t *v[500];
    size_t n;
};

static int collect(void *arg, json_t *r)
{
    struct gen *g = arg;
    g->v[g->n] = json_incref(r);
    g->it[g->n].release = r;
    g->n++;
    return 0;
}

int main(void)
{
    static struct gen g;
    struct bf_err err = { 0 };
    char cmd[256];
    size_t i;

    if (!mkdtemp(dir) || store_open(dir, STORE_CREATE | STORE_NOSYNC, &s, &err) < 0 ||
        ledger_init(s, "test.belfry/api", NULL, &err) < 0 || ledger_open(s, NULL, &l, &err) < 0 ||
        ocds_ctx_new(s, l, &c, &err) < 0) {
        ok(0, "setup: %s", err.msg);
        return tap_done();
    }
    ocds_demo_generate(11, 500, collect, &g);
    ok(ocds_publish_batch(c, g.it, 250, "test", &err) == 0 && ocds_publish_batch(c, g.it + 250, 250, "test", &err) == 0,
       "500 generated releases published in two batches (%s)", err.msg);
    test_record(json_string_value(json_object_get(g.v[0], "ocid")));
    test_feed_export(500);
    test_behind();
    test_record_bytes();
    test_serve_texts(json_string_value(json_object_get(g.v[0], "ocid")), 0);
    test_serve_texts("ocds-b3lfry-T-1", 1);
    for (i = 0; i < g.n; i++)
        json_decref(g.v[i]);
    ocds_ctx_free(c);
    ledger_close(l);
    store_close(s);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        diag("could not remove %s", dir);
    return tap_done();
}
