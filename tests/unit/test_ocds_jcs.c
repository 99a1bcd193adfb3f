/*
 * test_ocds_jcs.c - RFC 8785 canonical form: the RFC's number vectors
 * (Appendix B, as IEEE 754 bit patterns), its sorting and escaping
 * examples, integers beyond 2^53, depth and non-finite errors, digests and
 * the ledger entry line.
 *
 * With "--canon" it is also a filter for tests/node/ocds_jcs.test.mjs:
 * each stdin line is parsed (integers too large for jansson are read as
 * doubles, as JSON.parse does) and its JCS text, or "ERROR <message>", is
 * printed on one line, so node can compare with npm canonicalize.
 * With "--entry" each stdin line (a release) yields its ledger entry line.
 */
#include "common.h"
#include "buf.h"
#include "sha256.h"
#include "ocds/ocds.h"
#include "tap.h"

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (!v)
        v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &e);
    return v;
}

static char *canon(const char *text, int *rc_out)
{
    struct bf_buf b = BF_BUF_INIT;
    struct bf_err err = {0};
    json_t *v = parse(text);
    int rc = v ? ocds_jcs(v, &b, &err) : BF_EINVAL;
    char *s;

    json_decref(v);
    if (rc_out)
        *rc_out = rc;
    if (rc < 0) {
        bf_buf_free(&b);
        return bf_xstrdup(err.msg[0] ? err.msg : "parse error");
    }
    s = bf_buf_take(&b, NULL);
    return s;
}

static void check_canon(const char *in, const char *want, const char *what)
{
    int rc;
    char *got = canon(in, &rc);
    ok(rc == 0 && strcmp(got, want) == 0, "%s: %s", what, rc == 0 ? got : "error");
    if (rc != 0 || strcmp(got, want) != 0)
        diag("want %s", want);
    free(got);
}

