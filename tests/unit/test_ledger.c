/*
 * test_ledger.c - the running ledger: init and open rules, input limits,
 * hooks in savepoints, concurrent group commit, receipts and consistency
 * proofs that verify, restart recovery, the process lock, and detection
 * of tampered or damaged stores by open and by ledger_check.
 */
#define STORE_SQLITE_INTERNAL
#include "common.h"
#include "tap.h"
#include "testutil.h"
#include "buf.h"
#include "fs.h"
#include "ledger/ledger.h"
#include "ledger/ledger_int.h"
#include "store/store.h"
#include "store/store_log.h"

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>

static char tmpdir[256];

static void dir_of(const char *sub, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", tmpdir, sub);
}

static int mk(const char *sub, unsigned flags, struct store **s, struct ledger **l, struct bf_err *err)
{
    char dir[512];
    dir_of(sub, dir, sizeof dir);
    *l = NULL;
    if (store_open(dir, STORE_CREATE | flags, s, err) < 0)
        return -1;
    if (ledger_init(*s, "belfry.test/log", NULL, err) < 0 || ledger_open(*s, NULL, l, err) < 0) {
        store_close(*s);
        *s = NULL;
        return -1;
    }
    return 0;
}

static int append1(struct ledger *l, const char *e, uint64_t *idx)
{
    struct ledger_item it = { e, strlen(e), NULL, NULL, 0, 0, 0, { 0, "" } };
    int rc = ledger_append(l, &it, 1, NULL);
    if (idx)
        *idx = it.index;
    return rc;
}

/* Makes log <sub> with n entries, fmt of their number, and closes it (to be
 * tampered with); its folder in dir. Reports a failure and returns -1 if it
 * cannot be made. */
static int mk_closed(const char *sub, int n, const char *fmt, char *dir, size_t cap)
{
    struct bf_err err = { 0, "" };
    struct store *s;
    struct ledger *l;
    char e[128];
    int i;

    if (mk(sub, STORE_NOSYNC, &s, &l, &err) < 0) {
        ok(0, "open %s: %s", sub, err.msg);
        return -1;
    }
    for (i = 0; i < n; i++) {
        snprintf(e, sizeof e, fmt, i);
        append1(l, e, NULL);
    }
    ledger_close(l);
    store_close(s);
    dir_of(sub, dir, cap);
    return 0;
}

/* Runs one SQL statement on the store file directly (tampering). */
static int raw_sql(const char *sub, const char *sql)
{
    char path[600];
    sqlite3 *db;
    int rc;
    snprintf(path, sizeof path, "%s/%s/belfry.db", tmpdir, sub);
    if (sqlite3_open(path, &db) != SQLITE_OK)
        return -1;
    rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : -1;
}

static void test_init_rules(void)
{
    struct bf_err err = { 0, "" };
    struct store *s;
    struct ledger *l;
    char dir[512], key[600];
    struct stat st;

    ok(mk("a", STORE_NOSYNC, &s, &l, &err) == 0, "init + open a new log %s", err.msg);
    ok(ledger_init(s, "belfry.test/log", NULL, &err) == BF_EEXIST && strstr(err.msg, "already has a log"),
       "a second init is refused: %s", err.msg);
    dir_of("a", dir, sizeof dir);
    snprintf(key, sizeof key, "%s/log/key", dir);
    memset(&st, 0, sizeof st);
    stat(key, &st);
    ok((st.st_mode & 0777) == 0600, "log key file has mode 0600 (%o)", st.st_mode & 0777);
    ok(ledger_size(l) == 0 && !strcmp(ledger_origin(l), "belfry.test/log") &&
           !strncmp(ledger_vkey(l), "belfry.test/log+", 16),
       "empty log: size 0, origin and vkey %s", ledger_vkey(l));
    {
        struct ledger *l2 = NULL;
        struct store *s2 = NULL;
        int rc = store_open(dir, 0, &s2, &err) == 0 ? ledger_open(s2, NULL, &l2, &err) : -99;
        ok(rc == BF_ECONFLICT && strstr(err.msg, "another belfry process"), "second writer refused: %s", err.msg);
        ok(ledger_lock_held(dir) == 1, "the log lock shows as held while the log is open");
        ledger_close(l2);
        store_close(s2);
    }
    ledger_close(l);
    store_close(s);
    ok(ledger_lock_held(dir) == 0, "and as free once it is closed");

    dir_of("b", dir, sizeof dir);
    ok(store_open(dir, STORE_CREATE | STORE_NOSYNC, &s, &err) == 0, "store b");
    ok(ledger_init(s, "has space", NULL, &err) == BF_EINVAL, "origin with a space refused: %s", err.msg);
    ok(ledger_init(s, "a+b", NULL, &err) == BF_EINVAL, "origin with '+' refused");
    ok(ledger_init(s, "other.example/log",
                   "PRIVATE+KEY+example.com/log/testdata+33d7b496+AeymY/SZAX0jZcJ8enZ5FY1Dz+wTML2yWSkK+9DSF3eg",
                   &err) == BF_EINVAL && strstr(err.msg, "must be equal"),
       "key name different from origin refused: %s", err.msg);
    ok(ledger_init(s, "x.example/log", "PRIVATE+KEY+garbage", &err) < 0, "malformed key refused: %s", err.msg);
    ok(ledger_open(s, NULL, &l, &err) == BF_ENOTFOUND && strstr(err.msg, "belfry init"),
       "open without a log says to run init: %s", err.msg);
    store_close(s);
}

