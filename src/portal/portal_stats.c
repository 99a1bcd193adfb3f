/*
 * portal_stats.c - the JSON of the spending dashboard and of the
 * organisation pages.
 *
 * The unfiltered dashboard scans every summary row, so its JSON is cached
 * and rebuilt only when the indexer has committed something new (the
 * portal generation changed); filtered variants (one year, one buyer) use
 * indexes and are computed per request.
 */
#include "common.h"
#include "buf.h"
#include "portal.h"

#include <pthread.h>

struct acc {
    struct bf_buf *out;
    int n;
    struct store_portal_bucket sum;
};

static int bucket_json(struct bf_buf *b, const struct store_portal_bucket *k)
{
    int rc = bf_buf_puts(b, "{\"key\":");
    rc |= bf_buf_json_str(b, k->key, strlen(k->key));
    rc |= bf_buf_printf(b,
                        ",\"count\":%ld,\"nonCompetitive\":%ld,\"withheld\":%ld,\"awarded\":%.15g,"
                        "\"awardedNonCompetitive\":%.15g,\"estimated\":%.15g,\"nonCompetitiveShare\":%.4f}",
                        k->count, k->noncompetitive, k->withheld, k->awarded, k->awarded_noncompetitive, k->estimated,
                        k->count ? (double)k->noncompetitive / (double)k->count : 0.0);
    return rc ? BF_ELIMIT : 0;
}

static int bucket_cb(void *arg, const struct store_portal_bucket *k)
{
    struct acc *a = arg;
    if (a->n++ && bf_buf_putc(a->out, ',') < 0)
        return BF_ELIMIT;
    a->sum.count += k->count;
    a->sum.noncompetitive += k->noncompetitive;
    a->sum.withheld += k->withheld;
    a->sum.awarded += k->awarded;
    a->sum.awarded_noncompetitive += k->awarded_noncompetitive;
    a->sum.estimated += k->estimated;
    return bucket_json(a->out, k);
}

static int group_json(struct store *s, const char *name, enum store_portal_group g, int year, const char *buyer,
                      struct bf_buf *out, struct store_portal_bucket *sum, struct bf_err *err)
{
    struct acc a = { out, 0, { 0 } };
    int rc = bf_buf_printf(out, "\"%s\":[", name);
    if (rc < 0)
        return rc;
    rc = store_portal_stats(s, g, year, buyer, bucket_cb, &a, err);
    if (rc < 0)
        return rc;
    if (sum)
        *sum = a.sum;
    return bf_buf_puts(out, "],");
}

static int stats_build(struct store *s, int year, const char *buyer, struct bf_buf *out, struct bf_err *err)
{
    struct store_portal_bucket total = { 0 };
    int rc;

    rc = bf_buf_puts(out, "{\"currency\":\"EUR\",");
    if (!rc)
        rc = group_json(s, "byYear", STORE_PORTAL_BY_YEAR, year, buyer, out, NULL, err);
    if (!rc)
        rc = group_json(s, "byCapability", STORE_PORTAL_BY_CAPABILITY, year, buyer, out, NULL, err);
    if (!rc)
        rc = group_json(s, "byProcedure", STORE_PORTAL_BY_PROCEDURE, year, buyer, out, NULL, err);
    if (!rc)
        rc = group_json(s, "byStatus", STORE_PORTAL_BY_STATUS, year, buyer, out, &total, err);
    if (rc)
        return rc;
    total.key = "all";
    rc = bf_buf_puts(out, "\"totals\":");
    rc = rc ? rc : bucket_json(out, &total);
    rc = rc ? rc : bf_buf_printf(out, ",\"year\":%d}", year);
    return rc;
}

static struct {
    pthread_mutex_t mu;
    struct store *s;
    uint64_t gen;
    char *json;
    size_t len;
} cache = { PTHREAD_MUTEX_INITIALIZER, NULL, 0, NULL, 0 };

