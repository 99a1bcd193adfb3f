/*
 * test_tlog_tile.c - tlog-tiles: path parsing and formatting (canonical
 * spellings only), tile widths, and byte-for-byte reproduction of the
 * tessera test log's tiles and bundles and of every tile, bundle and
 * checkpoint of the c2sp-70000 log (leaves "leaf 0".."leaf 69999").
 */
#include "common.h"
#include "buf.h"
#include "tlog/tlog.h"
#include "tap.h"
#include "testutil.h"

#include <dirent.h>


/* ---- paths ------------------------------------------------------------ */

static void test_paths(void)
{
    static const struct {
        const char *s;
        int level;
        uint64_t n;
        int width;
    } good[] = {
        {"0/000", 0, 0, 256},
        {"0/001", 0, 1, 256},
        {"0/999", 0, 999, 256},
        {"0/x001/000", 0, 1000, 256},
        {"0/x001/x234/067", 0, 1234067, 256},
        {"1/001.p/17", 1, 1, 17},
        {"2/000.p/1", 2, 0, 1},
        {"0/273.p/112", 0, 273, 112},
        {"63/000.p/255", 63, 0, 255},
        {"entries/000", -1, 0, 256},
        {"entries/273.p/112", -1, 273, 112},
        {"entries/x001/x234/067.p/9", -1, 1234067, 9},
        {"5/x018/x446/x744/x073/x709/x551/615", 5, UINT64_MAX, 256},
    };
    static const char *bad[] = {
        "", "0", "0/", "0/0", "0/00", "0/0000", "0/1", "0/01", "0/x000/001", "0/x001", "0/x001/", "0/001/002",
        "0/xx01/000", "0/x01/000", "0/x0001/000", "0/000/", "0/000x", "0/000 ", " 0/000", "0/000\n", "0/000.p",
        "0/000.p/", "0/000.p/0", "0/000.p/256", "0/000.p/01", "0/000.p/5x", "0/000.p/5/", "0/000.q/5",
        "0/000.p/1000", "64/000", "99/000", "100/000", "00/000", "01/000", "-1/000", "+1/000", "x/000",
        "entries", "entries/", "entries/0", "entries/000.p/0", "entries/000.p/256", "entry/000", "Entries/000",
        "data/000", "8/0/000", "0/x018/x446/x744/x073/x709/x551/616", "0/x999/x999/x999/x999/x999/x999/999",
        "0/x001/x000/x000/x000/x000/x000/x000/000", "0/-01", "0/ 01", "0/0x1", "0/000.p/-1",
    };
    struct tlog_tile t;
    struct bf_buf b = BF_BUF_INIT;
    struct bf_err err = {0};
    size_t i;

    for (i = 0; i < BF_ARRAY_LEN(good); i++) {
        int p = tlog_tile_parse_path(good[i].s, strlen(good[i].s), &t, &err) == 0 && t.level == good[i].level &&
                t.n == good[i].n && t.width == good[i].width;
        bf_buf_reset(&b);
        ok(p && tlog_tile_format_path(&t, &b) == 0 && strcmp(b.data, good[i].s) == 0,
           "path %s parses and formats back %s", good[i].s, p ? "" : err.msg);
    }
    for (i = 0; i < BF_ARRAY_LEN(bad); i++) {
        char shown[64];
        size_t k, o = 0;
        for (k = 0; bad[i][k] && o + 5 < sizeof shown; k++)
            o += (size_t)snprintf(shown + o, sizeof shown - o, bad[i][k] == '\n' ? "\\n" : "%c", bad[i][k]);
        shown[o] = '\0';
        ok(tlog_tile_parse_path(bad[i], strlen(bad[i]), &t, &err) == BF_EINVAL, "bad path \"%s\" rejected: %s",
           shown, err.msg);
    }
    /* A NUL inside the length is not the end of the path. */
    ok(tlog_tile_parse_path("0/000\0", 6, &t, &err) == BF_EINVAL, "embedded NUL rejected");

    /* Round trip over many indices. */
    {
        int allok = 1;
        uint64_t n;
        for (n = 0; n < 2000000 && allok; n = n * 3 + 1) {
            struct tlog_tile u = {(int)(n % 64) - 1, n, (int)(n % 256) + 1}, v;
            bf_buf_reset(&b);
            allok = tlog_tile_format_path(&u, &b) == 0 && tlog_tile_parse_path(b.data, b.len, &v, NULL) == 0 &&
                    u.level == v.level && u.n == v.n && u.width == v.width;
        }
        ok(allok, "format then parse is the identity");
    }
    t.level = 0;
    t.n = 0;
    t.width = 0;
    ok(tlog_tile_format_path(&t, &b) == BF_EINVAL, "format refuses width 0");
    t.width = 257;
    ok(tlog_tile_format_path(&t, &b) == BF_EINVAL, "format refuses width 257");
    t.width = 1;
    t.level = 64;
    ok(tlog_tile_format_path(&t, &b) == BF_EINVAL, "format refuses level 64");
    bf_buf_free(&b);
}

