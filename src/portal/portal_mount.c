/*
 * portal_mount.c - what `belfry serve` gets from the portal: the JSON
 * routes, the static pages of web/, the few front-end library files the
 * pages use (served from node_modules under /vendor/, nothing else of the
 * packages), and the background indexer.
 *
 * Vendor files are read once at mount and served from memory with a
 * content-hash ETag and an immutable cache policy. A missing package is
 * not fatal: the pages fall back to their accessible tables.
 */
#include "common.h"
#include "buf.h"
#include "sha256.h"
#include "fs.h"
#include "portal.h"
#include "portal_int.h"
#include "cli/app.h"
#include "http/http.h"
#include "store/store.h"

#define VENDOR_MAX (4u << 20)

struct vendor_file {
    const char *url;
    const char *path; /* under the vendor directory */
    const char *type;
    char *data;
    size_t len;
    char etag[24];
};

static struct vendor_file vendor_files[] = {
    { "/vendor/chart.umd.min.js", "chart.js/dist/chart.umd.min.js", "text/javascript; charset=utf-8", NULL, 0, "" },
};

static int h_vendor(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct vendor_file *v = ctx;
    (void)req;
    if (!v->data) {
        http_resp_error(resp, 404, "not-found", NULL, "%s is not installed on this server", v->path);
        return 0;
    }
    resp->content_type = v->type;
    resp->cache = HTTP_CACHE_IMMUTABLE;
    resp->etag = v->etag;
    return bf_buf_append(&resp->body, v->data, v->len);
}

static int load_vendor(struct vendor_file *v, const char *dir)
{
    char path[1024], hex[65];
    struct bf_err err = { 0 };

    if (v->data)
        return 0;
    snprintf(path, sizeof path, "%s/%s", dir, v->path);
    if (bf_fs_read(path, VENDOR_MAX, &v->data, &v->len, &err) < 0) {
        fprintf(stderr, "belfry: portal: %s (charts fall back to tables)\n", err.msg);
        return 0;
    }
    bf_sha256_hex(v->data, v->len, hex);
    snprintf(v->etag, sizeof v->etag, "\"%.16s\"", hex);
    return 0;
}

static int vendor_routes(struct app *app, struct bf_err *err)
{
    size_t i;
    int rc;
    for (i = 0; i < BF_ARRAY_LEN(vendor_files); i++) {
        struct http_route_opts o = { .summary = "Front-end library file", .tag = "portal", .public_cors = 1 };
        load_vendor(&vendor_files[i], app->vendor_dir ? app->vendor_dir : "node_modules");
        rc = http_route(app->http, "GET", vendor_files[i].url, h_vendor, &vendor_files[i], &o);
        if (rc < 0)
            return bf_err_set(err, rc, "cannot route %s", vendor_files[i].url);
    }
    return 0;
}

int portal_mount(struct app *app, struct bf_err *err)
{
    struct bf_err e2 = { 0 };
    int rc;

    if ((rc = portal_api_routes(app, err)) < 0 || (rc = vendor_routes(app, err)) < 0)
        return rc;
    if (http_static(app->http, "/", app->web_dir ? app->web_dir : "web", 1, &e2) < 0)
        fprintf(stderr, "belfry: portal: %s (serving the API only)\n", e2.msg);
    return portal_indexer_start(store_dir(app->store), err);
}
