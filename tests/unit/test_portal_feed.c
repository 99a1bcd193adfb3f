/*
 * test_portal_feed.c - the portal index follows the log: releases published
 * through ocds_publish (real ledger, real OCDS tables) appear in search once
 * portal_reindex or the background indexer has run; the cursor advances,
 * re-running is idempotent, a later release of the same ocid replaces the
 * summary, withheld values never reach the index, and the background
 * indexer catches up within the one-second lag the portal promises.
 */
#include "common.h"
#include "buf.h"
#include "ledger/ledger.h"
#include "ocds/ocds.h"
#include "portal/portal.h"
#include "store/store.h"
#include "tap.h"

static char dir[] = "/tmp/belfry-test-portal-feed-XXXXXX";
static struct store *s;
static struct ledger *l;
static struct ocds_ctx *c;

static int publish(const char *ocid, const char *id, const char *date, const char *tag, const char *extra)
{
    char text[4096];
    json_error_t je;
    json_t *v;
    struct bf_err err = { 0 };
    uint64_t index;
    int dup, rc;

    snprintf(text, sizeof text,
             "{\"ocid\":\"%s\",\"id\":\"%s\",\"date\":\"%s\",\"tag\":[\"%s\"],\"initiationType\":\"tender\","
             "\"buyer\":{\"id\":\"BE-MOD\",\"name\":\"Defence\"},%s}",
             ocid, id, date, tag, extra);
    v = json_loads(text, 0, &je);
    if (!v) {
        diag("bad test json: %s", je.text);
        return -1;
    }
    rc = ocds_publish(c, v, "test", &index, &dup, &err);
    if (rc)
        diag("publish %s: %s", id, err.msg);
    json_decref(v);
    return rc;
}

static long count(const char *q)
{
    struct store_portal_filter f = { 0 };
    struct bf_buf out = BF_BUF_INIT;
    struct bf_err err = { 0 };
    char fts[256];
    json_t *j;
    long n = -1;

    if (q && portal_fts_query(q, fts, sizeof fts) > 0)
        f.fts = fts;
    f.limit = 20;
    if (portal_search_json(s, &f, &out, &err) == 0 && (j = json_loads(out.data, 0, NULL))) {
        n = (long)json_integer_value(json_object_get(j, "total"));
        json_decref(j);
    } else {
        diag("search: %s", err.msg);
    }
    bf_buf_free(&out);
    return n;
}

static char *search_text(const char *q)
{
    struct store_portal_filter f = { 0 };
    struct bf_buf out = BF_BUF_INIT;
    char fts[256];
    if (q && portal_fts_query(q, fts, sizeof fts) > 0)
        f.fts = fts;
    f.limit = 20;
    if (portal_search_json(s, &f, &out, NULL) < 0)
        bf_buf_free(&out);
    return bf_buf_take(&out, NULL);
}

static void test_follow(void)
{
    struct bf_err err = { 0 };
    uint64_t n = 0, cur = 0;
    char *txt;
    int rc;

    ok(publish("ocds-t-1", "r1", "2024-01-10T09:00:00Z", "tender",
               "\"tender\":{\"id\":\"t\",\"title\":\"Night-vision goggles\",\"status\":\"active\","
               "\"value\":{\"amount\":120000,\"currency\":\"EUR\"}}") == 0 &&
           publish("ocds-t-2", "r1", "2024-02-10T09:00:00Z", "tender",
                   "\"tender\":{\"id\":\"t\",\"title\":\"Armoured ambulances\",\"status\":\"active\","
                   "\"value\":{\"amount\":777777,\"currency\":\"EUR\"}},"
                   "\"withheld\":[{\"path\":\"/tender/value\",\"reason\":\"defenceSecurity\","
                   "\"disclosureDate\":\"2030-01-01T00:00:00Z\"}]") == 0,
       "publish two procedures (one with a withheld value)");
    ok(count(NULL) == 0, "nothing indexed before the indexer runs");
    rc = portal_reindex(s, &n, &err);
    ok(rc == 0 && n == 2, "reindex reads the two releases (%" PRIu64 "): %s", n, err.msg);
    ok(count("goggles") == 1 && count("ambulances") == 1, "both searchable");
    store_portal_cursor(s, &cur, NULL);
    ok(cur == ledger_size(l), "cursor at the end of the log (%" PRIu64 " of %" PRIu64 ")", cur, ledger_size(l));
    ok(portal_reindex(s, &n, &err) == 0 && n == 0 && count(NULL) == 2, "re-running reads nothing new");
    txt = search_text("ambulances");
    ok(txt && !strstr(txt, "777777") && strstr(txt, "\"value\":null") && strstr(txt, "\"withheld\":1"),
       "the withheld value never reaches the index: %.300s", txt ? txt : "");
    free(txt);

    ok(publish("ocds-t-1", "r2", "2024-05-10T09:00:00Z", "award",
               "\"awards\":[{\"id\":\"a\",\"status\":\"active\",\"value\":{\"amount\":110000,\"currency\":\"EUR\"},"
               "\"suppliers\":[{\"id\":\"NL-KVK-1\",\"name\":\"Optronica BV\"}]}]") == 0,
       "a later release of the first procedure");
    rc = portal_reindex(s, &n, &err);
    ok(rc == 0 && n == 1, "reindex reads only the new release (%" PRIu64 ")", n);
    ok(count("optronica") == 1 && count(NULL) == 2, "the summary is replaced, not duplicated");
    txt = search_text("goggles");
    ok(txt && strstr(txt, "\"kind\":\"award\"") && strstr(txt, "\"releases\":2"), "summary from the new compiled "
       "release: %.300s", txt ? txt : "");
    free(txt);
}

static void test_background(void)
{
    struct bf_err err = { 0 };
    struct timespec t0, t1;
    double ms;
    int i;

    ok(portal_indexer_start(dir, &err) == 0, "background indexer starts: %s", err.msg);
    ok(portal_indexer_start(dir, &err) == BF_EEXIST, "only one per process");
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ok(publish("ocds-t-3", "r1", "2024-06-01T09:00:00Z", "tender",
               "\"tender\":{\"id\":\"t\",\"title\":\"Counter-battery radar\",\"status\":\"active\"}") == 0,
       "publish while the indexer runs");
    for (i = 0; i < 200 && count("radar") != 1; i++)
        usleep(10 * 1000);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    ok(count("radar") == 1 && ms < 1000, "searchable %.0f ms after publishing (at most 1 s)", ms);
    portal_indexer_stop();
    portal_indexer_stop();
    ok(1, "stopping twice is harmless");
}

int main(void)
{
    struct bf_err err = { 0 };

    if (!mkdtemp(dir) || store_open(dir, STORE_CREATE | STORE_NOSYNC, &s, &err) < 0 ||
        ledger_init(s, "test.belfry/portal", NULL, &err) < 0 || ledger_open(s, NULL, &l, &err) < 0 ||
        ocds_ctx_new(s, l, &c, &err) < 0) {
        ok(0, "setup: %s", err.msg);
        return tap_done();
    }
    test_follow();
    test_background();
    ocds_ctx_free(c);
    ledger_close(l);
    store_close(s);
    {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0)
            diag("could not remove %s", dir);
    }
    return tap_done();
}
