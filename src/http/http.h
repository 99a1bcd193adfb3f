/*
 * http.h - Belfry's HTTP layer: one server, many domains.
 *
 * Built on libmicrohttpd (internal epoll thread pool). Domains register
 * routes; the layer owns everything that must be the same on every
 * endpoint: per-request arenas, request size/time/rate limits, the one
 * JSON error format, ETags and conditional GET, CORS on public GETs, gzip,
 * security headers, access logging, and the OpenAPI document built from
 * the route table (GET /api/v1/openapi.json).
 *
 * Routes: a pattern is a path whose segments may be "{name}" (one segment,
 * at least one character, captured) or a final "*" (the rest of the path,
 * possibly empty, captured as "*"). Literal segments win over captures.
 * Handlers run on the server's worker threads, concurrently.
 *
 * Memory: everything reachable from a struct http_req lives in req->arena
 * and is freed after the response is sent. A handler fills resp and
 * returns 0; a negative return sends a 500 in the standard error format
 * (with the message from the handler's resp error if it set one).
 *
 * Error format (every non-2xx JSON response):
 *   {"error":{"status":409,"code":"conflict","message":"...","rule":"..."}}
 */
#ifndef BELFRY_HTTP_H
#define BELFRY_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/buf.h"

struct bf_err;
struct http_server;

#define HTTP_MAX_PARAMS 8

struct http_req {
    const char *method;          /* "GET", "POST", ... */
    const char *path;            /* percent-decoded path, no query */
    struct bf_arena *arena;      /* request lifetime */
    const char *body;            /* NUL-terminated; body_len bytes */
    size_t body_len;
    const char *remote;          /* client address as text */
    int nparams;
    const char *param_names[HTTP_MAX_PARAMS];
    const char *params[HTTP_MAX_PARAMS];
    void *internal;              /* the layer's connection state */
};

/* Header value or NULL (case-insensitive name). */
const char *http_req_header(struct http_req *r, const char *name);
/* Query parameter value (decoded) or NULL. */
const char *http_req_query(struct http_req *r, const char *key);
/* Route capture by name ("ocid", "*"), or NULL. */
const char *http_req_param(struct http_req *r, const char *name);
/* The token of "Authorization: Bearer <token>", or NULL. */
const char *http_req_bearer(struct http_req *r);
/* 1 if the If-None-Match value inm (a list of tags, or "*"; may be NULL)
 * names etag. The layer answers 304 itself after a handler; a handler that
 * can tell freshness before building its body calls this to skip the work. */
int http_etag_matches(const char *inm, const char *etag);
/* Preferred language from ?lang= or Accept-Language: "en", "nl", "fr", "de". */
const char *http_req_lang(struct http_req *r);

enum http_cache {
    HTTP_CACHE_NONE = 0,         /* Cache-Control: no-store (default for non-GET and errors) */
    HTTP_CACHE_SHORT,            /* public, max-age=<short_seconds> (checkpoints, listings) */
    HTTP_CACHE_IMMUTABLE,        /* public, max-age=31536000, immutable (full tiles) */
    HTTP_CACHE_PRIVATE,          /* private, no-cache (authenticated reads) */
};

#define HTTP_MAX_HEADERS 16

struct http_resp {
    int status;                  /* default 200 */
    const char *content_type;    /* default "application/json" */
    struct bf_buf body;          /* ceiling: the server's max response size */
    enum http_cache cache;
    int short_seconds;           /* for HTTP_CACHE_SHORT (default 5) */
    const char *etag;            /* explicit strong ETag (quoted); else computed for 200 GETs */
    int body_is_gzip;            /* body is already gzip: send with Content-Encoding: gzip */
    int no_compress;             /* never gzip (e.g. already compressed media) */
    int nheaders;
    const char *hname[HTTP_MAX_HEADERS];
    const char *hvalue[HTTP_MAX_HEADERS];
    struct bf_arena *arena;      /* same as the request's */
};

/* Adds a response header (name and value are copied into the arena). */
void http_resp_header(struct http_resp *r, const char *name, const char *value);
/* Replaces the response with the standard JSON error. rule may be NULL. */
void http_resp_error(struct http_resp *r, int status, const char *code, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* The standard error for a BF_E* code and message (status from
 * bf_err_http_status, code from bf_err_name). */
void http_resp_bf_err(struct http_resp *r, const struct bf_err *err);
/* Sets content type and body text. */
int http_resp_text(struct http_resp *r, const char *content_type, const char *text, size_t len);

typedef int (*http_handler)(struct http_req *req, struct http_resp *resp, void *ctx);

struct http_route_opts {
    const char *summary;         /* one line for the OpenAPI document */
    const char *tag;             /* OpenAPI tag ("ledger", "procurement", ...) */
    size_t max_body;             /* request body ceiling; default server max_body */
    int public_cors;             /* send Access-Control-Allow-Origin: * */
    int write;                   /* counts against the write rate limit */
    const char *request_schema;  /* optional JSON Schema (text) for OpenAPI */
    const char *response_schema; /* optional JSON Schema (text) for OpenAPI */
};

struct http_server_opts {
    const char *listen;          /* "127.0.0.1:8080", "[::1]:8080", ":8080" */
    int threads;                 /* worker threads (default: number of CPUs) */
    size_t max_body;             /* default request body ceiling (1 MiB) */
    size_t max_response;         /* response ceiling (256 MiB) */
    int timeout_s;               /* connection idle timeout (30 s) */
    int max_connections;         /* (1024) */
    int rate_per_ip;             /* requests per second per client (0: off; default 200) */
    int write_rate_per_ip;       /* write requests per second per client (default 20) */
    int access_log;              /* log one line per request to stderr */
};

int http_server_new(const struct http_server_opts *o, struct http_server **out, struct bf_err *err);
/* Registers a route. pattern is copied. Duplicates are BF_EEXIST. */
int http_route(struct http_server *s, const char *method, const char *pattern, http_handler h, void *ctx,
               const struct http_route_opts *opts);
/* Serves files under dir for GET paths under prefix ("/" or "/static/"):
 * no traversal (.., symlinks out of dir, NUL), index.html for directories
 * only when index is set, content types by extension, ETag from mtime and
 * size, gzip'd variant "<file>.gz" when present and accepted. */
int http_static(struct http_server *s, const char *prefix, const char *dir, int index, struct bf_err *err);
/* Starts listening; returns once the socket is bound (port 0 picks one:
 * see http_server_port). */
int http_server_start(struct http_server *s, struct bf_err *err);
int http_server_port(struct http_server *s);
/* Stops accepting, finishes in-flight requests, frees s. */
void http_server_free(struct http_server *s);

/* Writes the OpenAPI 3.1 document for all registered routes into out. */
int http_openapi(struct http_server *s, struct bf_buf *out);

#endif
