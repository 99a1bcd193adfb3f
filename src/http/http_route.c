/*
 * http_route.c - the route table: registration, matching and the OpenAPI
 * document generated from it.
 *
 * Matching rule: a route matches when every literal segment is equal,
 * every "{name}" segment is a non-empty path segment and a final "*"
 * takes the rest. Among matching routes the one with a literal at the
 * first position where they differ wins, so /api/v1/records/export beats
 * /api/v1/records/{ocid}.
 */
#include "common.h"
#include "http_int.h"

static char *dup_or_null(const char *s)
{
    return s ? bf_xstrdup(s) : NULL;
}

int http_route(struct http_server *s, const char *method, const char *pattern, http_handler h, void *ctx,
               const struct http_route_opts *opts)
{
    struct http_route r;
    char *p, *seg;
    int i;

    memset(&r, 0, sizeof r);
    if (pattern[0] != '/')
        return BF_EINVAL;
    for (i = 0; i < s->nroutes; i++)
        if (!strcmp(s->routes[i].method, method) && !strcmp(s->routes[i].pattern, pattern))
            return BF_EEXIST;
    r.method = bf_xstrdup(method);
    r.pattern = bf_xstrdup(pattern);
    p = bf_xstrdup(pattern + 1);
    seg = p;
    while (seg && *seg) {
        char *slash = strchr(seg, '/');
        if (slash)
            *slash = '\0';
        if (r.nsegs == HTTP_MAX_SEGS) {
            free(p);
            return BF_ELIMIT;
        }
        r.segs[r.nsegs++] = bf_xstrdup(seg);
        seg = slash ? slash + 1 : NULL;
    }
    free(p);
    if (r.nsegs && !strcmp(r.segs[r.nsegs - 1], "*"))
        r.rest = 1;
    r.handler = h;
    r.ctx = ctx;
    if (opts) {
        r.opts = *opts;
        r.opts.summary = dup_or_null(opts->summary);
        r.opts.tag = dup_or_null(opts->tag);
        r.opts.request_schema = dup_or_null(opts->request_schema);
        r.opts.response_schema = dup_or_null(opts->response_schema);
    }
    if (s->nroutes == s->caproutes) {
        s->caproutes = s->caproutes ? 2 * s->caproutes : 32;
        s->routes = bf_xrealloc(s->routes, (size_t)s->caproutes * sizeof *s->routes);
    }
    s->routes[s->nroutes++] = r;
    return 0;
}

/* Splits path into segments in the arena; returns count or -1 if too many. */
static int split_path(struct bf_arena *a, const char *path, char **segs, int max, const char **rests)
{
    int n = 0;
    const char *p = path;

    if (*p == '/')
        p++;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (n == max)
            return -1;
        rests[n] = p;
        segs[n++] = bf_arena_strndup(a, p, len);
        if (!slash)
            break;
        p = slash + 1;
        if (!*p) { /* trailing slash: an empty last segment */
            rests[n] = p;
            segs[n++] = bf_arena_strdup(a, "");
            break;
        }
    }
    return n;
}

/* Match score: bit i (from the top) set when segment i is literal. */
static int route_try(struct http_route *r, char **segs, const char **rests, int n, uint32_t *score)
{
    int i, fixed = r->rest ? r->nsegs - 1 : r->nsegs;
    uint32_t sc = 0;

    if (r->rest ? n < fixed : n != fixed)
        return 0;
    for (i = 0; i < fixed; i++) {
        const char *pat = r->segs[i];
        if (pat[0] == '{') {
            if (!segs[i][0])
                return 0;
        } else {
            if (strcmp(pat, segs[i]))
                return 0;
            sc |= 1u << (31 - (i < 31 ? i : 31));
        }
    }
    (void)rests;
    *score = sc;
    return 1;
}

struct http_route *http_route_match(struct http_server *s, const char *method, const char *path,
                                    struct http_req *req, int *path_matched, struct bf_buf *allow)
{
    char *segs[64];
    const char *rests[64];
    struct http_route *best = NULL;
    uint32_t best_score = 0;
    int i, n;
    int same_method_get = !strcmp(method, "HEAD");

    *path_matched = 0;
    n = split_path(req->arena, path, segs, 64, rests);
    if (n < 0)
        return NULL;
    for (i = 0; i < s->nroutes; i++) {
        struct http_route *r = &s->routes[i];
        uint32_t sc;
        if (!route_try(r, segs, rests, n, &sc))
            continue;
        if (strcmp(r->method, method) && !(same_method_get && !strcmp(r->method, "GET"))) {
            *path_matched = 1;
            if (allow && (allow->len == 0 || !strstr(allow->data, r->method))) {
                if ((allow->len && bf_buf_puts(allow, ", ") < 0) || bf_buf_puts(allow, r->method) < 0)
                    return NULL;
            }
            continue;
        }
        if (!best || sc > best_score) {
            best = r;
            best_score = sc;
        }
    }
    if (!best)
        return NULL;
    req->nparams = 0;
    for (i = 0; i < best->nsegs && req->nparams < HTTP_MAX_PARAMS; i++) {
        const char *pat = best->segs[i];
        if (pat[0] == '{') {
            size_t len = strlen(pat);
            req->param_names[req->nparams] = bf_arena_strndup(req->arena, pat + 1, len >= 2 ? len - 2 : 0);
            req->params[req->nparams++] = segs[i];
        } else if (!strcmp(pat, "*") && best->rest && i == best->nsegs - 1) {
            req->param_names[req->nparams] = "*";
            req->params[req->nparams++] = i < n ? rests[i] : "";
        }
    }
    return best;
}

static int json_str(struct bf_buf *b, const char *s)
{
    return bf_buf_json_str(b, s, strlen(s));
}

