/*
 * witness.c - the tlog-witness add-checkpoint logic, free of HTTP so it
 * can be tested directly: parse the body, find the origin's trusted keys,
 * verify the log signature, then, inside one store write transaction,
 * compare the claimed old size with the stored one, check the consistency
 * proof against the stored root, cosign, persist and commit.
 *
 * Invariants: the checks run in the order of the spec (404, 403, 400,
 * 409, 422, 409 for a same-size fork) and only a request that passes all
 * of them writes to the store; the stored size never decreases and, for an
 * equal size, the root never changes; the cosignature is returned only
 * after the commit that records it is durable.
 */
#include "common.h"
#include "buf.h"
#include "enc.h"
#include "sha256.h"
#include "store/store.h"
#include "witness.h"
#include "wstore.h"

struct witness {
    struct store *store;
    struct tlog_skey key;
    struct tlog_vkey *logs;
    int nlogs;
    uint64_t (*clock)(void);
    char vkey[TLOG_NAME_MAX + 64];
};

static uint64_t wall_clock(void)
{
    return (uint64_t)time(NULL);
}

int witness_new(struct store *s, const struct witness_opts *o, struct witness **out, struct bf_err *err)
{
    struct witness *w;
    struct tlog_vkey pub;
    struct bf_buf b = BF_BUF_INIT;
    int i;

    if (o->key->type != TLOG_KEY_COSIG_V1)
        return bf_err_set(err, BF_EINVAL, "witness key %s is not a cosignature/v1 (type 0x04) key; "
                                          "create one with `belfry witness keygen`", o->key->name);
    if (o->nlogs <= 0)
        return bf_err_set(err, BF_EINVAL, "a witness needs at least one --log verifier key");
    for (i = 0; i < o->nlogs; i++)
        if (o->logs[i].type != TLOG_KEY_ED25519)
            return bf_err_set(err, BF_EINVAL, "log key %s is not an Ed25519 (type 0x01) key", o->logs[i].name);
    w = bf_xcalloc(1, sizeof *w);
    w->store = s;
    w->key = *o->key;
    w->logs = bf_xmalloc((size_t)o->nlogs * sizeof *w->logs);
    memcpy(w->logs, o->logs, (size_t)o->nlogs * sizeof *w->logs);
    w->nlogs = o->nlogs;
    w->clock = o->clock ? o->clock : wall_clock;
    tlog_skey_public(&w->key, &pub);
    if (tlog_vkey_format(&pub, &b) == 0)
        snprintf(w->vkey, sizeof w->vkey, "%s", b.data);
    bf_buf_free(&b);
    *out = w;
    return 0;
}

void witness_free(struct witness *w)
{
    if (!w)
        return;
    explicit_bzero(&w->key, sizeof w->key);
    free(w->logs);
    free(w);
}

const char *witness_vkey(const struct witness *w)
{
    return w->vkey;
}