int portal_stats_json(struct store *s, int year, const char *buyer, struct bf_buf *out, struct bf_err *err)
{
    struct bf_buf fresh = BF_BUF_INIT;
    uint64_t gen = portal_generation();
    int rc, cacheable = !year && !buyer;

    if (cacheable) {
        pthread_mutex_lock(&cache.mu);
        if (cache.json && cache.s == s && cache.gen == gen) {
            rc = bf_buf_append(out, cache.json, cache.len);
            pthread_mutex_unlock(&cache.mu);
            return rc;
        }
        pthread_mutex_unlock(&cache.mu);
    }
    bf_buf_init(&fresh, 4 << 20);
    rc = stats_build(s, year, buyer, &fresh, err);
    if (rc == BF_ELIMIT)
        bf_err_set(err, rc, "statistics too large");
    if (!rc)
        rc = bf_buf_append(out, fresh.data, fresh.len);
    if (!rc && cacheable) {
        pthread_mutex_lock(&cache.mu);
        free(cache.json);
        cache.s = s;
        cache.gen = gen;
        cache.json = bf_buf_take(&fresh, &cache.len);
        pthread_mutex_unlock(&cache.mu);
    }
    bf_buf_free(&fresh);
    return rc;
}

/* ---- organisations ------------------------------------------------------ */

struct rows {
    struct bf_buf *out;
    int n;
};

static int row_cb(void *arg, const struct store_portal_proc *r)
{
    struct rows *w = arg;
    if (w->n++ && bf_buf_putc(w->out, ',') < 0)
        return BF_ELIMIT;
    return portal_row_json(w->out, r);
}

int portal_org_json(struct store *s, const char *org_id, const char *role, int page, int per_page,
                    struct bf_buf *out, struct bf_err *err)
{
    struct acc roles = { out, 0, { 0 } };
    struct rows w = { out, 0 };
    char *name = NULL;
    long total = 0;
    int rc;

    rc = bf_buf_puts(out, "{\"id\":");
    rc = rc ? rc : bf_buf_json_str(out, org_id, strlen(org_id));
    rc = rc ? rc : bf_buf_puts(out, ",\"roles\":[");
    if (rc)
        goto out;
    rc = store_portal_org(s, org_id, &name, bucket_cb, &roles, err);
    if (!rc && !name)
        rc = bf_err_set(err, BF_ENOTFOUND, "no organisation %s in any procedure", org_id);
    if (rc)
        goto out;
    rc = bf_buf_puts(out, "],\"name\":");
    rc = rc ? rc : bf_buf_json_str(out, name, strlen(name));
    rc = rc ? rc : bf_buf_puts(out, ",\"procedures\":[");
    if (rc)
        goto out;
    rc = store_portal_org_procs(s, org_id, role, per_page, (page - 1) * per_page, row_cb, &w, &total, err);
    if (!rc)
        rc = bf_buf_printf(out, "],\"total\":%ld,\"page\":%d,\"perPage\":%d}", total, page, per_page);
out:
    if (rc == BF_ELIMIT)
        bf_err_set(err, rc, "organisation response too large");
    free(name);
    return rc;
}

static int org_cb(void *arg, const char *id, const char *name, const char *role, long count)
{
    struct rows *w = arg;
    int rc = w->n++ ? bf_buf_putc(w->out, ',') : 0;
    rc |= bf_buf_puts(w->out, "{\"id\":") | bf_buf_json_str(w->out, id, strlen(id));
    rc |= bf_buf_puts(w->out, ",\"name\":");
    rc |= name ? bf_buf_json_str(w->out, name, strlen(name)) : bf_buf_puts(w->out, "null");
    rc |= bf_buf_puts(w->out, ",\"role\":") | bf_buf_json_str(w->out, role, strlen(role));
    rc |= bf_buf_printf(w->out, ",\"procedures\":%ld}", count);
    return rc ? BF_ELIMIT : 0;
}

int portal_orgs_json(struct store *s, const char *prefix, const char *role, struct bf_buf *out, struct bf_err *err)
{
    struct rows w = { out, 0 };
    int rc = bf_buf_puts(out, "{\"organisations\":[");
    if (!rc)
        rc = store_portal_orgs(s, prefix, role, 20, org_cb, &w, err);
    if (!rc)
        rc = bf_buf_puts(out, "]}");
    return rc;
}
