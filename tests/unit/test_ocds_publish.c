/*
 * test_ocds_publish.c - publishing through the ledger: the log entry and
 * the stored rows agree, re-publishing is idempotent (also with withheld
 * fields and their random salts), changed content is a conflict, invalid
 * releases write nothing, withheld values never reach the public text but
 * reach the auditor with salts that open the commitments, the record's
 * compiled release equals a full merge whether releases arrive in date
 * order (incremental) or not (re-merge), and batches report per item.
 * Keyed salts: the context creates <data>/ocds/withheld.key (0600); the
 * tender, award and contract releases of one procedure that withhold the
 * same value carry one commitment, which the salt of the later disclosure
 * opens in all of them (also after reopening the context), while another
 * value commits differently; the key appears in no output. Personal data:
 * contact points are withheld as personalData, visible to auditors only.
 * Concurrent batches: the record is merged before the append in each
 * publishing thread (premerge) and used only if it still holds; four
 * threads publishing interleaved batches of the same ocids, dates out of
 * order, leave every record equal to the full merge of its releases.
 */
#include "common.h"
#include "tap.h"
#include "buf.h"
#include "sha256.h"
#include "ocds/ocds.h"
#include "ocds/ocds_import.h"
#include "ledger/ledger.h"
#include "store/store.h"
#include "store/store_ocds.h"
#include "enc.h"
#include <sys/stat.h>
#include <pthread.h>

static struct store *s;
static struct ledger *l;
static struct ocds_ctx *c;
static char dir[] = "/tmp/belfry-test-publish-XXXXXX";

static json_t *rel(const char *ocid, const char *id, const char *date, const char *tag, const char *extra)
{
    char text[4096];
    json_error_t je;
    json_t *v;
    snprintf(text, sizeof text,
             "{\"ocid\":\"%s\",\"id\":\"%s\",\"date\":\"%s\",\"tag\":[\"%s\"],\"initiationType\":\"tender\"%s%s}", ocid,
             id, date, tag, extra ? "," : "", extra ? extra : "");
    v = json_loads(text, 0, &je);
    if (!v)
        diag("bad test json: %s: %s", je.text, text);
    return v;
}

/* The bytes of a small file (malloc'ed) or NULL. */
static char *tu_key_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = bf_xmalloc(256);
    *len = f ? fread(buf, 1, 256, f) : 0;
    if (f)
        fclose(f);
    if (!*len) {
        free(buf);
        return NULL;
    }
    return buf;
}

static uint64_t nreleases(void)
{
    uint64_t n = 0;
    store_ocds_counts(s, &n, NULL, NULL);
    return n;
}

static int setup(void)
{
    struct bf_err err = { 0 };
    if (!mkdtemp(dir))
        return -1;
    if (store_open(dir, STORE_CREATE | STORE_NOSYNC, &s, &err) < 0 ||
        ledger_init(s, "test.belfry/publish", NULL, &err) < 0 || ledger_open(s, NULL, &l, &err) < 0 ||
        ocds_ctx_new(s, l, &c, &err) < 0) {
        diag("setup: %s", err.msg);
        return -1;
    }
    return 0;
}

static void teardown(void)
{
    char cmd[256];
    ocds_ctx_free(c);
    ledger_close(l);
    store_close(s);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        diag("could not remove %s", dir);
}