static int hook_meta(struct store_txn *t, uint64_t index, void *arg, struct bf_err *err)
{
    char key[64];
    int fail = arg != NULL;
    snprintf(key, sizeof key, "test.hook.%" PRIu64, index);
    if (store_meta_set(t, key, fail ? "doomed" : "kept", err) < 0)
        return -1;
    if (fail)
        return bf_err_set(err, BF_ECONFLICT, "rule 42 says no");
    return 0;
}

static void test_limits_and_hooks(void)
{
    struct bf_err err = { 0, "" };
    struct store *s;
    struct ledger *l;
    char *big = bf_xmalloc(TLOG_MAX_ENTRY + 1);
    struct ledger_item it[5];
    char *v = NULL;

    if (mk("c", STORE_NOSYNC, &s, &l, &err) < 0) {
        ok(0, "open c: %s", err.msg);
        free(big);
        return;
    }
    memset(big, 'x', TLOG_MAX_ENTRY + 1);
    memset(it, 0, sizeof it);
    it[0].entry = "first";
    it[0].len = 5;
    it[1].entry = big;
    it[1].len = TLOG_MAX_ENTRY + 1;
    it[2].entry = "";
    it[2].len = 0;
    it[3].entry = big;
    it[3].len = TLOG_MAX_ENTRY;
    it[4].entry = "last";
    it[4].len = 4;
    ok(ledger_append(l, it, 5, &err) == BF_ELIMIT, "batch with a bad item reports the first error");
    ok(it[1].rc == BF_ELIMIT && strstr(it[1].err.msg, "65535"), "65 536-byte entry rejected: %s", it[1].err.msg);
    ok(it[2].rc == BF_EINVAL && strstr(it[2].err.msg, "empty"), "empty entry rejected: %s", it[2].err.msg);
    ok(it[0].rc == 0 && it[3].rc == 0 && it[4].rc == 0 && it[0].index == 0 && it[3].index == 1 && it[4].index == 2,
       "the good items are appended contiguously (0, 1, 2), including one of exactly 65 535 bytes");
    ok(ledger_size(l) == 3, "size 3 after the batch");

    memset(it, 0, sizeof it);
    it[0].entry = "a";
    it[0].len = 1;
    it[0].hook = hook_meta;
    it[1].entry = "b";
    it[1].len = 1;
    it[1].hook = hook_meta;
    it[1].hook_arg = "fail";
    it[2].entry = "c";
    it[2].len = 1;
    it[2].hook = hook_meta;
    ok(ledger_append(l, it, 3, &err) == BF_ECONFLICT && it[1].rc == BF_ECONFLICT &&
           strstr(it[1].err.msg, "rule 42"),
       "a failing hook rejects its item: %s", it[1].err.msg);
    ok(it[0].rc == 0 && it[2].rc == 0 && it[0].index == 3 && it[2].index == 4,
       "its neighbours get indexes 3 and 4 (no gap)");
    ok(store_meta_get(s, "test.hook.3", &v, NULL) == 0 && !strcmp(v, "kept"), "hook rows commit with the entry");
    free(v);
    v = NULL;
    ok(store_meta_get(s, "test.hook.4", &v, NULL) == 0 && !strcmp(v, "kept"),
       "the third hook saw index 4 and its row is kept");
    free(v);
    v = NULL;
    {
        int gone = 1, i;
        for (i = 0; i < 6; i++) {
            char key[64];
            snprintf(key, sizeof key, "test.hook.%d", i);
            if (store_meta_get(s, key, &v, NULL) == 0 && !strcmp(v, "doomed"))
                gone = 0;
            free(v);
            v = NULL;
        }
        ok(gone, "the failed hook's write was rolled back to its savepoint");
    }
    ledger_close(l);
    store_close(s);
    free(big);
}

