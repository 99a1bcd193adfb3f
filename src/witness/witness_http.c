/*
 * witness_http.c - the witness's two endpoints on the HTTP layer:
 * POST /add-checkpoint (submission) and GET /<sha256(origin)>/checkpoint
 * (monitoring). Status codes and the 409 body come from witness.c; this
 * file only maps them onto responses.
 *
 * Invariants: a 409 reply is exactly "<size>\n" with Content-Type
 * text/x.tlog.size (the client parses it); a 200 reply is the
 * cosignature line(s) as text/plain; other failures use the layer's
 * standard JSON error with the reason. Bodies are capped at
 * WITNESS_MAX_BODY by the route.
 */
#include "common.h"
#include "buf.h"
#include "http/http.h"
#include "witness.h"

static const char *status_code_name(int status)
{
    switch (status) {
    case 400: return "invalid";
    case 403: return "forbidden";
    case 404: return "not-found";
    case 409: return "conflict";
    case 422: return "unprocessable";
    default: return "internal";
    }
}

static int handle_add(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct witness *w = ctx;
    struct witness_result res;
    char size[32];
    int n;

    if (witness_add_checkpoint(w, req->body, req->body_len, &resp->body, &res) == 0) {
        resp->status = 200;
        resp->content_type = "text/plain; charset=utf-8";
        resp->cache = HTTP_CACHE_NONE;
        return 0;
    }
    if (res.status == 409 && res.err.code == BF_ECONFLICT) {
        n = snprintf(size, sizeof size, "%" PRIu64 "\n", res.size);
        bf_buf_reset(&resp->body);
        if (http_resp_text(resp, "text/x.tlog.size", size, (size_t)n) < 0)
            return -1;
        resp->status = 409;
        return 0;
    }
    http_resp_error(resp, res.status, status_code_name(res.status), "c2sp.org/tlog-witness", "%s", res.err.msg);
    return 0;
}

static int handle_get(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct witness *w = ctx;
    const char *hex = http_req_param(req, "origin");
    struct bf_err err = { 0 };

    if (!hex || witness_latest(w, hex, &resp->body, &err) < 0) {
        bf_buf_reset(&resp->body);
        http_resp_bf_err(resp, &err);
        return 0;
    }
    resp->content_type = "text/plain; charset=utf-8";
    resp->cache = HTTP_CACHE_SHORT;
    resp->short_seconds = 2;
    return 0;
}

int witness_http_register(struct witness *w, struct http_server *srv, struct bf_err *err)
{
    struct http_route_opts add = { 0 }, get = { 0 };
    int rc;

    add.summary = "tlog-witness: submit a checkpoint with a consistency proof; returns a cosignature";
    add.tag = "witness";
    add.max_body = WITNESS_MAX_BODY;
    add.write = 1;
    get.summary = "tlog-witness: the latest checkpoint cosigned for a log (by hex SHA-256 of its origin)";
    get.tag = "witness";
    get.public_cors = 1;
    if ((rc = http_route(srv, "POST", "/add-checkpoint", handle_add, w, &add)) < 0)
        return bf_err_set(err, rc, "cannot register POST /add-checkpoint");
    if ((rc = http_route(srv, "GET", "/{origin}/checkpoint", handle_get, w, &get)) < 0)
        return bf_err_set(err, rc, "cannot register GET /{origin}/checkpoint");
    return 0;
}