static void test_widths(void)
{
    /* The tlog-tiles spec example, size 70000. */
    ok(tlog_tile_width(0, 272, 70000) == 256 && tlog_tile_width(0, 273, 70000) == 112 &&
       tlog_tile_width(0, 274, 70000) == 0, "70000: level 0 has 273 full tiles and 273.p/112");
    ok(tlog_tile_width(1, 0, 70000) == 256 && tlog_tile_width(1, 1, 70000) == 17 && tlog_tile_width(1, 2, 70000) == 0,
       "70000: level 1 has 000 and 001.p/17");
    ok(tlog_tile_width(2, 0, 70000) == 1 && tlog_tile_width(2, 1, 70000) == 0, "70000: level 2 has 000.p/1");
    ok(tlog_tile_width(3, 0, 70000) == 0, "70000: no level 3");
    ok(tlog_tile_width(-1, 273, 70000) == 112, "70000: bundle 273.p/112");
    ok(tlog_tile_width(0, 0, 0) == 0, "empty tree has no tiles");
    ok(tlog_tile_width(0, 0, 256) == 256 && tlog_tile_width(0, 1, 256) == 0 && tlog_tile_width(1, 0, 256) == 1,
       "256: one full level-0 tile and 1/000.p/1");
    ok(tlog_tile_width(7, 0, UINT64_MAX) == 255 && tlog_tile_width(8, 0, UINT64_MAX) == 0 &&
       tlog_tile_width(0, UINT64_MAX, UINT64_MAX) == 0 && tlog_tile_width(0, UINT64_MAX / 256, UINT64_MAX) == 255,
       "extreme sizes do not overflow");
    ok(tlog_tile_width(64, 0, 1) == 0 && tlog_tile_width(-2, 0, 1) == 0, "levels out of range have no tiles");
}

static void test_bundle(void)
{
    struct bf_buf b = BF_BUF_INIT;
    static uint8_t big[TLOG_MAX_ENTRY + 1];
    const uint8_t *e;
    size_t pos = 0, len;
    int rc;

    ok(tlog_bundle_append(&b, "ab", 2) == 0 && tlog_bundle_append(&b, "", 0) == 0 &&
       tlog_bundle_append(&b, big, TLOG_MAX_ENTRY) == 0, "bundle append up to 65535 bytes");
    ok(tlog_bundle_append(&b, big, TLOG_MAX_ENTRY + 1) == BF_ELIMIT && b.len == 4 + 2 + 2 + TLOG_MAX_ENTRY,
       "65536-byte entry refused, buffer unchanged");
    ok(memcmp(b.data, "\0\002ab\0\0\377\377", 8) == 0, "u16be length prefixes");
    rc = tlog_bundle_next((const uint8_t *)b.data, b.len, &pos, &e, &len);
    ok(rc == 1 && len == 2 && memcmp(e, "ab", 2) == 0, "first entry");
    rc = tlog_bundle_next((const uint8_t *)b.data, b.len, &pos, &e, &len);
    ok(rc == 1 && len == 0, "empty entry");
    rc = tlog_bundle_next((const uint8_t *)b.data, b.len, &pos, &e, &len);
    ok(rc == 1 && len == TLOG_MAX_ENTRY, "largest entry");
    ok(tlog_bundle_next((const uint8_t *)b.data, b.len, &pos, &e, &len) == 0, "end of bundle");
    pos = 0;
    ok(tlog_bundle_next((const uint8_t *)b.data, b.len - 1, &pos, &e, &len) == 1 &&
       tlog_bundle_next((const uint8_t *)b.data, b.len - 1, &pos, &e, &len) == 1 &&
       tlog_bundle_next((const uint8_t *)b.data, b.len - 1, &pos, &e, &len) == BF_EINVAL, "truncated bundle rejected");
    pos = 0;
    ok(tlog_bundle_next((const uint8_t *)"\0", 1, &pos, &e, &len) == BF_EINVAL, "half a length prefix rejected");
    bf_buf_free(&b);
}

