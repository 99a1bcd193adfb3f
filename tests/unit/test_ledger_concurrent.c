/*
 * test_ledger_concurrent.c - reads while the log grows: writer threads
 * append (one entry per call) while reader threads fetch the served
 * checkpoint, receipts for random published indexes, the right-edge and
 * full tiles, and consistency proofs from the last size they saw. Every
 * receipt must verify with the log key for the entry at its index, every
 * consistency proof must link the reader's previous checkpoint to its
 * current one, every tile must have the width asked for, and the served
 * size must never shrink. (Also run under ThreadSanitizer by hand.)
 */
#include "common.h"
#include "tap.h"
#include "testutil.h"
#include "buf.h"
#include "ledger/ledger.h"
#include "store/store.h"

#include <pthread.h>

#define WRITERS 6
#define READERS 3
#define PER_WRITER 1500

static struct ledger *L;
static struct tlog_vkey K;
static int writers_done; /* atomic */

struct rstat {
    int receipts, bad_receipts, proofs, bad_proofs, tiles, bad_tiles, backwards;
    uint64_t seed;
};

static void *writer(void *arg)
{
    int id = (int)(intptr_t)arg, i;
    for (i = 0; i < PER_WRITER; i++) {
        char e[64];
        struct ledger_item it;
        memset(&it, 0, sizeof it);
        it.len = (size_t)snprintf(e, sizeof e, "w%d-%d", id, i);
        it.entry = e;
        ledger_append(L, &it, 1, NULL);
    }
    return NULL;
}

static uint64_t rnd(struct rstat *s)
{
    s->seed = s->seed * 6364136223846793005ull + 1442695040888963407ull;
    return s->seed >> 11;
}

/* Parses the served checkpoint's size and root. */
static int served(struct tlog_checkpoint *cp, struct bf_buf *b)
{
    struct tlog_note *n = bf_xmalloc(sizeof *n);
    int rc;
    bf_buf_reset(b);
    rc = ledger_checkpoint(L, b, NULL, NULL) < 0 || tlog_note_parse(b->data, b->len, n, NULL) < 0 ||
         tlog_note_verify(n, &K, 1, NULL, NULL) < 1 || tlog_checkpoint_parse(n->text, n->text_len, cp, NULL) < 0;
    free(n);
    return rc ? -1 : 0;
}

static void check_receipt(struct rstat *s, uint64_t size)
{
    struct bf_buf b = BF_BUF_INIT, e = BF_BUF_INIT;
    struct tlog_receipt *r = bf_xmalloc(sizeof *r);
    uint64_t idx = rnd(s) % size;
    tlog_hash leaf;

    s->receipts++;
    if (ledger_receipt(L, idx, 0, &b, NULL) < 0 || ledger_entry(L, idx, &e, NULL) < 0 ||
        tlog_receipt_parse(b.data, b.len, r, NULL) < 0)
        s->bad_receipts++;
    else {
        tlog_leaf_hash(e.data, e.len, &leaf);
        if (tlog_receipt_verify(r, &leaf, &K, 1, NULL, NULL) < 0 || r->index != idx)
            s->bad_receipts++;
    }
    free(r);
    bf_buf_free(&b);
    bf_buf_free(&e);
}

static void check_tiles(struct rstat *s, uint64_t size)
{
    struct bf_buf b = BF_BUF_INIT;
    struct tlog_tile t = { 0, size / 256, (int)(size % 256) };

    if (t.width) { /* the right edge at this size */
        s->tiles++;
        if (ledger_tile(L, &t, &b, NULL) < 0 || b.len != (size_t)t.width * 32)
            s->bad_tiles++;
    }
    if (size >= 256) { /* a random full tile and its bundle */
        struct tlog_tile f = { 0, rnd(s) % (size / 256), 256 }, g = { -1, f.n, 256 };
        bf_buf_reset(&b);
        s->tiles++;
        if (ledger_tile(L, &f, &b, NULL) < 0 || b.len != 8192)
            s->bad_tiles++;
        bf_buf_reset(&b);
        s->tiles++;
        if (ledger_tile(L, &g, &b, NULL) < 0 || b.len < 256 * 2)
            s->bad_tiles++;
    }
    bf_buf_free(&b);
}

