/*
 * test_portal.c - the portal's index, search, statistics and organisation
 * queries over summaries of hand-written compiled releases (no log
 * needed): full text with accents and prefixes, each filter, sorting,
 * paging, withheld values, re-indexing, hostile search text.
 */
#include "common.h"
#include "buf.h"
#include "portal/portal.h"
#include "store/store.h"
#include "tap.h"

#include <jansson.h>
#include <sqlite3.h>

static struct store *st;

static const char *rel_a =
    "{\"ocid\":\"ocds-b5fd17-a\",\"date\":\"2024-03-01T10:00:00Z\",\"buyer\":{\"id\":\"BE-MOD\",\"name\":\"Défense DG MR\"},"
    "\"tender\":{\"title\":\"Tactical drones for reconnaissance\",\"description\":\"Small UAV systèmes for land forces\","
    "\"procurementMethod\":\"selective\",\"status\":\"complete\",\"value\":{\"amount\":900000,\"currency\":\"EUR\"},"
    "\"defence\":{\"procedure\":\"restricted\",\"capabilityArea\":\"dronesUav\"},\"numberOfTenderers\":3,"
    "\"items\":[{\"id\":\"1\",\"classification\":{\"scheme\":\"CPV\",\"id\":\"35613000-4\"}}],"
    "\"tenderPeriod\":{\"startDate\":\"2023-11-02T00:00:00Z\"}},"
    "\"awards\":[{\"id\":\"a1\",\"status\":\"active\",\"date\":\"2024-02-01T00:00:00Z\","
    "\"value\":{\"amount\":850000,\"currency\":\"EUR\"},\"suppliers\":[{\"id\":\"FR-RCS-111\",\"name\":\"Aéro Systèmes SA\"}]}],"
    "\"contracts\":[{\"id\":\"c1\",\"awardID\":\"a1\",\"status\":\"active\",\"dateSigned\":\"2024-02-20T00:00:00Z\","
    "\"value\":{\"amount\":850000,\"currency\":\"EUR\"}}]}";

static const char *rel_b =
    "{\"ocid\":\"ocds-b5fd17-b\",\"date\":\"2025-06-01T10:00:00Z\",\"buyer\":{\"id\":\"BE-MOD\",\"name\":\"Défense DG MR\"},"
    "\"tender\":{\"title\":\"Ammunition 155mm\",\"description\":\"Artillery shells\",\"procurementMethod\":\"limited\","
    "\"defence\":{\"procedure\":\"negotiatedWithoutPublication\",\"capabilityArea\":\"ammunition\"},"
    "\"items\":[{\"id\":\"1\",\"classification\":{\"scheme\":\"CPV\",\"id\":\"35330000-7\"}}]},"
    "\"awards\":[{\"id\":\"a1\",\"status\":\"active\",\"date\":\"2025-05-01T00:00:00Z\","
    "\"value\":{\"amount\":12000000,\"currency\":\"EUR\"},\"suppliers\":[{\"id\":\"BE-KBO-222\",\"name\":\"FN Herstal\"}]}]}";

static const char *rel_c =
    "{\"ocid\":\"ocds-b5fd17-c\",\"date\":\"2025-01-10T10:00:00Z\",\"buyer\":{\"id\":\"BE-POL\",\"name\":\"Federal Police\"},"
    "\"tender\":{\"title\":\"Secure radios\",\"description\":\"Encrypted drones radio links\",\"procurementMethod\":\"open\","
    "\"status\":\"active\",\"value\":{\"withheld\":true,\"reason\":\"classified\",\"disclosureDate\":\"2030-01-01\","
    "\"commitment\":\"sha256:00\"}}}";

static int index_json(const char *text, uint64_t idx)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    struct store_txn *t;
    struct bf_err err = { 0 };
    int rc;

    if (!j) {
        diag("bad test JSON: %s", je.text);
        return -1;
    }
    rc = store_txn_begin(st, &t, &err);
    if (!rc) {
        rc = portal_index_compiled(t, idx, j, &err);
        if (rc)
            store_txn_rollback(t);
        else
            rc = store_txn_commit(t, &err);
    }
    if (rc)
        diag("index: %s", err.msg);
    json_decref(j);
    return rc;
}

