/*
 * fuzz_ocds_merge.c - libFuzzer target for the OCDS core: the input is
 * parsed as JSON and then
 *  - canonicalized (RFC 8785), which must be idempotent: JCS of the
 *    reparsed canonical text is byte-identical;
 *  - if an array, merged into compiled and versioned releases with the
 *    built-in rules and with rules computed from the input read as a
 *    schema, where ocds_merge_texts (and its direct writer) must give
 *    byte for byte the JCS text of the tree merges, or fail where they
 *    fail, with the same code (and ocds_merge_texts_vpacked a packed
 *    versioned release that unpacks to that text); each release is also checked, digested and
 *    split into public form and sidecar, and every commitment must open;
 *  - if an object, read as a schema (merge rules) and as a release.
 * Any crash, sanitizer report or broken invariant (abort) is a bug; errors
 * returned for bad input are fine.
 */
#include "common.h"
#include "buf.h"
#include "ocds/ocds.h"
#include "ocds/ocds_merge_int.h"

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
    if (wv) { /* the packed versioned release unpacks to the same text */
        struct bf_buf kv = BF_BUF_INIT, u = BF_BUF_INIT;
        struct bf_err ek = {0};
        int rk = ocds_merge_texts_vpacked(rules, rels, n, NULL, &kv, &ek);
        if (rk != rt || (rt == 0 && (ocds_vunpack(kv.data ? kv.data : "", kv.len, &u, NULL) != 0 || !buf_eq(&tv, &u))) ||
            (rt != 0 && (strcmp(et.msg, ek.msg) != 0 || kv.len)))
            abort();
        bf_buf_free(&kv), bf_buf_free(&u);
    }
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
        if (ocds_merge_rules_from_schema(json_array_get(v, 0), &rules, NULL) == 0)
            merge_all(v, rules);
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
