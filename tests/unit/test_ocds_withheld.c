/*
 * test_ocds_withheld.c - withheld fields end to end: the public release
 * carries markers and no withheld value, commitments open with the right
 * value and salt and fail with a wrong one, salts are fresh, disclosure
 * reveals value and salt checkable against the earlier commitment (and a
 * tampered disclosure fails), the public and disclosing releases pass the
 * release check, and every eForms BT-197 reason code in the eForms SDK's
 * deferred-publication examples maps to one of our reason codes. Keyed
 * salts: one (ocid, path, value) gives one commitment under one key, and
 * any other ocid, path, value or key another; the key file is created
 * once, private, and reloaded. Personal data: every contact point gets a
 * personalData entry unless already withheld.
 *
 * "--withhold" reads one release per stdin line and prints, per line, the
 * public release (JCS) and the sidecar (JCS), for the node tests.
 */
#include "common.h"
#include "buf.h"
#include "sha256.h"
#include "ocds/ocds.h"
#include "tap.h"
#include "testutil.h"
#include <sys/stat.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

static const char *full =
    "{\"ocid\":\"ocds-b3lfry-W-1\",\"id\":\"W-1-award\",\"date\":\"2025-06-01T10:00:00Z\",\"tag\":[\"award\"],"
    "\"initiationType\":\"tender\",\"tender\":{\"id\":\"W-1\",\"title\":\"Secure radios\","
    "\"value\":{\"amount\":4321000.5,\"currency\":\"EUR\"}},"
    "\"awards\":[{\"id\":\"a1\",\"status\":\"active\",\"title\":\"Radio lot\","
    "\"suppliers\":[{\"id\":\"XX-SECRET-SUPPLIER\",\"name\":\"Hidden Radio Works\"}]}],"
    "\"withheld\":[{\"path\":\"/tender/value\",\"reason\":\"defenceSecurity\",\"disclosureDate\":\"2027-01-01\"},"
    "{\"path\":\"/awards/0/suppliers/0\",\"reason\":\"commercialInterest\",\"disclosureDate\":\"2026-06-01T00:00:00Z\"}]}";

static char *jcs(const json_t *v)
{
    struct bf_buf b = BF_BUF_INIT;
    if (ocds_jcs(v, &b, NULL) < 0) {
        bf_buf_free(&b);
        return bf_xstrdup("");
    }
    return bf_buf_take(&b, NULL);
}