/* A hook that writes the entry row itself, so the sequencer's own insert
 * fails: a store error in the middle of a batch. */
static int hook_sabotage(struct store_txn *t, uint64_t index, void *arg, struct bf_err *err)
{
    tlog_hash h;
    (void)arg;
    tlog_leaf_hash("x", 1, &h);
    return store_log_put_entry(t, index, &h, "x", 1, err);
}

static void test_failed_batch(void)
{
    struct bf_err err = { 0, "" };
    struct store *s;
    struct ledger *l;
    struct ledger_item it[3];
    struct bf_buf before = BF_BUF_INIT, after = BF_BUF_INIT;
    uint64_t idx = 0;

    if (mk("g", STORE_NOSYNC, &s, &l, &err) < 0) {
        ok(0, "open g: %s", err.msg);
        return;
    }
    append1(l, "zero", NULL);
    append1(l, "one", NULL);
    ledger_checkpoint(l, &before, NULL, NULL);
    memset(it, 0, sizeof it);
    it[0].entry = "two";
    it[0].len = 3;
    it[1].entry = "three";
    it[1].len = 5;
    it[1].hook = hook_sabotage;
    it[2].entry = "four";
    it[2].len = 4;
    ok(ledger_append(l, it, 3, &err) < 0 && it[0].rc < 0 && it[1].rc < 0 && it[2].rc < 0 &&
           strstr(it[0].err.msg, "not appended"),
       "a store error mid-batch fails every item of the batch: %s", it[0].err.msg);
    ledger_checkpoint(l, &after, NULL, NULL);
    ok(ledger_size(l) == 2 && before.len == after.len && !memcmp(before.data, after.data, before.len),
       "nothing of the failed batch is published");
    ok(append1(l, "two again", &idx) == 0 && idx == 2, "the next append takes index 2");
    err.msg[0] = 0;
    ok(ledger_check(s, NULL, &err) == 0, "check passes after the failed batch %s", err.msg);
    bf_buf_free(&before);
    bf_buf_free(&after);
    ledger_close(l);
    store_close(s);
}

/* A batch hook: sees the items before it (added, with their index), logs
 * nothing; when it fails, the whole batch fails. */
struct seen {
    struct ledger_item *items;
    int n, fail;
    uint64_t idx_sum;
    int added;
};

static int hook_batch(struct store_txn *t, uint64_t index, void *arg, struct bf_err *err)
{
    struct seen *s = arg;
    int i;
    for (i = 0; i < s->n; i++)
        if (s->items[i].rc == 0) { /* set once an item's hook and entry were written */
            s->added++;
            s->idx_sum += s->items[i].index;
        }
    if (store_meta_set(t, "test.batch", "written", err) < 0)
        return -1;
    (void)index;
    return s->fail ? bf_err_set(err, BF_ECONFLICT, "the batch hook says no") : 0;
}

static int hook_refuse(struct store_txn *t, uint64_t index, void *arg, struct bf_err *err)
{
    (void)t, (void)index, (void)arg;
    return bf_err_set(err, BF_EINVAL, "refused before writing");
}

