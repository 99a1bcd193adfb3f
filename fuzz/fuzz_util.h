/*
 * fuzz_util.h - what the libFuzzer targets share (static inline: a target
 * includes it and links nothing more).
 */
#ifndef BELFRY_FUZZ_UTIL_H
#define BELFRY_FUZZ_UTIL_H

#include "common.h"
#include "sha256.h"
#include "tlog/tlog.h"

/* The two fixed verifier keys the corpus files are signed with, derived
 * on the first call from published seeds:
 *   [0] fuzz.example/log      Ed25519          seed SHA-256("belfry fuzz log key")
 *   [1] fuzz.example/witness  cosignature/v1   seed SHA-256("belfry fuzz witness key")
 * Aborts if a key cannot be made. */
static inline const struct tlog_vkey *fuzz_keys(void)
{
    static struct tlog_vkey keys[2];
    static int ready;
    struct tlog_skey sk;
    uint8_t seed[32];

    if (ready)
        return keys;
    bf_sha256("belfry fuzz log key", 19, seed);
    if (tlog_skey_generate("fuzz.example/log", TLOG_KEY_ED25519, seed, &sk, NULL) < 0)
        abort();
    tlog_skey_public(&sk, &keys[0]);
    bf_sha256("belfry fuzz witness key", 23, seed);
    if (tlog_skey_generate("fuzz.example/witness", TLOG_KEY_COSIG_V1, seed, &sk, NULL) < 0)
        abort();
    tlog_skey_public(&sk, &keys[1]);
    ready = 1;
    return keys;
}

#endif
