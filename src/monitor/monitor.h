/*
 * monitor.h - an independent auditor of a C2SP tlog-tiles log.
 *
 * A run fetches the log's checkpoint and checks its signature (and, if
 * asked, witness cosignatures); then it fetches every entry bundle and
 * hash tile that changed since the previous run, recomputes each leaf
 * hash from the bundles, each level-0 tile from those leaves, each upper
 * tile from the full tiles below, and the root from the previous run's
 * right edge plus the new leaves, and compares everything with what the
 * log serves and signs. Because the new root is computed *from the old
 * verified tree*, a matching root proves the new checkpoint consistent
 * with the previous one: a fork, a rollback or a rewritten entry cannot
 * pass.
 *
 * State (struct monitor_state) is what must survive between runs: the
 * last verified checkpoint, the compact range of its tree and the hashes
 * of its right-edge (partial) tile at every level. It is saved as JSON
 * with bf_fs_write_atomic only after a fully successful run, so a failed
 * run never loses the last good view. Memory is O(levels * 256 hashes);
 * a run streams bundles one at a time.
 *
 * Errors: BF_ECRYPTO for a bad signature or an inconsistency (fork,
 * rollback, rewritten entry, tile or bundle mismatch), BF_EIO for network
 * failures, BF_EINVAL for malformed responses, BF_ECORRUPT for a state
 * file that fails its own checks. The message always says which.
 */
#ifndef BELFRY_MONITOR_H
#define BELFRY_MONITOR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tlog/tlog.h"

struct bf_err;
struct bf_buf;

#define MONITOR_LEVELS 8                 /* 256^8 = 2^64 leaves */
#define MONITOR_MAX_BUNDLE (256 * (2 + TLOG_MAX_ENTRY))
#define MONITOR_MAX_CHECKPOINT (64 * 1024)

/* Where tiles come from: get appends the resource at `path` (relative to
 * the log prefix: "checkpoint", "tile/0/x001/234.p/7", "tile/entries/000")
 * to out; returns 0, BF_ENOTFOUND for a 404, or another BF_E* code. */
struct monitor_source {
    int (*get)(void *ctx, const char *path, size_t max, struct bf_buf *out, struct bf_err *err);
    void *ctx;
    void (*free)(void *ctx);
};

/* url "http://..." or "https://..." (the log prefix, e.g.
 * https://belfry.example/log) or a local directory holding the same
 * layout. timeout_ms bounds each request. */
int monitor_source_open(const char *url, long timeout_ms, struct monitor_source *out, struct bf_err *err);
void monitor_source_close(struct monitor_source *s);

struct monitor_state {
    uint64_t size;                        /* 0 and no checkpoint: never ran */
    char *checkpoint;                     /* last verified signed note (malloc'ed) */
    size_t checkpoint_len;
    struct tlog_range range;              /* compact range of the tree of that size */
    int edge_n[MONITOR_LEVELS];           /* floor(size / 256^l) mod 256 */
    tlog_hash edge[MONITOR_LEVELS][TLOG_TILE_WIDTH];
    int64_t verified_at;                  /* UNIX time of the run that verified it */
};

/* Fresh state (size 0). */
void monitor_state_init(struct monitor_state *st);
void monitor_state_free(struct monitor_state *st);
/* Loads path; BF_ENOTFOUND if absent. Checks that the file is for key,
 * that its checkpoint verifies with key and that the range and edge
 * hashes agree with it (BF_ECORRUPT otherwise). */
int monitor_state_load(const char *path, const struct tlog_vkey *key, struct monitor_state *st, struct bf_err *err);
/* Writes the state atomically (mode 0644). */
int monitor_state_save(const char *path, const struct tlog_vkey *key, const struct monitor_state *st,
                       struct bf_err *err);

struct monitor_opts {
    const struct tlog_vkey *key;          /* the log's key; its name is the origin */
    const struct tlog_vkey *witnesses;    /* cosignature keys (may be NULL) */
    int nwitnesses;
    int min_witnesses;                    /* cosignatures required among them */
    FILE *progress;                       /* progress lines, or NULL */
};

struct monitor_report {
    uint64_t old_size, new_size;
    uint64_t entries, bundles, tiles;     /* fetched and checked in this run */
    int cosigned;                         /* witness cosignatures verified */
};

/* One run: on success *st is advanced to the log's current checkpoint
 * (save it); on failure *st is unchanged and err says what is wrong. If
 * evidence is non-NULL, on a fork or rollback it receives the two
 * conflicting signed checkpoints (old, then new). */
int monitor_run(const struct monitor_opts *o, struct monitor_source *src, struct monitor_state *st,
                struct monitor_report *rep, struct bf_buf *evidence, struct bf_err *err);

/* Split-view check (gossip.c): fetches witness wkey's latest cosigned
 * checkpoint of the log from its monitoring prefix url (GET
 * <url>/<hex sha256(origin)>/checkpoint), checks the log signature and the
 * cosignature, and proves it consistent with the tree in st (as left by a
 * successful monitor_run) through a consistency proof computed from the
 * log's tiles at the larger size and verified against both signed roots.
 * *wsize receives the witness's size. BF_ENOTFOUND if the witness has no
 * checkpoint of this log; BF_ECRYPTO (message "SPLIT VIEW: ...", the two
 * checkpoints in evidence if non-NULL) if the views are inconsistent. */
int monitor_check_witness(const struct monitor_opts *o, struct monitor_source *src, const struct monitor_state *st,
                          const char *url, const struct tlog_vkey *wkey, long timeout_ms, uint64_t *wsize,
                          struct bf_buf *evidence, struct bf_err *err);

#endif