/* Hooks that say they are atomic run without a savepoint. */
static void test_atomic_hooks(struct ledger *l, struct store *s)
{
    struct ledger_item it[3];
    struct bf_err err = { 0, "" };
    char key[64], *v = NULL;

    memset(it, 0, sizeof it);
    it[0].entry = "e", it[0].len = 1, it[0].hook = hook_meta, it[0].hook_atomic = 1;
    it[1].entry = "f", it[1].len = 1, it[1].hook = hook_refuse, it[1].hook_atomic = 1;
    it[2].entry = "g", it[2].len = 1, it[2].hook = hook_meta, it[2].hook_atomic = 1;
    ledger_append(l, it, 3, &err);
    snprintf(key, sizeof key, "test.hook.%" PRIu64, it[2].index);
    ok(it[0].rc == 0 && it[1].rc == BF_EINVAL && it[2].rc == 0 && it[2].index == it[0].index + 1 &&
           store_meta_get(s, key, &v, NULL) == 0 && v && !strcmp(v, "kept"),
       "atomic hooks: one refusing is rejected alone, the others' writes are kept (%s)", it[1].err.msg);
    free(v);
}

static void test_batch_hook(void)
{
    struct bf_err err = { 0, "" };
    struct store *s;
    struct ledger *l;
    struct ledger_item it[4];
    struct seen seen;
    char *v = NULL;
    uint64_t size0;

    if (mk("bh", STORE_NOSYNC, &s, &l, &err) < 0) {
        ok(0, "open bh: %s", err.msg);
        return;
    }
    append1(l, "zero", NULL);
    size0 = ledger_size(l);
    memset(it, 0, sizeof it);
    memset(&seen, 0, sizeof seen);
    it[0].entry = "a", it[0].len = 1;
    it[1].entry = "b", it[1].len = 1, it[1].hook = hook_meta, it[1].hook_arg = (void *)1; /* rejected */
    it[2].entry = "c", it[2].len = 1;
    it[3].hook = hook_batch, it[3].hook_arg = &seen;
    seen.items = it, seen.n = 3;
    ok(ledger_append(l, it, 4, &err) == BF_ECONFLICT && it[0].rc == 0 && it[1].rc == BF_ECONFLICT && it[2].rc == 0 &&
           it[3].rc == 0,
       "a batch hook runs with the batch (%s)", err.msg);
    ok(seen.added == 2 && seen.idx_sum == 2 * size0 + 1 && ledger_size(l) == size0 + 2,
       "it sees the two added items before it (indexes %" PRIu64 "+), and logs nothing (size %" PRIu64 ")", size0,
       ledger_size(l));
    ok(store_meta_get(s, "test.batch", &v, NULL) == 0 && v && !strcmp(v, "written"), "its writes are committed");
    free(v);
    v = NULL;
    memset(it, 0, sizeof it);
    memset(&seen, 0, sizeof seen);
    it[0].entry = "d", it[0].len = 1;
    it[1].hook = hook_batch, it[1].hook_arg = &seen;
    seen.items = it, seen.n = 1, seen.fail = 1;
    ok(ledger_append(l, it, 2, &err) < 0 && it[0].rc < 0 && strstr(it[0].err.msg, "the batch hook says no") &&
           ledger_size(l) == size0 + 2,
       "a failing batch hook fails every item of the batch: %s", it[0].err.msg);
    test_atomic_hooks(l, s);
    err.msg[0] = 0;
    ok(ledger_check(s, NULL, &err) == 0, "check passes %s", err.msg);
    ledger_close(l);
    store_close(s);
}

/* ledger_append_async: each request's done is called once, after its
 * items have their results and its checkpoint is served; requests queued
 * back to back keep their order in the log; a request with nothing to
 * append is done before the call returns; a closing ledger refuses. */
struct done_count {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int n;
    uint64_t size_seen[8];   /* ledger_size when each was done */
    struct ledger *l;
};

struct done_arg {
    struct done_count *dc;
    int k;
};

static void count_done(void *arg)
{
    struct done_arg *a = arg;
    pthread_mutex_lock(&a->dc->mu);
    a->dc->size_seen[a->k] = ledger_size(a->dc->l);
    a->dc->n++;
    pthread_cond_broadcast(&a->dc->cv);
    pthread_mutex_unlock(&a->dc->mu);
}