static void test_round_trip(void)
{
    json_t *rel = json_loads(full, 0, NULL), *pub = NULL, *side = NULL, *pub2 = NULL, *side2 = NULL;
    json_t *marker, *value, *wrong;
    struct bf_err err = {0};
    const char *salt;
    char *text, bad[65];
    int rc;

    rc = ocds_withhold(rel, &pub, &side, &err);
    ok(rc == 0 && pub && side, "withhold splits the release: %s", rc ? err.msg : "ok");
    if (rc)
        return;
    marker = ocds_json_pointer_get(pub, "/tender/value");
    ok(json_is_true(json_object_get(marker, "withheld")) &&
           !strcmp(json_string_value(json_object_get(marker, "reason")), "defenceSecurity") &&
           !strcmp(json_string_value(json_object_get(marker, "disclosureDate")), "2027-01-01") &&
           !strncmp(json_string_value(json_object_get(marker, "commitment")), "sha256:", 7) &&
           json_object_size(marker) == 4,
       "marker has withheld, reason, disclosureDate, commitment and nothing else");
    text = jcs(pub);
    ok(!strstr(text, "4321000") && !strstr(text, "Hidden Radio") && !strstr(text, "XX-SECRET"),
       "no withheld value appears anywhere in the public release");
    ok(strstr(text, "Secure radios") && strstr(text, "Radio lot"), "the other fields stay public");
    free(text);
    ok(ocds_release_check(pub, &err) == 0, "public release passes the release check: %s", err.msg);
    {
        json_t *again = json_loads(full, 0, NULL);
        ok(json_equal(rel, again), "input release is not modified");
        json_decref(again);
    }

    value = ocds_json_pointer_get(json_object_get(side, "values"), "/~1tender~1value");
    salt = json_string_value(json_object_get(json_object_get(side, "salts"), "/tender/value"));
    ok(value && salt && strlen(salt) == 64, "sidecar holds the value and a 32-byte salt");
    ok(ocds_commitment_check(marker, value, salt, &err) == 0, "commitment opens with the right value and salt");
    wrong = json_loads("{\"amount\":4321000.51,\"currency\":\"EUR\"}", 0, NULL);
    ok(ocds_commitment_check(marker, wrong, salt, &err) == BF_ECRYPTO, "a different value does not open it: %s",
       err.msg);
    json_decref(wrong);
    snprintf(bad, sizeof bad, "%s", salt);
    bad[0] = bad[0] == '0' ? '1' : '0';
    ok(ocds_commitment_check(marker, value, bad, &err) == BF_ECRYPTO, "a different salt does not open it");
    ok(ocds_commitment_check(marker, value, "zz", &err) == BF_EINVAL, "a malformed salt is an input error");
    {
        json_t *same = json_loads("{\"currency\":\"EUR\",\"amount\":4321000.50}", 0, NULL);
        ok(ocds_commitment_check(marker, same, salt, &err) == 0,
           "the same value written differently (member order, trailing zero) opens it: JCS");
        json_decref(same);
    }
    ocds_withhold(rel, &pub2, &side2, &err);
    ok(strcmp(json_string_value(json_object_get(ocds_json_pointer_get(pub2, "/tender/value"), "commitment")),
              json_string_value(json_object_get(marker, "commitment"))) != 0,
       "fresh salt: withholding twice gives different commitments");
    json_decref(pub2), json_decref(side2);

    /* disclosure */
    {
        json_t *next = json_deep_copy(pub), *disc = NULL, *list = json_object_get(next, "withheld");
        json_object_set_new(next, "id", json_string("W-1-disclosure"));
        json_object_set_new(next, "date", json_string("2027-01-02T00:00:00Z"));
        json_object_set_new(next, "tag", json_pack("[s]", "awardUpdate"));
        json_object_set_new(json_array_get(list, 0), "disclosed", json_true());
        rc = ocds_disclose(next, pub, side, &disc, &err);
        ok(rc == 0, "disclosure built: %s", rc ? err.msg : "ok");
        ok(rc == 0 && ocds_json_equal(ocds_json_pointer_get(disc, "/tender/value"), value),
           "the disclosing release carries the original value");
        ok(rc == 0 && json_is_true(json_object_get(ocds_json_pointer_get(disc, "/awards/0/suppliers/0"), "withheld")),
           "fields not disclosed stay withheld");
        ok(rc == 0 && ocds_release_check(disc, &err) == 0, "disclosing release passes the release check: %s",
           err.msg);
        ok(rc == 0 && ocds_disclosure_check(pub, disc, &err) == 0,
           "anyone can check the disclosure against the earlier public release");
        if (rc == 0) {
            json_t *tampered = json_deep_copy(disc);
            json_object_set_new(json_object_get(tampered, "tender"), "value",
                                json_loads("{\"amount\":1,\"currency\":\"EUR\"}", 0, NULL));
            ok(ocds_disclosure_check(pub, tampered, &err) == BF_ECRYPTO, "a changed disclosed value fails: %s",
               err.msg);
            json_decref(tampered);
        }
        {
            json_t *bad_side = json_deep_copy(side);
            json_object_set_new(json_object_get(bad_side, "values"), "/tender/value",
                                json_loads("{\"amount\":2,\"currency\":\"EUR\"}", 0, NULL));
            json_decref(disc);
            disc = NULL;
            ok(ocds_disclose(next, pub, bad_side, &disc, &err) == BF_ECRYPTO && !disc,
               "disclosing a value other than the committed one is refused: %s", err.msg);
            json_decref(bad_side);
        }
        json_decref(disc);
        json_decref(next);
    }
    json_decref(pub), json_decref(side), json_decref(rel);
}

static void test_refusals(void)
{
    json_t *rel = json_loads(full, 0, NULL), *pub = NULL, *side = NULL;
    struct bf_err err = {0};

    json_object_set_new(json_array_get(json_object_get(rel, "withheld"), 0), "path", json_string("/tender/nothing"));
    ok(ocds_withhold(rel, &pub, &side, &err) == BF_EINVAL && !pub && !side && strstr(err.msg, "/withheld/0/path"),
       "withholding a missing path: %s", err.msg);
    json_object_set_new(json_array_get(json_object_get(rel, "withheld"), 0), "path", json_string("/ocid"));
    ok(ocds_withhold(rel, &pub, &side, &err) == BF_EINVAL, "withholding the ocid: %s", err.msg);
    json_decref(rel);
    rel = json_loads(full, 0, NULL);
    json_object_del(rel, "withheld");
    ok(ocds_withhold(rel, &pub, &side, &err) == 0 && json_equal(pub, rel) &&
           json_object_size(json_object_get(side, "values")) == 0,
       "a release without withheld fields is public as is");
    json_decref(pub), json_decref(side), json_decref(rel);
}

