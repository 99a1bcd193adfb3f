/*
 * ocds_withheld.c - withheld (classified or deferred) fields: splitting a
 * release into its public form and a private sidecar, checking salted
 * commitments, and disclosure.
 *
 * Scheme: for each entry {"path", "reason", "disclosureDate"} of the
 * release's "withheld" list, a fresh 32-byte random salt is drawn and the
 * public release carries, at path, the marker
 *   {"withheld": true, "reason", "disclosureDate",
 *    "commitment": "sha256:" + hex(SHA-256(salt ‖ JCS(value)))}
 * never a fake value. The sidecar {"salts": {path: hex}, "values": {path:
 * value}} stays private (auditor-only). A later release discloses by
 * putting the value back at path and adding "disclosed": true, "salt" and
 * "commitment" to its withheld entry; anyone holding both public releases
 * can check the opening. The salt makes the commitment hiding (a small
 * value such as an amount cannot be guessed by hashing candidates) and
 * SHA-256 makes it binding.
 *
 * Invariants: the input release is never modified; on error nothing is
 * returned; commitments compare in constant time.
 */
#include "common.h"
#include "buf.h"
#include "enc.h"
#include "sha256.h"
#include "ocds.h"
#include "ocds_json.h"

#define SALT_LEN 32

static const struct {
    const char *eforms, *ours;
} reason_map[] = {
    {"com-int", "commercialInterest"},
    {"fair-comp", "fairCompetition"},
    {"law-enf", "lawEnforcement"},
    {"oth-int", "publicInterest"},
};
static const char *const reasons[] = {"defenceSecurity", "commercialInterest", "fairCompetition", "lawEnforcement",
    "publicInterest", NULL};

const char *ocds_withheld_reason_from_eforms(const char *code)
{
    size_t i;
    for (i = 0; code && i < BF_ARRAY_LEN(reason_map); i++)
        if (strcmp(code, reason_map[i].eforms) == 0)
            return reason_map[i].ours;
    return NULL;
}

int ocds_withheld_reason_valid(const char *code)
{
    return ocds_code_in(code, reasons);
}

/* "sha256:<hex>" of salt ‖ JCS(value) into out[72]. */
static int commit(const json_t *value, const uint8_t salt[SALT_LEN], char out[72], struct bf_err *err)
{
    struct bf_buf b = BF_BUF_INIT;
    uint8_t md[BF_SHA256_LEN];
    int rc = ocds_jcs(value, &b, err);

    if (rc == 0) {
        bf_sha256_2(salt, SALT_LEN, b.data, b.len, md);
        memcpy(out, "sha256:", 7);
        bf_hex_encode(md, sizeof md, out + 7);
    }
    bf_buf_free(&b);
    return rc;
}

int ocds_commitment_check(const json_t *marker, const json_t *value, const char *salt_hex, struct bf_err *err)
{
    const char *want = json_string_value(json_object_get(marker, "commitment"));
    uint8_t salt[SALT_LEN];
    char got[72];
    int rc;

    if (!want || strlen(want) != 71 || strncmp(want, "sha256:", 7) != 0)
        return bf_err_set(err, BF_EINVAL, "the marker has no sha256 commitment");
    if (!value)
        return bf_err_set(err, BF_EINVAL, "no value to check against the commitment");
    if (!salt_hex || strlen(salt_hex) != 2 * SALT_LEN ||
        bf_hex_decode(salt_hex, 2 * SALT_LEN, salt, sizeof salt) != SALT_LEN)
        return bf_err_set(err, BF_EINVAL, "the salt must be %d lower-case hex digits", 2 * SALT_LEN);
    if ((rc = commit(value, salt, got, err)) < 0)
        return rc;
    if (!bf_ct_equal(got, want, 71))
        return bf_err_set(err, BF_ECRYPTO, "value and salt do not open the commitment %.20s...", want);
    return 0;
}

/* Replaces the value at pointer p in doc (which must exist) with v (stolen). */
static int pointer_replace(json_t *doc, const char *p, json_t *v, struct bf_err *err)
{
    const char *slash = strrchr(p, '/');
    char *parent_ptr = bf_xstrndup(p, (size_t)(slash - p));
    json_t *parent = ocds_json_pointer_get(doc, parent_ptr);
    char tok[512];
    size_t i, o = 0;
    int rc = 0;

    for (i = 1; slash[i] && o + 1 < sizeof tok; i++) {
        char ch = slash[i];
        if (ch == '~' && (slash[i + 1] == '0' || slash[i + 1] == '1'))
            ch = slash[++i] == '0' ? '~' : '/';
        tok[o++] = ch;
    }
    tok[o] = '\0';
    if (json_is_object(parent) && json_object_get(parent, tok)) {
        json_object_set_new(parent, tok, v);
    } else if (json_is_array(parent) && ocds_json_pointer_get(doc, p)) {
        json_array_set_new(parent, strtoul(tok, NULL, 10), v);
    } else {
        json_decref(v);
        rc = bf_err_set(err, BF_EINVAL, "%.200s: no such value in the release", p);
    }
    free(parent_ptr);
    return rc;
}

static json_t *make_marker(const json_t *entry, const char *commitment)
{
    json_t *m = json_object(), *dd = json_object_get(entry, "disclosureDate");
    json_object_set_new(m, "withheld", json_true());
    json_object_set(m, "reason", json_object_get(entry, "reason"));
    if (json_is_string(dd))
        json_object_set(m, "disclosureDate", dd);
    json_object_set_new(m, "commitment", json_string(commitment));
    return m;
}

