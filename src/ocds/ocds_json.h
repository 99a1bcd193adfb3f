/*
 * ocds_json.h - internal declarations shared by the OCDS core files
 * (ocds_check*.c, ocds_merge*.c, ocds_withheld.c, ocds_export*.c). Not for
 * other modules: the public contract is ocds.h.
 */
#ifndef BELFRY_OCDS_JSON_H
#define BELFRY_OCDS_JSON_H

#include <stddef.h>
#include <jansson.h>

struct bf_buf;
struct bf_err;

/* Generated tables (ocds_merge_table.c, scripts/gen_merge_rules.mjs). */
struct ocds_rule_row {
    const char *path; /* "/"-separated property path, array levels omitted */
    unsigned flags;   /* OCDS_MERGE_* */
};
extern const struct ocds_rule_row ocds_builtin_rules[];
extern const size_t ocds_builtin_rules_len;
/* ISO 4217 codes of the closed OCDS currency codelist, sorted. */
extern const char *const ocds_currency_codes[];
extern const size_t ocds_currency_codes_len;

/* 1 if s is in the sorted list. */
int ocds_code_in_sorted(const char *s, const char *const *list, size_t n);
/* 1 if every element of arr is an object (an empty array counts). */
int ocds_all_objects(const json_t *arr);
/* 1 if s is in a NULL-terminated list. */
int ocds_code_in(const char *s, const char *const *list);

/* One JSON pointer reference token tok[0..n), unescaped ("~0", "~1")
 * into buf (cap bytes, NUL-terminated): its length, or -1 for a bad
 * escape or a token that does not fit. And the array index a token
 * names (decimal, no leading zero, at most 9 digits): 1 and *idx, or 0.
 * As ocds_json_pointer_get reads a pointer. */
long ocds_json_pointer_token(const char *tok, size_t n, char *buf, size_t cap);
int ocds_json_pointer_index(const char *s, size_t n, size_t *idx);

/* RFC 3339 date-time (YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm)); with
 * allow_date also a plain YYYY-MM-DD. 1 if valid. */
int ocds_datetime_valid(const char *s, size_t n, int allow_date);

/* A check in progress: the JSON pointer of the value being looked at. */
struct ocds_chk {
    struct bf_buf *ptr;
    struct bf_err *err;
};
/* Sets err to "<pointer>[/name]: <message>" and returns BF_EINVAL. */
int ocds_chk_fail(struct ocds_chk *c, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Pushes a member name / array index onto the pointer; returns the old length. */
size_t ocds_chk_push(struct ocds_chk *c, const char *name);
size_t ocds_chk_push_index(struct ocds_chk *c, size_t i);
void ocds_chk_pop(struct ocds_chk *c, size_t mark);

/* Closed-codelist check of an optional string member. */
int ocds_chk_code(struct ocds_chk *c, const json_t *obj, const char *name, const char *list_name,
                  const char *const *codes);

/* The check files' member lookup: json_object_getn, answered from the
 * members the walk of ocds_release_check_jcs collected while it checks. */
json_t *ocds_chk_get(const json_t *obj, const char *name, size_t len);

/* Checks the defence extension (tender/defence, awards/N/defence) and the
 * withheld list and markers of a release. */
int ocds_check_defence(const json_t *release, struct ocds_chk *c);
int ocds_check_withheld(const json_t *release, struct ocds_chk *c);

/* json_loadb(data, len, JSON_REJECT_DUPLICATES, ...) without jansson's
 * per-character lexer, for the importer: the same value, or NULL when the
 * caller must ask jansson (bad or unusual input; see ocds_json_parse.c).
 * Common string values in it are shared between trees and immortal:
 * never change a string value in place (json_string_set*); replacing it
 * in its object or array is fine. */
json_t *ocds_json_parse_fast(const char *data, size_t len);
/* The same, and when it returns a value, *nest is its nesting as levels
 * of containers (an empty one counts; a scalar would be 0) and data was
 * valid UTF-8 without NUL bytes. */
json_t *ocds_json_parse_fast_nest(const char *data, size_t len, int *nest);
/* The same grammar and refusals into a jv tree made in a (jv.h): NULL
 * when ocds_json_parse_fast_nest would return NULL, and also for objects
 * of more than 64 members (whatever the arena got then stays in it until
 * it is reset). *nest as there. */
struct bf_arena;
struct jv;
struct jv *ocds_json_parse_jv(struct bf_arena *a, const char *data, size_t len, int *nest);

#endif
