/*
 * http_int.h - internals shared by the files of src/http/ (not for
 * domains: they use http.h).
 */
#ifndef BELFRY_HTTP_INT_H
#define BELFRY_HTTP_INT_H

#include <pthread.h>
#include <microhttpd.h>

#include "http.h"

#define HTTP_MAX_SEGS 24

struct http_route {
    char *method;
    char *pattern;
    int nsegs;
    char *segs[HTTP_MAX_SEGS];   /* literal text, "{name}" or "*" */
    int rest;                    /* last segment is "*" */
    http_handler handler;
    void *ctx;
    struct http_route_opts opts; /* strings copied */
};

struct http_static_dir {
    char *prefix;
    char *root;                  /* realpath of the directory */
    int index;
};

struct http_rate_slot {
    char ip[48];
    time_t window;
    int count, wcount;
};

#define HTTP_RATE_SLOTS 4096

struct http_server {
    struct http_server_opts o;
    struct MHD_Daemon *daemon;
    int port;
    struct http_route *routes;
    int nroutes, caproutes;
    struct http_static_dir **statics;
    int nstatics;
    pthread_mutex_t rate_lock;
    struct http_rate_slot *rate;
};

/* Per-connection request state (MHD's con_cls). */
struct http_conn_state {
    struct MHD_Connection *conn;
    struct bf_arena arena;
    struct bf_buf body;
    struct http_route *route;    /* matched at the first callback */
    struct http_req req;
    int too_large;
    int method_mismatch;
    struct timespec start;
};

/* Finds the route for method and path; fills captures into req. Returns
 * the route, or NULL with *path_matched set if only the method differs. */
struct http_route *http_route_match(struct http_server *s, const char *method, const char *path,
                                    struct http_req *req, int *path_matched, struct bf_buf *allow);

/* 1 if the request may proceed; 0 if the client exceeded its budget. */
int http_rate_allow(struct http_server *s, const char *ip, int write);

/* Static file handler (ctx = struct http_static_dir). */
int http_static_serve(struct http_req *req, struct http_resp *resp, void *ctx);

/* Response defaults. */
void http_resp_init(struct http_resp *r, struct bf_arena *a, size_t max);

#endif
