/*
 * test_witness.c - the tlog-witness add-checkpoint logic against a real
 * store: first cosignature, 409 with the stored size, consistent growth,
 * rollback, same-size fork, bigger fork, bad proof, bad signature, unknown
 * origin, malformed bodies, the empty tree, resubmission, and racing
 * submissions (compare-and-swap). After every refusal the stored state is
 * checked to be unchanged.
 */
#include "common.h"
#include "buf.h"
#include "sha256.h"
#include "store/store.h"
#include "tap.h"
#include "testutil.h"
#include "witness/witness.h"
#include "witness_testlog.h"

#include <pthread.h>

static struct tlog_skey lkey, wkey, other;
static struct tlog_vkey lpub, wpub;
static struct witness *W;

static uint64_t fixed_clock(void)
{
    return 1767139200;
}

/* Submits (old, proof from `pl` at old..size, checkpoint cp); returns status. */
static int submit(uint64_t old, struct testlog *pl, uint64_t size, const char *cp, size_t cplen,
                  struct witness_result *res, struct bf_buf *line)
{
    tlog_hash proof[64];
    int n = 0;
    struct bf_buf body = BF_BUF_INIT;
    struct bf_err e;

    if (pl && old > 0 && old < size && tl_prove(pl, old, size, proof, &n, &e) < 0)
        return -1;
    if (witness_req_format(old, proof, n, cp, cplen, &body) < 0)
        return -1;
    bf_buf_reset(line);
    witness_add_checkpoint(W, body.data, body.len, line, res);
    bf_buf_free(&body);
    return res->status;
}

/* Size stored for the origin, from the monitoring view (0 if none). */
static uint64_t stored_size(void)
{
    char hex[65];
    struct bf_buf b = BF_BUF_INIT;
    struct bf_err e;
    struct tlog_checkpoint cp;
    struct tlog_note *note = malloc(sizeof *note);
    uint64_t size = 0;

    bf_sha256_hex(lkey.name, strlen(lkey.name), hex);
    if (witness_latest(W, hex, &b, &e) == 0 && tlog_note_parse(b.data, b.len, note, &e) == 0 &&
        tlog_checkpoint_parse(note->text, note->text_len, &cp, &e) == 0)
        size = cp.size;
    bf_buf_free(&b);
    free(note);
    return size;
}

static int cosig_verifies(const char *cp, size_t cplen, const struct bf_buf *line)
{
    struct bf_buf full = BF_BUF_INIT;
    struct tlog_note *note = malloc(sizeof *note);
    uint64_t t = 0;
    struct bf_err e;
    int ok;

    ok = bf_buf_append(&full, cp, cplen) == 0 && bf_buf_append(&full, line->data, line->len) == 0 &&
         tlog_note_parse(full.data, full.len, note, &e) == 0 && tlog_note_verify(note, &wpub, 1, &t, &e) == 1 &&
         t == 1767139200;
    bf_buf_free(&full);
    free(note);
    return ok;
}

struct race {
    struct testlog *tl;
    uint64_t size;
    int status;
};

static void *race_run(void *arg)
{
    struct race *r = arg;
    struct bf_buf cp = BF_BUF_INIT, line = BF_BUF_INIT;
    struct witness_result res;
    tl_checkpoint(r->tl, r->size, &cp);
    r->status = submit(8, r->tl, r->size, cp.data, cp.len, &res, &line);
    bf_buf_free(&cp);
    bf_buf_free(&line);
    return NULL;
}

