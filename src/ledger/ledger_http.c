/*
 * ledger_http.c - the log's public read API, exactly as C2SP tlog-tiles
 * lays it out, plus receipts and consistency proofs:
 *
 *   GET /log/checkpoint                      text/plain, cacheable 2 s
 *   GET /log/tile/<L>/<N>[.p/<W>]            hash tile, immutable
 *   GET /log/tile/entries/<N>[.p/<W>]        entry bundle, immutable
 *   GET /log/proof/<index>[?size=N]          c2sp.org/tlog-proof@v1
 *   GET /log/consistency?from=M&to=N         one base64 hash per line
 *
 * A tile's content for a given path never changes (a partial tile of
 * width W is the first W hashes of its tile), so every tile and bundle is
 * served as immutable. Malformed paths are 400, tiles beyond the published
 * size 404. Also ledger_mount, which `belfry serve` calls.
 */
#include "common.h"
#include "ledger_int.h"
#include "buf.h"
#include "enc.h"
#include "http/http.h"
#include "cli/app.h"
#include "store/store.h"

#define TEXT_PLAIN "text/plain; charset=utf-8"

/* Canonical decimal ("0" or no leading zero), fits in uint64_t. */
static int parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    size_t i, n = s ? strlen(s) : 0;

    if (n == 0 || n > 20 || (s[0] == '0' && n > 1))
        return BF_EINVAL;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
            return BF_EINVAL;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return 0;
}

static int h_checkpoint(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct bf_err err = { 0, "" };
    (void)req;
    if (ledger_checkpoint(ctx, &resp->body, NULL, &err) < 0) {
        http_resp_bf_err(resp, &err);
        return 0;
    }
    resp->content_type = TEXT_PLAIN;
    resp->cache = HTTP_CACHE_SHORT;
    resp->short_seconds = 2;
    return 0;
}

static int h_tile(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct bf_err err = { 0, "" };
    const char *rest = http_req_param(req, "*");
    struct tlog_tile t;

    if (!rest || tlog_tile_parse_path(rest, strlen(rest), &t, &err) < 0) {
        http_resp_error(resp, 400, "invalid", NULL, "malformed tile path: %s",
                        err.msg[0] ? err.msg : "expected <L>/<N>[.p/<W>] or entries/<N>[.p/<W>]");
        return 0;
    }
    if (ledger_tile(ctx, &t, &resp->body, &err) < 0) {
        http_resp_bf_err(resp, &err);
        return 0;
    }
    resp->content_type = "application/octet-stream";
    resp->cache = HTTP_CACHE_IMMUTABLE;
    /* The bytes behind a tile path never change, so the path names the
     * version: no need to hash the body for an ETag. */
    resp->etag = bf_arena_printf(req->arena, "\"%d-%" PRIu64 "-%d\"", t.level, t.n, t.width);
    return 0;
}

static int h_proof(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct bf_err err = { 0, "" };
    const char *size_s = http_req_query(req, "size");
    uint64_t index, size = 0;

    if (parse_u64(http_req_param(req, "index"), &index) < 0) {
        http_resp_error(resp, 400, "invalid", NULL, "the index must be a decimal number without leading zeros");
        return 0;
    }
    if (size_s && (parse_u64(size_s, &size) < 0 || size == 0)) {
        http_resp_error(resp, 400, "invalid", NULL, "size must be a positive decimal number");
        return 0;
    }
    if (ledger_receipt(ctx, index, size, &resp->body, &err) < 0) {
        bf_buf_reset(&resp->body);
        http_resp_bf_err(resp, &err);
        return 0;
    }
    resp->content_type = TEXT_PLAIN;
    resp->cache = size_s ? HTTP_CACHE_IMMUTABLE : HTTP_CACHE_SHORT;
    resp->short_seconds = 2;
    return 0;
}

static int h_consistency(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct bf_err err = { 0, "" };
    tlog_hash proof[TLOG_MAX_PROOF];
    uint64_t from, to;
    int n = 0, i;

    if (parse_u64(http_req_query(req, "from"), &from) < 0 || parse_u64(http_req_query(req, "to"), &to) < 0) {
        http_resp_error(resp, 400, "invalid", NULL, "from and to must be decimal sizes: ?from=M&to=N");
        return 0;
    }
    if (ledger_consistency(ctx, from, to, proof, &n, &err) < 0) {
        http_resp_bf_err(resp, &err);
        return 0;
    }
    for (i = 0; i < n; i++) {
        char b[45];
        bf_b64_encode(proof[i].b, TLOG_HASH_LEN, b);
        if (bf_buf_puts(&resp->body, b) < 0 || bf_buf_putc(&resp->body, '\n') < 0)
            return BF_ELIMIT;
    }
    resp->content_type = TEXT_PLAIN;
    resp->cache = HTTP_CACHE_IMMUTABLE;
    return 0;
}

int ledger_http_register(struct ledger *l, struct http_server *srv, struct bf_err *err)
{
    static const struct { const char *pattern; http_handler h; const char *summary; } routes[] = {
        { "/log/checkpoint", h_checkpoint, "latest signed checkpoint (C2SP tlog-checkpoint)" },
        { "/log/tile/*", h_tile, "hash tile or entry bundle (C2SP tlog-tiles)" },
        { "/log/proof/{index}", h_proof, "offline inclusion receipt (c2sp.org/tlog-proof@v1); ?size=N" },
        { "/log/consistency", h_consistency, "consistency proof ?from=M&to=N, one base64 hash per line" },
    };
    size_t i;

    for (i = 0; i < BF_ARRAY_LEN(routes); i++) {
        struct http_route_opts o;
        int rc;
        memset(&o, 0, sizeof o);
        o.summary = routes[i].summary;
        o.tag = "ledger";
        o.public_cors = 1;
        if ((rc = http_route(srv, "GET", routes[i].pattern, routes[i].h, l, &o)) < 0)
            return bf_err_set(err, rc, "registering %s", routes[i].pattern);
    }
    /* A writable ledger that serves HTTP is the server of its data
     * directory: it also takes appends from `belfry log append`. */
    if (!l->readonly && !l->admin)
        return ledger_admin_listen(l, store_dir(l->s), err);
    return 0;
}

int ledger_mount(struct app *app, struct bf_err *err)
{
    if (!app->ledger || !app->http)
        return bf_err_set(err, BF_EINVAL, "ledger_mount: no ledger or no HTTP server");
    return ledger_http_register(app->ledger, app->http, err);
}