/* ---- tessera test log ------------------------------------------------- */

static int file_equals(const char *path, const void *data, size_t len)
{
    size_t flen = 0;
    char *f = tu_slurp(path, &flen);
    int same = f && flen == len && memcmp(f, data, len) == 0;
    free(f);
    return same;
}

static void test_tessera_tiles(void)
{
    const char *dir = tap_shared("tlog/tessera-log");
    tlog_hash leaves[15];
    struct tu_memtree t;
    struct bf_buf b = BF_BUF_INIT, bundle = BF_BUF_INIT;
    char base[4096];
    int w;

    if (!dir) {
        skip("no shared data: tlog/tessera-log");
        return;
    }
    snprintf(base, sizeof base, "%s", dir);
    for (w = 0; w < 15; w++)
        tlog_leaf_hash(tu_tessera_leaves[w], strlen(tu_tessera_leaves[w]), &leaves[w]);
    tu_memtree_build(&t, leaves, 15);
    for (w = 1; w <= 15; w++) {
        struct tlog_tile tile = {0, 0, w}, etile = {-1, 0, w};
        char path[4400];
        struct bf_err err = {0};
        int rc;

        bf_buf_reset(&b);
        rc = tlog_tile_width(0, 0, (uint64_t)w) == w ? 0 : -1;
        if (rc == 0)
            rc = bf_buf_printf(&b, "%s/tile/", base);
        if (rc == 0)
            rc = tlog_tile_format_path(&tile, &b);
        snprintf(path, sizeof path, "%s", b.data);
        bf_buf_reset(&b);
        ok(rc == 0 && tlog_tile_hashes(&tile, tu_memtree_read, &t, &b, &err) == 0 && b.len == (size_t)w * 32 &&
           file_equals(path, b.data, b.len), "tile/0/000.p/%d reproduced byte for byte", w);

        rc = tlog_bundle_append(&bundle, tu_tessera_leaves[w - 1], strlen(tu_tessera_leaves[w - 1]));
        bf_buf_reset(&b);
        if (rc == 0)
            rc = bf_buf_printf(&b, "%s/tile/", base);
        if (rc == 0)
            rc = tlog_tile_format_path(&etile, &b);
        ok(rc == 0 && file_equals(b.data, bundle.data, bundle.len), "tile/entries/000.p/%d reproduced byte for byte",
           w);
    }
    tu_memtree_free(&t);
    bf_buf_free(&b);
    bf_buf_free(&bundle);
}

/* ---- c2sp-70000 ------------------------------------------------------- */

#define N70K 70000
static const uint64_t cp_sizes[] = {1, 255, 256, 257, 1000, 65536, 65537, 70000};

struct pathset {
    char **p;
    size_t n, cap;
};

static void ps_add(struct pathset *s, const char *p)
{
    size_t i;
    for (i = 0; i < s->n; i++)
        if (strcmp(s->p[i], p) == 0)
            return;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->p = bf_xrealloc(s->p, s->cap * sizeof *s->p);
    }
    s->p[s->n++] = bf_xstrdup(p);
}

static int cmpstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void ps_free(struct pathset *s)
{
    size_t i;
    for (i = 0; i < s->n; i++)
        free(s->p[i]);
    free(s->p);
}