/* A tiny parameter table for portal_filter_parse. */
struct params {
    const char *kv[32];
};

static const char *pget(void *arg, const char *name)
{
    struct params *p = arg;
    int i;
    for (i = 0; p->kv[i]; i += 2)
        if (!strcmp(p->kv[i], name))
            return p->kv[i + 1];
    return NULL;
}

/* Runs a search with parameters (NULL-terminated pairs); returns the
 * parsed response or NULL on error (message in err). */
static json_t *search(struct bf_err *err, ...)
{
    struct params p = { { 0 } };
    struct store_portal_filter f;
    struct bf_arena a = BF_ARENA_INIT;
    struct bf_buf out = BF_BUF_INIT;
    json_t *j = NULL;
    va_list ap;
    int i = 0;

    va_start(ap, err);
    while (i < 30 && (p.kv[i] = va_arg(ap, const char *)) != NULL) {
        p.kv[i + 1] = va_arg(ap, const char *);
        i += 2;
    }
    va_end(ap);
    if (portal_filter_parse(pget, &p, &a, &f, err) == 0 && portal_search_json(st, &f, &out, err) == 0)
        j = json_loads(out.data, 0, NULL);
    bf_buf_free(&out);
    bf_arena_free(&a);
    return j;
}

static long total_of(json_t *j)
{
    return j ? (long)json_integer_value(json_object_get(j, "total")) : -1;
}

static const char *first_ocid(json_t *j)
{
    json_t *r = json_array_get(json_object_get(j, "results"), 0);
    return r ? json_string_value(json_object_get(r, "ocid")) : "";
}

static void check_total(json_t *j, long want, const char *what)
{
    ok(total_of(j) == want, "%s: %ld result(s), got %ld", what, want, total_of(j));
    json_decref(j);
}

static void test_text(void)
{
    struct bf_err err = { 0 };
    json_t *j;

    check_total(search(&err, "q", "drones", NULL), 2, "word in title and description");
    check_total(search(&err, "q", "defense", NULL), 2, "accents folded (Défense matches defense)");
    check_total(search(&err, "q", "herst", NULL), 1, "supplier name by prefix");
    check_total(search(&err, "q", "drones radio", NULL), 1, "all words must match");
    check_total(search(&err, "q", "submarine", NULL), 0, "no match");
    j = search(&err, "q", "title:x OR \"NEAR( * ^", NULL);
    ok(j != NULL, "FTS syntax in user text is inert (%s)", j ? "ok" : err.msg);
    json_decref(j);
    j = search(&err, "q", "drones", NULL);
    ok(!strcmp(first_ocid(j), "ocds-b5fd17-a"), "relevance: title match ranks first (%s)", first_ocid(j));
    json_decref(j);
}

