/*
 * http_resp.c - request accessors and response builders, including the one
 * JSON error format every endpoint uses.
 */
#include "common.h"
#include "http_int.h"

void http_resp_init(struct http_resp *r, struct bf_arena *a, size_t max)
{
    memset(r, 0, sizeof *r);
    r->status = 200;
    r->content_type = "application/json";
    r->short_seconds = 5;
    r->arena = a;
    bf_buf_init(&r->body, max);
}

void http_resp_header(struct http_resp *r, const char *name, const char *value)
{
    int i;
    for (i = 0; i < r->nheaders; i++) {
        if (!strcasecmp(r->hname[i], name)) {
            r->hvalue[i] = bf_arena_strdup(r->arena, value);
            return;
        }
    }
    if (r->nheaders == HTTP_MAX_HEADERS)
        return;
    r->hname[r->nheaders] = bf_arena_strdup(r->arena, name);
    r->hvalue[r->nheaders] = bf_arena_strdup(r->arena, value);
    r->nheaders++;
}

static void resp_error_v(struct http_resp *r, int status, const char *code, const char *rule, const char *fmt,
                         va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    bf_buf_reset(&r->body);
    r->status = status;
    r->content_type = "application/json";
    r->cache = HTTP_CACHE_NONE;
    r->etag = NULL;
    r->body_is_gzip = 0;
    /* The error body is small and bounded; failure to append is not possible
     * below the response ceiling, so results are checked once at the end. */
    if (bf_buf_printf(&r->body, "{\"error\":{\"status\":%d,\"code\":", status) < 0 ||
        bf_buf_json_str(&r->body, code, strlen(code)) < 0 || bf_buf_puts(&r->body, ",\"message\":") < 0 ||
        bf_buf_json_str(&r->body, msg, strlen(msg)) < 0)
        return;
    if (rule && (bf_buf_puts(&r->body, ",\"rule\":") < 0 || bf_buf_json_str(&r->body, rule, strlen(rule)) < 0))
        return;
    if (bf_buf_puts(&r->body, "}}\n") < 0)
        return;
}

void http_resp_error(struct http_resp *r, int status, const char *code, const char *rule, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    resp_error_v(r, status, code, rule, fmt, ap);
    va_end(ap);
}

void http_resp_bf_err(struct http_resp *r, const struct bf_err *err)
{
    int code = err && err->code ? err->code : BF_EIO;
    http_resp_error(r, bf_err_http_status(code), bf_err_name(code), NULL, "%s",
                    err && err->msg[0] ? err->msg : "internal error");
}

int http_resp_text(struct http_resp *r, const char *content_type, const char *text, size_t len)
{
    r->content_type = content_type;
    bf_buf_reset(&r->body);
    return bf_buf_append(&r->body, text, len);
}

const char *http_req_header(struct http_req *r, const char *name)
{
    struct http_conn_state *st = r->internal;
    struct MHD_Connection *c = st ? st->conn : NULL;
    if (!c)
        return NULL;
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

const char *http_req_query(struct http_req *r, const char *key)
{
    struct http_conn_state *st = r->internal;
    struct MHD_Connection *c = st ? st->conn : NULL;
    if (!c)
        return NULL;
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
}

const char *http_req_param(struct http_req *r, const char *name)
{
    int i;
    for (i = 0; i < r->nparams; i++)
        if (!strcmp(r->param_names[i], name))
            return r->params[i];
    return NULL;
}

const char *http_req_bearer(struct http_req *r)
{
    const char *h = http_req_header(r, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7))
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    return *h ? h : NULL;
}

const char *http_req_lang(struct http_req *r)
{
    static const char *const langs[] = { "en", "nl", "fr", "de" };
    const char *q = http_req_query(r, "lang"), *al;
    size_t i;

    if (q)
        for (i = 0; i < BF_ARRAY_LEN(langs); i++)
            if (!strcmp(q, langs[i]))
                return langs[i];
    al = http_req_header(r, "Accept-Language");
    while (al && *al) {
        while (*al == ' ' || *al == ',')
            al++;
        for (i = 0; i < BF_ARRAY_LEN(langs); i++)
            if (!strncasecmp(al, langs[i], 2) && (al[2] == '\0' || al[2] == '-' || al[2] == ',' || al[2] == ';'))
                return langs[i];
        al = strchr(al, ',');
    }
    return "en";
}
