/*
 * note.c - C2SP signed notes (signed-note v1.0.0) and their keys: verifier
 * keys "name+hex8+base64(type ‖ pub)", x/mod private keys
 * "PRIVATE+KEY+name+hex8+base64(type ‖ seed)", note parsing, signing and
 * verification with Ed25519 (type 0x01) and cosignature/v1 (type 0x04).
 *
 * Invariants: a parsed note's text ends in '\n' and is followed by exactly
 * one blank line and at least one signature line; the whole note is valid
 * UTF-8 without control characters other than '\n' (the x/mod rule: bytes
 * below 0x20). Key strings are split on the first two (four for private
 * keys) '+' only, because base64 may contain '+'. Key IDs are checked
 * against the key material on parse. Signatures from unknown (name, id)
 * pairs are ignored; a failing known one rejects the whole note. No OpenSSL
 * object outlives a call, so every function is thread-safe.
 */
#include "common.h"
#include "buf.h"
#include "enc.h"
#include "sha256.h"
#include "tlog.h"
#include "tlog_int.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

/* ---- Ed25519 ---------------------------------------------------------- */

int tlog_ed25519_sign(const uint8_t seed[32], const void *msg, size_t len, uint8_t sig[64],
                      struct bf_err *err)
{
    EVP_PKEY *pk = NULL;
    EVP_MD_CTX *md = NULL;
    size_t siglen = 64;
    int rc = BF_ECRYPTO;

    pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    md = EVP_MD_CTX_new();
    if (!pk || !md)
        goto out;
    if (EVP_DigestSignInit(md, NULL, NULL, NULL, pk) != 1)
        goto out;
    if (EVP_DigestSign(md, sig, &siglen, msg, len) != 1 || siglen != 64)
        goto out;
    rc = 0;
out:
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pk);
    if (rc < 0)
        bf_err_set(err, rc, "Ed25519 signing failed in OpenSSL");
    return rc;
}

int tlog_ed25519_public(const uint8_t seed[32], uint8_t pub[32], struct bf_err *err)
{
    EVP_PKEY *pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    size_t publen = 32;
    int rc = BF_ECRYPTO;

    if (pk && EVP_PKEY_get_raw_public_key(pk, pub, &publen) == 1 && publen == 32)
        rc = 0;
    EVP_PKEY_free(pk);
    if (rc < 0)
        bf_err_set(err, rc, "Ed25519 key derivation failed in OpenSSL");
    return rc;
}

int tlog_ed25519_verify(const uint8_t pub[32], const void *msg, size_t len, const uint8_t *sig,
                        size_t siglen)
{
    EVP_PKEY *pk = NULL;
    EVP_MD_CTX *md = NULL;
    int ok = 0;

    if (!sig || siglen != 64)
        return 0;
    pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
    md = EVP_MD_CTX_new();
    if (!pk || !md)
        goto out;
    if (EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk) != 1)
        goto out;
    ok = EVP_DigestVerify(md, sig, siglen, msg, len) == 1;
out:
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pk);
    return ok;
}

int tlog_ed25519_verify2(const uint8_t pub[32], const void *m1, size_t l1, const void *m2, size_t l2,
                         const uint8_t *sig, size_t siglen)
{
    uint8_t *msg;
    int ok;

    if (l2 > SIZE_MAX - l1 - 1)
        return 0;
    msg = bf_xmalloc(l1 + l2 + 1);
    memcpy(msg, m1, l1);
    if (l2)
        memcpy(msg + l1, m2, l2);
    ok = tlog_ed25519_verify(pub, msg, l1 + l2, sig, siglen);
    free(msg);
    return ok;
}

/* ---- small shared helpers --------------------------------------------- */

