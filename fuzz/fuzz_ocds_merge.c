/*
 * fuzz_ocds_merge.c - libFuzzer target for the OCDS core: the input is
 * parsed as JSON and then
 *  - canonicalized (RFC 8785), which must be idempotent: JCS of the
 *    reparsed canonical text is byte-identical;
 *  - if an array, merged into compiled and versioned releases with the
 *    built-in rules and with rules computed from the input read as a
 *    schema, where ocds_merge_texts (and its direct writer) must give
 *    byte for byte the JCS text of the tree merges, or fail where they
 *    fail, with the same code; each release is also checked, digested and
 *    split into public form and sidecar, and every commitment must open;
 *  - if an object, read as a schema (merge rules) and as a release;
 *  - and the jv builds of the core (ocds_jv_compat.h: the importer's path)
 *    must agree with the jansson ones on all of it: the merges (both
 *    texts, or the compiled one alone as publishing asks, or the
 *    versioned one alone as the record API asks), the check and the
 *    preparation for the log,
 *    with the same result, message and bytes.
 * Any crash, sanitizer report or broken invariant (abort) is a bug; errors
 * returned for bad input are fine.
 */
#include "common.h"
#include "buf.h"
#include "ocds/ocds.h"
#include "ocds/ocds_merge_int.h"
#include "ocds/ocds_import.h"
#include "ocds/ocds_jv.h"

