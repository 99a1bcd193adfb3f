/*
 * test_http.c - the HTTP layer end to end over loopback with libcurl:
 * routing and captures, 404/405, body ceilings, the error format, ETags
 * and 304, gzip, CORS, rate limits, static files and traversal attempts,
 * the OpenAPI document.
 */
#include "common.h"
#include "tap.h"
#include "http/http.h"

#include <curl/curl.h>
#include <jansson.h>
#include <sys/stat.h>

static int port;

struct reply {
    long status;
    struct bf_buf body;
    char headers[8192];
    size_t hlen;
};

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    struct reply *r = ud;
    return bf_buf_append(&r->body, p, sz * n) < 0 ? 0 : sz * n;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    struct reply *r = ud;
    size_t len = sz * n;
    if (r->hlen + len < sizeof r->headers) {
        memcpy(r->headers + r->hlen, p, len);
        r->hlen += len;
        r->headers[r->hlen] = '\0';
    }
    return len;
}

static int request(const char *method, const char *path, const char *body, size_t body_len,
                   const char *const *hdrs, struct reply *r)
{
    CURL *c = curl_easy_init();
    struct curl_slist *list = NULL;
    char url[4096];
    int i;

    memset(r, 0, sizeof *r);
    bf_buf_init(&r->body, 64 << 20);
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    if (!strcmp(method, "HEAD"))
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    for (i = 0; hdrs && hdrs[i]; i++)
        list = curl_slist_append(list, hdrs[i]);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    if (curl_easy_perform(c) != CURLE_OK)
        r->status = -1;
    else
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(list);
    curl_easy_cleanup(c);
    return 0;
}

static const char *header(struct reply *r, const char *name)
{
    static char val[1024];
    const char *p = r->headers;
    size_t n = strlen(name);
    while ((p = strcasestr(p, name))) {
        if ((p == r->headers || p[-1] == '\n') && p[n] == ':') {
            const char *v = p + n + 1, *e;
            while (*v == ' ')
                v++;
            e = strpbrk(v, "\r\n");
            snprintf(val, sizeof val, "%.*s", (int)(e ? e - v : (long)strlen(v)), v);
            return val;
        }
        p += n;
    }
    return NULL;
}

static int h_echo(struct http_req *req, struct http_resp *resp, void *ctx)
{
    const char *q = http_req_query(req, "q");
    (void)ctx;
    return bf_buf_printf(&resp->body, "{\"ocid\":\"%s\",\"id\":\"%s\",\"q\":\"%s\",\"lang\":\"%s\"}",
                         http_req_param(req, "ocid") ? http_req_param(req, "ocid") : "",
                         http_req_param(req, "id") ? http_req_param(req, "id") : "", q ? q : "",
                         http_req_lang(req));
}

static int h_literal(struct http_req *req, struct http_resp *resp, void *ctx)
{
    (void)req;
    (void)ctx;
    return bf_buf_puts(&resp->body, "{\"literal\":true}");
}

static int h_post(struct http_req *req, struct http_resp *resp, void *ctx)
{
    (void)ctx;
    resp->status = 201;
    return bf_buf_printf(&resp->body, "{\"len\":%zu}", req->body_len);
}

static int h_big(struct http_req *req, struct http_resp *resp, void *ctx)
{
    int i;
    (void)req;
    (void)ctx;
    resp->content_type = "text/plain; charset=utf-8";
    for (i = 0; i < 2000; i++)
        if (bf_buf_puts(&resp->body, "belfry ") < 0)
            return BF_ELIMIT;
    return 0;
}

static int h_conflict(struct http_req *req, struct http_resp *resp, void *ctx)
{
    (void)req;
    (void)ctx;
    http_resp_error(resp, 409, "conflict", "dir2009-81/art33", "too early: %d days", 12);
    return 0;
}

static int h_fail(struct http_req *req, struct http_resp *resp, void *ctx)
{
    (void)req;
    (void)resp;
    (void)ctx;
    return BF_EIO;
}

