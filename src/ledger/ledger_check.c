/*
 * ledger_check.c - `belfry check`: recompute the whole log from its
 * entries and compare with everything stored and signed.
 *
 * In order: SQLite's page check; every stored checkpoint's signature
 * (with the log's verifier key) and origin; then one pass over the
 * entries that recomputes each leaf hash (a mismatch means the entry's
 * bytes were altered), every complete subtree hash (compared with the
 * stored level >= 1 hashes) and the root at every signed size (compared
 * with that checkpoint). The first mismatch is reported as BF_ECORRUPT
 * with the index or size it concerns.
 *
 * Invariants: read-only; memory is O(number of checkpoints) for their
 * sizes and roots, independent of the number of entries.
 */
#include "common.h"
#include "ledger_int.h"
#include "buf.h"
#include "enc.h"
#include "store/store.h"
#include "store/store_log.h"

struct cp_rec {
    uint64_t size;
    tlog_hash root;
};

struct check {
    struct store *s;
    FILE *progress;
    struct tlog_vkey pub;
    const char *origin;
    struct cp_rec *cps;
    size_t ncps, capcps, next_cp;
    struct ledger_tree tree;
    uint64_t hashes_checked;
};

static void b64_hash(const tlog_hash *h, char out[45])
{
    bf_b64_encode(h->b, TLOG_HASH_LEN, out);
}

static int collect_cp(void *ctx, uint64_t size, const char *note, size_t len, struct bf_err *err)
{
    struct check *c = ctx;
    struct tlog_note *n = bf_xmalloc(sizeof *n);
    struct tlog_checkpoint cp;
    int rc;

    if ((rc = tlog_note_parse(note, len, n, err)) < 0 || (rc = tlog_note_verify(n, &c->pub, 1, NULL, err)) < 0 ||
        (rc = tlog_checkpoint_parse(n->text, n->text_len, &cp, err)) < 0) {
        bf_err_wrap(err, "signed checkpoint of size %" PRIu64 " does not verify with the log key", size);
        rc = BF_ECORRUPT;
        goto out;
    }
    if (cp.size != size || strcmp(cp.origin, c->origin) != 0) {
        rc = bf_err_set(err, BF_ECORRUPT, "checkpoint stored as size %" PRIu64 " says size %" PRIu64 " origin %s",
                        size, cp.size, cp.origin);
        goto out;
    }
    if (c->ncps == c->capcps) {
        c->capcps = c->capcps ? 2 * c->capcps : 256;
        c->cps = bf_xrealloc(c->cps, c->capcps * sizeof *c->cps);
    }
    c->cps[c->ncps].size = size;
    c->cps[c->ncps].root = cp.root;
    c->ncps++;
out:
    free(n);
    return rc;
}

/* Compares the root at the current size with the checkpoint(s) there. */
static int compare_root(struct check *c, struct bf_err *err)
{
    uint64_t size = c->tree.size;
    tlog_hash root;
    char a[45], b[45];

    while (c->next_cp < c->ncps && c->cps[c->next_cp].size == size) {
        ledger_tree_root(&c->tree, &root);
        if (memcmp(root.b, c->cps[c->next_cp].root.b, TLOG_HASH_LEN) != 0) {
            b64_hash(&root, a);
            b64_hash(&c->cps[c->next_cp].root, b);
            return bf_err_set(err, BF_ECORRUPT, "the entries do not match the checkpoint signed for size %" PRIu64
                                                ": recomputed root %s, signed root %s", size, a, b);
        }
        c->next_cp++;
    }
    return 0;
}

static int compare_hash(void *ctx, int level, uint64_t idx, const tlog_hash *h, const tlog_hash *tile,
                        struct bf_err *err)
{
    struct check *c = ctx;
    tlog_hash stored;
    int rc = store_log_hashes(c->s, level, idx, 1, &stored, err);

    (void)tile;
    if (rc == BF_ENOTFOUND)
        return bf_err_set(err, BF_ECORRUPT, "the stored hash of level %d index %" PRIu64 " is missing", level, idx);
    if (rc < 0)
        return rc;
    if (memcmp(stored.b, h->b, TLOG_HASH_LEN) != 0)
        return bf_err_set(err, BF_ECORRUPT, "the stored hash of level %d index %" PRIu64 " (leaves %" PRIu64
                                            "..) does not match the entries", level, idx,
                          idx << (8 * level));
    c->hashes_checked++;
    return 0;
}