static void test_basic(void)
{
    struct bf_err err = { 0 };
    json_t *r = rel("ocds-b5l9q0-1", "r1", "2024-01-10T09:00:00Z", "tender",
                    "\"tender\":{\"id\":\"t1\",\"title\":\"Night-vision goggles\",\"status\":\"active\"}");
    json_t *r2, *got = NULL;
    uint64_t idx = 99, idx2 = 98, gidx = 0;
    int dup = -1, rc;
    struct bf_buf entry = BF_BUF_INIT, mine = BF_BUF_INIT;
    char *body = NULL;
    size_t blen = 0;
    char sha[65];

    rc = ocds_publish(c, r, "officer:test", &idx, &dup, &err);
    ok(rc == 0 && dup == 0, "publish a release (rc %d: %s)", rc, err.msg);
    rc = ocds_get_release(c, "ocds-b5l9q0-1", "r1", 0, &got, &gidx, &err);
    ok(rc == 0 && json_equal(got, r) && gidx == idx, "read back equal, same index %" PRIu64, gidx);
    json_decref(got);

    rc = ledger_entry(l, idx, &entry, &err);
    ocds_entry_line(r, "officer:test", &mine, NULL);
    ok(rc == 0 && entry.len == mine.len && !memcmp(entry.data, mine.data, mine.len),
       "log entry is the release's entry line: %.*s", (int)entry.len, entry.data ? entry.data : "");
    store_ocds_release_body(s, "ocds-b5l9q0-1", "r1", &body, &blen, NULL, &err);
    bf_sha256_hex(body, blen, sha);
    ok(entry.data && strstr(entry.data, sha) != NULL, "entry's sha256 is the digest of the stored text");
    free(body);

    rc = ocds_publish(c, r, "officer:other", &idx2, &dup, &err);
    ok(rc == 0 && dup == 1 && idx2 == idx, "re-publishing is idempotent (dup %d, index %" PRIu64 ")", dup, idx2);

    r2 = rel("ocds-b5l9q0-1", "r1", "2024-01-10T09:00:00Z", "tender",
             "\"tender\":{\"id\":\"t1\",\"title\":\"Thermal goggles\",\"status\":\"active\"}");
    rc = ocds_publish(c, r2, NULL, &idx2, &dup, &err);
    ok(rc == BF_ECONFLICT, "changed content under a used id is a conflict: %s", err.msg);
    json_decref(r2);

    r2 = json_pack("{ssss}", "ocid", "ocds-b5l9q0-2", "id", "x");
    idx2 = nreleases();
    rc = ocds_publish(c, r2, NULL, &idx, &dup, &err);
    ok(rc == BF_EINVAL && nreleases() == idx2, "an invalid release is refused and writes nothing: %s", err.msg);
    json_decref(r2);
    json_decref(r);
    bf_buf_free(&entry);
    bf_buf_free(&mine);
}

static void test_withheld(void)
{
    struct bf_err err = { 0 };
    json_t *r = rel("ocds-b5l9q0-3", "w1", "2024-02-01T00:00:00Z", "award",
                    "\"awards\":[{\"id\":\"a1\",\"value\":{\"amount\":1234567.5,\"currency\":\"EUR\"}}],"
                    "\"withheld\":[{\"path\":\"/awards/0/value\",\"reason\":\"defenceSecurity\","
                    "\"disclosureDate\":\"2030-01-01T00:00:00Z\"}]");
    json_t *pub = NULL, *aud = NULL, *marker;
    uint64_t idx = 0, idx2 = 0;
    int dup = -1, rc;
    char *body = NULL;
    size_t blen = 0;

    rc = ocds_publish(c, r, NULL, &idx, &dup, &err);
    ok(rc == 0, "publish a release with a withheld value (%s)", err.msg);
    store_ocds_release_body(s, "ocds-b5l9q0-3", "w1", &body, &blen, NULL, &err);
    ok(body && !strstr(body, "1234567") && strstr(body, "\"commitment\":\"sha256:"),
       "public text has the commitment, not the value");
    free(body);
    rc = ocds_get_release(c, "ocds-b5l9q0-3", "w1", 0, &pub, NULL, &err);
    marker = json_object_get(json_array_get(json_object_get(pub, "awards"), 0), "value");
    ok(rc == 0 && json_is_true(json_object_get(marker, "withheld")) && !json_object_get(marker, "value"),
       "public read: marker without value");
    rc = ocds_get_release(c, "ocds-b5l9q0-3", "w1", 1, &aud, NULL, &err);
    marker = json_object_get(json_array_get(json_object_get(aud, "awards"), 0), "value");
    ok(rc == 0 && json_object_get(marker, "value") && json_object_get(marker, "salt"),
       "auditor read: value and salt in the marker (%s)", err.msg);
    rc = ocds_commitment_check(marker, json_object_get(marker, "value"),
                               json_string_value(json_object_get(marker, "salt")), &err);
    ok(rc == 0, "the auditor's value and salt open the commitment (%s)", err.msg);
    rc = ocds_publish(c, r, NULL, &idx2, &dup, &err);
    ok(rc == 0 && dup == 1 && idx2 == idx, "re-publishing a withheld release is idempotent despite fresh salts");
    json_decref(pub);
    json_decref(aud);
    json_decref(r);
}

