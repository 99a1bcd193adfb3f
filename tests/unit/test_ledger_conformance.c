/*
 * test_ledger_conformance.c - the running ledger reproduces published
 * logs byte for byte, in process (the HTTP path is covered by
 * tests/integration/ledger_tessera.sh):
 *
 *   - tessera testdata: key and 15 leaves appended one at a time give
 *     checkpoints 0..15, every partial tile and entry bundle, every
 *     inclusion and consistency proof of tessera15-all-proofs.json and the
 *     tlog-proof receipt for index 6;
 *   - c2sp-70000: leaves "leaf 0".."leaf 69999" appended in batches that
 *     end at the published sizes give each checkpoint, and every tile file
 *     of the directory (full and multi-level partial) is served identically.
 */
#include "common.h"
#include "tap.h"
#include "testutil.h"
#include "buf.h"
#include "enc.h"
#include "fs.h"
#include "ledger/ledger.h"
#include "store/store.h"

#include <dirent.h>
#include <jansson.h>


static char tmpdir[256];

static int open_log(const char *sub, const char *origin, struct store **s, struct ledger **l)
{
    struct bf_err err = { 0, "" };
    char dir[512];
    snprintf(dir, sizeof dir, "%s/%s", tmpdir, sub);
    if (store_open(dir, STORE_CREATE | STORE_NOSYNC, s, &err) < 0 || ledger_init(*s, origin, TU_TESSERA_SKEY, &err) < 0 ||
        ledger_open(*s, NULL, l, &err) < 0) {
        diag("open %s: %s", dir, err.msg);
        return -1;
    }
    return 0;
}

/* 1 if the ledger's bytes equal file base/rel. */
static int same_file(const char *base, const char *rel, const char *got, size_t glen)
{
    char path[1024], *want = NULL;
    size_t wlen = 0;
    int same;
    snprintf(path, sizeof path, "%s/%s", base, rel);
    if (bf_fs_read(path, 1 << 24, &want, &wlen, NULL) < 0)
        return 0;
    same = wlen == glen && memcmp(want, got, glen) == 0;
    free(want);
    return same;
}

static int checkpoint_is(struct ledger *l, const char *base, uint64_t n)
{
    struct bf_buf b = BF_BUF_INIT;
    char rel[64];
    int same;
    snprintf(rel, sizeof rel, "checkpoint.%" PRIu64, n);
    if (ledger_checkpoint(l, &b, NULL, NULL) < 0)
        return 0;
    same = same_file(base, rel, b.data, b.len);
    bf_buf_free(&b);
    return same;
}

static int tile_is(struct ledger *l, const char *base, const char *rel)
{
    struct bf_buf b = BF_BUF_INIT;
    struct bf_err err = { 0, "" };
    struct tlog_tile t;
    int same = 0;
    if (tlog_tile_parse_path(rel + 5, strlen(rel + 5), &t, &err) < 0 || ledger_tile(l, &t, &b, &err) < 0)
        diag("%s: %s", rel, err.msg);
    else
        same = same_file(base, rel, b.data ? b.data : "", b.len);
    bf_buf_free(&b);
    return same;
}