/* Every BT-197 code in the eForms SDK deferred-publication examples. */
static void test_eforms_reasons(void)
{
    static const char *files[] = {"eforms/withheld/can_25_withheld.xml", "eforms/withheld/can_25_withheld_lots.xml"};
    const char *needle = "listName=\"non-publication-justification\">";
    size_t i;

    ok(!strcmp(ocds_withheld_reason_from_eforms("com-int"), "commercialInterest") &&
           !strcmp(ocds_withheld_reason_from_eforms("fair-comp"), "fairCompetition") &&
           !strcmp(ocds_withheld_reason_from_eforms("law-enf"), "lawEnforcement") &&
           !strcmp(ocds_withheld_reason_from_eforms("oth-int"), "publicInterest") &&
           !ocds_withheld_reason_from_eforms("nonsense"),
       "eForms non-publication-justification codes map to ours");
    for (i = 0; i < BF_ARRAY_LEN(files); i++) {
        const char *path = tap_shared(files[i]);
        FILE *f;
        char line[4096];
        int n = 0, mapped = 0;
        if (!path) {
            skip("no shared data: %s", files[i]);
            continue;
        }
        f = fopen(path, "r");
        while (f && fgets(line, sizeof line, f)) {
            char *p = strstr(line, needle), code[64];
            size_t k = 0;
            if (!p)
                continue;
            for (p += strlen(needle); *p && *p != '<' && k + 1 < sizeof code; p++)
                code[k++] = *p;
            code[k] = '\0';
            n++;
            mapped += ocds_withheld_reason_valid(ocds_withheld_reason_from_eforms(code));
        }
        if (f)
            fclose(f);
        ok(n > 0 && mapped == n, "%s: %d of %d FieldsPrivacy reason codes map", files[i], mapped, n);
    }
}


static const char *marker_com(const json_t *pub, const char *path)
{
    return json_string_value(json_object_get(ocds_json_pointer_get(pub, path), "commitment"));
}

/* Commitment of /tender/value in rel (with the value set to amount) under key. */
static char *keyed_com(const uint8_t *key, const char *ocid, double amount, const char *path)
{
    json_t *rel = json_loads(full, 0, NULL), *pub = NULL, *side = NULL;
    struct bf_err err = {0};
    char *out = NULL;

    json_object_set_new(rel, "ocid", json_string(ocid));
    json_object_set_new(json_object_get(json_object_get(rel, "tender"), "value"), "amount", json_real(amount));
    if (strcmp(path, "/tender/value")) { /* move the value to tender/minValue, withheld there */
        json_t *t = json_object_get(rel, "tender");
        json_object_set(t, "minValue", json_object_get(t, "value"));
        json_object_del(t, "value");
        json_object_set_new(json_array_get(json_object_get(rel, "withheld"), 0), "path", json_string(path));
    }
    if (ocds_withhold_keyed(rel, key, &pub, &side, &err) == 0)
        out = bf_xstrdup(marker_com(pub, path));
    else
        diag("withhold: %s", err.msg);
    json_decref(rel), json_decref(pub), json_decref(side);
    return out ? out : bf_xstrdup("error");
}

