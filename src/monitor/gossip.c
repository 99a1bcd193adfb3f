/*
 * gossip.c - cross-checks what a witness has seen against what this
 * monitor verified: the witness's latest cosigned checkpoint of the log
 * (GET <monitoring prefix>/<hex sha256(origin)>/checkpoint, c2sp.org/
 * tlog-witness) must be consistent with the tree the monitor just
 * verified. A log that shows one history to the witness and another to
 * the monitor (a split view) is caught here.
 *
 * The consistency proof between the two sizes is computed from the log's
 * own tiles (read through a small tile cache) and then verified against
 * the two signed roots, so tiles are never trusted: a wrong tile only
 * makes the proof fail. Invariants: both checkpoints carry a valid log
 * signature and the witness's checkpoint a valid cosignature of the given
 * witness key before anything is compared.
 */
#include "common.h"
#include "buf.h"
#include "fetch.h"
#include "monitor.h"
#include "sha256.h"

#define GOSSIP_CACHE 4

/* tlog_hash_reader over the log's hash tiles at tree size `size`. */
struct tile_reader {
    struct monitor_source *src;
    uint64_t size;
    int next;
    struct {
        int valid, level, width;
        uint64_t n;
        tlog_hash h[TLOG_TILE_WIDTH];
    } cache[GOSSIP_CACHE];
};

static int load_tile(struct tile_reader *tr, int level, uint64_t n, int *slot, struct bf_err *err)
{
    struct tlog_tile t = { level, n, tlog_tile_width(level, n, tr->size) };
    struct bf_buf path = BF_BUF_INIT, body = BF_BUF_INIT;
    int i, rc;

    for (i = 0; i < GOSSIP_CACHE; i++)
        if (tr->cache[i].valid && tr->cache[i].level == level && tr->cache[i].n == n) {
            *slot = i;
            return 0;
        }
    if (t.width == 0)
        return bf_err_set(err, BF_ENOTFOUND, "tile %d/%" PRIu64 " does not exist at size %" PRIu64, level, n, tr->size);
    if ((rc = bf_buf_puts(&path, "tile/")) < 0 || (rc = tlog_tile_format_path(&t, &path)) < 0)
        goto out;
    rc = tr->src->get(tr->src->ctx, path.data, (size_t)t.width * TLOG_HASH_LEN, &body, err);
    if (rc == BF_ENOTFOUND && t.width < TLOG_TILE_WIDTH) {   /* partial gone: the full tile has its prefix */
        struct tlog_tile full = { level, n, TLOG_TILE_WIDTH };
        bf_buf_reset(&path);
        bf_buf_reset(&body);
        if ((rc = bf_buf_puts(&path, "tile/")) < 0 || (rc = tlog_tile_format_path(&full, &path)) < 0 ||
            (rc = tr->src->get(tr->src->ctx, path.data, TLOG_TILE_WIDTH * TLOG_HASH_LEN, &body, err)) < 0)
            goto out;
        if (body.len == TLOG_TILE_WIDTH * TLOG_HASH_LEN)
            body.len = (size_t)t.width * TLOG_HASH_LEN;
    }
    if (rc < 0)
        goto out;
    if (body.len != (size_t)t.width * TLOG_HASH_LEN) {
        rc = bf_err_set(err, BF_ECRYPTO, "tile %s has %zu bytes", path.data, body.len);
        goto out;
    }
    i = tr->next++ % GOSSIP_CACHE;
    tr->cache[i].valid = 1;
    tr->cache[i].level = level;
    tr->cache[i].n = n;
    tr->cache[i].width = t.width;
    memcpy(tr->cache[i].h, body.data, body.len);
    *slot = i;
    rc = 0;
out:
    bf_buf_free(&path);
    bf_buf_free(&body);
    return rc;
}

/* Hash of the complete subtree (level, idx): 2^(level mod 8) consecutive
 * hashes of one tile at level/8, folded. */
static int tile_hash(void *ctx, int level, uint64_t idx, tlog_hash *out, struct bf_err *err)
{
    struct tile_reader *tr = ctx;
    int tl = level / 8, r = level % 8, slot = 0, i, rc;
    uint64_t first, count = (uint64_t)1 << r;
    struct tlog_range sub;

    if (tl >= MONITOR_LEVELS || idx > (UINT64_MAX >> r))
        return bf_err_set(err, BF_EINVAL, "subtree %d/%" PRIu64 " out of range", level, idx);
    first = idx << r;
    if ((rc = load_tile(tr, tl, first / TLOG_TILE_WIDTH, &slot, err)) < 0)
        return rc;
    if (first % TLOG_TILE_WIDTH + count > (uint64_t)tr->cache[slot].width)
        return bf_err_set(err, BF_ENOTFOUND, "subtree %d/%" PRIu64 " is not complete at size %" PRIu64, level, idx,
                          tr->size);
    tlog_range_init(&sub);
    for (i = 0; i < (int)count; i++)
        tlog_range_append(&sub, &tr->cache[slot].h[first % TLOG_TILE_WIDTH + (uint64_t)i]);
    tlog_range_root(&sub, out);
    return 0;
}