static void test_filters(void)
{
    struct bf_err err = { 0 };
    json_t *j;

    check_total(search(&err, "buyer", "BE-MOD", NULL), 2, "buyer filter");
    check_total(search(&err, "supplier", "BE-KBO-222", NULL), 1, "supplier filter");
    check_total(search(&err, "capability", "dronesUav", NULL), 1, "capability filter");
    check_total(search(&err, "procedure", "negotiatedWithoutPublication", NULL), 1, "procedure filter");
    check_total(search(&err, "cpv", "353", NULL), 1, "CPV prefix");
    check_total(search(&err, "cpv", "35", NULL), 2, "shorter CPV prefix");
    check_total(search(&err, "min", "1000000", NULL), 1, "minimum value");
    check_total(search(&err, "max", "1000000", NULL), 1, "maximum value (withheld value never matches)");
    check_total(search(&err, "year", "2024", NULL), 1, "year of contract signature");
    check_total(search(&err, "noncompetitive", "1", NULL), 1, "non-competitive only");
    check_total(search(&err, "status", "contract", NULL), 1, "stage contract");
    check_total(search(&err, "status", "tender", NULL), 1, "stage tender");
    check_total(search(&err, "from", "2025-01-01", "to", "2025-01-10", NULL), 1, "date range includes its last day");
    check_total(search(&err, "q", "drones", "buyer", "BE-POL", NULL), 1, "text and filter combined");
    check_total(search(&err, "q", "drones", "capability", "dronesUav", NULL), 1, "text and capability (facet terms)");
    check_total(search(&err, "q", "drones", "supplier", "FR-RCS-111", NULL), 1, "text and supplier");
    check_total(search(&err, "q", "drones", "supplier", "BE-KBO-222", NULL), 0, "text and another supplier");
    check_total(search(&err, "q", "drones", "cpv", "3561", NULL), 1, "text and CPV prefix");
    check_total(search(&err, "q", "drones", "cpv", "3", NULL), 1, "text and a one-digit CPV prefix");
    check_total(search(&err, "q", "drones", "year", "2024", "status", "contract", NULL), 1, "text, year and stage");
    check_total(search(&err, "q", "drones", "year", "2023", NULL), 0, "text and a year without it");
    check_total(search(&err, "q", "artillery", "noncompetitive", "1", NULL), 1, "text and non-competitive");
    check_total(search(&err, "q", "drones", "min", "800000", "max", "900000", NULL), 1, "text and a value range");
    check_total(search(&err, "q", "fcdronesuav", NULL), 0, "facet tokens are not searchable as text");
    j = search(&err, "sort", "value-desc", NULL);
    ok(!strcmp(first_ocid(j), "ocds-b5fd17-b"), "sort by value, largest first (%s)", first_ocid(j));
    json_decref(j);
    j = search(&err, "sort", "oldest", "per_page", "1", "page", "2", NULL);
    ok(total_of(j) == 3 && json_array_size(json_object_get(j, "results")) == 1 &&
           !strcmp(first_ocid(j), "ocds-b5fd17-c"),
       "paging: page 2 of 1 per page is the second oldest (%s)", first_ocid(j));
    json_decref(j);
}

static void test_bad_params(void)
{
    const char *bad[][2] = {
        { "cpv", "35x" }, { "min", "-1" }, { "max", "nan" }, { "from", "2024-1-1" }, { "year", "99999" },
        { "sort", "random" }, { "per_page", "1000" }, { "page", "0" }, { "noncompetitive", "yes" },
    };
    size_t i;
    for (i = 0; i < BF_ARRAY_LEN(bad); i++) {
        struct bf_err err = { 0 };
        json_t *j = search(&err, bad[i][0], bad[i][1], NULL);
        ok(!j && err.code == BF_EINVAL && strstr(err.msg, bad[i][0]), "%s=%s rejected: %s", bad[i][0], bad[i][1],
           err.msg);
        json_decref(j);
    }
    {
        struct bf_err err = { 0 };
        json_t *j = search(&err, "page", "2000", "per_page", "100", NULL);
        ok(!j && err.code == BF_EINVAL, "deep paging refused: %s", err.msg);
    }
}

static void test_withheld(void)
{
    struct bf_err err = { 0 };
    json_t *j = search(&err, "q", "radios", NULL), *r = json_array_get(json_object_get(j, "results"), 0);
    char *dump = j ? json_dumps(j, 0) : NULL;

    ok(r && json_is_null(json_object_get(r, "value")), "withheld tender value is shown as no value");
    ok(r && json_integer_value(json_object_get(r, "withheld")) == 1, "withheld field counted");
    ok(dump && !strstr(dump, "commitment") && !strstr(dump, "2030-01-01"), "no marker content in search results");
    free(dump);
    json_decref(j);
}

static void test_reindex_replaces(void)
{
    struct bf_err err = { 0 };
    const char *b2 =
        "{\"ocid\":\"ocds-b5fd17-b\",\"date\":\"2025-07-01T10:00:00Z\",\"buyer\":{\"id\":\"BE-MOD\",\"name\":\"Défense DG MR\"},"
        "\"tender\":{\"title\":\"Mortar rounds 120mm\",\"procurementMethod\":\"limited\"}}";
    ok(index_json(b2, 9) == 0, "re-index an ocid with a new compiled release");
    check_total(search(&err, "q", "shells", NULL), 0, "old text gone from the full-text index");
    check_total(search(&err, "q", "mortar", NULL), 1, "new text found");
    check_total(search(&err, "supplier", "BE-KBO-222", NULL), 0, "old supplier link gone");
    check_total(search(&err, NULL, NULL), 3, "still one row per procedure");
    ok(index_json(rel_b, 7) == 0, "restore the first version");
}

