/*
 * auth_http.c - the HTTP face of access control: auth_require and
 * auth_identify for every domain's handlers, GET /api/v1/me for the web
 * sign-in and GET /api/v1/tokens for admins.
 *
 * Invariants: a refused request gets the standard error body and, for
 * 401, a WWW-Authenticate challenge (RFC 6750); no response ever contains
 * a token or its digest, only ids.
 */
#include "common.h"
#include "auth/auth.h"
#include "cli/app.h"
#include "http/http.h"
#include "store/store.h"

#define AUTH_CHALLENGE "Bearer realm=\"belfry\""

static int refuse_401(struct http_resp *resp, const char *why, int invalid)
{
    http_resp_error(resp, 401, "unauthorized", NULL, "%s", why);
    http_resp_header(resp, "WWW-Authenticate",
                     invalid ? AUTH_CHALLENGE ", error=\"invalid_token\"" : AUTH_CHALLENGE);
    return BF_EAUTH;
}

static unsigned role_bit(enum auth_role r)
{
    return (unsigned)r;
}

static void mask_names(unsigned mask, char *out, size_t n)
{
    static const enum auth_role all[] = { AUTH_OFFICER, AUTH_AUDITOR, AUTH_ADMIN, AUTH_PUBLIC };
    size_t i, o = 0;
    out[0] = '\0';
    for (i = 0; i < BF_ARRAY_LEN(all); i++) {
        if (mask & role_bit(all[i])) {
            int w = snprintf(out + o, n - o, "%s%s", o ? ", " : "", auth_role_name(all[i]));
            if (w < 0 || (size_t)w >= n - o)
                return;
            o += (size_t)w;
        }
    }
}

static int authenticate(struct http_req *req, struct http_resp *resp, struct store *s, unsigned mask,
                        struct auth_principal *who)
{
    struct bf_err err = { 0 };
    const char *token = http_req_bearer(req);
    char names[64];
    int rc;

    if (!token) {
        if (mask & AUTH_PUBLIC) {
            auth_principal_public(who);
            return 0;
        }
        if (http_req_header(req, "Authorization"))
            return refuse_401(resp, "the Authorization header must be \"Bearer <token>\"", 1);
        return refuse_401(resp, "this endpoint needs a bearer token (Authorization: Bearer bfy_...)", 0);
    }
    rc = auth_check_token(s, token, (int64_t)time(NULL), who, &err);
    if (rc == BF_EAUTH)
        return refuse_401(resp, err.msg, 1);
    if (rc) {
        http_resp_bf_err(resp, &err);
        return rc;
    }
    if (!(mask & role_bit(who->role))) {
        mask_names(mask & ~(unsigned)AUTH_PUBLIC, names, sizeof names);
        http_resp_error(resp, 403, "forbidden", NULL, "a token of role %s cannot do this (needs: %s)",
                        auth_role_name(who->role), names[0] ? names : "none");
        return BF_EFORBIDDEN;
    }
    return 0;
}

int auth_require(struct http_req *req, struct http_resp *resp, struct store *s, unsigned roles_mask,
                 struct auth_principal *who)
{
    return authenticate(req, resp, s, roles_mask, who);
}

int auth_identify(struct http_req *req, struct http_resp *resp, struct store *s, struct auth_principal *who)
{
    return authenticate(req, resp, s, AUTH_PUBLIC | AUTH_ANY_TOKEN, who);
}

static int put_time(struct bf_buf *b, const char *key, int64_t t)
{
    struct tm tm;
    time_t tt = (time_t)t;
    char text[32];

    if (!t)
        return bf_buf_printf(b, ",\"%s\":null", key);
    if (!gmtime_r(&tt, &tm))
        return BF_EINVAL;
    strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return bf_buf_printf(b, ",\"%s\":\"%s\"", key, text);
}

/* {"id":..,"role":..,"buyer":..,"label":..,"created":..,"expires":..,"revoked":..} */
static int token_json(struct bf_buf *b, const struct auth_token_info *t, const struct auth_principal *who)
{
    int rc = bf_buf_printf(b, "{\"id\":\"%s\",\"role\":\"%s\",\"buyer\":", t->id, auth_role_name(t->role));
    if (!rc)
        rc = t->buyer[0] ? bf_buf_json_str(b, t->buyer, strlen(t->buyer)) : bf_buf_puts(b, "null");
    if (!rc)
        rc = bf_buf_puts(b, ",\"label\":");
    if (!rc)
        rc = bf_buf_json_str(b, t->label, strlen(t->label));
    if (!rc && who) {
        rc = bf_buf_puts(b, ",\"actor\":");
        if (!rc)
            rc = bf_buf_json_str(b, who->actor, strlen(who->actor));
    }
    if (!rc)
        rc = put_time(b, "created", t->created);
    if (!rc)
        rc = put_time(b, "expires", t->expires);
    if (!rc)
        rc = put_time(b, "revoked", t->revoked_at);
    if (!rc)
        rc = bf_buf_putc(b, '}');
    return rc;
}

static int me_handler(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct app *app = ctx;
    struct auth_principal who;
    struct auth_token_info info;
    struct bf_err err = { 0 };
    int rc;

    if (auth_require(req, resp, app->store, AUTH_ANY_TOKEN, &who) < 0)
        return 0;
    rc = store_auth_get(app->store, who.id, &info, &err);
    if (rc) {
        http_resp_bf_err(resp, &err);
        return 0;
    }
    resp->cache = HTTP_CACHE_NONE;
    rc = token_json(&resp->body, &info, &who);
    return rc ? rc : 0;
}

struct list_state {
    struct bf_buf *b;
    int n;
};

static int list_one(const struct auth_token_info *t, void *arg)
{
    struct list_state *ls = arg;
    int rc = 0;
    if (ls->n++)
        rc = bf_buf_putc(ls->b, ',');
    return rc ? rc : token_json(ls->b, t, NULL);
}

static int tokens_handler(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct app *app = ctx;
    struct auth_principal who;
    struct bf_err err = { 0 };
    struct list_state ls = { &resp->body, 0 };
    int rc;

    if (auth_require(req, resp, app->store, AUTH_ADMIN, &who) < 0)
        return 0;
    resp->cache = HTTP_CACHE_NONE;
    rc = bf_buf_puts(&resp->body, "{\"tokens\":[");
    if (!rc)
        rc = store_auth_each(app->store, list_one, &ls, &err);
    if (!rc)
        rc = bf_buf_puts(&resp->body, "]}");
    if (rc) {
        if (!err.code)
            bf_err_set(&err, rc, "listing tokens");
        http_resp_bf_err(resp, &err);
    }
    return 0;
}

int auth_mount(struct app *app, struct bf_err *err)
{
    static const struct http_route_opts me_opts = {
        .summary = "Who am I: the role, token id, buyer and ledger actor of the bearer token (any role)",
        .tag = "access",
        .max_body = 0,
    };
    static const struct http_route_opts tokens_opts = {
        .summary = "List every token ever issued: id, role, buyer, label, created, expires, revoked (admin; "
                   "no secrets)",
        .tag = "access",
    };
    int rc = http_route(app->http, "GET", "/api/v1/me", me_handler, app, &me_opts);
    if (rc)
        return bf_err_set(err, rc, "registering /api/v1/me");
    rc = http_route(app->http, "GET", "/api/v1/tokens", tokens_handler, app, &tokens_opts);
    if (rc)
        return bf_err_set(err, rc, "registering /api/v1/tokens");
    return 0;
}