static double from_bits(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

static void test_rfc_numbers(void)
{
    static const struct {
        uint64_t bits;
        const char *want;
    } v[] = {
        {0x0000000000000000ull, "0"},
        {0x8000000000000000ull, "0"},
        {0x0000000000000001ull, "5e-324"},
        {0x8000000000000001ull, "-5e-324"},
        {0x7fefffffffffffffull, "1.7976931348623157e+308"},
        {0xffefffffffffffffull, "-1.7976931348623157e+308"},
        {0x4340000000000000ull, "9007199254740992"},
        {0xc340000000000000ull, "-9007199254740992"},
        {0x4430000000000000ull, "295147905179352830000"},
        {0x44b52d02c7e14af5ull, "9.999999999999997e+22"},
        {0x44b52d02c7e14af6ull, "1e+23"},
        {0x44b52d02c7e14af7ull, "1.0000000000000001e+23"},
        {0x444b1ae4d6e2ef4eull, "999999999999999700000"},
        {0x444b1ae4d6e2ef4full, "999999999999999900000"},
        {0x444b1ae4d6e2ef50ull, "1e+21"},
        {0x3eb0c6f7a0b5ed8cull, "9.999999999999997e-7"},
        {0x3eb0c6f7a0b5ed8dull, "0.000001"},
        {0x41b3de4355555553ull, "333333333.3333332"},
        {0x41b3de4355555554ull, "333333333.33333325"},
        {0x41b3de4355555555ull, "333333333.3333333"},
        {0x41b3de4355555556ull, "333333333.3333334"},
        {0x41b3de4355555557ull, "333333333.33333343"},
        {0xbecbf647612f3696ull, "-0.0000033333333333333333"},
        {0x43143ff3c1cb0959ull, "1424953923781206.2"},
    };
    char out[32];
    size_t i;

    for (i = 0; i < BF_ARRAY_LEN(v); i++) {
        int rc = ocds_jcs_number(from_bits(v[i].bits), out);
        ok(rc == 0 && strcmp(out, v[i].want) == 0, "RFC 8785 B: %016" PRIx64 " -> %s (got %s)", v[i].bits,
           v[i].want, rc == 0 ? out : "error");
    }
    ok(ocds_jcs_number(from_bits(0x7fffffffffffffffull), out) == BF_EINVAL, "NaN is rejected");
    ok(ocds_jcs_number(from_bits(0x7ff0000000000000ull), out) == BF_EINVAL, "Infinity is rejected");
    ok(ocds_jcs_number(-from_bits(0x7ff0000000000000ull), out) == BF_EINVAL, "-Infinity is rejected");
}

static void test_rfc_examples(void)
{
    check_canon("{\"numbers\":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"
                "\"string\":\"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\","
                "\"literals\":[null,true,false]}",
                "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
                "\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}",
                "RFC 8785 3.2.2 example");
    check_canon("{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\",\"\\ufb33\":\"Hebrew\","
                "\"1\":\"One\",\"\\ud83d\\ude00\":\"Emoji\",\"\\u0080\":\"Control\",\"\\u00f6\":\"o\"}",
                "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\",\"\xc3\xb6\":\"o\","
                "\"\xe2\x82\xac\":\"Euro Sign\",\"\xf0\x9f\x98\x80\":\"Emoji\",\"\xef\xac\xb3\":\"Hebrew\"}",
                "RFC 8785 3.2.3 sorting by UTF-16 code units");
    check_canon("{\"b\":[],\"a\":{},\"c\":{\"z\":1,\"y\":[{\"q\":null,\"p\":true}]}}",
                "{\"a\":{},\"b\":[],\"c\":{\"y\":[{\"p\":true,\"q\":null}],\"z\":1}}", "nested sorting");
    check_canon("\"\\u007f\\u001f\\b\\f\\t/\"", "\"\x7f\\u001f\\b\\f\\t/\"", "escapes: DEL verbatim, controls short or \\u00xx");
    check_canon("[1.0,-0.0,100,1e2,0.1,1e-7,123456789012345680000]", "[1,0,100,100,0.1,1e-7,123456789012345680000]",
                "number forms");
}

static void test_integers(void)
{
    check_canon("9007199254740992", "9007199254740992", "2^53 exact");
    check_canon("9007199254740993", "9007199254740992", "2^53+1 formatted as the double JSON.parse holds");
    check_canon("-9223372036854775808", "-9223372036854776000", "INT64_MIN as a double");
    check_canon("123456789012345678901234567890", "1.2345678901234568e+29", "beyond int64: read as a double");
}

static void test_errors(void)
{
    struct bf_buf b = BF_BUF_INIT;
    struct bf_err err = {0};
    json_t *deep = json_array(), *cur = deep, *s;
    int i, rc;

    for (i = 0; i < OCDS_JSON_MAX_DEPTH + 5; i++) {
        json_t *n = json_array();
        json_array_append_new(cur, n);
        cur = n;
    }
    rc = ocds_jcs(deep, &b, &err);
    ok(rc == BF_ELIMIT && strstr(err.msg, "deeper"), "deep nesting is a clear error: %s", err.msg);
    ok(b.len == 0, "output unchanged after an error");
    json_decref(deep);

    bf_buf_free(&b);

    bf_buf_init(&b, 8);
    s = json_string("a long string beyond the limit");
    rc = ocds_jcs(s, &b, &err);
    ok(rc == BF_ELIMIT, "output limit is respected");
    json_decref(s);
    bf_buf_free(&b);
}

static void test_digest_and_entry(void)
{
    const char *rel = "{\"ocid\":\"ocds-b3lfry-1\",\"id\":\"r1\",\"date\":\"2025-01-02T03:04:05Z\","
                      "\"tag\":[\"tender\"],\"initiationType\":\"tender\",\"tender\":{\"id\":\"t\",\"value\":"
                      "{\"amount\":1.50,\"currency\":\"EUR\"}}}";
    json_t *r = parse(rel), *e;
    struct bf_buf b = BF_BUF_INIT;
    struct bf_err err = {0};
    char hex[65], want[65], *c;
    int rc;

    c = canon(rel, &rc);
    bf_sha256_hex(c, strlen(c), want);
    ok(ocds_digest(r, hex, &err) == 0 && strcmp(hex, want) == 0, "digest is SHA-256 of the JCS text");
    free(c);
    rc = ocds_entry_line(r, NULL, &b, &err);
    ok(rc == 0, "entry line built: %s", rc == 0 ? b.data : err.msg);
    e = rc == 0 ? json_loads(b.data, 0, NULL) : NULL;
    ok(e && strcmp(json_string_value(json_object_get(e, "type")), "ocds-release") == 0 &&
           strcmp(json_string_value(json_object_get(e, "sha256")), hex) == 0 &&
           strcmp(json_string_value(json_object_get(e, "actor")), "operator") == 0 &&
           json_array_size(json_object_get(e, "tag")) == 1 && !strchr(b.data, '\n') && !strchr(b.data, ' '),
       "entry has type, sha256, default actor, tag; one line, no spaces");
    ok(b.data && strncmp(b.data, "{\"actor\":", 9) == 0, "entry line is itself JCS (sorted)");
    json_decref(e);
    bf_buf_reset(&b);
    json_object_del(r, "tag");
    ok(ocds_entry_line(r, "officer:42", &b, &err) == BF_EINVAL && strstr(err.msg, "/tag"),
       "entry without tag is refused: %s", err.msg);
    json_object_set_new(r, "tag", json_string("tender"));
    ok(ocds_entry_line(r, "officer:42", &b, &err) == BF_EINVAL, "string tag is refused");
    json_decref(r);
    r = json_integer(1);
    ok(ocds_entry_line(r, NULL, &b, &err) == BF_EINVAL, "non-object is refused");
    json_decref(r);
    bf_buf_free(&b);
}

static int filter(int entry)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;

    while ((n = getline(&line, &cap, stdin)) > 0) {
        struct bf_buf b = BF_BUF_INIT;
        struct bf_err err = {0};
        json_t *v;
        int rc;
        if (line[n - 1] == '\n')
            line[--n] = '\0';
        v = parse(line);
        if (!v)
            rc = bf_err_set(&err, BF_EINVAL, "parse error");
        else
            rc = entry ? ocds_entry_line(v, NULL, &b, &err) : ocds_jcs(v, &b, &err);
        if (rc == 0)
            printf("%s\n", b.data);
        else
            printf("ERROR %s\n", err.msg);
        json_decref(v);
        bf_buf_free(&b);
    }
    free(line);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--canon") == 0)
        return filter(0);
    if (argc > 1 && strcmp(argv[1], "--entry") == 0)
        return filter(1);
    test_rfc_numbers();
    test_rfc_examples();
    test_integers();
    test_errors();
    test_digest_and_entry();
    return tap_done();
}
