/*
 * test_monitor.c - monitor_run and the state file against an in-memory
 * tlog-tiles log whose tiles and bundles are generated from the entries:
 * first run, incremental runs across tile and level boundaries, save and
 * reload, a fork with the same key, a rollback, tampered tiles and
 * bundles, a partial tile already replaced by the full one (fallback),
 * and state files that fail their own checks.
 */
#include "common.h"
#include "buf.h"
#include "monitor/monitor.h"
#include "tap.h"
#include "testutil.h"
#include "witness_testlog.h"

/* A fake log: tl (leaves "<prefix> i"), the size its checkpoint signs,
 * the size its tiles exist for, and optional tampering. */
struct fake {
    struct testlog *tl;
    const char *prefix;
    uint64_t cp_size, tiles_size;
    int drop_partials;              /* partial tiles were deleted */
    const char *tamper_path;        /* flip a byte of this resource */
    size_t tamper_off;
    int fetches;
};

static int fake_tile(struct fake *f, const struct tlog_tile *t, struct bf_buf *out, struct bf_err *err)
{
    int i, width = tlog_tile_width(t->level < 0 ? 0 : t->level, t->n, f->tiles_size);
    char e[64];

    /* served: the tile at its current width, or an older partial unless the
     * full tile exists and partials were dropped (tlog-tiles allows that) */
    if (width == 0 || t->width > width || (t->width < width && f->drop_partials && width == TLOG_TILE_WIDTH))
        return bf_err_set(err, BF_ENOTFOUND, "no such tile");
    for (i = 0; i < t->width; i++) {
        uint64_t idx = t->n * TLOG_TILE_WIDTH + (uint64_t)i;
        if (t->level < 0) {
            int l = snprintf(e, sizeof e, "%s %" PRIu64, f->prefix, idx);
            if (bf_buf_putc(out, (char)(l >> 8)) < 0 || bf_buf_putc(out, (char)l) < 0 || bf_buf_append(out, e, (size_t)l) < 0)
                return BF_ELIMIT;
        } else {
            tlog_hash h;
            if (tl_reader(f->tl, 8 * t->level, idx, &h, err) < 0 || bf_buf_append(out, h.b, TLOG_HASH_LEN) < 0)
                return BF_ENOTFOUND;
        }
    }
    return 0;
}

static int fake_get(void *ctx, const char *path, size_t max, struct bf_buf *out, struct bf_err *err)
{
    struct fake *f = ctx;
    size_t start = out->len;
    struct tlog_tile t;
    int rc;

    f->fetches++;
    if (!strcmp(path, "checkpoint")) {
        struct bf_buf cp = BF_BUF_INIT;
        rc = tl_checkpoint(f->tl, f->cp_size, &cp) < 0 ? BF_EIO : bf_buf_append(out, cp.data, cp.len);
        bf_buf_free(&cp);
    } else if (strncmp(path, "tile/", 5) != 0 || tlog_tile_parse_path(path + 5, strlen(path + 5), &t, err) < 0) {
        return bf_err_set(err, BF_ENOTFOUND, "bad path %s", path);
    } else {
        rc = fake_tile(f, &t, out, err);
    }
    if (rc == 0 && f->tamper_path && !strcmp(path, f->tamper_path) && f->tamper_off < out->len - start)
        out->data[start + f->tamper_off] ^= 1;
    if (rc == 0 && out->len - start > max)
        rc = bf_err_set(err, BF_ELIMIT, "too large");
    return rc;
}

static struct tlog_skey key;
static struct tlog_vkey pub;
static struct testlog good, forked;

static int run(struct fake *f, struct monitor_state *st, struct monitor_report *rep, struct bf_err *err)
{
    struct monitor_source src = { fake_get, f, NULL };
    struct monitor_opts o = { .key = &pub };
    struct bf_buf ev = BF_BUF_INIT;
    int rc;
    memset(err, 0, sizeof *err);
    rc = monitor_run(&o, &src, st, rep, &ev, err);
    bf_buf_free(&ev);
    return rc;
}

