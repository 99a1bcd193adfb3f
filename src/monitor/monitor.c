/*
 * monitor.c - one monitoring run over a tlog-tiles log (see monitor.h).
 *
 * The run works on a copy of the saved state. Its right-edge tiles are
 * rolling buffers, one per level: leaf hashes recomputed from the entry
 * bundles are pushed into level 0; when a level's buffer reaches 256
 * hashes it is compared with the full tile the log serves, hashed into
 * one node of the level above, and emptied. At the end the buffers that
 * received new hashes are compared with the log's partial tiles, and the
 * root computed from the saved compact range plus the new leaves is
 * compared with the signed root.
 *
 * Invariants: the caller's state changes only when every check passed;
 * entries already verified in an earlier run that appear again in the
 * first bundle are recomputed and must match the saved hashes; every
 * tile and bundle size is checked against its width before use; no
 * server-supplied value is used to build a path.
 */
#include "common.h"
#include "buf.h"
#include "enc.h"
#include "monitor.h"

struct run {
    const struct monitor_opts *o;
    struct monitor_source *src;
    struct monitor_state *ws;             /* working copy, becomes the new state */
    struct monitor_report *rep;
    struct bf_err *err;
    uint64_t old_size, new_size;
    uint64_t tidx[MONITOR_LEVELS];        /* tile index of each level's buffer */
    uint64_t tidx0[MONITOR_LEVELS];       /* ...at the start of the run */
    int n0[MONITOR_LEVELS];               /* hashes in that tile verified by an earlier run */
    int dirty[MONITOR_LEVELS];
};

static uint64_t level_count(uint64_t size, int l)
{
    return l == 0 ? size : l < 8 ? size >> (8 * l) : 0;
}

/* Fetches tile (level, n) at width w (or, if that partial tile is gone,
 * the full tile, truncated) into out, which must end up w hashes or, for
 * bundles, the raw body. */
static int fetch(struct run *r, int level, uint64_t n, int w, struct bf_buf *out, int *truncated)
{
    struct tlog_tile t = { level, n, w };
    struct bf_buf path = BF_BUF_INIT;
    size_t max = level < 0 ? MONITOR_MAX_BUNDLE : (size_t)w * TLOG_HASH_LEN;
    int rc;

    *truncated = 0;
    bf_buf_reset(out);
    if ((rc = bf_buf_puts(&path, "tile/")) < 0 || (rc = tlog_tile_format_path(&t, &path)) < 0) {
        bf_err_set(r->err, BF_EINVAL, "cannot build the path of tile %d/%" PRIu64, level, n);
        goto out;
    }
    rc = r->src->get(r->src->ctx, path.data, max, out, r->err);
    if (rc == BF_ENOTFOUND && w < TLOG_TILE_WIDTH) {
        t.width = TLOG_TILE_WIDTH;
        bf_buf_reset(&path);
        bf_buf_reset(out);
        if (bf_buf_puts(&path, "tile/") == 0 && tlog_tile_format_path(&t, &path) == 0)
            rc = r->src->get(r->src->ctx, path.data, level < 0 ? MONITOR_MAX_BUNDLE : TLOG_TILE_WIDTH * TLOG_HASH_LEN,
                             out, r->err);
        *truncated = 1;
    }
    if (rc < 0)
        bf_err_wrap(r->err, "fetching %s", path.data ? path.data : "tile");
    if (level < 0)
        r->rep->bundles++;
    else
        r->rep->tiles++;
out:
    bf_buf_free(&path);
    return rc;
}

