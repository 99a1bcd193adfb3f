/*
 * witness.h - C2SP tlog-witness v1.0.0: the witness that cosigns a log's
 * checkpoints (server side, `belfry witness`) and the pool a log operator
 * uses to collect cosignatures from several witnesses (client side).
 *
 * Server. A struct witness holds the witness's cosignature/v1 key (type
 * 0x04), the logs it trusts (one or more Ed25519 verifier keys per origin;
 * the origin is the key's name) and the store in which it keeps, for each
 * origin, the size, root and text of the latest checkpoint it cosigned.
 * witness_add_checkpoint implements POST <prefix>/add-checkpoint exactly
 * as the spec orders its checks:
 *
 *   400  malformed body, or old > checkpoint size
 *   404  the checkpoint's origin is not a trusted log
 *   403  no trusted log key verifies the checkpoint (or one fails)
 *   409  old != the size last cosigned (reply body "<size>\n", content
 *        type text/x.tlog.size); or old == size with a different root
 *   422  the consistency proof does not verify; a non-empty proof with
 *        old 0; size 0 with a root other than SHA-256("")
 *   200  cosigned: the reply body is one cosignature/v1 line
 *
 * The check of the stored size and the write of the new one happen in one
 * store write transaction (the store admits one writer at a time), so two
 * racing requests can never roll the witness back; the SQL update is a
 * compare-and-swap on the old size as well. Only a 200 changes the store,
 * and the new state is durable before the cosignature is returned.
 *
 * Client. witness_pool_cosign submits a signed checkpoint to every witness
 * of the pool in parallel (one thread each), with a consistency proof from
 * the size that witness last cosigned (0 at first; on 409 it retries once
 * with the size the witness returned), verifies each returned line with
 * that witness's verifier key and appends the valid lines to out_lines. A
 * witness that times out, errs or returns a bad cosignature is skipped
 * (and reported in the message of err), never fatal.
 */
#ifndef BELFRY_WITNESS_H
#define BELFRY_WITNESS_H

#include <stddef.h>
#include <stdint.h>

#include "tlog/tlog.h"

struct bf_err;
struct bf_buf;
struct store;

/* ---- request body (req.c) ----------------------------------------------- */

#define WITNESS_MAX_PROOF 63          /* proof lines the spec allows */
#define WITNESS_MAX_BODY (64 * 1024)  /* request ceiling: checkpoint + 63 proof lines + 100 signatures */

/* A parsed add-checkpoint body. cp points into the caller's buffer. */
struct witness_req {
    uint64_t old;
    int nproof;
    tlog_hash proof[WITNESS_MAX_PROOF];
    const char *cp;                   /* the signed checkpoint note, verbatim */
    size_t cp_len;
};

/* Parses "old N\n" (canonical decimal), 0..63 base64 hash lines, "\n",
 * then the checkpoint (which must be non-empty). BF_EINVAL with a message
 * naming the offending line on anything else. Pure; never reads past len. */
int witness_req_parse(const char *body, size_t len, struct witness_req *out, struct bf_err *err);

/* Builds a request body into out (appends). */
int witness_req_format(uint64_t old, const tlog_hash *proof, int n, const char *cp, size_t cp_len,
                       struct bf_buf *out);

/* ---- server (witness.c, witness_http.c) ------------------------------------ */

struct witness;

struct witness_opts {
    const struct tlog_skey *key;      /* cosignature/v1 key (type 0x04); copied */
    const struct tlog_vkey *logs;     /* trusted log keys (type 0x01), origin = name; copied */
    int nlogs;
    uint64_t (*clock)(void);          /* UNIX seconds for cosignatures; NULL = time() */
};

/* Creates a witness over an open store (which it does not own: close the
 * store after witness_free). BF_EINVAL if the key is not a cosignature
 * key, a log key is not Ed25519, or there is no log. */
int witness_new(struct store *s, const struct witness_opts *o, struct witness **out, struct bf_err *err);
void witness_free(struct witness *w);

/* The outcome of one add-checkpoint request. */
struct witness_result {
    int status;                       /* 200, 400, 403, 404, 409, 422 or 500 */
    uint64_t size;                    /* 409: the size the witness has cosigned */
    struct bf_err err;                /* the reason when status != 200 */
};

/* Handles one request body. On 200 the cosignature line is appended to
 * cosig and 0 is returned; otherwise a negative BF_E* code, with the
 * status and reason in *res. Thread-safe. */
int witness_add_checkpoint(struct witness *w, const char *body, size_t len, struct bf_buf *cosig,
                           struct witness_result *res);

/* Appends the latest checkpoint cosigned for the origin whose SHA-256 is
 * origin_hex (64 lower-case hex digits), with the witness's cosignature.
 * BF_ENOTFOUND if none, BF_EINVAL if origin_hex is malformed. */
int witness_latest(struct witness *w, const char *origin_hex, struct bf_buf *out, struct bf_err *err);

/* The witness's verifier key "name+hex8+base64" (valid until witness_free). */
const char *witness_vkey(const struct witness *w);

struct http_server;
/* Registers POST /add-checkpoint and GET /{origin-sha256}/checkpoint. */
int witness_http_register(struct witness *w, struct http_server *srv, struct bf_err *err);

/* ---- client pool (pool.c) -------------------------------------------------- */

struct witness_pool;

/* Consistency proof from `from` to `to` (0 < from <= to) into proof/n. */
typedef int (*witness_prove_fn)(void *ctx, uint64_t from, uint64_t to, tlog_hash *proof, int *n,
                                struct bf_err *err);

/* urls: NULL-terminated submission prefixes ("http://host:port", the pool
 * appends "/add-checkpoint"); vkeys: the matching cosignature verifier
 * keys, same count. Copies both. BF_EINVAL on a bad key or count mismatch. */
int witness_pool_new(const char *const *urls, const char *const *vkeys, struct witness_pool **out,
                     struct bf_err *err);

/* Submits the signed checkpoint cp (len bytes, tree size `size`) to every
 * witness and appends each verified cosignature line to out_lines (the
 * lines of one witness are appended together, in pool order). prove may be
 * called from several threads but never concurrently (the pool serialises
 * calls); it is not called for old size 0 or old == size. Returns 0 even
 * when witnesses fail: each failure is written to stderr and summarised in
 * err->msg with err->code left 0. Negative (BF_EINVAL) only when cp is not
 * a checkpoint of the given size. Not reentrant for one pool: call it from
 * one thread at a time (it remembers each witness's last cosigned size). */
int witness_pool_cosign(struct witness_pool *p, const char *cp, size_t len, uint64_t size,
                        int (*prove)(void *ctx, uint64_t from, uint64_t to, tlog_hash *proof, int *n,
                                     struct bf_err *err),
                        void *ctx, struct bf_buf *out_lines, struct bf_err *err);

/* Per-request timeout for the pool's HTTP calls (default 5000 ms). */
void witness_pool_set_timeout(struct witness_pool *p, long timeout_ms);

void witness_pool_free(struct witness_pool *p);

#endif