static int check_entry(void *ctx, uint64_t idx, const tlog_hash *leaf, const void *data, size_t len,
                       struct bf_err *err)
{
    struct check *c = ctx;
    tlog_hash h;
    int rc;

    if (idx != c->tree.size)
        return bf_err_set(err, BF_ECORRUPT, "entry %" PRIu64 " is missing", c->tree.size);
    tlog_leaf_hash(data, len, &h);
    if (memcmp(h.b, leaf->b, TLOG_HASH_LEN) != 0)
        return bf_err_set(err, BF_ECORRUPT, "entry %" PRIu64 " was altered: its bytes do not match its leaf hash", idx);
    if ((rc = ledger_tree_append(&c->tree, &h, compare_hash, c, err)) < 0)
        return rc;
    if ((rc = compare_root(c, err)) < 0)
        return rc;
    if (c->progress && (idx + 1) % 1000000 == 0)
        fprintf(c->progress, "checked %" PRIu64 " entries\n", idx + 1);
    return 0;
}

static int count_hash(void *ctx, int level, uint64_t idx, const tlog_hash *h, struct bf_err *err)
{
    (void)level; (void)idx; (void)h; (void)err;
    (*(uint64_t *)ctx)++;
    return 0;
}

static int run_check(struct check *c, struct bf_err *err)
{
    uint64_t stored_hashes = 0, last;
    int rc;

    if ((rc = store_log_quick_check(c->s, err)) < 0)
        return rc;
    if ((rc = store_log_scan_checkpoints(c->s, collect_cp, c, err)) < 0)
        return rc;
    if (c->ncps == 0)
        return bf_err_set(err, BF_ECORRUPT, "the log has no signed checkpoint at all");
    if (c->progress)
        fprintf(c->progress, "%zu signed checkpoints verify with %s\n", c->ncps, c->pub.name);
    ledger_tree_init(&c->tree);
    if ((rc = compare_root(c, err)) < 0)
        return rc;
    if ((rc = store_log_scan_entries(c->s, 0, check_entry, c, err)) < 0)
        return rc;
    last = c->cps[c->ncps - 1].size;
    if (c->tree.size < last)
        return bf_err_set(err, BF_ECORRUPT, "checkpoint of size %" PRIu64 " was signed but only %" PRIu64
                                            " entries are stored", last, c->tree.size);
    if (c->tree.size > last)
        return bf_err_set(err, BF_ECORRUPT, "%" PRIu64 " entries are stored beyond the last signed checkpoint "
                                            "(size %" PRIu64 ")", c->tree.size - last, last);
    if ((rc = store_log_scan_hashes(c->s, count_hash, &stored_hashes, err)) < 0)
        return rc;
    if (stored_hashes != c->hashes_checked)
        return bf_err_set(err, BF_ECORRUPT, "%" PRIu64 " subtree hashes are stored but the entries make %" PRIu64,
                          stored_hashes, c->hashes_checked);
    if (c->progress) {
        tlog_hash root;
        char b[45];
        ledger_tree_root(&c->tree, &root);
        b64_hash(&root, b);
        fprintf(c->progress, "ok: %" PRIu64 " entries, %zu checkpoints, %" PRIu64 " subtree hashes, root %s\n",
                c->tree.size, c->ncps, c->hashes_checked, b);
    }
    return 0;
}

int ledger_check(struct store *s, FILE *progress, struct bf_err *err)
{
    struct check *c = bf_xcalloc(1, sizeof *c);
    char *origin = NULL, *vkey = NULL;
    int rc;

    c->s = s;
    c->progress = progress;
    if (store_meta_get(s, "log.origin", &origin, NULL) < 0 || store_meta_get(s, "log.vkey", &vkey, NULL) < 0) {
        rc = bf_err_set(err, BF_ENOTFOUND, "the store in %s has no log", store_dir(s));
        goto out;
    }
    if ((rc = tlog_vkey_parse(vkey, strlen(vkey), &c->pub, err)) < 0) {
        bf_err_wrap(err, "the store's log verifier key");
        rc = BF_ECORRUPT;
        goto out;
    }
    c->origin = origin;
    rc = run_check(c, err);
out:
    free(c->cps);
    free(c);
    free(origin);
    free(vkey);
    return rc;
}
