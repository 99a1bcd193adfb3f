/*
 * test_ocds_merge.c - compiled and versioned releases against every
 * ocds-merge fixture (1.0/, 1.1/ with the OCDS 1.1.5 schema - both the
 * rules computed from the schema at run time and the compiled-in table -
 * and schema/ with the fixtures' own test schema), the rule overrides the
 * upstream collision tests use, ocdskit's real-data expected outputs, the
 * generated table against the schema + defence extension, withheld markers
 * and the upstream error cases.
 */
#include "common.h"
#include "buf.h"
#include "ocds/ocds.h"
#include "tap.h"

#include <dirent.h>

static json_t *load_file(const char *path)
{
    json_error_t e;
    json_t *v = json_load_file(path, 0, &e);
    if (!v)
        diag("cannot load %s: %s", path, e.text);
    return v;
}

static char *jcs_text(const json_t *v)
{
    struct bf_buf b = BF_BUF_INIT;
    if (!v || ocds_jcs(v, &b, NULL) < 0) {
        bf_buf_free(&b);
        return bf_xstrdup("(none)");
    }
    return bf_buf_take(&b, NULL);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Merges input (an array of releases) and compares with the expected file. */
static void check_case(const struct ocds_merge_rules *rules, const json_t *input, const char *expected_path,
                       int versioned, const char *label)
{
    json_t *want = load_file(expected_path), *got = NULL;
    struct bf_err err = {0};
    size_t n = json_array_size(input);
    json_t **rels = bf_xcalloc(n ? n : 1, sizeof *rels);
    size_t i;
    int rc, same;

    for (i = 0; i < n; i++)
        rels[i] = json_array_get(input, i);
    rc = versioned ? ocds_merge_versioned_with(rules, rels, n, &got, &err)
                   : ocds_merge_compiled_with(rules, rels, n, &got, &err);
    same = rc == 0 && want && ocds_json_equal(got, want);
    ok(same, "%s %s", label, rc ? err.msg : "");
    if (!same && rc == 0) {
        char *a = jcs_text(got), *b = jcs_text(want);
        diag("got  %s", a);
        diag("want %s", b);
        free(a), free(b);
    }
    json_decref(got);
    json_decref(want);
    free(rels);
}

static void run_dir(const char *dir, const struct ocds_merge_rules *rules, const char *tag, int *cases)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, i;

    while (d && (de = readdir(d))) {
        if (!ends_with(de->d_name, ".json") || ends_with(de->d_name, "-compiled.json") ||
            ends_with(de->d_name, "-versioned.json") || ends_with(de->d_name, "-append.json") ||
            ends_with(de->d_name, "-by-position.json"))
            continue;
        names = bf_xrealloc(names, (n + 1) * sizeof *names);
        names[n++] = bf_xstrdup(de->d_name);
    }
    if (d)
        closedir(d);
    for (i = 0; i < n; i++) {
        char in[4096], out[4096], label[512];
        size_t base = strlen(names[i]) - 5;
        json_t *input;
        snprintf(in, sizeof in, "%s/%s", dir, names[i]);
        input = load_file(in);
        snprintf(out, sizeof out, "%s/%.*s-compiled.json", dir, (int)base, names[i]);
        if (input && access(out, R_OK) == 0) {
            snprintf(label, sizeof label, "%s %.*s compiled", tag, (int)base, names[i]);
            check_case(rules, input, out, 0, label);
            (*cases)++;
        }
        snprintf(out, sizeof out, "%s/%.*s-versioned.json", dir, (int)base, names[i]);
        if (input && access(out, R_OK) == 0) {
            snprintf(label, sizeof label, "%s %.*s versioned", tag, (int)base, names[i]);
            check_case(rules, input, out, 1, label);
            (*cases)++;
        }
        json_decref(input);
        free(names[i]);
    }
    free(names);
}

/* RFC 7386 merge patch (to apply the defence extension to the schema). */
static void merge_patch(json_t *target, const json_t *patch)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)patch, k, v) {
        json_t *t = json_object_get(target, k);
        if (json_is_null(v))
            json_object_del(target, k);
        else if (json_is_object(v) && json_is_object(t))
            merge_patch(t, v);
        else
            json_object_set_new(target, k, json_deep_copy(v));
    }
}

static void collect(const char *path, unsigned flags, void *arg)
{
    struct bf_buf *b = arg;
    if (bf_buf_printf(b, "%s=%u\n", path, flags) < 0)
        diag("rule list too long");
}