/* Compares the log's tile (level, tidx[level]) of width w with the buffer. */
static int check_tile(struct run *r, int l, int w)
{
    struct bf_buf body = BF_BUF_INIT;
    uint64_t n = r->tidx[l];
    size_t want = (size_t)w * TLOG_HASH_LEN;
    int rc, trunc, i;

    if ((rc = fetch(r, l, n, w, &body, &trunc)) < 0)
        goto out;
    if (body.len != (trunc ? (size_t)TLOG_TILE_WIDTH * TLOG_HASH_LEN : want)) {
        rc = bf_err_set(r->err, BF_ECRYPTO, "MISMATCH: tile %d/%" PRIu64 " has %zu bytes, expected %zu", l, n,
                        body.len, want);
        goto out;
    }
    for (i = 0; i < w; i++) {
        if (memcmp(body.data + (size_t)i * TLOG_HASH_LEN, r->ws->edge[l][i].b, TLOG_HASH_LEN) == 0)
            continue;
        if (n == r->tidx0[l] && i < r->n0[l])
            rc = bf_err_set(r->err, BF_ECRYPTO, "REWRITTEN HISTORY: hash %d of tile %d/%" PRIu64 " differs from the one "
                            "verified at tree size %" PRIu64, i, l, n, r->old_size);
        else
            rc = bf_err_set(r->err, BF_ECRYPTO, "MISMATCH: hash %d of tile %d/%" PRIu64 " does not match the hash "
                            "recomputed from the entry bundles", i, l, n);
        goto out;
    }
    rc = 0;
out:
    bf_buf_free(&body);
    return rc;
}

/* Adds one hash at level l; completes tiles upwards. */
static int push(struct run *r, int l, const tlog_hash *h)
{
    struct monitor_state *ws = r->ws;
    struct tlog_range sub;
    tlog_hash node;
    int i, rc;

    if (l >= MONITOR_LEVELS)
        return bf_err_set(r->err, BF_EINVAL, "tree too large");
    ws->edge[l][ws->edge_n[l]++] = *h;
    r->dirty[l] = 1;
    if (ws->edge_n[l] < TLOG_TILE_WIDTH)
        return 0;
    if ((rc = check_tile(r, l, TLOG_TILE_WIDTH)) < 0)
        return rc;
    tlog_range_init(&sub);
    for (i = 0; i < TLOG_TILE_WIDTH; i++)
        tlog_range_append(&sub, &ws->edge[l][i]);
    tlog_range_root(&sub, &node);
    ws->edge_n[l] = 0;
    r->dirty[l] = 0;
    r->tidx[l]++;
    return push(r, l + 1, &node);
}

/* Reads bundle n (w entries), re-checks old entries, pushes new ones. */
static int do_bundle(struct run *r, uint64_t n, int w)
{
    struct bf_buf body = BF_BUF_INIT;
    size_t pos = 0;
    tlog_hash lh;
    int k, trunc, rc;

    if ((rc = fetch(r, -1, n, w, &body, &trunc)) < 0)
        goto out;
    for (k = 0; k < w; k++) {
        uint64_t idx = n * TLOG_TILE_WIDTH + (uint64_t)k;
        size_t len;
        if (body.len - pos < 2 || (len = ((size_t)(uint8_t)body.data[pos] << 8) | (uint8_t)body.data[pos + 1],
                                   body.len - pos - 2 < len)) {
            rc = bf_err_set(r->err, BF_ECRYPTO, "MISMATCH: entry bundle %" PRIu64 " ends inside entry %" PRIu64
                            " (expected %d entries)", n, idx, w);
            goto out;
        }
        tlog_leaf_hash(body.data + pos + 2, len, &lh);
        pos += 2 + len;
        if (idx < r->old_size) {
            if (memcmp(lh.b, r->ws->edge[0][k].b, TLOG_HASH_LEN) != 0) {
                rc = bf_err_set(r->err, BF_ECRYPTO, "REWRITTEN HISTORY: entry %" PRIu64 " differs from the one verified "
                                "at tree size %" PRIu64, idx, r->old_size);
                goto out;
            }
            continue;
        }
        tlog_range_append(&r->ws->range, &lh);
        r->rep->entries++;
        if ((rc = push(r, 0, &lh)) < 0)
            goto out;
    }
    if (pos != body.len && !trunc) {
        rc = bf_err_set(r->err, BF_ECRYPTO, "MISMATCH: entry bundle %" PRIu64 " has %zu bytes after its %d entries", n,
                        body.len - pos, w);
        goto out;
    }
    rc = 0;
out:
    bf_buf_free(&body);
    return rc;
}