static void test_keyed(void)
{
    uint8_t key[OCDS_WITHHELD_KEY_LEN], key2[OCDS_WITHHELD_KEY_LEN], again[OCDS_WITHHELD_KEY_LEN];
    char dir[256], path[300], *a, *b, *c, *d, *e, *f;
    struct bf_err err = {0};
    struct stat st;
    json_t *rel = json_loads(full, 0, NULL), *pub = NULL, *side = NULL;
    const char *salt;
    FILE *fp;

    if (tu_mkdtemp(dir, sizeof dir, "withheld-key") < 0) {
        ok(0, "temp dir");
        json_decref(rel);
        return;
    }
    ok(ocds_withheld_key_load(dir, 0, key, &err) == BF_ENOTFOUND, "no key file and no create: not found");
    memset(&err, 0, sizeof err);
    ok(ocds_withheld_key_load(dir, 1, key, &err) == 0, "key created on first use %s", err.msg);
    snprintf(path, sizeof path, "%s/ocds/withheld.key", dir);
    ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == OCDS_WITHHELD_KEY_LEN,
       "%s: 32 bytes, mode 0600", path);
    ok(ocds_withheld_key_load(dir, 1, again, &err) == 0 && !memcmp(key, again, sizeof key),
       "the key is loaded again, not replaced");
    fp = fopen(path, "ab");
    if (fp) {
        fputc('x', fp);
        fclose(fp);
    }
    ok(ocds_withheld_key_load(dir, 1, again, &err) == BF_ECORRUPT, "a key of the wrong size is refused: %s", err.msg);
    tu_rm_rf(dir);
    bf_random(key2, sizeof key2);

    a = keyed_com(key, "ocds-b3lfry-K-1", 4321000.5, "/tender/value");
    b = keyed_com(key, "ocds-b3lfry-K-1", 4321000.5, "/tender/value");
    c = keyed_com(key, "ocds-b3lfry-K-1", 4321001, "/tender/value");
    d = keyed_com(key, "ocds-b3lfry-K-2", 4321000.5, "/tender/value");
    e = keyed_com(key, "ocds-b3lfry-K-1", 4321000.5, "/tender/minValue");
    f = keyed_com(key2, "ocds-b3lfry-K-1", 4321000.5, "/tender/value");
    ok(strncmp(a, "sha256:", 7) == 0 && !strcmp(a, b), "same key, ocid, path and value: same commitment");
    ok(strcmp(a, c) && strcmp(a, d) && strcmp(a, e) && strcmp(a, f) && strcmp(c, d),
       "another value, ocid, path or key: another commitment");
    free(a), free(b), free(c), free(d), free(e), free(f);

    memset(&err, 0, sizeof err);
    ok(ocds_withhold_keyed(rel, key, &pub, &side, &err) == 0, "keyed withhold %s", err.msg);
    salt = json_string_value(json_object_get(json_object_get(side, "salts"), "/tender/value"));
    ok(salt && strlen(salt) == 64 &&
           ocds_commitment_check(ocds_json_pointer_get(pub, "/tender/value"),
                                 json_object_get(json_object_get(side, "values"), "/tender/value"), salt, &err) == 0,
       "a keyed commitment opens with the sidecar's value and salt like a random one");
    {   /* the documented formula, recomputed with OpenSSL's one-shot HMAC() */
        struct bf_buf in = BF_BUF_INIT;
        uint8_t md[32];
        unsigned int mdlen = 0;
        char hex[65] = "";
        if (bf_buf_append(&in, "ocds-b3lfry-W-1", 16) == 0 && bf_buf_append(&in, "/tender/value", 14) == 0 &&
            ocds_jcs(json_object_get(json_object_get(side, "values"), "/tender/value"), &in, &err) == 0 &&
            HMAC(EVP_sha256(), key, sizeof key, (const unsigned char *)in.data, in.len, md, &mdlen))
            bf_hex_encode(md, sizeof md, hex);
        ok(salt && !strcmp(salt, hex), "salt = HMAC-SHA256(key, ocid 0x00 path 0x00 JCS(value))");
        bf_buf_free(&in);
    }
    {
        char hex[2 * OCDS_WITHHELD_KEY_LEN + 1];
        char *pt = jcs(pub), *sd = jcs(side);
        bf_hex_encode(key, sizeof key, hex);
        ok(!strstr(pt, hex) && !strstr(sd, hex), "the key is in neither the public release nor the sidecar");
        free(pt), free(sd);
    }
    json_object_del(rel, "ocid");
    json_decref(pub), json_decref(side);
    ok(ocds_withhold_keyed(rel, key, &pub, &side, &err) == BF_EINVAL && !pub, "keyed salts need an ocid: %s",
       err.msg);
    json_decref(rel);
}

static int count_reason(const json_t *rel, const char *reason)
{
    size_t i;
    json_t *e;
    int n = 0;
    json_array_foreach(json_object_get(rel, "withheld"), i, e)
        n += !strcmp(json_string_value(json_object_get(e, "reason")), reason);
    return n;
}