static void test_async(void)
{
    struct bf_err err = { 0, "" };
    struct store *s;
    struct ledger *l;
    struct ledger_item it[8][3];
    struct done_count dc;
    struct done_arg da[8];
    char text[8][3][16];
    uint64_t size0;
    int k, j, in_order = 1, sizes_ok = 1, all_ok = 1;

    if (mk("async", STORE_NOSYNC, &s, &l, &err) < 0) {
        ok(0, "open async: %s", err.msg);
        return;
    }
    append1(l, "zero", NULL);
    size0 = ledger_size(l);
    memset(&dc, 0, sizeof dc);
    pthread_mutex_init(&dc.mu, NULL);
    pthread_cond_init(&dc.cv, NULL);
    dc.l = l;
    memset(it, 0, sizeof it);
    for (k = 0; k < 8; k++) {
        for (j = 0; j < 3; j++) {
            snprintf(text[k][j], sizeof text[k][j], "async %d.%d", k, j);
            it[k][j].entry = text[k][j];
            it[k][j].len = strlen(text[k][j]);
        }
        da[k].dc = &dc;
        da[k].k = k;
        all_ok &= ledger_append_async(l, it[k], 3, count_done, &da[k], &err) == 0;
    }
    pthread_mutex_lock(&dc.mu);
    while (dc.n < 8)
        pthread_cond_wait(&dc.cv, &dc.mu);
    pthread_mutex_unlock(&dc.mu);
    for (k = 0; k < 8; k++)
        for (j = 0; j < 3; j++) {
            all_ok &= it[k][j].rc == 0;
            in_order &= it[k][j].index == size0 + (uint64_t)(3 * k + j);
            sizes_ok &= dc.size_seen[k] > it[k][j].index;
        }
    ok(all_ok && dc.n == 8, "8 asynchronous requests, each done once, every item appended");
    ok(in_order, "requests queued back to back keep their order in the log");
    ok(sizes_ok, "each is done only once a checkpoint covering its items is served");

    memset(it[0], 0, sizeof it[0]);
    it[0][0].entry = "", it[0][0].len = 0; /* refused before anything is queued */
    dc.n = 0;
    ok(ledger_append_async(l, it[0], 1, count_done, &da[0], &err) == 0 && dc.n == 1 && it[0][0].rc == BF_EINVAL,
       "nothing to append: done before the call returns, the item rejected (%s)", it[0][0].err.msg);
    ledger_close(l);
    store_close(s);
    pthread_mutex_destroy(&dc.mu);
    pthread_cond_destroy(&dc.cv);
}

/* A sync that fails after the commit: the batch is in the store but not
 * known to be on disk, so its items fail, nothing of it is published and
 * the log takes no more appends; a restart recovers it from the store. */
static void test_failed_sync(void)
{
    struct bf_err err = { 0, "" };
    struct store *s;
    struct ledger *l;
    struct bf_buf before = BF_BUF_INIT, after = BF_BUF_INIT, e = BF_BUF_INIT;
    char dir[512];
    uint64_t idx = 0;
    int rc;

    if (mk("h", STORE_NOSYNC, &s, &l, &err) < 0) {
        ok(0, "open h: %s", err.msg);
        return;
    }
    append1(l, "zero", NULL);
    append1(l, "one", NULL);
    ledger_checkpoint(l, &before, NULL, NULL);
    __atomic_store_n(&store_sync_fail_for_tests, 1, __ATOMIC_RELAXED);
    {
        struct ledger_item it = { "two", 3, NULL, NULL, 0, 0, 0, { 0, "" } };
        rc = ledger_append(l, &it, 1, &err);
        ok(rc == BF_EIO && it.rc == BF_EIO && strstr(it.err.msg, "not known to be on disk"),
           "a failed sync fails the batch's items: %s", it.err.msg);
    }
    __atomic_store_n(&store_sync_fail_for_tests, 0, __ATOMIC_RELAXED);
    ledger_checkpoint(l, &after, NULL, NULL);
    ok(ledger_size(l) == 2 && before.len == after.len && !memcmp(before.data, after.data, before.len),
       "nothing of the unsynced batch is published");
    rc = append1(l, "three", NULL);
    ok(rc == BF_EIO, "the log takes no more appends (%d)", rc);
    ledger_close(l);
    store_close(s);
    dir_of("h", dir, sizeof dir);
    err.msg[0] = 0;
    rc = store_open(dir, STORE_NOSYNC, &s, &err) == 0 ? ledger_open(s, NULL, &l, &err) : -99;
    ok(rc == 0 && ledger_size(l) == 3, "a restart recovers the committed batch from the store (size %" PRIu64 ") %s",
       rc == 0 ? ledger_size(l) : 0, err.msg);
    ok(rc == 0 && ledger_entry(l, 2, &e, &err) == 0 && e.len == 3 && memcmp(e.data, "two", 3) == 0,
       "entry 2 is the batch's entry");
    ok(rc == 0 && append1(l, "three", &idx) == 0 && idx == 3, "and appends go on at index 3");
    if (rc == 0)
        ledger_close(l);
    if (s)
        store_close(s);
    bf_buf_free(&before);
    bf_buf_free(&after);
    bf_buf_free(&e);
}