static void test_stats(void)
{
    struct bf_buf out = BF_BUF_INIT;
    struct bf_err err = { 0 };
    json_t *j, *tot, *y;
    size_t i;
    double y2024 = -1, y2025 = -1;

    ok(portal_stats_json(st, 0, NULL, &out, &err) == 0, "stats: %s", err.msg);
    j = json_loads(out.data ? out.data : "", 0, NULL);
    tot = json_object_get(j, "totals");
    ok(json_integer_value(json_object_get(tot, "count")) == 3, "stats count all procedures");
    ok(json_real_value(json_object_get(tot, "awarded")) == 12850000.0 ||
           json_number_value(json_object_get(tot, "awarded")) == 12850000.0,
       "awarded total in EUR (contract 850k + award 12M), got %g", json_number_value(json_object_get(tot, "awarded")));
    ok(json_integer_value(json_object_get(tot, "nonCompetitive")) == 1, "one non-competitive procedure");
    json_array_foreach(json_object_get(j, "byYear"), i, y) {
        const char *k = json_string_value(json_object_get(y, "key"));
        if (k && !strcmp(k, "2024"))
            y2024 = json_number_value(json_object_get(y, "awarded"));
        if (k && !strcmp(k, "2025"))
            y2025 = json_number_value(json_object_get(y, "awarded"));
    }
    ok(y2024 == 850000 && y2025 == 12000000, "per year: 2024 %g, 2025 %g", y2024, y2025);
    ok(json_array_size(json_object_get(j, "byCapability")) == 3, "capability buckets (dronesUav, ammunition, unknown)");
    json_decref(j);
    bf_buf_reset(&out);
    ok(portal_stats_json(st, 2025, "BE-MOD", &out, &err) == 0, "filtered stats");
    j = json_loads(out.data ? out.data : "", 0, NULL);
    tot = json_object_get(j, "totals");
    ok(json_integer_value(json_object_get(tot, "count")) == 1, "2025 + BE-MOD: one procedure");
    json_decref(j);
    bf_buf_free(&out);
}

static void test_orgs(void)
{
    struct bf_buf out = BF_BUF_INIT;
    struct bf_err err = { 0 };
    json_t *j, *r;
    size_t i;
    double supplier_total = -1;

    ok(portal_org_json(st, "FR-RCS-111", NULL, 1, 20, &out, &err) == 0, "organisation page: %s", err.msg);
    j = json_loads(out.data ? out.data : "", 0, NULL);
    ok(!strcmp(json_string_value(json_object_get(j, "name")) ?: "", "Aéro Systèmes SA"), "organisation name");
    json_array_foreach(json_object_get(j, "roles"), i, r) if (!strcmp(json_string_value(json_object_get(r, "key")), "supplier"))
        supplier_total = json_number_value(json_object_get(r, "awarded"));
    ok(supplier_total == 850000, "supplier's awarded total, got %g", supplier_total);
    ok(json_array_size(json_object_get(j, "procedures")) == 1, "supplier's procedures listed");
    json_decref(j);
    bf_buf_reset(&out);
    err.code = 0;
    ok(portal_org_json(st, "XX-NOBODY", NULL, 1, 20, &out, &err) == BF_ENOTFOUND, "unknown organisation: 404");
    bf_buf_reset(&out);
    ok(portal_orgs_json(st, "déf", "buyer", &out, &err) == 0 && out.data && strstr(out.data, "BE-MOD"),
       "organisation picker by name prefix: %s", out.data ? out.data : err.msg);
    bf_buf_free(&out);
}