static void test_flow(void)
{
    static struct testlog tl, fork;
    struct bf_buf cp = BF_BUF_INIT, line = BF_BUF_INIT, bad = BF_BUF_INIT;
    struct witness_result res;
    char *p;

    tl_init(&tl, &lkey, "entry", 40);
    tl_init(&fork, &lkey, "forged", 40);

    tl_checkpoint(&tl, 5, &cp);
    ok(submit(0, NULL, 5, cp.data, cp.len, &res, &line) == 200, "first checkpoint (old 0, size 5) is cosigned: %s",
       res.err.msg);
    ok(cosig_verifies(cp.data, cp.len, &line), "the returned line is a cosignature/v1 that verifies with the witness vkey");
    ok(stored_size() == 5, "GET checkpoint returns the cosigned size 5");

    tl_checkpoint(&tl, 8, &cp);
    {
        int st = submit(0, NULL, 8, cp.data, cp.len, &res, &line);
        ok(st == 409 && res.size == 5, "old 0 when 5 is stored: 409 with size %" PRIu64, res.size);
    }
    ok(line.len == 0 && stored_size() == 5, "409: nothing returned, nothing stored");
    ok(submit(5, &tl, 8, cp.data, cp.len, &res, &line) == 200, "old 5 -> 8 with a good proof: 200 (%s)", res.err.msg);
    ok(stored_size() == 8, "state moved to 8");

    tl_checkpoint(&tl, 5, &cp);
    ok(submit(8, NULL, 5, cp.data, cp.len, &res, &line) == 400, "rollback (old 8 > size 5): 400");
    ok(submit(5, NULL, 5, cp.data, cp.len, &res, &line) == 409 && res.size == 8,
       "rollback claiming old 5: 409 with the stored size 8");
    ok(stored_size() == 8, "rollback: nothing stored");

    tl_checkpoint(&fork, 8, &cp);
    ok(submit(8, NULL, 8, cp.data, cp.len, &res, &line) == 409 && strstr(res.err.msg, "fork"),
       "fork at the same size 8 with another root: 409 (%s)", res.err.msg);
    tl_checkpoint(&fork, 12, &cp);
    ok(submit(8, &fork, 12, cp.data, cp.len, &res, &line) == 422, "fork grown to 12 with the fork's own proof: 422");
    ok(stored_size() == 8, "forks: nothing stored");

    tl_checkpoint(&tl, 12, &cp);
    {
        tlog_hash proof[64];
        int n = 0;
        struct bf_err e;
        tl_prove(&tl, 8, 12, proof, &n, &e);
        proof[n - 1].b[7] ^= 1;
        bf_buf_reset(&bad);
        witness_req_format(8, proof, n, cp.data, cp.len, &bad);
        witness_add_checkpoint(W, bad.data, bad.len, &line, &res);
        ok(res.status == 422, "a flipped bit in the consistency proof: 422 (%s)", res.err.msg);
        witness_req_format(8, proof, 0, cp.data, cp.len, &bad);
    }
    ok(submit(8, NULL, 12, cp.data, cp.len, &res, &line) == 422, "an empty proof from 8 to 12: 422");
    ok(submit(0, &tl, 12, "old", 0, &res, &line) == 400, "no checkpoint at all: 400");

    bf_buf_reset(&bad);
    ok(bf_buf_append(&bad, cp.data, cp.len) == 0, "copy of the checkpoint");
    p = strstr(bad.data, "\n\n\xe2\x80\x94 ") + 4 + strlen(lkey.name) + 3 + 30;
    *p = *p == 'A' ? 'B' : 'A';
    ok(submit(8, &tl, 12, bad.data, bad.len, &res, &line) == 403 && strstr(res.err.msg, "verif"),
       "a corrupted Ed25519 signature: 403 (%s)", res.err.msg);
    p -= 28;
    *p = *p == 'A' ? 'B' : 'A';
    ok(submit(8, &tl, 12, bad.data, bad.len, &res, &line) == 403, "a corrupted key ID: 403 (%s)", res.err.msg);
    {
        struct testlog imp;
        tl_init(&imp, &other, "entry", 40);
        tl_checkpoint(&imp, 12, &bad);
        ok(submit(8, &tl, 12, bad.data, bad.len, &res, &line) == 403,
           "signed by another key with the same name: 403 (%s)", res.err.msg);
    }
    ok(stored_size() == 8, "bad signatures: nothing stored");

    {
        tlog_hash root;
        struct tlog_skey unk;
        tl_root(&tl, 12, &root);
        bf_buf_reset(&bad);
        tlog_skey_generate("example.org/unknown", TLOG_KEY_ED25519, NULL, &unk, NULL);
        tlog_checkpoint_sign(&unk, "example.org/unknown", 12, &root, &bad, NULL);
    }
    ok(submit(0, NULL, 12, bad.data, bad.len, &res, &line) == 404, "unknown origin: 404 (%s)", res.err.msg);

    witness_add_checkpoint(W, "old 08\n\nx", 9, &line, &res);
    ok(res.status == 400, "non-canonical old size: 400 (%s)", res.err.msg);
    {
        tlog_hash pr[1] = { { { 0 } } };
        bf_buf_reset(&bad);
        witness_req_format(0, pr, 1, cp.data, cp.len, &bad);
        witness_add_checkpoint(W, bad.data, bad.len, &line, &res);
        ok(res.status == 422, "old 0 with a non-empty proof: 422");
    }

    ok(submit(8, &tl, 12, cp.data, cp.len, &res, &line) == 200, "good 8 -> 12: 200");
    ok(submit(12, NULL, 12, cp.data, cp.len, &res, &line) == 200 && cosig_verifies(cp.data, cp.len, &line),
       "resubmitting the same checkpoint (old 12, size 12) is cosigned again");

    bf_buf_free(&cp);
    bf_buf_free(&line);
    bf_buf_free(&bad);
}

/* Two submissions from the same old size race; exactly one wins and the
 * stored state is the winner's. */