static void tessera_proofs(struct ledger *l, const char *json)
{
    json_t *root = json_load_file(json, 0, NULL), *c;
    size_t i, j, good = 0, total = 0;

    if (!root) {
        ok(0, "parse %s", json);
        return;
    }
    json_array_foreach(json_object_get(root, "inclusion"), i, c) {
        struct bf_buf b = BF_BUF_INIT;
        struct tlog_receipt *r = bf_xmalloc(sizeof *r);
        json_t *p = json_object_get(c, "proof"), *h;
        uint64_t idx = (uint64_t)json_integer_value(json_object_get(c, "leafIdx"));
        uint64_t size = (uint64_t)json_integer_value(json_object_get(c, "treeSize"));
        int same;
        if (json_is_true(json_object_get(c, "wantErr"))) {
            free(r);
            continue;
        }
        total++;
        same = ledger_receipt(l, idx, size, &b, NULL) == 0 && tlog_receipt_parse(b.data, b.len, r, NULL) == 0 &&
               (size_t)r->n == json_array_size(p);
        json_array_foreach(p, j, h) {
            tlog_hash want;
            if (!same || tu_b64_hash(json_string_value(h), &want) < 0 || memcmp(want.b, r->proof[j].b, 32))
                same = 0;
        }
        good += same;
        bf_buf_free(&b);
        free(r);
    }
    ok(good == total && total > 0, "all %zu valid inclusion proofs of the 15-leaf tree reproduced (%zu match)",
       total, good);
    good = total = 0;
    json_array_foreach(json_object_get(root, "consistency"), i, c) {
        tlog_hash proof[TLOG_MAX_PROOF];
        json_t *p = json_object_get(c, "proof"), *h;
        uint64_t m = (uint64_t)json_integer_value(json_object_get(c, "size1"));
        uint64_t n = (uint64_t)json_integer_value(json_object_get(c, "size2"));
        int np = 0, same;
        if (json_is_true(json_object_get(c, "wantErr")) || m == 0)
            continue;
        total++;
        same = ledger_consistency(l, m, n, proof, &np, NULL) == 0 && (size_t)np == json_array_size(p);
        json_array_foreach(p, j, h) {
            tlog_hash want;
            if (!same || tu_b64_hash(json_string_value(h), &want) < 0 || memcmp(want.b, proof[j].b, 32))
                same = 0;
        }
        good += same;
    }
    ok(good == total && total > 0, "all %zu valid consistency proofs reproduced (%zu match)", total, good);
    json_decref(root);
}

static void test_tessera(void)
{
    const char *base = tap_shared("tlog/tessera-log");
    struct store *s = NULL;
    struct ledger *l = NULL;
    int i, cps = 0, tiles = 0, bundles = 0;

    if (!base) {
        skip("../shared/data/tlog/tessera-log not present");
        return;
    }
    base = bf_xstrdup(base);
    if (open_log("tessera", "example.com/log/testdata", &s, &l) < 0) {
        ok(0, "tessera log opens");
        goto out;
    }
    cps += checkpoint_is(l, base, 0);
    for (i = 0; i < 15; i++) {
        struct ledger_item it = { tu_tessera_leaves[i], strlen(tu_tessera_leaves[i]), NULL, NULL, 0, 0, 0, { 0, "" } };
        if (ledger_append(l, &it, 1, NULL) < 0 || it.index != (uint64_t)i)
            diag("append %d failed: %s", i, it.err.msg);
        cps += checkpoint_is(l, base, (uint64_t)i + 1);
    }
    ok(cps == 16, "checkpoints 0..15 byte-identical to tessera's (%d of 16)", cps);
    for (i = 1; i <= 15; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "tile/0/000.p/%d", i);
        tiles += tile_is(l, base, rel);
        snprintf(rel, sizeof rel, "tile/entries/000.p/%d", i);
        bundles += tile_is(l, base, rel);
    }
    ok(tiles == 15, "partial tiles 0/000.p/1..15 identical (%d of 15)", tiles);
    ok(bundles == 15, "entry bundles entries/000.p/1..15 identical (%d of 15)", bundles);
    {
        struct bf_buf b = BF_BUF_INIT;
        const char *dir = tap_shared("tlog");
        ok(dir && ledger_receipt(l, 6, 0, &b, NULL) == 0 &&
               same_file(dir, "tessera-index6-size15.tlog-proof", b.data, b.len),
           "receipt for index 6 equals tessera-index6-size15.tlog-proof");
        bf_buf_free(&b);
    }
    {
        const char *pj = tap_shared("tlog/tessera15-all-proofs.json");
        if (pj)
            tessera_proofs(l, pj);
        else
            skip("tessera15-all-proofs.json not present");
    }
    {
        struct bf_buf b = BF_BUF_INIT;
        struct tlog_tile t = { 0, 0, 16 };
        int rc = ledger_tile(l, &t, &b, NULL);
        struct tlog_tile t2 = { 0, 1, 1 };
        int rc2 = ledger_tile(l, &t2, &b, NULL);
        ok(rc == BF_ENOTFOUND && rc2 == BF_ENOTFOUND && b.len == 0, "tiles beyond size 15 are not found");
        bf_buf_free(&b);
    }
