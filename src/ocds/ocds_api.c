/*
 * ocds_api.c - the public OCDS read API mounted by `belfry serve`:
 *
 *   GET /api/v1/releases/{ocid}/{id}       public release (JCS text, as logged);
 *                                          ?full=1 with an auditor token adds
 *                                          the withheld values and salts
 *   GET /api/v1/records/{ocid}             record: linked releases (each with
 *                                          id, logIndex, sha256 and receipt
 *                                          link), compiledRelease, versionedRelease
 *   GET /api/v1/records?after=OCID&limit=N record list (ocid order)
 *   GET /api/v1/releases?after=I&limit=N   change feed in log order; the cursor
 *                                          is the log index, "next" continues
 *   POST /api/v1/import                    admin: import OCDS data (any layout
 *                                          `belfry import` reads) into the
 *                                          running server; answers with the
 *                                          counts and the per-item report
 *   GET /api/v1/export?format=..&compress=.. bulk export: release-package,
 *                                          record-package, jsonl, or one CSV
 *                                          table (&table=main), gzip or zstd;
 *                                          bounded by the response ceiling
 *
 * Invariants: public responses are built only from public release text
 * (withheld markers, never values); the auditor view is sent with private
 * caching only. Every parameter is length- and range-checked; a listing
 * returns at most OCDS_API_MAX_LIMIT items.
 */
#include "common.h"
#include "hash.h"
#include "ocds.h"
#include "ocds_import.h"
#include "ocds_jv.h"
#include "arena.h"
#include "cli/app.h"
#include "buf.h"
#include "auth/auth.h"
#include "http/http.h"
#include "store/store_ocds.h"
#include "ocds_export.h"
#include "fs.h"

#include <dirent.h>
#include <sys/stat.h>

#define OCDS_API_MAX_LIMIT 1000
#define OCDS_API_DEFAULT_LIMIT 100
#define OCDS_API_MAX_KEY 1024
#define OCDS_API_MAX_IMPORT ((size_t)64 << 20)
#define OCDS_API_MAX_REPORT 1000
#define OCDS_API_MAX_EXPORT 200000 /* releases; larger stores: `belfry export` */

static struct ocds_api {
    struct app *app;
    struct ocds_ctx *c;
} api;

/* ---- helpers ------------------------------------------------------------- */

static int bad_request(struct http_resp *resp, const char *what)
{
    http_resp_error(resp, 400, "invalid", NULL, "%s", what);
    return 0;
}

/* "http(s)://host" of the request, for absolute links. */
static const char *base_url(struct http_req *req)
{
    const char *host = http_req_header(req, "Host");
    const char *proto = http_req_header(req, "X-Forwarded-Proto");
    if (!host || !*host || strlen(host) > 255 || strpbrk(host, " \"<>\\/"))
        host = "localhost";
    if (!proto || (strcmp(proto, "https") && strcmp(proto, "http")))
        proto = "http";
    return bf_arena_printf(req->arena, "%s://%s", proto, host);
}

static int put_pct(struct bf_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = 0;
    for (; *s && !rc; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || strchr("-._~", ch))
            rc = bf_buf_putc(b, (char)ch);
        else
            rc = bf_buf_printf(b, "%%%c%c", hex[ch >> 4], hex[ch & 15]);
    }
    return rc;
}

