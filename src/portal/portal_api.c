/*
 * portal_api.c - the portal's public JSON endpoints: search, statistics,
 * organisations, the log's identity for in-browser verification, raw log
 * entries and the page configuration (language, features).
 *
 * Every endpoint is a public GET over derived, public data: summaries of
 * public compiled releases (withheld values are never in them) and the
 * log's own public material. Parameters are validated in
 * portal_filter_parse or here; errors use the standard format.
 */
#include "common.h"
#include "buf.h"
#include "portal.h"
#include "portal_int.h"
#include "cli/app.h"
#include "http/http.h"
#include "ledger/ledger.h"

static const char *req_param(void *arg, const char *name)
{
    return http_req_query(arg, name);
}

static void fail(struct http_resp *resp, struct bf_err *err)
{
    if (!err->code)
        err->code = BF_EIO;
    http_resp_bf_err(resp, err);
}

/* Searches go through the response cache: same filter, same index
 * generation, same answer. */
static int h_search(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct app *app = ctx;
    struct store_portal_filter f;
    struct bf_err err = { 0 };
    struct bf_buf key = BF_BUF_INIT;
    uint64_t gen = portal_generation();
    int keyed;

    bf_buf_init(&key, 4096);
    if (portal_filter_parse(req_param, req, req->arena, &f, &err) < 0) {
        fail(resp, &err);
        goto out;
    }
    keyed = portal_filter_key(&f, &key) == 0;
    if (!keyed || !portal_cache_get(app->store, key.data, gen, &resp->body)) {
        if (portal_search_json(app->store, &f, &resp->body, &err) < 0) {
            fail(resp, &err);
            goto out;
        }
        if (keyed)
            portal_cache_put(app->store, key.data, gen, resp->body.data, resp->body.len);
    }
    resp->cache = HTTP_CACHE_SHORT;
    resp->short_seconds = 1;
out:
    bf_buf_free(&key);
    return 0;
}

static int int_param(struct http_req *req, const char *name, long lo, long hi, long def, long *out,
                     struct bf_err *err)
{
    const char *v = http_req_query(req, name);
    char *end;
    *out = def;
    if (!v || !*v)
        return 0;
    errno = 0;
    *out = strtol(v, &end, 10);
    if (errno || *end || *out < lo || *out > hi)
        return bf_err_set(err, BF_EINVAL, "parameter %s: expected an integer from %ld to %ld", name, lo, hi);
    return 0;
}

static int str_param(struct http_req *req, const char *name, size_t max, const char **out, struct bf_err *err)
{
    const char *v = http_req_query(req, name);
    *out = v && *v ? v : NULL;
    if (*out && strlen(*out) > max)
        return bf_err_set(err, BF_EINVAL, "parameter %s: too long", name);
    return 0;
}

static int h_stats(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct app *app = ctx;
    struct bf_err err = { 0 };
    const char *buyer;
    long year;

    if (int_param(req, "year", 0, 2200, 0, &year, &err) < 0 || str_param(req, "buyer", 200, &buyer, &err) < 0 ||
        portal_stats_json(app->store, (int)year, buyer, &resp->body, &err) < 0) {
        fail(resp, &err);
        return 0;
    }
    resp->cache = HTTP_CACHE_SHORT;
    resp->short_seconds = 5;
    return 0;
}

static int role_param(struct http_req *req, const char **role, struct bf_err *err)
{
    if (str_param(req, "role", 16, role, err) < 0)
        return BF_EINVAL;
    if (*role && strcmp(*role, "buyer") && strcmp(*role, "supplier") && strcmp(*role, "tenderer"))
        return bf_err_set(err, BF_EINVAL, "parameter role: expected buyer, supplier or tenderer");
    return 0;
}

static int h_org(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct app *app = ctx;
    struct bf_err err = { 0 };
    const char *id = http_req_param(req, "id"), *role;
    long page, per;

    if (!id || strlen(id) > 200) {
        http_resp_error(resp, 400, "invalid", NULL, "organisation id too long");
        return 0;
    }
    if (role_param(req, &role, &err) < 0 || int_param(req, "page", 1, 100000, 1, &page, &err) < 0 ||
        int_param(req, "per_page", 1, 100, 20, &per, &err) < 0) {
        fail(resp, &err);
        return 0;
    }
    if ((page - 1) * per > STORE_PORTAL_MAX_OFFSET) {
        http_resp_error(resp, 400, "invalid", NULL, "parameter page: too far");
        return 0;
    }
    if (portal_org_json(app->store, id, role, (int)page, (int)per, &resp->body, &err) < 0) {
        fail(resp, &err);
        return 0;
    }
    resp->cache = HTTP_CACHE_SHORT;
    return 0;
}

