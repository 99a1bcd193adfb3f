/*
 * http_server.c - libmicrohttpd glue: one epoll thread per worker, a
 * per-connection state with an arena and a bounded body buffer, and the
 * common response path (ETag and 304, gzip, caching, CORS, security
 * headers, access log).
 *
 * Request flow (MHD calls the access handler several times per request):
 *   1st call: allocate state, match the route, check rate and declared
 *             Content-Length against the route's ceiling (413 early);
 *   next calls: append upload data to the body, still bounded;
 *   last call: dispatch to the handler and queue the response.
 */
#include "common.h"
#include "http_int.h"
#include "sha256.h"
#include "enc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <zlib.h>

static int hexdig(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int gzip_body(const char *in, size_t n, struct bf_buf *out)
{
    z_stream z;
    int rc;

    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return BF_ENOMEM;
    if (bf_buf_reserve(out, deflateBound(&z, n)) < 0) {
        deflateEnd(&z);
        return BF_ELIMIT;
    }
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)out->data + out->len;
    z.avail_out = (uInt)(out->cap - out->len - 1);
    rc = deflate(&z, Z_FINISH);
    if (rc == Z_STREAM_END)
        out->len += z.total_out;
    deflateEnd(&z);
    return rc == Z_STREAM_END ? 0 : BF_EIO;
}

static int compressible(const char *type)
{
    return !strncmp(type, "text/", 5) || !strncmp(type, "application/json", 16) ||
           !strncmp(type, "application/x-ndjson", 20) || !strncmp(type, "image/svg", 9) ||
           !strncmp(type, "application/manifest", 20);
}

static int accepts_gzip(struct http_req *req)
{
    const char *ae = http_req_header(req, "Accept-Encoding");
    return ae && strstr(ae, "gzip");
}

int http_etag_matches(const char *inm, const char *etag)
{
    size_t n = strlen(etag);
    const char *p = inm;
    if (!inm)
        return 0;
    if (!strcmp(inm, "*"))
        return 1;
    while ((p = strstr(p, etag))) {
        if ((p == inm || p[-1] == ' ' || p[-1] == ',' || p[-1] == '/') &&
            (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
            return 1;
        p += n;
    }
    return 0;
}

static void add_cache_headers(struct MHD_Response *mr, const struct http_resp *r)
{
    char v[64];
    switch (r->cache) {
    case HTTP_CACHE_NONE:
        MHD_add_response_header(mr, "Cache-Control", "no-store");
        break;
    case HTTP_CACHE_SHORT:
        snprintf(v, sizeof v, "public, max-age=%d", r->short_seconds > 0 ? r->short_seconds : 5);
        MHD_add_response_header(mr, "Cache-Control", v);
        break;
    case HTTP_CACHE_IMMUTABLE:
        MHD_add_response_header(mr, "Cache-Control", "public, max-age=31536000, immutable");
        break;
    case HTTP_CACHE_PRIVATE:
        MHD_add_response_header(mr, "Cache-Control", "private, no-cache");
        break;
    }
}

static void add_security_headers(struct MHD_Response *mr, const struct http_resp *r)
{
    MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(mr, "Referrer-Policy", "no-referrer");
    if (r->content_type && !strncmp(r->content_type, "text/html", 9)) {
        MHD_add_response_header(mr, "Content-Security-Policy",
                                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
                                "form-action 'self'");
        MHD_add_response_header(mr, "X-Frame-Options", "DENY");
    }
}

/* Queues r on the connection; takes the body buffer. */
static enum MHD_Result send_resp(struct http_server *s, struct MHD_Connection *conn, struct http_req *req,
                                 struct http_resp *r, const struct http_route *route, int is_get)
{
    struct MHD_Response *mr;
    struct bf_buf gz = BF_BUF_INIT;
    const char *etag = r->etag;
    enum MHD_Result ret;
    char *body;
    size_t len;
    int i, status = r->status;

    if (is_get && status == 200 && !etag && r->body.len > 0) {
        uint8_t h[32];
        char hex[65];
        bf_sha256(r->body.data, r->body.len, h);
        bf_hex_encode(h, 12, hex);
        etag = bf_arena_printf(req->arena, "\"%s\"", hex);
    }
    if (is_get && status == 200 && etag && http_etag_matches(http_req_header(req, "If-None-Match"), etag)) {
        status = 304;
        bf_buf_reset(&r->body);
    }
    if (status != 304 && !r->body_is_gzip && !r->no_compress && r->body.len >= 1024 && r->content_type &&
        compressible(r->content_type) && accepts_gzip(req)) {
        bf_buf_init(&gz, r->body.len + 1024);
        if (gzip_body(r->body.data, r->body.len, &gz) == 0 && gz.len < r->body.len) {
            bf_buf_free(&r->body);
            r->body = gz;
            r->body_is_gzip = 1;
        } else {
            bf_buf_free(&gz);
        }
    }
    body = bf_buf_take(&r->body, &len);
    mr = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!mr) {
        free(body);
        return MHD_NO;
    }
    if (r->content_type && status != 304)
        MHD_add_response_header(mr, "Content-Type", r->content_type);
    if (etag && (status == 200 || status == 304))
        MHD_add_response_header(mr, "ETag", etag);
    if (r->body_is_gzip && status != 304)
        MHD_add_response_header(mr, "Content-Encoding", "gzip");
    if (r->content_type && compressible(r->content_type))
        MHD_add_response_header(mr, "Vary", "Accept-Encoding");
    add_cache_headers(mr, status >= 400 ? &(struct http_resp){ .cache = HTTP_CACHE_NONE } : r);
    add_security_headers(mr, r);
    if (route && route->opts.public_cors) {
        MHD_add_response_header(mr, "Access-Control-Allow-Origin", "*");
        MHD_add_response_header(mr, "Access-Control-Expose-Headers", "ETag, Link, X-Belfry-Log-Index");
    }
    for (i = 0; i < r->nheaders; i++)
        MHD_add_response_header(mr, r->hname[i], r->hvalue[i]);
    ret = MHD_queue_response(conn, (unsigned)status, mr);
    MHD_destroy_response(mr);
    if (s->o.access_log) {
        struct timespec now;
        struct http_conn_state *st = req->internal;
        clock_gettime(CLOCK_MONOTONIC, &now);
        fprintf(stderr, "%s %s %s %d %zu %.1fms\n", req->remote ? req->remote : "-", req->method, req->path, status,
                len, (double)(now.tv_sec - st->start.tv_sec) * 1e3 + (double)(now.tv_nsec - st->start.tv_nsec) / 1e6);
    }
    return ret;
}

static const char *client_addr(struct MHD_Connection *conn, struct bf_arena *a)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char buf[INET6_ADDRSTRLEN] = "-";
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, sizeof buf);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, sizeof buf);
    }
    return bf_arena_strdup(a, buf);
}