static int put_str(struct bf_buf *b, const char *s)
{
    return bf_buf_json_str(b, s, strlen(s));
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;
    if (!s || !*s || *s == '-' || *s == '+' || strlen(s) > 20)
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

static int limit_param(struct http_req *req, uint64_t *limit)
{
    const char *l = http_req_query(req, "limit");
    *limit = OCDS_API_DEFAULT_LIMIT;
    return l ? parse_u64(l, OCDS_API_MAX_LIMIT, limit) < 0 || *limit == 0 ? -1 : 0 : 0;
}

static int key_ok(const char *s)
{
    return s && *s && strlen(s) <= OCDS_API_MAX_KEY;
}

/* ---- one release ------------------------------------------------------------ */

static int auditor_release(struct http_req *req, struct http_resp *resp, const char *ocid, const char *id)
{
    struct auth_principal who;
    struct bf_err err = { 0 };
    json_t *v = NULL;
    uint64_t idx = 0;
    int rc;

    if (auth_require(req, resp, api.app->store, AUTH_READ_WITHHELD, &who) < 0)
        return 0;
    rc = ocds_get_release(api.c, ocid, id, 1, &v, &idx, &err);
    if (!rc)
        rc = ocds_jcs(v, &resp->body, &err);
    json_decref(v);
    if (rc) {
        http_resp_bf_err(resp, &err);
        return 0;
    }
    resp->cache = HTTP_CACHE_PRIVATE;
    http_resp_header(resp, "X-Belfry-Log-Index", bf_arena_printf(req->arena, "%" PRIu64, idx));
    return 0;
}

static int h_release(struct http_req *req, struct http_resp *resp, void *ctx)
{
    const char *ocid = http_req_param(req, "ocid"), *id = http_req_param(req, "id");
    const char *full = http_req_query(req, "full");
    struct bf_err err = { 0 };
    char *body = NULL;
    size_t len = 0;
    uint64_t idx = 0;
    int rc;

    (void)ctx;
    if (!key_ok(ocid) || !key_ok(id))
        return bad_request(resp, "ocid and release id must be 1..1024 bytes");
    if (full && strcmp(full, "0"))
        return auditor_release(req, resp, ocid, id);
    rc = store_ocds_release_body(api.app->store, ocid, id, &body, &len, &idx, &err);
    if (rc) {
        http_resp_bf_err(resp, &err);
        return 0;
    }
    rc = http_resp_text(resp, "application/json", body, len);
    free(body);
    if (rc < 0) {
        http_resp_error(resp, 413, "limit", NULL, "release too large for a response");
        return 0;
    }
    resp->cache = HTTP_CACHE_IMMUTABLE; /* releases never change */
    http_resp_header(resp, "X-Belfry-Log-Index", bf_arena_printf(req->arena, "%" PRIu64, idx));
    http_resp_header(resp, "Link", bf_arena_printf(req->arena, "</log/proof/%" PRIu64 ">; rel=\"receipt\"", idx));
    return 0;
}

/* ---- records ------------------------------------------------------------------ */

/* The link fields of a release, its object left open (the feed adds to it). */
static int put_link(struct bf_buf *b, const char *base, const struct store_ocds_release *r)
{
    int rc = bf_buf_puts(b, "{\"url\":\"");
    rc = rc ? rc : bf_buf_puts(b, base);
    rc = rc ? rc : bf_buf_puts(b, "/api/v1/releases/");
    rc = rc ? rc : put_pct(b, r->ocid);
    rc = rc ? rc : bf_buf_putc(b, '/');
    rc = rc ? rc : put_pct(b, r->id);
    rc = rc ? rc : bf_buf_puts(b, "\",\"date\":");
    rc = rc ? rc : put_str(b, r->date);
    rc = rc ? rc : bf_buf_puts(b, ",\"tag\":");
    rc = rc ? rc : bf_buf_puts(b, r->tags);
    rc = rc ? rc : bf_buf_puts(b, ",\"id\":");
    rc = rc ? rc : put_str(b, r->id);
    rc = rc ? rc : bf_buf_printf(b, ",\"logIndex\":%" PRIu64 ",\"sha256\":\"%s\",\"receipt\":\"%s/log/proof/%" PRIu64 "\"",
                                 r->index, r->sha256, base, r->index);
    return rc;
}

struct rec_acc {
    struct bf_buf *b;
    const char *base;
    const char *ocid;
    struct ocds_trees rel; /* the releases, parsed: the versioned release is merged from them */
    struct bf_arena arena; /* their trees */
    int behind;        /* the stored compiled release is behind (compiled_n < nrel): merge it too */
    struct bf_buf pre; /* "<base>/api/v1/releases/<ocid %-encoded>/": the same in every link */
    size_t base_len;
    const char *inm;   /* the request's If-None-Match, or NULL */
    char *etag;        /* out: the record's ETag (quoted), when wanted */
    size_t etag_cap;
    struct bf_err *err;
    int n;
};

/* Returned by rec_head when the client's copy is current: stops the read
 * before any link is built. Positive, so never mistaken for a BF_E* code. */
#define REC_NOT_MODIFIED 1

/* Upper bound of the percent-encoding of n bytes. */
#define PCT_MAX(n) (3 * (n))
/* Upper bound of the JSON string literal of n bytes (\u00xx is 6 bytes). */
#define JSTR_MAX(n) (6 * (n) + 2)

/* Writes into space already reserved; each returns the end of what it wrote.
 * A record's links are built this way (put_rec_link gives the same bytes
 * as put_link plus its closing brace) because put_link made some twenty
 * bf_buf calls and a printf per release, on the hottest read path. */
static char *raw_cpy(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

#define RAW_LIT(p, lit) raw_cpy((p), (lit), sizeof(lit) - 1)

/* The bytes put_pct writes. */
static char *raw_pct(char *p, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
            ch == '.' || ch == '_' || ch == '~') {
            *p++ = (char)ch;
        } else {
            *p++ = '%';
            *p++ = hex[ch >> 4];
            *p++ = hex[ch & 15];
        }
    }
    return p;
}

