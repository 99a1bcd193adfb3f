/*
 * state.c - the monitor's memory between runs, as a small JSON file:
 *
 *   {"format":"belfry-monitor-state/1","vkey":"...","size":"N",
 *    "checkpoint":"<signed note>","range":["b64",...],
 *    "edge":[["b64",...],...],"verified_at":T}
 *
 * Invariants: a loaded state is internally consistent or refused
 * (BF_ECORRUPT): the checkpoint verifies with the given key and has the
 * stated size; the compact range has popcount(size) hashes and its root is
 * the checkpoint's root; edge level l has floor(size/256^l) mod 256
 * hashes, and the edge tiles hash to that compact range. The size is a decimal string so all 64 bits survive JSON.
 * Writes go through bf_fs_write_atomic, so a crash leaves the old file.
 */
#include "common.h"
#include "buf.h"
#include "enc.h"
#include "fs.h"
#include "monitor.h"

#include <jansson.h>

#define STATE_FORMAT "belfry-monitor-state/1"

void monitor_state_init(struct monitor_state *st)
{
    memset(st, 0, sizeof *st);
    tlog_range_init(&st->range);
}

void monitor_state_free(struct monitor_state *st)
{
    free(st->checkpoint);
    st->checkpoint = NULL;
}

static json_t *hashes_json(const tlog_hash *h, int n)
{
    json_t *a = json_array();
    char b64[48];
    int i;
    for (i = 0; i < n; i++) {
        bf_b64_encode(h[i].b, TLOG_HASH_LEN, b64);
        json_array_append_new(a, json_string(b64));
    }
    return a;
}

static int vkey_text(const struct tlog_vkey *key, struct bf_buf *b)
{
    return tlog_vkey_format(key, b);
}

int monitor_state_save(const char *path, const struct tlog_vkey *key, const struct monitor_state *st,
                       struct bf_err *err)
{
    struct bf_buf vk = BF_BUF_INIT;
    json_t *o = json_object(), *edge = json_array();
    char size[24], *text = NULL;
    int l, rc;

    if (vkey_text(key, &vk) < 0) {
        rc = bf_err_set(err, BF_ENOMEM, "state: cannot format key");
        goto out;
    }
    snprintf(size, sizeof size, "%" PRIu64, st->size);
    json_object_set_new(o, "format", json_string(STATE_FORMAT));
    json_object_set_new(o, "vkey", json_string(vk.data));
    json_object_set_new(o, "size", json_string(size));
    json_object_set_new(o, "checkpoint", json_stringn(st->checkpoint ? st->checkpoint : "", st->checkpoint_len));
    json_object_set_new(o, "range", hashes_json(st->range.h, st->range.n));
    for (l = 0; l < MONITOR_LEVELS; l++)
        json_array_append_new(edge, hashes_json(st->edge[l], st->edge_n[l]));
    json_object_set_new(o, "edge", edge);
    edge = NULL;
    json_object_set_new(o, "verified_at", json_integer((json_int_t)st->verified_at));
    text = json_dumps(o, JSON_INDENT(1));
    if (!text) {
        rc = bf_err_set(err, BF_ENOMEM, "state: cannot encode JSON");
        goto out;
    }
    rc = bf_fs_write_atomic(path, text, strlen(text), 0644, err);
out:
    free(text);
    json_decref(edge);
    json_decref(o);
    bf_buf_free(&vk);
    return rc;
}

static int hashes_parse(json_t *a, tlog_hash *h, int max, int *n)
{
    size_t i;
    json_t *v;

    if (!json_is_array(a) || json_array_size(a) > (size_t)max)
        return BF_ECORRUPT;
    json_array_foreach(a, i, v) {
        const char *s = json_string_value(v);
        if (!s || strlen(s) != 44 || bf_b64_decode(s, 44, h[i].b, TLOG_HASH_LEN) != TLOG_HASH_LEN)
            return BF_ECORRUPT;
    }
    *n = (int)json_array_size(a);
    return 0;
}

/* 1 if the right-edge tiles hash to the compact range: for a size N, the
 * range is, level by level from the top, the compact range of that
 * level's partial tile (each of its hashes covers 256^l aligned leaves). */
static int edge_matches_range(const struct monitor_state *st)
{
    struct tlog_range sub;
    int l, i, k = 0;

    for (l = MONITOR_LEVELS - 1; l >= 0; l--) {
        tlog_range_init(&sub);
        for (i = 0; i < st->edge_n[l]; i++)
            tlog_range_append(&sub, &st->edge[l][i]);
        for (i = 0; i < sub.n; i++, k++)
            if (k >= st->range.n || memcmp(sub.h[i].b, st->range.h[k].b, TLOG_HASH_LEN) != 0)
                return 0;
    }
    return k == st->range.n;
}