/* Fetches and authenticates the checkpoint; counts witness cosignatures. */
static int get_checkpoint(struct run *r, struct bf_buf *cpb, struct tlog_checkpoint *cp)
{
    struct tlog_note *note = bf_xmalloc(sizeof *note);
    const struct monitor_opts *o = r->o;
    struct bf_err e = { 0 };
    int i, rc;

    if ((rc = r->src->get(r->src->ctx, "checkpoint", MONITOR_MAX_CHECKPOINT, cpb, r->err)) < 0) {
        bf_err_wrap(r->err, "fetching the checkpoint");
        if (rc == BF_ENOTFOUND && r->err) {
            size_t l = strlen(r->err->msg);
            snprintf(r->err->msg + l, sizeof r->err->msg - l, " (is the URL the log's prefix, e.g. https://host/log?)");
        }
        goto out;
    }
    if ((rc = tlog_note_parse(cpb->data, cpb->len, note, r->err)) < 0 ||
        (rc = tlog_checkpoint_parse(note->text, note->text_len, cp, r->err)) < 0) {
        bf_err_wrap(r->err, "MALFORMED checkpoint");
        goto out;
    }
    if (strcmp(cp->origin, o->key->name) != 0) {
        rc = bf_err_set(r->err, BF_ECRYPTO, "WRONG LOG: checkpoint origin %s is not the key's name %s", cp->origin,
                        o->key->name);
        goto out;
    }
    if ((rc = tlog_note_verify(note, o->key, 1, NULL, r->err)) < 0) {
        bf_err_wrap(r->err, "BAD SIGNATURE on the checkpoint of size %" PRIu64, cp->size);
        goto out;
    }
    for (i = 0; i < o->nwitnesses; i++)
        r->rep->cosigned += tlog_note_verify(note, &o->witnesses[i], 1, NULL, &e) > 0;
    if (r->rep->cosigned < o->min_witnesses) {
        rc = bf_err_set(r->err, BF_ECRYPTO, "TOO FEW COSIGNATURES: %d of the required %d witnesses cosigned the "
                        "checkpoint of size %" PRIu64, r->rep->cosigned, o->min_witnesses, cp->size);
        goto out;
    }
    rc = 0;
out:
    free(note);
    return rc;
}

static void evidence_add(struct bf_buf *ev, const struct monitor_state *st, const struct bf_buf *cpb)
{
    if (!ev)
        return;
    bf_buf_reset(ev);
    if (bf_buf_puts(ev, "# checkpoint verified earlier\n") < 0 || bf_buf_append(ev, st->checkpoint, st->checkpoint_len) < 0 ||
        bf_buf_puts(ev, "# checkpoint served now\n") < 0 || bf_buf_append(ev, cpb->data, cpb->len) < 0)
        bf_buf_reset(ev);
}

/* Size and equal-size checks against the saved view. 1 = nothing new. */
static int compare_sizes(struct run *r, const struct monitor_state *st, const struct tlog_checkpoint *cp,
                         const struct bf_buf *cpb, struct bf_buf *ev)
{
    tlog_hash old;
    if (!st->checkpoint)
        return 0;
    tlog_range_root(&st->range, &old);
    if (cp->size < st->size) {
        evidence_add(ev, st, cpb);
        return bf_err_set(r->err, BF_ECRYPTO, "ROLLBACK: the log now signs size %" PRIu64 " but signed size %" PRIu64
                          " before", cp->size, st->size);
    }
    if (cp->size == st->size) {
        if (memcmp(old.b, cp->root.b, TLOG_HASH_LEN) == 0)
            return 1;
        evidence_add(ev, st, cpb);
        return bf_err_set(r->err, BF_ECRYPTO, "FORK: the log signed two different roots for tree size %" PRIu64,
                          cp->size);
    }
    return 0;
}

static void run_init(struct run *r)
{
    int l;
    for (l = 0; l < MONITOR_LEVELS; l++) {
        r->tidx[l] = r->tidx0[l] = l < 7 ? level_count(r->old_size, l) >> 8 : 0;
        r->n0[l] = r->ws->edge_n[l];
    }
}