static void test_table_matches_schema(const struct ocds_merge_rules *from_schema_ext)
{
    struct ocds_merge_rules *builtin = NULL;
    struct bf_buf a = BF_BUF_INIT, b = BF_BUF_INIT;

    ok(ocds_merge_rules_builtin(&builtin, NULL) == 0, "built-in rule table loads");
    ocds_merge_rules_each(builtin, collect, &a);
    ocds_merge_rules_each(from_schema_ext, collect, &b);
    ok(a.len > 0 && a.len == b.len && memcmp(a.data, b.data, a.len) == 0,
       "generated table equals the rules computed from release-schema.json + ext/defence");
    if (!(a.len == b.len && a.len && memcmp(a.data, b.data, a.len) == 0))
        diag("table:\n%s\nschema:\n%s", a.data, b.data);
    ok(ocds_merge_rules_get(builtin, "tender/items/additionalClassifications") == OCDS_MERGE_WHOLE_LIST &&
           ocds_merge_rules_get(builtin, "id") == OCDS_MERGE_OMIT &&
           ocds_merge_rules_get(builtin, "awards/suppliers") == 0 &&
           ocds_merge_rules_get(builtin, "withheld") == OCDS_MERGE_WHOLE_LIST,
       "spot rules: additionalClassifications whole list, id omitted, suppliers by id, withheld whole list");
    ocds_merge_rules_free(builtin);
    bf_buf_free(&a);
    bf_buf_free(&b);
}

static void test_overrides(const struct ocds_merge_rules *schema_rules, const char *dir)
{
    static const struct {
        const char *input, *expected;
        unsigned flags;
    } c[] = {
        {"identifier-merge-duplicate-id.json", "identifier-merge-duplicate-id-append.json", OCDS_MERGE_APPEND},
        {"identifier-merge-duplicate-id.json", "identifier-merge-duplicate-id-by-position.json",
         OCDS_MERGE_BY_POSITION},
        {"identifier-merge-no-id.json", "identifier-merge-no-id-append.json", OCDS_MERGE_APPEND},
    };
    size_t i;
    (void)schema_rules;
    for (i = 0; i < BF_ARRAY_LEN(c); i++) {
        struct ocds_merge_rules *r = NULL;
        char in[4096], out[4096], label[256];
        json_t *input, *twice;
        snprintf(in, sizeof in, "%s/%s", dir, c[i].input);
        snprintf(out, sizeof out, "%s/%s", dir, c[i].expected);
        input = load_file(in);
        twice = json_array();
        json_array_extend(twice, input);
        json_array_extend(twice, input);
        ocds_merge_rules_builtin(&r, NULL);
        ocds_merge_rules_set(r, "nested/array", c[i].flags, NULL);
        snprintf(label, sizeof label, "override %s (releases twice)", c[i].expected);
        check_case(r, twice, out, 0, label);
        ocds_merge_rules_free(r);
        json_decref(twice);
        json_decref(input);
    }
}

static void test_realdata(void)
{
    const char *base = tap_shared("ocds/real/ocdskit-realdata");
    struct ocds_merge_rules *r = NULL;
    json_t *p;
    char dir[4096], cpath[4200], vpath[4200], ppath[4200];

    if (!base) {
        skip("no ocdskit real data");
        skip("no ocdskit real data");
        return;
    }
    snprintf(dir, sizeof dir, "%s", base);
    snprintf(ppath, sizeof ppath, "%s/release-package-2.json", dir);
    snprintf(cpath, sizeof cpath, "%s/compiled-release-2.json", dir);
    snprintf(vpath, sizeof vpath, "%s/versioned-release-2.json", dir);
    p = load_file(ppath);
    /* The package has no "version": OCDS 1.0, as ocdskit compiled it. */
    ocds_merge_rules_for_version(json_string_value(json_object_get(p, "version")), &r, NULL);
    check_case(r, json_object_get(p, "releases"), cpath, 0, "ocdskit realdata release-package-2 compiled (1.0 rules)");
    check_case(r, json_object_get(p, "releases"), vpath, 1, "ocdskit realdata release-package-2 versioned (1.0 rules)");
    ocds_merge_rules_free(r);
    json_decref(p);
}

