/*
 * ocds_withheld.c - withheld (classified or deferred) fields: splitting a
 * release into its public form and a private sidecar, checking salted
 * commitments, and disclosure.
 *
 * Scheme: for each entry {"path", "reason", "disclosureDate"} of the
 * release's "withheld" list, a 32-byte salt is chosen and the public
 * release carries, at path, the marker
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
 * Salts: with a publisher key (ocds_withhold_keyed) the salt is
 * HMAC-SHA256(key, ocid ‖ 0x00 ‖ path ‖ 0x00 ‖ JCS(value)), so every
 * release of an ocid that withholds the same value at the same path
 * carries the same commitment, and the salt revealed at disclosure opens
 * all of them (tender, award, contract releases alike). Without a key a
 * fresh random salt is drawn per release (ocds_withhold). The key is 32
 * random bytes in <data>/ocds/withheld.key (ocds_withheld_key_load); it
 * never leaves that file.
 *
 * Personal data: ocds_withhold_personal adds a "personalData" entry for
 * every contact point of a release (members named contactPoint, items of
 * additionalContactPoints) that the release does not withhold already;
 * ocds_publish applies it to every release.
 *
 * Invariants: the input release is never modified; on error nothing is
 * returned; commitments compare in constant time. Outputs share the
 * values they do not change with the input (the public release copies
 * only the containers on the withheld paths, ocds_withhold_personal only
 * the top level), so callers treat both as read-only, as publishing does.
 */
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <pthread.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include "buf.h"
#include "enc.h"
#include "fs.h"
#include "sha256.h"
#include "ocds.h"
#include "ocds_json.h"
#include "ocds_check_int.h"

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
    "publicInterest", "personalData", NULL};

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

/* "sha256:<hex>" of salt ‖ canon (the JCS text of the value) into out[72]. */
static void commit_text(const struct bf_buf *canon, const uint8_t salt[SALT_LEN], char out[72])
{
    uint8_t md[BF_SHA256_LEN];

    bf_sha256_2(salt, SALT_LEN, canon->data ? canon->data : "", canon->len, md);
    memcpy(out, "sha256:", 7);
    bf_hex_encode(md, sizeof md, out + 7);
}

/* "sha256:<hex>" of salt ‖ JCS(value) into out[72]. */
static int commit(const json_t *value, const uint8_t salt[SALT_LEN], char out[72], struct bf_err *err)
{
    struct bf_buf b = BF_BUF_INIT;
    int rc = ocds_jcs(value, &b, err);

    if (rc == 0)
        commit_text(&b, salt, out);
    bf_buf_free(&b);
    return rc;
}

/* HMAC-SHA256 through EVP_MAC. A one-shot HMAC() fetches the digest and
 * allocates a context per call (about 12 us); a per-thread context
 * re-initialised with the same key costs about 1 us, so each thread keeps
 * one (freed at thread exit) with the key it holds. */
struct mac_cache {
    EVP_MAC_CTX *ctx;
    int keyed;
    uint8_t key[OCDS_WITHHELD_KEY_LEN];
};
static pthread_once_t mac_once = PTHREAD_ONCE_INIT;
static pthread_key_t mac_tls;
static EVP_MAC *mac_alg;

static void mac_cache_free(void *arg)
{
    struct mac_cache *m = arg;
    EVP_MAC_CTX_free(m->ctx);
    OPENSSL_cleanse(m->key, sizeof m->key);
    free(m);
}

static void mac_setup(void)
{
    if (pthread_key_create(&mac_tls, mac_cache_free) == 0)
        mac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

/* out = HMAC-SHA256(key, data); 0 or -1. */
static int hmac_sha256(const uint8_t key[OCDS_WITHHELD_KEY_LEN], const void *data, size_t n, uint8_t out[32])
{
    OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
                            OSSL_PARAM_construct_end() };
    struct mac_cache *m;
    size_t outlen = 0;

    if (pthread_once(&mac_once, mac_setup) != 0 || !mac_alg)
        return -1;
    m = pthread_getspecific(mac_tls);
    if (!m) {
        m = bf_xcalloc(1, sizeof *m);
        if (!(m->ctx = EVP_MAC_CTX_new(mac_alg)) || pthread_setspecific(mac_tls, m) != 0) {
            mac_cache_free(m);
            return -1;
        }
    }
    if (!m->keyed || !bf_ct_equal(m->key, key, sizeof m->key)) {
        m->keyed = 0;
        if (!EVP_MAC_init(m->ctx, key, OCDS_WITHHELD_KEY_LEN, params))
            return -1;
        memcpy(m->key, key, sizeof m->key);
        m->keyed = 1;
    } else if (!EVP_MAC_init(m->ctx, NULL, 0, NULL)) {
        return -1;
    }
    if (!EVP_MAC_update(m->ctx, data, n) || !EVP_MAC_final(m->ctx, out, &outlen, 32) || outlen != 32)
        return -1;
    return 0;
}

