/*
 * test_store_ckpt.c - WAL checkpoints run on the store's checkpointer
 * thread, not in the committing thread: after many commits past the
 * (lowered) threshold the thread has checkpointed, the committing thread
 * never had to, the WAL stays bounded, and every committed value is
 * there after reopening.
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
    {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0)
            diag("could not remove %s", dir);
    }
    free(big);
    return tap_done();
}
