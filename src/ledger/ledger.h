/*
 * ledger.h - the running transparency log that every record enters.
 *
 * A ledger owns a sequencer thread that takes appends from any number of
 * threads, groups them into one store transaction (group commit: one
 * fsync for the batch), signs a checkpoint covering the batch inside the
 * same transaction, commits, and only then wakes the appenders. So an
 * acknowledged entry is durable and already covered by a published signed
 * checkpoint; and because entries are never rewritten and a checkpoint is
 * signed only over committed entries, no two signed checkpoints can be
 * inconsistent, across crashes too.
 *
 * Domains (procurement, drones, ...) append through ledger_append with a
 * hook that writes their own rows inside the same transaction, once the
 * entry's index is known: the record and its log entry commit together or
 * not at all.
 *
 * Key: the log's Ed25519 signing key lives in <data>/log/key (mode 0600,
 * x/mod "PRIVATE+KEY+..." form); the origin and the verifier key are
 * stored in the store's meta. Only one process writes a log: a writable
 * ledger holds an flock on <data>/log/lock; a second writer gets
 * BF_ECONFLICT (and `belfry log append` then goes through the server's
 * admin socket, see below).
 *
 * Storage (store_log.h): entries with their leaf hashes, the hash of every
 * complete 256^L-leaf subtree, and every signed checkpoint. Partial tiles
 * are cut from these at read time, never written, so none go stale.
 *
 * Threads: every function may be called from any thread, concurrently,
 * except ledger_close (once, after all other calls returned). A hook must
 * not call ledger_append (the sequencer would wait for itself).
 *
 * Served checkpoint: the latest signed one; with witnesses configured,
 * the newest witnessed one while it lags the latest by less than a
 * second (so a dead witness never stops publication). It never goes back
 * to a smaller size. Checkpoints carry no timestamp, so there is nothing
 * to republish when idle: the latest note stays valid and is always
 * served (ledger_open loads it; ledger_init signs the empty tree's).
 */
#ifndef BELFRY_LEDGER_H
#define BELFRY_LEDGER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tlog/tlog.h"

struct bf_err;
struct bf_buf;
struct store;
struct store_txn;
struct ledger;

struct ledger_opts {
    int readonly;              /* no sequencer: reads, check, export */
    int batch_max;             /* entries per group commit (default 4096) */
    int publish_ms;            /* unused: checkpoints have no timestamp, nothing to republish */
    const char *const *witness_urls; /* NULL-terminated tlog-witness submission URLs, or NULL */
    const char *const *witness_vkeys;/* matching verifier keys */
};

/* Creates the log in an open store: origin, a new key (or key_text, an
 * x/mod private key string, for known-answer tests), and the empty
 * checkpoint. BF_EEXIST if the store already has a log. */
int ledger_init(struct store *s, const char *origin, const char *key_text, struct bf_err *err);

/* Opens the log, recovers its state from the store (checking that the
 * stored tree matches the last signed checkpoint) and, unless readonly,
 * starts the sequencer. opts may be NULL. */
int ledger_open(struct store *s, const struct ledger_opts *opts, struct ledger **out, struct bf_err *err);
/* Stops the admin socket, drains pending appends, stops the sequencer and
 * the cosigner, releases the lock, frees l. NULL is allowed. */
void ledger_close(struct ledger *l);

/* Runs inside the group-commit transaction after the entry has been
 * given its index. Write the domain's rows through t. A non-zero return
 * undoes the hook's writes and rejects this item only.
 * An item with no entry (NULL, len 0) and a hook is a batch hook: it
 * runs at its place among the items, after the hooks of the items before
 * it (which it may read: which were added, at what index), logs nothing
 * (index is the log size so far) and, since it writes what those items
 * depend on, its failure fails the whole batch. */
typedef int (*ledger_hook)(struct store_txn *t, uint64_t index, void *arg, struct bf_err *err);

