/*
 * jv.h - a read-only JSON tree in an arena, for the import's hot path.
 *
 * Why: a jansson tree costs a hash table per object, a hash per member
 * and two allocations per node, and json_delete walks it all again; on
 * the importer's releases that was a fifth of the CPU. A jv tree is built
 * once into a bf_arena: objects are arrays of members in input order,
 * arrays are arrays of values, strings are NUL-terminated bytes with
 * their length. It is freed with its arena, all at once.
 *
 * Shape: `type` is jansson's json_type and is the first member, so
 * jansson's json_typeof and json_is_* macros read a jv_t as they read a
 * json_t. The accessors answer as jansson's do for the same tree
 * (jv_string_value of a non-string is NULL, jv_array_get past the end is
 * NULL, jv_object_getn finds the member of that name, ...), which lets
 * one source file be compiled against either (jv_compat.h).
 *
 * Lifetime: every node, member array and string lives as long as the
 * arena it was made in. Nothing is reference-counted; jv_null() and the
 * other constants are static.
 *
 * Invariants: a tree is never changed after it is made; an object has no
 * two members of one name (the parser refuses them, jv_from_json cannot
 * make them); n fits in 32 bits.
 */
#ifndef BELFRY_JV_H
#define BELFRY_JV_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <jansson.h>

#include "arena.h"

typedef struct jv jv_t;
/* jansson's json_t by a name ocds_jv_compat.h does not rename */
typedef json_t jansson_t;
struct jv_member;

struct jv {
    json_type type;
    uint32_t n; /* string bytes, object members or array elements */
    union {
        const char *s;
        struct jv_member *m;
        struct jv *a;
        json_int_t i;
        double d;
    } u;
};

struct jv_member {
    const char *key; /* NUL-terminated */
    size_t klen;
    struct jv v;
};

/* json_decref for jansson values, in files where ocds_jv_compat.h made
 * json_decref a no-op */
static inline void jansson_decref(jansson_t *j)
{
    json_decref(j);
}

extern const jv_t jv_const_true, jv_const_false, jv_const_null;

static inline jv_t *jv_true(void) { return (jv_t *)&jv_const_true; }
static inline jv_t *jv_false(void) { return (jv_t *)&jv_const_false; }
static inline jv_t *jv_null(void) { return (jv_t *)&jv_const_null; }

static inline size_t jv_object_size(const jv_t *o)
{
    return o && o->type == JSON_OBJECT ? o->n : 0;
}

static inline jv_t *jv_object_getn(const jv_t *o, const char *key, size_t len)
{
    uint32_t i;
    if (!o || o->type != JSON_OBJECT || !key)
        return NULL;
    for (i = 0; i < o->n; i++)
        if (o->u.m[i].klen == len && !memcmp(o->u.m[i].key, key, len))
            return &o->u.m[i].v;
    return NULL;
}

static inline jv_t *jv_object_get(const jv_t *o, const char *key)
{
    return key ? jv_object_getn(o, key, strlen(key)) : NULL;
}

/* Iteration as jansson's: an iterator is a member; NULL at the end. */
static inline void *jv_object_iter(const jv_t *o)
{
    return o && o->type == JSON_OBJECT && o->n ? (void *)&o->u.m[0] : NULL;
}

static inline void *jv_object_iter_next(const jv_t *o, void *it)
{
    struct jv_member *m = it;
    return m && o && o->type == JSON_OBJECT && m + 1 < o->u.m + o->n ? (void *)(m + 1) : NULL;
}

static inline const char *jv_object_iter_key(void *it)
{
    return it ? ((struct jv_member *)it)->key : NULL;
}

static inline size_t jv_object_iter_key_len(void *it)
{
    return it ? ((struct jv_member *)it)->klen : 0;
}

static inline jv_t *jv_object_iter_value(void *it)
{
    return it ? &((struct jv_member *)it)->v : NULL;
}

static inline size_t jv_array_size(const jv_t *a)
{
    return a && a->type == JSON_ARRAY ? a->n : 0;
}

static inline jv_t *jv_array_get(const jv_t *a, size_t i)
{
    return a && a->type == JSON_ARRAY && i < a->n ? &a->u.a[i] : NULL;
}

static inline const char *jv_string_value(const jv_t *s)
{
    return s && s->type == JSON_STRING ? s->u.s : NULL;
}

static inline size_t jv_string_length(const jv_t *s)
{
    return s && s->type == JSON_STRING ? s->n : 0;
}

static inline json_int_t jv_integer_value(const jv_t *v)
{
    return v && v->type == JSON_INTEGER ? v->u.i : 0;
}

static inline double jv_real_value(const jv_t *v)
{
    return v && v->type == JSON_REAL ? v->u.d : 0.0;
}

static inline double jv_number_value(const jv_t *v)
{
    if (v && v->type == JSON_INTEGER)
        return (double)v->u.i;
    return jv_real_value(v);
}

/* A string value made in a (s copied, n bytes, no UTF-8 check). */
jv_t *jv_stringn(struct bf_arena *a, const char *s, size_t n);
/* An array of n values made in a (copied). */
jv_t *jv_array_of(struct bf_arena *a, const jv_t *items, size_t n);

/* A depth bound for the copies below that no tree met in practice
 * reaches (jansson's parser stops at 2048 levels, ocds_json_parse_jv at
 * 129), so a copy fails only for want of memory: what the copy is for
 * then meets the tree's depth itself and says so. It bounds the copies'
 * recursion (about 100 bytes of stack a level). */
#define JV_COPY_MAX_DEPTH 4096

/* The jv copy of a jansson tree, made in a. Member order is kept. NULL
 * if v is NULL or nested deeper than max_depth. */
jv_t *jv_from_json(struct bf_arena *a, const json_t *v, int max_depth);
/* The jansson copy of a jv tree (caller owns the reference); NULL on
 * allocation failure or deeper than max_depth. */
json_t *jv_to_json(const jv_t *v, int max_depth);

#endif