/* Checks the loaded fields against each other and the key. */
static int state_check(const struct tlog_vkey *key, struct monitor_state *st, struct bf_err *err)
{
    struct tlog_note *note = bf_xmalloc(sizeof *note);
    struct tlog_checkpoint cp;
    tlog_hash root;
    int l, rc = BF_ECORRUPT;

    if (tlog_note_parse(st->checkpoint, st->checkpoint_len, note, err) < 0 ||
        tlog_note_verify(note, key, 1, NULL, err) <= 0 ||
        tlog_checkpoint_parse(note->text, note->text_len, &cp, err) < 0)
        goto out;
    rc = BF_ECORRUPT;
    if (cp.size != st->size || st->range.n != __builtin_popcountll(st->size)) {
        bf_err_set(err, rc, "sizes disagree");
        goto out;
    }
    st->range.size = st->size;
    tlog_range_root(&st->range, &root);
    if (memcmp(root.b, cp.root.b, TLOG_HASH_LEN) != 0) {
        bf_err_set(err, rc, "the saved right edge does not hash to the saved checkpoint's root");
        goto out;
    }
    for (l = 0; l < MONITOR_LEVELS; l++)
        if ((uint64_t)st->edge_n[l] != ((l == 0 ? st->size : st->size >> (8 * l)) & 255)) {
            bf_err_set(err, rc, "edge of level %d has the wrong number of hashes", l);
            goto out;
        }
    if (!edge_matches_range(st)) {
        bf_err_set(err, rc, "the saved edge tiles do not hash to the saved right edge");
        goto out;
    }
    rc = 0;
out:
    free(note);
    return rc;
}

static int state_fields(json_t *o, const struct tlog_vkey *key, struct monitor_state *st, struct bf_err *err)
{
    struct bf_buf vk = BF_BUF_INIT;
    const char *fmt = json_string_value(json_object_get(o, "format"));
    const char *v = json_string_value(json_object_get(o, "vkey"));
    const char *sz = json_string_value(json_object_get(o, "size"));
    json_t *cp = json_object_get(o, "checkpoint"), *edge = json_object_get(o, "edge");
    char *end;
    int l, rc = BF_ECORRUPT;

    if (!fmt || strcmp(fmt, STATE_FORMAT) != 0 || !v || !sz || !json_is_string(cp) || !json_is_array(edge) ||
        json_array_size(edge) != MONITOR_LEVELS) {
        bf_err_set(err, rc, "not a %s file", STATE_FORMAT);
        goto out;
    }
    if (vkey_text(key, &vk) < 0 || strcmp(vk.data, v) != 0) {
        rc = bf_err_set(err, BF_ECONFLICT, "it belongs to the log with key %s, not %s", v, vk.data ? vk.data : "?");
        goto out;
    }
    errno = 0;
    st->size = strtoull(sz, &end, 10);
    st->checkpoint_len = json_string_length(cp);
    st->checkpoint = bf_xstrndup(json_string_value(cp), st->checkpoint_len);
    st->verified_at = (int64_t)json_integer_value(json_object_get(o, "verified_at"));
    if (errno || *end || hashes_parse(json_object_get(o, "range"), st->range.h, 64, &st->range.n) < 0) {
        bf_err_set(err, rc, "bad size or range");
        goto out;
    }
    for (l = 0; l < MONITOR_LEVELS; l++)
        if (hashes_parse(json_array_get(edge, (size_t)l), st->edge[l], TLOG_TILE_WIDTH, &st->edge_n[l]) < 0) {
            bf_err_set(err, rc, "bad edge hashes at level %d", l);
            goto out;
        }
    rc = state_check(key, st, err);
out:
    bf_buf_free(&vk);
    return rc;
}

int monitor_state_load(const char *path, const struct tlog_vkey *key, struct monitor_state *st, struct bf_err *err)
{
    json_error_t je;
    json_t *o;
    char *text = NULL;
    size_t len = 0;
    int rc;

    monitor_state_init(st);
    if (!bf_fs_exists(path))
        return bf_err_set(err, BF_ENOTFOUND, "no state file %s", path);
    if ((rc = bf_fs_read(path, 1 << 20, &text, &len, err)) < 0)
        return rc;
    o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    free(text);
    if (!o)
        return bf_err_set(err, BF_ECORRUPT, "state file %s: invalid JSON at line %d: %s", path, je.line, je.text);
    rc = state_fields(o, key, st, err);
    json_decref(o);
    if (rc < 0) {
        bf_err_wrap(err, "state file %s", path);
        monitor_state_free(st);
        monitor_state_init(st);
    }
    return rc;
}