/* Fetches and authenticates the witness's checkpoint of the log. */
static int witness_checkpoint(const struct monitor_opts *o, const char *url, const struct tlog_vkey *wkey,
                              long timeout_ms, struct monitor_resp *r_out, struct tlog_checkpoint *cp,
                              struct bf_err *err)
{
    struct monitor_client *c = monitor_client_new(timeout_ms, MONITOR_MAX_CHECKPOINT);
    struct tlog_note *note = bf_xmalloc(sizeof *note);
    struct monitor_resp r = { 0 };
    char hex[65], *full;
    size_t n = strlen(url) + 80;
    int rc;

    bf_sha256_hex(o->key->name, strlen(o->key->name), hex);
    full = bf_xmalloc(n);
    snprintf(full, n, "%s%s%s/checkpoint", url, url[0] && url[strlen(url) - 1] == '/' ? "" : "/", hex);
    rc = c ? monitor_get(c, full, &r, err) : bf_err_set(err, BF_ENOMEM, "no HTTP client");
    if (rc < 0)
        goto out;
    if (r.status != 200) {
        rc = bf_err_set(err, r.status == 404 ? BF_ENOTFOUND : BF_EIO, "%s: HTTP %ld", full, r.status);
        goto out;
    }
    if ((rc = tlog_note_parse(r.body.data, r.body.len, note, err)) < 0 ||
        (rc = tlog_checkpoint_parse(note->text, note->text_len, cp, err)) < 0)
        goto out;
    if ((rc = tlog_note_verify(note, o->key, 1, NULL, err)) < 0) {
        bf_err_wrap(err, "BAD SIGNATURE: the witness's checkpoint is not signed by the log");
        goto out;
    }
    if ((rc = tlog_note_verify(note, wkey, 1, NULL, err)) < 0) {
        bf_err_wrap(err, "BAD COSIGNATURE: the witness's checkpoint is not cosigned by %s", wkey->name);
        goto out;
    }
    rc = 0;
out:
    if (rc == 0)
        *r_out = r;                     /* the caller keeps the body (evidence) */
    else
        monitor_resp_free(&r);
    monitor_client_free(c);
    free(note);
    free(full);
    return rc;
}

static void split_evidence(struct bf_buf *ev, const struct monitor_state *st, const struct monitor_resp *r)
{
    if (!ev)
        return;
    bf_buf_reset(ev);
    if (bf_buf_puts(ev, "# checkpoint verified by this monitor\n") < 0 ||
        bf_buf_append(ev, st->checkpoint, st->checkpoint_len) < 0 ||
        bf_buf_puts(ev, "# checkpoint cosigned by the witness\n") < 0 || bf_buf_append(ev, r->body.data, r->body.len) < 0)
        bf_buf_reset(ev);
}

int monitor_check_witness(const struct monitor_opts *o, struct monitor_source *src, const struct monitor_state *st,
                          const char *url, const struct tlog_vkey *wkey, long timeout_ms, uint64_t *wsize,
                          struct bf_buf *evidence, struct bf_err *err)
{
    struct tile_reader *tr = bf_xcalloc(1, sizeof *tr);
    struct monitor_resp r = { 0 };
    struct tlog_checkpoint w;
    tlog_hash ours, proof[TLOG_MAX_PROOF];
    uint64_t lo, hi;
    int np = 0, rc;

    tlog_range_root(&st->range, &ours);
    if ((rc = witness_checkpoint(o, url, wkey, timeout_ms, &r, &w, err)) < 0)
        goto out;
    *wsize = w.size;
    if (w.size == st->size) {
        if (memcmp(w.root.b, ours.b, TLOG_HASH_LEN) != 0) {
            rc = bf_err_set(err, BF_ECRYPTO, "SPLIT VIEW: witness %s cosigned another root for tree size %" PRIu64,
                            wkey->name, w.size);
            split_evidence(evidence, st, &r);
        }
        goto out;
    }
    if (w.size == 0 || st->size == 0)
        goto out;                           /* the empty tree is consistent with everything */
    lo = BF_MIN(w.size, st->size);
    hi = BF_MAX(w.size, st->size);
    tr->src = src;
    tr->size = hi;
    rc = tlog_prove_consistency(lo, hi, tile_hash, tr, proof, &np, err);
    if (rc == 0)
        rc = w.size < st->size ? tlog_verify_consistency(lo, hi, &w.root, &ours, proof, np, err)
                               : tlog_verify_consistency(lo, hi, &ours, &w.root, proof, np, err);
    if (rc == BF_ENOTFOUND && w.size > st->size) {
        bf_err_wrap(err, "STALE OR SPLIT VIEW: witness %s cosigned tree size %" PRIu64 " but the log serves size %"
                    PRIu64 " and not the tiles of the larger tree", wkey->name, w.size, st->size);
        split_evidence(evidence, st, &r);
        if (err)
            err->code = BF_ECRYPTO;
        rc = BF_ECRYPTO;
    } else if (rc < 0) {
        bf_err_wrap(err, "SPLIT VIEW: witness %s cosigned tree size %" PRIu64 ", which cannot be proved consistent"
                    " with the tree of size %" PRIu64 " verified here", wkey->name, w.size, st->size);
        if (err)
            err->code = BF_ECRYPTO;
        rc = BF_ECRYPTO;
        split_evidence(evidence, st, &r);
    }
out:
    monitor_resp_free(&r);
    free(tr);
    return rc;
}