int tlog_parse_u64(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    size_t i;

    if (len == 0 || len > 20 || (s[0] == '0' && len > 1))
        return BF_EINVAL;
    for (i = 0; i < len; i++) {
        unsigned d;
        if (s[i] < '0' || s[i] > '9')
            return BF_EINVAL;
        d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return BF_EINVAL;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int tlog_parse_hash(const char *s, size_t len, uint8_t out[32])
{
    uint8_t tmp[33];
    if (len != 44 || bf_b64_decode(s, len, tmp, sizeof tmp) != 32)
        return BF_EINVAL;
    memcpy(out, tmp, 32);
    return 0;
}

void tlog_buf_rollback(struct bf_buf *b, size_t len)
{
    if (b->data && b->len > len) {
        b->len = len;
        b->data[len] = '\0';
    }
}

uint32_t tlog_key_id(const char *name, size_t len, uint8_t type, const uint8_t pub[32])
{
    uint8_t tail[2 + 32], h[32];
    tail[0] = '\n';
    tail[1] = type;
    memcpy(tail + 2, pub, 32);
    bf_sha256_2(name, len, tail, sizeof tail, h);
    return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

/* Decodes one UTF-8 sequence of a string already known to be valid. */
static uint32_t utf8_next(const unsigned char *s, size_t *i)
{
    uint32_t c = s[*i];
    if (c < 0x80) {
        *i += 1;
        return c;
    }
    if (c < 0xe0) {
        c = (c & 0x1f) << 6 | (s[*i + 1] & 0x3f);
        *i += 2;
    } else if (c < 0xf0) {
        c = (c & 0x0f) << 12 | (uint32_t)(s[*i + 1] & 0x3f) << 6 | (s[*i + 2] & 0x3f);
        *i += 3;
    } else {
        c = (c & 0x07) << 18 | (uint32_t)(s[*i + 1] & 0x3f) << 12 | (uint32_t)(s[*i + 2] & 0x3f) << 6 |
            (s[*i + 3] & 0x3f);
        *i += 4;
    }
    return c;
}

/* Unicode White_Space (Go's unicode.IsSpace). */
static int is_space(uint32_t c)
{
    return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
           c == 0x205f || c == 0x3000;
}

/* Non-empty, shorter than TLOG_NAME_MAX, valid UTF-8, no Unicode
 * whitespace, no '+', and (stricter than x/mod) no control characters. */
int tlog_key_name_valid(const char *name, size_t len)
{
    size_t i = 0;

    if (len == 0 || len >= TLOG_NAME_MAX || !bf_utf8_valid(name, len))
        return 0;
    while (i < len) {
        uint32_t c = utf8_next((const unsigned char *)name, &i);
        if (c < 0x20 || c == 0x7f || c == '+' || is_space(c))
            return 0;
    }
    return 1;
}

static int parse_hex8(const char *s, size_t len, uint32_t *out)
{
    uint32_t v = 0;
    size_t i;

    if (len != 8)
        return BF_EINVAL;
    for (i = 0; i < 8; i++) {
        char c = s[i];
        unsigned d;
        if (c >= '0' && c <= '9') d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') d = (unsigned)(c - 'A' + 10);
        else return BF_EINVAL;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

/* Next '+'-separated field of s[*pos..len); the last field takes the rest. */
static int next_field(const char *s, size_t len, size_t *pos, int last, const char **f, size_t *flen)
{
    const char *p = s + *pos, *plus;

    if (*pos > len)
        return BF_EINVAL;
    if (last) {
        *f = p;
        *flen = len - *pos;
        *pos = len + 1;
        return 0;
    }
    plus = memchr(p, '+', len - *pos);
    if (!plus)
        return BF_EINVAL;
    *f = p;
    *flen = (size_t)(plus - p);
    *pos += *flen + 1;
    return 0;
}

/* ---- keys ------------------------------------------------------------- */

int tlog_vkey_parse(const char *s, size_t len, struct tlog_vkey *out, struct bf_err *err)
{
    const char *name, *hex, *b64;
    size_t nlen, hlen, blen, pos = 0;
    uint8_t key[1 + 32 + 1];
    uint32_t id;
    long klen;

    memset(out, 0, sizeof *out);
    if (next_field(s, len, &pos, 0, &name, &nlen) < 0 || next_field(s, len, &pos, 0, &hex, &hlen) < 0 ||
        next_field(s, len, &pos, 1, &b64, &blen) < 0)
        return bf_err_set(err, BF_EINVAL, "verifier key: want name+hex8+base64");
    if (!tlog_key_name_valid(name, nlen))
        return bf_err_set(err, BF_EINVAL, "verifier key: invalid key name");
    if (parse_hex8(hex, hlen, &id) < 0)
        return bf_err_set(err, BF_EINVAL, "verifier key: key ID is not 8 hex digits");
    klen = bf_b64_decode(b64, blen, key, sizeof key);
    if (klen < 1)
        return bf_err_set(err, BF_EINVAL, "verifier key: bad base64 key");
    if (key[0] != TLOG_KEY_ED25519 && key[0] != TLOG_KEY_COSIG_V1)
        return bf_err_set(err, BF_EUNSUPPORTED, "verifier key: unsupported key type 0x%02x", key[0]);
    if (klen != 33)
        return bf_err_set(err, BF_EINVAL, "verifier key: Ed25519 key must be 32 bytes");
    if (tlog_key_id(name, nlen, key[0], key + 1) != id)
        return bf_err_set(err, BF_EINVAL, "verifier key: key ID %08" PRIx32 " does not match the key", id);
    memcpy(out->name, name, nlen);
    out->name[nlen] = '\0';
    out->id = id;
    out->type = key[0];
    memcpy(out->pub, key + 1, 32);
    return 0;
}

static int format_key(struct bf_buf *out, const char *prefix, const char *name, uint32_t id,
                      uint8_t type, const uint8_t k32[32])
{
    uint8_t raw[33];
    char b64[48 + 1];
    size_t start = out->len;
    int rc;

    if (!tlog_key_name_valid(name, strlen(name)))
        return BF_EINVAL;
    raw[0] = type;
    memcpy(raw + 1, k32, 32);
    bf_b64_encode(raw, sizeof raw, b64);
    rc = bf_buf_printf(out, "%s%s+%08" PRIx32 "+%s", prefix, name, id, b64);
    if (rc < 0)
        tlog_buf_rollback(out, start);
    return rc;
}

int tlog_vkey_format(const struct tlog_vkey *k, struct bf_buf *out)
{
    return format_key(out, "", k->name, k->id, k->type, k->pub);
}

int tlog_skey_format(const struct tlog_skey *k, struct bf_buf *out)
{
    return format_key(out, "PRIVATE+KEY+", k->name, k->id, k->type, k->seed);
}

int tlog_skey_parse(const char *s, size_t len, struct tlog_skey *out, struct bf_err *err)
{
    const char *p1, *p2, *name, *hex, *b64;
    size_t l1, l2, nlen, hlen, blen, pos = 0;
    uint8_t key[1 + 32 + 1];
    uint32_t id;
    long klen;
    int rc;

    memset(out, 0, sizeof *out);
    if (next_field(s, len, &pos, 0, &p1, &l1) < 0 || next_field(s, len, &pos, 0, &p2, &l2) < 0 ||
        next_field(s, len, &pos, 0, &name, &nlen) < 0 || next_field(s, len, &pos, 0, &hex, &hlen) < 0 ||
        next_field(s, len, &pos, 1, &b64, &blen) < 0 || l1 != 7 || memcmp(p1, "PRIVATE", 7) != 0 ||
        l2 != 3 || memcmp(p2, "KEY", 3) != 0)
        return bf_err_set(err, BF_EINVAL, "private key: want PRIVATE+KEY+name+hex8+base64");
    if (!tlog_key_name_valid(name, nlen))
        return bf_err_set(err, BF_EINVAL, "private key: invalid key name");
    if (parse_hex8(hex, hlen, &id) < 0)
        return bf_err_set(err, BF_EINVAL, "private key: key ID is not 8 hex digits");
    klen = bf_b64_decode(b64, blen, key, sizeof key);
    if (klen < 1) {
        rc = bf_err_set(err, BF_EINVAL, "private key: bad base64 key");
        goto out;
    }
    if (key[0] != TLOG_KEY_ED25519 && key[0] != TLOG_KEY_COSIG_V1) {
        rc = bf_err_set(err, BF_EUNSUPPORTED, "private key: unsupported key type 0x%02x", key[0]);
        goto out;
    }
    if (klen != 33) {
        rc = bf_err_set(err, BF_EINVAL, "private key: Ed25519 seed must be 32 bytes");
        goto out;
    }
    memcpy(out->name, name, nlen);
    out->name[nlen] = '\0';
    out->type = key[0];
    memcpy(out->seed, key + 1, 32);
    if ((rc = tlog_ed25519_public(out->seed, out->pub, err)) < 0)
        goto out;
    out->id = tlog_key_id(name, nlen, out->type, out->pub);
    if (out->id != id) {
        rc = bf_err_set(err, BF_EINVAL, "private key: key ID %08" PRIx32 " does not match the key", id);
        goto out;
    }
    rc = 0;
out:
    OPENSSL_cleanse(key, sizeof key);
    if (rc < 0) {
        OPENSSL_cleanse(out, sizeof *out);
        memset(out, 0, sizeof *out);
    }
    return rc;
}

int tlog_skey_generate(const char *name, uint8_t type, const uint8_t *seed, struct tlog_skey *out,
                       struct bf_err *err)
{
    size_t nlen = strlen(name);
    int rc;

    memset(out, 0, sizeof *out);
    if (!tlog_key_name_valid(name, nlen))
        return bf_err_set(err, BF_EINVAL, "new key: invalid key name");
    if (type != TLOG_KEY_ED25519 && type != TLOG_KEY_COSIG_V1)
        return bf_err_set(err, BF_EUNSUPPORTED, "new key: unsupported key type 0x%02x", type);
    memcpy(out->name, name, nlen + 1);
    out->type = type;
    if (seed)
        memcpy(out->seed, seed, 32);
    else
        bf_random(out->seed, 32);
    if ((rc = tlog_ed25519_public(out->seed, out->pub, err)) < 0) {
        OPENSSL_cleanse(out, sizeof *out);
        return rc;
    }
    out->id = tlog_key_id(name, nlen, type, out->pub);
    return 0;
}

void tlog_skey_public(const struct tlog_skey *k, struct tlog_vkey *out)
{
    memset(out, 0, sizeof *out);
    memcpy(out->name, k->name, sizeof out->name);
    out->id = k->id;
    out->type = k->type;
    memcpy(out->pub, k->pub, 32);
}

/* ---- notes ------------------------------------------------------------ */

/* Valid UTF-8 and no byte below 0x20 other than '\n'. */
static int note_chars_ok(const char *s, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 && s[i] != '\n')
            return 0;
    return bf_utf8_valid(s, len);
}

static int mem_rfind_nn(const char *s, size_t len, size_t *at)
{
    size_t i;
    if (len < 2)
        return 0;
    for (i = len - 1; i > 0; i--)
        if (s[i] == '\n' && s[i - 1] == '\n') {
            *at = i - 1;
            return 1;
        }
    return 0;
}

/* Decodes the base64 of one signature line into the note's pool; when the
 * pool is full (only possible with signature types Belfry does not verify)
 * the signature is validated chunk by chunk and kept as sig == NULL. */
static int decode_sig(struct tlog_note *n, size_t *used, const char *b64, size_t blen,
                      struct tlog_sig *sg)
{
    size_t pad = 0, dlen, i;
    uint8_t *dst = n->sigbuf + *used;
    size_t room = sizeof n->sigbuf - *used;

    if (blen == 0 || blen % 4)
        return BF_EINVAL;
    if (b64[blen - 1] == '=') pad++;
    if (blen > 1 && b64[blen - 2] == '=') pad++;
    dlen = blen / 4 * 3 - pad;
    if (dlen < 5)
        return BF_EINVAL;
    if (dlen <= room) {
        if (bf_b64_decode(b64, blen, dst, room) != (long)dlen)
            return BF_EINVAL;
        sg->id = (uint32_t)dst[0] << 24 | (uint32_t)dst[1] << 16 | (uint32_t)dst[2] << 8 | dst[3];
        memmove(dst, dst + 4, dlen - 4);
        sg->sig = dst;
        sg->sig_len = dlen - 4;
        *used += dlen - 4;
        return 0;
    }
    if (memchr(b64, '=', blen - pad))
        return BF_EINVAL;
    for (i = 0; i < blen; i += 1024) {
        uint8_t tmp[768];
        size_t chunk = BF_MIN((size_t)1024, blen - i);
        if (bf_b64_decode(b64 + i, chunk, tmp, sizeof tmp) < 0)
            return BF_EINVAL;
        if (i == 0)
            sg->id = (uint32_t)tmp[0] << 24 | (uint32_t)tmp[1] << 16 | (uint32_t)tmp[2] << 8 | tmp[3];
    }
    sg->sig = NULL;
    sg->sig_len = dlen - 4;
    return 0;
}

int tlog_note_parse(const char *s, size_t len, struct tlog_note *out, struct bf_err *err)
{
    size_t split, pos, used = 0;

    out->text = NULL;
    out->text_len = 0;
    out->nsig = 0;
    if (!note_chars_ok(s, len))
        return bf_err_set(err, BF_EINVAL, "note: not UTF-8 or contains control characters");
    if (!mem_rfind_nn(s, len, &split))
        return bf_err_set(err, BF_EINVAL, "note: no blank line before the signatures");
    pos = split + 2;
    if (pos >= len || s[len - 1] != '\n')
        return bf_err_set(err, BF_EINVAL, "note: no signature lines, or no final newline");
    while (pos < len) {
        const char *line = s + pos, *nl = memchr(line, '\n', len - pos), *sp;
        size_t llen = (size_t)(nl - line);
        struct tlog_sig *sg;

        pos += llen + 1;
        if (out->nsig == TLOG_MAX_SIGS)
            return bf_err_set(err, BF_ELIMIT, "note: more than %d signatures", TLOG_MAX_SIGS);
        if (llen < TLOG_SIG_PREFIX_LEN || memcmp(line, TLOG_SIG_PREFIX, TLOG_SIG_PREFIX_LEN) != 0)
            return bf_err_set(err, BF_EINVAL, "note: signature line %d does not start with an em dash",
                              out->nsig + 1);
        line += TLOG_SIG_PREFIX_LEN;
        llen -= TLOG_SIG_PREFIX_LEN;
        sp = memchr(line, ' ', llen);
        if (!sp)
            return bf_err_set(err, BF_EINVAL, "note: signature line %d has no signature", out->nsig + 1);
        sg = &out->sigs[out->nsig];
        sg->name = line;
        sg->name_len = (size_t)(sp - line);
        if (!tlog_key_name_valid(sg->name, sg->name_len))
            return bf_err_set(err, BF_EINVAL, "note: signature line %d has an invalid key name",
                              out->nsig + 1);
        if (decode_sig(out, &used, sp + 1, llen - sg->name_len - 1, sg) < 0)
            return bf_err_set(err, BF_EINVAL, "note: signature line %d has a bad signature encoding",
                              out->nsig + 1);
        out->nsig++;
    }
    out->text = s;
    out->text_len = split + 1;
    return 0;
}

int tlog_note_sign(const struct tlog_skey *k, const char *text, size_t len, struct bf_buf *line,
                   struct bf_err *err)
{
    uint8_t raw[4 + 64];
    char b64[92 + 1];
    size_t start = line->len;
    int rc;

    if (k->type != TLOG_KEY_ED25519)
        return bf_err_set(err, BF_EINVAL, "note: key %s is not an Ed25519 note key", k->name);
    if (len == 0 || text[len - 1] != '\n' || !note_chars_ok(text, len))
        return bf_err_set(err, BF_EINVAL, "note: text must be UTF-8, end in a newline, have no controls");
    if (!tlog_key_name_valid(k->name, strlen(k->name)))
        return bf_err_set(err, BF_EINVAL, "note: invalid key name");
    /* text is fully consumed before line grows: callers may pass a text
     * that lives inside line (tlog_checkpoint_sign does). */
    raw[0] = (uint8_t)(k->id >> 24);
    raw[1] = (uint8_t)(k->id >> 16);
    raw[2] = (uint8_t)(k->id >> 8);
    raw[3] = (uint8_t)k->id;
    if ((rc = tlog_ed25519_sign(k->seed, text, len, raw + 4, err)) < 0)
        return rc;
    bf_b64_encode(raw, sizeof raw, b64);
    rc = bf_buf_printf(line, TLOG_SIG_PREFIX "%s %s\n", k->name, b64);
    if (rc < 0) {
        tlog_buf_rollback(line, start);
        return bf_err_set(err, rc, "note: signature line does not fit the buffer");
    }
    return 0;
}

static int verify_one(const struct tlog_note *n, const struct tlog_vkey *k, const struct tlog_sig *sg,
                      uint64_t *t)
{
    if (k->type == TLOG_KEY_ED25519)
        return tlog_ed25519_verify(k->pub, n->text, n->text_len, sg->sig, sg->sig_len);
    if (k->type == TLOG_KEY_COSIG_V1) {
        char pre[64];
        size_t plen;
        uint64_t ts = 0;
        int i;
        if (!sg->sig || sg->sig_len != 8 + 64)
            return 0;
        for (i = 0; i < 8; i++)
            ts = ts << 8 | sg->sig[i];
        plen = tlog_cosig_prefix(ts, pre, sizeof pre);
        if (!tlog_ed25519_verify2(k->pub, pre, plen, n->text, n->text_len, sg->sig + 8, 64))
            return 0;
        *t = ts;
        return 1;
    }
    return 0;
}

int tlog_note_verify(const struct tlog_note *n, const struct tlog_vkey *keys, int nkeys,
                     uint64_t *cosig_time, struct bf_err *err)
{
    int i, j, verified = 0;

    if (!n->text || nkeys < 0)
        return bf_err_set(err, BF_EINVAL, "note: nothing to verify");
    for (i = 0; i < nkeys; i++) {
        const struct tlog_vkey *k = &keys[i];
        size_t klen = strlen(k->name);
        int good = 0;
        uint64_t t = 0;

        for (j = 0; j < n->nsig; j++) {
            const struct tlog_sig *sg = &n->sigs[j];
            if (sg->id != k->id || sg->name_len != klen || memcmp(sg->name, k->name, klen) != 0)
                continue;
            if (!verify_one(n, k, sg, &t))
                return bf_err_set(err, BF_ECRYPTO, "note: signature by %s does not verify", k->name);
            good = 1;
        }
        if (cosig_time)
            cosig_time[i] = good && k->type == TLOG_KEY_COSIG_V1 ? t : 0;
        verified += good;
    }
    if (!verified)
        return bf_err_set(err, BF_ECRYPTO, "note: no signature from a known key");
    return verified;
}
