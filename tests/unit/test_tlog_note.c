/*
 * test_tlog_note.c - keys, signed notes and checkpoints: the x/mod
 * PeterNeumann known answer (exact signature line, verify, rejections),
 * the C2SP spec's example note, verifier keys with '+' in their base64,
 * private-key round trips, malformed notes and checkpoints, and the
 * tessera test log's checkpoints 0..15 re-signed byte for byte.
 */
#include "common.h"
#include "buf.h"
#include "enc.h"
#include "sha256.h"
#include "tlog/tlog.h"
#include "tap.h"
#include "testutil.h"

#define PETER_SKEY "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define PETER_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define PETER_TEXT "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
#define PETER_SIG "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"

#define SPEC_VKEY "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
#define SPEC_NOTE "This is an example message.\n\n\xe2\x80\x94 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"


static struct tlog_note note; /* large: keep off the stack */

static int verify_str(const char *s, const struct tlog_vkey *keys, int nkeys, struct bf_err *err)
{
    int rc = tlog_note_parse(s, strlen(s), &note, err);
    if (rc < 0)
        return rc;
    return tlog_note_verify(&note, keys, nkeys, NULL, err);
}

static void test_peter(void)
{
    struct tlog_skey sk;
    struct tlog_vkey vk, pub, other;
    struct bf_buf b = BF_BUF_INIT;
    struct bf_err err = {0};
    char *s;

    ok(tlog_skey_parse(PETER_SKEY, strlen(PETER_SKEY), &sk, &err) == 0, "parse PeterNeumann private key %s", err.msg);
    ok(strcmp(sk.name, "PeterNeumann") == 0 && sk.id == 0xc74f20a3 && sk.type == TLOG_KEY_ED25519,
       "private key name, id, type");
    ok(tlog_skey_format(&sk, &b) == 0 && strcmp(b.data, PETER_SKEY) == 0, "private key format round trip");
    bf_buf_reset(&b);
    ok(tlog_vkey_parse(PETER_VKEY, strlen(PETER_VKEY), &vk, &err) == 0, "parse PeterNeumann verifier key");
    tlog_skey_public(&sk, &pub);
    ok(memcmp(&pub, &vk, sizeof pub) == 0, "public half of the private key equals the verifier key");
    ok(tlog_vkey_format(&vk, &b) == 0 && strcmp(b.data, PETER_VKEY) == 0, "verifier key format round trip");
    bf_buf_reset(&b);

    ok(tlog_note_sign(&sk, PETER_TEXT, strlen(PETER_TEXT), &b, &err) == 0 && strcmp(b.data, PETER_SIG) == 0,
       "sign reproduces the x/mod signature line: %s", b.data ? b.data : err.msg);
    bf_buf_reset(&b);

    s = PETER_TEXT "\n" PETER_SIG;
    ok(verify_str(s, &vk, 1, &err) == 1, "known-answer note verifies");
    ok(note.nsig == 1 && note.sigs[0].id == 0xc74f20a3 && note.sigs[0].sig_len == 64 &&
       note.text_len == strlen(PETER_TEXT), "parsed note fields");

    /* Wrong key ID: the signature is from an unknown (name, id), so no known key verifies. */
    other = vk;
    other.id ^= 1;
    ok(verify_str(s, &other, 1, &err) == BF_ECRYPTO, "wrong key ID rejected: %s", err.msg);
    /* Modified text. */
    ok(verify_str("If you think cryptography is the answer to your problem,\nthen you do know what your problem is.\n\n" PETER_SIG,
                  &vk, 1, &err) == BF_ECRYPTO, "modified text rejected: %s", err.msg);
    /* Only unknown keys. */
    tlog_vkey_parse(TU_TESSERA_VKEY, strlen(TU_TESSERA_VKEY), &other, NULL);
    ok(verify_str(s, &other, 1, &err) == BF_ECRYPTO, "unknown keys only rejected: %s", err.msg);
    /* Right name and id, different public key: a known key that fails. */
    other = vk;
    other.pub[0] ^= 1;
    ok(verify_str(s, &other, 1, &err) == BF_ECRYPTO, "known key with a bad signature rejected");
    /* An unknown signature next to the known one is ignored. */
    {
        struct tlog_vkey both[2];
        both[0] = vk;
        tlog_vkey_parse(TU_TESSERA_VKEY, strlen(TU_TESSERA_VKEY), &both[1], NULL);
        ok(verify_str(PETER_TEXT "\n\xe2\x80\x94 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n" PETER_SIG,
                      both, 2, &err) == 1, "unknown signature ignored, known one verifies");
    }
    bf_buf_free(&b);
}

