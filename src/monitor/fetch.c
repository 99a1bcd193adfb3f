/*
 * fetch.c - bounded HTTP requests with libcurl's easy interface (one
 * handle per client, so connections are reused).
 *
 * Invariants: curl_global_init runs exactly once (pthread_once) before the
 * first handle; every request sets its own options on a reset handle, so
 * nothing leaks from one request into the next; the write callback stops
 * the transfer as soon as the body would exceed the ceiling (checked on
 * decoded bytes, so a gzip bomb is cut off too).
 */
#include "common.h"
#include "buf.h"
#include "fetch.h"

#include <curl/curl.h>
#include <pthread.h>

struct monitor_client {
    CURL *h;
    long timeout_ms;
    size_t max_body;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct monitor_client *monitor_client_new(long timeout_ms, size_t max_body)
{
    struct monitor_client *c;

    pthread_once(&curl_once, curl_init_once);
    c = bf_xcalloc(1, sizeof *c);
    c->h = curl_easy_init();
    if (!c->h) {
        free(c);
        return NULL;
    }
    c->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
    c->max_body = max_body > 0 ? max_body : 16 << 20;
    return c;
}

void monitor_client_free(struct monitor_client *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->h);
    free(c);
}

void monitor_client_set_max(struct monitor_client *c, size_t max_body)
{
    c->max_body = max_body > 0 ? max_body : 16 << 20;
}

void monitor_resp_free(struct monitor_resp *r)
{
    bf_buf_free(&r->body);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct bf_buf *b = ud;
    return bf_buf_append(b, p, size * n) < 0 ? 0 : size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct monitor_resp *r = ud;
    size_t len = size * n, i = 13;

    if (len > 12 && !strncasecmp(p, "retry-after:", 12)) {
        char v[32];
        snprintf(v, sizeof v, "%.*s", (int)BF_MIN(len - 12, sizeof v - 1), p + 12);
        r->retry_after = strtol(v, NULL, 10);
    }
    if (len > 13 && !strncasecmp(p, "content-type:", 13)) {
        while (i < len && (p[i] == ' ' || p[i] == '\t'))
            i++;
        while (len > i && (p[len - 1] == '\r' || p[len - 1] == '\n' || p[len - 1] == ' '))
            len--;
        snprintf(r->content_type, sizeof r->content_type, "%.*s", (int)(len - i), p + i);
    }
    return size * n;
}

static int perform(struct monitor_client *c, const char *url, struct monitor_resp *out, struct bf_err *err)
{
    CURLcode cc;
    CURL *h = c->h;

    memset(out, 0, sizeof *out);
    out->retry_after = -1;
    bf_buf_init(&out->body, c->max_body);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, BF_MIN(c->timeout_ms, 5000L));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "belfry");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &out->body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, out);
    if ((curl_off_t)c->max_body > 0)
        curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_body);
    cc = curl_easy_perform(h);
    if (cc == CURLE_WRITE_ERROR || cc == CURLE_FILESIZE_EXCEEDED) {
        monitor_resp_free(out);
        return bf_err_set(err, BF_ELIMIT, "%s: response larger than %zu bytes", url, c->max_body);
    }
    if (cc != CURLE_OK) {
        monitor_resp_free(out);
        return bf_err_set(err, BF_EIO, "%s: %s", url, curl_easy_strerror(cc));
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
    if (!out->body.data && bf_buf_reserve(&out->body, 1) < 0) {
        monitor_resp_free(out);
        return bf_err_set(err, BF_ENOMEM, "%s: out of memory", url);
    }
    return 0;
}

int monitor_get(struct monitor_client *c, const char *url, struct monitor_resp *out, struct bf_err *err)
{
    curl_easy_reset(c->h);
    curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
    return perform(c, url, out, err);
}

int monitor_post(struct monitor_client *c, const char *url, const char *ctype, const void *body, size_t len,
                 struct monitor_resp *out, struct bf_err *err)
{
    struct curl_slist *hdr = NULL;
    char line[160];
    int rc;

    curl_easy_reset(c->h);
    snprintf(line, sizeof line, "Content-Type: %s", ctype);
    hdr = curl_slist_append(hdr, line);
    hdr = curl_slist_append(hdr, "Expect:");
    curl_easy_setopt(c->h, CURLOPT_POST, 1L);
    curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hdr);
    rc = perform(c, url, out, err);
    curl_slist_free_all(hdr);
    return rc;
}