static int h_rest(struct http_req *req, struct http_resp *resp, void *ctx)
{
    (void)ctx;
    return bf_buf_printf(&resp->body, "{\"rest\":\"%s\"}", http_req_param(req, "*"));
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

int main(void)
{
    struct http_server *s;
    struct http_server_opts o = { .listen = "127.0.0.1:0", .threads = 2, .max_body = 1024, .rate_per_ip = 0 };
    struct http_route_opts pub = { .summary = "Echo", .tag = "test", .public_cors = 1 };
    struct http_route_opts big = { .summary = "Post", .tag = "test", .max_body = 4096, .write = 1 };
    struct bf_err err = { 0 };
    struct reply r;
    char tmpl[] = "/tmp/belfry-http-XXXXXX", path[512];
    char *dir;
    json_t *j;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    dir = mkdtemp(tmpl);
    snprintf(path, sizeof path, "%s/web", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/web/index.html", dir);
    write_file(path, "<!doctype html><title>Belfry</title>");
    snprintf(path, sizeof path, "%s/web/app.js", dir);
    write_file(path, "console.log('belfry');");
    snprintf(path, sizeof path, "%s/secret.txt", dir);
    write_file(path, "do not serve");
    snprintf(path, sizeof path, "%s/web/link.txt", dir);
    {
        char target[512];
        snprintf(target, sizeof target, "%s/secret.txt", dir);
        if (symlink(target, path) < 0)
            diag("symlink: %s", strerror(errno));
    }

    ok(http_server_new(&o, &s, &err) == 0, "server created");
    ok(http_route(s, "GET", "/api/v1/releases/{ocid}/{id}", h_echo, NULL, &pub) == 0, "route with captures");
    ok(http_route(s, "GET", "/api/v1/releases/export/{id}", h_literal, NULL, &pub) == 0, "route with literal");
    ok(http_route(s, "GET", "/api/v1/releases/{ocid}/{id}", h_echo, NULL, &pub) == BF_EEXIST, "duplicate refused");
    ok(http_route(s, "POST", "/api/v1/things", h_post, NULL, &big) == 0, "post route");
    ok(http_route(s, "GET", "/big", h_big, NULL, NULL) == 0, "big route");
    ok(http_route(s, "GET", "/conflict", h_conflict, NULL, NULL) == 0, "conflict route");
    ok(http_route(s, "GET", "/fail", h_fail, NULL, NULL) == 0, "fail route");
    ok(http_route(s, "GET", "/log/tile/*", h_rest, NULL, NULL) == 0, "rest route");
    snprintf(path, sizeof path, "%s/web", dir);
    ok(http_static(s, "/", path, 1, &err) == 0, "static dir mounted");
    ok(http_server_start(s, &err) == 0, "server started: %s", err.msg);
    port = http_server_port(s);
    ok(port > 0, "bound port %d", port);

    request("GET", "/api/v1/releases/ocds-abc-1/r%201?q=x", NULL, 0, NULL, &r);
    ok(r.status == 200, "captures: 200");
    ok(r.body.data && strstr(r.body.data, "\"ocid\":\"ocds-abc-1\"") && strstr(r.body.data, "\"id\":\"r 1\""),
       "captures decoded: %s", r.body.data ? r.body.data : "");
    ok(r.body.data && strstr(r.body.data, "\"q\":\"x\""), "query parameter");
    ok(header(&r, "ETag") != NULL, "ETag computed");
    ok(header(&r, "Access-Control-Allow-Origin") && !strcmp(header(&r, "Access-Control-Allow-Origin"), "*"),
       "CORS on public GET");
    {
        char inm[1100];
        const char *hdrs[2] = { inm, NULL };
        snprintf(inm, sizeof inm, "If-None-Match: %s", header(&r, "ETag"));
        bf_buf_free(&r.body);
        request("GET", "/api/v1/releases/ocds-abc-1/r%201?q=x", NULL, 0, hdrs, &r);
        ok(r.status == 304 && r.body.len == 0, "conditional GET gives 304 (%ld)", r.status);
    }
    bf_buf_free(&r.body);

    request("GET", "/api/v1/releases/export/7", NULL, 0, NULL, &r);
    ok(r.status == 200 && strstr(r.body.data, "literal"), "literal segment wins over capture");
    bf_buf_free(&r.body);

    {
        const char *hdrs[] = { "Accept-Language: fr-BE,fr;q=0.9", NULL };
        request("GET", "/api/v1/releases/a/b", NULL, 0, hdrs, &r);
        ok(r.body.data && strstr(r.body.data, "\"lang\":\"fr\""), "language from Accept-Language");
        bf_buf_free(&r.body);
        request("GET", "/api/v1/releases/a/b?lang=nl", NULL, 0, hdrs, &r);
        ok(r.body.data && strstr(r.body.data, "\"lang\":\"nl\""), "language from ?lang wins");
        bf_buf_free(&r.body);
    }

    request("GET", "/nope", NULL, 0, NULL, &r);
    j = r.body.data ? json_loads(r.body.data, 0, NULL) : NULL;
    ok(r.status == 404 && j && json_integer_value(json_object_get(json_object_get(j, "error"), "status")) == 404,
       "404 in the standard error format");
    json_decref(j);
    bf_buf_free(&r.body);

    request("DELETE", "/api/v1/things", NULL, 0, NULL, &r);
    ok(r.status == 405 && header(&r, "Allow") && strstr(header(&r, "Allow"), "POST"), "405 with Allow");
    bf_buf_free(&r.body);

    {
        char body[2000];
        memset(body, 'x', sizeof body);
        request("POST", "/api/v1/things", body, sizeof body, NULL, &r);
        ok(r.status == 201 && strstr(r.body.data, "\"len\":2000"), "body within the route's ceiling");
        bf_buf_free(&r.body);
    }
    {
        char *body = bf_xmalloc(10000);
        memset(body, 'x', 10000);
        request("POST", "/api/v1/things", body, 10000, NULL, &r);
        ok(r.status == 413, "oversized body gives 413 (%ld)", r.status);
        bf_buf_free(&r.body);
        free(body);
    }

    request("GET", "/conflict", NULL, 0, NULL, &r);
    j = r.body.data ? json_loads(r.body.data, 0, NULL) : NULL;
    ok(r.status == 409 && j &&
           !strcmp(json_string_value(json_object_get(json_object_get(j, "error"), "rule")), "dir2009-81/art33"),
       "409 names the rule");
    ok(header(&r, "Cache-Control") && !strcmp(header(&r, "Cache-Control"), "no-store"), "errors are not cached");
    json_decref(j);
    bf_buf_free(&r.body);

    request("GET", "/fail", NULL, 0, NULL, &r);
    ok(r.status == 500 && strstr(r.body.data, "\"code\":\"internal\""), "handler failure gives a generic 500");
    bf_buf_free(&r.body);

    {
        const char *hdrs[] = { "Accept-Encoding: gzip", NULL };
        request("GET", "/big", NULL, 0, hdrs, &r);
        ok(r.status == 200 && header(&r, "Content-Encoding") && r.body.len < 14000, "gzip when accepted (%zu bytes)",
           r.body.len);
        bf_buf_free(&r.body);
    }

    request("GET", "/log/tile/0/x001/234.p/5", NULL, 0, NULL, &r);
    ok(r.status == 200 && strstr(r.body.data, "\"rest\":\"0/x001/234.p/5\""), "rest capture");
    bf_buf_free(&r.body);

    request("OPTIONS", "/api/v1/releases/a/b", NULL, 0, NULL, &r);
    ok(r.status == 204 && header(&r, "Access-Control-Allow-Methods"), "CORS preflight on public resource");
    bf_buf_free(&r.body);

    request("GET", "/", NULL, 0, NULL, &r);
    ok(r.status == 200 && strstr(r.body.data, "Belfry") && header(&r, "Content-Security-Policy"),
       "index.html with a CSP");
    bf_buf_free(&r.body);
    request("GET", "/app.js", NULL, 0, NULL, &r);
    ok(r.status == 200 && header(&r, "Content-Type") && strstr(header(&r, "Content-Type"), "javascript"),
       "static file with its type");
    bf_buf_free(&r.body);
    {
        static const char *const evil[] = { "/../secret.txt", "/%2e%2e/secret.txt", "/link.txt", "/.hidden",
                                             "/..%2fsecret.txt", "/app.js%00.html", "/a/../../secret.txt" };
        size_t i;
        for (i = 0; i < BF_ARRAY_LEN(evil); i++) {
            request("GET", evil[i], NULL, 0, NULL, &r);
            ok(r.status >= 400 && (!r.body.data || !strstr(r.body.data, "do not serve")), "traversal %s refused (%ld)",
               evil[i], r.status);
            bf_buf_free(&r.body);
        }
    }

    request("GET", "/api/v1/openapi.json", NULL, 0, NULL, &r);
    j = r.body.data ? json_loads(r.body.data, 0, NULL) : NULL;
    ok(j && !strcmp(json_string_value(json_object_get(j, "openapi")), "3.1.0"), "OpenAPI document parses");
    ok(j && json_object_get(json_object_get(j, "paths"), "/api/v1/releases/{ocid}/{id}"), "OpenAPI lists routes");
    json_decref(j);
    bf_buf_free(&r.body);

    http_server_free(s);

    /* Rate limiting: a second server with a tiny budget. */
    o.rate_per_ip = 3;
    ok(http_server_new(&o, &s, &err) == 0 && http_route(s, "GET", "/x", h_literal, NULL, NULL) == 0 &&
           http_server_start(s, &err) == 0,
       "rate-limited server");
    port = http_server_port(s);
    {
        int i, limited = 0;
        for (i = 0; i < 10; i++) {
            request("GET", "/x", NULL, 0, NULL, &r);
            if (r.status == 429)
                limited++;
            bf_buf_free(&r.body);
        }
        ok(limited >= 5, "requests over the per-client rate get 429 (%d)", limited);
    }
    http_server_free(s);
    curl_global_cleanup();
    {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            diag("could not remove %s", dir);
    }
    return tap_done();
}