/* The bytes bf_buf_json_str writes (RFC 8785 escaping). */
static char *raw_jstr(char *p, const char *s, size_t n)
{
    size_t i;
    *p++ = '"';
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            *p++ = (char)c;
        else
            p = ocds_jcs_escape(p, c);
    }
    *p++ = '"';
    return p;
}

static char *raw_u64(char *p, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10));
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* One element of "releases" (with its leading comma after the first):
 * {"url":..,"date":..,"tag":..,"id":..,"logIndex":..,"sha256":..,"receipt":..}. */
static int put_rec_link(struct rec_acc *a, const struct store_ocds_release *r)
{
    static const char u[] = "{\"url\":\"", d[] = "\",\"date\":", t[] = ",\"tag\":", i[] = ",\"id\":",
                      li[] = ",\"logIndex\":", sh[] = ",\"sha256\":\"", rc_[] = "\",\"receipt\":\"",
                      pr[] = "/log/proof/";
    size_t idn = strlen(r->id), dn = strlen(r->date), tn = strlen(r->tags), shn = strlen(r->sha256);
    size_t need = 1 + sizeof u + a->pre.len + PCT_MAX(idn) + sizeof d + JSTR_MAX(dn) + sizeof t + tn + sizeof i +
                  JSTR_MAX(idn) + sizeof li + 20 + sizeof sh + shn + sizeof rc_ + a->base_len + sizeof pr + 20 + 2;
    char *p;

    if (bf_buf_reserve(a->b, need) < 0)
        return BF_ELIMIT;
    p = a->b->data + a->b->len;
    if (a->n++)
        *p++ = ',';
    p = RAW_LIT(p, u);
    p = raw_cpy(p, a->pre.data, a->pre.len);
    p = raw_pct(p, r->id, idn);
    p = RAW_LIT(p, d);
    p = raw_jstr(p, r->date, dn);
    p = RAW_LIT(p, t);
    p = raw_cpy(p, r->tags, tn);
    p = RAW_LIT(p, i);
    p = raw_jstr(p, r->id, idn);
    p = RAW_LIT(p, li);
    p = raw_u64(p, r->index);
    p = RAW_LIT(p, sh);
    p = raw_cpy(p, r->sha256, shn);
    p = RAW_LIT(p, rc_);
    p = raw_cpy(p, a->base, a->base_len);
    p = RAW_LIT(p, pr);
    p = raw_u64(p, r->index);
    *p++ = '"';
    *p++ = '}';
    a->b->len = (size_t)(p - a->b->data);
    a->b->data[a->b->len] = '\0';
    return 0;
}

static int rec_head(void *arg, const struct store_ocds_record *rec)
{
    struct rec_acc *a = arg;
    int rc;

    /* Releases are immutable and only appended, each with a larger log
     * index, so (last index, count) names the release set and with it the
     * whole record; compiled_n is in too so that a record whose stored
     * merge catches up gets a new tag even if the bytes should not change.
     * This replaces the HTTP layer's SHA-256 over ~23 KB per response. */
    if (a->etag) {
        snprintf(a->etag, a->etag_cap, "\"r1-%" PRIx64 "-%" PRIx64 "-%" PRIx64 "-%016" PRIx64 "\"", rec->last_index,
                 rec->nrel, rec->compiled_n, bf_hash_str(a->base)); /* links are absolute: the base is in the tag */
        if (a->inm && http_etag_matches(a->inm, a->etag))
            return REC_NOT_MODIFIED;
    }
    a->behind = rec->compiled_n != rec->nrel;
    /* One allocation for the whole response instead of doubling from 64
     * bytes: the stored text, a generous link size per release, and about
     * three times the compiled release for the versioned one. That is a
     * guess; past the buffer's limit, room for the stored text will do
     * and the writes say whether the rest fits. */
    if (bf_buf_reserve(a->b, 4 * rec->compiled_len + (size_t)rec->nrel * (a->pre.len + 512) + 256) < 0 &&
        (rc = bf_buf_reserve(a->b, rec->compiled_len + 256)) < 0)
        return rc;
    rc = bf_buf_puts(a->b, "{\"ocid\":");
    rc = rc ? rc : put_str(a->b, a->ocid);
    rc = rc ? rc : bf_buf_puts(a->b, ",\"releases\":[");
    return rc;
}

static int rec_row(void *arg, const struct store_ocds_release *r)
{
    struct rec_acc *a = arg;
    int rc = put_rec_link(a, r);
    return rc ? rc : ocds_trees_row(&a->rel, r);
}

