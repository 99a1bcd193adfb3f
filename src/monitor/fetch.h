/*
 * fetch.h - a small bounded HTTP client over libcurl, shared by the
 * monitor (GET of checkpoints, tiles and bundles) and the witness pool
 * (POST of add-checkpoint requests).
 *
 * Every request has a total timeout and a connect timeout, follows at
 * most 3 redirects, speaks only http and https, accepts gzip/deflate
 * (decoded transparently) and fails with BF_ELIMIT as soon as the decoded
 * body would exceed the client's ceiling, so a hostile server can neither
 * hang nor exhaust the caller. Connections are kept alive between calls
 * on one client.
 *
 * A client belongs to one thread at a time. Non-2xx statuses are not
 * errors at this level: the caller reads status and body.
 */
#ifndef BELFRY_MONITOR_FETCH_H
#define BELFRY_MONITOR_FETCH_H

#include <stddef.h>

#include "util/buf.h"

struct bf_err;
struct monitor_client;

struct monitor_resp {
    long status;                /* HTTP status */
    struct bf_buf body;         /* decoded body, NUL-terminated; owned, free with monitor_resp_free */
    char content_type[128];     /* "" if absent */
    long retry_after;           /* Retry-After in seconds (delta form), -1 if absent */
};

/* timeout_ms: whole-request timeout (connect timeout is min(it, 5 s));
 * max_body: ceiling of a response body. */
struct monitor_client *monitor_client_new(long timeout_ms, size_t max_body);
void monitor_client_free(struct monitor_client *c);
/* Changes the body ceiling for the following requests. */
void monitor_client_set_max(struct monitor_client *c, size_t max_body);

/* GET url. 0 once a response was received (any status); BF_EIO with the
 * curl message on network errors or timeouts; BF_ELIMIT if too large. */
int monitor_get(struct monitor_client *c, const char *url, struct monitor_resp *out, struct bf_err *err);
/* POST body (content type ctype) to url; same results as monitor_get. */
int monitor_post(struct monitor_client *c, const char *url, const char *ctype, const void *body, size_t len,
                 struct monitor_resp *out, struct bf_err *err);

void monitor_resp_free(struct monitor_resp *r);

#endif