static void list_files(const char *root, const char *rel, struct pathset *out)
{
    char path[4096];
    DIR *d;
    struct dirent *e;

    snprintf(path, sizeof path, "%s/%s", root, rel);
    d = opendir(path);
    if (!d)
        return;
    while ((e = readdir(d))) {
        char sub[4096], full[8192];
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        snprintf(full, sizeof full, "%s/%s", root, sub);
        if (stat(full, &st) == 0 && S_ISDIR(st.st_mode))
            list_files(root, sub, out);
        else
            ps_add(out, sub);
    }
    closedir(d);
}

/* The tiles a log of these checkpoint sizes serves: the full tiles of the
 * largest size and, for every size, its partial tiles. */
static void expected_tiles(struct pathset *out)
{
    size_t c;
    struct bf_buf b = BF_BUF_INIT;
    for (c = 0; c < BF_ARRAY_LEN(cp_sizes); c++) {
        int level;
        for (level = -1; level < 8; level++) {
            uint64_t n;
            for (n = 0;; n++) {
                int w = tlog_tile_width(level, n, cp_sizes[c]);
                struct tlog_tile t = {level, n, w};
                if (w == 0)
                    break;
                bf_buf_reset(&b);
                if (tlog_tile_format_path(&t, &b) == 0)
                    ps_add(out, b.data);
            }
        }
    }
    bf_buf_free(&b);
}