struct worker {
    struct ledger *l;
    int id, n, bad;
    uint64_t *idx;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    int i;
    for (i = 0; i < w->n; i++) {
        char e[64];
        snprintf(e, sizeof e, "worker %d entry %d", w->id, i);
        if (append1(w->l, e, &w->idx[i]) < 0)
            w->bad++;
    }
    return NULL;
}

static int verify_receipt(struct ledger *l, uint64_t idx, uint64_t size, const char *entry)
{
    struct bf_buf b = BF_BUF_INIT;
    struct tlog_receipt *r = bf_xmalloc(sizeof *r);
    struct tlog_vkey k;
    struct tlog_checkpoint cp;
    struct bf_err err = { 0, "" };
    tlog_hash leaf;
    int rc;

    tlog_leaf_hash(entry, strlen(entry), &leaf);
    rc = tlog_vkey_parse(ledger_vkey(l), strlen(ledger_vkey(l)), &k, &err);
    if (!rc)
        rc = ledger_receipt(l, idx, size, &b, &err);
    if (!rc)
        rc = tlog_receipt_parse(b.data, b.len, r, &err);
    if (!rc)
        rc = tlog_receipt_verify(r, &leaf, &k, 1, &cp, &err);
    if (rc)
        diag("receipt %" PRIu64 "@%" PRIu64 ": %s", idx, size, err.msg);
    bf_buf_free(&b);
    free(r);
    return rc;
}

