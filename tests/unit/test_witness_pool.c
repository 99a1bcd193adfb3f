/*
 * test_witness_pool.c - the log operator's witness pool against real
 * witnesses served over HTTP in-process: cosignatures collected from two
 * witnesses and verified, growth with consistency proofs, a fresh pool
 * recovering through 409, a dead witness and a witness with the wrong key
 * skipped without failing the others, and the wire format of 409
 * (text/x.tlog.size) and of GET /<sha256(origin)>/checkpoint.
 */
#include "common.h"
#include "buf.h"
#include "http/http.h"
#include "monitor/fetch.h"
#include "sha256.h"
#include "store/store.h"
#include "tap.h"
#include "testutil.h"
#include "witness/witness.h"
#include "witness_testlog.h"

struct wserver {
    char dir[64];
    struct store *s;
    struct witness *w;
    struct http_server *srv;
    struct tlog_skey key;
    struct tlog_vkey pub;
    char url[64];
    char vkey[320];
};

static int start_witness(struct wserver *ws, const char *name, uint8_t seedbyte, const struct tlog_vkey *log)
{
    struct http_server_opts ho = { .listen = "127.0.0.1:0", .threads = 2 };
    struct witness_opts o = { 0 };
    struct bf_buf b = BF_BUF_INIT;
    struct bf_err err = { 0 };
    uint8_t seed[32];

    memset(seed, seedbyte, sizeof seed);
    if (tu_mkdtemp(ws->dir, sizeof ws->dir, "test-wpool") < 0 || tlog_skey_generate(name, TLOG_KEY_COSIG_V1, seed, &ws->key, &err) < 0)
        return -1;
    tlog_skey_public(&ws->key, &ws->pub);
    if (tlog_vkey_format(&ws->pub, &b) < 0)
        return -1;
    snprintf(ws->vkey, sizeof ws->vkey, "%s", b.data);
    bf_buf_free(&b);
    o.key = &ws->key;
    o.logs = log;
    o.nlogs = 1;
    if (store_open(ws->dir, STORE_CREATE | STORE_NOSYNC, &ws->s, &err) < 0 || witness_new(ws->s, &o, &ws->w, &err) < 0 ||
        http_server_new(&ho, &ws->srv, &err) < 0 || witness_http_register(ws->w, ws->srv, &err) < 0 ||
        http_server_start(ws->srv, &err) < 0) {
        diag("witness start: %s", err.msg);
        return -1;
    }
    snprintf(ws->url, sizeof ws->url, "http://127.0.0.1:%d", http_server_port(ws->srv));
    return 0;
}

static void stop_witness(struct wserver *ws)
{
    http_server_free(ws->srv);
    witness_free(ws->w);
    store_close(ws->s);
    tu_rm_rf(ws->dir);
}

/* Number of cosignature lines in lines that verify with key over cp. */
static int count_valid(const char *cp, size_t cplen, const struct bf_buf *lines, const struct tlog_vkey *key)
{
    struct bf_buf full = BF_BUF_INIT;
    struct tlog_note *note = malloc(sizeof *note);
    struct bf_err e;
    int n = -1;

    if (bf_buf_append(&full, cp, cplen) == 0 && bf_buf_append(&full, lines->data, lines->len) == 0 &&
        tlog_note_parse(full.data, full.len, note, &e) == 0)
        n = tlog_note_verify(note, key, 1, NULL, &e);
    bf_buf_free(&full);
    free(note);
    return n;
}

static int count_lines(const struct bf_buf *b)
{
    int n = 0;
    size_t i;
    for (i = 0; i < b->len; i++)
        n += b->data[i] == '\n';
    return n;
}

