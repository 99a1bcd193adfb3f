/*
 * ocds_jcs.c - RFC 8785 JSON Canonicalization Scheme (JCS) for jansson
 * values, and the SHA-256 digest of that form that names a release in the
 * ledger.
 *
 * Invariants: the output is exactly what an RFC 8785 implementation (npm
 * `canonicalize`, the RFC's reference code) writes for the same JSON text:
 *  - object members sorted by the UTF-16 code units of their names (not by
 *    UTF-8 bytes: U+E000..U+FFFF sort after supplementary characters);
 *  - strings escaped with the six short forms and \u00xx for other
 *    controls, everything else (including U+007F and non-ASCII) verbatim;
 *  - numbers as ECMAScript Number.prototype.toString writes the IEEE 754
 *    double: shortest round-trip digits, exponent form below 1e-6 and from
 *    1e21, "-0" written "0".
 * Number policy: JSON numbers are doubles in JCS. A jansson integer whose
 * magnitude is at most 2^53 is written exactly; a larger one is written as
 * the nearest double (what JSON.parse would hold), so 9007199254740993
 * canonicalizes to 9007199254740992 exactly as in node. NaN and infinities
 * (which JSON cannot carry) are BF_EINVAL. Nesting deeper than
 * OCDS_JSON_MAX_DEPTH is BF_ELIMIT, so hostile input cannot exhaust the
 * stack. The output buffer's limit is BF_ELIMIT exactly when the text
 * would pass it, and ocds_jcs leaves the buffer as it was on any error.
 * ocds_jcs_visit is the same walk with a visitor per object (ocds_prepare
 * checks a release while it writes it).
 */
#include "common.h"
#include "buf.h"
#include "sha256.h"
#include "ocds.h"
#include "ocds_jv.h"
#include "ocds_merge_int.h"
#include "ocds_check_int.h"

#include <float.h>
#include <math.h>

/* 1 for bytes a JSON string must escape (controls, '"', '\\'). */
static const unsigned char jcs_esc[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, ['\\'] = 1,
};

/* The escape of a byte that needs one, at p: the six short forms, \u00xx
 * for other controls. Returns the end. */
char *ocds_jcs_escape(char *p, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";

    *p++ = '\\';
    switch (c) {
    case '"': *p++ = '"'; break;
    case '\\': *p++ = '\\'; break;
    case '\b': *p++ = 'b'; break;
    case '\f': *p++ = 'f'; break;
    case '\n': *p++ = 'n'; break;
    case '\r': *p++ = 'r'; break;
    case '\t': *p++ = 't'; break;
    default:
        p[0] = 'u', p[1] = '0', p[2] = '0', p[3] = hex[c >> 4], p[4] = hex[c & 15];
        p += 5;
    }
    return p;
}

/* Length of the JCS literal of s[0..n): its bytes, the quotes, and what
 * each escape adds. */
static size_t jcs_escaped_len(const char *s, size_t n)
{
    size_t i, len = n + 2;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (jcs_esc[c])
            len += c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t' ? 1 : 5;
    }
    return len;
}

/* Decodes one UTF-8 code point at s[*i] (input already valid UTF-8). */
static uint32_t jcs_next_cp(const unsigned char *s, size_t n, size_t *i)
{
    uint32_t c = s[*i];
    size_t extra = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
    size_t k;

    if (extra)
        c &= 0x3F >> extra;
    (*i)++;
    for (k = 0; k < extra && *i < n; k++, (*i)++)
        c = (c << 6) | (s[*i] & 0x3F);
    return c;
}

/* Orders two code points as their UTF-16 encodings compare. */
static int jcs_cmp_cp(uint32_t a, uint32_t b)
{
    uint32_t ua = a, ub = b;
    if (a >= 0x10000 && b >= 0x10000)
        return a < b ? -1 : 1;
    if (a >= 0x10000)
        ua = 0xD800 + ((a - 0x10000) >> 10);
    if (b >= 0x10000)
        ub = 0xD800 + ((b - 0x10000) >> 10);
    if (ua != ub)
        return ua < ub ? -1 : 1;
    return a < b ? -1 : 1; /* same lead unit: the BMP one is shorter */
}

