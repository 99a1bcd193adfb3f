/*
 * test_portal_plan.c - the search plans (one FTS5 query with facet terms,
 * ranked windows, index walks for broad searches, plain SQL without text)
 * against brute force: 2 600 generated procedures, 400 random searches mixing
 * text and every filter (date ranges included) and sort (a common word matches more procedures than
 * the relevance window, so both tiers and the broad plans run); paging
 * through each search must give exactly the result set a
 * direct scan of the generated data gives, counts included, and value sorts
 * must be ordered.
 */
#include "common.h"
#include "buf.h"
#include "portal/portal.h"
#include "store/store.h"
#include "tap.h"

#include <jansson.h>

#define NPROC 2600 /* more than STORE_PORTAL_RANK_WINDOW matches for the common word */
#define NSEARCH 400

static const char *const words[] = { "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel" };
static const char *const caps[] = { "dronesUav", "combatAircraft", "land", "airDefence", "ammunition", "other" };
static const char *const procs[] = { "restricted", "negotiatedWithPublication", "competitiveDialogue",
                                     "negotiatedWithoutPublication" };
static const char *const cpvs[] = { "35613000", "35330000", "34711000", "48000000", "73400000", "50600000" };

struct gen {
    char ocid[32];
    int w1, w2, buyer, supplier, cap, proc, cpv, year, has_amount;
    double amount;
};

static struct gen g[NPROC + 1]; /* the last one: indexed late (invalidation) */
static struct store *st;
static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static unsigned rnd(unsigned n)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return (unsigned)(rnd_state % n);
}

static json_t *compiled(const struct gen *x)
{
    char buyer[16], sup[16], date[32];
    json_t *r;

    snprintf(buyer, sizeof buyer, "BE-B%d", x->buyer);
    snprintf(sup, sizeof sup, "XX-S.%d", x->supplier);
    snprintf(date, sizeof date, "%d-06-%02dT00:00:00Z", x->year, 1 + (int)(x - g) % 28);
    r = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s,s:s,s:s,s:{s:s,s:s},s:[{s:s,s:{s:s,s:s}}]}}", "ocid", x->ocid, "date",
                  date, "buyer", "id", buyer, "name", "Ministry", "tender", "title", words[x->w1], "description",
                  words[x->w2], "procurementMethod",
                  strcmp(procs[x->proc], "negotiatedWithoutPublication") ? "selective" : "limited", "defence",
                  "procedure", procs[x->proc], "capabilityArea", caps[x->cap], "items", "id", "1", "classification",
                  "scheme", "CPV", "id", cpvs[x->cpv]);
    if (x->has_amount) {
        char aw[32];
        snprintf(aw, sizeof aw, "%d-05-01T00:00:00Z", x->year);
        json_object_set_new(r, "awards",
                            json_pack("[{s:s,s:s,s:s,s:{s:f,s:s},s:[{s:s,s:s}]}]", "id", "a", "status", "active",
                                      "date", aw, "value", "amount", x->amount, "currency", "EUR", "suppliers", "id",
                                      sup, "name", "Vendor"));
    }
    return r;
}

static int setup(const char *dir)
{
    struct store_txn *t;
    struct bf_err err = { 0 };
    int i, rc;

    if ((rc = store_open(dir, STORE_CREATE | STORE_NOSYNC, &st, &err)) < 0 || (rc = store_txn_begin(st, &t, &err)) < 0)
        return rc;
    for (i = 0; i < NPROC && !rc; i++) {
        struct gen *x = &g[i];
        json_t *r;
        snprintf(x->ocid, sizeof x->ocid, "ocds-plan-%04d", i);
        x->w1 = rnd(10) < 9 ? 0 : (int)rnd(8); /* "alpha" in ~90 %: a broad text search */
        x->w2 = (int)rnd(8);
        x->buyer = (int)rnd(4);
        x->supplier = (int)rnd(5);
        x->cap = (int)rnd(6);
        x->proc = (int)rnd(4);
        x->cpv = (int)rnd(6);
        x->year = 2019 + (int)rnd(6);
        x->has_amount = rnd(10) < 8;
        x->amount = 1000.0 * (1 + rnd(5000));
        r = compiled(x);
        rc = portal_index_compiled(t, (uint64_t)i, r, &err);
        json_decref(r);
    }
    if (rc) {
        diag("index: %s", err.msg);
        store_txn_rollback(t);
        return rc;
    }
    return store_txn_commit(t, &err);
}