static enum MHD_Result quick_error(struct http_server *s, struct MHD_Connection *conn, struct http_conn_state *st,
                                   int status, const char *code, const char *msg, const char *allow)
{
    struct http_resp r;
    enum MHD_Result ret;
    http_resp_init(&r, &st->arena, 64 * 1024);
    http_resp_error(&r, status, code, NULL, "%s", msg);
    if (allow)
        http_resp_header(&r, "Allow", allow);
    if (status == 429)
        http_resp_header(&r, "Retry-After", "1");
    ret = send_resp(s, conn, &st->req, &r, st->route, 0);
    bf_buf_free(&r.body);
    return ret;
}

static enum MHD_Result cors_preflight(struct http_server *s, struct MHD_Connection *conn, struct http_conn_state *st)
{
    struct http_resp r;
    enum MHD_Result ret;
    http_resp_init(&r, &st->arena, 1024);
    r.status = 204;
    r.content_type = NULL;
    http_resp_header(&r, "Access-Control-Allow-Origin", "*");
    http_resp_header(&r, "Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
    http_resp_header(&r, "Access-Control-Allow-Headers", "If-None-Match, Accept, Accept-Language");
    http_resp_header(&r, "Access-Control-Max-Age", "86400");
    ret = send_resp(s, conn, &st->req, &r, NULL, 0);
    bf_buf_free(&r.body);
    return ret;
}

static size_t route_max_body(struct http_server *s, const struct http_route *r)
{
    return r && r->opts.max_body ? r->opts.max_body : s->o.max_body;
}

static enum MHD_Result first_call(struct http_server *s, struct MHD_Connection *conn, const char *url,
                                  const char *method, void **con_cls)
{
    struct http_conn_state *st = bf_xcalloc(1, sizeof *st);
    struct bf_buf allow = BF_BUF_INIT;
    const char *cl;
    int path_matched = 0;

    *con_cls = st;
    st->conn = conn;
    clock_gettime(CLOCK_MONOTONIC, &st->start);
    st->req.arena = &st->arena;
    st->req.internal = st;
    st->req.method = bf_arena_strdup(&st->arena, method);
    st->req.path = bf_arena_strdup(&st->arena, url);
    st->req.remote = client_addr(conn, &st->arena);
    bf_buf_init(&allow, 256);
    if (strlen(url) > 4096) {
        bf_buf_free(&allow);
        st->too_large = 1;
        return quick_error(s, conn, st, 414, "too-large", "request path too long", NULL);
    }
    if (!strcmp(method, "OPTIONS")) {
        st->route = http_route_match(s, "GET", url, &st->req, &path_matched, NULL);
        bf_buf_free(&allow);
        if (st->route && st->route->opts.public_cors) {
            st->too_large = 1; /* answered: ignore any body */
            return cors_preflight(s, conn, st);
        }
        st->too_large = 1;
        return quick_error(s, conn, st, 405, "method-not-allowed", "OPTIONS is only answered for public resources",
                           NULL);
    }
    st->route = http_route_match(s, method, url, &st->req, &path_matched, &allow);
    if (!st->route) {
        enum MHD_Result ret;
        st->too_large = 1;
        if (path_matched)
            ret = quick_error(s, conn, st, 405, "method-not-allowed", "method not allowed on this resource",
                              allow.data);
        else
            ret = quick_error(s, conn, st, 404, "not-found", "no such resource", NULL);
        bf_buf_free(&allow);
        return ret;
    }
    bf_buf_free(&allow);
    if (!http_rate_allow(s, st->req.remote, st->route->opts.write || strcmp(method, "GET"))) {
        st->too_large = 1;
        return quick_error(s, conn, st, 429, "rate-limited", "too many requests; slow down", NULL);
    }
    cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (cl && strtoull(cl, NULL, 10) > route_max_body(s, st->route)) {
        st->too_large = 1;
        return quick_error(s, conn, st, 413, "too-large", "request body too large", NULL);
    }
    bf_buf_init(&st->body, route_max_body(s, st->route));
    return MHD_YES;
}

static enum MHD_Result dispatch(struct http_server *s, struct MHD_Connection *conn, struct http_conn_state *st)
{
    struct http_resp r;
    enum MHD_Result ret;
    int rc, is_get = !strcmp(st->req.method, "GET") || !strcmp(st->req.method, "HEAD");

