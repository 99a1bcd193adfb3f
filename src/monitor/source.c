/*
 * source.c - where the monitor reads a log from: an HTTP(S) prefix
 * through the bounded client of fetch.c, or a local directory with the
 * same layout (a mirror, a backup, or test data).
 *
 * Invariants: a path handed to get is built by the monitor from numbers
 * (never from the server), but the directory source still refuses ".."
 * and absolute paths; both sources enforce the caller's size ceiling; a
 * 404 (or a missing file) is BF_ENOTFOUND so the caller can fall back
 * from a partial tile to the full one; 429/503 and dropped connections
 * are retried a few times with backoff (Retry-After honoured, capped).
 */
#include "common.h"
#include "buf.h"
#include "fetch.h"
#include "fs.h"
#include "monitor.h"

#define HTTP_RETRIES 6

struct http_src {
    struct monitor_client *c;
    long timeout_ms;
    char *prefix;                /* without trailing '/' */
};

struct dir_src {
    char *dir;
};

/* Waits before retry `attempt` (0-based): the server's Retry-After if it
 * gave one (capped), else 250 ms doubling up to 8 s. */
static void backoff(int attempt, long retry_after)
{
    long ms = retry_after >= 0 ? BF_MIN(retry_after, 30L) * 1000 : BF_MIN(250L << attempt, 8000L);
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* One GET with retries for rate limiting (429, 503) and dropped
 * connections: a polite monitor waits rather than failing an audit. */
static int get_retrying(struct http_src *h, const char *url, struct monitor_resp *r, struct bf_err *err)
{
    int attempt, rc = BF_EIO;

    for (attempt = 0; attempt < HTTP_RETRIES; attempt++) {
        if (attempt > 0)
            backoff(attempt - 1, rc == 0 ? r->retry_after : -1);
        if (rc == 0)
            monitor_resp_free(r);
        rc = monitor_get(h->c, url, r, err);
        if (rc == BF_EIO)
            continue;
        if (rc < 0 || (r->status != 429 && r->status != 503))
            return rc;
    }
    return rc;
}

static int http_get(void *ctx, const char *path, size_t max, struct bf_buf *out, struct bf_err *err)
{
    struct http_src *h = ctx;
    struct monitor_resp r;
    char *url;
    size_t n = strlen(h->prefix) + strlen(path) + 2;
    int rc;

    url = bf_xmalloc(n);
    snprintf(url, n, "%s/%s", h->prefix, path);
    if (!h->c)
        h->c = monitor_client_new(h->timeout_ms, max);
    if (h->c)
        monitor_client_set_max(h->c, max);
    rc = h->c ? get_retrying(h, url, &r, err) : bf_err_set(err, BF_ENOMEM, "no HTTP client");
    if (rc < 0)
        goto out;
    if (r.status == 404)
        rc = bf_err_set(err, BF_ENOTFOUND, "%s: 404 Not Found", url);
    else if (r.status != 200)
        rc = bf_err_set(err, BF_EIO, "%s: HTTP status %ld", url, r.status);
    else if ((rc = bf_buf_append(out, r.body.data, r.body.len)) < 0)
        bf_err_set(err, rc, "%s: response too large", url);
    monitor_resp_free(&r);
out:
    free(url);
    return rc;
}

static void http_free(void *ctx)
{
    struct http_src *h = ctx;
    monitor_client_free(h->c);
    free(h->prefix);
    free(h);
}

static int dir_get(void *ctx, const char *path, size_t max, struct bf_buf *out, struct bf_err *err)
{
    struct dir_src *d = ctx;
    char *full, *data = NULL;
    size_t n = strlen(d->dir) + strlen(path) + 2, len = 0;
    int rc;

    if (path[0] == '/' || strstr(path, ".."))
        return bf_err_set(err, BF_EINVAL, "refusing path %s", path);
    full = bf_xmalloc(n);
    snprintf(full, n, "%s/%s", d->dir, path);
    if (!bf_fs_exists(full)) {
        rc = bf_err_set(err, BF_ENOTFOUND, "%s: no such file", full);
        goto out;
    }
    if ((rc = bf_fs_read(full, max, &data, &len, err)) < 0)
        goto out;
    if ((rc = bf_buf_append(out, data, len)) < 0)
        bf_err_set(err, rc, "%s: too large", full);
out:
    free(data);
    free(full);
    return rc;
}

static void dir_free(void *ctx)
{
    struct dir_src *d = ctx;
    free(d->dir);
    free(d);
}

int monitor_source_open(const char *url, long timeout_ms, struct monitor_source *out, struct bf_err *err)
{
    size_t n = strlen(url);

    memset(out, 0, sizeof *out);
    while (n > 1 && url[n - 1] == '/')
        n--;
    if (!strncmp(url, "http://", 7) || !strncmp(url, "https://", 8)) {
        struct http_src *h = bf_xcalloc(1, sizeof *h);
        h->prefix = bf_xstrndup(url, n);
        h->timeout_ms = timeout_ms;
        out->get = http_get;
        out->free = http_free;
        out->ctx = h;
        return 0;
    }
    if (strstr(url, "://"))
        return bf_err_set(err, BF_EUNSUPPORTED, "%s: only http://, https:// or a local directory", url);
    if (!bf_fs_exists(url))
        return bf_err_set(err, BF_ENOTFOUND, "%s: no such directory", url);
    {
        struct dir_src *d = bf_xcalloc(1, sizeof *d);
        d->dir = bf_xstrndup(url, n);
        out->get = dir_get;
        out->free = dir_free;
        out->ctx = d;
    }
    return 0;
}

void monitor_source_close(struct monitor_source *s)
{
    if (s && s->free)
        s->free(s->ctx);
    if (s)
        memset(s, 0, sizeof *s);
}
