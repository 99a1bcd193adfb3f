/*
 * jv.c - the arena JSON tree's constructors and its copies to and from
 * jansson. The parser that builds jv trees from text is the importer's
 * (ocds_json_parse.c), which shares its lexer with the jansson one.
 */
#include "common.h"
#include "jv.h"

const jv_t jv_const_true = { JSON_TRUE, 0, { 0 } };
const jv_t jv_const_false = { JSON_FALSE, 0, { 0 } };
const jv_t jv_const_null = { JSON_NULL, 0, { 0 } };

jv_t *jv_stringn(struct bf_arena *a, const char *s, size_t n)
{
    jv_t *v = bf_arena_alloc(a, sizeof *v);
    v->type = JSON_STRING;
    v->n = (uint32_t)n;
    v->u.s = bf_arena_strndup(a, s, n);
    return v;
}

jv_t *jv_array_of(struct bf_arena *a, const jv_t *items, size_t n)
{
    jv_t *v = bf_arena_alloc(a, sizeof *v);
    v->type = JSON_ARRAY;
    v->n = (uint32_t)n;
    v->u.a = n ? bf_arena_alloc(a, n * sizeof *items) : NULL;
    if (n)
        memcpy(v->u.a, items, n * sizeof *items);
    return v;
}

/* v's copy into *out (a node the caller placed). */
static int from_json(struct bf_arena *a, const json_t *v, jv_t *out, int depth)
{
    size_t i, n;

    if (depth < 0)
        return -1;
    memset(out, 0, sizeof *out);
    out->type = json_typeof(v);
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        void *it = json_object_iter((json_t *)v);
        n = json_object_size(v);
        out->u.m = n ? bf_arena_alloc(a, n * sizeof *out->u.m) : NULL;
        for (i = 0; it && i < n; i++, it = json_object_iter_next((json_t *)v, it)) {
            struct jv_member *m = &out->u.m[i];
            m->klen = json_object_iter_key_len(it);
            m->key = bf_arena_strndup(a, json_object_iter_key(it), m->klen);
            if (from_json(a, json_object_iter_value(it), &m->v, depth - 1) < 0)
                return -1;
        }
        out->n = (uint32_t)i;
        break;
    }
    case JSON_ARRAY:
        n = json_array_size(v);
        out->u.a = n ? bf_arena_alloc(a, n * sizeof *out->u.a) : NULL;
        for (i = 0; i < n; i++)
            if (from_json(a, json_array_get(v, i), &out->u.a[i], depth - 1) < 0)
                return -1;
        out->n = (uint32_t)n;
        break;
    case JSON_STRING:
        out->n = (uint32_t)json_string_length(v);
        out->u.s = bf_arena_strndup(a, json_string_value(v), out->n);
        break;
    case JSON_INTEGER:
        out->u.i = json_integer_value(v);
        break;
    case JSON_REAL:
        out->u.d = json_real_value(v);
        break;
    default:
        break;
    }
    return 0;
}

jv_t *jv_from_json(struct bf_arena *a, const json_t *v, int max_depth)
{
    jv_t *out;
    if (!v)
        return NULL;
    out = bf_arena_alloc(a, sizeof *out);
    return from_json(a, v, out, max_depth) < 0 ? NULL : out;
}

json_t *jv_to_json(const jv_t *v, int max_depth)
{
    json_t *out = NULL;
    uint32_t i;

    if (!v || max_depth < 0)
        return NULL;
    switch (v->type) {
    case JSON_OBJECT:
        out = json_object();
        for (i = 0; out && i < v->n; i++) {
            json_t *x = jv_to_json(&v->u.m[i].v, max_depth - 1);
            if (!x || json_object_setn_new_nocheck(out, v->u.m[i].key, v->u.m[i].klen, x) < 0) {
                json_decref(out);
                out = NULL;
            }
        }
        return out;
    case JSON_ARRAY:
        out = json_array();
        for (i = 0; out && i < v->n; i++) {
            if (json_array_append_new(out, jv_to_json(&v->u.a[i], max_depth - 1)) < 0) {
                json_decref(out);
                out = NULL;
            }
        }
        return out;
    case JSON_STRING:
        return json_stringn_nocheck(v->u.s, v->n);
    case JSON_INTEGER:
        return json_integer(v->u.i);
    case JSON_REAL:
        return json_real(v->u.d);
    case JSON_TRUE:
        return json_true();
    case JSON_FALSE:
        return json_false();
    default:
        return json_null();
    }
}