/* The stored compiled release equals ocds_merge_compiled of all releases. */
static int record_matches(const char *ocid)
{
    struct store_ocds_record rec;
    json_t *arr = NULL, *full = NULL, *stored;
    json_t **v;
    size_t i, n;
    int same;

    if (store_ocds_record_get(s, ocid, &rec, NULL) < 0)
        return 0;
    stored = json_loadb(rec.compiled, rec.compiled_len, 0, NULL);
    store_ocds_record_clear(&rec);
    ocds_get_releases(c, ocid, 0, &arr, NULL);
    n = json_array_size(arr);
    v = bf_xcalloc(n ? n : 1, sizeof *v);
    for (i = 0; i < n; i++)
        v[i] = json_object_get(json_array_get(arr, i), "release");
    ocds_merge_compiled(v, n, &full, NULL);
    same = stored && full && json_equal(stored, full);
    {
        struct store_ocds_record r2;
        struct bf_buf rb = BF_BUF_INIT; /* the record API merges the versioned release */
        json_t *rj = NULL, *fv = NULL;
        if (store_ocds_record_get(s, ocid, &r2, NULL) == 0) {
            same = same && r2.compiled_n == r2.nrel && r2.nrel == n;
            store_ocds_record_clear(&r2);
        }
        if (ocds_record_json(s, ocid, "http://h:1", &rb, NULL) == 0)
            rj = json_loadb(rb.data, rb.len, 0, NULL);
        bf_buf_free(&rb);
        ocds_merge_versioned(v, n, &fv, NULL);
        same = same && rj && fv && json_equal(json_object_get(rj, "versionedRelease"), fv) &&
               json_equal(json_object_get(rj, "compiledRelease"), full);
        json_decref(rj);
        json_decref(fv);
    }
    if (!same) {
        char *a = json_dumps(stored, JSON_COMPACT | JSON_SORT_KEYS), *b = json_dumps(full, JSON_COMPACT | JSON_SORT_KEYS);
        diag("stored %s", a);
        diag("full   %s", b);
        free(a);
        free(b);
    }
    json_decref(stored);
    json_decref(full);
    json_decref(arr);
    free(v);
    return same;
}

static void test_records(void)
{
    struct bf_err err = { 0 };
    const char *o = "ocds-b5l9q0-4";
    json_t *r1 = rel(o, "p1", "2024-01-01T00:00:00Z", "planning",
                     "\"planning\":{\"budget\":{\"amount\":{\"amount\":100,\"currency\":\"EUR\"}}}");
    json_t *r2 = rel(o, "t1", "2024-02-01T00:00:00Z", "tender",
                     "\"tender\":{\"id\":\"T\",\"status\":\"active\",\"items\":[{\"id\":\"1\",\"quantity\":5}]}");
    json_t *r3 = rel(o, "t2", "2024-03-01T00:00:00Z", "tenderAmendment",
                     "\"tender\":{\"id\":\"T\",\"items\":[{\"id\":\"1\",\"quantity\":7},{\"id\":\"2\",\"quantity\":1}]}");
    json_t *r0 = rel(o, "p0", "2023-12-01T00:00:00Z", "planning",
                     "\"planning\":{\"rationale\":\"old\",\"budget\":{\"amount\":{\"amount\":90,\"currency\":\"EUR\"}}}");
    json_t *arr = NULL;
    uint64_t idx;
    int dup, rc = 0;

    rc |= ocds_publish(c, r1, NULL, &idx, &dup, &err);
    rc |= ocds_publish(c, r2, NULL, &idx, &dup, &err);
    rc |= ocds_publish(c, r3, NULL, &idx, &dup, &err);
    ok(rc == 0 && record_matches(o), "in-order releases: stored compiled and versioned releases equal the full merges");
    rc = ocds_publish(c, r0, NULL, &idx, &dup, &err);
    ok(rc == 0 && record_matches(o), "an older release arriving late: record re-merged");
    ocds_get_releases(c, o, 0, &arr, &err);
    ok(json_array_size(arr) == 4 &&
           !strcmp(json_string_value(json_object_get(json_object_get(json_array_get(arr, 0), "release"), "id")), "p0"),
       "releases listed in date order with their index");
    json_decref(arr);
    json_decref(r0);
    json_decref(r1);
    json_decref(r2);
    json_decref(r3);
}

