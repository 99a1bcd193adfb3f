/*
 * ocds_json.c - small JSON helpers shared by the OCDS core: equality as a
 * JSON reader sees it (numbers by value, members in any order) and RFC 6901
 * JSON pointers for error messages and withheld paths.
 *
 * Invariants: nothing here allocates on the error path or keeps
 * references; recursion is bounded by OCDS_JSON_MAX_DEPTH (deeper values
 * compare unequal rather than recurse further).
 */
#include "common.h"
#include "buf.h"
#include "ocds.h"
#include "ocds_jv.h"
#include "ocds_merge_int.h"

static int json_num(const json_t *v, double *d)
{
    if (json_is_integer(v))
        *d = (double)json_integer_value(v);
    else if (json_is_real(v))
        *d = json_real_value(v);
    else
        return 0;
    return 1;
}

static int json_equal_depth(const json_t *a, const json_t *b, int depth)
{
    double x, y;
    size_t i, n;

    if (a == b)
        return 1;
    if (!a || !b || depth > OCDS_JSON_MAX_DEPTH)
        return 0;
    if (json_num(a, &x) && json_num(b, &y)) {
        if (json_is_integer(a) && json_is_integer(b))
            return json_integer_value(a) == json_integer_value(b);
        return x == y;
    }
    if (json_typeof(a) != json_typeof(b))
        return 0;
    switch (json_typeof(a)) {
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    case JSON_ARRAY:
        n = json_array_size(a);
        if (n != json_array_size(b))
            return 0;
        for (i = 0; i < n; i++)
            if (!json_equal_depth(json_array_get(a, i), json_array_get(b, i), depth + 1))
                return 0;
        return 1;
    case JSON_OBJECT: {
        const char *key;
        size_t klen;
        json_t *va;
        if (json_object_size(a) != json_object_size(b))
            return 0;
        json_object_keylen_foreach((json_t *)a, key, klen, va) {
            json_t *vb = json_object_getn(b, key, klen);
            if (!vb || !json_equal_depth(va, vb, depth + 1))
                return 0;
        }
        return 1;
    }
    default:
        return 1; /* true, false, null: same type is equal */
    }
}

int ocds_json_equal(const json_t *a, const json_t *b)
{
    return json_equal_depth(a, b, 0);
}

int ocds_json_pointer_push(struct bf_buf *out, const char *s, size_t n)
{
    size_t i, start = 0;

    if (bf_buf_putc(out, '/') < 0)
        return BF_ELIMIT;
    for (i = 0; i < n; i++) {
        const char *rep = s[i] == '~' ? "~0" : s[i] == '/' ? "~1" : NULL;
        if (!rep)
            continue;
        if (bf_buf_append(out, s + start, i - start) < 0 || bf_buf_puts(out, rep) < 0)
            return BF_ELIMIT;
        start = i + 1;
    }
    return bf_buf_append(out, s + start, n - start);
}

long ocds_json_pointer_token(const char *tok, size_t n, char *buf, size_t cap)
{
    size_t i, o = 0;
    for (i = 0; i < n; i++) {
        char c = tok[i];
        if (c == '~') {
            if (i + 1 >= n || (tok[i + 1] != '0' && tok[i + 1] != '1'))
                return -1;
            c = tok[++i] == '0' ? '~' : '/';
        }
        if (o + 1 >= cap)
            return -1;
        buf[o++] = c;
    }
    buf[o] = '\0';
    return (long)o;
}

int ocds_json_pointer_index(const char *s, size_t n, size_t *idx)
{
    size_t i, v = 0;
    if (n == 0 || n > 9 || (n > 1 && s[0] == '0'))
        return 0;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (size_t)(s[i] - '0');
    }
    *idx = v;
    return 1;
}

json_t *ocds_json_pointer_get(const json_t *doc, const char *ptr)
{
    const char *p = ptr;
    char tok[512];

    if (!doc || !ptr || (*ptr && *ptr != '/'))
        return NULL;
    while (*p) {
        const char *end = strchr(p + 1, '/');
        size_t n = end ? (size_t)(end - p - 1) : strlen(p + 1);
        long len = ocds_json_pointer_token(p + 1, n, tok, sizeof tok);
        size_t idx;

        if (len < 0)
            return NULL;
        if (json_is_object(doc))
            doc = json_object_getn(doc, tok, (size_t)len);
        else if (json_is_array(doc) && ocds_json_pointer_index(tok, (size_t)len, &idx))
            doc = json_array_get(doc, idx);
        else
            return NULL;
        if (!doc)
            return NULL;
        p += 1 + n;
    }
    return (json_t *)doc;
}

/* ---- releases in date order ----------------------------------------- */

static int dated_cmp(const void *pa, const void *pb)
{
    const struct ocds_dated *a = pa, *b = pb;
    int c = strcmp(a->date, b->date);
    return c ? c : (a->i < b->i ? -1 : 1);
}

int ocds_merge_sort_releases(json_t *const *rels, size_t n, struct ocds_dated **out, struct bf_err *err)
{
    struct ocds_dated *d = bf_xcalloc(n ? n : 1, sizeof *d);
    size_t i;

    for (i = 0; i < n; i++) {
        json_t *date = json_object_get(rels[i], "date");
        if (!json_is_object(rels[i])) {
            free(d);
            return bf_err_set(err, BF_EINVAL, "release %zu is not a JSON object", i);
        }
        if (!date || json_is_null(date)) {
            free(d);
            return bf_err_set(err, BF_EINVAL, "release %zu has no date: releases cannot be ordered", i);
        }
        if (!json_is_string(date)) {
            free(d);
            return bf_err_set(err, BF_EINVAL, "release %zu: date is not a string", i);
        }
        if (!json_is_string(json_object_get(rels[i], "ocid"))) {
            free(d);
            return bf_err_set(err, BF_EINVAL, "release %zu has no ocid string", i);
        }
        d[i].r = rels[i], d[i].date = json_string_value(date), d[i].i = i;
    }
    qsort(d, n, sizeof *d, dated_cmp);
    *out = d;
    return 0;
}