static void test_70000(void)
{
    const char *dir = tap_shared("tlog/c2sp-70000");
    struct pathset want = {0}, have = {0};
    tlog_hash *leaves;
    struct tu_memtree t;
    struct tlog_skey sk;
    struct bf_buf b = BF_BUF_INIT, bundle = BF_BUF_INIT;
    char base[4096], tiledir[4200];
    size_t i;
    int same, bad_tiles = 0, bad_bundles = 0, ntiles = 0, nbundles = 0;

    if (!dir) {
        skip("no shared data: tlog/c2sp-70000");
        return;
    }
    snprintf(base, sizeof base, "%s", dir);
    snprintf(tiledir, sizeof tiledir, "%s/tile", base);

    expected_tiles(&want);
    list_files(tiledir, "", &have);
    qsort(want.p, want.n, sizeof *want.p, cmpstr);
    qsort(have.p, have.n, sizeof *have.p, cmpstr);
    same = want.n == have.n;
    for (i = 0; same && i < want.n; i++)
        same = strcmp(want.p[i], have.p[i]) == 0;
    ok(same, "tile layout: the %zu expected tiles and bundles are exactly the %zu files present", want.n, have.n);
    /* Per checkpoint size: every tile that size needs is present. */
    for (i = 0; i < BF_ARRAY_LEN(cp_sizes); i++) {
        struct bf_buf pb = BF_BUF_INIT;
        int level, need = 0, found = 0, partial = 0;
        for (level = -1; level < 8; level++) {
            uint64_t n;
            int w;
            for (n = 0; (w = tlog_tile_width(level, n, cp_sizes[i])) > 0; n++) {
                struct tlog_tile tile = {level, n, w};
                bf_buf_reset(&pb);
                need++;
                partial += w < 256;
                if (tlog_tile_format_path(&tile, &pb) == 0 &&
                    bsearch(&pb.data, have.p, have.n, sizeof *have.p, cmpstr))
                    found++;
            }
        }
        ok(need > 0 && found == need, "size %" PRIu64 ": all %d tiles and bundles it needs are present (%d partial)",
           cp_sizes[i], need, partial);
        bf_buf_free(&pb);
    }
    /* Levels 0 and entries: 273 full + 6 partials each; level 1: 000,
     * 000.p/1, 000.p/3, 001.p/17; level 2: 000.p/1. */
    ok(want.n == 2 * (273 + 6) + 4 + 1, "tile count: %zu", want.n);

    leaves = bf_xmalloc(N70K * sizeof *leaves);
    for (i = 0; i < N70K; i++) {
        char s[32];
        int n = snprintf(s, sizeof s, "leaf %zu", i);
        tlog_leaf_hash(s, (size_t)n, &leaves[i]);
    }
    tu_memtree_build(&t, leaves, N70K);

    /* Every file present must be what a correct log writes. */
    for (i = 0; i < have.n; i++) {
        struct tlog_tile tile;
        struct bf_err err = {0};
        char path[8400];
        if (tlog_tile_parse_path(have.p[i], strlen(have.p[i]), &tile, &err) < 0) {
            ok(0, "file name %s parses: %s", have.p[i], err.msg);
            continue;
        }
        snprintf(path, sizeof path, "%s/%s", tiledir, have.p[i]);
        bf_buf_reset(&b);
        if (tile.level >= 0) {
            ntiles++;
            if (tlog_tile_hashes(&tile, tu_memtree_read, &t, &b, &err) < 0 || !file_equals(path, b.data, b.len)) {
                bad_tiles++;
                diag("tile %s differs", have.p[i]);
            }
        } else {
            uint64_t k;
            nbundles++;
            for (k = 0; k < (uint64_t)tile.width; k++) {
                char s[32];
                int n = snprintf(s, sizeof s, "leaf %" PRIu64, tile.n * 256 + k);
                if (tlog_bundle_append(&b, s, (size_t)n) < 0)
                    break;
            }
            if (!file_equals(path, b.data, b.len)) {
                bad_bundles++;
                diag("bundle %s differs", have.p[i]);
            }
        }
    }
    ok(ntiles > 0 && bad_tiles == 0, "all %d hash tiles reproduced byte for byte (%d differ)", ntiles, bad_tiles);
    ok(nbundles > 0 && bad_bundles == 0, "all %d entry bundles reproduced byte for byte (%d differ)", nbundles,
       bad_bundles);
    /* Named spot checks of the spec example. */
    {
        static const char *spec[] = {"0/272", "0/273.p/112", "1/000", "1/001.p/17", "2/000.p/1", "entries/273.p/112"};
        for (i = 0; i < BF_ARRAY_LEN(spec); i++) {
            struct tlog_tile tile;
            char path[4400];
            int okk = tlog_tile_parse_path(spec[i], strlen(spec[i]), &tile, NULL) == 0;
            snprintf(path, sizeof path, "%s/%s", tiledir, spec[i]);
            bf_buf_reset(&b);
            if (okk && tile.level >= 0)
                okk = tlog_tile_hashes(&tile, tu_memtree_read, &t, &b, NULL) == 0 && file_equals(path, b.data, b.len);
            else if (okk) {
                uint64_t k;
                for (k = 0; k < (uint64_t)tile.width; k++) {
                    char s[32];
                    int n = snprintf(s, sizeof s, "leaf %" PRIu64, tile.n * 256 + k);
                    okk = okk && tlog_bundle_append(&b, s, (size_t)n) == 0;
                }
                okk = okk && file_equals(path, b.data, b.len);
            }
            ok(okk, "70000 spec tile %s byte for byte", spec[i]);
        }
    }

    /* Checkpoints, from a compact range fed leaf by leaf. */
    tlog_skey_parse(TU_TESSERA_SKEY, strlen(TU_TESSERA_SKEY), &sk, NULL);
    {
        struct tlog_range r;
        size_t c = 0;
        tlog_range_init(&r);
        for (i = 0; i < N70K && c < BF_ARRAY_LEN(cp_sizes); i++) {
            tlog_range_append(&r, &leaves[i]);
            if (r.size == cp_sizes[c]) {
                tlog_hash root, th;
                char path[4400];
                struct bf_err err = {0};
                tlog_range_root(&r, &root);
                snprintf(path, sizeof path, "%s/checkpoint.%" PRIu64, base, r.size);
                bf_buf_reset(&b);
                ok(tlog_tree_hash(r.size, tu_memtree_read, &t, &th, NULL) == 0 && memcmp(th.b, root.b, 32) == 0 &&
                   tlog_checkpoint_sign(&sk, "example.com/log/testdata", r.size, &root, &b, &err) == 0 &&
                   file_equals(path, b.data, b.len), "checkpoint.%" PRIu64 " reproduced byte for byte", r.size);
                c++;
            }
        }
    }
    tu_memtree_free(&t);
    free(leaves);
    ps_free(&want);
    ps_free(&have);
    bf_buf_free(&b);
    bf_buf_free(&bundle);
}

int main(void)
{
    test_paths();
    test_widths();
    test_bundle();
    test_tessera_tiles();
    test_70000();
    return tap_done();
}