struct ledger_item {
    const void *entry;         /* the bytes to log, 1..TLOG_MAX_ENTRY (NULL: a batch hook) */
    size_t len;
    ledger_hook hook;          /* may be NULL */
    void *hook_arg;
    int hook_atomic;           /* the hook leaves nothing written when it fails (one write
                                * statement, say): it runs without a savepoint */
    /* results: */
    uint64_t index;            /* set when rc == 0 */
    int rc;                    /* 0 or a BF_E* code for this item */
    struct bf_err err;         /* message when rc < 0 */
};

/* Appends n items (at most 65 536) and blocks until each is durable and
 * covered by a signed checkpoint (or rejected). Items of one call are
 * contiguous in the log unless some are rejected. Empty entries
 * (BF_EINVAL) and entries over TLOG_MAX_ENTRY bytes (BF_ELIMIT) are
 * rejected before anything is queued, with a message in their err. If
 * the batch's commit fails, all of its items fail (nothing of it is in
 * the log). Returns 0 if every item succeeded, otherwise the first failed
 * item's error code (see each item's rc and err). */
int ledger_append(struct ledger *l, struct ledger_item *items, size_t n, struct bf_err *err);

/* Called once per ledger_append_async, when every item has its result:
 * from the ledger's sync thread once the batch is durable and published,
 * from its sequencer when the batch failed or all its items were
 * rejected, or from within ledger_append_async itself when no item was
 * queued. It must be quick and must not call into the ledger. */
typedef void (*ledger_done_fn)(void *arg);

/* ledger_append without the wait: queues the items and returns, so the
 * caller can prepare its next batch while this one is written and
 * synced. items (and whatever their hooks read) must stay valid, and
 * untouched, until done(arg) has been called; results are then in each
 * item as ledger_append leaves them. Returns 0 (done will be called) or
 * < 0 before anything was queued (read-only ledger, too many items, the
 * ledger closing; done is not called). */
int ledger_append_async(struct ledger *l, struct ledger_item *items, size_t n, ledger_done_fn done, void *arg,
                        struct bf_err *err);

/* Size of the latest published checkpoint. */
uint64_t ledger_size(struct ledger *l);
const char *ledger_origin(struct ledger *l);
/* The log's verifier key "name+hex8+base64" (valid until ledger_close). */
const char *ledger_vkey(struct ledger *l);

/* Appends the latest signed checkpoint (with any witness cosignatures). */
int ledger_checkpoint(struct ledger *l, struct bf_buf *out, uint64_t *size, struct bf_err *err);
/* Appends the body of a tile or entry bundle. BF_ENOTFOUND if the tile
 * (at that width) is beyond the published size. Any width up to the one
 * the published tree has is served (a partial tile is a prefix of its
 * tile and never changes); full tiles come from an in-memory cache. */
int ledger_tile(struct ledger *l, const struct tlog_tile *t, struct bf_buf *out, struct bf_err *err);
/* Appends entry `index` (raw bytes). */
int ledger_entry(struct ledger *l, uint64_t index, struct bf_buf *out, struct bf_err *err);
/* Leaf hash of entry `index`. */
int ledger_leaf_hash(struct ledger *l, uint64_t index, tlog_hash *out, struct bf_err *err);
/* Appends a c2sp.org/tlog-proof@v1 receipt for index against the latest
 * checkpoint (size == 0) or the signed checkpoint of that size. */
int ledger_receipt(struct ledger *l, uint64_t index, uint64_t size, struct bf_buf *out, struct bf_err *err);
/* Consistency proof between two sizes 0 < from <= to <= published size
 * (BF_EINVAL / BF_ENOTFOUND otherwise). */
int ledger_consistency(struct ledger *l, uint64_t from, uint64_t to, tlog_hash *proof, int *n, struct bf_err *err);

/* Recomputes every hash from the stored entries and compares with every
 * checkpoint ever signed (each verified with the store's log key) and
 * every stored subtree hash; reports the first mismatch in err
 * (BF_ECORRUPT), after SQLite's own page check. Read-only: safe on a store
 * a server is writing. Progress lines go to `progress` if non-NULL. */
int ledger_check(struct store *s, FILE *progress, struct bf_err *err);