static void test_errors(void)
{
    struct bf_err err = {0};
    json_t *a = json_loads("{\"ocid\":\"o\",\"id\":\"1\",\"date\":\"2000-01-01T00:00:00Z\"}", 0, NULL);
    json_t *b = json_loads("{\"ocid\":\"o\",\"id\":\"2\"}", 0, NULL), *out = NULL, *rels[2] = {a, b};
    json_t *deep, *cur;
    int i;

    ok(ocds_merge_compiled(rels, 2, &out, &err) == BF_EINVAL && !out && strstr(err.msg, "no date"),
       "missing date: %s", err.msg);
    json_object_set_new(b, "date", json_null());
    ok(ocds_merge_versioned(rels, 2, &out, &err) == BF_EINVAL && strstr(err.msg, "no date"), "null date: %s", err.msg);
    json_object_set_new(b, "date", json_integer(2000));
    ok(ocds_merge_compiled(rels, 2, &out, &err) == BF_EINVAL && strstr(err.msg, "not a string"),
       "non-string date: %s", err.msg);
    rels[1] = json_string("release");
    ok(ocds_merge_compiled(rels, 2, &out, &err) == BF_EINVAL && strstr(err.msg, "not a JSON object"),
       "non-object release: %s", err.msg);
    json_decref(rels[1]);
    ok(ocds_merge_compiled(rels, 0, &out, &err) == 0 &&
           !strcmp(json_string_value(ocds_json_pointer_get(out, "/tag/0")), "compiled") && json_object_size(out) == 1,
       "no releases: a bare compiled skeleton");
    json_decref(out);
    deep = json_deep_copy(a);
    cur = deep;
    for (i = 0; i < 80; i++) {
        json_t *n = json_object();
        json_object_set_new(cur, "x", n);
        cur = n;
    }
    json_object_set_new(cur, "leaf", json_true());
    rels[0] = deep;
    ok(ocds_merge_compiled(rels, 1, &out, &err) == BF_ELIMIT && strstr(err.msg, "deeper"), "deep nesting: %s",
       err.msg);
    json_decref(deep);
    json_decref(a);
    json_decref(b);
}

static void test_hostile_schemas(void)
{
    const char *cyc = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"object\",\"properties\":"
                      "{\"b\":{\"$ref\":\"#\"}}}}}";
    const char *deep = "{\"properties\":{\"x\":{\"$ref\":\"#/definitions/X\"}},\"definitions\":{\"X\":"
                       "{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{\"id\":{},"
                       "\"self\":{\"$ref\":\"#/definitions/X\"}}}}}}";
    const char *dangling = "{\"properties\":{\"a\":{\"$ref\":\"#/definitions/Missing\"},"
                           "\"b\":{\"$ref\":\"http://elsewhere/x.json\"},\"c\":{\"type\":\"array\","
                           "\"items\":{\"type\":\"string\"}}}}";
    struct ocds_merge_rules *r = NULL;
    struct bf_err err = {0};
    json_t *s;

    s = json_loads(cyc, 0, NULL);
    ok(ocds_merge_rules_from_schema(s, &r, &err) == BF_ELIMIT && !r, "a $ref cycle ends with an error: %s", err.msg);
    ocds_merge_rules_free(r);
    r = NULL;
    json_decref(s);
    s = json_loads(deep, 0, NULL);
    ok(ocds_merge_rules_from_schema(s, &r, &err) == BF_ELIMIT && !r, "a recursive array definition too: %s", err.msg);
    json_decref(s);
    s = json_loads(dangling, 0, NULL);
    ok(ocds_merge_rules_from_schema(s, &r, &err) == 0 && ocds_merge_rules_get(r, "c") == OCDS_MERGE_WHOLE_LIST &&
           ocds_merge_rules_get(r, "a") == 0,
       "dangling and remote $refs are ignored, the rest still applies");
    ocds_merge_rules_free(r);
    json_decref(s);
    s = json_loads("{\"type\":\"object\"}", 0, NULL);
    ok(ocds_merge_rules_from_schema(s, &r, &err) == BF_EINVAL && !r, "a schema without properties: %s", err.msg);
    json_decref(s);
    r = NULL;
    ok(ocds_merge_rules_builtin(&r, NULL) == 0 && ocds_merge_rules_set(r, "a//b", OCDS_MERGE_OMIT, &err) == BF_EINVAL,
       "rule paths with empty segments are refused");
    ocds_merge_rules_free(r);
}