out:
    ledger_close(l);
    store_close(s);
    free((char *)base);
}

/* Appends leaves [from, to) as one call. */
static int append_range(struct ledger *l, uint64_t from, uint64_t to)
{
    size_t n = (size_t)(to - from), i;
    struct ledger_item *it = bf_xcalloc(n, sizeof *it);
    char *buf = bf_xmalloc(n * 16);
    int rc;
    for (i = 0; i < n; i++) {
        int len = snprintf(buf + i * 16, 16, "leaf %" PRIu64, from + i);
        it[i].entry = buf + i * 16;
        it[i].len = (size_t)len;
    }
    rc = ledger_append(l, it, n, NULL);
    if (!rc && it[0].index != from)
        rc = -1;
    free(it);
    free(buf);
    return rc;
}

static int walk_tiles(struct ledger *l, const char *base, const char *rel, int *files)
{
    char path[1024];
    struct dirent *de;
    DIR *d;
    int same = 0;

    snprintf(path, sizeof path, "%s/%s", base, rel);
    if (!(d = opendir(path)))
        return 0;
    while ((de = readdir(d))) {
        char sub[512];
        struct stat st;
        if (de->d_name[0] == '.')
            continue;
        snprintf(sub, sizeof sub, "%s/%s", rel, de->d_name);
        snprintf(path, sizeof path, "%s/%s", base, sub);
        if (stat(path, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            same += walk_tiles(l, base, sub, files);
        } else {
            int one = tile_is(l, base, sub);
            (*files)++;
            if (!one)
                diag("differs: %s", sub);
            same += one;
        }
    }
    closedir(d);
    return same;
}

static void test_70000(void)
{
    static const uint64_t sizes[] = { 1, 255, 256, 257, 1000, 65536, 65537, 70000 };
    const char *base = tap_shared("tlog/c2sp-70000");
    struct store *s = NULL;
    struct ledger *l = NULL;
    uint64_t at = 0;
    size_t i;
    int cps = 0, files = 0, same;

    if (!base) {
        skip("../shared/data/tlog/c2sp-70000 not present");
        return;
    }
    base = bf_xstrdup(base);
    if (open_log("c2sp70000", "example.com/log/testdata", &s, &l) < 0) {
        ok(0, "70000 log opens");
        goto out;
    }
    for (i = 0; i < BF_ARRAY_LEN(sizes); i++) {
        if (append_range(l, at, sizes[i]) < 0)
            diag("append to %" PRIu64 " failed", sizes[i]);
        at = sizes[i];
        cps += checkpoint_is(l, base, sizes[i]);
    }
    ok(cps == (int)BF_ARRAY_LEN(sizes), "checkpoints at 1, 255, 256, 257, 1000, 65536, 65537, 70000 identical");
    same = walk_tiles(l, base, "tile", &files);
    ok(files > 500 && same == files, "all %d tile and bundle files of c2sp-70000 identical (%d match)", files, same);
    {
        struct bf_err err = { 0, "" };
        ok(ledger_check(s, NULL, &err) == 0, "belfry check passes on the 70000-entry log %s", err.msg);
    }
out:
    ledger_close(l);
    store_close(s);
    free((char *)base);
}

int main(void)
{
    if (tu_mkdtemp(tmpdir, sizeof tmpdir, "ledger-conf") < 0) {
        ok(0, "mkdtemp");
        return tap_done();
    }
    test_tessera();
    test_70000();
    tu_rm_rf(tmpdir);
    return tap_done();
}