static void test_batch(void)
{
    struct ocds_pub_item it[5];
    json_t *v[5];
    struct bf_err err = { 0 };
    uint64_t before = nreleases();
    int i, rc;

    v[0] = rel("ocds-b5l9q0-5", "b1", "2024-05-01T00:00:00Z", "tender", NULL);
    v[1] = rel("ocds-b5l9q0-5", "b2", "2024-05-02T00:00:00Z", "tenderUpdate", NULL);
    v[2] = rel("ocds-b5l9q0-5", "b1", "2024-05-01T00:00:00Z", "tender", NULL);       /* same as 0 */
    v[3] = rel("ocds-b5l9q0-5", "b3", "yesterday", "award", NULL);                    /* invalid date */
    v[4] = rel("ocds-b5l9q0-5", "b2", "2024-05-02T00:00:00Z", "tenderUpdate", "\"x\":1"); /* conflicts with 1 */
    memset(it, 0, sizeof it);
    for (i = 0; i < 5; i++)
        it[i].release = v[i];
    rc = ocds_publish_batch(c, it, 5, NULL, &err);
    ok(rc < 0, "a batch with bad items reports the first error (%s)", err.msg);
    ok(it[0].rc == 0 && !it[0].dup && it[1].rc == 0, "good items are published");
    ok(it[2].rc == 0 && it[2].dup == 1 && it[2].index == it[0].index, "an in-batch duplicate is 'already present'");
    ok(it[3].rc == BF_EINVAL, "an invalid item is rejected: %s", it[3].err.msg);
    ok(it[4].rc == BF_ECONFLICT, "an in-batch conflicting item is rejected: %s", it[4].err.msg);
    ok(nreleases() == before + 2, "exactly two rows written");
    ok(ledger_size(l) == nreleases(), "log size %" PRIu64 " equals stored releases %" PRIu64, ledger_size(l),
       nreleases());
    {
        struct store_ocds_record rec;
        json_t *r6 = rel("ocds-b5l9q0-5", "b6", "2024-06-01T00:00:00Z", "award", NULL);
        uint64_t idx;
        int dup;
        store_ocds_record_get(s, "ocds-b5l9q0-5", &rec, NULL);
        ok(rec.nrel == 2 && rec.compiled_n == rec.nrel && record_matches("ocds-b5l9q0-5"),
           "the run's last item was rejected: the record is merged from what was published (%" PRIu64
           " of %" PRIu64 ")", rec.compiled_n, rec.nrel);
        store_ocds_record_clear(&rec);
        ok(ocds_publish(c, r6, NULL, &idx, &dup, &err) == 0 && record_matches("ocds-b5l9q0-5"),
           "the next release merges the record in full");
        json_decref(r6);
    }
    for (i = 0; i < 5; i++)
        json_decref(v[i]);
}