/* JCS of the compiled (versioned == 0) or versioned release of the
 * record's releases, appended to b. */
static int merged_text(const struct rec_acc *a, int versioned, struct bf_buf *b)
{
    jv_t *const *v = (jv_t *const *)a->rel.v;
    return ocds_merge_texts_jv(NULL, v, a->rel.n, versioned ? NULL : b, versioned ? b : NULL, a->err);
}

static int rec_tail(void *arg, const struct store_ocds_record *rec)
{
    struct rec_acc *a = arg;
    int rc = bf_buf_puts(a->b, "],\"compiledRelease\":");
    if (!rc && !a->behind)
        rc = bf_buf_append(a->b, rec->compiled, rec->compiled_len);
    else if (!rc)
        rc = merged_text(a, 0, a->b);
    rc = rc ? rc : bf_buf_puts(a->b, ",\"versionedRelease\":");
    rc = rc ? rc : merged_text(a, 1, a->b);
    return rc ? rc : bf_buf_putc(a->b, '}');
}

/* The record of ocid into b; with etag (etag_cap bytes, >= 96) also its
 * ETag, and when inm (If-None-Match) matches it, REC_NOT_MODIFIED with
 * nothing written. */
static int record_build(struct store *s, const char *ocid, const char *base, const char *inm, char *etag,
                        size_t etag_cap, struct bf_buf *b, struct bf_err *err)
{
    struct rec_acc a;
    int rc;

    memset(&a, 0, sizeof a);
    a.b = b;
    a.base = base;
    a.base_len = strlen(base);
    a.ocid = ocid;
    a.inm = inm;
    a.etag = etag;
    a.etag_cap = etag_cap;
    a.err = err;
    a.rel.arena = &a.arena;
    a.rel.err = err;
    rc = bf_buf_puts(&a.pre, base);
    rc = rc ? rc : bf_buf_puts(&a.pre, "/api/v1/releases/");
    rc = rc ? rc : put_pct(&a.pre, ocid);
    rc = rc ? rc : bf_buf_putc(&a.pre, '/');
    rc = rc ? rc : store_ocds_record_serve(s, ocid, rec_head, rec_row, rec_tail, &a, err);
    ocds_trees_free(&a.rel);
    bf_arena_free(&a.arena);
    bf_buf_free(&a.pre);
    if (rc < 0 && err && !err->code)
        bf_err_set(err, rc, "building record %s", ocid);
    return rc;
}

int ocds_record_json(struct store *s, const char *ocid, const char *base, struct bf_buf *b, struct bf_err *err)
{
    return record_build(s, ocid, base, NULL, NULL, 0, b, err);
}

static int load_body(void *arg, const struct store_ocds_release *r)
{
    json_t *v = json_loadb(r->body, r->body_len, 0, NULL);
    if (!v)
        return BF_ECORRUPT;
    return json_array_append_new(arg, v) ? BF_ENOMEM : 0;
}

int ocds_record_compiled(struct store *s, const char *ocid, json_t **out, struct bf_err *err)
{
    struct store_ocds_record rec;
    json_t *all = NULL, **v = NULL;
    json_error_t jerr;
    size_t i;
    int rc;

    *out = NULL;
    rc = store_ocds_record_get(s, ocid, &rec, err);
    if (rc)
        return rc;
    if (rec.compiled_n == rec.nrel) {
        *out = json_loadb(rec.compiled, rec.compiled_len, 0, &jerr);
        rc = *out ? 0 : bf_err_set(err, BF_ECORRUPT, "stored compiled release of %s: %s", ocid, jerr.text);
        goto out;
    }
    all = json_array();
    rc = store_ocds_releases_of(s, ocid, load_body, all, err);
    if (rc)
        goto out;
    v = bf_xcalloc(json_array_size(all) + 1, sizeof *v);
    for (i = 0; i < json_array_size(all); i++)
        v[i] = json_array_get(all, i);
    rc = ocds_merge_compiled(v, json_array_size(all), out, err);
out:
    free(v);
    json_decref(all);
    store_ocds_record_clear(&rec);
    return rc;
}

#define REC_ETAG_MAX 96 /* "r1-" + 3 x 16 + 16 hex + dashes and quotes */

static int h_record(struct http_req *req, struct http_resp *resp, void *ctx)
{
    const char *ocid = http_req_param(req, "ocid");
    struct bf_err err = { 0 };
    char *etag;
    int rc;

    (void)ctx;
    if (!key_ok(ocid))
        return bad_request(resp, "ocid must be 1..1024 bytes");
    etag = bf_arena_alloc(req->arena, REC_ETAG_MAX);
    rc = record_build(api.app->store, ocid, base_url(req), http_req_header(req, "If-None-Match"), etag,
                      REC_ETAG_MAX, &resp->body, &err);
    if (rc < 0) {
        http_resp_bf_err(resp, &err);
        return 0;
    }
    /* On REC_NOT_MODIFIED the body is empty and the layer answers 304. */
    resp->etag = etag;
    resp->cache = HTTP_CACHE_SHORT;
    return 0;
}