static void test_concurrency_and_proofs(void)
{
    enum { W = 8, N = 300 };
    struct bf_err err = { 0, "" };
    struct worker w[W];
    pthread_t th[W];
    struct store *s;
    struct ledger *l;
    uint8_t *seen;
    int i, j, bad = 0, dup = 0, nrec = 0, ncons = 0, tries = 0;
    char e[64];

    if (mk("d", 0, &s, &l, &err) < 0) {
        ok(0, "open d: %s", err.msg);
        return;
    }
    for (i = 0; i < W; i++) {
        w[i] = (struct worker){ l, i, N, 0, bf_xcalloc(N, sizeof(uint64_t)) };
        pthread_create(&th[i], NULL, worker_main, &w[i]);
    }
    for (i = 0; i < W; i++) {
        pthread_join(th[i], NULL);
        bad += w[i].bad;
    }
    ok(bad == 0 && ledger_size(l) == W * N, "%d threads x %d durable appends: size %" PRIu64, W, N, ledger_size(l));
    seen = bf_xcalloc(W * N, 1);
    for (i = 0; i < W; i++)
        for (j = 0; j < N; j++) {
            if (w[i].idx[j] >= W * N || seen[w[i].idx[j]]++)
                dup++;
        }
    ok(dup == 0, "every acknowledged index is unique and below the size");
    for (i = 0; i < W; i++)
        for (j = 0; j < N; j += 37) {
            struct bf_buf b = BF_BUF_INIT;
            snprintf(e, sizeof e, "worker %d entry %d", i, j);
            tries++;
            if (ledger_entry(l, w[i].idx[j], &b, NULL) == 0 && b.len == strlen(e) && !memcmp(b.data, e, b.len) &&
                verify_receipt(l, w[i].idx[j], 0, e) == 0)
                nrec++;
            bf_buf_free(&b);
        }
    ok(nrec == tries, "entries read back at their acknowledged index and receipts verify (%d/%d)", nrec, tries);
    {
        /* consistency between every pair of a sample of sizes */
        uint64_t sz[] = { 1, 2, 3, 255, 256, 257, 1000, 2047, 2048, W * N };
        size_t a, c;
        struct bf_buf b1 = BF_BUF_INIT, b2 = BF_BUF_INIT;
        for (a = 0; a < BF_ARRAY_LEN(sz); a++)
            for (c = a; c < BF_ARRAY_LEN(sz); c++) {
                tlog_hash proof[TLOG_MAX_PROOF], r1, r2;
                int n = 0;
                if (ledger_consistency(l, sz[a], sz[c], proof, &n, &err) < 0 ||
                    tlog_tree_hash(sz[a], ledger_hash_reader, l, &r1, NULL) < 0 ||
                    tlog_tree_hash(sz[c], ledger_hash_reader, l, &r2, NULL) < 0 ||
                    tlog_verify_consistency(sz[a], sz[c], &r1, &r2, proof, n, &err) < 0)
                    diag("consistency %" PRIu64 "->%" PRIu64 ": %s", sz[a], sz[c], err.msg);
                else
                    ncons++;
            }
        ok(ncons == 55, "consistency proofs between 10 sizes verify (%d/55)", ncons);
        bf_buf_free(&b1);
        bf_buf_free(&b2);
    }
    {
        tlog_hash proof[TLOG_MAX_PROOF];
        int n;
        ok(ledger_consistency(l, 0, 5, proof, &n, &err) == BF_EINVAL, "consistency from 0 refused: %s", err.msg);
        ok(ledger_consistency(l, 5, W * N + 1, proof, &n, &err) == BF_ENOTFOUND, "beyond the size: not found");
        ok(verify_receipt(l, 0, 3, "worker") != 0, "receipt for a wrong entry does not verify");
    }
    err.msg[0] = '\0';
    ok(ledger_check(s, NULL, &err) == 0, "ledger_check passes after concurrent appends %s", err.msg);
    ledger_close(l);
    /* reopen: state recovered, appends continue */
    {
        struct bf_buf b = BF_BUF_INIT, b2 = BF_BUF_INIT;
        uint64_t idx = 0;
        ok(ledger_open(s, NULL, &l, &err) == 0 && ledger_size(l) == W * N, "reopen recovers size %d %s", W * N,
           err.msg);
        ok(append1(l, "after restart", &idx) == 0 && idx == W * N, "append after reopen gets index %d", W * N);
        ledger_checkpoint(l, &b, NULL, NULL);
        ledger_close(l);
        ok(ledger_open(s, NULL, &l, &err) == 0 && ledger_checkpoint(l, &b2, NULL, NULL) == 0 && b.len == b2.len &&
               !memcmp(b.data, b2.data, b.len),
           "the same signed checkpoint is served after a restart");
        ok(verify_receipt(l, idx, 0, "after restart") == 0, "receipt for the new entry verifies");
        bf_buf_free(&b);
        bf_buf_free(&b2);
        ledger_close(l);
    }
    store_close(s);
    for (i = 0; i < W; i++)
        free(w[i].idx);
    free(seen);
}

