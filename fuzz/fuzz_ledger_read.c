/*
 * fuzz_ledger_read.c - libFuzzer target for everything the log serves,
 * against a real ledger (SQLite store in a temporary directory, 20 000
 * entries appended in batches of varying size, so about 400 signed
 * checkpoints and many right edges).
 *
 * Input: one op byte, then the op's arguments.
 *   op 0: the rest is a tile path (after "tile/"); if it parses, ledger_tile
 *         must give 0 or BF_ENOTFOUND, and a body of width x 32 bytes equal
 *         to the leaf hashes kept in memory (level 0), or a bundle of width
 *         entries equal to the appended ones.
 *   op 1: u64 index, u64 size (reduced mod log size + 1): a receipt must
 *         parse and verify with the log key for the entry's leaf hash, and
 *         exist exactly when a checkpoint of that size was signed.
 *   op 2: u64 from, u64 to: a consistency proof must verify between roots
 *         computed independently from the in-memory leaf hashes.
 * Anything else aborts.
 */
#include "common.h"
#include "buf.h"
#include "ledger/ledger.h"
#include "store/store.h"
#include "store/store_log.h"

#define N_ENTRIES 20000

static struct ledger *L;
static struct store *S;
static tlog_hash leaves[N_ENTRIES];
static struct tlog_vkey vkey;

/* Perfect subtree hashes of the in-memory leaves, level by level, built
 * independently of the ledger (no tiles, no cache, no store). */
static tlog_hash *memo[15];

static void build_memo(void)
{
    uint64_t n = N_ENTRIES, i;
    int k;
    memo[0] = leaves;
    for (k = 1; k < 15; k++) {
        n /= 2;
        memo[k] = bf_xmalloc((n ? n : 1) * sizeof(tlog_hash));
        for (i = 0; i < n; i++)
            tlog_node_hash(&memo[k - 1][2 * i], &memo[k - 1][2 * i + 1], &memo[k][i]);
    }
}

static int mem_reader(void *ctx, int level, uint64_t idx, tlog_hash *out, struct bf_err *err)
{
    (void)ctx;
    if (level < 0 || level >= 15 || ((idx + 1) << level) > N_ENTRIES)
        return bf_err_set(err, BF_ENOTFOUND, "beyond");
    *out = memo[level][idx];
    return 0;
}

static void entry_text(uint64_t i, char *buf, size_t cap, size_t *len)
{
    *len = (size_t)snprintf(buf, cap, "fuzz entry %" PRIu64 "%s", i, i % 7 ? "" : " with a longer tail for size");
}

static char dir[] = "/tmp/belfry-fuzz-ledger-XXXXXX";

static void cleanup(void)
{
    char cmd[128];
    ledger_close(L);
    store_close(S);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct bf_err err = { 0, "" };
    uint64_t at = 0, step = 1;
    (void)argc; (void)argv;
    if (!mkdtemp(dir) || store_open(dir, STORE_CREATE | STORE_NOSYNC, &S, &err) < 0 ||
        ledger_init(S, "fuzz.belfry.test/log", NULL, &err) < 0 || ledger_open(S, NULL, &L, &err) < 0 ||
        tlog_vkey_parse(ledger_vkey(L), strlen(ledger_vkey(L)), &vkey, &err) < 0) {
        fprintf(stderr, "fuzz init: %s\n", err.msg);
        abort();
    }
    while (at < N_ENTRIES) {
        uint64_t n = BF_MIN(step, N_ENTRIES - at), i;
        struct ledger_item *it = bf_xcalloc(n, sizeof *it);
        char (*txt)[64] = bf_xcalloc(n, 64);
        for (i = 0; i < n; i++) {
            entry_text(at + i, txt[i], 64, &it[i].len);
            it[i].entry = txt[i];
            tlog_leaf_hash(txt[i], it[i].len, &leaves[at + i]);
        }
        if (ledger_append(L, it, n, &err) < 0)
            abort();
        free(it);
        free(txt);
        at += n;
        step = step % 97 + 1;
    }
    build_memo();
    atexit(cleanup);
    return 0;
}

static uint64_t get_u64(const uint8_t *d)
{
    uint64_t v = 0;
    int i;
    for (i = 0; i < 8; i++)
        v = v << 8 | d[i];
    return v;
}

static void op_tile(const uint8_t *d, size_t n)
{
    struct tlog_tile t;
    struct bf_buf b = BF_BUF_INIT;
    int rc, i;

    if (tlog_tile_parse_path((const char *)d, n, &t, NULL) < 0)
        return;
    rc = ledger_tile(L, &t, &b, NULL);
    if (rc == BF_ENOTFOUND)
        goto out;
    if (rc != 0)
        abort();
    if (t.level == 0) {
        if (b.len != (size_t)t.width * 32 || memcmp(b.data, &leaves[t.n * 256], b.len) != 0)
            abort();
    } else if (t.level < 0) {
        size_t pos = 0;
        for (i = 0; i < t.width; i++) {
            char want[64];
            size_t wl, len;
            entry_text(t.n * 256 + (uint64_t)i, want, sizeof want, &wl);
            if (pos + 2 > b.len)
                abort();
            len = (size_t)(uint8_t)b.data[pos] << 8 | (uint8_t)b.data[pos + 1];
            if (len != wl || pos + 2 + len > b.len || memcmp(b.data + pos + 2, want, len) != 0)
                abort();
            pos += 2 + len;
        }
        if (pos != b.len)
            abort();
    } else if (b.len != (size_t)t.width * 32) {
        abort();
    }
out:
    bf_buf_free(&b);
}

static void op_receipt(uint64_t index, uint64_t size)
{
    struct bf_buf b = BF_BUF_INIT;
    struct tlog_receipt *r = bf_xmalloc(sizeof *r);
    char *note = NULL;
    int rc, signed_size;

    size %= N_ENTRIES + 1;
    signed_size = size == 0 || store_log_checkpoint(S, size, &note, NULL, NULL, NULL) == 0;
    free(note);
    rc = ledger_receipt(L, index, size, &b, NULL);
    if (rc == 0) {
        if (index >= (size ? size : N_ENTRIES) || !signed_size)
            abort();
        if (tlog_receipt_parse(b.data, b.len, r, NULL) < 0 ||
            tlog_receipt_verify(r, &leaves[index], &vkey, 1, NULL, NULL) < 0 || r->index != index)
            abort();
    } else if (signed_size && index < (size ? size : N_ENTRIES)) {
        abort();
    }
    free(r);
    bf_buf_free(&b);
}

static void op_consistency(uint64_t from, uint64_t to)
{
    tlog_hash proof[TLOG_MAX_PROOF], r1, r2;
    int n = 0, rc;

    from %= N_ENTRIES + 1;
    to %= N_ENTRIES + 1;
    rc = ledger_consistency(L, from, to, proof, &n, NULL);
    if (from == 0 || from > to) {
        if (rc == 0)
            abort();
        return;
    }
    if (rc != 0 || tlog_tree_hash(from, mem_reader, NULL, &r1, NULL) < 0 ||
        tlog_tree_hash(to, mem_reader, NULL, &r2, NULL) < 0 ||
        tlog_verify_consistency(from, to, &r1, &r2, proof, n, NULL) < 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    switch (data[0] % 3) {
    case 0:
        op_tile(data + 1, size - 1);
        break;
    case 1:
        if (size >= 17)
            op_receipt(get_u64(data + 1), get_u64(data + 9));
        break;
    default:
        if (size >= 17)
            op_consistency(get_u64(data + 1), get_u64(data + 9));
        break;
    }
    return 0;
}