    st->req.body = st->body.data ? st->body.data : "";
    st->req.body_len = st->body.len;
    http_resp_init(&r, &st->arena, s->o.max_response);
    if (is_get)
        r.cache = HTTP_CACHE_NONE;
    rc = st->route->handler(&st->req, &r, st->route->ctx);
    if (rc < 0 && r.status < 400)
        http_resp_error(&r, rc == BF_ELIMIT ? 413 : 500, rc == BF_ELIMIT ? "too-large" : "internal",
                        NULL, "%s", rc == BF_ELIMIT ? "response too large" : "internal error");
    ret = send_resp(s, conn, &st->req, &r, st->route, is_get);
    bf_buf_free(&r.body);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct http_server *s = cls;
    struct http_conn_state *st = *con_cls;

    (void)version;
    if (!st)
        return first_call(s, conn, url, method, con_cls);
    if (st->too_large) {
        *upload_data_size = 0; /* a response is queued; discard the rest */
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (bf_buf_append(&st->body, upload_data, *upload_data_size) < 0) {
            st->too_large = 1;
            *upload_data_size = 0;
            return quick_error(s, conn, st, 413, "too-large", "request body too large", NULL);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    return dispatch(s, conn, st);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    struct http_conn_state *st = *con_cls;
    (void)cls;
    (void)conn;
    (void)toe;
    if (!st)
        return;
    bf_buf_free(&st->body);
    bf_arena_free(&st->arena);
    free(st);
    *con_cls = NULL;
}

/* Percent-decoding for paths and query values. Unlike MHD's default it
 * leaves "%00" encoded: a decoded NUL would silently cut the path short
 * ("/app.js%00.html" must not serve "/app.js"). */
static size_t unescape(void *cls, struct MHD_Connection *c, char *val)
{
    char *r = val, *w = val;
    (void)cls;
    (void)c;
    while (*r) {
        int hi, lo;
        if (r[0] == '%' && r[1] && r[2] && (hi = hexdig(r[1])) >= 0 && (lo = hexdig(r[2])) >= 0 && (hi | lo)) {
            *w++ = (char)(hi << 4 | lo);
            r += 3;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
    return (size_t)(w - val);
}

static int openapi_handler(struct http_req *req, struct http_resp *resp, void *ctx)
{
    (void)req;
    resp->cache = HTTP_CACHE_SHORT;
    resp->short_seconds = 60;
    return http_openapi(ctx, &resp->body);
}

int http_server_new(const struct http_server_opts *o, struct http_server **out, struct bf_err *err)
{
    struct http_server *s = bf_xcalloc(1, sizeof *s);
    struct http_route_opts doc = { .summary = "This OpenAPI 3.1 document", .tag = "meta", .public_cors = 1 };

    s->o = *o;
    if (!s->o.threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        s->o.threads = n > 0 ? (int)n : 2;
    }
    if (!s->o.max_body)
        s->o.max_body = 1u << 20;
    if (!s->o.max_response)
        s->o.max_response = 256u << 20;
    if (!s->o.timeout_s)
        s->o.timeout_s = 30;
    if (!s->o.max_connections)
        s->o.max_connections = 1024;
    s->o.listen = bf_xstrdup(o->listen ? o->listen : "127.0.0.1:8080");
    s->rate = bf_xcalloc(HTTP_RATE_SLOTS, sizeof *s->rate);
    pthread_mutex_init(&s->rate_lock, NULL);
    if (http_route(s, "GET", "/api/v1/openapi.json", openapi_handler, s, &doc) < 0) {
        http_server_free(s);
        return bf_err_set(err, BF_EIO, "cannot register the OpenAPI route");
    }
    *out = s;
    return 0;
}

/* Parses "host:port", "[v6]:port" or ":port". */
static int parse_listen(const char *listen, struct sockaddr_storage *ss, struct bf_err *err)
{
    char host[256];
    const char *colon;
    long port;
    char *end;

    memset(ss, 0, sizeof *ss);
    if (listen[0] == '[') {
        const char *rb = strchr(listen, ']');
        if (!rb || rb[1] != ':')
            return bf_err_set(err, BF_EINVAL, "bad listen address %s", listen);
        snprintf(host, sizeof host, "%.*s", (int)(rb - listen - 1), listen + 1);
        colon = rb + 1;
    } else {
        colon = strrchr(listen, ':');
        if (!colon)
            return bf_err_set(err, BF_EINVAL, "listen address %s lacks a port", listen);
        snprintf(host, sizeof host, "%.*s", (int)(colon - listen), listen);
    }
    port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535)
        return bf_err_set(err, BF_EINVAL, "bad port in %s", listen);
    if (strchr(host, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
            return bf_err_set(err, BF_EINVAL, "bad IPv6 address %s", host);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        if (!host[0] || !strcmp(host, "*"))
            a->sin_addr.s_addr = htonl(INADDR_ANY);
        else if (!strcmp(host, "localhost"))
            a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        else if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
            return bf_err_set(err, BF_EINVAL, "bad IPv4 address %s", host);
    }
    return 0;
}

int http_server_start(struct http_server *s, struct bf_err *err)
{
    struct sockaddr_storage ss;
    const union MHD_DaemonInfo *info;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_TURBO;
    int rc;

    rc = parse_listen(s->o.listen, &ss, err);
    if (rc)
        return rc;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                                 MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->o.threads,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned)s->o.max_connections,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->o.timeout_s,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                                 MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
                                 /* MHD zeroes this pool on every request; 16 KiB holds
                                  * a 4 KiB path plus headers and costs far less than the
                                  * 32 KiB default on small responses such as tiles. */
                                 MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384,
                                 MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
                                 MHD_OPTION_END);
    if (!s->daemon)
        return bf_err_set(err, BF_EIO, "cannot listen on %s (address in use or not permitted)", s->o.listen);
    info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : 0;
    return 0;
}

int http_server_port(struct http_server *s)
{
    return s->port;
}

void http_server_free(struct http_server *s)
{
    int i, j;
    if (!s)
        return;
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    for (i = 0; i < s->nroutes; i++) {
        struct http_route *r = &s->routes[i];
        for (j = 0; j < r->nsegs; j++)
            free(r->segs[j]);
        free(r->method);
        free(r->pattern);
        free((char *)r->opts.summary);
        free((char *)r->opts.tag);
        free((char *)r->opts.request_schema);
        free((char *)r->opts.response_schema);
    }
    free(s->routes);
    for (i = 0; i < s->nstatics; i++) {
        free(s->statics[i]->prefix);
        free(s->statics[i]->root);
        free(s->statics[i]);
    }
    free(s->statics);
    free(s->rate);
    free((char *)s->o.listen);
    free(s);
}
