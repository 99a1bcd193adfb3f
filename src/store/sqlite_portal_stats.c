/*
 * sqlite_portal_stats.c - aggregates over the portal's tables: spending
 * per year, capability area, procedure type and status for the dashboard,
 * and per-organisation totals and procedure lists.
 *
 * Money is summed in EUR only (amounts in other currencies are counted but
 * not added, so totals never mix currencies). "awarded" counts contracts
 * and awards; "estimated" counts estimates of procedures not yet awarded;
 * the two are never added together.
 */
#define STORE_SQLITE_INTERNAL
#include "common.h"
#include "store.h"
#include "store_portal.h"

#define AGG_COLS                                                                                                \
    " count(*), sum(noncompetitive), sum(withheld > 0),"                                                        \
    " total(amount) FILTER (WHERE currency = 'EUR' AND amount_kind IN ('contract', 'award')),"                  \
    " total(amount) FILTER (WHERE currency = 'EUR' AND amount_kind IN ('contract', 'award') AND noncompetitive),"\
    " total(amount) FILTER (WHERE currency = 'EUR' AND amount_kind IN ('tender', 'planning'))"
#define AGG_WHERE " FROM portal_proc WHERE (?1 = 0 OR year = ?1) AND (?2 IS NULL OR buyer_id = ?2)"

static const char q_by_year[] = "SELECT year," AGG_COLS AGG_WHERE " GROUP BY year ORDER BY year";
static const char q_by_capability[] =
    "SELECT coalesce(capability, 'unknown')," AGG_COLS AGG_WHERE " GROUP BY 1 ORDER BY 5 DESC, 2 DESC";
static const char q_by_procedure[] =
    "SELECT coalesce(procedure, 'unknown')," AGG_COLS AGG_WHERE " GROUP BY 1 ORDER BY 2 DESC";
static const char q_by_status[] =
    "SELECT coalesce(status, 'unknown')," AGG_COLS AGG_WHERE " GROUP BY 1 ORDER BY 2 DESC";

static void read_bucket(sqlite3_stmt *st, struct store_portal_bucket *b)
{
    b->key = (const char *)sqlite3_column_text(st, 0);
    b->count = (long)sqlite3_column_int64(st, 1);
    b->noncompetitive = (long)sqlite3_column_int64(st, 2);
    b->withheld = (long)sqlite3_column_int64(st, 3);
    b->awarded = sqlite3_column_double(st, 4);
    b->awarded_noncompetitive = sqlite3_column_double(st, 5);
    b->estimated = sqlite3_column_double(st, 6);
}

static int each_bucket(struct store_conn *c, sqlite3_stmt *st, store_portal_bucket_cb cb, void *arg,
                       struct bf_err *err)
{
    struct store_portal_bucket b;
    int rc;

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        read_bucket(st, &b);
        if (!b.key)
            b.key = "unknown";
        if ((rc = cb(arg, &b)) != 0) {
            sqlite3_reset(st);
            return rc;
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : store_sqlite_error(c->db, rc, err, "portal stats");
}

int store_portal_stats(struct store *s, enum store_portal_group g, int year, const char *buyer,
                       store_portal_bucket_cb cb, void *arg, struct bf_err *err)
{
    static const char *const qs[] = { q_by_year, q_by_capability, q_by_procedure, q_by_status };
    struct store_conn *c = store_sqlite_reader(s, err);
    sqlite3_stmt *st;

    if (!c)
        return BF_EIO;
    if ((unsigned)g >= BF_ARRAY_LEN(qs))
        return bf_err_set(err, BF_EINVAL, "unknown grouping");
    if (!(st = store_sqlite_stmt(c, qs[g], err)))
        return BF_EIO;
    sqlite3_bind_int(st, 1, year);
    if (buyer)
        sqlite3_bind_text(st, 2, buyer, -1, SQLITE_STATIC);
    return each_bucket(c, st, cb, arg, err);
}

static int org_name(struct store_conn *c, const char *org_id, char **name, struct bf_err *err)
{
    static const char q[] = "SELECT pp.name FROM portal_party pp JOIN portal_proc p ON p.id = pp.proc_id"
                            " WHERE pp.org_id = ? ORDER BY p.date DESC LIMIT 1";
    sqlite3_stmt *st = store_sqlite_stmt(c, q, err);
    int rc;

    *name = NULL;
    if (!st)
        return BF_EIO;
    sqlite3_bind_text(st, 1, org_id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *name = bf_xstrdup(sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : org_id);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_sqlite_error(c->db, rc, err, "portal organisation");
    return 0;
}

int store_portal_org(struct store *s, const char *org_id, char **name, store_portal_bucket_cb cb, void *arg,
                     struct bf_err *err)
{
    static const char q[] =
        "SELECT pp.role, count(*), sum(p.noncompetitive), sum(p.withheld > 0),"
        " total(pp.amount) FILTER (WHERE p.currency = 'EUR'),"
        " total(pp.amount) FILTER (WHERE p.currency = 'EUR' AND p.noncompetitive), 0"
        " FROM portal_party pp JOIN portal_proc p ON p.id = pp.proc_id WHERE pp.org_id = ?"
        " GROUP BY pp.role ORDER BY pp.role";
    struct store_conn *c = store_sqlite_reader(s, err);
    sqlite3_stmt *st;
    int rc;

    *name = NULL;
    if (!c)
        return BF_EIO;
    if ((rc = org_name(c, org_id, name, err)) < 0 || !*name)
        return rc;
    if (!(st = store_sqlite_stmt(c, q, err)))
        return BF_EIO;
    sqlite3_bind_text(st, 1, org_id, -1, SQLITE_STATIC);
    return each_bucket(c, st, cb, arg, err);
}

int store_portal_orgs(struct store *s, const char *prefix, const char *role, int limit, store_portal_org_cb cb,
                      void *arg, struct bf_err *err)
{
    static const char q[] =
        "SELECT org_id, max(name), role, count(*) FROM portal_party"
        " WHERE name LIKE ?1 ESCAPE '\\' AND (?2 IS NULL OR role = ?2)"
        " GROUP BY org_id, role ORDER BY 4 DESC, 1 LIMIT ?3";
    struct store_conn *c = store_sqlite_reader(s, err);
    char pat[130];
    size_t i, n = 0;
    sqlite3_stmt *st;
    int rc;

    if (!c)
        return BF_EIO;
    for (i = 0; prefix[i] && n + 3 < sizeof pat; i++) {
        if (prefix[i] == '%' || prefix[i] == '_' || prefix[i] == '\\')
            pat[n++] = '\\';
        pat[n++] = prefix[i];
    }
    pat[n++] = '%';
    pat[n] = 0;
    if (!(st = store_sqlite_stmt(c, q, err)))
        return BF_EIO;
    sqlite3_bind_text(st, 1, pat, -1, SQLITE_TRANSIENT);
    if (role)
        sqlite3_bind_text(st, 2, role, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        rc = cb(arg, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
                (const char *)sqlite3_column_text(st, 2), (long)sqlite3_column_int64(st, 3));
        if (rc) {
            sqlite3_reset(st);
            return rc;
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : store_sqlite_error(c->db, rc, err, "portal organisations");
}