static void test_spec_example(void)
{
    struct tlog_vkey vk;
    struct bf_err err = {0};

    ok(tlog_vkey_parse(SPEC_VKEY, strlen(SPEC_VKEY), &vk, &err) == 0 && vk.id == 0x530d903a,
       "spec example verifier key parses");
    ok(verify_str(SPEC_NOTE, &vk, 1, &err) == 1, "spec example note verifies %s", err.msg);
}

static void test_keys(void)
{
    struct tlog_vkey vk, v2;
    struct tlog_skey sk, sk2;
    struct bf_buf b = BF_BUF_INIT;
    struct bf_err err = {0};
    uint8_t seed[32];
    static const char *bad_vkeys[] = {
        "",
        "PeterNeumann",
        "PeterNeumann+c74f20a3",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a30+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20g3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW=",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWAA==",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n",
    };
    size_t i;

    ok(tlog_vkey_parse(TU_TESSERA_VKEY, strlen(TU_TESSERA_VKEY), &vk, &err) == 0, "vkey with '+' in base64 parses: %s",
       err.msg);
    ok(strcmp(vk.name, "example.com/log/testdata") == 0 && vk.id == 0x33d7b496, "split on the first two '+' only");
    ok(tlog_vkey_format(&vk, &b) == 0 && strcmp(b.data, TU_TESSERA_VKEY) == 0, "vkey with '+' formats back");
    bf_buf_reset(&b);
    ok(tlog_skey_parse(TU_TESSERA_SKEY, strlen(TU_TESSERA_SKEY), &sk, &err) == 0, "tessera private key parses");
    tlog_skey_public(&sk, &v2);
    ok(memcmp(&v2, &vk, sizeof vk) == 0, "tessera private key matches its verifier key");
    ok(tlog_skey_format(&sk, &b) == 0 && strcmp(b.data, TU_TESSERA_SKEY) == 0, "tessera private key round trip");
    bf_buf_reset(&b);

    for (i = 0; i < BF_ARRAY_LEN(bad_vkeys); i++)
        ok(tlog_vkey_parse(bad_vkeys[i], strlen(bad_vkeys[i]), &vk, &err) < 0, "bad vkey %zu rejected: %s", i,
           err.msg);
    ok(tlog_skey_parse("PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz", 79, &sk,
                       &err) == BF_EINVAL, "private key with a wrong ID rejected: %s", err.msg);
    ok(tlog_skey_parse("PRIVATE+KEX+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz", 79, &sk,
                       &err) == BF_EINVAL, "private key without PRIVATE+KEY rejected");
    ok(tlog_skey_parse(PETER_VKEY, strlen(PETER_VKEY), &sk, &err) < 0, "verifier key is not a private key");
    ok(tlog_vkey_parse("PeterNeumann+c3d3e0a3+AxpcMQcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", 66, &vk, &err) < 0,
       "unsupported key type rejected: %s", err.msg);

    /* Generated keys round trip, for both key types. */
    for (i = 0; i < 32; i++)
        seed[i] = (uint8_t)i;
    ok(tlog_skey_generate("belfry.example/log", TLOG_KEY_ED25519, seed, &sk, &err) == 0, "generate from a seed");
    ok(tlog_skey_format(&sk, &b) == 0 && tlog_skey_parse(b.data, b.len, &sk2, &err) == 0 &&
       memcmp(&sk, &sk2, sizeof sk) == 0, "generated private key round trips: %s", b.data);
    bf_buf_reset(&b);
    ok(tlog_skey_generate("witness.example/w1", TLOG_KEY_COSIG_V1, NULL, &sk, &err) == 0, "random cosigner key");
    tlog_skey_public(&sk, &vk);
    ok(tlog_skey_format(&sk, &b) == 0 && tlog_skey_parse(b.data, b.len, &sk2, &err) == 0 &&
       memcmp(&sk, &sk2, sizeof sk) == 0 && sk2.type == TLOG_KEY_COSIG_V1, "cosigner private key round trips");
    bf_buf_reset(&b);
    ok(tlog_vkey_format(&vk, &b) == 0 && tlog_vkey_parse(b.data, b.len, &v2, &err) == 0 &&
       memcmp(&vk, &v2, sizeof vk) == 0, "cosigner verifier key round trips: %s", b.data);
    ok(tlog_skey_generate("bad name", TLOG_KEY_ED25519, seed, &sk, &err) == BF_EINVAL, "name with space refused");
    ok(tlog_skey_generate("a+b", TLOG_KEY_ED25519, seed, &sk, &err) == BF_EINVAL, "name with '+' refused");

    ok(tlog_key_name_valid("example.com/log", 15), "plain name valid");
    ok(!tlog_key_name_valid("", 0), "empty name invalid");
    ok(!tlog_key_name_valid("a\xc2\xa0" "b", 4), "NBSP in name invalid");
    ok(!tlog_key_name_valid("a\xe3\x80\x80" "b", 5), "ideographic space in name invalid");
    ok(!tlog_key_name_valid("a\xff", 2), "invalid UTF-8 name invalid");
    ok(tlog_key_name_valid("caf\xc3\xa9", 5), "non-ASCII letters valid");
    bf_buf_free(&b);
}

