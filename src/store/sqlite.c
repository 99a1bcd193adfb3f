/*
 * sqlite.c - the SQLite backend: one writer connection guarded by a mutex,
 * one reader connection per thread, WAL journal, synchronous=FULL so that
 * a commit is durable when it returns (group commit above us amortises the
 * fsync). Domain tables are created by the migrate functions listed in
 * domains.c.
 *
 * The group-commit path (store_txn_begin_nowait) commits with
 * synchronous=OFF and makes the WAL durable with store_sync, from another
 * thread, while the next transaction is written: the fsync no longer
 * holds the writer. WAL frames carry cumulative checksums, so after a
 * machine crash SQLite recovers a prefix of the commits; checkpoints only
 * ever run with synchronous=FULL (the checkpointer's connection, or the
 * writer's after store_txn_commit restored it), so the database is
 * fsynced before the WAL is reused.
 *
 * Invariant: the writer connection is only touched by the thread holding
 * s->wlock, i.e. between store_txn_begin and commit/rollback.
 */
#define STORE_SQLITE_INTERNAL
#include "common.h"
#include "store.h"
#include "fs.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

const struct store_domain *const *store_domain_list(void);

struct store {
    char *dir;
    char *dbpath;
    unsigned flags;
    uint64_t gen;
    struct store_conn *writer;
    struct store_ckpt *ckpt;   /* checkpoints the writer's WAL (sqlite_ckpt.c) */
    pthread_mutex_t wlock;
    pthread_mutex_t synclock; /* guards walfd's opening */
    int walfd;                /* the WAL, for store_sync; -1 until first used */
    pthread_mutex_t rlock; /* guards readers[] */
    struct store_conn **readers;
    int nreaders, capreaders;
    struct store_packer *pack; /* packed values' dictionaries (sqlite_pack.c) */
    pthread_t wowner;          /* holds wlock, while wheld */
    int wheld;
};

struct store_txn {
    struct store *s;
    int nowait;  /* committed with synchronous=OFF: durable at store_sync */
};

static uint64_t store_gen_counter;