/* One random search, as parameters and as a predicate. */
struct query {
    int word, buyer, supplier, cap, proc, cpv2, cpv1, year, nc, sort;
    char from[16], to[16]; /* YYYY-MM-DD or empty */
    double min, max;
    int has_min, has_max;
};

static int matches(const struct gen *x, const struct query *q)
{
    if (q->word >= 0 && x->w1 != q->word && x->w2 != q->word)
        return 0;
    if ((q->buyer >= 0 && x->buyer != q->buyer) || (q->cap >= 0 && x->cap != q->cap) ||
        (q->proc >= 0 && x->proc != q->proc) || (q->year && x->year != q->year))
        return 0;
    if (q->supplier >= 0 && (!x->has_amount || x->supplier != q->supplier))
        return 0;
    if (q->cpv2 >= 0 && strncmp(cpvs[x->cpv], cpvs[q->cpv2], 2) != 0)
        return 0;
    if (q->cpv1 >= 0 && cpvs[x->cpv][0] != cpvs[q->cpv1][0])
        return 0;
    if (q->nc && x->proc != 3)
        return 0;
    if (q->has_min && (!x->has_amount || x->amount < q->min))
        return 0;
    if (q->has_max && (!x->has_amount || x->amount > q->max))
        return 0;
    if (q->from[0] || q->to[0]) { /* the latest release date, as compiled() writes it */
        char date[32];
        snprintf(date, sizeof date, "%d-06-%02dT00:00:00Z", x->year, 1 + (int)(x - g) % 28);
        if ((q->from[0] && strcmp(date, q->from) < 0) || (q->to[0] && strncmp(date, q->to, 10) > 0))
            return 0;
    }
    return 1;
}

struct params {
    char kv[32][48];
    int n;
};

static void put(struct params *p, const char *k, const char *v)
{
    snprintf(p->kv[p->n++], 48, "%s", k);
    snprintf(p->kv[p->n++], 48, "%s", v);
}

static const char *pget(void *arg, const char *name)
{
    struct params *p = arg;
    int i;
    for (i = 0; i < p->n; i += 2)
        if (!strcmp(p->kv[i], name))
            return p->kv[i + 1];
    return NULL;
}

static void random_query(struct query *q, struct params *p)
{
    static const char *const sorts[] = { "relevance", "newest", "oldest", "value-desc", "value-asc" };
    char v[48];

    memset(q, 0, sizeof *q);
    memset(p, 0, sizeof *p);
    q->word = rnd(3) ? (int)rnd(8) : -1;
    q->buyer = rnd(4) == 0 ? (int)rnd(4) : -1;
    q->supplier = rnd(6) == 0 ? (int)rnd(5) : -1;
    q->cap = rnd(4) == 0 ? (int)rnd(6) : -1;
    q->proc = rnd(5) == 0 ? (int)rnd(4) : -1;
    q->cpv2 = rnd(6) == 0 ? (int)rnd(6) : -1;
    q->cpv1 = q->cpv2 < 0 && rnd(8) == 0 ? (int)rnd(6) : -1;
    q->year = rnd(4) == 0 ? 2019 + (int)rnd(6) : 0;
    q->nc = rnd(8) == 0;
    q->has_min = rnd(5) == 0;
    q->has_max = rnd(6) == 0;
    q->min = 1000.0 * rnd(3000);
    q->max = q->min + 1000.0 * rnd(4000);
    q->sort = (int)rnd(5);
    if (rnd(4) == 0) /* a date range, sometimes open on one side (drives counts of common words) */
        snprintf(q->from, sizeof q->from, "%d-06-%02d", 2019 + (int)rnd(6), 1 + (int)rnd(28));
    if (rnd(4) == 0)
        snprintf(q->to, sizeof q->to, "%d-06-%02d", 2019 + (int)rnd(6), 1 + (int)rnd(28));
    if (q->word >= 0)
        put(p, "q", words[q->word]);
    if (q->buyer >= 0)
        snprintf(v, sizeof v, "BE-B%d", q->buyer), put(p, "buyer", v);
    if (q->supplier >= 0)
        snprintf(v, sizeof v, "XX-S.%d", q->supplier), put(p, "supplier", v);
    if (q->cap >= 0)
        put(p, "capability", caps[q->cap]);
    if (q->proc >= 0)
        put(p, "procedure", procs[q->proc]);
    if (q->cpv2 >= 0)
        snprintf(v, sizeof v, "%.2s", cpvs[q->cpv2]), put(p, "cpv", v);
    if (q->cpv1 >= 0)
        snprintf(v, sizeof v, "%.1s", cpvs[q->cpv1]), put(p, "cpv", v);
    if (q->year)
        snprintf(v, sizeof v, "%d", q->year), put(p, "year", v);
    if (q->nc)
        put(p, "noncompetitive", "1");
    if (q->has_min)
        snprintf(v, sizeof v, "%.0f", q->min), put(p, "min", v);
    if (q->has_max)
        snprintf(v, sizeof v, "%.0f", q->max), put(p, "max", v);
    if (q->from[0])
        put(p, "from", q->from);
    if (q->to[0])
        put(p, "to", q->to);
    put(p, "sort", sorts[q->sort]);
    put(p, "per_page", "100");
}