int main(void)
{
    struct monitor_state *st = malloc(sizeof *st), *st2 = malloc(sizeof *st2);
    struct monitor_report rep;
    struct bf_err err;
    struct fake f = { &good, "entry", 0, 0, 0, NULL, 0, 0 };
    char path[] = "/tmp/belfry-test-monitor-XXXXXX";
    char file[128];
    int fd;

    tu_tessera_key(&key, &pub, &err);
    tl_init(&good, &key, "entry", 1024);
    tl_init(&forked, &key, "entry", 1024);
    forked.leaf[100].b[0] ^= 1;             /* a fork that rewrote entry 100 */
    fd = mkstemp(path);
    if (fd >= 0)
        close(fd);
    snprintf(file, sizeof file, "%s.json", path);
    monitor_state_init(st);

    f.cp_size = f.tiles_size = 300;
    ok(run(&f, st, &rep, &err) == 0, "first run at size 300: %s", err.msg);
    ok(rep.entries == 300 && rep.bundles == 2 && rep.tiles == 3,
       "300 entries, 2 bundles, 3 tiles (0/000, 0/001.p/44, 1/000.p/1): %" PRIu64 " %" PRIu64 " %" PRIu64, rep.entries,
       rep.bundles, rep.tiles);
    ok(st->size == 300 && st->edge_n[0] == 44 && st->edge_n[1] == 1, "state: size 300, edges 44 and 1");
    ok(monitor_state_save(file, &pub, st, &err) == 0, "state saved: %s", err.msg);
    ok(monitor_state_load(file, &pub, st2, &err) == 0 && st2->size == 300 && st2->range.n == st->range.n &&
       !memcmp(st2->edge[0], st->edge[0], 44 * sizeof(tlog_hash)), "state reloads equal: %s", err.msg);
    monitor_state_free(st2);

    f.cp_size = f.tiles_size = 700;
    ok(run(&f, st, &rep, &err) == 0 && rep.entries == 400 && rep.old_size == 300,
       "incremental 300 -> 700: %s (%" PRIu64 " entries)", err.msg, rep.entries);
    ok(rep.bundles == 2 && rep.tiles == 3, "only bundles 1 and 2 and tiles 0/001, 0/002.p/188, 1/000.p/2 fetched (%" PRIu64
       ", %" PRIu64 ")", rep.bundles, rep.tiles);
    ok(run(&f, st, &rep, &err) == 0 && rep.entries == 0 && rep.bundles == 0, "unchanged: nothing fetched but the checkpoint");

    f.tl = &forked;
    f.cp_size = f.tiles_size = 900;
    ok(run(&f, st, &rep, &err) == BF_ECRYPTO && strstr(err.msg, "REWRITTEN HISTORY"), "fork that rewrote entry 100: %s",
       err.msg);
    ok(st->size == 700, "failed run leaves the state at 700");
    f.cp_size = f.tiles_size = 700;
    ok(run(&f, st, &rep, &err) == BF_ECRYPTO && strstr(err.msg, "FORK"), "fork at the same size: %s", err.msg);
    f.tl = &good;
    f.cp_size = f.tiles_size = 650;
    ok(run(&f, st, &rep, &err) == BF_ECRYPTO && strstr(err.msg, "ROLLBACK"), "rollback to 650: %s", err.msg);

    f.cp_size = f.tiles_size = 800;
    f.tamper_path = "tile/entries/003.p/32";
    f.tamper_off = 20;
    ok(run(&f, st, &rep, &err) == BF_ECRYPTO && strstr(err.msg, "MISMATCH"), "tampered bundle: %s", err.msg);
    f.tamper_path = "tile/0/002";
    f.tamper_off = 32 * 200 + 5;
    ok(run(&f, st, &rep, &err) == BF_ECRYPTO && strstr(err.msg, "hash 200 of tile 0/2"), "tampered tile: %s", err.msg);
    f.tamper_path = "tile/0/002";
    f.tamper_off = 32 * 10;
    ok(run(&f, st, &rep, &err) == BF_ECRYPTO && strstr(err.msg, "REWRITTEN HISTORY: hash 10 of tile 0/2"),
       "tampered tile below the verified size: %s", err.msg);
    f.tamper_path = NULL;

    f.cp_size = 800;
    f.tiles_size = 1024;
    f.drop_partials = 1;
    ok(run(&f, st, &rep, &err) == 0 && st->size == 800,
       "checkpoint 800 while only the full tiles of a bigger log remain: falls back to full tiles (%s)", err.msg);
    f.drop_partials = 0;

    ok(monitor_state_save(file, &pub, st, &err) == 0, "state at 800 saved");
    {
        char *text = NULL, *p;
        size_t len = 0;
        FILE *fp = fopen(file, "r+");
        if (fp) {
            text = calloc(1, 1 << 20);
            len = fread(text, 1, (1 << 20) - 1, fp);
            p = strstr(text, "\"edge\"");
            p = p ? strchr(p, '"' ) : NULL;
            p = p ? strstr(p + 7, "\"") : NULL;
            if (p && p[1] != 'A')
                p[1] = 'A';
            else if (p)
                p[1] = 'B';
            rewind(fp);
            fwrite(text, 1, len, fp);
            fclose(fp);
        }
        free(text);
        ok(monitor_state_load(file, &pub, st2, &err) == BF_ECORRUPT, "a state file with an edited hash is refused: %s",
           err.msg);
        monitor_state_free(st2);
    }
    {
        struct tlog_skey k2;
        struct tlog_vkey p2;
        uint8_t seed[32] = { 7 };
        tlog_skey_generate("example.com/log/testdata", TLOG_KEY_ED25519, seed, &k2, NULL);
        tlog_skey_public(&k2, &p2);
        monitor_state_save(file, &pub, st, &err);
        ok(monitor_state_load(file, &p2, st2, &err) == BF_ECONFLICT, "a state file of another key is refused: %s", err.msg);
        monitor_state_free(st2);
    }
    ok(monitor_state_load("/nonexistent/state.json", &pub, st2, &err) == BF_ENOTFOUND, "missing state: BF_ENOTFOUND");
    monitor_state_free(st2);

    monitor_state_free(st);
    free(st);
    free(st2);
    unlink(file);
    unlink(path);
    return tap_done();
}