int store_sqlite_error(sqlite3 *db, int rc, struct bf_err *err, const char *what)
{
    int code = BF_EIO;
    int prim = rc & 0xff;
    if (prim == SQLITE_CONSTRAINT)
        code = BF_ECONFLICT;
    else if (prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB)
        code = BF_ECORRUPT;
    else if (prim == SQLITE_FULL)
        code = BF_EIO;
    return bf_err_set(err, code, "%s: %s", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

static void conn_close(struct store_conn *c)
{
    int i;
    if (!c)
        return;
    for (i = 0; i < c->nstmt; i++)
        sqlite3_finalize(c->stmts[i].st);
    free(c->stmts);
    sqlite3_close_v2(c->db);
    free(c);
}

int store_sqlite_exec(struct store_conn *c, const char *sql, struct bf_err *err)
{
    char *msg = NULL;
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        bf_err_set(err, (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB ? BF_ECORRUPT : BF_EIO,
                   "sqlite: %s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return err ? err->code : BF_EIO;
    }
    return 0;
}

static int conn_open(struct store *s, int writer, struct store_conn **out, struct bf_err *err)
{
    struct store_conn *c = bf_xcalloc(1, sizeof *c);
    int oflags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_PRIVATECACHE;
    int rc;

    if (writer && !(s->flags & STORE_READONLY))
        oflags |= SQLITE_OPEN_READWRITE | ((s->flags & STORE_CREATE) ? SQLITE_OPEN_CREATE : 0);
    else
        oflags |= SQLITE_OPEN_READONLY;
    rc = sqlite3_open_v2(s->dbpath, &c->db, oflags, NULL);
    if (rc != SQLITE_OK) {
        rc = store_sqlite_error(c->db, rc, err, s->dbpath);
        conn_close(c);
        return rc;
    }
    sqlite3_busy_timeout(c->db, 10000);
    sqlite3_extended_result_codes(c->db, 1);
    if (writer && !(s->flags & STORE_READONLY)) {
        rc = store_sqlite_exec(c, "PRAGMA journal_mode=WAL;", err);
        if (!rc)
            rc = store_sqlite_exec(c, (s->flags & STORE_NOSYNC) ? "PRAGMA synchronous=OFF;"
                                                              : "PRAGMA synchronous=FULL;", err);
        if (!rc)
            rc = store_sqlite_exec(c, "PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536;", err);
        if (!rc) /* after the pragmas: wal_autocheckpoint would replace the hook */
            s->ckpt = store_ckpt_attach(c->db, s->dbpath, (s->flags & STORE_NOSYNC) != 0);
    } else {
        /* Readers map the database: records are large blobs on overflow
         * pages, and read() copies every page into SQLite's cache (a tenth
         * of the CPU time of a record read on a 6 GB store). */
        rc = store_sqlite_exec(c, "PRAGMA cache_size=-32768; PRAGMA query_only=1; "
                                  "PRAGMA mmap_size=2147418112;", err);
    }
    if (rc) {
        conn_close(c);
        return rc;
    }
    *out = c;
    return 0;
}

sqlite3_stmt *store_sqlite_stmt(struct store_conn *c, const char *sql, struct bf_err *err)
{
    sqlite3_stmt *st;
    int i, rc;

    for (i = 0; i < c->nstmt; i++) {
        if (c->stmts[i].sql == sql) {
            st = c->stmts[i].st;
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return st;
        }
    }
    rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) {
        store_sqlite_error(c->db, rc, err, "prepare");
        return NULL;
    }
    if (c->nstmt == c->capstmt) {
        c->capstmt = c->capstmt ? 2 * c->capstmt : 32;
        c->stmts = bf_xrealloc(c->stmts, (size_t)c->capstmt * sizeof *c->stmts);
    }
    c->stmts[c->nstmt].sql = sql;
    c->stmts[c->nstmt].st = st;
    c->nstmt++;
    return st;
}

static int run_migrations(struct store *s, struct bf_err *err)
{
    struct store_txn *t;
    int i, rc;

    rc = store_txn_begin(s, &t, err);
    if (rc)
        return rc;
    rc = store_sqlite_exec(s->writer,
                           "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;", err);
    const struct store_domain *const *d = store_domain_list();
    for (i = 0; !rc && d[i]; i++) {
        rc = d[i]->migrate(s, t, err);
        if (rc)
            bf_err_wrap(err, "schema of %s", d[i]->name);
    }
    if (rc) {
        store_txn_rollback(t);
        return rc;
    }
    return store_txn_commit(t, err);
}

/* Process-wide SQLite settings, before its first use. Memory statistics
 * off: with them every allocation takes a global mutex, which the
 * ledger's sequencer and the import's workers (their own connections)
 * contend on. */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;
static void sqlite_setup(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); /* SQLITE_MISUSE if SQLite is in use already: harmless */
}

int store_open(const char *dir, unsigned flags, struct store **out, struct bf_err *err)
{
    struct store *s;
    int rc;

    pthread_once(&sqlite_once, sqlite_setup);
    if (!(flags & STORE_CREATE) && !bf_fs_exists(dir))
        return bf_err_set(err, BF_ENOTFOUND, "no store at %s (run `belfry init --data %s` first)", dir, dir);
    if ((flags & STORE_CREATE) && (rc = bf_fs_mkdirs(dir, 0700, err)) < 0)
        return rc;
    s = bf_xcalloc(1, sizeof *s);
    s->walfd = -1;
    pthread_mutex_init(&s->synclock, NULL);
    s->dir = bf_xstrdup(dir);
    s->flags = flags;
    s->gen = __atomic_add_fetch(&store_gen_counter, 1, __ATOMIC_SEQ_CST);
    {
        size_t n = strlen(dir) + 16;
        s->dbpath = bf_xmalloc(n);
        snprintf(s->dbpath, n, "%s/belfry.db", dir);
    }
    if (!(flags & STORE_CREATE) && !bf_fs_exists(s->dbpath)) {
        rc = bf_err_set(err, BF_ENOTFOUND, "no store at %s (run `belfry init --data %s` first)", dir, dir);
        goto fail;
    }
    pthread_mutex_init(&s->wlock, NULL);
    pthread_mutex_init(&s->rlock, NULL);
    s->pack = store_packer_new();
    rc = conn_open(s, 1, &s->writer, err);
    if (rc)
        goto fail;
    if (!(flags & STORE_READONLY)) {
        rc = run_migrations(s, err);
        if (rc)
            goto fail;
    }
    *out = s;
    return 0;
fail:
    store_close(s);
    return rc;
}

void store_close(struct store *s)
{
    int i;
    if (!s)
        return;
    for (i = 0; i < s->nreaders; i++)
        conn_close(s->readers[i]);
    free(s->readers);
    store_ckpt_detach(s->ckpt, s->writer ? s->writer->db : NULL);
    conn_close(s->writer);
    if (s->walfd >= 0)
        close(s->walfd);
    store_packer_free(s->pack);
    pthread_mutex_destroy(&s->synclock);
    free(s->dbpath);
    free(s->dir);
    free(s);
}

struct store_ckpt *store_sqlite_ckpt(struct store *s)
{
    return s->ckpt;
}

struct store_packer *store_sqlite_packer(struct store *s)
{
    return s->pack;
}

int store_sqlite_holds_writer(struct store *s)
{
    return __atomic_load_n(&s->wheld, __ATOMIC_ACQUIRE) &&
           pthread_equal(__atomic_load_n(&s->wowner, __ATOMIC_RELAXED), pthread_self());
}

const char *store_dir(const struct store *s)
{
    return s->dir;
}

unsigned store_flags(const struct store *s)
{
    return s->flags;
}

static int txn_begin(struct store *s, int nowait, struct store_txn **out, struct bf_err *err)
{
    struct store_txn *t;
    int rc = 0;

    if (s->flags & STORE_READONLY)
        return bf_err_set(err, BF_EINVAL, "store opened read-only");
    pthread_mutex_lock(&s->wlock);
    nowait = nowait && !(s->flags & STORE_NOSYNC); /* already OFF */
    /* The safety level can only change outside a transaction. */
    if (nowait)
        rc = store_sqlite_exec(s->writer, "PRAGMA synchronous=OFF;", err);
    if (!rc && (rc = store_sqlite_exec(s->writer, "BEGIN IMMEDIATE;", err)) && nowait)
        sqlite3_exec(s->writer->db, "PRAGMA synchronous=FULL;", NULL, NULL, NULL);
    if (rc) {
        pthread_mutex_unlock(&s->wlock);
        return rc;
    }
    __atomic_store_n(&s->wowner, pthread_self(), __ATOMIC_RELAXED);
    __atomic_store_n(&s->wheld, 1, __ATOMIC_RELEASE);
    t = bf_xmalloc(sizeof *t);
    t->s = s;
    t->nowait = nowait;
    *out = t;
    return 0;
}

int store_txn_begin(struct store *s, struct store_txn **out, struct bf_err *err)
{
    return txn_begin(s, 0, out, err);
}

int store_txn_begin_nowait(struct store *s, struct store_txn **out, struct bf_err *err)
{
    return txn_begin(s, 1, out, err);
}

/* Back to synchronous=FULL after a nowait transaction ended, then the
 * inline checkpoint the WAL hook may have asked for (which must fsync the
 * database before the WAL is reused). A failure to restore the level is
 * returned: commits would silently stop being durable. */
static int txn_end(struct store_txn *t, struct bf_err *err)
{
    struct store *s = t->s;
    int rc = 0;
    if (t->nowait)
        rc = store_sqlite_exec(s->writer, "PRAGMA synchronous=FULL;", err);
    if (!rc)
        store_ckpt_after_commit(s->ckpt, s->writer->db);
    __atomic_store_n(&s->wheld, 0, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&s->wlock);
    free(t);
    return rc;
}

int store_txn_commit(struct store_txn *t, struct bf_err *err)
{
    struct store *s = t->s;
    int rc = store_sqlite_exec(s->writer, "COMMIT;", err);
    if (rc)
        sqlite3_exec(s->writer->db, "ROLLBACK;", NULL, NULL, NULL);
    return rc ? (txn_end(t, NULL), rc) : txn_end(t, err);
}

void store_txn_rollback(struct store_txn *t)
{
    sqlite3_exec(t->s->writer->db, "ROLLBACK;", NULL, NULL, NULL);
    txn_end(t, NULL);
}

int store_sync_fail_for_tests;

int store_sync(struct store *s, struct bf_err *err)
{
    int fd;

    if (__atomic_load_n(&store_sync_fail_for_tests, __ATOMIC_RELAXED))
        return bf_err_set(err, BF_EIO, "fdatasync %s-wal: Input/output error (test)", s->dbpath);
    if (s->flags & (STORE_NOSYNC | STORE_READONLY))
        return 0;
    pthread_mutex_lock(&s->synclock);
    if (s->walfd < 0) {
        char path[4096];
        snprintf(path, sizeof path, "%s-wal", s->dbpath);
        /* fdatasync flushes the file, whichever descriptor names it; the
         * writer connection keeps the WAL from being deleted while open. */
        s->walfd = open(path, O_RDONLY | O_CLOEXEC);
    }
    fd = s->walfd;
    pthread_mutex_unlock(&s->synclock);
    if (fd < 0)
        return bf_err_set(err, BF_EIO, "opening %s-wal to sync it: %s", s->dbpath, strerror(errno));
    if (fdatasync(fd) < 0)
        return bf_err_set(err, BF_EIO, "fdatasync %s-wal: %s", s->dbpath, strerror(errno));
    return 0;
}

struct store *store_txn_store(struct store_txn *t)
{
    return t->s;
}

struct store_conn *store_sqlite_writer(struct store_txn *t)
{
    return t->s->writer;
}

/* Each thread caches its reader connections for the last few stores it
 * used, keyed by the store's generation so a freed and reused address is
 * never mistaken for a live store. */
static __thread struct {
    uint64_t gen;
    struct store_conn *c;
} tl_readers[4];

struct store_conn *store_sqlite_reader(struct store *s, struct bf_err *err)
{
    struct store_conn *c;
    int i, slot = 0;

    for (i = 0; i < 4; i++) {
        if (tl_readers[i].gen == s->gen)
            return tl_readers[i].c;
        if (tl_readers[i].gen < tl_readers[slot].gen)
            slot = i;
    }
    if (conn_open(s, 0, &c, err) < 0)
        return NULL;
    pthread_mutex_lock(&s->rlock);
    if (s->nreaders == s->capreaders) {
        s->capreaders = s->capreaders ? 2 * s->capreaders : 8;
        s->readers = bf_xrealloc(s->readers, (size_t)s->capreaders * sizeof *s->readers);
    }
    s->readers[s->nreaders++] = c;
    pthread_mutex_unlock(&s->rlock);
    tl_readers[slot].gen = s->gen;
    tl_readers[slot].c = c;
    return c;
}

int store_meta_get(struct store *s, const char *key, char **value, struct bf_err *err)
{
    struct store_conn *c = store_sqlite_reader(s, err);
    sqlite3_stmt *st;
    int rc;

    if (!c)
        return err ? err->code : BF_EIO;
    st = store_sqlite_stmt(c, "SELECT value FROM meta WHERE key = ?", err);
    if (!st)
        return err ? err->code : BF_EIO;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *value = bf_xstrdup((const char *)sqlite3_column_text(st, 0));
        sqlite3_reset(st);
        return 0;
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return bf_err_set(err, BF_ENOTFOUND, "no setting %s", key);
    return store_sqlite_error(c->db, rc, err, "meta");
}

int store_meta_set(struct store_txn *t, const char *key, const char *value, struct bf_err *err)
{
    struct store_conn *c = t->s->writer;
    sqlite3_stmt *st = store_sqlite_stmt(c, "INSERT INTO meta(key, value) VALUES(?, ?) "
                                            "ON CONFLICT(key) DO UPDATE SET value = excluded.value", err);
    int rc;
    if (!st)
        return err ? err->code : BF_EIO;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_sqlite_error(c->db, rc, err, "meta");
    return 0;
}

/* Savepoints wrap every item of a group commit, so they run as cached
 * prepared statements: sqlite3_exec would re-parse them each time. */
static int step_cached(struct store_conn *c, const char *sql, struct bf_err *err)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, sql, err);
    int rc;
    if (!st)
        return err ? err->code : BF_EIO;
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_sqlite_error(c->db, rc, err, sql);
    return 0;
}

int store_txn_savepoint(struct store_txn *t, struct bf_err *err)
{
    return step_cached(t->s->writer, "SAVEPOINT item", err);
}

int store_txn_release(struct store_txn *t, struct bf_err *err)
{
    return step_cached(t->s->writer, "RELEASE item", err);
}

void store_txn_rollback_to(struct store_txn *t)
{
    sqlite3_exec(t->s->writer->db, "ROLLBACK TO item; RELEASE item;", NULL, NULL, NULL);
}
