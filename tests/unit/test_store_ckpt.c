/*
 * test_store_ckpt.c - WAL checkpoints run on the store's checkpointer
 * thread, not in the committing thread: after many commits past the
 * (lowered) threshold the thread has checkpointed, the committing thread
 * never had to, the WAL stays bounded, and every committed value is
 * there after reopening. A commit that does not wait for the disk
 * (store_txn_begin_nowait) leaves the writer at synchronous=FULL again,
 * runs the inline checkpoint the WAL hook asked for after it (at FULL),
 * and store_sync makes it durable.
 */
#define STORE_SQLITE_INTERNAL
#include "common.h"
#include "tap.h"
#include "store/store.h"

#include <sys/stat.h>
#include <unistd.h>

#define COMMITS 150
#define FRAMES 40

static char dir[] = "/tmp/belfry-test-ckpt-XXXXXX";

static long wal_size(void)
{
    char path[256];
    struct stat st;
    snprintf(path, sizeof path, "%s/belfry.db-wal", dir);
    return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

static int commit_value(struct store *s, int i, const char *big)
{
    struct store_txn *t = NULL;
    struct bf_err err = { 0 };
    char key[32];
    snprintf(key, sizeof key, "ckpt.%d", i);
    if (store_txn_begin(s, &t, &err) < 0 || store_meta_set(t, key, big, &err) < 0 || store_txn_commit(t, &err) < 0) {
        diag("commit %d: %s", i, err.msg);
        return -1;
    }
    return 0;
}

/* The writer's synchronous level, read inside a transaction. */
static int sync_level(struct store *s)
{
    struct store_txn *t = NULL;
    sqlite3_stmt *st;
    int level = -1;
    if (store_txn_begin(s, &t, NULL) < 0)
        return -1;
    st = store_sqlite_stmt(store_sqlite_writer(t), "PRAGMA synchronous", NULL);
    if (st && sqlite3_step(st) == SQLITE_ROW)
        level = sqlite3_column_int(st, 0);
    if (st)
        sqlite3_reset(st);
    store_txn_rollback(t);
    return level;
}

static void test_nowait(const char *big)
{
    char d2[] = "/tmp/belfry-test-ckpt2-XXXXXX", key[32];
    struct store *s = NULL;
    struct store_txn *t = NULL;
    struct bf_err err = { 0 };
    unsigned long runs = 0, inl = 0;
    int i, rc = 0;

    if (!mkdtemp(d2) || store_open(d2, STORE_CREATE, &s, &err) < 0) {
        ok(0, "open %s: %s", d2, err.msg);
        return;
    }
    ok(sync_level(s) == 2, "a store's writer commits at synchronous=FULL");
    store_ckpt_tune(store_sqlite_ckpt(s), 1); /* 8 frames make the hook ask for an inline checkpoint */
    rc = store_txn_begin_nowait(s, &t, &err);
    for (i = 0; !rc && i < 20; i++) {
        snprintf(key, sizeof key, "nowait.%d", i);
        rc = store_meta_set(t, key, big, &err);
    }
    rc = rc ? rc : store_txn_commit(t, &err);
    store_ckpt_stats(store_sqlite_ckpt(s), &runs, &inl);
    ok(rc == 0 && inl >= 1, "a nowait commit of 20 pages: the inline checkpoint ran after it (%lu) %s", inl, err.msg);
    ok(sync_level(s) == 2, "and the writer is back at synchronous=FULL");
    ok(store_sync(s, &err) == 0, "store_sync makes it durable %s", err.msg);
    store_close(s);
    {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf %s", d2);
        if (system(cmd) != 0)
            diag("could not remove %s", d2);
    }
}

int main(void)
{
    struct store *s = NULL;
    struct bf_err err = { 0 };
    unsigned long runs = 0, inl = 0;
    long max_wal = 0;
    char *big = bf_xmalloc(6000), *v = NULL;
    int i, fails = 0, all = 1;

    memset(big, 'x', 5999);
    big[5999] = 0;
    if (!mkdtemp(dir) || store_open(dir, STORE_CREATE | STORE_NOSYNC, &s, &err) < 0) {
        ok(0, "open: %s", err.msg);
        return tap_done();
    }
    ok(store_sqlite_ckpt(s) != NULL, "a writable store has a checkpointer");
    store_ckpt_tune(store_sqlite_ckpt(s), FRAMES);
    for (i = 0; i < COMMITS; i++) {
        fails += commit_value(s, i, big) < 0;
        if (wal_size() > max_wal)
            max_wal = wal_size();
        if (i % 10 == 9)
            usleep(20000); /* let the thread run between bursts, as group commits do */
    }
    ok(fails == 0, "%d commits of two to three pages each", COMMITS);
    for (i = 0; i < 250 && runs == 0; i++) {
        store_ckpt_stats(store_sqlite_ckpt(s), &runs, &inl);
        usleep(20000);
    }
    ok(runs > 0, "the checkpointer thread checkpointed (%lu times)", runs);
    ok(inl == 0, "the committing thread never checkpointed inline (%lu)", inl);
    ok(max_wal < (long)FRAMES * 8 * 4200, "the WAL stayed bounded: at most %ld bytes", max_wal);
    store_close(s);
    s = NULL;
    if (store_open(dir, 0, &s, &err) < 0) {
        ok(0, "reopen: %s", err.msg);
        return tap_done();
    }
    for (i = 0; i < COMMITS; i++) {
        char key[32];
        snprintf(key, sizeof key, "ckpt.%d", i);
        v = NULL;
        if (store_meta_get(s, key, &v, &err) < 0 || !v || strcmp(v, big))
            all = 0;
        free(v);
    }
    ok(all, "every committed value is there after reopening");
    store_close(s);
    test_nowait(big);
    {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0)
            diag("could not remove %s", dir);
    }
    free(big);
    return tap_done();
}