static void test_malformed_notes(void)
{
    static const char *bad[] = {
        "",
        "text\n",
        "text\n\n",
        "text\n\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
        "text\n\n- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
        "text\n\n\xe2\x80\x94 PeterNeumann\n",
        "text\n\n\xe2\x80\x94 PeterNeumann \n",
        "text\n\n\xe2\x80\x94 PeterNeumann x08go/ZJ!kuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
        "text\n\n\xe2\x80\x94 PeterNeumann AAAA\n",
        "text\n\n\xe2\x80\x94 Peter+Neumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
        "te\rxt\n\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
        "te\xffxt\n\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
        "text\n\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n\n",
        "text\n\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n\xe2\x80\x94 X\n",
        "text\n\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n\t\n",
    };
    struct bf_err err = {0};
    struct bf_buf b = BF_BUF_INIT;
    size_t i;
    int k, rc;

    for (i = 0; i < BF_ARRAY_LEN(bad); i++)
        ok(tlog_note_parse(bad[i], strlen(bad[i]), &note, &err) < 0, "malformed note %zu rejected: %s", i, err.msg);

    /* The text may contain blank lines: the split is at the last one. */
    ok(tlog_note_parse("a\n\nb\n\n" PETER_SIG, strlen("a\n\nb\n\n" PETER_SIG), &note, &err) == 0 &&
       note.text_len == 5 && note.nsig == 1, "text with a blank line splits at the last blank line");

    /* 100 signature lines are accepted, 101 are not. */
    if (bf_buf_puts(&b, PETER_TEXT "\n") == 0) {
        for (k = 0; k < TLOG_MAX_SIGS; k++)
            rc = bf_buf_puts(&b, PETER_SIG);
        ok(tlog_note_parse(b.data, b.len, &note, &err) == 0 && note.nsig == TLOG_MAX_SIGS, "100 signatures accepted");
        rc = bf_buf_puts(&b, PETER_SIG);
        ok(rc == 0 && tlog_note_parse(b.data, b.len, &note, &err) == BF_ELIMIT, "101 signatures rejected: %s",
           err.msg);
    }
    bf_buf_reset(&b);

    /* A long signature of a foreign type (e.g. ML-DSA, 2420 bytes) parses without being kept. */
    {
        uint8_t raw[4 + 2420];
        char *b64 = bf_xmalloc(bf_b64_len(sizeof raw) + 1);
        struct tlog_vkey vk;
        memset(raw, 0x5a, sizeof raw);
        bf_b64_encode(raw, sizeof raw, b64);
        tlog_vkey_parse(PETER_VKEY, strlen(PETER_VKEY), &vk, NULL);
        rc = bf_buf_printf(&b, PETER_TEXT "\n" PETER_SIG);
        for (k = 0; k < 8; k++)
            rc |= bf_buf_printf(&b, "\xe2\x80\x94 mldsa.example %s\n", b64);
        ok(rc == 0 && tlog_note_parse(b.data, b.len, &note, &err) == 0 && note.nsig == 9 &&
           note.sigs[8].sig_len == 2420 && note.sigs[8].id == 0x5a5a5a5a,
           "long foreign signatures parse (kept or not) %s", err.msg);
        ok(tlog_note_verify(&note, &vk, 1, NULL, &err) == 1, "and are ignored by verification");
        free(b64);
    }
    bf_buf_free(&b);

    /* Signing refuses texts that cannot be notes. */
    {
        struct tlog_skey sk;
        tlog_skey_parse(PETER_SKEY, strlen(PETER_SKEY), &sk, NULL);
        ok(tlog_note_sign(&sk, "no newline", 10, &b, &err) == BF_EINVAL, "sign needs a final newline");
        ok(tlog_note_sign(&sk, "tab\there\n", 9, &b, &err) == BF_EINVAL, "sign refuses control characters");
        ok(b.len == 0, "nothing appended on failure");
        bf_buf_free(&b);
    }
}

/* ---- checkpoints ------------------------------------------------------ */