static void test_tamper(void)
{
    struct bf_err err = { 0, "" };
    struct store *s;
    struct ledger *l;
    char dir[512];

    if (mk_closed("e", 600, "record %d", dir, sizeof dir) < 0)
        return;

    ok(raw_sql("e", "CREATE TABLE bk AS SELECT * FROM log_hash;"
                    "UPDATE log_hash SET hash = zeroblob(32) WHERE level = 1 AND idx = 1") == 0,
       "tamper the stored hash of leaves 256..511");
    store_open(dir, STORE_READONLY, &s, &err);
    ok(ledger_check(s, NULL, &err) == BF_ECORRUPT && strstr(err.msg, "level 1 index 1"),
       "check names the altered subtree hash: %s", err.msg);
    store_close(s);
    ok(raw_sql("e", "UPDATE log_hash SET hash = (SELECT hash FROM bk WHERE level = 1 AND idx = 1)"
                    " WHERE level = 1 AND idx = 1; DROP TABLE bk") == 0, "restore it");
    store_open(dir, STORE_READONLY, &s, &err);
    ok(ledger_check(s, NULL, &err) == 0, "check passes again %s", err.msg);
    store_close(s);
    ok(raw_sql("e", "UPDATE log_entry SET data = CAST('record 9!' AS BLOB) WHERE idx = 5") == 0, "tamper entry 5");
    store_open(dir, STORE_READONLY, &s, &err);
    ok(ledger_check(s, NULL, &err) == BF_ECORRUPT && strstr(err.msg, "entry 5 was altered"),
       "check names the altered entry: %s", err.msg);
    store_close(s);

    ok(raw_sql("e", "UPDATE log_entry SET data = (SELECT data FROM log_entry WHERE idx = 6),"
                    " hash = (SELECT hash FROM log_entry WHERE idx = 6) WHERE idx = 5") == 0,
       "rewrite entry 5 with a matching leaf hash");
    store_open(dir, STORE_READONLY, &s, &err);
    ok(ledger_check(s, NULL, &err) == BF_ECORRUPT && strstr(err.msg, "checkpoint signed for size 6"),
       "check finds the first signed checkpoint the rewrite contradicts: %s", err.msg);
    store_close(s);

    ok(raw_sql("e", "UPDATE log_entry SET hash = zeroblob(32) WHERE idx = 599") == 0, "damage the right edge");
    store_open(dir, 0, &s, &err);
    ok(ledger_open(s, NULL, &l, &err) == BF_ECORRUPT && strstr(err.msg, "does not hash to the root"),
       "open refuses a store whose tree does not match its last checkpoint: %s", err.msg);
    store_close(s);

    ok(raw_sql("e", "DELETE FROM log_entry WHERE idx = 599") == 0, "drop the last entry");
    store_open(dir, 0, &s, &err);
    ok(ledger_open(s, NULL, &l, &err) == BF_ECORRUPT && strstr(err.msg, "covers 600"),
       "open notices entries missing below the signed size: %s", err.msg);
    store_close(s);

    ok(raw_sql("e", "UPDATE log_checkpoint SET note = replace(note, '600', '601') WHERE size = 600") == 0,
       "forge the last checkpoint's size");
    store_open(dir, STORE_READONLY, &s, &err);
    ok(ledger_check(s, NULL, &err) == BF_ECORRUPT && strstr(err.msg, "does not verify"),
       "check rejects a checkpoint whose signature no longer verifies: %s", err.msg);
    store_close(s);
}

static void test_damaged_file(void)
{
    struct bf_err err = { 0, "" };
    struct store *s;
    struct ledger *l;
    char dir[512], db[600];
    int fd;
    off_t size;

    if (mk_closed("f", 3000, "a somewhat longer record number %d for more pages", dir, sizeof dir) < 0)
        return;
    snprintf(db, sizeof db, "%s/belfry.db", dir);
    fd = open(db, O_RDWR);
    size = lseek(fd, 0, SEEK_END);
    ok(fd >= 0 && ftruncate(fd, size / 2) == 0, "truncate the store file to half (%lld bytes)", (long long)size);
    close(fd);
    {
        int rc = store_open(dir, STORE_READONLY, &s, &err);
        if (rc == 0) {
            rc = ledger_check(s, NULL, &err);
            store_close(s);
        }
        ok(rc == BF_ECORRUPT, "check reports a torn store: %s", err.msg);
        rc = store_open(dir, 0, &s, &err);
        if (rc == 0) {
            rc = ledger_open(s, NULL, &l, &err);
            store_close(s);
        }
        ok(rc < 0 && err.msg[0], "open refuses the torn store: %s", err.msg);
    }
    fd = open(db, O_RDWR);
    ok(fd >= 0 && pwrite(fd, "XXXXXXXX", 8, 0) == 8, "overwrite the file header");
    close(fd);
    ok(store_open(dir, STORE_READONLY, &s, &err) < 0 && (strstr(err.msg, "not a database") ||
                                                          strstr(err.msg, "malformed")),
       "opening a store with a flipped header fails clearly: %s", err.msg);
}

int main(void)
{
    if (tu_mkdtemp(tmpdir, sizeof tmpdir, "ledger") < 0) {
        ok(0, "mkdtemp");
        return tap_done();
    }
    test_init_rules();
    test_limits_and_hooks();
    test_failed_batch();
    test_failed_sync();
    test_batch_hook();
    test_async();
    test_concurrency_and_proofs();
    test_tamper();
    test_damaged_file();
    tu_rm_rf(tmpdir);
    return tap_done();
}