struct list_acc {
    struct bf_buf *b;
    const char *base;
    struct store *s;
    int n, rc;
    char last[OCDS_API_MAX_KEY + 1];
};

static int list_row(void *arg, const char *ocid)
{
    struct list_acc *a = arg;
    struct store_ocds_record rec;
    struct bf_err err = { 0 };
    int rc = store_ocds_record_get(a->s, ocid, &rec, &err);
    if (rc)
        return a->rc = rc;
    rc = a->n++ ? bf_buf_putc(a->b, ',') : 0;
    rc = rc ? rc : bf_buf_puts(a->b, "{\"ocid\":");
    rc = rc ? rc : put_str(a->b, ocid);
    rc = rc ? rc : bf_buf_printf(a->b, ",\"releases\":%" PRIu64 ",\"lastLogIndex\":%" PRIu64 ",\"date\":", rec.nrel,
                                 rec.last_index);
    rc = rc ? rc : put_str(a->b, rec.last_date);
    rc = rc ? rc : bf_buf_puts(a->b, ",\"url\":\"");
    rc = rc ? rc : bf_buf_puts(a->b, a->base);
    rc = rc ? rc : bf_buf_puts(a->b, "/api/v1/records/");
    rc = rc ? rc : put_pct(a->b, ocid);
    rc = rc ? rc : bf_buf_puts(a->b, "\"}");
    store_ocds_record_clear(&rec);
    snprintf(a->last, sizeof a->last, "%s", ocid);
    return a->rc = rc;
}

static int h_records(struct http_req *req, struct http_resp *resp, void *ctx)
{
    const char *after = http_req_query(req, "after");
    struct list_acc a;
    struct bf_err err = { 0 };
    uint64_t limit;
    int rc;

    (void)ctx;
    if (limit_param(req, &limit) < 0)
        return bad_request(resp, "limit must be 1..1000");
    if (after && !key_ok(after))
        return bad_request(resp, "after must be an ocid");
    memset(&a, 0, sizeof a);
    a.b = &resp->body;
    a.base = base_url(req);
    a.s = api.app->store;
    rc = bf_buf_puts(a.b, "{\"records\":[");
    rc = rc ? rc : store_ocds_ocids(a.s, after, limit, list_row, &a, &err);
    rc = rc ? rc : bf_buf_puts(a.b, "]");
    if (!rc && (uint64_t)a.n == limit) {
        rc = bf_buf_printf(a.b, ",\"next\":\"%s/api/v1/records?limit=%" PRIu64 "&after=", a.base, limit);
        rc = rc ? rc : put_pct(a.b, a.last);
        rc = rc ? rc : bf_buf_putc(a.b, '"');
    }
    rc = rc ? rc : bf_buf_putc(a.b, '}');
    if (rc) {
        if (!err.code)
            bf_err_set(&err, rc, "listing records");
        http_resp_bf_err(resp, &err);
        return 0;
    }
    resp->cache = HTTP_CACHE_SHORT;
    return 0;
}

/* ---- change feed ----------------------------------------------------------------- */

struct feed_acc {
    struct bf_buf *b;
    const char *base;
    int n;
    uint64_t last;
};

static int feed_row(void *arg, const struct store_ocds_release *r)
{
    struct feed_acc *a = arg;
    int rc = a->n++ ? bf_buf_putc(a->b, ',') : 0;
    rc = rc ? rc : put_link(a->b, a->base, r);
    rc = rc ? rc : bf_buf_puts(a->b, ",\"ocid\":");
    rc = rc ? rc : put_str(a->b, r->ocid);
    rc = rc ? rc : bf_buf_puts(a->b, ",\"release\":");
    rc = rc ? rc : bf_buf_append(a->b, r->body, r->body_len);
    rc = rc ? rc : bf_buf_putc(a->b, '}');
    a->last = r->index;
    return rc;
}