struct http_server;
/* Mounts /log/checkpoint, /log/tile/..., /log/proof/<i>, /log/consistency.
 * A writable ledger that serves HTTP is its data directory's server, so
 * this also starts the admin socket (ledger_admin_listen). */
int ledger_http_register(struct ledger *l, struct http_server *srv, struct bf_err *err);

/* ---- admin socket: appends from other processes (ledger_admin.c) ---- */

#define LEDGER_ADMIN_MAX_BATCH 4096  /* entries per request */

/* Listens on <data_dir>/admin.sock (mode 0600; a stale socket left by a
 * killed server is replaced) and appends what local clients of the same
 * uid send. Stopped by ledger_close. Not for read-only ledgers. */
int ledger_admin_listen(struct ledger *l, const char *data_dir, struct bf_err *err);
/* Client side: connects to a running server's admin socket (BF_ENOTFOUND
 * if none listens). Close *fd with close(). */
int ledger_admin_connect(const char *data_dir, int *fd, struct bf_err *err);
/* Sends n (1..LEDGER_ADMIN_MAX_BATCH) items and waits until each is
 * durable or rejected; fills each item's rc, index and err as
 * ledger_append does (hooks are not supported remotely). Returns < 0 if
 * the connection failed: items whose rc is still < 0 with an "no answer"
 * message may or may not have been appended. */
int ledger_admin_append(int fd, struct ledger_item *items, size_t n, struct bf_err *err);
/* 1 if another process holds the log lock of data_dir (a server is
 * running: use the admin socket), else 0. */
int ledger_lock_held(const char *data_dir);
/* "<data_dir>/admin.sock" into out, checking the Unix socket path limit. */
int ledger_admin_path(const char *data_dir, char *out, size_t cap, struct bf_err *err);

/* ---- admin socket: commands run in the server (ledger_admin_cmd.c) ---- */

#define LEDGER_ADMIN_MAX_CMDS 8
#define LEDGER_ADMIN_MAX_ARGS 1024
#define LEDGER_ADMIN_MAX_CMDLEN 65536 /* bytes of arguments */

/* A command a domain lets local clients of the same uid run in the server
 * (`belfry import` while `serve` holds the log). argv[0] is its name. It
 * writes to the client's stdout and stderr through out and err (line
 * buffered; closed by the caller), may read the client's stdin once
 * (ledger_admin_call_stdin) and returns the client's exit status
 * (0..255). It runs on its connection's thread, concurrently with the
 * server's other work and with other commands. */
struct ledger_admin_call;
typedef int (*ledger_admin_cmd_fn)(void *arg, struct ledger_admin_call *call, int argc, char **argv, FILE *out,
                                   FILE *err);
/* Registers fn under name (1..31 bytes): BF_EEXIST if the name is taken,
 * BF_ELIMIT past LEDGER_ADMIN_MAX_CMDS. Commands stay until ledger_close. */
int ledger_admin_command(struct ledger *l, const char *name, ledger_admin_cmd_fn fn, void *arg, struct bf_err *err);
/* The client's stdin, whole: *data malloc'ed and NUL-terminated, *len
 * bytes. BF_ELIMIT past max bytes (the rest is read and dropped),
 * BF_EIO if the client went away, BF_EINVAL on a second call. */
int ledger_admin_call_stdin(struct ledger_admin_call *call, size_t max, char **data, size_t *len,
                            struct bf_err *err);
/* Client side: runs argv (argv[0] the command's name) in the server
 * behind fd (ledger_admin_connect), copying its output to this process's
 * stdout and stderr and sending this process's stdin if it asks for it.
 * *status is the command's exit status. < 0 if the connection failed
 * before the command ended (it may have run in part). */
int ledger_admin_run(int fd, int argc, char *const *argv, int *status, struct bf_err *err);

/* ---- `belfry serve` (ledger_http.c) ---------------------------------- */
struct app;
/* ledger_http_register(app->ledger, app->http, err). */
int ledger_mount(struct app *app, struct bf_err *err);

#endif
