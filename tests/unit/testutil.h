/*
 * testutil.h - helpers the C unit tests share, all static inline so that a
 * test includes this header and links nothing more. Include it after
 * common.h and tap.h.
 *
 *   files      tu_slurp(path, &len)           a whole file, NUL-terminated
 *   encodings  tu_hex_hash, tu_b64_hash        exactly 32 bytes or -1
 *   keys       TU_TESSERA_SKEY/VKEY, tu_tessera_key, tu_tessera_leaves
 *   trees      struct tu_memtree               every complete subtree in memory
 *   temp dirs  tu_mkdtemp(buf, cap, name), tu_rm_rf(dir)
 *
 * A test that needs ../shared/data finds it with tap_shared() (tap.h) and
 * reports a skip when it is absent.
 */
#ifndef BELFRY_TESTUTIL_H
#define BELFRY_TESTUTIL_H

#include "common.h"
#include "enc.h"
#include "tap.h"
#include "tlog/tlog.h"

/* ---- files ------------------------------------------------------------ */

/* The whole of path, NUL-terminated, in memory the caller frees; its length
 * in *len (when len is not NULL). NULL when the file cannot be read. */
static inline char *tu_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = bf_xmalloc((size_t)n + 1);
        if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        } else {
            buf[n] = '\0';
            if (len)
                *len = (size_t)n;
        }
    }
    fclose(f);
    return buf;
}

/* ---- hex and base64 --------------------------------------------------- */

/* 64 hex digits -> hash; 0, or -1 when hex is not exactly 32 bytes. */
static inline int tu_hex_hash(const char *hex, tlog_hash *h)
{
    return bf_hex_decode(hex, strlen(hex), h->b, 32) == 32 ? 0 : -1;
}

/* Standard base64 -> hash; 0, or -1 when s is not exactly 32 bytes. */
static inline int tu_b64_hash(const char *s, tlog_hash *h)
{
    return bf_b64_decode(s, strlen(s), h->b, 32) == 32 ? 0 : -1;
}

/* ---- the tessera test log --------------------------------------------- */

/* The key pair of transparency-dev/tessera's test log (origin
 * example.com/log/testdata) and its 15 leaves, as in ../shared/data/tlog. */
#define TU_TESSERA_SKEY "PRIVATE+KEY+example.com/log/testdata+33d7b496+AeymY/SZAX0jZcJ8enZ5FY1Dz+wTML2yWSkK+9DSF3eg"
#define TU_TESSERA_VKEY "example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx"

static const char *const tu_tessera_leaves[15] = {"one", "two",    "three", "four",     "five",    "six",
                                                  "seven", "eit", "nain",  "ten",      "ileven",  "twelf",
                                                  "threeten", "fourten", "fivten"};

/* Loads the tessera signing key and, when pub is not NULL, its public half.
 * Returns 0 or a negative BF_E* code. */
static inline int tu_tessera_key(struct tlog_skey *sk, struct tlog_vkey *pub, struct bf_err *err)
{
    int rc = tlog_skey_parse(TU_TESSERA_SKEY, strlen(TU_TESSERA_SKEY), sk, err);
    if (rc == 0 && pub)
        tlog_skey_public(sk, pub);
    return rc;
}

/* ---- an in-memory tree ------------------------------------------------ */

/* Every complete subtree hash, level by level; reads counts the calls to
 * tu_memtree_read (a tlog hash reader: pass the tree as its ctx). */
struct tu_memtree {
    uint64_t n;
    tlog_hash *lv[65];
    uint64_t cnt[65];
    int reads;
};

static inline void tu_memtree_build(struct tu_memtree *t, const tlog_hash *leaves, uint64_t n)
{
    int l;
    memset(t, 0, sizeof *t);
    t->n = n;
    t->cnt[0] = n;
    t->lv[0] = bf_xmalloc((n ? n : 1) * sizeof(tlog_hash));
    memcpy(t->lv[0], leaves, n * sizeof(tlog_hash));
    for (l = 1; l < 64 && t->cnt[l - 1] >= 2; l++) {
        uint64_t i;
        t->cnt[l] = t->cnt[l - 1] / 2;
        t->lv[l] = bf_xmalloc(t->cnt[l] * sizeof(tlog_hash));
        for (i = 0; i < t->cnt[l]; i++)
            tlog_node_hash(&t->lv[l - 1][2 * i], &t->lv[l - 1][2 * i + 1], &t->lv[l][i]);
    }
}

static inline void tu_memtree_free(struct tu_memtree *t)
{
    int l;
    for (l = 0; l < 65; l++)
        free(t->lv[l]);
}

static inline int tu_memtree_read(void *ctx, int level, uint64_t idx, tlog_hash *out, struct bf_err *err)
{
    struct tu_memtree *t = ctx;
    t->reads++;
    if (level < 0 || level > 64 || !t->lv[level] || idx >= t->cnt[level])
        return bf_err_set(err, BF_ENOTFOUND, "no hash at level %d index %" PRIu64, level, idx);
    *out = t->lv[level][idx];
    return 0;
}

/* ---- temporary directories -------------------------------------------- */

/* Creates /tmp/belfry-<name>-XXXXXX into dir; 0, or -1 (and errno). */
static inline int tu_mkdtemp(char *dir, size_t cap, const char *name)
{
    snprintf(dir, cap, "/tmp/belfry-%s-XXXXXX", name);
    return mkdtemp(dir) ? 0 : -1;
}

/* Removes dir and everything below it; says so (as a TAP comment) if it
 * cannot. */
static inline void tu_rm_rf(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        diag("could not remove %s", dir);
}

#endif
