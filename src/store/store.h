/*
 * store.h - the storage interface every domain writes through.
 *
 * One store per data directory. It has exactly one writer at a time: a
 * write happens inside a struct store_txn, which holds the store's writer
 * lock from store_txn_begin until commit or rollback. store_txn_commit
 * returns 0 only once the transaction is durable (fsync'd), so a caller
 * may acknowledge what it wrote; the one exception is a transaction begun
 * with store_txn_begin_nowait, durable at the next store_sync (the
 * ledger's group commit). Readers never block the writer (SQLite
 * WAL; PostgreSQL MVCC later).
 *
 * Backends: the SQLite backend (default, "sqlite:" or a plain directory)
 * lives in sqlite.c; its per-domain tables and queries live in
 * sqlite_<domain>.c. Each domain declares its operations as a vtable in its
 * own header (store_log.h, store_ocds.h, store_auth.h, ...) and the backend
 * lists them in struct store_backend, so a PostgreSQL backend adds one file
 * per domain without touching callers.
 *
 * Thread safety: a struct store may be shared by all threads. A
 * struct store_txn belongs to the thread that began it.
 */
#ifndef BELFRY_STORE_H
#define BELFRY_STORE_H

#include <stddef.h>
#include <stdint.h>

struct bf_err;
struct store;
struct store_txn;

enum store_flags {
    STORE_CREATE = 1 << 0,    /* create the directory and schema if missing */
    STORE_READONLY = 1 << 1,  /* open for reading only (check, export) */
    STORE_NOSYNC = 1 << 2,    /* tests only: skip fsync (never in production) */
};

/* A domain's schema and statements. migrate runs inside the writer
 * transaction of store_open when STORE_CREATE or when tables are missing;
 * it must be idempotent (CREATE TABLE IF NOT EXISTS ...). */
struct store_domain {
    const char *name;
    int (*migrate)(struct store *s, struct store_txn *t, struct bf_err *err);
};

/* Opens the store in directory dir (created with mode 0700 when
 * STORE_CREATE). *out is owned by the caller; release with store_close.
 * Errors: BF_ENOTFOUND (no store and no STORE_CREATE), BF_EIO, BF_ECORRUPT
 * (integrity check failed), BF_ECONFLICT (schema is newer than this
 * program). */
int store_open(const char *dir, unsigned flags, struct store **out, struct bf_err *err);
void store_close(struct store *s);

/* The directory the store lives in (valid until store_close). */
const char *store_dir(const struct store *s);
unsigned store_flags(const struct store *s);

/* Begins the one write transaction (blocks while another thread holds it).
 * The txn is freed by commit or rollback. */
int store_txn_begin(struct store *s, struct store_txn **out, struct bf_err *err);
/* Makes the transaction durable; on error the transaction is rolled back
 * and nothing of it is visible. Frees t either way. (For a transaction
 * begun with store_txn_begin_nowait: written and visible, durable only
 * after store_sync.) */
int store_txn_commit(struct store_txn *t, struct bf_err *err);
/* Begins a write transaction whose commit does not wait for the disk, so
 * the next transaction can be written while this one is flushed: the
 * group-commit path, where nothing is acknowledged before store_sync
 * returns. Other readers may see it before it is durable; after a crash
 * of the machine (not of the process) the store holds a prefix of the
 * committed transactions that includes every one a store_sync covered. */
int store_txn_begin_nowait(struct store *s, struct store_txn **out, struct bf_err *err);
/* Makes every transaction committed so far durable (one fdatasync).
 * Any thread, also while another writes. BF_EIO: whether what was
 * committed since the last successful store_sync is on disk is unknown. */
int store_sync(struct store *s, struct bf_err *err);
/* Tests only: while non-zero, store_sync fails with BF_EIO as a failed
 * fdatasync would (checked before STORE_NOSYNC skips the sync). */
extern int store_sync_fail_for_tests;
void store_txn_rollback(struct store_txn *t);
struct store *store_txn_store(struct store_txn *t);

