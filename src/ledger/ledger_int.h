/*
 * ledger_int.h - shared between the files of src/ledger/ only (and the
 * ledger's own tests and benchmarks): the in-memory right edge of the
 * tree, the tile cache, and struct ledger itself.
 */
#ifndef BELFRY_LEDGER_INT_H
#define BELFRY_LEDGER_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger/ledger.h"
#include "tlog/tlog.h"

#define LEDGER_LEVELS 8 /* tile levels 0..7 cover 256^8 = 2^64 leaves */

/* ---- the right edge of the tree (ledger_tree.c) ---------------------- */

/* Everything the sequencer needs to append without rereading the store:
 * per tile level, the hashes of the current partial tile and their
 * compact range. The whole tree's compact range is the concatenation of
 * the levels' ranges, highest level first, so the root needs no other
 * state and a completed tile's hash falls out of its level's range
 * (about one node hash per leaf in all, like x/mod's StoredHashes). Plain
 * value: copy it to snapshot. */
struct ledger_tree {
    uint64_t size;
    struct tlog_range lvl[LEDGER_LEVELS];
    int edge_n[LEDGER_LEVELS];
    tlog_hash edge[LEDGER_LEVELS][TLOG_TILE_WIDTH];
};

/* Called when the tile (level - 1, idx) becomes full: h is the hash of its
 * 256 hashes (tile[0..256)), i.e. the level-`level` hash number idx. A
 * non-zero return aborts the append (the tree is then undefined: restore
 * a snapshot). */
typedef int (*ledger_tree_emit)(void *ctx, int level, uint64_t idx, const tlog_hash *h, const tlog_hash *tile,
                                struct bf_err *err);

void ledger_tree_init(struct ledger_tree *t);
int ledger_tree_append(struct ledger_tree *t, const tlog_hash *leaf, ledger_tree_emit emit, void *ctx,
                       struct bf_err *err);
/* RFC 6962 root of the tree (SHA-256("") when empty). */
void ledger_tree_root(const struct ledger_tree *t, tlog_hash *out);
/* Hash of a perfect tree over n = 2^k hashes (n <= 256). */
void ledger_tree_fold(const tlog_hash *h, int n, tlog_hash *out);
/* Rebuilds the tree edge of a tree of `size` leaves from stored hashes
 * (rd reads tile-level hashes: level, first, count). */
typedef int (*ledger_tile_hashes_fn)(void *ctx, int level, uint64_t first, int count, tlog_hash *out,
                                     struct bf_err *err);
int ledger_tree_load(struct ledger_tree *t, uint64_t size, ledger_tile_hashes_fn rd, void *ctx, struct bf_err *err);

/* ---- tile cache (ledger_read.c) ------------------------------------ */

#define LEDGER_CACHE_SLOTS 4096
#define LEDGER_CACHE_MAX_BYTES ((size_t)96 << 20)
#define LEDGER_CACHE_MAX_ITEM ((size_t)1 << 20)

struct ledger_cache_slot {
    int level;             /* -1: entry bundle */
    uint64_t n;
    char *body;            /* NULL: empty slot */
    size_t len;
    tlog_hash *tree;       /* hash tiles: the 511 nodes of the tile's own tree
                            * (row r = subtrees of 2^r hashes), built on the
                            * first proof that needs one; or NULL */
};

struct ledger_cache {
    pthread_rwlock_t lock;
    size_t bytes;
    struct ledger_cache_slot slot[LEDGER_CACHE_SLOTS];
};

void ledger_cache_init(struct ledger_cache *c);
void ledger_cache_free(struct ledger_cache *c);
/* Appends a cached full tile to out; 1 if found, 0 if not, < 0 on error. */
int ledger_cache_get(struct ledger_cache *c, int level, uint64_t n, struct bf_buf *out);
void ledger_cache_put(struct ledger_cache *c, int level, uint64_t n, const void *body, size_t len);

/* ---- the ledger ---------------------------------------------------- */

struct ledger_req;
struct ledger_admin;
struct ledger_witness;

struct ledger {
    struct store *s;
    int readonly;
    int batch_max;
    int lockfd;
    char *origin;
    char *vkey;
    struct tlog_skey key;
    struct tlog_vkey pub;
    struct ledger_signer *signer;      /* sequencer only; NULL when read-only */

