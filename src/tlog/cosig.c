/*
 * cosig.c - C2SP tlog-cosignature v1.0.1 (type 0x04, "cosignature/v1"):
 * a witness signs "cosignature/v1\ntime <t>\n" followed by the whole
 * checkpoint note text, extension lines included, and the signature line
 * carries keyID[4] ‖ u64be t ‖ Ed25519 signature[64] (76 bytes).
 *
 * Invariants: only keys of type 0x04 cosign (the key ID covers the type
 * byte, so a log key never doubles as a witness key); verification lives
 * in tlog_note_verify, which shares tlog_cosig_prefix with the signer so
 * both always build the same message.
 */
#include "common.h"
#include "buf.h"
#include "enc.h"
#include "tlog.h"
#include "tlog_int.h"

size_t tlog_cosig_prefix(uint64_t t, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "cosignature/v1\ntime %" PRIu64 "\n", t);
    return n < 0 ? 0 : BF_MIN((size_t)n, cap - 1);
}

int tlog_cosign(const struct tlog_skey *witness, const char *text, size_t len, uint64_t t,
                struct bf_buf *line, struct bf_err *err)
{
    char pre[64];
    size_t plen, i, start = line->len;
    uint8_t raw[4 + 8 + 64], *msg = NULL;
    char b64[104 + 1];
    int rc;

    if (witness->type != TLOG_KEY_COSIG_V1)
        return bf_err_set(err, BF_EINVAL, "cosign: key %s is not a cosignature/v1 key", witness->name);
    if (len == 0 || text[len - 1] != '\n' || !bf_utf8_valid(text, len))
        return bf_err_set(err, BF_EINVAL, "cosign: checkpoint text must be UTF-8 ending in a newline");
    for (i = 0; i < len; i++)
        if ((unsigned char)text[i] < 0x20 && text[i] != '\n')
            return bf_err_set(err, BF_EINVAL, "cosign: control character in checkpoint text");
    plen = tlog_cosig_prefix(t, pre, sizeof pre);
    msg = bf_xmalloc(plen + len);
    memcpy(msg, pre, plen);
    memcpy(msg + plen, text, len);
    for (i = 0; i < 4; i++)
        raw[i] = (uint8_t)(witness->id >> (24 - 8 * i));
    for (i = 0; i < 8; i++)
        raw[4 + i] = (uint8_t)(t >> (56 - 8 * i));
    if ((rc = tlog_ed25519_sign(witness->seed, msg, plen + len, raw + 12, err)) < 0)
        goto out;
    bf_b64_encode(raw, sizeof raw, b64);
    if ((rc = bf_buf_printf(line, TLOG_SIG_PREFIX "%s %s\n", witness->name, b64)) < 0) {
        tlog_buf_rollback(line, start);
        bf_err_set(err, rc, "cosign: signature line does not fit the buffer");
        goto out;
    }
    rc = 0;
out:
    free(msg);
    return rc;
}