/* A batch interleaving releases of several ocids (deferred compiling). */
static void test_deferred(void)
{
    struct ocds_pub_item it[12];
    json_t *v[12];
    struct bf_err err = { 0 };
    char id[16], date[32], extra[128];
    int i, good = 1;

    for (i = 0; i < 12; i++) {
        snprintf(id, sizeof id, "d%d", i);
        snprintf(date, sizeof date, "2024-07-%02dT00:00:00Z", 1 + (i % 5) * 3 + i / 5);
        snprintf(extra, sizeof extra, "\"tender\":{\"id\":\"T\",\"items\":[{\"id\":\"%d\",\"quantity\":%d}]}", i % 4, i);
        v[i] = rel(i % 3 == 0 ? "ocds-b5l9q0-D0" : i % 3 == 1 ? "ocds-b5l9q0-D1" : "ocds-b5l9q0-D2", id, date,
                   "tenderUpdate", extra);
        memset(&it[i], 0, sizeof it[i]);
        it[i].release = v[i];
    }
    ok(ocds_publish_batch(c, it, 6, NULL, &err) == 0 && ocds_publish_batch(c, it + 6, 6, NULL, &err) == 0,
       "two batches interleaving three ocids, dates out of order (%s)", err.msg);
    good &= record_matches("ocds-b5l9q0-D0");
    good &= record_matches("ocds-b5l9q0-D1");
    good &= record_matches("ocds-b5l9q0-D2");
    ok(good, "each record's stored compiled and versioned releases equal the full merges");
    for (i = 0; i < 12; i++)
        json_decref(v[i]);
}

static void test_real_merge(void)
{
    const char *dirp = tap_shared("ocds/real/sample-data-2018/paraguay/releases");
    struct ocds_importer *im = NULL;
    struct ocds_import_stats st;
    struct bf_err err = { 0 };
    char path[4096];

    if (!dirp) {
        skip("../shared/data/ocds/real is absent");
        return;
    }
    snprintf(path, sizeof path, "%s", dirp);
    ocds_importer_new(c, NULL, &im, &err);
    ocds_importer_path(im, path, &err);
    ocds_importer_finish(im, &st, &err);
    ocds_importer_free(im);
    ok(st.added == 4, "4 Paraguay releases of one process imported (%" PRIu64 " rejected)", st.rejected);
    ok(record_matches("ocds-03ad3f-273637"), "real releases: stored compiled release equals the full merge");
}


static const char *com_at(const json_t *rel, const char *ptr)
{
    return json_string_value(json_object_get(ocds_json_pointer_get(rel, ptr), "commitment"));
}

/* Every public and auditor release text of ocid, and its record row. */
static char *all_text(const char *ocid)
{
    struct bf_buf b = BF_BUF_INIT;
    struct bf_err err = { 0 };
    struct store_ocds_record rec;
    json_t *arr = NULL;
    int aud;

    for (aud = 0; aud < 2; aud++) {
        if (ocds_get_releases(c, ocid, aud, &arr, &err) < 0 || ocds_jcs(arr, &b, &err) < 0 ||
            bf_buf_putc(&b, '\n') < 0)
            diag("releases of %s: %s", ocid, err.msg);
        json_decref(arr);
        arr = NULL;
    }
    memset(&rec, 0, sizeof rec);
    if (store_ocds_record_get(s, ocid, &rec, &err) == 0) {
        if (rec.compiled && bf_buf_append(&b, rec.compiled, rec.compiled_len) < 0)
            diag("record of %s too large", ocid);
        store_ocds_record_clear(&rec);
    }
    return b.data ? bf_buf_take(&b, NULL) : bf_xstrdup("");
}