/* OpenAPI path: "{x}" stays, a final "*" becomes "{path}". */
static int openapi_path(struct bf_buf *b, const struct http_route *r)
{
    struct bf_buf p = BF_BUF_INIT;
    int i, rc = 0;
    for (i = 0; i < r->nsegs && !rc; i++) {
        rc = bf_buf_putc(&p, '/');
        if (!rc)
            rc = bf_buf_puts(&p, (r->rest && i == r->nsegs - 1) ? "{path}" : r->segs[i]);
    }
    if (!rc)
        rc = json_str(b, p.len ? p.data : "/");
    bf_buf_free(&p);
    return rc;
}

static int openapi_params(struct bf_buf *b, const struct http_route *r)
{
    int i, first = 1, rc = 0;
    rc = bf_buf_puts(b, "\"parameters\":[");
    for (i = 0; i < r->nsegs && !rc; i++) {
        const char *seg = r->segs[i];
        char name[128];
        if (seg[0] == '{')
            snprintf(name, sizeof name, "%.*s", (int)strlen(seg) - 2, seg + 1);
        else if (r->rest && i == r->nsegs - 1)
            snprintf(name, sizeof name, "path");
        else
            continue;
        rc = bf_buf_printf(b, "%s{\"name\":", first ? "" : ",");
        if (!rc)
            rc = json_str(b, name);
        if (!rc)
            rc = bf_buf_puts(b, ",\"in\":\"path\",\"required\":true,\"schema\":{\"type\":\"string\"}}");
        first = 0;
    }
    if (!rc)
        rc = bf_buf_putc(b, ']');
    return rc;
}

static int openapi_op(struct bf_buf *b, const struct http_route *r)
{
    char method[16];
    size_t i;
    int rc;

    for (i = 0; r->method[i] && i < sizeof method - 1; i++)
        method[i] = (char)(r->method[i] | 0x20);
    method[i] = '\0';
    rc = json_str(b, method);
    rc = rc ? rc : bf_buf_puts(b, ":{\"summary\":");
    rc = rc ? rc : json_str(b, r->opts.summary ? r->opts.summary : r->pattern);
    rc = rc ? rc : bf_buf_puts(b, ",\"tags\":[");
    rc = rc ? rc : json_str(b, r->opts.tag ? r->opts.tag : "other");
    rc = rc ? rc : bf_buf_puts(b, "],\"operationId\":");
    if (!rc) {
        char id[256];
        size_t o = 0;
        const char *p;
        o += (size_t)snprintf(id, sizeof id, "%s", method);
        for (p = r->pattern; *p && o < sizeof id - 1; p++)
            id[o++] = (char)((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ? *p : '_');
        id[o] = '\0';
        rc = json_str(b, id);
    }
    rc = rc ? rc : bf_buf_putc(b, ',');
    rc = rc ? rc : openapi_params(b, r);
    if (!rc && r->opts.request_schema)
        rc = bf_buf_printf(b, ",\"requestBody\":{\"required\":true,\"content\":{\"application/json\":{\"schema\":%s}}}",
                           r->opts.request_schema);
    rc = rc ? rc : bf_buf_puts(b, ",\"responses\":{\"200\":{\"description\":\"OK\"");
    if (!rc && r->opts.response_schema)
        rc = bf_buf_printf(b, ",\"content\":{\"application/json\":{\"schema\":%s}}", r->opts.response_schema);
    rc = rc ? rc : bf_buf_puts(b, "},\"default\":{\"description\":\"Error\",\"content\":{\"application/json\":"
                                  "{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}}}");
    if (!rc && r->opts.write)
        rc = bf_buf_puts(b, ",\"security\":[{\"bearer\":[]}]");
    rc = rc ? rc : bf_buf_putc(b, '}');
    return rc;
}

int http_openapi(struct http_server *s, struct bf_buf *b)
{
    int i, j, rc;
    char *done = bf_xcalloc((size_t)s->nroutes + 1, 1);

    rc = bf_buf_puts(b, "{\"openapi\":\"3.1.0\",\"info\":{\"title\":\"Belfry API\",\"version\":\"1\","
                        "\"description\":\"Belgian defence records in a verifiable transparency log.\","
                        "\"license\":{\"name\":\"Open data\",\"identifier\":\"CC0-1.0\"}},"
                        "\"components\":{\"securitySchemes\":{\"bearer\":{\"type\":\"http\",\"scheme\":\"bearer\"}},"
                        "\"schemas\":{\"Error\":{\"type\":\"object\",\"required\":[\"error\"],\"properties\":{\"error\":"
                        "{\"type\":\"object\",\"required\":[\"status\",\"code\",\"message\"],\"properties\":{"
                        "\"status\":{\"type\":\"integer\"},\"code\":{\"type\":\"string\"},\"message\":{\"type\":\"string\"},"
                        "\"rule\":{\"type\":\"string\"}}}}}}},\"paths\":{");
    for (i = 0; i < s->nroutes && !rc; i++) {
        if (done[i])
            continue;
        if (i && b->data[b->len - 1] != '{')
            rc = bf_buf_putc(b, ',');
        rc = rc ? rc : openapi_path(b, &s->routes[i]);
        rc = rc ? rc : bf_buf_putc(b, ':');
        rc = rc ? rc : bf_buf_putc(b, '{');
        for (j = i; j < s->nroutes && !rc; j++) {
            if (done[j] || strcmp(s->routes[j].pattern, s->routes[i].pattern))
                continue;
            if (j != i)
                rc = bf_buf_putc(b, ',');
            rc = rc ? rc : openapi_op(b, &s->routes[j]);
            done[j] = 1;
        }
        rc = rc ? rc : bf_buf_putc(b, '}');
    }
    rc = rc ? rc : bf_buf_puts(b, "}}");
    free(done);
    return rc;
}