/* The salt of a value: HMAC-SHA256(key, ocid ‖ 0 ‖ path ‖ 0 ‖ canon) with
 * a key, 32 random bytes without. */
static int make_salt(const uint8_t *key, const char *ocid, const char *path, const struct bf_buf *canon,
                     uint8_t salt[SALT_LEN], struct bf_err *err)
{
    struct bf_buf in = BF_BUF_INIT;
    int rc = 0;

    if (!key) {
        bf_random(salt, SALT_LEN);
        return 0;
    }
    if (!ocid)
        return bf_err_set(err, BF_EINVAL, "/ocid: a keyed commitment needs the release's ocid");
    if (bf_buf_append(&in, ocid, strlen(ocid) + 1) < 0 || bf_buf_append(&in, path, strlen(path) + 1) < 0 ||
        bf_buf_append(&in, canon->data ? canon->data : "", canon->len) < 0) {
        rc = bf_err_set(err, BF_ELIMIT, "%.200s: value too large to commit to", path);
        goto out;
    }
    if (hmac_sha256(key, in.data, in.len, salt) < 0)
        rc = bf_err_set(err, BF_ECRYPTO, "HMAC-SHA256 of the salt failed");
out:
    if (in.data)
        OPENSSL_cleanse(in.data, in.len);
    bf_buf_free(&in);
    return rc;
}