/* All result ocids of a search (every page) into seen[], and in result
 * order into order[] (when not NULL); pages 1..30 in turn, or, with
 * npages > 0, pages npages..1 backwards (a later page asked first: the
 * cached id list then serves pages of a list made for another page).
 * -1 on error. */
static long run(struct params *p, unsigned char *seen, int *ordered, int *order, int npages, struct bf_err *err)
{
    long total = -1, got = 0;
    double last = 0;
    int page, first = 1, step;

    *ordered = 1;
    for (step = 0; step < 30; step++) {
        page = npages > 0 ? npages - step : step + 1;
        if (page < 1)
            break;
        struct store_portal_filter f;
        struct bf_arena a = BF_ARENA_INIT;
        struct bf_buf out = BF_BUF_INIT;
        json_t *j, *r;
        size_t i;
        char pg[8];

        snprintf(pg, sizeof pg, "%d", page);
        put(p, "page", pg);
        if (portal_filter_parse(pget, p, &a, &f, err) < 0 || portal_search_json(st, &f, &out, err) < 0) {
            bf_arena_free(&a);
            bf_buf_free(&out);
            return -1;
        }
        p->n -= 2;
        j = json_loads(out.data, 0, NULL);
        total = (long)json_integer_value(json_object_get(j, "total"));
        json_array_foreach(json_object_get(j, "results"), i, r) {
            const char *ocid = json_string_value(json_object_get(r, "ocid"));
            json_t *v = json_object_get(json_object_get(r, "value"), "amount");
            int k = atoi(ocid + strlen("ocds-plan-"));
            seen[k]++;
            if (order && npages <= 0)
                order[(page - 1) * 100 + (int)i] = k;
            else if (order)
                got += order[(page - 1) * 100 + (int)i] != k ? 1000000 : 0; /* same order as the first run */
            got++;
            if (v && (f.sort == STORE_PORTAL_SORT_VALUE_DESC || f.sort == STORE_PORTAL_SORT_VALUE_ASC)) {
                double x = json_number_value(v);
                if (!first && (f.sort == STORE_PORTAL_SORT_VALUE_DESC ? x > last : x < last))
                    *ordered = 0;
                last = x;
                first = 0;
            }
        }
        json_decref(j);
        bf_arena_free(&a);
        bf_buf_free(&out);
        if (npages <= 0 && got >= total)
            break;
    }
    return got == total ? total : -2;
}

/* The total of one search (q, sort), -1 on error. */
static long total_of(const char *q, const char *sort, int page)
{
    struct params p = { 0 };
    struct store_portal_filter f;
    struct bf_arena a = BF_ARENA_INIT;
    struct bf_buf out = BF_BUF_INIT;
    struct bf_err err = { 0 };
    long total = -1;
    char pg[8];

    snprintf(pg, sizeof pg, "%d", page);
    put(&p, "q", q);
    put(&p, "sort", sort);
    put(&p, "page", pg);
    if (portal_filter_parse(pget, &p, &a, &f, &err) == 0 && portal_search_json(st, &f, &out, &err) == 0) {
        json_t *j = json_loads(out.data, 0, NULL);
        total = (long)json_integer_value(json_object_get(j, "total"));
        json_decref(j);
    }
    bf_arena_free(&a);
    bf_buf_free(&out);
    return total;
}