static void test_keyed(void)
{
    static const char *o = "ocds-b5l9q0-K";
    static const char *const steps[][3] = { { "k-tender", "2025-01-10T00:00:00Z", "tender" },
                                            { "k-award", "2025-03-10T00:00:00Z", "award" },
                                            { "k-contract", "2025-04-10T00:00:00Z", "contract" } };
    const char *val = "\"tender\":{\"id\":\"t\",\"value\":{\"amount\":7654321,\"currency\":\"EUR\"}},"
                      "\"withheld\":[{\"path\":\"/tender/value\",\"reason\":\"defenceSecurity\","
                      "\"disclosureDate\":\"2026-01-01\"}]";
    struct bf_err err = { 0 };
    json_t *pubs[4] = { NULL }, *aud = NULL, *disc = NULL, *r, *marker;
    char path[300], com0[80] = "", hex[2 * OCDS_WITHHELD_KEY_LEN + 1], b64[64], *text = NULL, *key = NULL;
    struct stat st;
    size_t i, klen = 0;
    int same = 1, opens = 0, rc;

    snprintf(path, sizeof path, "%s/ocds/withheld.key", dir);
    ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == OCDS_WITHHELD_KEY_LEN,
       "ocds_ctx_new created the 32-byte key with mode 0600");
    for (i = 0; i < 3; i++) {
        if (i == 2) { /* the key survives a restart */
            ocds_ctx_free(c);
            c = NULL;
            if (ocds_ctx_new(s, l, &c, &err) < 0)
                diag("reopen: %s", err.msg);
        }
        r = rel(o, steps[i][0], steps[i][1], steps[i][2], val);
        if (i > 0)
            json_object_set_new(r, "awards", json_pack("[{s:s,s:s}]", "id", "a1", "status", "active"));
        if (i > 1)
            json_object_set_new(r, "contracts", json_pack("[{s:s,s:s}]", "id", "c1", "awardID", "a1"));
        rc = ocds_publish(c, r, NULL, NULL, NULL, &err);
        json_decref(r);
        if (rc == 0)
            rc = ocds_get_release(c, o, steps[i][0], 0, &pubs[i], NULL, &err);
        if (rc) {
            diag("%s: %s", steps[i][0], err.msg);
            same = 0;
            continue;
        }
        if (!com0[0])
            snprintf(com0, sizeof com0, "%s", com_at(pubs[i], "/tender/value"));
        same &= com_at(pubs[i], "/tender/value") && !strcmp(com_at(pubs[i], "/tender/value"), com0);
    }
    ok(same && com0[0], "tender, award and contract releases carry one commitment to the same value");

    /* a fourth release with another value commits differently */
    r = rel(o, "k-amend", "2025-05-10T00:00:00Z", "tenderAmendment",
            "\"tender\":{\"id\":\"t\",\"value\":{\"amount\":7654322,\"currency\":\"EUR\"}},"
            "\"withheld\":[{\"path\":\"/tender/value\",\"reason\":\"defenceSecurity\"}]");
    rc = ocds_publish(c, r, NULL, NULL, NULL, &err);
    json_decref(r);
    if (rc == 0)
        rc = ocds_get_release(c, o, "k-amend", 0, &pubs[3], NULL, &err);
    ok(rc == 0 && com_at(pubs[3], "/tender/value") && strcmp(com_at(pubs[3], "/tender/value"), com0),
       "a different value gives a different commitment %s", err.msg);

    /* disclosure from the contract release's auditor view */
    rc = ocds_get_release(c, o, "k-contract", 1, &aud, NULL, &err);
    marker = ocds_json_pointer_get(aud, "/tender/value");
    r = rel(o, "k-disclose", "2026-01-02T00:00:00Z", "contractUpdate",
            "\"withheld\":[{\"path\":\"/tender/value\",\"reason\":\"defenceSecurity\",\"disclosed\":true}]");
    if (rc == 0 && marker) {
        json_object_set_new(r, "tender", json_pack("{s:s,s:O}", "id", "t", "value", json_object_get(marker, "value")));
        json_object_set(json_array_get(json_object_get(r, "withheld"), 0), "salt", json_object_get(marker, "salt"));
        json_object_set(json_array_get(json_object_get(r, "withheld"), 0), "commitment",
                        json_object_get(marker, "commitment"));
        rc = ocds_publish(c, r, NULL, NULL, NULL, &err);
    }
    json_decref(r);
    if (rc == 0)
        rc = ocds_get_release(c, o, "k-disclose", 0, &disc, NULL, &err);
    ok(rc == 0 && json_integer_value(json_object_get(ocds_json_pointer_get(disc, "/tender/value"), "amount")) == 7654321,
       "the disclosure release is public with the value %s", err.msg);
    for (i = 0; i < 3 && disc; i++)
        opens += pubs[i] && ocds_disclosure_check(pubs[i], disc, &err) == 0;
    ok(opens == 3, "the disclosed value and salt open the commitments of all %d earlier releases (%s)", opens,
       opens == 3 ? "ok" : err.msg);
    ok(disc && pubs[3] && ocds_disclosure_check(pubs[3], disc, &err) == BF_ECRYPTO,
       "but not the commitment to the other value: %s", err.msg);

    /* the key appears nowhere */
    key = tu_key_file(path, &klen);
    text = all_text(o);
    if (key && klen == OCDS_WITHHELD_KEY_LEN) {
        bf_hex_encode(key, klen, hex);
        bf_b64_encode(key, klen, b64);
        ok(strlen(text) > 1000 && !strstr(text, hex) && !strstr(text, b64) && !memmem(text, strlen(text), key, klen),
           "the key (raw, hex, base64) is in no public or auditor release nor in the record");
    } else {
        ok(0, "read the key file");
    }
    free(key);
    free(text);
    for (i = 0; i < 4; i++)
        json_decref(pubs[i]);
    json_decref(aud);
    json_decref(disc);
}