/* The heavy part: bundles, tiles, root. */
static int verify_growth(struct run *r, const struct tlog_checkpoint *cp)
{
    uint64_t n, first = r->old_size / TLOG_TILE_WIDTH, last = (r->new_size - 1) / TLOG_TILE_WIDTH;
    tlog_hash root;
    int l, rc;

    run_init(r);
    for (n = first; n <= last; n++) {
        if ((rc = do_bundle(r, n, tlog_tile_width(0, n, r->new_size))) < 0)
            return rc;
        if (r->o->progress && (n - first) % 256 == 255)
            fprintf(r->o->progress, "belfry: monitor: %" PRIu64 " of %" PRIu64 " entries verified\n",
                    (n + 1) * TLOG_TILE_WIDTH, r->new_size);
    }
    for (l = 0; l < MONITOR_LEVELS; l++) {
        if (!r->dirty[l] || r->ws->edge_n[l] == 0)
            continue;
        if (tlog_tile_width(l, r->tidx[l], r->new_size) != r->ws->edge_n[l])
            return bf_err_set(r->err, BF_EINVAL, "internal: edge of level %d out of step", l);
        if ((rc = check_tile(r, l, r->ws->edge_n[l])) < 0)
            return rc;
    }
    tlog_range_root(&r->ws->range, &root);
    if (memcmp(root.b, cp->root.b, TLOG_HASH_LEN) != 0) {
        if (r->old_size == 0)
            return bf_err_set(r->err, BF_ECRYPTO, "MISMATCH: the entries the log serves do not hash to its signed root "
                              "for tree size %" PRIu64, r->new_size);
        return bf_err_set(r->err, BF_ECRYPTO, "FORK: the checkpoint of size %" PRIu64 " is not consistent with the "
                          "checkpoint of size %" PRIu64 " verified earlier (its root differs from the one recomputed "
                          "from the verified tree plus the new entries)", r->new_size, r->old_size);
    }
    return 0;
}

int monitor_run(const struct monitor_opts *o, struct monitor_source *src, struct monitor_state *st,
                struct monitor_report *rep, struct bf_buf *evidence, struct bf_err *err)
{
    struct run *r = bf_xcalloc(1, sizeof *r);
    struct monitor_state *ws = bf_xmalloc(sizeof *ws);
    struct bf_buf cpb = BF_BUF_INIT;
    struct tlog_checkpoint cp;
    int rc;

    *ws = *st;
    ws->checkpoint = NULL;
    memset(rep, 0, sizeof *rep);
    *r = (struct run){ .o = o, .src = src, .ws = ws, .rep = rep, .err = err };
    r->old_size = rep->old_size = st->checkpoint ? st->size : 0;
    if ((rc = get_checkpoint(r, &cpb, &cp)) < 0)
        goto out;
    r->new_size = rep->new_size = cp.size;
    if ((rc = compare_sizes(r, st, &cp, &cpb, evidence)) < 0)
        goto out;
    if (rc == 0 && cp.size > r->old_size && (rc = verify_growth(r, &cp)) < 0) {
        if (evidence && (!strncmp(err->msg, "FORK", 4) || !strncmp(err->msg, "REWRITTEN", 9)))
            evidence_add(evidence, st, &cpb);
        goto out;
    }
    if (rc == 0 && cp.size == 0) {
        tlog_hash empty;
        tlog_empty_root(&empty);
        if (memcmp(empty.b, cp.root.b, TLOG_HASH_LEN) != 0) {
            rc = bf_err_set(err, BF_ECRYPTO, "MISMATCH: the empty tree must have root SHA-256(\"\")");
            goto out;
        }
    }
    ws->size = cp.size;
    ws->range.size = cp.size;
    ws->checkpoint = bf_buf_take(&cpb, &ws->checkpoint_len);
    ws->verified_at = (int64_t)time(NULL);
    monitor_state_free(st);
    *st = *ws;
    rc = 0;
out:
    if (rc < 0)
        monitor_state_free(ws);
    bf_buf_free(&cpb);
    free(ws);
    free(r);
    return rc;
}