static int h_feed(struct http_req *req, struct http_resp *resp, void *ctx)
{
    const char *after_s = http_req_query(req, "after");
    struct feed_acc a;
    struct bf_err err = { 0 };
    uint64_t limit, after = 0;
    int64_t from = -1;
    int rc;

    (void)ctx;
    if (limit_param(req, &limit) < 0)
        return bad_request(resp, "limit must be 1..1000");
    if (after_s) {
        if (parse_u64(after_s, INT64_MAX, &after) < 0)
            return bad_request(resp, "after must be a log index");
        from = (int64_t)after;
    }
    memset(&a, 0, sizeof a);
    a.b = &resp->body;
    a.base = base_url(req);
    rc = bf_buf_puts(a.b, "{\"releases\":[");
    rc = rc ? rc : store_ocds_feed(api.app->store, from, limit, feed_row, &a, &err);
    rc = rc ? rc : bf_buf_puts(a.b, "],\"next\":");
    /* the cursor always continues after the last release seen (or stays) */
    if (!rc && a.n)
        rc = bf_buf_printf(a.b, "\"%s/api/v1/releases?after=%" PRIu64 "&limit=%" PRIu64 "\"", a.base, a.last, limit);
    else if (!rc && from >= 0)
        rc = bf_buf_printf(a.b, "\"%s/api/v1/releases?after=%" PRId64 "&limit=%" PRIu64 "\"", a.base, from, limit);
    else if (!rc)
        rc = bf_buf_printf(a.b, "\"%s/api/v1/releases?limit=%" PRIu64 "\"", a.base, limit);
    rc = rc ? rc : bf_buf_printf(a.b, ",\"complete\":%s}", (uint64_t)a.n < limit ? "true" : "false");
    if (rc) {
        if (!err.code)
            bf_err_set(&err, rc, "reading the change feed");
        http_resp_bf_err(resp, &err);
        return 0;
    }
    resp->cache = HTTP_CACHE_SHORT;
    return 0;
}

/* ---- export ----------------------------------------------------------------------- */

struct exp_acc {
    struct ocds_export *x;
    struct bf_err *err;
    json_t **v;
    size_t n, cap;
    int rc;
};

static int exp_release(void *arg, const struct store_ocds_release *r)
{
    struct exp_acc *a = arg;
    json_error_t je;
    json_t *v = json_loadb(r->body, r->body_len, 0, &je);
    if (!v)
        return a->rc = bf_err_set(a->err, BF_ECORRUPT, "stored release %s/%s: %s", r->ocid, r->id, je.text);
    a->rc = ocds_export_add_release(a->x, v, a->err);
    json_decref(v);
    return a->rc;
}

static int exp_collect(void *arg, const struct store_ocds_release *r)
{
    struct exp_acc *a = arg;
    json_error_t je;
    json_t *v = json_loadb(r->body, r->body_len, 0, &je);
    if (!v)
        return a->rc = bf_err_set(a->err, BF_ECORRUPT, "stored release %s/%s: %s", r->ocid, r->id, je.text);
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 16;
        a->v = bf_xrealloc(a->v, a->cap * sizeof *a->v);
    }
    a->v[a->n++] = v;
    return 0;
}

struct exp_rec {
    struct store *s;
    struct exp_acc *a;
};

static int exp_record(void *arg, const char *ocid)
{
    struct exp_rec *e = arg;
    struct exp_acc *a = e->a;
    size_t i;
    int rc = store_ocds_releases_of(e->s, ocid, exp_collect, a, a->err);
    if (!rc)
        rc = ocds_export_add_record(a->x, a->v, a->n, a->err);
    for (i = 0; i < a->n; i++)
        json_decref(a->v[i]);
    a->n = 0;
    return a->rc = rc;
}

int ocds_store_export(struct store *s, struct ocds_export *x, int by_record, struct bf_err *err)
{
    struct exp_acc a = { x, err, NULL, 0, 0, 0 };
    struct exp_rec e = { s, &a };
    int rc = by_record ? store_ocds_ocids(s, NULL, 0, exp_record, &e, err) : store_ocds_feed(s, -1, 0, exp_release,
                                                                                              &a, err);
    free(a.v);
    return rc;
}

static int resp_write(void *arg, const void *data, size_t n)
{
    struct http_resp *resp = arg;
    return bf_buf_append(&resp->body, data, n);
}

/* One table of a CSV export made in a private temporary directory. */
static int csv_table(struct http_req *req, struct http_resp *resp, enum ocds_export_compress z, const char *table,
                     struct bf_err *err)
{
    char dir[] = "/tmp/belfry-csv-XXXXXX", path[4200];
    struct ocds_export *x = NULL;
    char *data = NULL;
    size_t len = 0;
    int rc;