int ocds_jcs_key_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    size_t i = 0, j = 0, k, n = an < bn ? an : bn;

    /* Up to the first differing byte both strings hold the same code
     * points; if that byte is ASCII in both, it starts a code point in
     * both and the byte order is the UTF-16 order. Otherwise (or if one
     * is a prefix of the other) compare code points from the start. */
    for (k = 0; k < n && x[k] == y[k]; k++)
        ;
    if (k == n)
        return an < bn ? -1 : an > bn;
    if (x[k] < 0x80 && y[k] < 0x80)
        return x[k] < y[k] ? -1 : 1;

    while (i < an && j < bn) {
        uint32_t ca, cb;
        if (x[i] < 0x80 && y[j] < 0x80) {
            if (x[i] != y[j])
                return x[i] < y[j] ? -1 : 1;
            i++, j++;
            continue;
        }
        ca = jcs_next_cp(x, an, &i);
        cb = jcs_next_cp(y, bn, &j);
        if (ca != cb)
            return jcs_cmp_cp(ca, cb);
    }
    if (i < an)
        return 1;
    return j < bn ? -1 : 0;
}

/* ocds_jcs_key_cmp, decided from the prefixes where it can be. */
static inline int jcs_member_order(const struct ocds_jcs_member *a, const struct ocds_jcs_member *b)
{
    int c = ocds_jcs_prefix_order(a->pre, b->pre);
    return c ? c : ocds_jcs_key_cmp(a->key, a->len, b->key, b->len);
}

static int jcs_member_cmp(const void *pa, const void *pb)
{
    return jcs_member_order(pa, pb);
}

/* Decimal text of v into out (at least 21 bytes). */
static void jcs_int(int64_t v, char *out)
{
    char tmp[24];
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    int n = 0, i = 0;

    do
        tmp[n++] = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        out[i++] = '-';
    while (n)
        out[i++] = tmp[--n];
    out[i] = '\0';
}