    /* published state (pub_mu) */
    pthread_mutex_t pub_mu;
    uint64_t pub_size;
    tlog_hash pub_root;
    char *pub_note;                    /* log-signed checkpoint */
    size_t pub_len;
    int64_t uncos_ms;                  /* since when (monotonic ms) a published checkpoint
                                        * has waited for cosigning; 0: none waits */
    char *cos_note;                    /* latest witnessed checkpoint or NULL */
    size_t cos_len;
    uint64_t cos_size;
    uint64_t served_size;              /* never goes backwards */

    /* sequencer queue (q_mu) */
    pthread_mutex_t q_mu;
    pthread_cond_t q_cv;               /* sequencer: work arrived or stop */
    struct ledger_req *q_head, *q_tail;
    int stopping;
    int seq_running;
    pthread_t seq;

    /* sync thread queue (sync_mu): committed batches waiting for their fsync */
    pthread_mutex_t sync_mu;
    pthread_cond_t sync_cv;
    struct ledger_durable *sync_head, *sync_tail;
    int sync_stopping;
    int sync_running;
    pthread_t syncer;

    /* sequencer-only state */
    int broken;                        /* a failed batch left the store in doubt
                                        * (atomic: the sync thread sets it too) */
    struct ledger_tree tree;

    struct ledger_cache cache;
    struct ledger_admin *admin;
    struct {                           /* admin commands (ledger_admin_cmd.c, its lock) */
        char name[32];
        ledger_admin_cmd_fn fn;
        void *arg;
    } cmds[LEDGER_ADMIN_MAX_CMDS];
    int ncmds;
    struct ledger_witness *witness;
};

int64_t ledger_now_ms(void);

/* ledger_sign.c: signs checkpoints with a key object built once. */
struct ledger_signer;
int ledger_signer_new(const struct tlog_skey *k, struct ledger_signer **out, struct bf_err *err);
void ledger_signer_free(struct ledger_signer *s);
/* Appends the signed checkpoint note (same bytes as tlog_checkpoint_sign). */
int ledger_signer_checkpoint(struct ledger_signer *s, const char *origin, uint64_t size, const tlog_hash *root,
                             struct bf_buf *out, struct bf_err *err);

/* ledger_seq.c */
int ledger_seq_start(struct ledger *l, struct bf_err *err);
void ledger_seq_stop(struct ledger *l);

/* ledger_read.c: tile-level hashes with the cache in front of the store. */
int ledger_tile_hashes(void *ctx, int level, uint64_t first, int count, tlog_hash *out, struct bf_err *err);
/* tlog_hash_reader over the store (ctx = struct ledger *). */
int ledger_hash_reader(void *ctx, int mlevel, uint64_t idx, tlog_hash *out, struct bf_err *err);
/* Publishes a freshly committed checkpoint (takes ownership of note). */
void ledger_publish(struct ledger *l, uint64_t size, const tlog_hash *root, char *note, size_t len);

/* ledger_witness.c */
int ledger_witness_start(struct ledger *l, const struct ledger_opts *o, struct bf_err *err);
void ledger_witness_kick(struct ledger *l);
void ledger_witness_stop(struct ledger *l);

/* ledger_admin.c */
void ledger_admin_stop(struct ledger *l);
/* Reads one admin request from fd into *items (entries malloc'ed; free
 * with ledger_admin_free_request). 0 with *n == 0 at a clean EOF, 0 with
 * *n > 0 for a request, LEDGER_ADMIN_IS_COMMAND when the request is a
 * command (its count was 0: the rest is read by
 * ledger_admin_read_command), < 0 on a protocol error (nothing returned). */
#define LEDGER_ADMIN_IS_COMMAND 1
int ledger_admin_read_request(int fd, struct ledger_item **items, size_t *n);
void ledger_admin_free_request(struct ledger_item *items, size_t n);
/* The socket's I/O: all n bytes or -1 (EINTR retried; a write never
 * raises SIGPIPE); big-endian u32s. */
int ledger_admin_read_full(int fd, void *p, size_t n);
int ledger_admin_write_full(int fd, const void *p, size_t n);
uint32_t ledger_admin_get_u32(const uint8_t *b);
void ledger_admin_put_u32(uint8_t *b, uint32_t v);
/* ledger_admin_cmd.c: a command's arguments after its 0 count: *argv is
 * one malloc'ed block (free(*argv)), NULL-terminated, *argc >= 1 strings.
 * < 0 on a protocol error. */
int ledger_admin_read_command(int fd, int *argc, char ***argv);
/* Reads a command from fd, runs it, sends its exit status; < 0 when the
 * connection cannot go on. */
int ledger_admin_serve_command(struct ledger *l, int fd);

#endif