/* A procedure indexed after searches were cached is found by them at once:
 * the id lists and counts are keyed by the index generation. */
static void invalidation(void)
{
    struct store_txn *t;
    struct bf_err err = { 0 };
    struct gen *x = &g[NPROC];
    long alpha = total_of("alpha", "relevance", 1), alpha_new = total_of("alpha", "newest", 2);
    long zulu = total_of("zulu", "relevance", 1);
    json_t *r;
    int rc;

    /* cached now; asked again they must not change */
    ok(total_of("alpha", "relevance", 3) == alpha && total_of("alpha", "newest", 1) == alpha_new && zulu == 0,
       "cached totals are stable (alpha %ld, zulu %ld)", alpha, zulu);
    *x = g[0];
    snprintf(x->ocid, sizeof x->ocid, "ocds-plan-new");
    x->w1 = 0; /* "alpha" */
    rc = store_txn_begin(st, &t, &err);
    if (!rc) {
        r = compiled(x);
        json_object_set_new(json_object_get(r, "tender"), "description", json_string("zulu"));
        rc = portal_index_compiled(t, NPROC, r, &err);
        json_decref(r);
        rc = rc ? (store_txn_rollback(t), rc) : store_txn_commit(t, &err);
    }
    ok(rc == 0 && total_of("alpha", "relevance", 1) == alpha + 1 && total_of("alpha", "relevance", 3) == alpha + 1 &&
           total_of("alpha", "newest", 2) == alpha_new + 1 && total_of("zulu", "relevance", 1) == 1,
       "a new procedure invalidates the cached lists and counts (%s)", err.msg);
}

int main(void)
{
    char dir[] = "/tmp/belfry-test-portal-plan-XXXXXX";
    int i, k, bad = 0, unordered = 0, nonempty = 0;

    if (!mkdtemp(dir) || setup(dir) < 0) {
        ok(0, "set up %d procedures", NPROC);
        return tap_done();
    }
    ok(1, "indexed %d generated procedures", NPROC);
    for (i = 0; i < NSEARCH; i++) {
        struct query q;
        struct params p;
        struct bf_err err = { 0 };
        unsigned char seen[NPROC] = { 0 };
        static int order[NPROC + 100];
        long want = 0, got;
        int ordered, diff = 0;

        random_query(&q, &p);
        for (k = 0; k < NPROC; k++)
            want += matches(&g[k], &q);
        got = run(&p, seen, &ordered, order, 0, &err);
        for (k = 0; k < NPROC && got >= 0; k++)
            diff += seen[k] != (unsigned char)matches(&g[k], &q);
        /* Again, now from the cached id lists and counts, pages backwards:
         * the same results in the same order. */
        if (got >= 0 && !diff) {
            long again;
            int backwards; /* value order across pages is checked forwards only */
            memset(seen, 0, sizeof seen);
            again = run(&p, seen, &backwards, order, (int)((got + 99) / 100), &err);
            for (k = 0; k < NPROC && again >= 0; k++)
                diff += seen[k] != (unsigned char)matches(&g[k], &q);
            if (again != got)
                got = again < 0 ? again : -3;
        }
        if (got != want || diff) {
            if (bad++ < 5) {
                diag("search %d: got %ld, want %ld, %d differ (%s)", i, got, want, diff, err.msg);
                for (k = 0; k < p.n; k += 2)
                    diag("  %s=%s", p.kv[k], p.kv[k + 1]);
            }
        }
        unordered += !ordered;
        nonempty += want > 0;
    }
    ok(bad == 0, "%d random searches give exactly the brute-force result sets, asked twice (cached), same order (%d wrong)",
       NSEARCH, bad);
    invalidation();
    ok(unordered == 0, "value sorts are ordered (%d not)", unordered);
    ok(nonempty > NSEARCH / 3, "the searches are not trivially empty (%d of %d have results)", nonempty, NSEARCH);
    store_close(st);
    {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0)
            diag("could not remove %s", dir);
    }
    return tap_done();
}