static void *reader(void *arg)
{
    struct rstat *s = arg;
    struct bf_buf b = BF_BUF_INIT;
    struct tlog_checkpoint prev, cur;
    int have_prev = 0;

    while (!__atomic_load_n(&writers_done, __ATOMIC_ACQUIRE)) {
        if (served(&cur, &b) < 0) {
            s->bad_proofs++;
            continue;
        }
        if (have_prev && cur.size < prev.size)
            s->backwards++;
        if (have_prev && prev.size > 0 && cur.size >= prev.size) {
            tlog_hash proof[TLOG_MAX_PROOF];
            int n = 0;
            s->proofs++;
            if (ledger_consistency(L, prev.size, cur.size, proof, &n, NULL) < 0 ||
                tlog_verify_consistency(prev.size, cur.size, &prev.root, &cur.root, proof, n, NULL) < 0)
                s->bad_proofs++;
        }
        if (cur.size > 0) {
            check_receipt(s, cur.size);
            check_tiles(s, cur.size);
        }
        prev = cur;
        have_prev = 1;
    }
    bf_buf_free(&b);
    return NULL;
}

int main(void)
{
    char dir[] = "/tmp/belfry-ledger-conc-XXXXXX";
    struct bf_err err = { 0, "" };
    struct store *s = NULL;
    pthread_t w[WRITERS], r[READERS];
    struct rstat st[READERS];
    struct rstat sum;
    int i;

    if (!mkdtemp(dir) || store_open(dir, STORE_CREATE | STORE_NOSYNC, &s, &err) < 0 ||
        ledger_init(s, "conc.belfry.test/log", NULL, &err) < 0 || ledger_open(s, NULL, &L, &err) < 0 ||
        tlog_vkey_parse(ledger_vkey(L), strlen(ledger_vkey(L)), &K, &err) < 0) {
        ok(0, "set up: %s", err.msg);
        return tap_done();
    }
    memset(st, 0, sizeof st);
    for (i = 0; i < READERS; i++) {
        st[i].seed = (uint64_t)i + 1;
        pthread_create(&r[i], NULL, reader, &st[i]);
    }
    for (i = 0; i < WRITERS; i++)
        pthread_create(&w[i], NULL, writer, (void *)(intptr_t)i);
    for (i = 0; i < WRITERS; i++)
        pthread_join(w[i], NULL);
    __atomic_store_n(&writers_done, 1, __ATOMIC_RELEASE);
    memset(&sum, 0, sizeof sum);
    for (i = 0; i < READERS; i++) {
        pthread_join(r[i], NULL);
        sum.receipts += st[i].receipts;
        sum.bad_receipts += st[i].bad_receipts;
        sum.proofs += st[i].proofs;
        sum.bad_proofs += st[i].bad_proofs;
        sum.tiles += st[i].tiles;
        sum.bad_tiles += st[i].bad_tiles;
        sum.backwards += st[i].backwards;
    }
    ok(ledger_size(L) == WRITERS * PER_WRITER, "%d entries appended while reading", WRITERS * PER_WRITER);
    ok(sum.receipts > 10 && sum.bad_receipts == 0, "%d receipts fetched during appends all verify (%d bad)",
       sum.receipts, sum.bad_receipts);
    ok(sum.proofs > 10 && sum.bad_proofs == 0, "%d consistency proofs between successive served checkpoints verify "
                                               "(%d bad)", sum.proofs, sum.bad_proofs);
    ok(sum.tiles > 10 && sum.bad_tiles == 0, "%d tiles and bundles served at the right width (%d bad)", sum.tiles,
       sum.bad_tiles);
    ok(sum.backwards == 0, "no reader saw the served size go backwards");
    ok(ledger_check(s, NULL, &err) == 0, "check passes %s", err.msg);
    ledger_close(L);
    store_close(s);
    tu_rm_rf(dir);
    return tap_done();
}