static void check_jcs_idempotent(const json_t *v)
{
    struct bf_buf a = BF_BUF_INIT, b = BF_BUF_INIT;
    json_t *re;

    if (ocds_jcs(v, &a, NULL) == 0) {
        re = json_loadb(a.data, a.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        if (!re)
            re = json_loadb(a.data, a.len, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, NULL);
        if (!re || ocds_jcs(re, &b, NULL) < 0 || a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
            abort();
        json_decref(re);
    }
    bf_buf_free(&a);
    bf_buf_free(&b);
}

static void check_withhold(const json_t *r)
{
    json_t *pub = NULL, *side = NULL, *list, *e;
    size_t i;

    if (ocds_withhold(r, &pub, &side, NULL) < 0)
        return;
    list = json_object_get(r, "withheld");
    json_array_foreach(list, i, e) {
        const char *p = json_string_value(json_object_get(e, "path"));
        if (!p || json_is_true(json_object_get(e, "disclosed")))
            continue;
        if (ocds_commitment_check(ocds_json_pointer_get(pub, p), json_object_get(json_object_get(side, "values"), p),
                                  json_string_value(json_object_get(json_object_get(side, "salts"), p)), NULL) != 0)
            abort();
    }
    json_decref(pub);
    json_decref(side);
}

static int buf_eq(const struct bf_buf *a, const struct bf_buf *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* ocds_merge_texts against ocds_jcs of the tree merges (both outputs,
 * then each alone); abort on any difference. */
static void check_texts(json_t **rels, size_t n, const struct ocds_merge_rules *rules, int wc, int wv)
{
    struct bf_buf tc = BF_BUF_INIT, tv = BF_BUF_INIT, dc = BF_BUF_INIT, dv = BF_BUF_INIT;
    struct bf_buf pc = BF_BUF_INIT, pv = BF_BUF_INIT;
    struct bf_err et = {0}, ep = {0};
    json_t *c = NULL, *v = NULL;
    int rt = 0, rd, rp;

    if (wc)
        rt = ocds_merge_compiled_with(rules, rels, n, &c, &et);
    if (!rt && wv)
        rt = ocds_merge_versioned_with(rules, rels, n, &v, &et);
    if (!rt && wc)
        rt = ocds_jcs(c, &tc, &et);
    if (!rt && wv)
        rt = ocds_jcs(v, &tv, &et);
    rd = ocds_merge_texts_direct(rules, rels, n, wc ? &dc : NULL, wv ? &dv : NULL, NULL);
    rp = ocds_merge_texts(rules, rels, n, wc ? &pc : NULL, wv ? &pv : NULL, &ep);
    if (rd != rt || rp != rt)
        abort();
    if (rt == 0 && (!buf_eq(&tc, &dc) || !buf_eq(&tv, &dv) || !buf_eq(&tc, &pc) || !buf_eq(&tv, &pv)))
        abort();
    if (rt != 0 && (strcmp(et.msg, ep.msg) != 0 || pc.len || pv.len))
        abort();
    json_decref(c), json_decref(v);
    bf_buf_free(&tc), bf_buf_free(&tv), bf_buf_free(&dc), bf_buf_free(&dv), bf_buf_free(&pc), bf_buf_free(&pv);
}

static void merge_all(json_t *arr, const struct ocds_merge_rules *rules)
{
    size_t n = json_array_size(arr), i;
    json_t **rels = calloc(n ? n : 1, sizeof *rels), *c = NULL, *v = NULL;

    for (i = 0; i < n; i++)
        rels[i] = json_array_get(arr, i);
    if (ocds_merge_compiled_with(rules, rels, n, &c, NULL) == 0) {
        if (!json_is_object(c))
            abort();
        check_jcs_idempotent(c);
    }
    if (ocds_merge_versioned_with(rules, rels, n, &v, NULL) == 0 && !json_is_object(v))
        abort();
    check_texts(rels, n, rules, 1, 1);
    check_texts(rels, n, rules, 1, 0);
    check_texts(rels, n, rules, 0, 1);
    json_decref(c);
    json_decref(v);
    free(rels);
}

static void same_or_abort(int r1, const struct bf_err *e1, const struct bf_buf *b1, int r2, const struct bf_err *e2,
                          const struct bf_buf *b2)
{
    if (r1 != r2 || strcmp(e1->msg, e2->msg) || (r1 == 0 && !buf_eq(b1, b2)))
        abort();
}

static const uint8_t FUZZ_KEY[OCDS_WITHHELD_KEY_LEN] = { 1, 2, 3 };

/* One release, prepared by both builds. */
static void check_jv_release(const json_t *r, const jv_t *v, struct bf_arena *a)
{
    struct ocds_prepared x, y;
    struct bf_err e1 = { 0 }, e2 = { 0 };
    int r1 = ocds_release_check(r, &e1), r2 = ocds_release_check_jv(v, &e2);

    if (r1 != r2 || strcmp(e1.msg, e2.msg))
        abort();
    memset(&e1, 0, sizeof e1), memset(&e2, 0, sizeof e2);
    r1 = ocds_prepare(r, FUZZ_KEY, "fuzz", &x, &e1);
    r2 = ocds_prepare_jv(v, a, FUZZ_KEY, "fuzz", &y, &e2);
    same_or_abort(r1, &e1, &x.body, r2, &e2, &y.body);
    if (r1 == 0 && (!buf_eq(&x.entry, &y.entry) || strcmp(x.src, y.src) || x.sidecar_len != y.sidecar_len ||
                    (x.sidecar_len && memcmp(x.sidecar, y.sidecar, x.sidecar_len))))
        abort();
    ocds_prepared_clear(&x);
    ocds_prepared_clear(&y);
}

/* The jv builds against the jansson ones on an array of releases. */
static void check_jv(json_t *arr, const struct ocds_merge_rules *rules)
{
    struct bf_arena a = BF_ARENA_INIT;
    size_t n = json_array_size(arr), i;
    json_t **rels = calloc(n ? n : 1, sizeof *rels);
    jv_t **jr = calloc(n ? n : 1, sizeof *jr);
    struct bf_buf c1 = BF_BUF_INIT, v1 = BF_BUF_INIT, c2 = BF_BUF_INIT, v2 = BF_BUF_INIT;
    struct bf_err e1 = { 0 }, e2 = { 0 };
    int r1, r2;

    for (i = 0; i < n; i++)
        if (!(jr[i] = jv_from_json(&a, rels[i] = json_array_get(arr, i), 4096)))
            goto out;
    r1 = ocds_merge_texts(rules, rels, n, &c1, &v1, &e1);
    r2 = ocds_merge_texts_jv(rules, jr, n, &c2, &v2, &e2);
    same_or_abort(r1, &e1, &c1, r2, &e2, &c2);
    same_or_abort(r1, &e1, &v1, r2, &e2, &v2);
    bf_buf_reset(&c1), bf_buf_reset(&c2), memset(&e1, 0, sizeof e1), memset(&e2, 0, sizeof e2);
    r1 = ocds_merge_texts(rules, rels, n, &c1, NULL, &e1);
    r2 = ocds_merge_texts_jv(rules, jr, n, &c2, NULL, &e2);
    same_or_abort(r1, &e1, &c1, r2, &e2, &c2);
    bf_buf_reset(&v1), bf_buf_reset(&v2), memset(&e1, 0, sizeof e1), memset(&e2, 0, sizeof e2);
    r1 = ocds_merge_texts(rules, rels, n, NULL, &v1, &e1);
    r2 = ocds_merge_texts_jv(rules, jr, n, NULL, &v2, &e2);
    same_or_abort(r1, &e1, &v1, r2, &e2, &v2);
    for (i = 0; i < n; i++)
        check_jv_release(rels[i], jr[i], &a);
out:
    bf_buf_free(&c1), bf_buf_free(&v1), bf_buf_free(&c2), bf_buf_free(&v2);
    free(rels);
    free(jr);
    bf_arena_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL), *e;
    struct ocds_merge_rules *rules = NULL;
    struct bf_buf line = BF_BUF_INIT;
    char hex[65];
    size_t i;

    if (!v)
        return 0;
    check_jcs_idempotent(v);
    if (json_is_array(v)) {
        merge_all(v, NULL);
        check_jv(v, NULL);
        if (ocds_merge_rules_from_schema(json_array_get(v, 0), &rules, NULL) == 0) {
            merge_all(v, rules);
            check_jv(v, rules);
        }
        json_array_foreach(v, i, e) {
            if (ocds_release_check(e, NULL) == 0) {
                if (ocds_digest(e, hex, NULL) < 0 || strlen(hex) != 64)
                    abort();
                bf_buf_reset(&line);
                if (ocds_entry_line(e, "fuzz", &line, NULL) < 0 || !strstr(line.data, hex))
                    abort();
            }
            check_withhold(e);
        }
    } else if (json_is_object(v)) {
        if (ocds_merge_rules_from_schema(v, &rules, NULL) == 0)
            ocds_merge_rules_get(rules, "tender/items");
        (void)ocds_release_check(v, NULL);
        check_withhold(v);
    }
    ocds_merge_rules_free(rules);
    bf_buf_free(&line);
    json_decref(v);
    return 0;
}