static void test_personal(void)
{
    static const char *o = "ocds-b5l9q0-P";
    struct bf_err err = { 0 };
    json_t *r = rel(o, "p1", "2025-02-01T00:00:00Z", "tender",
                    "\"buyer\":{\"id\":\"BE-1\",\"name\":\"Defence\"},"
                    "\"parties\":[{\"id\":\"BE-1\",\"name\":\"Defence\",\"roles\":[\"buyer\"],"
                    "\"contactPoint\":{\"name\":\"An Janssens\",\"email\":\"an.janssens@mil.be\","
                    "\"telephone\":\"+32 2 111 22 33\",\"faxNumber\":\"+32 2 111 22 34\",\"url\":\"https://mil.be\"}}],"
                    "\"tender\":{\"id\":\"t\",\"procuringEntity\":{\"id\":\"BE-1\",\"name\":\"Defence\","
                    "\"contactPoint\":{\"email\":\"procurement@mil.be\"}}}");
    json_t *pub = NULL, *aud = NULL, *m;
    uint64_t idx = 0, idx2 = 0;
    int dup = 0, rc;
    char *body = NULL;
    size_t blen = 0;

    rc = ocds_publish(c, r, NULL, &idx, &dup, &err);
    ok(rc == 0, "publish a release with contact points %s", err.msg);
    store_ocds_release_body(s, o, "p1", &body, &blen, NULL, &err);
    ok(body && !strstr(body, "@") && !strstr(body, "Janssens") && !strstr(body, "+32") &&
           strstr(body, "\"reason\":\"personalData\""),
       "the stored public release holds no name, e-mail or number, only personalData markers");
    free(body);
    rc = ocds_get_release(c, o, "p1", 0, &pub, NULL, &err);
    m = ocds_json_pointer_get(pub, "/parties/0/contactPoint");
    ok(rc == 0 && json_is_true(json_object_get(m, "withheld")) && !json_object_get(m, "disclosureDate") &&
           json_is_object(ocds_json_pointer_get(pub, "/tender/procuringEntity/contactPoint")) &&
           json_is_true(json_object_get(ocds_json_pointer_get(pub, "/tender/procuringEntity/contactPoint"), "withheld")),
       "party and procuring-entity contact points are markers without a disclosure date");
    ok(rc == 0 && json_array_size(json_object_get(pub, "withheld")) == 2 && ocds_release_check(pub, &err) == 0,
       "the public release lists both and passes the release check %s", err.msg);
    rc = ocds_get_release(c, o, "p1", 1, &aud, NULL, &err);
    m = ocds_json_pointer_get(aud, "/parties/0/contactPoint");
    ok(rc == 0 &&
           !strcmp(json_string_value(json_object_get(json_object_get(m, "value"), "email")), "an.janssens@mil.be") &&
           ocds_commitment_check(m, json_object_get(m, "value"), json_string_value(json_object_get(m, "salt")),
                                 &err) == 0,
       "the auditor reads the contact point, and it opens the commitment %s", err.msg);
    rc = ocds_publish(c, r, NULL, &idx2, &dup, &err);
    ok(rc == 0 && dup == 1 && idx2 == idx, "re-publishing is idempotent");
    json_decref(pub);
    json_decref(aud);
    json_decref(r);
}

#define CONC_THREADS 4
#define CONC_BATCHES 12
#define CONC_PER 6