static void test_checkpoint_parse(void)
{
    static const char *bad[] = {
        "",
        "origin\n",
        "origin\n15\n",
        "origin\n15\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=",
        "\n15\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=\n",
        "origin\n015\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=\n",
        "origin\n+15\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=\n",
        "origin\n 15\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=\n",
        "origin\n\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=\n",
        "origin\n18446744073709551616\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=\n",
        "origin\n15\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs\n",
        "origin\n15\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383ct=\n",
        "origin\n15\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=AAAA\n",
        "origin\n15\n\n",
        "origin\n15\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=\n\n",
        "origin\n15\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=\next\n\n",
    };
    struct tlog_checkpoint cp;
    struct bf_err err = {0};
    struct bf_buf b = BF_BUF_INIT;
    tlog_hash root;
    const char *s;
    size_t i;

    for (i = 0; i < BF_ARRAY_LEN(bad); i++)
        ok(tlog_checkpoint_parse(bad[i], strlen(bad[i]), &cp, &err) == BF_EINVAL, "bad checkpoint %zu rejected: %s",
           i, err.msg);
    s = "go.sum database tree\n18446744073709551615\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=\n";
    ok(tlog_checkpoint_parse(s, strlen(s), &cp, &err) == 0 && cp.size == UINT64_MAX &&
       strcmp(cp.origin, "go.sum database tree") == 0 && cp.ext == NULL && cp.ext_len == 0,
       "origin with spaces and size 2^64-1 accepted %s", err.msg);
    s = "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\nfoo\nbar baz\n";
    ok(tlog_checkpoint_parse(s, strlen(s), &cp, &err) == 0 && cp.size == 0 && cp.ext_len == 12 &&
       memcmp(cp.ext, "foo\nbar baz\n", 12) == 0, "extension lines kept verbatim");
    tlog_empty_root(&root);
    ok(tlog_checkpoint_format("o", 0, &root, &b) == 0 && strcmp(b.data, "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n") == 0,
       "format of the empty tree");
    bf_buf_reset(&b);
    ok(tlog_checkpoint_format("bad\norigin", 0, &root, &b) == BF_EINVAL && b.len == 0, "format refuses a newline in origin");
    ok(tlog_checkpoint_format("", 0, &root, &b) == BF_EINVAL, "format refuses an empty origin");
    bf_buf_free(&b);
}

static void test_tessera_checkpoints(void)
{
    const char *dir = tap_shared("tlog/tessera-log");
    struct tlog_skey sk;
    struct tlog_vkey vk;
    struct tlog_range r;
    struct bf_buf b = BF_BUF_INIT;
    struct bf_err err = {0};
    char base[4096];
    int n;

    if (!dir) {
        skip("no shared data: tlog/tessera-log");
        return;
    }
    snprintf(base, sizeof base, "%s", dir);
    tlog_skey_parse(TU_TESSERA_SKEY, strlen(TU_TESSERA_SKEY), &sk, NULL);
    tlog_vkey_parse(TU_TESSERA_VKEY, strlen(TU_TESSERA_VKEY), &vk, NULL);
    tlog_range_init(&r);
    for (n = 0; n <= 15; n++) {
        char path[4200];
        size_t len = 0;
        char *want;
        tlog_hash root;
        struct tlog_checkpoint cp;
        int same, verified;

        if (n > 0) {
            tlog_hash lh;
            tlog_leaf_hash(tu_tessera_leaves[n - 1], strlen(tu_tessera_leaves[n - 1]), &lh);
            tlog_range_append(&r, &lh);
        }
        tlog_range_root(&r, &root);
        snprintf(path, sizeof path, "%s/checkpoint.%d", base, n);
        want = tu_slurp(path, &len);
        bf_buf_reset(&b);
        same = want && tlog_checkpoint_sign(&sk, "example.com/log/testdata", (uint64_t)n, &root, &b, &err) == 0 &&
               b.len == len && memcmp(b.data, want, len) == 0;
        ok(same, "checkpoint.%d reproduced byte for byte", n);
        verified = want && tlog_note_parse(want, len, &note, &err) == 0 &&
                   tlog_note_verify(&note, &vk, 1, NULL, &err) == 1 &&
                   tlog_checkpoint_parse(note.text, note.text_len, &cp, &err) == 0 && cp.size == (uint64_t)n &&
                   memcmp(cp.root.b, root.b, 32) == 0 && strcmp(cp.origin, "example.com/log/testdata") == 0;
        ok(verified, "checkpoint.%d parses and verifies %s", n, verified ? "" : err.msg);
        free(want);
    }
    bf_buf_free(&b);
}

int main(void)
{
    test_peter();
    test_spec_example();
    test_keys();
    test_malformed_notes();
    test_checkpoint_parse();
    test_tessera_checkpoints();
    return tap_done();
}