    if (!mkdtemp(dir))
        return bf_err_set(err, BF_EIO, "temporary directory: %s", strerror(errno));
    rc = ocds_export_open_csv(dir, z, &x, err);
    if (!rc) {
        rc = ocds_store_export(api.app->store, x, 0, err);
        if (rc)
            ocds_export_abort(x);
        else
            rc = ocds_export_finish(x, err);
    }
    snprintf(path, sizeof path, "%s/%s.csv%s", dir, table,
             z == OCDS_EXPORT_GZIP ? ".gz" : z == OCDS_EXPORT_ZSTD ? ".zst" : "");
    if (!rc) {
        rc = bf_fs_read(path, resp->body.max ? resp->body.max : BF_BUF_DEFAULT_MAX, &data, &len, err);
        if (rc == BF_EIO && !bf_fs_exists(path))
            rc = bf_err_set(err, BF_ENOTFOUND, "no CSV table %s in this export", table);
    }
    if (!rc)
        rc = http_resp_text(resp, z == OCDS_EXPORT_PLAIN ? "text/csv; charset=utf-8" : ocds_export_mime(OCDS_EXPORT_CSV, z),
                            data, len);
    free(data);
    {
        DIR *d = opendir(dir);
        struct dirent *de;
        while (d && (de = readdir(d)) != NULL) {
            if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            unlink(path);
        }
        if (d)
            closedir(d);
        rmdir(dir);
    }
    (void)req;
    return rc;
}

static int table_ok(const char *t)
{
    size_t i;
    if (!*t || strlen(t) > 200)
        return 0;
    for (i = 0; t[i]; i++)
        if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= '0' && t[i] <= '9') || t[i] == '_'))
            return 0;
    return 1;
}

static int h_export(struct http_req *req, struct http_resp *resp, void *ctx)
{
    const char *fs = http_req_query(req, "format"), *zs = http_req_query(req, "compress");
    const char *table = http_req_query(req, "table");
    enum ocds_export_format f;
    enum ocds_export_compress z = OCDS_EXPORT_PLAIN;
    struct ocds_export_meta meta;
    struct ocds_export *x = NULL;
    struct bf_err err = { 0 };
    int rc;

    (void)ctx;
    if (!fs || ocds_export_format_parse(fs, &f) < 0)
        return bad_request(resp, "format must be release-package, record-package, jsonl or csv");
    {
        uint64_t nrel = 0;
        if (store_ocds_counts(api.app->store, &nrel, NULL, &err) < 0) {
            http_resp_bf_err(resp, &err);
            return 0;
        }
        if (nrel > OCDS_API_MAX_EXPORT) {
            http_resp_error(resp, 413, "limit", NULL,
                            "%" PRIu64 " releases are more than an HTTP export serves (%d); use `belfry export` "
                            "or the change feed", nrel, OCDS_API_MAX_EXPORT);
            return 0;
        }
    }
    if (zs && ocds_export_compress_parse(zs, &z) < 0)
        return bad_request(resp, "compress must be gzip or zstd");
    if (f == OCDS_EXPORT_CSV) {
        if (!table)
            table = "main";
        if (!table_ok(table))
            return bad_request(resp, "table must be a CSV table name such as main or tender_items");
        rc = csv_table(req, resp, z, table, &err);
    } else {
        memset(&meta, 0, sizeof meta);
        meta.uri = bf_arena_printf(req->arena, "%s/api/v1/export?format=%s", base_url(req), fs);
        meta.publisher_name = "Belfry";
        rc = ocds_export_open(f, z, &meta, resp_write, resp, &x, &err);
        if (!rc) {
            rc = ocds_store_export(api.app->store, x, f == OCDS_EXPORT_RECORD_PACKAGE, &err);
            if (rc)
                ocds_export_abort(x);
            else
                rc = ocds_export_finish(x, &err);
        }
        if (!rc)
            resp->content_type = ocds_export_mime(f, z);
    }
    if (rc == BF_ELIMIT || (rc && err.code == BF_ELIMIT)) {
        http_resp_error(resp, 413, "limit", NULL,
                        "the export is larger than a response may be; use `belfry export` on the server");
        return 0;
    }
    if (rc) {
        if (!err.code)
            bf_err_set(&err, rc, "export failed");
        http_resp_bf_err(resp, &err);
        return 0;
    }
    if (z != OCDS_EXPORT_PLAIN)
        resp->no_compress = 1;
    http_resp_header(resp, "Content-Disposition",
                     bf_arena_printf(req->arena, "attachment; filename=\"belfry-%s%s%s\"",
                                     f == OCDS_EXPORT_CSV ? table : fs, f == OCDS_EXPORT_CSV ? ".csv" : "",
                                     f == OCDS_EXPORT_CSV ? (z == OCDS_EXPORT_GZIP ? ".gz" : z == OCDS_EXPORT_ZSTD ? ".zst" : "")
                                                          : ocds_export_suffix(f, z)));
    resp->cache = HTTP_CACHE_SHORT;
    return 0;
}