static void *conc_worker(void *arg)
{
    int t = (int)(intptr_t)arg, b, i, *fails = bf_xcalloc(1, sizeof *fails);
    for (b = 0; b < CONC_BATCHES; b++) {
        struct ocds_pub_item it[CONC_PER];
        json_t *v[CONC_PER];
        struct bf_err err = { 0 };
        memset(it, 0, sizeof it);
        for (i = 0; i < CONC_PER; i++) {
            char ocid[64], id[64], date[64];
            int k = (t * 7 + b * 3 + i) % 3;   /* three shared ocids */
            snprintf(ocid, sizeof ocid, "ocds-b5l9q0-C%d", k);
            snprintf(id, sizeof id, "t%d-b%d-i%d", t, b, i);
            /* dates out of order, so the merge depends on all releases */
            snprintf(date, sizeof date, "2024-%02d-%02dT00:00:00Z", 1 + (t * 5 + b) % 12, 1 + (b * 7 + i * 3) % 28);
            v[i] = rel(ocid, id, date, "tender",
                       (i & 1) ? "\"tender\":{\"id\":\"T\",\"title\":\"odd\"}" : "\"tender\":{\"id\":\"T\",\"status\":\"active\"}");
            it[i].release = v[i];
        }
        if (ocds_publish_batch(c, it, CONC_PER, NULL, &err) < 0) {
            diag("thread %d batch %d: %s", t, b, err.msg);
            (*fails)++;
        }
        for (i = 0; i < CONC_PER; i++)
            json_decref(v[i]);
    }
    return fails;
}

/* An earlier item of the batch rejected at insert (same id, other
 * content): the premerge counted it, so the hook must merge again. */
static void test_premerge_rejected(void)
{
    struct ocds_pub_item it[3];
    struct bf_err err = { 0 };
    json_t *v[3];
    int i;

    v[0] = rel("ocds-b5l9q0-R", "r1", "2024-01-01T00:00:00Z", "tender", "\"tender\":{\"id\":\"T\",\"title\":\"kept\"}");
    v[1] = rel("ocds-b5l9q0-R", "r1", "2024-03-01T00:00:00Z", "tender", "\"tender\":{\"id\":\"T\",\"title\":\"refused\"}");
    v[2] = rel("ocds-b5l9q0-R", "r2", "2024-02-01T00:00:00Z", "tender", "\"tender\":{\"id\":\"T\",\"status\":\"active\"}");
    memset(it, 0, sizeof it);
    for (i = 0; i < 3; i++)
        it[i].release = v[i];
    ocds_publish_batch(c, it, 3, NULL, &err);
    ok(it[0].rc == 0 && it[1].rc == BF_ECONFLICT && it[2].rc == 0, "the second r1 is a conflict (%s)", it[1].err.msg);
    ok(record_matches("ocds-b5l9q0-R"), "the record holds only the releases stored, not the refused one");
    for (i = 0; i < 3; i++)
        json_decref(v[i]);
}

static void test_concurrent(void)
{
    pthread_t th[CONC_THREADS];
    int t, fails = 0, good = 1;
    uint64_t before = nreleases();

    for (t = 0; t < CONC_THREADS; t++)
        pthread_create(&th[t], NULL, conc_worker, (void *)(intptr_t)t);
    for (t = 0; t < CONC_THREADS; t++) {
        void *r = NULL;
        pthread_join(th[t], &r);
        fails += r ? *(int *)r : 1;
        free(r);
    }
    ok(fails == 0, "four threads published %d batches each", CONC_BATCHES);
    ok(nreleases() == before + CONC_THREADS * CONC_BATCHES * CONC_PER, "every release stored once");
    good &= record_matches("ocds-b5l9q0-C0");
    good &= record_matches("ocds-b5l9q0-C1");
    good &= record_matches("ocds-b5l9q0-C2");
    ok(good, "each record equals the full merge of its releases after concurrent batches");
}

int main(void)
{
    if (setup() < 0) {
        ok(0, "setup");
        return tap_done();
    }
    test_basic();
    test_withheld();
    test_records();
    test_batch();
    test_deferred();
    test_real_merge();
    test_keyed();
    test_personal();
    test_premerge_rejected();
    test_concurrent();
    teardown();
    return tap_done();
}
