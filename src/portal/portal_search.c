/*
 * portal_search.c - from query parameters to a search filter, from user
 * text to a safe FTS5 query, and from result rows to the JSON the search
 * page renders.
 *
 * Invariants: every parameter is length-checked and validated before it
 * reaches the store (a bad one is a 400 naming it); user text never
 * reaches FTS5 syntax unquoted (each word becomes a quoted term, so
 * operators, column filters and quotes in the input are inert).
 */
#include "common.h"
#include "buf.h"
#include "portal.h"

#include <math.h>

#define MAX_TERMS 16
#define MAX_TERM 64
#define DESC_SNIPPET 280

static int word_byte(unsigned char c)
{
    return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int portal_fts_query(const char *text, char *out, size_t cap)
{
    size_t n = 0;
    int terms = 0;
    const char *s = text;

    if (cap)
        out[0] = 0;
    while (s && *s && terms < MAX_TERMS) {
        size_t len;
        while (*s && !word_byte((unsigned char)*s))
            s++;
        for (len = 0; word_byte((unsigned char)s[len]); len++)
            ;
        if (!len)
            break;
        if (len > MAX_TERM)
            len = MAX_TERM;
        while (len && ((unsigned char)s[len] & 0xc0) == 0x80) /* never cut a character */
            len--;
        if (!len) { /* an over-long run of continuation bytes: no character to keep */
            while (word_byte((unsigned char)*s))
                s++;
            continue;
        }
        if (n + len + 5 >= cap)
            return BF_ELIMIT;
        out[n++] = terms ? ' ' : '"';
        if (terms)
            out[n++] = '"';
        memcpy(out + n, s, len);
        n += len;
        out[n++] = '"';
        out[n] = 0;
        terms++;
        s += len;
        while (word_byte((unsigned char)*s)) /* rest of an over-long word */
            s++;
    }
    if (terms && n + 1 < cap && text[strlen(text) - 1] != ' ') {
        out[n++] = '*';
        out[n] = 0;
    }
    return terms;
}

int portal_fts_split(const char *fts, char *buf, size_t cap, const char **words, int max, int *prefix)
{
    size_t len = strlen(fts);
    char *p = buf;
    int n = 0;

    *prefix = 0;
    if (len + 1 > cap)
        return BF_ELIMIT;
    memcpy(buf, fts, len + 1);
    while (*p) {
        char *end;
        if (*p != '"' || !(end = strchr(p + 1, '"'))) /* "" is a word: an over-long one cut to nothing */
            return BF_EINVAL;
        if (n == max)
            return BF_ELIMIT;
        words[n++] = p + 1;
        *end = 0;
        p = end + 1;
        if (*p == '*' && !p[1]) {
            *prefix = 1;
            p++;
        } else if (*p == ' ' && p[1] == '"') {
            p++;
        } else if (*p) {
            return BF_EINVAL;
        }
    }
    return n;
}

static int bad(struct bf_err *err, const char *name, const char *why)
{
    return bf_err_set(err, BF_EINVAL, "parameter %s: %s", name, why);
}

/* Copies parameter name into *out (NULL if absent or empty). */
static int get_str(portal_param_fn get, void *arg, struct bf_arena *a, const char *name, size_t max,
                   const char **out, struct bf_err *err)
{
    const char *v = get(arg, name);
    *out = NULL;
    if (!v || !*v)
        return 0;
    if (strlen(v) > max)
        return bad(err, name, "too long");
    *out = bf_arena_strdup(a, v);
    return 0;
}

static int get_int(portal_param_fn get, void *arg, const char *name, long lo, long hi, long *out,
                   struct bf_err *err)
{
    const char *v = get(arg, name);
    char *end;
    long x;
    if (!v || !*v)
        return 0;
    errno = 0;
    x = strtol(v, &end, 10);
    if (errno || *end || x < lo || x > hi)
        return bf_err_set(err, BF_EINVAL, "parameter %s: expected an integer from %ld to %ld", name, lo, hi);
    *out = x;
    return 0;
}

static int get_amount(portal_param_fn get, void *arg, const char *name, double *out, int *has, struct bf_err *err)
{
    const char *v = get(arg, name);
    char *end;
    double x;
    *has = 0;
    if (!v || !*v)
        return 0;
    errno = 0;
    x = strtod(v, &end);
    if (errno || *end || !isfinite(x) || x < 0 || strlen(v) > 32)
        return bad(err, name, "expected a non-negative amount");
    *out = x;
    *has = 1;
    return 0;
}

static int get_date(portal_param_fn get, void *arg, struct bf_arena *a, const char *name, const char **out,
                    struct bf_err *err)
{
    const char *v = get(arg, name);
    int i;
    *out = NULL;
    if (!v || !*v)
        return 0;
    for (i = 0; i < 10; i++)
        if ((i == 4 || i == 7) ? v[i] != '-' : (v[i] < '0' || v[i] > '9'))
            return bad(err, name, "expected a date YYYY-MM-DD");
    if (v[10])
        return bad(err, name, "expected a date YYYY-MM-DD");
    *out = bf_arena_strdup(a, v);
    return 0;
}

static int get_cpv(portal_param_fn get, void *arg, struct bf_arena *a, const char **out, struct bf_err *err)
{
    const char *v = get(arg, "cpv");
    size_t n;
    *out = NULL;
    if (!v || !*v)
        return 0;
    n = strspn(v, "0123456789");
    if (n == 0 || n > 8 || (v[n] && v[n] != '-'))
        return bad(err, "cpv", "expected the digits of a CPV code (a prefix such as 3570)");
    *out = bf_arena_strndup(a, v, n);
    return 0;
}

static int get_sort(portal_param_fn get, void *arg, enum store_portal_sort *out, struct bf_err *err)
{
    static const struct { const char *name; enum store_portal_sort v; } sorts[] = {
        { "relevance", STORE_PORTAL_SORT_RELEVANCE }, { "newest", STORE_PORTAL_SORT_NEWEST },
        { "oldest", STORE_PORTAL_SORT_OLDEST },       { "value-desc", STORE_PORTAL_SORT_VALUE_DESC },
        { "value-asc", STORE_PORTAL_SORT_VALUE_ASC },
    };
    const char *v = get(arg, "sort");
    size_t i;
    *out = STORE_PORTAL_SORT_RELEVANCE;
    if (!v || !*v)
        return 0;
    for (i = 0; i < BF_ARRAY_LEN(sorts); i++)
        if (!strcmp(v, sorts[i].name)) {
            *out = sorts[i].v;
            return 0;
        }
    return bad(err, "sort", "expected relevance, newest, oldest, value-desc or value-asc");
}

static int get_text(portal_param_fn get, void *arg, struct bf_arena *a, const char **out, struct bf_err *err)
{
    const char *q = get(arg, "q");
    char fts[MAX_TERMS * (MAX_TERM + 4) + 8];
    int n;
    *out = NULL;
    if (!q || !*q)
        return 0;
    if (strlen(q) > 200)
        return bad(err, "q", "at most 200 characters");
    n = portal_fts_query(q, fts, sizeof fts);
    if (n < 0)
        return bad(err, "q", "too many words");
    if (n > 0)
        *out = bf_arena_strdup(a, fts);
    return 0;
}

int portal_filter_parse(portal_param_fn get, void *arg, struct bf_arena *a, struct store_portal_filter *f,
                        struct bf_err *err)
{
    long year = 0, page = 1, per = 20, nc = 0;
    int rc = 0;

    memset(f, 0, sizeof *f);
    rc = get_text(get, arg, a, &f->fts, err);
    rc = rc ? rc : get_str(get, arg, a, "buyer", 200, &f->buyer, err);
    rc = rc ? rc : get_str(get, arg, a, "supplier", 200, &f->supplier, err);
    rc = rc ? rc : get_str(get, arg, a, "procedure", 64, &f->procedure, err);
    rc = rc ? rc : get_str(get, arg, a, "capability", 64, &f->capability, err);
    rc = rc ? rc : get_str(get, arg, a, "status", 32, &f->status, err);
    rc = rc ? rc : get_cpv(get, arg, a, &f->cpv_prefix, err);
    rc = rc ? rc : get_amount(get, arg, "min", &f->min_amount, &f->has_min, err);
    rc = rc ? rc : get_amount(get, arg, "max", &f->max_amount, &f->has_max, err);
    rc = rc ? rc : get_date(get, arg, a, "from", &f->date_from, err);
    rc = rc ? rc : get_date(get, arg, a, "to", &f->date_to, err);
    rc = rc ? rc : get_int(get, arg, "year", 1900, 2200, &year, err);
    rc = rc ? rc : get_int(get, arg, "noncompetitive", 0, 1, &nc, err);
    rc = rc ? rc : get_sort(get, arg, &f->sort, err);
    rc = rc ? rc : get_int(get, arg, "page", 1, 100000, &page, err);
    rc = rc ? rc : get_int(get, arg, "per_page", 1, 100, &per, err);
    if (rc)
        return rc;
    if ((page - 1) * per > STORE_PORTAL_MAX_OFFSET)
        return bf_err_set(err, BF_EINVAL, "parameter page: results beyond the first %d are not paged; refine the search",
                          STORE_PORTAL_MAX_OFFSET);
    f->year = (int)year;
    f->noncompetitive = (int)nc;
    f->limit = (int)per;
    f->offset = (int)((page - 1) * per);
    return 0;
}

/* ---- JSON -------------------------------------------------------------- */

static int put_key_str(struct bf_buf *b, const char *key, const char *v, size_t max)
{
    size_t n;
    int rc = bf_buf_printf(b, ",\"%s\":", key);
    if (!v)
        return rc | bf_buf_puts(b, "null");
    n = strlen(v);
    if (n > max) {
        n = max;
        while (n && ((unsigned char)v[n] & 0xc0) == 0x80)
            n--;
    }
    return rc | bf_buf_json_str(b, v, n);
}

int portal_row_json(struct bf_buf *b, const struct store_portal_proc *r)
{
    int rc = bf_buf_puts(b, "{\"ocid\":");
    rc |= bf_buf_json_str(b, r->ocid, strlen(r->ocid));
    rc |= put_key_str(b, "title", r->title, 1000);
    rc |= put_key_str(b, "description", r->description, DESC_SNIPPET);
    if (r->buyer_id) {
        rc |= bf_buf_puts(b, ",\"buyer\":{\"id\":") | bf_buf_json_str(b, r->buyer_id, strlen(r->buyer_id));
        rc |= put_key_str(b, "name", r->buyer_name, 1000) | bf_buf_putc(b, '}');
    } else {
        rc |= bf_buf_puts(b, ",\"buyer\":null");
    }
    rc |= bf_buf_printf(b, ",\"suppliers\":%s", r->suppliers_json ? r->suppliers_json : "[]");
    rc |= put_key_str(b, "procedure", r->procedure, 200) | put_key_str(b, "method", r->method, 64);
    rc |= put_key_str(b, "capability", r->capability, 200) | put_key_str(b, "cpv", r->cpv, 64);
    rc |= put_key_str(b, "status", r->status, 64);
    if (r->has_amount) {
        rc |= bf_buf_printf(b, ",\"value\":{\"amount\":%.15g", r->amount);
        rc |= put_key_str(b, "currency", r->currency, 8) | put_key_str(b, "kind", r->amount_kind, 16);
        rc |= bf_buf_putc(b, '}');
    } else {
        rc |= bf_buf_puts(b, ",\"value\":null");
    }
    rc |= put_key_str(b, "date", r->date, 64) | put_key_str(b, "startDate", r->start_date, 64);
    rc |= bf_buf_printf(b, ",\"year\":%d,\"nonCompetitive\":%s", r->year, r->noncompetitive ? "true" : "false");
    if (r->tenderers >= 0)
        rc |= bf_buf_printf(b, ",\"tenderers\":%d", r->tenderers);
    else
        rc |= bf_buf_puts(b, ",\"tenderers\":null");
    rc |= bf_buf_printf(b, ",\"withheld\":%d,\"releases\":%d,\"logIndex\":%" PRIu64 "}", r->withheld, r->releases,
                        r->log_index);
    return rc ? BF_ELIMIT : 0;
}

struct rows {
    struct bf_buf *out;
    int n;
};

static int row_cb(void *arg, const struct store_portal_proc *r)
{
    struct rows *w = arg;
    if (w->n++ && bf_buf_putc(w->out, ',') < 0)
        return BF_ELIMIT;
    return portal_row_json(w->out, r);
}

int portal_search_json(struct store *s, const struct store_portal_filter *f, struct bf_buf *out, struct bf_err *err)
{
    struct rows w = { out, 0 };
    struct bf_buf page = BF_BUF_INIT;
    long total = 0;
    int exact = 1, rc;

    bf_buf_init(&page, 8 << 20);
    w.out = &page;
    rc = portal_memsearch(s, f, row_cb, &w, &total, &exact, err);
    if (rc == 0) /* no index (yet) for this store, or a query it cannot answer */
        rc = store_portal_search(s, f, row_cb, &w, &total, &exact, err);
    else if (rc > 0)
        rc = 0;
    if (rc == BF_ELIMIT)
        bf_err_set(err, rc, "search response too large");
    if (rc < 0)
        goto out;
    rc = bf_buf_printf(out, "{\"total\":%ld,\"exact\":%s,\"page\":%d,\"perPage\":%d,\"results\":[", total,
                       exact ? "true" : "false", f->offset / f->limit + 1, f->limit);
    if (!rc && page.len)
        rc = bf_buf_append(out, page.data, page.len);
    if (!rc)
        rc = bf_buf_puts(out, "]}");
    if (rc < 0)
        bf_err_set(err, rc, "search response too large");
out:
    bf_buf_free(&page);
    return rc;
}