/* Nested undo points inside a transaction: the ledger wraps each item of a
 * group commit in one, so a domain hook that fails undoes only its own
 * writes. release keeps the writes; rollback_to undoes them. */
int store_txn_savepoint(struct store_txn *t, struct bf_err *err);
int store_txn_release(struct store_txn *t, struct bf_err *err);
void store_txn_rollback_to(struct store_txn *t);

/* Small key/value settings (origin, schema versions, ...); value is
 * malloc'ed, caller frees. BF_ENOTFOUND if unset. */
int store_meta_get(struct store *s, const char *key, char **value, struct bf_err *err);
int store_meta_set(struct store_txn *t, const char *key, const char *value, struct bf_err *err);

/* ---- SQLite backend access for src/store/sqlite_*.c only ---------- */
#ifdef STORE_SQLITE_INTERNAL
#include <sqlite3.h>
/* A connection with its prepared-statement cache. */
struct store_conn {
    sqlite3 *db;
    int nstmt, capstmt;
    struct { const char *sql; sqlite3_stmt *st; } *stmts;
};
/* The writer connection of an open transaction. */
struct store_conn *store_sqlite_writer(struct store_txn *t);
/* This thread's reader connection (opened on first use, closed with the
 * store). Never write through it. Reads outside an explicit BEGIN see the
 * latest committed state at each statement. */
struct store_conn *store_sqlite_reader(struct store *s, struct bf_err *err);
/* Prepared statement for sql (a string literal: the cache is keyed by its
 * address), reset and with bindings cleared. Owned by the connection; do
 * not finalize. NULL with *err set on a SQL error. */
sqlite3_stmt *store_sqlite_stmt(struct store_conn *c, const char *sql, struct bf_err *err);
/* Formats sqlite3_errmsg into err; returns BF_EIO (BF_ECONFLICT for a
 * constraint violation, BF_ECORRUPT for SQLITE_CORRUPT/NOTADB). */
int store_sqlite_error(sqlite3 *db, int rc, struct bf_err *err, const char *what);
/* Executes one or more statements without results (schema). */
int store_sqlite_exec(struct store_conn *c, const char *sql, struct bf_err *err);

/* WAL checkpoints off the committing thread (sqlite_ckpt.c). attach
 * installs the writer's WAL hook (replacing wal_autocheckpoint); detach,
 * before the writer closes, joins the thread. tune sets the wake-up
 * threshold in frames (0: default) and stats reads how many checkpoints
 * the thread and the committing thread ran (tests). */
struct store_ckpt;
struct store_ckpt *store_ckpt_attach(sqlite3 *writer, const char *dbpath, int nosync);
void store_ckpt_detach(struct store_ckpt *k, sqlite3 *writer);
void store_ckpt_tune(struct store_ckpt *k, int frames);
void store_ckpt_stats(struct store_ckpt *k, unsigned long *runs, unsigned long *inline_runs);
/* After a commit on the writer, outside any transaction and with the
 * writer's synchronous setting back to FULL: the inline checkpoint the
 * WAL hook asked for, if any (a checkpoint under synchronous=OFF would
 * not fsync the database before the WAL is reused). */
void store_ckpt_after_commit(struct store_ckpt *k, sqlite3 *writer);
/* The store's checkpointer, NULL for a read-only store. */
struct store_ckpt *store_sqlite_ckpt(struct store *s);
/* 1 when the calling thread holds the store's write transaction. */
int store_sqlite_holds_writer(struct store *s);

/* Packed values (sqlite_pack.c, store_pack.h). The packer lives as long
 * as the store. */
struct bf_buf;
struct store_packer;
struct store_packer *store_packer_new(void);
void store_packer_free(struct store_packer *p);
struct store_packer *store_sqlite_packer(struct store *s);
/* A stored value v[0..n) read through c: 0 when it is plain (use v as
 * it is), 1 when it was packed and out holds its text (NUL-terminated),
 * or BF_ECORRUPT / BF_ELIMIT / BF_EIO with err set. */
int store_sqlite_unpack(struct store *s, struct store_conn *c, const void *v, size_t n, struct bf_buf *out,
                        struct bf_err *err);
#endif

#endif