int main(void)
{
    static struct testlog tl;
    struct wserver a, b, c;
    struct tlog_skey lkey;
    struct tlog_vkey lpub;
    struct witness_pool *pool = NULL, *pool2 = NULL;
    struct bf_buf cp = BF_BUF_INIT, lines = BF_BUF_INIT;
    struct bf_err err = { 0 };

    tu_tessera_key(&lkey, &lpub, &err);
    tl_init(&tl, &lkey, "entry", 100);
    if (start_witness(&a, "witness.test/a", 1, &lpub) < 0 || start_witness(&b, "witness.test/b", 2, &lpub) < 0 ||
        start_witness(&c, "witness.test/c", 3, &lpub) < 0) {
        ok(0, "witnesses start");
        return tap_done();
    }
    {
        const char *urls[] = { a.url, b.url, NULL };
        const char *keys[] = { a.vkey, b.vkey, NULL };
        const char *bad[] = { a.vkey, NULL };
        ok(witness_pool_new(urls, keys, &pool, &err) == 0, "pool of two witnesses: %s", err.msg);
        ok(witness_pool_new(urls, bad, &pool2, &err) == BF_EINVAL, "fewer keys than URLs refused: %s", err.msg);
        keys[1] = "example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx";
        ok(witness_pool_new(urls, keys, &pool2, &err) == BF_EINVAL, "an Ed25519 key as witness key refused: %s",
           err.msg);
    }

    tl_checkpoint(&tl, 10, &cp);
    memset(&err, 0, sizeof err);
    ok(witness_pool_cosign(pool, cp.data, cp.len, 10, tl_prove, &tl, &lines, &err) == 0 && count_lines(&lines) == 2,
       "size 10: two cosignature lines (%s)", err.msg);
    ok(count_valid(cp.data, cp.len, &lines, &a.pub) == 1 && count_valid(cp.data, cp.len, &lines, &b.pub) == 1,
       "each verifies with its witness's key");

    tl_checkpoint(&tl, 37, &cp);
    bf_buf_reset(&lines);
    ok(witness_pool_cosign(pool, cp.data, cp.len, 37, tl_prove, &tl, &lines, &err) == 0 && count_lines(&lines) == 2 &&
       count_valid(cp.data, cp.len, &lines, &b.pub) == 1,
       "growth 10 -> 37 with consistency proofs: both cosign (%s)", err.msg);

    {
        const char *urls[] = { a.url, "http://127.0.0.1:1", c.url, NULL };
        const char *keys[] = { a.vkey, b.vkey, b.vkey, NULL };
        ok(witness_pool_new(urls, keys, &pool2, &err) == 0, "second pool: a, a dead URL, c with b's key");
        tl_checkpoint(&tl, 50, &cp);
        bf_buf_reset(&lines);
        memset(&err, 0, sizeof err);
        ok(witness_pool_cosign(pool2, cp.data, cp.len, 50, tl_prove, &tl, &lines, &err) == 0,
           "cosign succeeds although two witnesses fail");
        ok(count_lines(&lines) == 1 && count_valid(cp.data, cp.len, &lines, &a.pub) == 1,
           "fresh pool: witness a answered 409 (size 37), the retry from 37 was cosigned");
        ok(strstr(err.msg, "127.0.0.1:1") && strstr(err.msg, c.url) && err.code == 0,
           "the failures are reported, not fatal: %s", err.msg);
        witness_pool_free(pool2);
    }

    {
        struct monitor_client *mc = monitor_client_new(5000, 1 << 16);
        struct monitor_resp r;
        struct bf_buf body = BF_BUF_INIT;
        char url[160], hex[65];
        tl_checkpoint(&tl, 60, &cp);
        witness_req_format(0, NULL, 0, cp.data, cp.len, &body);
        snprintf(url, sizeof url, "%s/add-checkpoint", a.url);
        if (monitor_post(mc, url, "text/plain", body.data, body.len, &r, &err) == 0) {
            ok(r.status == 409 && !strcmp(r.content_type, "text/x.tlog.size") && !strcmp(r.body.data, "50\n"),
               "HTTP 409 is \"50\\n\" as text/x.tlog.size (got %ld %s %.*s)", r.status, r.content_type,
               (int)strcspn(r.body.data, "\n"), r.body.data);
            monitor_resp_free(&r);
        } else {
            ok(0, "POST add-checkpoint: %s", err.msg);
        }
        bf_sha256_hex(lkey.name, strlen(lkey.name), hex);
        snprintf(url, sizeof url, "%s/%s/checkpoint", a.url, hex);
        ok(monitor_get(mc, url, &r, &err) == 0 && r.status == 200 && strstr(r.body.data, "\n50\n") &&
           strstr(r.body.data, "\xe2\x80\x94 witness.test/a "),
           "GET /<sha256(origin)>/checkpoint serves the cosigned checkpoint of size 50");
        monitor_resp_free(&r);
        snprintf(url, sizeof url, "%s/%064d/checkpoint", a.url, 0);
        r.status = 0;
        if (monitor_get(mc, url, &r, &err) < 0)
            r.status = -1;
        ok(r.status == 404, "unknown origin hash: 404 (%ld)", r.status);
        monitor_resp_free(&r);
        bf_buf_free(&body);
        monitor_client_free(mc);
    }

    witness_pool_free(pool);
    stop_witness(&a);
    stop_witness(&b);
    stop_witness(&c);
    bf_buf_free(&cp);
    bf_buf_free(&lines);
    return tap_done();
}