int ocds_withheld_commit(const uint8_t *key, const char *ocid, const char *path, const struct bf_buf *canon,
                         char commitment[72], char salt_hex[65], struct bf_err *err)
{
    uint8_t salt[SALT_LEN];
    int rc = make_salt(key, ocid, path, canon, salt, err);

    if (rc == 0) {
        commit_text(canon, salt, commitment);
        bf_hex_encode(salt, sizeof salt, salt_hex);
    }
    OPENSSL_cleanse(salt, sizeof salt);
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

/* Makes every container on the way to p (not p itself) pub's own: one
 * still shared with release (the same node at the same pointer) is
 * replaced by a shallow copy, so replacing the value at p changes pub
 * only. Overlapping paths are refused by the check, so no path leads
 * through a marker. The two documents are walked down together, token
 * by token, as ocds_json_pointer_get reads them (p is shorter than 256
 * bytes: longer paths take the deep copy). */
static int unshare_path(json_t *pub, const json_t *release, const char *p, struct bf_err *err)
{
    json_t *mine = pub;
    const json_t *theirs = release;
    const char *s = p, *end;
    char tok[512];

    (void)err;
    while (*s == '/' && (end = strchr(s + 1, '/')) != NULL) { /* every token but the last */
        long o = ocds_json_pointer_token(s + 1, (size_t)(end - s - 1), tok, sizeof tok);
        size_t idx = 0;
        json_t *m, *t;

        if (o < 0)
            return 0; /* a token ocds_json_pointer_get refuses too: nothing shared on it */
        if (json_is_object(mine) && json_is_object(theirs)) {
            m = json_object_getn(mine, tok, (size_t)o);
            t = json_object_getn(theirs, tok, (size_t)o);
        } else if (json_is_array(mine) && json_is_array(theirs) && ocds_json_pointer_index(tok, (size_t)o, &idx)) {
            m = json_array_get(mine, idx);
            t = json_array_get(theirs, idx);
        } else {
            return 0;
        }
        if (!m)
            return 0;
        if ((json_is_object(m) || json_is_array(m)) && m == t) {
            m = json_copy(m);
            if (json_is_object(mine))
                json_object_set_new(mine, tok, m);
            else
                json_array_set_new(mine, idx, m);
        }
        mine = m, theirs = t;
        s = end;
    }
    return 0;
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

static int withhold_entry(json_t *pub, const json_t *entry, json_t *sidecar, const uint8_t *key, const char *ocid,
                          struct bf_err *err)
{
    const char *p = json_string_value(json_object_get(entry, "path"));
    json_t *value = ocds_json_pointer_get(pub, p);
    struct bf_buf canon = BF_BUF_INIT;
    char com[72], salt_hex[2 * SALT_LEN + 1];
    int rc;

    if (json_is_object(value) && json_is_true(json_object_get(value, "withheld")))
        return bf_err_set(err, BF_EINVAL, "%.200s: already a withheld marker; submit the full release", p);
    if ((rc = ocds_jcs(value, &canon, err)) < 0 || (rc = ocds_withheld_commit(key, ocid, p, &canon, com, salt_hex, err)) < 0)
        goto out;
    json_object_set_new(json_object_get(sidecar, "salts"), p, json_string(salt_hex));
    json_object_set(json_object_get(sidecar, "values"), p, value);
    rc = pointer_replace(pub, p, make_marker(entry, com), err);
out:
    bf_buf_free(&canon);
    return rc;
}

/* ocds_withhold_keyed; checked when the release passed
 * ocds_release_check, whose rules include ocds_check_withheld's. */
static int withhold_keyed(const json_t *release, const uint8_t *key, int checked, json_t **public_release,
                          json_t **sidecar, struct bf_err *err)
{
    json_t *pub = NULL, *side = NULL, *list, *e;
    const char *ocid;
    size_t i;
    int rc = 0, deep = 0;

    *public_release = *sidecar = NULL;
    if (!json_is_object(release))
        return bf_err_set(err, BF_EINVAL, "a release must be a JSON object");
    if (!checked) {
        struct bf_buf ptr = BF_BUF_INIT;
        struct ocds_chk c = {&ptr, err};
        rc = ocds_check_withheld(release, &c);
        bf_buf_free(&ptr);
        if (rc < 0)
            return rc;
    }
    ocid = json_string_value(json_object_get(release, "ocid"));
    list = json_object_get(release, "withheld");
    /* Copy only what changes: the root and the containers on each path
     * (unshare_path), not the whole release. Paths long enough to meet
     * pointer_replace's token limit get the whole copy, as before. */
    json_array_foreach(list, i, e) {
        const char *p = json_string_value(json_object_get(e, "path"));
        if (!json_is_true(json_object_get(e, "disclosed")) && (!p || strlen(p) >= 256))
            deep = 1;
    }
    pub = deep ? json_deep_copy(release) : json_copy((json_t *)release);
    side = json_pack("{s:{},s:{}}", "salts", "values");
    json_array_foreach(list, i, e) {
        if (json_is_true(json_object_get(e, "disclosed")))
            continue;
        if ((!deep && (rc = unshare_path(pub, release, json_string_value(json_object_get(e, "path")), err)) < 0) ||
            (rc = withhold_entry(pub, e, side, key, ocid, err)) < 0) {
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

int ocds_withhold_keyed(const json_t *release, const uint8_t *key, json_t **public_release, json_t **sidecar,
                        struct bf_err *err)
{
    return withhold_keyed(release, key, 0, public_release, sidecar, err);
}

int ocds_withhold_keyed_checked(const json_t *release, const uint8_t *key, json_t **public_release,
                                json_t **sidecar, struct bf_err *err)
{
    return withhold_keyed(release, key, 1, public_release, sidecar, err);
}

int ocds_withhold(const json_t *release, json_t **public_release, json_t **sidecar, struct bf_err *err)
{
    return ocds_withhold_keyed(release, NULL, public_release, sidecar, err);
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

/* ---- personal data ---------------------------------------------------- */

static int is_marker(const json_t *v)
{
    return json_is_object(v) && json_is_true(json_object_get(v, "withheld"));
}

/* 1 if a equals b or is an ancestor of it (as JSON pointers). */
static int path_covers(const char *a, const char *b)
{
    size_t n = strlen(a);
    return strncmp(a, b, n) == 0 && (b[n] == '/' || b[n] == '\0');
}

/* The pointer bound below which find_contacts cannot run out of room
 * (its buffer holds 1 << 16 bytes). */
#define CONTACT_PTR_SAFE 60000

/* 0 if find_contacts(v) at this depth, with a pointer of at most bound
 * bytes so far, certainly finds nothing and fails nowhere: no member
 * named contactPoint or additionalContactPoints, no nesting too deep, no
 * pointer too long. 1 when it might (then the real walk decides). It
 * visits every object and array the real walk does (and the insides of
 * markers too), without building pointers: most releases hold no contact
 * point, and pointer text for every member was most of the walk's cost. */
static int maybe_contacts(const json_t *v, size_t bound, int depth)
{
    const char *key;
    size_t i, klen;
    json_t *m;
    void *it;

    if (depth > OCDS_JSON_MAX_DEPTH || bound > CONTACT_PTR_SAFE)
        return 1;
    if (json_is_array(v)) {
        json_array_foreach(v, i, m)
            if ((json_is_object(m) || json_is_array(m)) && maybe_contacts(m, bound + 21, depth + 1))
                return 1;
        return 0;
    }
    for (it = json_object_iter((json_t *)v); it; it = json_object_iter_next((json_t *)v, it)) {
        m = json_object_iter_value(it);
        if (!json_is_object(m) && !json_is_array(m))
            continue;
        key = json_object_iter_key(it);
        klen = json_object_iter_key_len(it);
        if ((klen == 12 && !memcmp(key, "contactPoint", 12)) ||
            (klen == 23 && !memcmp(key, "additionalContactPoints", 23)))
            return 1;
        if (maybe_contacts(m, bound + 1 + 2 * klen, depth + 1))
            return 1;
    }
    return 0;
}

/* Appends to found the pointer of every contact point under v. */
static int find_contacts(const json_t *v, struct bf_buf *ptr, json_t *found, int depth, struct bf_err *err)
{
    const char *key;
    json_t *m, *e;
    size_t i, mark = ptr->len;
    int rc = 0;

    if (depth > OCDS_JSON_MAX_DEPTH)
        return bf_err_set(err, BF_ELIMIT, "%s: nested deeper than %d levels", ptr->data ? ptr->data : "",
                          OCDS_JSON_MAX_DEPTH);
    if (json_is_array(v)) {
        json_array_foreach(v, i, e) {
            if (!json_is_object(e) && !json_is_array(e))
                continue;
            if (bf_buf_printf(ptr, "/%zu", i) < 0)
                return bf_err_set(err, BF_ELIMIT, "JSON pointer too long");
            rc = find_contacts(e, ptr, found, depth + 1, err);
            ptr->len = mark, ptr->data[mark] = '\0';
            if (rc < 0)
                return rc;
        }
        return 0;
    }
    if (!json_is_object(v) || is_marker(v))
        return 0;
    json_object_foreach((json_t *)v, key, m) {
        int contact = !strcmp(key, "contactPoint"), more = !strcmp(key, "additionalContactPoints");
        if ((depth == 0 && !strcmp(key, "withheld")) || (!json_is_object(m) && !json_is_array(m)))
            continue;
        if (ocds_json_pointer_push(ptr, key, strlen(key)) < 0)
            return bf_err_set(err, BF_ELIMIT, "JSON pointer too long");
        if (contact && json_is_object(m)) {
            if (!is_marker(m))
                json_array_append_new(found, json_stringn(ptr->data, ptr->len));
        } else if (more && json_is_array(m)) {
            size_t m2 = ptr->len;
            json_array_foreach(m, i, e) {
                if (!json_is_object(e) || is_marker(e))
                    continue;
                if (bf_buf_printf(ptr, "/%zu", i) < 0)
                    return bf_err_set(err, BF_ELIMIT, "JSON pointer too long");
                json_array_append_new(found, json_stringn(ptr->data, ptr->len));
                ptr->len = m2, ptr->data[m2] = '\0';
            }
        } else {
            rc = find_contacts(m, ptr, found, depth + 1, err);
        }
        ptr->len = mark, ptr->data[mark] = '\0';
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Adds the entry of contact point p to list unless an entry already
 * withholds p or an ancestor; entries inside p give way to it. */
static int add_personal(json_t *list, const char *p, struct bf_err *err)
{
    size_t i;
    json_t *e;

    json_array_foreach(list, i, e) {
        const char *q = json_string_value(json_object_get(e, "path"));
        if (!q || !path_covers(q, p))
            continue;
        if (json_is_true(json_object_get(e, "disclosed")))
            return bf_err_set(err, BF_EINVAL,
                              "/withheld/%zu: discloses %.200s, which holds the contact point %.200s (personal data "
                              "is never published)", i, q, p);
        return 0; /* withheld already */
    }
    for (i = json_array_size(list); i-- > 0;) {
        const char *q = json_string_value(json_object_get(json_array_get(list, i), "path"));
        if (q && path_covers(p, q))
            json_array_remove(list, i);
    }
    json_array_append_new(list, json_pack("{s:s,s:s}", "path", p, "reason", "personalData"));
    return 0;
}

int ocds_withhold_personal(const json_t *release, json_t **out, struct bf_err *err)
{
    struct bf_buf ptr = BF_BUF_INIT;
    json_t *found = NULL, *copy = NULL, *list, *p;
    size_t i;
    int rc = 0;

    *out = NULL;
    if (!json_is_object(release)) {
        rc = bf_err_set(err, BF_EINVAL, "a release must be a JSON object");
        goto out;
    }
    if (!maybe_contacts(release, 0, 0)) {
        *out = json_incref((json_t *)release);
        goto out;
    }
    found = json_array();
    bf_buf_init(&ptr, 1 << 16);
    if ((rc = bf_buf_puts(&ptr, "")) < 0 || (rc = find_contacts(release, &ptr, found, 0, err)) < 0)
        goto out;
    if (json_array_size(found) == 0) {
        *out = json_incref((json_t *)release);
        goto out;
    }
    list = json_object_get(release, "withheld");
    if (list && !json_is_null(list) && !json_is_array(list)) {
        rc = bf_err_set(err, BF_EINVAL, "/withheld: must be an array of {path, reason, disclosureDate}");
        goto out;
    }
    copy = json_copy((json_t *)release); /* shallow: only "withheld" changes */
    list = json_is_array(list) ? json_deep_copy(list) : json_array();
    json_object_set_new(copy, "withheld", list);
    json_array_foreach(found, i, p)
        if ((rc = add_personal(list, json_string_value(p), err)) < 0)
            goto out;
    *out = copy;
    copy = NULL;
out:
    json_decref(copy);
    json_decref(found);
    bf_buf_free(&ptr);
    return rc;
}

/* ---- the publisher key ------------------------------------------------ */

static int key_read(const char *path, uint8_t key[OCDS_WITHHELD_KEY_LEN], struct bf_err *err)
{
    char *data = NULL;
    size_t len = 0;
    int rc = bf_fs_read(path, 4 * OCDS_WITHHELD_KEY_LEN, &data, &len, err);

    if (rc < 0)
        return rc;
    if (len != OCDS_WITHHELD_KEY_LEN)
        rc = bf_err_set(err, BF_ECORRUPT, "%s: a withheld-field key is %d bytes, not %zu", path,
                        OCDS_WITHHELD_KEY_LEN, len);
    else
        memcpy(key, data, OCDS_WITHHELD_KEY_LEN);
    OPENSSL_cleanse(data, len);
    free(data);
    return rc;
}

/* Writes a new random key to a private name with bf_fs_write_atomic and
 * links it into place: link() never replaces, so of two processes
 * creating the key at once one wins and both then read the winner's. */
static int key_create(const char *dir, const char *path, struct bf_err *err)
{
    uint8_t key[OCDS_WITHHELD_KEY_LEN], nonce[8];
    char tmp[4096], hex[2 * sizeof nonce + 1];
    int rc;

    bf_random(key, sizeof key);
    bf_random(nonce, sizeof nonce);
    bf_hex_encode(nonce, sizeof nonce, hex);
    if (snprintf(tmp, sizeof tmp, "%s.new.%ld.%s", path, (long)getpid(), hex) >= (int)sizeof tmp) {
        rc = bf_err_set(err, BF_EINVAL, "path too long: %s", path);
        goto out;
    }
    if ((rc = bf_fs_write_atomic(tmp, key, sizeof key, 0600, err)) < 0)
        goto out;
    if (link(tmp, path) < 0 && errno != EEXIST)
        rc = bf_err_set(err, BF_EIO, "%s: %s", path, strerror(errno));
    unlink(tmp);
    if (rc == 0)
        rc = bf_fs_sync_dir(dir, err);
out:
    OPENSSL_cleanse(key, sizeof key);
    return rc;
}

int ocds_withheld_key_load(const char *data_dir, int create, uint8_t key[OCDS_WITHHELD_KEY_LEN], struct bf_err *err)
{
    char dir[4096], path[4096];
    int rc;

    if (!data_dir)
        return bf_err_set(err, BF_EINVAL, "no data directory for the withheld-field key");
    if (snprintf(dir, sizeof dir, "%s/ocds", data_dir) >= (int)sizeof dir ||
        snprintf(path, sizeof path, "%s/withheld.key", dir) >= (int)sizeof path)
        return bf_err_set(err, BF_EINVAL, "data directory path too long: %s", data_dir);
    if (!bf_fs_exists(path)) {
        if (!create)
            return bf_err_set(err, BF_ENOTFOUND, "%s does not exist", path);
        if ((rc = bf_fs_mkdirs(dir, 0700, err)) < 0 || (rc = key_create(dir, path, err)) < 0)
            return rc;
    }
    return key_read(path, key, err);
}
