/*
 * sqlite_ckpt.c - WAL checkpoints on a thread of their own.
 *
 * Why: SQLite's automatic checkpoint runs inside the commit that crosses
 * its threshold, on the committing thread. Here that thread is the
 * ledger's sequencer, so every 40 MB of WAL one group commit also copied
 * the WAL into the database and fsynced it, and every client of that
 * commit (import workers, HTTP writers) waited for it. Now the writer's
 * WAL hook only wakes a checkpointer thread, which runs PASSIVE
 * checkpoints on its own connection while commits go on.
 *
 * Invariants:
 *  - Durability is the WAL's (synchronous=FULL commits); a checkpoint only
 *    moves committed frames into the database file, so where and when it
 *    runs changes no acknowledged state.
 *  - The WAL stays bounded: if it still grows past CKPT_INLINE_FACTOR
 *    times the threshold (the thread starved, or readers pin old frames),
 *    the committing thread checkpoints inline as SQLite would have, right
 *    after its commit (store_ckpt_after_commit), with synchronous=FULL.
 *  - The thread starts on the first wake-up (short-lived commands never
 *    start it) and is joined, with its connection closed, before the
 *    writer connection closes.
 */
#define STORE_SQLITE_INTERNAL
#include "common.h"
#include "store.h"

#include <pthread.h>

#define CKPT_FRAMES 10000        /* pages (4 KiB): the old wal_autocheckpoint */
#define CKPT_INLINE_FACTOR 8

struct store_ckpt {
    char *dbpath;
    int nosync;
    int frames;                  /* wake the thread at this many WAL frames */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t th;
    int started, stop, pending;
    int inline_due;              /* the writer checkpoints after its commit */
    unsigned long runs, inline_runs;
};

static void *ckpt_main(void *arg)
{
    struct store_ckpt *k = arg;
    sqlite3 *db = NULL;

    if (sqlite3_open_v2(k->dbpath, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        sqlite3_close_v2(db);
        db = NULL; /* the writer's inline fallback keeps the WAL bounded */
    } else {
        sqlite3_busy_timeout(db, 10000);
        sqlite3_exec(db, k->nosync ? "PRAGMA synchronous=OFF" : "PRAGMA synchronous=FULL", NULL, NULL, NULL);
    }
    pthread_mutex_lock(&k->mu);
    for (;;) {
        while (!k->pending && !k->stop)
            pthread_cond_wait(&k->cv, &k->mu);
        if (k->stop)
            break;
        k->pending = 0;
        pthread_mutex_unlock(&k->mu);
        if (db)
            sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&k->mu);
        k->runs++;
    }
    pthread_mutex_unlock(&k->mu);
    sqlite3_close_v2(db);
    return NULL;
}

/* The writer's WAL hook: after each commit, with the WAL's frame count. */
static int ckpt_hook(void *arg, sqlite3 *db, const char *name, int nframes)
{
    struct store_ckpt *k = arg;

    (void)db, (void)name;
    if (nframes >= k->frames * CKPT_INLINE_FACTOR) {
        pthread_mutex_lock(&k->mu);
        k->inline_due = 1;
        pthread_mutex_unlock(&k->mu);
        return SQLITE_OK;
    }
    if (nframes < k->frames)
        return SQLITE_OK;
    pthread_mutex_lock(&k->mu);
    if (!k->started && pthread_create(&k->th, NULL, ckpt_main, k) == 0)
        k->started = 1;
    k->pending = 1;
    pthread_cond_signal(&k->cv);
    if (!k->started) /* no thread: checkpoint after the commit, as SQLite would */
        k->inline_due = 1;
    pthread_mutex_unlock(&k->mu);
    return SQLITE_OK;
}

void store_ckpt_after_commit(struct store_ckpt *k, sqlite3 *writer)
{
    int due;
    if (!k)
        return;
    pthread_mutex_lock(&k->mu);
    due = k->inline_due;
    k->inline_due = 0;
    pthread_mutex_unlock(&k->mu);
    if (!due)
        return;
    sqlite3_wal_checkpoint_v2(writer, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    pthread_mutex_lock(&k->mu);
    k->inline_runs++;
    pthread_mutex_unlock(&k->mu);
}

struct store_ckpt *store_ckpt_attach(sqlite3 *writer, const char *dbpath, int nosync)
{
    struct store_ckpt *k = bf_xcalloc(1, sizeof *k);
    k->dbpath = bf_xstrdup(dbpath);
    k->nosync = nosync;
    k->frames = CKPT_FRAMES;
    pthread_mutex_init(&k->mu, NULL);
    pthread_cond_init(&k->cv, NULL);
    sqlite3_wal_hook(writer, ckpt_hook, k);
    return k;
}

void store_ckpt_detach(struct store_ckpt *k, sqlite3 *writer)
{
    if (!k)
        return;
    if (writer)
        sqlite3_wal_hook(writer, NULL, NULL);
    pthread_mutex_lock(&k->mu);
    k->stop = 1;
    pthread_cond_signal(&k->cv);
    pthread_mutex_unlock(&k->mu);
    if (k->started)
        pthread_join(k->th, NULL);
    pthread_mutex_destroy(&k->mu);
    pthread_cond_destroy(&k->cv);
    free(k->dbpath);
    free(k);
}

void store_ckpt_tune(struct store_ckpt *k, int frames)
{
    pthread_mutex_lock(&k->mu);
    k->frames = frames > 0 ? frames : CKPT_FRAMES;
    pthread_mutex_unlock(&k->mu);
}

void store_ckpt_stats(struct store_ckpt *k, unsigned long *runs, unsigned long *inline_runs)
{
    pthread_mutex_lock(&k->mu);
    *runs = k->runs;
    *inline_runs = k->inline_runs;
    pthread_mutex_unlock(&k->mu);
}
