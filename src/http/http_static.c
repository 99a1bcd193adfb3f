/*
 * http_static.c - static files for the portal.
 *
 * Safety: the requested path is checked segment by segment (no "..", no
 * ".", no hidden files, no NUL or backslash), then resolved with realpath
 * and required to stay under the directory's own realpath, so neither
 * "../" nor a symlink can leave it. Files are read whole (they are the
 * portal's own assets, capped at 16 MiB).
 */
#include "common.h"
#include "http_int.h"
#include "fs.h"

#include <sys/stat.h>

#define STATIC_MAX (16u << 20)

static const struct {
    const char *ext, *type;
} types[] = {
    { ".html", "text/html; charset=utf-8" },  { ".js", "text/javascript; charset=utf-8" },
    { ".mjs", "text/javascript; charset=utf-8" }, { ".css", "text/css; charset=utf-8" },
    { ".json", "application/json" },         { ".svg", "image/svg+xml" },
    { ".png", "image/png" },                  { ".ico", "image/x-icon" },
    { ".txt", "text/plain; charset=utf-8" }, { ".woff2", "font/woff2" },
    { ".map", "application/json" },          { ".webmanifest", "application/manifest+json" },
};

static const char *content_type(const char *path)
{
    size_t i, n = strlen(path);
    for (i = 0; i < BF_ARRAY_LEN(types); i++) {
        size_t e = strlen(types[i].ext);
        if (n > e && !strcmp(path + n - e, types[i].ext))
            return types[i].type;
    }
    return "application/octet-stream";
}

static int path_safe(const char *rel)
{
    const char *p = rel;
    if (strchr(rel, '\\'))
        return 0;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len > 0 && p[0] == '.')
            return 0; /* ".", "..", hidden files */
        if (!slash)
            break;
        p = slash + 1;
    }
    return 1;
}

int http_static_serve(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct http_static_dir *d = ctx;
    const char *rel = http_req_param(req, "*");
    char *full, *real = NULL, *data = NULL;
    struct stat st;
    size_t len, rootlen = strlen(d->root);
    struct bf_err err = { 0 };
    int rc = 0;

    if (!rel)
        rel = "";
    if (!path_safe(rel)) {
        http_resp_error(resp, 404, "not-found", NULL, "no such file");
        return 0;
    }
    full = bf_arena_printf(req->arena, "%s/%s", d->root, rel);
    if (stat(full, &st) == 0 && S_ISDIR(st.st_mode) && d->index)
        full = bf_arena_printf(req->arena, "%s/%s%sindex.html", d->root, rel,
                               rel[0] && rel[strlen(rel) - 1] != '/' ? "/" : "");
    real = realpath(full, NULL);
    if (!real || strncmp(real, d->root, rootlen) || (real[rootlen] != '/' && real[rootlen] != '\0') ||
        stat(real, &st) < 0 || !S_ISREG(st.st_mode)) {
        http_resp_error(resp, 404, "not-found", NULL, "no such file");
        goto out;
    }
    if (bf_fs_read(real, STATIC_MAX, &data, &len, &err) < 0) {
        http_resp_error(resp, 404, "not-found", NULL, "no such file");
        goto out;
    }
    resp->content_type = content_type(real);
    resp->etag = bf_arena_printf(req->arena, "\"%lx-%lx\"", (unsigned long)st.st_mtime, (unsigned long)st.st_size);
    resp->cache = HTTP_CACHE_SHORT;
    resp->short_seconds = 60;
    if (bf_buf_append(&resp->body, data, len) < 0)
        rc = BF_ELIMIT;
out:
    free(real);
    free(data);
    return rc;
}

int http_static(struct http_server *s, const char *prefix, const char *dir, int index, struct bf_err *err)
{
    struct http_static_dir *d;
    char *root = realpath(dir, NULL);
    char pattern[512];
    int rc;

    if (!root)
        return bf_err_set(err, BF_ENOTFOUND, "static directory %s: %s", dir, strerror(errno));
    s->statics = bf_xrealloc(s->statics, (size_t)(s->nstatics + 1) * sizeof *s->statics);
    d = bf_xcalloc(1, sizeof *d);
    d->prefix = bf_xstrdup(prefix);
    d->root = root;
    d->index = index;
    s->statics[s->nstatics++] = d;
    snprintf(pattern, sizeof pattern, "%s%s*", prefix, prefix[strlen(prefix) - 1] == '/' ? "" : "/");
    {
        struct http_route_opts o = { .summary = "Static files of the portal", .tag = "portal", .public_cors = 0 };
        rc = http_route(s, "GET", pattern, http_static_serve, d, &o);
    }
    if (rc < 0)
        return bf_err_set(err, rc, "cannot route %s", pattern);
    return 0;
}
