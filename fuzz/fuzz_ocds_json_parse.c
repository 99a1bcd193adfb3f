/*
 * fuzz_ocds_json_parse.c - differential libFuzzer target for the
 * importer's fast JSON parser: whenever ocds_json_parse_fast returns a
 * value, jansson (json_loadb with JSON_REJECT_DUPLICATES, what the
 * scanner falls back to) must accept the same bytes and return the same
 * value: same types (integer vs real), same numbers, same strings and the
 * same member order; and ocds_json_parse_fast_nest must report the value's
 * exact nesting and only take valid UTF-8 without NUL bytes (the scanner
 * skips its own checks on its word). The jv parser
 * (ocds_json_parse_jv, the importer's workers) must agree with the fast
 * one: a value exactly when it gives one (unless some object has more
 * than 64 members, which the jv parser leaves to jansson), the same value
 * (through jv_to_json), the same nesting and the same JCS text from the
 * jv build of the writer (ocds_jcs_jv). Aborts on any difference.
 */
#include "common.h"
#include "enc.h"
#include "buf.h"
#include "jv.h"
#include "ocds/ocds.h"
#include "ocds/ocds_json.h"
#include "ocds/ocds_jv.h"

static int same(const json_t *a, const json_t *b)
{
    const char *k;
    json_t *va;
    size_t i, kn;

    if (json_typeof(a) != json_typeof(b))
        return 0;
    switch (json_typeof(a)) {
    case JSON_OBJECT: {
        void *ib = json_object_iter((json_t *)b);
        if (json_object_size(a) != json_object_size(b))
            return 0;
        json_object_keylen_foreach((json_t *)a, k, kn, va) { /* same order, same keys */
            if (!ib || json_object_iter_key_len(ib) != kn || memcmp(json_object_iter_key(ib), k, kn) ||
                !same(va, json_object_iter_value(ib)))
                return 0;
            ib = json_object_iter_next((json_t *)b, ib);
        }
        return 1;
    }
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b))
            return 0;
        for (i = 0; i < json_array_size(a); i++)
            if (!same(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               !memcmp(json_string_value(a), json_string_value(b), json_string_length(a));
    case JSON_INTEGER:
        return json_integer_value(a) == json_integer_value(b);
    case JSON_REAL: {
        double x = json_real_value(a), y = json_real_value(b);
        return !memcmp(&x, &y, sizeof x); /* bit for bit: -0.0 too */
    }
    default:
        return 1;
    }
}

/* Levels of containers, an empty one counting (what the importer's
 * depth limit counts). */
static int exact_depth(const json_t *v)
{
    const char *k;
    json_t *x;
    size_t i;
    int best = 0, d;

    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, x)
            if ((d = exact_depth(x)) > best)
                best = d;
        return best + 1;
    }
    if (json_is_array(v)) {
        json_array_foreach(v, i, x)
            if ((d = exact_depth(x)) > best)
                best = d;
        return best + 1;
    }
    return 0;
}

static int widest(const json_t *v)
{
    const char *k;
    json_t *x;
    size_t i;
    int best = json_is_object(v) ? (int)json_object_size(v) : 0, d;

    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, x)
            if ((d = widest(x)) > best)
                best = d;
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x)
            if ((d = widest(x)) > best)
                best = d;
    }
    return best;
}

/* The jv parser and writer against the fast parser and jansson's writer. */
static void check_jv(const uint8_t *data, size_t size, const json_t *fast)
{
    struct bf_arena a = BF_ARENA_INIT;
    struct bf_buf x = BF_BUF_INIT, y = BF_BUF_INIT;
    struct bf_err e1 = { 0 }, e2 = { 0 };
    int nest = -1, nest2 = -1, r1, r2;
    const jv_t *jv = ocds_json_parse_jv(&a, (const char *)data, size, &nest);
    json_t *back, *f2;

    if (!jv) {
        if (fast && widest(fast) <= 64) {
            fprintf(stderr, "jv parser refuses what the fast parser takes\n");
            abort();
        }
        bf_arena_free(&a);
        return;
    }
    f2 = ocds_json_parse_fast_nest((const char *)data, size, &nest2);
    back = jv_to_json(jv, 1 << 20);
    if (!fast || !f2 || !back || !same(back, fast) || nest != nest2) {
        fprintf(stderr, "jv parser disagrees with the fast parser (nest %d vs %d)\n", nest, nest2);
        abort();
    }
    r1 = ocds_jcs_jv(jv, &x, &e1);
    r2 = ocds_jcs(fast, &y, &e2);
    if (r1 != r2 || (r1 == 0 && (x.len != y.len || memcmp(x.data, y.data, x.len))) || strcmp(e1.msg, e2.msg)) {
        fprintf(stderr, "jv JCS differs: %d vs %d\n", r1, r2);
        abort();
    }
    json_decref(back);
    json_decref(f2);
    bf_buf_free(&x);
    bf_buf_free(&y);
    bf_arena_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *fast = ocds_json_parse_fast((const char *)data, size), *ref;

    check_jv(data, size, fast);
    if (!fast)
        return 0;
    ref = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!ref || !same(fast, ref)) {
        fprintf(stderr, "fast parser disagrees with jansson (%s)\n", ref ? "different value" : "jansson rejects");
        abort();
    }
    { /* the nesting it reports, and its promise of valid UTF-8 without NUL */
        int nest = -1;
        json_t *f2 = ocds_json_parse_fast_nest((const char *)data, size, &nest);
        if (!f2 || nest != exact_depth(f2) || !bf_utf8_valid((const char *)data, size) || memchr(data, 0, size)) {
            fprintf(stderr, "ocds_json_parse_fast_nest: nest %d, exact %d\n", nest, f2 ? exact_depth(f2) : -1);
            abort();
        }
        json_decref(f2);
    }
    json_decref(fast);
    json_decref(ref);
    return 0;
}