/* Splits s at newlines in place (a strtok replacement for one delimiter). */
static char *split_line(char *s, char **save)
{
    char *p = s ? s : *save, *nl;
    if (!p || !*p)
        return NULL;
    nl = strchr(p, '\n');
    if (nl) {
        *nl = 0;
        *save = nl + 1;
    } else {
        *save = p + strlen(p);
    }
    return p;
}

/* ---- import (admin) -------------------------------------------------------------------- */

static int h_import(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct auth_principal who;
    struct ocds_importer *im = NULL;
    struct ocds_import_opts o;
    struct ocds_import_stats st;
    struct bf_err err = { 0 };
    char *rep = NULL, *line, *save;
    size_t replen = 0;
    json_t *out, *lines;
    FILE *f;
    int rc;

    (void)ctx;
    if (auth_require(req, resp, api.app->store, AUTH_ADMIN, &who) < 0)
        return 0;
    if (!api.app->ledger) {
        http_resp_error(resp, 503, "unavailable", NULL, "the server runs without a ledger (read-only)");
        return 0;
    }
    f = open_memstream(&rep, &replen);
    if (!f)
        return BF_ENOMEM;
    memset(&o, 0, sizeof o);
    o.actor = who.actor;
    o.report = f;
    ocds_importer_new(api.c, &o, &im, &err);
    rc = im ? ocds_importer_bytes(im, "<request>", req->body ? req->body : "", req->body_len, &err) : BF_EIO;
    if (!rc)
        rc = ocds_importer_finish(im, &st, &err);
    ocds_importer_free(im);
    fclose(f);
    if (rc) {
        free(rep);
        http_resp_bf_err(resp, &err);
        return 0;
    }
    lines = json_array();
    for (line = split_line(rep, &save); line && json_array_size(lines) < OCDS_API_MAX_REPORT;
         line = split_line(NULL, &save))
        json_array_append_new(lines, json_string(line));
    free(rep);
    out = json_pack("{sIsIsIso}", "new", (json_int_t)st.added, "present", (json_int_t)st.present, "rejected",
                    (json_int_t)st.rejected, "report", lines);
    rc = ocds_jcs(out, &resp->body, &err);
    json_decref(out);
    if (rc) {
        http_resp_bf_err(resp, &err);
        return 0;
    }
    resp->status = st.added ? 201 : 200;
    return 0;
}

/* ---- mounting ---------------------------------------------------------------------- */

int ocds_mount(struct app *app, struct bf_err *err)
{
    struct http_route_opts pub = { 0 };
    int rc;

    if (api.c)
        return bf_err_set(err, BF_EEXIST, "ocds API already mounted");
    rc = ocds_ctx_new(app->store, app->ledger, &api.c, err);
    if (rc)
        return rc;
    api.app = app;
    pub.tag = "procurement";
    pub.public_cors = 1;
    pub.max_body = 0;
    pub.summary = "An OCDS release as published in the log (?full=1: auditors see withheld values)";
    rc = http_route(app->http, "GET", "/api/v1/releases/{ocid}/{id}", h_release, NULL, &pub);
    pub.summary = "An OCDS record: linked releases with log index and receipt, compiled and versioned release";
    rc = rc ? rc : http_route(app->http, "GET", "/api/v1/records/{ocid}", h_record, NULL, &pub);
    pub.summary = "Records in ocid order (?after=OCID&limit=N)";
    rc = rc ? rc : http_route(app->http, "GET", "/api/v1/records", h_records, NULL, &pub);
    pub.summary = "Change feed: releases in log order after a log index (?after=I&limit=N)";
    rc = rc ? rc : http_route(app->http, "GET", "/api/v1/releases", h_feed, NULL, &pub);
    pub.summary = "Bulk export (?format=release-package|record-package|jsonl|csv[&table=main]&compress=gzip|zstd)";
    rc = rc ? rc : http_route(app->http, "GET", "/api/v1/export", h_export, NULL, &pub);
    if (!rc) {
        struct http_route_opts adm = { 0 };
        adm.tag = "procurement";
        adm.write = 1;
        adm.max_body = OCDS_API_MAX_IMPORT;
        adm.summary = "Import OCDS packages, records, releases or JSON Lines (admin token); per-item report";
        rc = http_route(app->http, "POST", "/api/v1/import", h_import, NULL, &adm);
    }
    if (rc)
        return bf_err_set(err, rc, "registering OCDS routes");
    /* `belfry import` while this server holds the log */
    return app->ledger ? ocds_import_admin_register(app->ledger, api.c, err) : 0;
}