/* ECMAScript Number::toString for a finite double. out needs 32 bytes. */
int ocds_jcs_number(double d, char out[32])
{
    char tmp[40], digits[20];
    int p, k = 0, e, n, pos = 0, i;
    char *ep;

    if (!isfinite(d))
        return BF_EINVAL;
    if (d == 0) {
        memcpy(out, "0", 2);
        return 0;
    }
    if (fabs(d) < 9007199254740992.0 && d == trunc(d)) {
        jcs_int((int64_t)d, out);
        return 0;
    }
    if (fabs(d) < DBL_MIN) { /* subnormal: fewer digits are exact, search all */
        for (p = 1; p <= 17; p++) {
            snprintf(tmp, sizeof tmp, "%.*e", p - 1, d);
            if (strtod(tmp, NULL) == d)
                break;
        }
        goto digits;
    }
    /* Shortest round-trip digits: decimals of up to 15 digits map to
     * distinct doubles, so if the correctly rounded 15-digit form round
     * trips, it is the shortest once trailing zeros go; otherwise 16 or
     * 17 digits (17 always round-trips), each correctly rounded, i.e. the
     * closest of its length as ECMAScript requires. */
    for (p = 15; p <= 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
digits:
    /* tmp is [-]D[.DDD]e(+|-)XX */
    for (i = tmp[0] == '-' ? 1 : 0; tmp[i] != 'e'; i++)
        if (tmp[i] != '.')
            digits[k++] = tmp[i];
    e = (int)strtol(tmp + i + 1, &ep, 10);
    while (k > 1 && digits[k - 1] == '0')
        k--;
    n = e + 1;
    if (d < 0)
        out[pos++] = '-';
    if (k <= n && n <= 21) {
        memcpy(out + pos, digits, (size_t)k), pos += k;
        for (i = k; i < n; i++)
            out[pos++] = '0';
    } else if (0 < n && n <= 21) {
        memcpy(out + pos, digits, (size_t)n), pos += n;
        out[pos++] = '.';
        memcpy(out + pos, digits + n, (size_t)(k - n)), pos += k - n;
    } else if (-6 < n && n <= 0) {
        out[pos++] = '0', out[pos++] = '.';
        for (i = 0; i < -n; i++)
            out[pos++] = '0';
        memcpy(out + pos, digits, (size_t)k), pos += k;
    } else {
        out[pos++] = digits[0];
        if (k > 1) {
            out[pos++] = '.';
            memcpy(out + pos, digits + 1, (size_t)(k - 1)), pos += k - 1;
        }
        pos += snprintf(out + pos, (size_t)(32 - pos), "e%c%d", n - 1 < 0 ? '-' : '+', abs(n - 1));
    }
    out[pos] = '\0';
    return 0;
}

/* ---- the writer ------------------------------------------------------- */

/* A walk: out written through a cursor (p, up to end, which leaves the
 * NUL's byte and stays within out's limit). Each function keeps the
 * cursor in a local while it writes and hands it back through w, and
 * out->len and its NUL are written when the walk ends or out must grow:
 * stores through char pointers may alias anything, so a length kept in
 * out was stored and reloaded around every byte. Room is asked for the
 * exact bytes that follow (an escaped string is measured first), so the
 * output limit fails where appending piece by piece would. errors go to
 * err; visit is ocds_jcs_visit's (NULL for plain ocds_jcs). The walk
 * functions return 0, a negative error, or the visitor's positive stop. */
struct jcs_walk {
    struct bf_buf *out;
    char *p, *end;
    struct bf_err *err;
    int (*visit)(void *arg, const json_t *obj, const struct ocds_jcs_member *m, size_t n);
    void *arg;
};

/* The cursor at out's end (out has a buffer). */
static void jw_bind(struct jcs_walk *w)
{
    struct bf_buf *b = w->out;
    size_t max = b->max ? b->max : BF_BUF_DEFAULT_MAX;

    w->p = b->data + b->len;
    w->end = b->data + (b->cap - 1 < max ? b->cap - 1 : max);
}

/* out->len and the NUL from the cursor. */
static void jw_commit(const struct jcs_walk *w)
{
    struct bf_buf *b = w->out;

    b->len = (size_t)(w->p - b->data);
    b->data[b->len] = '\0';
}

/* A walk writing at the end of out: 0, or BF_ELIMIT when out has no
 * buffer and cannot have one. */
static int jw_start(struct jcs_walk *w, struct bf_buf *out, struct bf_err *err)
{
    memset(w, 0, sizeof *w);
    w->out = out, w->err = err;
    if (!out->data && bf_buf_reserve(out, 0) < 0)
        return BF_ELIMIT;
    jw_bind(w);
    return 0;
}

static char *jw_grow(struct jcs_walk *w, char *p, size_t n)
{
    w->p = p;
    jw_commit(w);
    if (bf_buf_reserve(w->out, n) < 0)
        return NULL;
    jw_bind(w);
    return w->p;
}

/* p, or where it is after out grew, when n bytes fit there; NULL when
 * they would pass out's limit (the text so far is kept). */
static inline char *jw_room(struct jcs_walk *w, char *p, size_t n)
{
    return (size_t)(w->end - p) >= n ? p : jw_grow(w, p, n);
}

static int jw_put(struct jcs_walk *w, const char *s, size_t n)
{
    char *p = jw_room(w, w->p, n);

    if (!p)
        return BF_ELIMIT;
    memcpy(p, s, n);
    w->p = p + n;
    return 0;
}

static inline int jw_putc(struct jcs_walk *w, char c)
{
    char *p = jw_room(w, w->p, 1);

    if (!p)
        return BF_ELIMIT;
    *p++ = c;
    w->p = p;
    return 0;
}

/* JCS string literal of s[0..n). Most strings need no escape: they are
 * copied 8 (or 4) bytes at a time while checked, and measured and
 * written with their escapes only when a byte needs one. */
static int jcs_string(struct jcs_walk *w, const char *s, size_t n)
{
    char *p = jw_room(w, w->p, n + 2), *o;
    size_t i = 0, start;
    uint64_t x;
    uint32_t lo, hi;

    if (!p)
        return BF_ELIMIT;
    o = p + 1;
    if (n >= 8) {
        for (; i + 8 <= n; i += 8) {
            memcpy(&x, s + i, 8);
            if (ocds_jcs_word_esc(x))
                goto escaped;
            memcpy(o + i, &x, 8);
        }
        if (i < n) { /* the last 8 bytes, overlapping the ones done */
            memcpy(&x, s + n - 8, 8);
            if (ocds_jcs_word_esc(x))
                goto escaped;
            memcpy(o + n - 8, &x, 8);
        }
    } else if (n >= 4) { /* the first and the last 4, overlapping */
        memcpy(&lo, s, 4);
        memcpy(&hi, s + n - 4, 4);
        if (ocds_jcs_word_esc((uint64_t)hi << 32 | lo))
            goto escaped;
        memcpy(o, &lo, 4);
        memcpy(o + n - 4, &hi, 4);
    } else {
        for (; i < n; i++) {
            if (jcs_esc[(unsigned char)s[i]])
                goto escaped;
            o[i] = s[i];
        }
    }
    p[0] = '"';
    o[n] = '"';
    w->p = o + n + 1;
    return 0;
escaped:
    if (!(p = jw_room(w, p, jcs_escaped_len(s, n))))
        return BF_ELIMIT;
    *p++ = '"';
    for (i = 0; i < n;) {
        start = i;
        while (i + 8 <= n && (memcpy(&x, s + i, 8), !ocds_jcs_word_esc(x)))
            i += 8;
        while (i < n && !jcs_esc[(unsigned char)s[i]])
            i++;
        memcpy(p, s + start, i - start);
        p += i - start;
        if (i < n)
            p = ocds_jcs_escape(p, (unsigned char)s[i++]);
    }
    *p++ = '"';
    w->p = p;
    return 0;
}

static int jcs_limit(struct jcs_walk *w)
{
    return bf_err_set(w->err, BF_ELIMIT, "canonical form exceeds the output limit");
}

static int jcs_integer(struct jcs_walk *w, json_int_t v)
{
    char num[32];
    if (v <= ((json_int_t)1 << 53) && v >= -((json_int_t)1 << 53))
        jcs_int((int64_t)v, num);
    else if (ocds_jcs_number((double)v, num) < 0)
        return bf_err_set(w->err, BF_EINVAL, "number cannot be canonicalized");
    return jw_put(w, num, strlen(num)) < 0 ? jcs_limit(w) : 0;
}

static int jcs_value(struct jcs_walk *w, const json_t *v, int depth);

static int jcs_object(struct jcs_walk *w, const json_t *v, int depth)
{
    size_t n = json_object_size(v), i = 0;
    struct ocds_jcs_member stack[16], *m = n <= 16 ? stack : bf_xcalloc(n, sizeof *m);
    void *it;
    int rc = 0;

    /* jansson's iterator directly: its foreach macro adds a call per member */
    for (it = json_object_iter((json_t *)v); it && i < n; it = json_object_iter_next((json_t *)v, it), i++) {
        m[i].key = json_object_iter_key(it);
        m[i].len = json_object_iter_key_len(it);
        m[i].value = json_object_iter_value(it);
        m[i].pre = ocds_jcs_key_prefix(m[i].key, m[i].len);
    }
    n = i;
    if (w->visit && (rc = w->visit(w->arg, v, m, n)) != 0)
        goto out;
    for (i = 1; i < n && jcs_member_order(&m[i - 1], &m[i]) < 0; i++)
        ;
    if (i < n && n <= 16) { /* small and not in order: insertion sort beats qsort's setup */
        for (; i < n; i++) {
            struct ocds_jcs_member x = m[i];
            size_t j = i;
            for (; j > 0 && jcs_member_order(&m[j - 1], &x) > 0; j--)
                m[j] = m[j - 1];
            m[j] = x;
        }
    } else if (i < n) {
        qsort(m, n, sizeof *m, jcs_member_cmp);
    }
    if (jw_putc(w, '{') < 0)
        goto limit;
    for (i = 0; i < n; i++) {
        if ((i && jw_putc(w, ',') < 0) || jcs_string(w, m[i].key, m[i].len) < 0 || jw_putc(w, ':') < 0)
            goto limit;
        if ((rc = jcs_value(w, m[i].value, depth + 1)) != 0)
            goto out;
    }
    if (jw_putc(w, '}') < 0)
        goto limit;
    goto out;
limit:
    rc = jcs_limit(w);
out:
    if (m != stack)
        free(m);
    return rc;
}

static int jcs_array(struct jcs_walk *w, const json_t *v, int depth)
{
    size_t i, n = json_array_size(v);
    int rc;

    if (jw_putc(w, '[') < 0)
        return jcs_limit(w);
    for (i = 0; i < n; i++) {
        if (i && jw_putc(w, ',') < 0)
            return jcs_limit(w);
        if ((rc = jcs_value(w, json_array_get(v, i), depth + 1)) != 0)
            return rc;
    }
    return jw_putc(w, ']') < 0 ? jcs_limit(w) : 0;
}

static int jcs_value(struct jcs_walk *w, const json_t *v, int depth)
{
    char num[32];
    int rc = 0;

    if (depth > OCDS_JSON_MAX_DEPTH)
        return bf_err_set(w->err, BF_ELIMIT, "JSON nested deeper than %d levels", OCDS_JSON_MAX_DEPTH);
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return jcs_object(w, v, depth);
    case JSON_ARRAY:
        return jcs_array(w, v, depth);
    case JSON_STRING:
        rc = jcs_string(w, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        return jcs_integer(w, json_integer_value(v));
    case JSON_REAL:
        if (ocds_jcs_number(json_real_value(v), num) < 0)
            return bf_err_set(w->err, BF_EINVAL, "number %g cannot be represented in JSON", json_real_value(v));
        rc = jw_put(w, num, strlen(num));
        break;
    case JSON_TRUE:
        rc = jw_put(w, "true", 4);
        break;
    case JSON_FALSE:
        rc = jw_put(w, "false", 5);
        break;
    case JSON_NULL:
        rc = jw_put(w, "null", 4);
        break;
    }
    return rc < 0 ? jcs_limit(w) : 0;
}

int ocds_jcs_at(const json_t *v, int depth, struct bf_buf *out, struct bf_err *err)
{
    struct jcs_walk w;
    int rc;

    if (jw_start(&w, out, err) < 0)
        return bf_err_set(err, BF_ELIMIT, "canonical form exceeds the output limit");
    rc = jcs_value(&w, v, depth);
    jw_commit(&w);
    return rc;
}

int ocds_jcs_string(struct bf_buf *out, const char *s, size_t n)
{
    struct jcs_walk w;
    int rc;

    if (jw_start(&w, out, NULL) < 0)
        return BF_ELIMIT;
    rc = jcs_string(&w, s, n);
    jw_commit(&w);
    return rc < 0 ? BF_ELIMIT : 0;
}

int ocds_jcs_visit(const json_t *v, struct bf_buf *out,
                   int (*visit)(void *arg, const json_t *obj, const struct ocds_jcs_member *m, size_t n), void *arg,
                   struct bf_err *err)
{
    struct jcs_walk w;
    size_t mark = out->len;
    int rc;

    if (!v)
        return bf_err_set(err, BF_EINVAL, "no JSON value to canonicalize");
    if (jw_start(&w, out, err) < 0)
        return bf_err_set(err, BF_ELIMIT, "canonical form exceeds the output limit");
    w.visit = visit, w.arg = arg;
    rc = jcs_value(&w, v, 0);
    jw_commit(&w);
    if (rc != 0) { /* leave the buffer as it was */
        out->len = mark;
        out->data[mark] = '\0';
    }
    return rc;
}

int ocds_jcs(const json_t *v, struct bf_buf *out, struct bf_err *err)
{
    return ocds_jcs_visit(v, out, NULL, NULL, err);
}

int ocds_digest(const json_t *v, char hex[65], struct bf_err *err)
{
    struct bf_buf b = BF_BUF_INIT;
    int rc = bf_buf_reserve(&b, 4096) < 0 ? BF_ELIMIT : ocds_jcs(v, &b, err);

    if (rc == 0)
        bf_sha256_hex(b.data, b.len, hex);
    bf_buf_free(&b);
    return rc;
}