static void test_fts_query(void)
{
    char q[256];
    ok(portal_fts_query("drones", q, sizeof q) == 1 && !strcmp(q, "\"drones\"*"), "one word is a prefix term: %s", q);
    ok(portal_fts_query("F-35 \"x\" ", q, sizeof q) == 3 && !strcmp(q, "\"F\" \"35\" \"x\""), "punctuation splits, "
       "trailing space ends the prefix: %s", q);
    ok(portal_fts_query(" -- ", q, sizeof q) == 0, "no searchable text");
    {
        /* 70 continuation bytes (found by fuzz_search_query): cut at 64
         * they hold no whole character, and used to become an empty "" */
        char w[128];
        memset(w, 0x80, 70);
        snprintf(w + 70, sizeof w - 70, " radar");
        ok(portal_fts_query(w, q, sizeof q) == 1 && !strcmp(q, "\"radar\"*"),
           "an over-long run of continuation bytes is no term: %s", q);
    }
}

static void test_cache(void)
{
    struct store_portal_filter a = { 0 }, b = { 0 };
    struct bf_buf ka = BF_BUF_INIT, kb = BF_BUF_INIT, out = BF_BUF_INIT;
    char *big = bf_xcalloc(1, PORTAL_CACHE_MAX_ENTRY + 2);
    int owner;

    a.fts = "\"drones\"*";
    a.limit = b.limit = 20;
    b.fts = "\"drones\"*";
    b.offset = 20;
    ok(portal_filter_key(&a, &ka) == 0 && portal_filter_key(&b, &kb) == 0 && strcmp(ka.data, kb.data) != 0,
       "different pages have different cache keys");
    portal_cache_put(&owner, ka.data, 7, "{\"x\":1}", 7);
    ok(portal_cache_get(&owner, ka.data, 7, &out) == 1 && out.data && !strcmp(out.data, "{\"x\":1}"), "hit");
    bf_buf_reset(&out);
    ok(portal_cache_get(&owner, ka.data, 8, &out) == 0 && out.len == 0, "a newer index generation misses");
    ok(portal_cache_get(&owner, kb.data, 7, &out) == 0, "another key misses");
    ok(portal_cache_get(st, ka.data, 7, &out) == 0, "another owner (store) misses");
    memset(big, 'x', PORTAL_CACHE_MAX_ENTRY + 1);
    portal_cache_put(&owner, kb.data, 7, big, PORTAL_CACHE_MAX_ENTRY + 1);
    ok(portal_cache_get(&owner, kb.data, 7, &out) == 0, "oversized responses are not kept");
    free(big);
    bf_buf_free(&ka);
    bf_buf_free(&kb);
    bf_buf_free(&out);
}

/* A store indexed by an older layout gets its portal tables rebuilt. */
static void test_schema_upgrade(const char *dir)
{
    char path[512];
    sqlite3 *db = NULL;
    struct bf_err err = { 0 };
    uint64_t next = 1;

    store_close(st);
    st = NULL;
    snprintf(path, sizeof path, "%s/belfry.db", dir);
    ok(sqlite3_open(path, &db) == SQLITE_OK &&
           sqlite3_exec(db, "UPDATE meta SET value = '1' WHERE key = 'portal.schema';"
                            "INSERT OR REPLACE INTO meta(key, value) VALUES('portal.cursor', '42');", NULL, NULL, NULL) == SQLITE_OK,
       "mark the store as indexed by layout 1");
    sqlite3_close(db);
    ok(store_open(dir, STORE_NOSYNC, &st, &err) == 0, "reopen: %s", err.msg);
    store_portal_cursor(st, &next, NULL);
    ok(next == 0, "cursor reset so the index is rebuilt from the log (%" PRIu64 ")", next);
    check_total(search(&err, NULL, NULL), 0, "old summaries dropped");
}

int main(void)
{
    char dir[] = "/tmp/belfry-test-portal-XXXXXX";
    struct bf_err err = { 0 };

    if (!mkdtemp(dir) || store_open(dir, STORE_CREATE | STORE_NOSYNC, &st, &err) < 0) {
        ok(0, "open store: %s", err.msg);
        return tap_done();
    }
    ok(index_json(rel_a, 3) == 0 && index_json(rel_b, 7) == 0 && index_json(rel_c, 8) == 0, "index three procedures");
    test_fts_query();
    test_text();
    test_filters();
    test_bad_params();
    test_withheld();
    test_reindex_replaces();
    test_stats();
    test_orgs();
    test_cache();
    test_schema_upgrade(dir);
    store_close(st);
    {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0)
            diag("could not remove %s", dir);
    }
    return tap_done();
}
