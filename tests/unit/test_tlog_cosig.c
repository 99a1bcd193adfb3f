/*
 * test_tlog_cosig.c - cosignature/v1 (type 0x04): re-signing the sunlight
 * test checkpoint with the witness key seeded by SHA-256("skylight test
 * witness key") at 1767139200 reproduces the cosignature line exactly;
 * tlog_note_verify accepts it with the witness vkey (returning the
 * timestamp), ignores the log's type-0x05 signature, and rejects a
 * cosignature over a changed text or time.
 */
#include "common.h"
#include "buf.h"
#include "sha256.h"
#include "tlog/tlog.h"
#include "tap.h"
#include "testutil.h"

#include <jansson.h>

#define WITNESS_T 1767139200ULL

static struct tlog_note note;

/* The first verifier key of a witness.v0.json / mirror.v0.json file. */
static int json_vkey(const char *rel, struct tlog_vkey *vk)
{
    const char *p = tap_shared(rel);
    json_error_t je;
    json_t *j = p ? json_load_file(p, 0, &je) : NULL;
    json_t *k = json_array_get(json_object_get(j, "verifier_keys"), 0);
    int rc = json_is_string(k) ? tlog_vkey_parse(json_string_value(k), json_string_length(k), vk, NULL) : -1;
    json_decref(j);
    return rc;
}

static void test_witness(void)
{
    const char *p = tap_shared("tlog/sunlight-cosignature/witness/000de184301123b9278c086a7d9f68c9577e83872224c197058fd90784ea9706/checkpoint");
    struct tlog_skey sk;
    struct tlog_vkey vk, pub;
    struct bf_buf line = BF_BUF_INIT, b = BF_BUF_INIT;
    struct bf_err err = {0};
    uint8_t seed[32];
    uint64_t t = 0;
    size_t len = 0;
    char *cp, *want;
    int i;

    if (!p) {
        skip("no shared data: tlog/sunlight-cosignature");
        return;
    }
    cp = tu_slurp(p, &len);
    if (!ok(cp && json_vkey("tlog/sunlight-cosignature/witness/witness.v0.json", &vk) == 0,
            "read the cosigned checkpoint and the witness verifier key"))
        return;
    ok(vk.type == TLOG_KEY_COSIG_V1 && vk.id == 0xb8a2cf20 && strcmp(vk.name, "witness.example.org") == 0,
       "witness vkey is type 0x04, id b8a2cf20");

    bf_sha256("skylight test witness key", strlen("skylight test witness key"), seed);
    ok(tlog_skey_generate("witness.example.org", TLOG_KEY_COSIG_V1, seed, &sk, &err) == 0, "seeded witness key");
    tlog_skey_public(&sk, &pub);
    ok(memcmp(&pub, &vk, sizeof vk) == 0, "seeded key matches witness.v0.json");

    ok(tlog_note_parse(cp, len, &note, &err) == 0 && note.nsig == 2, "cosigned checkpoint parses %s", err.msg);
    ok(tlog_cosign(&sk, note.text, note.text_len, WITNESS_T, &line, &err) == 0, "cosign %s", err.msg);
    want = strstr(cp, "\xe2\x80\x94 witness.example.org ");
    ok(want && line.len == strlen(want) && memcmp(line.data, want, line.len) == 0,
       "cosignature line reproduced byte for byte: %.*s", (int)(line.len ? line.len - 1 : 0), line.data);

    i = tlog_note_verify(&note, &vk, 1, &t, &err);
    ok(i == 1 && t == WITNESS_T, "note verify accepts the cosignature, time %" PRIu64 " %s", t, i < 0 ? err.msg : "");

    /* The log's own signature is type 0x05 (RFC 6962 tree head); a
     * verifier for a different key type with the same name is unknown. */
    {
        struct tlog_vkey keys[2];
        uint64_t times[2] = {9, 9};
        keys[0] = vk;
        tlog_skey_generate("rome2026h1.example.org", TLOG_KEY_ED25519, seed, &sk, NULL);
        tlog_skey_public(&sk, &keys[1]);
        ok(tlog_note_verify(&note, keys, 2, times, &err) == 1 && times[0] == WITNESS_T && times[1] == 0,
           "type-0x05 log signature ignored, per-key times filled");
    }

    /* Tampering. */
    {
        char *t2 = bf_xstrdup(cp);
        char *nl = strchr(t2, '\n');
        nl[-1] ^= 1; /* last character of the origin */
        ok(tlog_note_parse(t2, len, &note, &err) == 0 && tlog_note_verify(&note, &vk, 1, NULL, &err) == BF_ECRYPTO,
           "cosignature over a changed text rejected: %s", err.msg);
        free(t2);
    }
    {
        /* Re-sign at another time, then splice the old time into it. */
        struct tlog_skey w;
        tlog_skey_generate("witness.example.org", TLOG_KEY_COSIG_V1, seed, &w, NULL);
        tlog_note_parse(cp, len, &note, NULL);
        bf_buf_reset(&line);
        if (bf_buf_append(&b, note.text, note.text_len) == 0 && bf_buf_putc(&b, '\n') == 0 &&
            tlog_cosign(&w, note.text, note.text_len, WITNESS_T + 1, &b, NULL) == 0) {
            uint64_t tt = 0;
            ok(tlog_note_parse(b.data, b.len, &note, NULL) == 0 && tlog_note_verify(&note, &vk, 1, &tt, NULL) == 1 &&
               tt == WITNESS_T + 1, "fresh cosignature at t+1 verifies with its own time");
            /* Changing the time bytes must break the signature. */
            note.sigs[0].sig_len = 72;
            ((uint8_t *)note.sigs[0].sig)[7] ^= 1;
            ok(tlog_note_verify(&note, &vk, 1, NULL, &err) == BF_ECRYPTO, "cosignature with a changed time rejected");
        }
    }
    ok(tlog_cosign(&sk, "x\n", 2, 1, &line, &err) == BF_EINVAL, "an Ed25519 note key cannot cosign");
    free(cp);
    bf_buf_free(&line);
    bf_buf_free(&b);
}

/* The other sunlight cosignatures verify with their published keys. */
static void test_others(void)
{
    static const struct {
        const char *cp, *json;
    } v[] = {
        {"tlog/sunlight-cosignature/witness2/88ad7a28caeb0b2aa890fdf0304c2fcaf59fca2ee140134ff8c1300bac493482/checkpoint",
         "tlog/sunlight-cosignature/witness2/witness.v0.json"},
        {"tlog/sunlight-cosignature/witness/mirror/000de184301123b9278c086a7d9f68c9577e83872224c197058fd90784ea9706/checkpoint",
         "tlog/sunlight-cosignature/witness/mirror/mirror.v0.json"},
    };
    size_t i;

    for (i = 0; i < BF_ARRAY_LEN(v); i++) {
        const char *p = tap_shared(v[i].cp);
        struct tlog_vkey vk;
        struct bf_err err = {0};
        uint64_t t = 0;
        size_t len = 0;
        char *cp;
        if (!p) {
            skip("no shared data: %s", v[i].cp);
            continue;
        }
        cp = tu_slurp(p, &len);
        ok(cp && json_vkey(v[i].json, &vk) == 0 && tlog_note_parse(cp, len, &note, &err) == 0 &&
           tlog_note_verify(&note, &vk, 1, &t, &err) == 1 && t == WITNESS_T,
           "%s cosignature verifies %s", vk.name, err.msg);
        free(cp);
    }
}

int main(void)
{
    test_witness();
    test_others();
    return tap_done();
}