static int fail(struct witness_result *res, int status, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(struct witness_result *res, int status, int code, const char *fmt, ...)
{
    va_list ap;
    res->status = status;
    res->err.code = code;
    va_start(ap, fmt);
    vsnprintf(res->err.msg, sizeof res->err.msg, fmt, ap);
    va_end(ap);
    return code;
}

/* The trusted keys of origin, gathered into keys[]; returns the count. */
static int origin_keys(const struct witness *w, const char *origin, struct tlog_vkey *keys, int cap)
{
    int i, n = 0;
    for (i = 0; i < w->nlogs && n < cap; i++)
        if (!strcmp(w->logs[i].name, origin))
            keys[n++] = w->logs[i];
    return n;
}

/* Everything that needs no stored state: body, origin, signature, sizes. */
static int check_stateless(struct witness *w, const char *body, size_t len, struct witness_req *rq,
                           struct tlog_note *note, struct tlog_checkpoint *cp, struct witness_result *res)
{
    struct tlog_vkey keys[16];
    struct bf_err e = { 0 };
    tlog_hash empty;
    int nk;

    if (witness_req_parse(body, len, rq, &e) < 0)
        return fail(res, 400, BF_EINVAL, "%s", e.msg);
    if (tlog_note_parse(rq->cp, rq->cp_len, note, &e) < 0 ||
        tlog_checkpoint_parse(note->text, note->text_len, cp, &e) < 0)
        return fail(res, 400, BF_EINVAL, "checkpoint: %s", e.msg);
    nk = origin_keys(w, cp->origin, keys, (int)BF_ARRAY_LEN(keys));
    if (nk == 0)
        return fail(res, 404, BF_ENOTFOUND, "unknown log origin \"%s\"", cp->origin);
    if (tlog_note_verify(note, keys, nk, NULL, &e) <= 0)
        return fail(res, 403, BF_EFORBIDDEN, "checkpoint of %s carries no valid signature of a trusted key: %s",
                    cp->origin, e.msg);
    if (rq->old > cp->size)
        return fail(res, 400, BF_EINVAL, "old size %" PRIu64 " is larger than the checkpoint size %" PRIu64,
                    rq->old, cp->size);
    if (rq->old == 0 && rq->nproof != 0)
        return fail(res, 422, BF_ECRYPTO, "a consistency proof from old size 0 must be empty");
    tlog_empty_root(&empty);
    if (cp->size == 0 && memcmp(cp->root.b, empty.b, TLOG_HASH_LEN) != 0)
        return fail(res, 422, BF_ECRYPTO, "a checkpoint of size 0 must have the empty root SHA-256(\"\")");
    return 0;
}

/* The checks against the stored state (inside the write transaction). */
static int check_state(const struct witness_state *st, const struct witness_req *rq,
                       const struct tlog_checkpoint *cp, struct witness_result *res)
{
    struct bf_err e = { 0 };
    uint64_t have = st->found ? st->size : 0;

    if (rq->old != have) {
        res->size = have;
        return fail(res, 409, BF_ECONFLICT, "old size %" PRIu64 " is not the size %" PRIu64
                    " this witness last cosigned for %s", rq->old, have, cp->origin);
    }
    if (rq->old == cp->size) {
        if (rq->nproof != 0)
            return fail(res, 422, BF_ECRYPTO, "the consistency proof between equal sizes must be empty");
        if (st->found && memcmp(st->root.b, cp->root.b, TLOG_HASH_LEN) != 0) {
            res->size = have;
            return fail(res, 409, BF_ECONFLICT, "fork: checkpoint of size %" PRIu64 " has a different root"
                        " from the one this witness cosigned for %s", cp->size, cp->origin);
        }
        return 0;
    }
    if (rq->old == 0)
        return 0;
    if (tlog_verify_consistency(rq->old, cp->size, &st->root, &cp->root, rq->proof, rq->nproof, &e) < 0)
        return fail(res, 422, BF_ECRYPTO, "consistency proof from %" PRIu64 " to %" PRIu64 " does not verify: %s",
                    rq->old, cp->size, e.msg);
    return 0;
}

/* Cosigns and persists inside t; the stored text is the submitted note
 * followed by the witness's own line. */
static int cosign_and_store(struct witness *w, struct store_txn *t, const struct witness_state *st,
                            const struct witness_req *rq, const struct tlog_note *note,
                            const struct tlog_checkpoint *cp, struct bf_buf *line, struct witness_result *res)
{
    struct bf_buf full = BF_BUF_INIT;
    int rc;

    if ((rc = tlog_cosign(&w->key, note->text, note->text_len, w->clock(), line, &res->err)) < 0)
        goto out;
    if ((rc = bf_buf_append(&full, rq->cp, rq->cp_len)) < 0 ||
        (rq->cp[rq->cp_len - 1] != '\n' && (rc = bf_buf_putc(&full, '\n')) < 0) ||
        (rc = bf_buf_append(&full, line->data, line->len)) < 0) {
        bf_err_set(&res->err, rc, "out of memory building the stored checkpoint");
        goto out;
    }
    rc = witness_store_put(t, cp->origin, st->found, st->size, cp->size, &cp->root, full.data, full.len, &res->err);
out:
    bf_buf_free(&full);
    return rc;
}

int witness_add_checkpoint(struct witness *w, const char *body, size_t len, struct bf_buf *cosig,
                           struct witness_result *res)
{
    struct witness_req *rq = bf_xmalloc(sizeof *rq);
    struct tlog_note *note = bf_xmalloc(sizeof *note);
    struct tlog_checkpoint cp;
    struct witness_state st;
    struct store_txn *t = NULL;
    struct bf_buf line = BF_BUF_INIT;
    int rc;

    memset(res, 0, sizeof *res);
    if ((rc = check_stateless(w, body, len, rq, note, &cp, res)) < 0)
        goto out;
    res->status = 500;
    if ((rc = store_txn_begin(w->store, &t, &res->err)) < 0 ||
        (rc = witness_store_get(t, cp.origin, &st, &res->err)) < 0)
        goto out;
    if ((rc = check_state(&st, rq, &cp, res)) < 0) {
        if (res->status == 422 || (res->status == 409 && res->size == cp.size))
            fprintf(stderr, "belfry: witness: possible misbehaviour of log %s (validly signed checkpoint of size %"
                    PRIu64 " refused): %s\n", cp.origin, cp.size, res->err.msg);
        goto out;
    }
    res->status = 500;
    if ((rc = cosign_and_store(w, t, &st, rq, note, &cp, &line, res)) < 0)
        goto out;
    rc = store_txn_commit(t, &res->err);
    t = NULL;
    if (rc < 0)
        goto out;
    if ((rc = bf_buf_append(cosig, line.data, line.len)) < 0) {
        bf_err_set(&res->err, rc, "cosignature does not fit the response");
        goto out;
    }
    res->status = 200;
out:
    if (t)
        store_txn_rollback(t);
    bf_buf_free(&line);
    free(note);
    free(rq);
    return rc;
}

int witness_latest(struct witness *w, const char *origin_hex, struct bf_buf *out, struct bf_err *err)
{
    uint8_t h[BF_SHA256_LEN];
    char *cp = NULL;
    size_t len = 0, i;
    int rc;

    for (i = 0; origin_hex[i]; i++)
        if (!((origin_hex[i] >= '0' && origin_hex[i] <= '9') || (origin_hex[i] >= 'a' && origin_hex[i] <= 'f')))
            break;
    if (i != 64 || origin_hex[i] || bf_hex_decode(origin_hex, 64, h, sizeof h) != (long)sizeof h)
        return bf_err_set(err, BF_EINVAL, "expected the lower-case hex SHA-256 of a log origin");
    if ((rc = witness_store_checkpoint(w->store, h, &cp, &len, err)) < 0)
        return rc;
    rc = bf_buf_append(out, cp, len);
    if (rc < 0)
        bf_err_set(err, rc, "checkpoint does not fit the response");
    free(cp);
    return rc;
}