static void test_personal(void)
{
    static const char *doc =
        "{\"ocid\":\"ocds-b3lfry-P-1\",\"id\":\"P-1\",\"date\":\"2025-06-01T10:00:00Z\",\"tag\":[\"tender\"],"
        "\"initiationType\":\"tender\",\"buyer\":{\"id\":\"BE-MOD\",\"name\":\"Defence\","
        "\"contactPoint\":{\"name\":\"Jan Peeters\",\"email\":\"jan.peeters@mil.be\"}},"
        "\"parties\":[{\"id\":\"BE-MOD\",\"name\":\"Defence\",\"roles\":[\"buyer\"],"
        "\"contactPoint\":{\"name\":\"Jan Peeters\",\"email\":\"jan.peeters@mil.be\",\"telephone\":\"+32 2 000 00 00\","
        "\"faxNumber\":\"+32 2 000 00 01\"},\"additionalContactPoints\":[{\"name\":\"Els Maes\"}]},"
        "{\"id\":\"S-1\",\"name\":\"Supplier\",\"contactPoint\":{\"email\":\"x@supplier.eu\"}}],"
        "\"tender\":{\"id\":\"t\",\"value\":{\"amount\":1,\"currency\":\"EUR\"}},"
        "\"withheld\":[{\"path\":\"/parties/1\",\"reason\":\"commercialInterest\"},"
        "{\"path\":\"/tender/value\",\"reason\":\"defenceSecurity\"}]}";
    json_t *rel = json_loads(doc, 0, NULL), *out = NULL, *pub = NULL, *side = NULL, *bare;
    struct bf_err err = {0};
    char *text;

    ok(ocds_withheld_reason_valid("personalData"), "personalData is a reason code");
    ok(ocds_withhold_personal(rel, &out, &err) == 0 && out != rel, "contact points found %s", err.msg);
    ok(count_reason(out, "personalData") == 3 && count_reason(out, "commercialInterest") == 1 &&
           count_reason(out, "defenceSecurity") == 1,
       "buyer, party and additional contact points added; the withheld supplier covers its own");
    ok(!json_object_get(json_array_get(json_object_get(out, "withheld"), 2), "disclosureDate"),
       "personal data has no disclosure date");
    ok(json_array_size(json_object_get(rel, "withheld")) == 2, "the input release is not modified");
    ok(ocds_withhold(out, &pub, &side, &err) == 0, "the result withholds %s", err.msg);
    text = jcs(pub);
    ok(!strstr(text, "@") && !strstr(text, "Peeters") && !strstr(text, "Maes") && !strstr(text, "+32"),
       "no name, e-mail or phone left in the public release");
    free(text);
    ok(!strcmp(json_string_value(json_object_get(ocds_json_pointer_get(pub, "/buyer/contactPoint"), "reason")),
               "personalData"),
       "the marker says personalData");
    ok(ocds_release_check(pub, &err) == 0, "public release passes the release check: %s", err.msg);
    json_decref(out), json_decref(pub), json_decref(side);

    /* an entry inside a contact point gives way; a disclosed one is refused */
    json_object_set_new(json_object_get(json_object_get(rel, "buyer"), "contactPoint"), "x",
                        json_pack("{s:s}", "k", "v"));
    json_array_append_new(json_object_get(rel, "withheld"),
                          json_pack("{s:s,s:s}", "path", "/buyer/contactPoint/x", "reason", "publicInterest"));
    ok(ocds_withhold_personal(rel, &out, &err) == 0 && count_reason(out, "publicInterest") == 0 &&
           count_reason(out, "personalData") == 3,
       "an entry inside a contact point is replaced by the contact point's");
    json_decref(out);
    json_object_set_new(json_array_get(json_object_get(rel, "withheld"), 0), "disclosed", json_true());
    ok(ocds_withhold_personal(rel, &out, &err) == BF_EINVAL && !out, "disclosing a contact point is refused: %s",
       err.msg);
    bare = json_loads(full, 0, NULL);
    ok(ocds_withhold_personal(bare, &out, &err) == 0 && out == bare, "a release without contact points is returned as is");
    json_decref(out), json_decref(bare), json_decref(rel);
}

static int withhold_filter(void)
{
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, stdin) > 0) {
        json_t *r = json_loads(line, 0, NULL), *pub = NULL, *side = NULL;
        struct bf_err err = {0};
        if (r && ocds_withhold(r, &pub, &side, &err) == 0) {
            char *a = jcs(pub), *b = jcs(side);
            printf("%s\n%s\n", a, b);
            free(a), free(b);
        } else {
            printf("ERROR %s\nERROR\n", err.msg);
        }
        json_decref(r), json_decref(pub), json_decref(side);
    }
    free(line);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--withhold") == 0)
        return withhold_filter();
    test_round_trip();
    test_refusals();
    test_eforms_reasons();
    test_keyed();
    test_personal();
    return tap_done();
}