static int h_orgs(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct app *app = ctx;
    struct bf_err err = { 0 };
    const char *q, *role;

    if (str_param(req, "q", 100, &q, &err) < 0 || role_param(req, &role, &err) < 0) {
        fail(resp, &err);
        return 0;
    }
    if (!q || strlen(q) < 2) {
        http_resp_error(resp, 400, "invalid", NULL, "parameter q: at least 2 characters of a name");
        return 0;
    }
    if (portal_orgs_json(app->store, q, role, &resp->body, &err) < 0) {
        fail(resp, &err);
        return 0;
    }
    resp->cache = HTTP_CACHE_SHORT;
    return 0;
}

static int no_ledger(struct http_resp *resp)
{
    http_resp_error(resp, 503, "unavailable", NULL, "this server runs without a log");
    return 0;
}

static int h_log_info(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct app *app = ctx;
    const char *origin, *vkey;
    int rc;
    (void)req;

    if (!app->ledger)
        return no_ledger(resp);
    origin = ledger_origin(app->ledger);
    vkey = ledger_vkey(app->ledger);
    rc = bf_buf_puts(&resp->body, "{\"origin\":");
    rc |= bf_buf_json_str(&resp->body, origin, strlen(origin));
    rc |= bf_buf_puts(&resp->body, ",\"vkey\":");
    rc |= bf_buf_json_str(&resp->body, vkey, strlen(vkey));
    rc |= bf_buf_printf(&resp->body,
                        ",\"size\":%" PRIu64 ",\"checkpoint\":\"/log/checkpoint\",\"proof\":\"/log/proof/{index}\","
                        "\"entries\":\"/api/v1/log/entries/{index}\"}",
                        ledger_size(app->ledger));
    resp->cache = HTTP_CACHE_SHORT;
    resp->short_seconds = 1;
    return rc ? BF_ELIMIT : 0;
}

static int h_log_entry(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct app *app = ctx;
    const char *v = http_req_param(req, "index");
    struct bf_err err = { 0 };
    char *end;
    unsigned long long i;

    if (!app->ledger)
        return no_ledger(resp);
    errno = 0;
    i = strtoull(v ? v : "", &end, 10);
    if (!v || !*v || *end || errno || v[0] == '-' || (v[0] == '0' && v[1])) {
        http_resp_error(resp, 400, "invalid", NULL, "log index must be a decimal number");
        return 0;
    }
    if (i >= ledger_size(app->ledger)) {
        http_resp_error(resp, 404, "not-found", NULL, "no entry %llu in the published log", i);
        return 0;
    }
    if (ledger_entry(app->ledger, (uint64_t)i, &resp->body, &err) < 0) {
        fail(resp, &err);
        return 0;
    }
    resp->content_type = "application/octet-stream";
    resp->cache = HTTP_CACHE_IMMUTABLE;
    return 0;
}

static int h_config(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct app *app = ctx;
    const char *lang = http_req_lang(req);
    uint64_t next = 0;
    int rc;

    store_portal_cursor(app->store, &next, NULL);
    rc = bf_buf_printf(&resp->body,
                       "{\"lang\":\"%s\",\"languages\":[\"nl\",\"fr\",\"en\",\"de\"],\"redFlags\":false,"
                       "\"indexedThrough\":%" PRIu64 ",\"logSize\":%" PRIu64 ",\"searchIndex\":%s}",
                       lang ? lang : "en", next, app->ledger ? ledger_size(app->ledger) : 0,
                       portal_memsearch_ready(app->store) ? "true" : "false");
    http_resp_header(resp, "Vary", "Accept-Language");
    resp->cache = HTTP_CACHE_NONE;
    return rc ? BF_ELIMIT : 0;
}

int portal_api_routes(struct app *app, struct bf_err *err)
{
    static const struct {
        const char *pattern, *summary;
        http_handler h;
    } routes[] = {
        { "/api/v1/search", "Search procedures: full text (q) and filters buyer, supplier, procedure, capability, "
                            "cpv, min, max, from, to, status, year, noncompetitive; sort, page, per_page", h_search },
        { "/api/v1/stats", "Spending per year, capability area, procedure type and status; share of "
                           "non-competitive procedures (optional year, buyer)", h_stats },
        { "/api/v1/organisations", "Organisations whose name starts with q (role: buyer, supplier, tenderer)",
          h_orgs },
        { "/api/v1/organisations/{id}", "An organisation: totals per role and its procedures (role, page, per_page)",
          h_org },
        { "/api/v1/log/info", "The log's origin and Ed25519 verifier key, for verification in the browser",
          h_log_info },
        { "/api/v1/log/entries/{index}", "The raw bytes of one log entry (its leaf hash is SHA-256(0x00 || bytes))",
          h_log_entry },
        { "/api/v1/portal/config", "Page configuration: default language from Accept-Language, features",
          h_config },
    };
    size_t i;
    int rc;

    for (i = 0; i < BF_ARRAY_LEN(routes); i++) {
        struct http_route_opts o = { .summary = routes[i].summary, .tag = "portal", .public_cors = 1 };
        rc = http_route(app->http, "GET", routes[i].pattern, routes[i].h, app, &o);
        if (rc < 0)
            return bf_err_set(err, rc, "cannot route %s", routes[i].pattern);
    }
    return 0;
}
