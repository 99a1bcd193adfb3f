/*
 * ledger_sign.c - checkpoint signing on the sequencer's hot path.
 *
 * tlog_checkpoint_sign builds and frees its OpenSSL key object on every
 * call (~100 us), which at thousands of group commits a second costs a
 * third of a core. The sequencer signs with a key object built once at
 * open instead; the output is the same signed note byte for byte (the
 * checkpoint text from tlog_checkpoint_format, a blank line, and one
 * "— name base64(keyID ‖ Ed25519 signature)" line), which the tessera and
 * c2sp-70000 conformance tests pin. Ed25519 is deterministic, so there is
 * exactly one correct output.
 *
 * Invariants: only the sequencer thread uses a signer (no locking); the
 * private key object lives until ledger_signer_free.
 */
#include "common.h"
#include "ledger_int.h"
#include "buf.h"
#include "enc.h"

#include <openssl/evp.h>

struct ledger_signer {
    EVP_PKEY *pk;
    EVP_MD_CTX *md;
    char name[TLOG_NAME_MAX];
    uint32_t id;
};

int ledger_signer_new(const struct tlog_skey *k, struct ledger_signer **out, struct bf_err *err)
{
    struct ledger_signer *s;

    if (k->type != TLOG_KEY_ED25519)
        return bf_err_set(err, BF_EINVAL, "the log key is not an Ed25519 key");
    s = bf_xcalloc(1, sizeof *s);
    s->pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, k->seed, 32);
    s->md = EVP_MD_CTX_new();
    if (!s->pk || !s->md) {
        ledger_signer_free(s);
        return bf_err_set(err, BF_ECRYPTO, "cannot load the log key into OpenSSL");
    }
    snprintf(s->name, sizeof s->name, "%s", k->name);
    s->id = k->id;
    *out = s;
    return 0;
}

void ledger_signer_free(struct ledger_signer *s)
{
    if (!s)
        return;
    EVP_MD_CTX_free(s->md);
    EVP_PKEY_free(s->pk);
    free(s);
}

int ledger_signer_checkpoint(struct ledger_signer *s, const char *origin, uint64_t size, const tlog_hash *root,
                             struct bf_buf *out, struct bf_err *err)
{
    uint8_t raw[4 + 64];
    char b64[93];
    size_t start = out->len, siglen = 64;
    int rc;

    if ((rc = tlog_checkpoint_format(origin, size, root, out)) < 0) {
        bf_err_set(err, rc, "cannot format the checkpoint");
        goto fail;
    }
    raw[0] = (uint8_t)(s->id >> 24);
    raw[1] = (uint8_t)(s->id >> 16);
    raw[2] = (uint8_t)(s->id >> 8);
    raw[3] = (uint8_t)s->id;
    if (EVP_MD_CTX_reset(s->md) != 1 || EVP_DigestSignInit(s->md, NULL, NULL, NULL, s->pk) != 1 ||
        EVP_DigestSign(s->md, raw + 4, &siglen, (const unsigned char *)out->data + start, out->len - start) != 1 ||
        siglen != 64) {
        rc = bf_err_set(err, BF_ECRYPTO, "Ed25519 signing failed");
        goto fail;
    }
    bf_b64_encode(raw, sizeof raw, b64);
    if ((rc = bf_buf_printf(out, "\n\xe2\x80\x94 %s %s\n", s->name, b64)) < 0) {
        bf_err_set(err, rc, "checkpoint does not fit the buffer");
        goto fail;
    }
    return 0;
fail:
    if (out->data && out->len > start) {
        out->len = start;
        out->data[start] = '\0';
    }
    return rc;
}