static void test_race(void)
{
    static struct testlog tl;
    struct race a, b;
    pthread_t ta, tb;

    tl_init(&tl, &lkey, "entry", 40);
    ok(stored_size() == 8, "fresh witness at size 8");
    a = (struct race){ &tl, 30, 0 };
    b = (struct race){ &tl, 25, 0 };
    pthread_create(&ta, NULL, race_run, &a);
    pthread_create(&tb, NULL, race_run, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    ok((a.status == 200) + (b.status == 200) == 1 && (a.status == 409 || b.status == 409),
       "racing submissions from the same old size: exactly one 200, the other 409 (%d, %d)", a.status, b.status);
    ok(stored_size() == (a.status == 200 ? 30u : 25u), "the stored state is the winner's");
}

/* The request body parser on its own: limits and one spelling only. */
#define REQ(lit) witness_req_parse(lit, sizeof(lit) - 1, &rq, &e)

static void test_req(void)
{
    static const char h44[] = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n";
    struct witness_req rq;
    struct bf_buf b = BF_BUF_INIT;
    struct bf_err e;
    int i, okp = 1;

    ok(REQ("old 0\n\ncp\n") == 0 && rq.old == 0 && rq.nproof == 0 && rq.cp_len == 3,
       "minimal body parses");
    ok(REQ("old 18446744073709551615\n\nx") == 0 && rq.old == UINT64_MAX, "old 2^64-1 parses");
    ok(REQ("old 18446744073709551616\n\nx") == BF_EINVAL, "old 2^64 overflows: rejected");
    ok(REQ("old -1\n\nx") == BF_EINVAL, "negative old rejected");
    ok(REQ("old 1\r\n\nx") == BF_EINVAL, "CRLF rejected");
    ok(REQ("Old 1\n\nx") == BF_EINVAL, "\"Old\" rejected");
    ok(REQ("old 1\n\n") == BF_EINVAL, "empty checkpoint rejected");
    ok(REQ("old 1") == BF_EINVAL, "unterminated old line rejected");
    okp &= bf_buf_puts(&b, "old 1\n") == 0;
    for (i = 0; i < 63; i++)
        okp &= bf_buf_puts(&b, h44) == 0;
    okp &= bf_buf_puts(&b, "\ncp\n") == 0;
    ok(okp && witness_req_parse(b.data, b.len, &rq, &e) == 0 && rq.nproof == 63, "63 proof lines accepted");
    bf_buf_reset(&b);
    okp &= bf_buf_puts(&b, "old 1\n") == 0;
    for (i = 0; i < 64; i++)
        okp &= bf_buf_puts(&b, h44) == 0;
    okp &= bf_buf_puts(&b, "\ncp\n") == 0;
    ok(okp && witness_req_parse(b.data, b.len, &rq, &e) == BF_EINVAL, "64 proof lines rejected: %s", e.msg);
    ok(REQ("old 1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU\n\nx") == BF_EINVAL,
       "unpadded base64 hash rejected");
    bf_buf_free(&b);
}

int main(void)
{
    char dir[] = "/tmp/belfry-test-witness-XXXXXX";
    struct store *s = NULL;
    struct bf_err err = { 0 };
    struct witness_opts o = { 0 };
    uint8_t seed[32];
    int i;

    if (!mkdtemp(dir))
        return 1;
    tu_tessera_key(&lkey, &lpub, &err);
    for (i = 0; i < 32; i++)
        seed[i] = (uint8_t)i;
    ok(tlog_skey_generate("witness.test/w1", TLOG_KEY_COSIG_V1, seed, &wkey, &err) == 0, "witness key");
    tlog_skey_public(&wkey, &wpub);
    seed[0] = 99;
    tlog_skey_generate(lkey.name, TLOG_KEY_ED25519, seed, &other, &err);
    ok(store_open(dir, STORE_CREATE | STORE_NOSYNC, &s, &err) == 0, "store opens: %s", err.msg);
    o.key = &wkey;
    o.logs = &lpub;
    o.nlogs = 1;
    o.clock = fixed_clock;
    {
        struct witness_opts bad = o;
        bad.key = &lkey;
        ok(witness_new(s, &bad, &W, &err) == BF_EINVAL, "an Ed25519 log key is refused as witness key");
        bad = o;
        bad.logs = &wpub;
        ok(witness_new(s, &bad, &W, &err) == BF_EINVAL, "a cosignature key is refused as a log key");
    }
    ok(witness_new(s, &o, &W, &err) == 0, "witness created");
    test_req();
    test_flow();
    {
        /* bring the state back to 8 is impossible (it only grows); use a fresh witness store */
        char dir2[] = "/tmp/belfry-test-witness2-XXXXXX";
        struct store *s2 = NULL;
        static struct testlog tl;
        struct bf_buf cp = BF_BUF_INIT, line = BF_BUF_INIT;
        struct witness_result res;
        witness_free(W);
        if (mkdtemp(dir2) && store_open(dir2, STORE_CREATE | STORE_NOSYNC, &s2, &err) == 0 &&
            witness_new(s2, &o, &W, &err) == 0) {
            tl_init(&tl, &lkey, "entry", 40);
            tl_checkpoint(&tl, 8, &cp);
            submit(0, NULL, 8, cp.data, cp.len, &res, &line);
            test_race();
        }
        bf_buf_free(&cp);
        bf_buf_free(&line);
        witness_free(W);
        W = NULL;
        store_close(s2);
        tu_rm_rf(dir2);
    }
    store_close(s);
    tu_rm_rf(dir);
    return tap_done();
}