static int withhold_entry(json_t *pub, const json_t *entry, json_t *sidecar, struct bf_err *err)
{
    const char *p = json_string_value(json_object_get(entry, "path"));
    json_t *value = ocds_json_pointer_get(pub, p);
    uint8_t salt[SALT_LEN];
    char com[72], salt_hex[2 * SALT_LEN + 1];
    int rc;

    if (json_is_object(value) && json_is_true(json_object_get(value, "withheld")))
        return bf_err_set(err, BF_EINVAL, "%.200s: already a withheld marker; submit the full release", p);
    bf_random(salt, sizeof salt);
    if ((rc = commit(value, salt, com, err)) < 0)
        return rc;
    bf_hex_encode(salt, sizeof salt, salt_hex);
    json_object_set_new(json_object_get(sidecar, "salts"), p, json_string(salt_hex));
    json_object_set(json_object_get(sidecar, "values"), p, value);
    return pointer_replace(pub, p, make_marker(entry, com), err);
}

int ocds_withhold(const json_t *release, json_t **public_release, json_t **sidecar, struct bf_err *err)
{
    struct bf_buf ptr = BF_BUF_INIT;
    struct ocds_chk c = {&ptr, err};
    json_t *pub = NULL, *side = NULL, *list, *e;
    size_t i;
    int rc;

    *public_release = *sidecar = NULL;
    if (!json_is_object(release))
        return bf_err_set(err, BF_EINVAL, "a release must be a JSON object");
    rc = ocds_check_withheld(release, &c);
    bf_buf_free(&ptr);
    if (rc < 0)
        return rc;
    pub = json_deep_copy(release);
    side = json_pack("{s:{},s:{}}", "salts", "values");
    list = json_object_get(release, "withheld");
    json_array_foreach(list, i, e) {
        if (json_is_true(json_object_get(e, "disclosed")))
            continue;
        if ((rc = withhold_entry(pub, e, side, err)) < 0) {
            bf_err_wrap(err, "/withheld/%zu", i);
            goto out;
        }
    }
    *public_release = pub, *sidecar = side;
    pub = side = NULL;
out:
    json_decref(pub);
    json_decref(side);
    return rc;
}

static int disclose_entry(json_t *out, json_t *entry, const json_t *earlier, const json_t *sidecar,
                          struct bf_err *err)
{
    const char *p = json_string_value(json_object_get(entry, "path"));
    json_t *marker = ocds_json_pointer_get(earlier, p);
    json_t *value = json_object_get(json_object_get(sidecar, "values"), p);
    const char *salt = json_string_value(json_object_get(json_object_get(sidecar, "salts"), p));
    int rc;

    if (!json_is_object(marker) || !json_is_true(json_object_get(marker, "withheld")))
        return bf_err_set(err, BF_EINVAL, "%.200s: the earlier release has no withheld marker there", p);
    if (!value || !salt)
        return bf_err_set(err, BF_ENOTFOUND, "%.200s: the sidecar holds no value and salt for it", p);
    if ((rc = ocds_commitment_check(marker, value, salt, err)) < 0)
        return rc;
    if ((rc = pointer_replace(out, p, json_deep_copy(value), err)) < 0)
        return rc;
    json_object_set_new(entry, "salt", json_string(salt));
    json_object_set(entry, "commitment", json_object_get(marker, "commitment"));
    return 0;
}

int ocds_disclose(const json_t *release, const json_t *earlier_public, const json_t *sidecar, json_t **disclosed,
                  struct bf_err *err)
{
    json_t *out = NULL, *list, *e;
    size_t i;
    int rc = 0;

    *disclosed = NULL;
    if (!json_is_object(release) || !json_is_object(earlier_public) || !json_is_object(sidecar))
        return bf_err_set(err, BF_EINVAL, "disclosure needs the new release, the earlier public release and its sidecar");
    out = json_deep_copy(release);
    list = json_object_get(out, "withheld");
    json_array_foreach(list, i, e) {
        if (!json_is_true(json_object_get(e, "disclosed")))
            continue;
        if ((rc = disclose_entry(out, e, earlier_public, sidecar, err)) < 0) {
            bf_err_wrap(err, "/withheld/%zu", i);
            json_decref(out);
            return rc;
        }
    }
    *disclosed = out;
    return 0;
}

int ocds_disclosure_check(const json_t *earlier_public, const json_t *release, struct bf_err *err)
{
    json_t *list = json_object_get(release, "withheld"), *e;
    size_t i;
    int rc;

    json_array_foreach(list, i, e) {
        const char *p = json_string_value(json_object_get(e, "path"));
        json_t *marker, *com = json_object_get(e, "commitment");
        if (!json_is_true(json_object_get(e, "disclosed")))
            continue;
        marker = p ? ocds_json_pointer_get(earlier_public, p) : NULL;
        if (!json_is_object(marker) || !json_is_true(json_object_get(marker, "withheld")))
            return bf_err_set(err, BF_ECRYPTO, "/withheld/%zu: the earlier release has no marker at %.200s", i,
                              p ? p : "(no path)");
        if (!ocds_json_equal(com, json_object_get(marker, "commitment")))
            return bf_err_set(err, BF_ECRYPTO, "/withheld/%zu: commitment differs from the earlier marker", i);
        if ((rc = ocds_commitment_check(marker, ocds_json_pointer_get(release, p),
                                        json_string_value(json_object_get(e, "salt")), err)) < 0) {
            bf_err_wrap(err, "/withheld/%zu (%.200s)", i, p);
            return rc;
        }
    }
    return 0;
}