static void test_withheld_markers(void)
{
    const char *r1 = "{\"ocid\":\"o\",\"id\":\"1\",\"date\":\"2025-01-01T00:00:00Z\",\"tag\":[\"tender\"],"
                     "\"tender\":{\"id\":\"t\",\"value\":{\"withheld\":true,\"reason\":\"defenceSecurity\","
                     "\"commitment\":\"sha256:aa\"}}}";
    const char *r2 = "{\"ocid\":\"o\",\"id\":\"2\",\"date\":\"2026-01-01T00:00:00Z\",\"tag\":[\"tenderUpdate\"],"
                     "\"tender\":{\"id\":\"t\",\"value\":{\"amount\":5,\"currency\":\"EUR\"}}}";
    json_t *rels[2] = {json_loads(r2, 0, NULL), json_loads(r1, 0, NULL)}, *c = NULL, *v = NULL;
    json_t *want = json_loads("{\"amount\":5,\"currency\":\"EUR\"}", 0, NULL);

    ok(ocds_merge_compiled(rels, 2, &c, NULL) == 0 &&
           ocds_json_equal(ocds_json_pointer_get(c, "/tender/value"), want),
       "compiled: the disclosed value replaces the marker (no marker members left)");
    ok(ocds_merge_versioned(rels, 2, &v, NULL) == 0 &&
           json_array_size(ocds_json_pointer_get(v, "/tender/value/withheld")) == 2 &&
           json_is_true(ocds_json_pointer_get(v, "/tender/value/withheld/0/value")) &&
           json_is_null(ocds_json_pointer_get(v, "/tender/value/withheld/1/value")) &&
           json_is_null(ocds_json_pointer_get(v, "/tender/value/commitment/1/value")) &&
           json_integer_value(ocds_json_pointer_get(v, "/tender/value/amount/0/value")) == 5 &&
           !strcmp(json_string_value(ocds_json_pointer_get(v, "/tender/value/amount/0/releaseID")), "2"),
       "versioned: the marker's members end with null when the value (versioned from release 2) is disclosed");
    json_decref(c), json_decref(v), json_decref(want);
    json_decref(rels[0]), json_decref(rels[1]);
}

/* "--merge FILE": compiled and versioned release of a package's releases. */
static int merge_tool(const char *file)
{
    json_t *p = load_file(file), *rels = json_object_get(p, "releases"), *c = NULL, *v = NULL;
    json_t **arr = bf_xcalloc(json_array_size(rels) + 1, sizeof *arr);
    struct bf_err err = {0};
    size_t i;
    char *a, *b;

    for (i = 0; i < json_array_size(rels); i++)
        arr[i] = json_array_get(rels, i);
    if (ocds_merge_compiled(arr, i, &c, &err) < 0 || ocds_merge_versioned(arr, i, &v, &err) < 0)
        fprintf(stderr, "%s\n", err.msg);
    a = jcs_text(c), b = jcs_text(v);
    printf("%s\n%s\n", a, b);
    free(a), free(b), free(arr);
    json_decref(c), json_decref(v), json_decref(p);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "--merge") == 0)
        return merge_tool(argv[2]);
    char *fx = tap_shared("ocds/merge-fixtures") ? bf_xstrdup(tap_shared("ocds/merge-fixtures")) : NULL;
    char *rs = tap_shared("ocds/schema/release-schema.json") ? bf_xstrdup(tap_shared("ocds/schema/release-schema.json")) : NULL;
    struct ocds_merge_rules *r11 = NULL, *r10 = NULL, *rtest = NULL, *rext = NULL;
    json_t *schema, *ext;
    char dir[4096], path[4096];
    int cases = 0;

    if (!fx || !rs) {
        free(fx), free(rs);
        skip("no shared data: ocds/merge-fixtures or ocds/schema");
        test_errors();
        test_hostile_schemas();
        test_withheld_markers();
        return tap_done();
    }
    snprintf(dir, sizeof dir, "%s", fx);
    schema = load_file(rs);
    ok(ocds_merge_rules_from_schema(schema, &r11, NULL) == 0, "rules from the OCDS 1.1.5 release schema");
    ocds_merge_rules_for_version("1.0", &r10, NULL); /* 1.0: suppliers by ocdsVersion */
    ext = load_file("ext/defence/release-schema.json");
    if (ext) {
        merge_patch(schema, ext);
        ocds_merge_rules_from_schema(schema, &rext, NULL);
        test_table_matches_schema(rext);
    } else {
        skip("ext/defence/release-schema.json not found (run from the repository root)");
    }
    snprintf(path, sizeof path, "%s/schema.json", dir);
    json_decref(schema);
    schema = load_file(path);
    ok(ocds_merge_rules_from_schema(schema, &rtest, NULL) == 0, "rules from the fixtures' test schema");

    snprintf(path, sizeof path, "%s/1.1", dir);
    run_dir(path, r11, "1.1 (schema rules)", &cases);
    run_dir(path, NULL, "1.1 (built-in table)", &cases);
    snprintf(path, sizeof path, "%s/1.0", dir);
    run_dir(path, r10, "1.0", &cases);
    snprintf(path, sizeof path, "%s/schema", dir);
    run_dir(path, rtest, "schema", &cases);
    test_overrides(rtest, path);
    ok(cases == 2 * 34 + 2 + 14, "all fixture files found (%d comparisons)", cases);
    test_realdata();
    test_errors();
    test_hostile_schemas();
    test_withheld_markers();
    json_decref(schema), json_decref(ext);
    free(fx), free(rs);
    ocds_merge_rules_free(r11), ocds_merge_rules_free(r10), ocds_merge_rules_free(rtest), ocds_merge_rules_free(rext);
    return tap_done();
}
