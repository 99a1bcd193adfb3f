/*
 * cmd_verify.c - `belfry verify`: checks a c2sp.org/tlog-proof@v1 receipt
 * offline: the log's signature on the checkpoint, witness cosignatures if
 * witness keys are given, and the Merkle inclusion of the entry (or leaf
 * hash) at the receipt's index in the checkpoint's tree.
 *
 * Invariants: "OK" is printed and 0 returned only when the signature and
 * the inclusion both verified (an inclusion proof proves nothing without
 * the leaf, so with neither --entry nor --leaf-hash the entry must come
 * from the receipt's extra data, else verify fails); every failure says
 * which check failed. Exit codes: 0 verified, 1 not verified, 2 usage.
 */
#include "common.h"
#include "buf.h"
#include "cmd.h"
#include "enc.h"
#include "fs.h"
#include "tlog/tlog.h"

#include <getopt.h>

#define VERIFY_MAX_KEYS 32
#define VERIFY_MAX_RECEIPT (1 << 20)

struct verify_args {
    struct tlog_vkey keys[VERIFY_MAX_KEYS];   /* [0] = log key, then witness keys */
    int nkeys, nlog;
    int min_witnesses;                         /* -1: every given witness key */
    const char *entry_file, *leaf_hex, *receipt;
};

static void verify_usage(FILE *f)
{
    fprintf(f, "usage: belfry verify --vkey LOGKEY [--witness VKEY]... [--min-witnesses N]\n"
               "                     [--entry FILE | --leaf-hash HEX] RECEIPT\n\n"
               "Checks a c2sp.org/tlog-proof@v1 receipt offline (RECEIPT may be - for stdin).\n"
               "  --vkey LOGKEY      the log's verifier key (name+hex8+base64); its name is the origin\n"
               "  --witness VKEY     a witness's cosignature key; by default every given witness must\n"
               "                     have cosigned the checkpoint\n"
               "  --min-witnesses N  require only N of the given witnesses\n"
               "  --entry FILE       the logged entry, exact bytes (no trailing newline)\n"
               "  --leaf-hash HEX    or its RFC 6962 leaf hash SHA-256(0x00 || entry)\n"
               "Without --entry or --leaf-hash the receipt's extra data is taken as the entry.\n");
}

static int add_key(struct verify_args *a, const char *s, int want_type)
{
    struct bf_err err = { 0 };
    if (a->nkeys == VERIFY_MAX_KEYS)
        return cmd_fail("at most %d keys", VERIFY_MAX_KEYS);
    if (tlog_vkey_parse(s, strlen(s), &a->keys[a->nkeys], &err) < 0)
        return cmd_fail("key %s: %s", s, err.msg);
    if (a->keys[a->nkeys].type != want_type)
        return cmd_fail("key %s: expected a %s key", s,
                        want_type == TLOG_KEY_ED25519 ? "log (Ed25519, type 0x01)" : "witness (cosignature/v1, type 0x04)");
    a->nkeys++;
    return 0;
}

static int parse_args(int argc, char **argv, struct verify_args *a)
{
    static const struct option opts[] = {
        { "vkey", required_argument, NULL, 'k' },     { "witness", required_argument, NULL, 'w' },
        { "entry", required_argument, NULL, 'e' },    { "leaf-hash", required_argument, NULL, 'l' },
        { "min-witnesses", required_argument, NULL, 'm' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *logkey = NULL, *wit[VERIFY_MAX_KEYS];
    int c, nw = 0, i;

    a->min_witnesses = -1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'k': logkey = optarg; break;
        case 'w':
            if (nw == VERIFY_MAX_KEYS - 1)
                return cmd_fail("too many --witness keys");
            wit[nw++] = optarg;
            break;
        case 'e': a->entry_file = optarg; break;
        case 'l': a->leaf_hex = optarg; break;
        case 'm': a->min_witnesses = atoi(optarg); break;
        case 'h': verify_usage(stdout); return -1;
        default: verify_usage(stderr); return 2;
        }
    }
    if (!logkey || optind != argc - 1 || (a->entry_file && a->leaf_hex)) {
        verify_usage(stderr);
        return 2;
    }
    a->receipt = argv[optind];
    if (add_key(a, logkey, TLOG_KEY_ED25519))
        return 2;
    for (i = 0; i < nw; i++)
        if (add_key(a, wit[i], TLOG_KEY_COSIG_V1))
            return 2;
    if (a->min_witnesses < 0 || a->min_witnesses > nw)
        a->min_witnesses = nw;
    return 0;
}

/* The leaf hash to check, from --leaf-hash or --entry. */
static int leaf_from_args(const struct verify_args *a, tlog_hash *leaf, int *trailing_nl)
{
    struct bf_err err = { 0 };
    char *data = NULL;
    size_t len = 0;

    if (a->leaf_hex) {
        if (strlen(a->leaf_hex) != 64 || bf_hex_decode(a->leaf_hex, 64, leaf->b, TLOG_HASH_LEN) != TLOG_HASH_LEN)
            return cmd_fail("--leaf-hash must be 64 hex digits");
        return 0;
    }
    if (bf_fs_read(a->entry_file, TLOG_MAX_ENTRY + 1, &data, &len, &err) < 0)
        return cmd_fail("%s", err.msg);
    tlog_leaf_hash(data, len, leaf);
    *trailing_nl = len > 0 && data[len - 1] == '\n';
    free(data);
    return 0;
}

/* Witness cosignatures: st[i] = 1 cosigned (time in t[i]), 0 absent,
 * -1 present but failing. Returns how many verified. */
static int count_witnesses(const struct verify_args *a, const struct tlog_receipt *r, int *st, uint64_t *t)
{
    struct tlog_note *note = bf_xmalloc(sizeof *note);
    struct bf_err err = { 0 };
    int i, n = 0;

    if (tlog_note_parse(r->checkpoint, r->checkpoint_len, note, &err) == 0) {
        for (i = 1; i < a->nkeys; i++) {
            int rc = tlog_note_verify(note, &a->keys[i], 1, &t[i], &err);
            st[i] = rc > 0 ? 1 : strstr(err.msg, "does not verify") ? -1 : 0;
            n += rc > 0;
        }
    }
    free(note);
    return n;
}

static void print_witnesses(const struct verify_args *a, const int *st, const uint64_t *t)
{
    int i;
    for (i = 1; i < a->nkeys; i++) {
        printf("  witness     %s+%08x: ", a->keys[i].name, a->keys[i].id);
        if (st[i] > 0)
            printf("cosigned at UNIX time %" PRIu64 "\n", t[i]);
        else
            printf("%s\n", st[i] < 0 ? "BAD cosignature" : "did not cosign");
    }
}

static void print_ok(const struct tlog_receipt *r, const struct tlog_checkpoint *cp, const tlog_hash *leaf,
                     const char *how, const struct tlog_vkey *logkey)
{
    char hex[65], b64[48];
    bf_hex_encode(leaf->b, TLOG_HASH_LEN, hex);
    bf_b64_encode(cp->root.b, TLOG_HASH_LEN, b64);
    printf("OK: entry %" PRIu64 " is included in %s at tree size %" PRIu64 "\n", r->index, cp->origin, cp->size);
    printf("  leaf hash   %s (%s)\n", hex, how);
    printf("  root        %s\n", b64);
    printf("  log key     %s+%08x: signature verified\n", logkey->name, logkey->id);
}

/* Without a leaf from the command line: the extra data as entry, then
 * (if 32 bytes) as a leaf hash. */
static int verify_from_extra(const struct verify_args *a, const struct tlog_receipt *r, tlog_hash *leaf,
                             struct tlog_checkpoint *cp, const char **how, struct bf_err *err)
{
    int rc;
    if (!r->extra) {
        /* a bad signature is still reported before the missing leaf */
        struct tlog_note *note = bf_xmalloc(sizeof *note);
        rc = tlog_note_parse(r->checkpoint, r->checkpoint_len, note, err);
        if (rc == 0 && (rc = tlog_note_verify(note, a->keys, a->nkeys, NULL, err)) > 0)
            rc = bf_err_set(err, BF_EINVAL, "checkpoint signature is valid, but the receipt carries no entry (no "
                                            "extra line) and neither --entry nor --leaf-hash was given: inclusion "
                                            "cannot be checked without the entry");
        free(note);
        return rc;
    }
    tlog_leaf_hash(r->extra, r->extra_len, leaf);
    *how = "entry from the receipt's extra data";
    rc = tlog_receipt_verify(r, leaf, a->keys, a->nkeys, cp, err);
    if (rc < 0 && r->extra_len == TLOG_HASH_LEN) {
        struct bf_err e2 = { 0 };
        memcpy(leaf->b, r->extra, TLOG_HASH_LEN);
        *how = "leaf hash from the receipt's extra data";
        if (tlog_receipt_verify(r, leaf, a->keys, a->nkeys, cp, &e2) == 0)
            return 0;
    }
    return rc;
}

int cmd_verify(int argc, char **argv)
{
    struct verify_args a;
    struct tlog_receipt *r = NULL;
    struct tlog_checkpoint cp;
    struct bf_err err = { 0 };
    tlog_hash leaf;
    const char *how = "from --leaf-hash";
    char *text = NULL;
    size_t len = 0;
    int rc = 1, nl = 0, nw, bad = 0, i, st[VERIFY_MAX_KEYS] = { 0 };
    uint64_t t[VERIFY_MAX_KEYS] = { 0 };

    memset(&a, 0, sizeof a);
    if ((rc = parse_args(argc, argv, &a)) != 0)
        return rc < 0 ? 0 : rc;
    rc = 1;
    if (bf_fs_read(a.receipt, VERIFY_MAX_RECEIPT, &text, &len, &err) < 0)
        return cmd_fail("%s", err.msg);
    r = bf_xmalloc(sizeof *r);
    if (tlog_receipt_parse(text, len, r, &err) < 0) {
        cmd_fail("%s is not a valid receipt: %s", a.receipt, err.msg);
        goto out;
    }
    if (a.entry_file || a.leaf_hex) {
        if (leaf_from_args(&a, &leaf, &nl))
            goto out;
        if (a.entry_file)
            how = "SHA-256(0x00 || entry file)";
        if (tlog_receipt_verify(r, &leaf, a.keys, a.nkeys, &cp, &err) < 0) {
            cmd_fail("NOT VERIFIED: %s%s", err.msg,
                     nl ? " (the entry file ends in a newline; a logged entry usually does not include it)" : "");
            goto out;
        }
    } else if (verify_from_extra(&a, r, &leaf, &cp, &how, &err) < 0) {
        cmd_fail("NOT VERIFIED: %s", err.msg);
        goto out;
    }
    nw = count_witnesses(&a, r, st, t);
    for (i = 1; i < a.nkeys; i++)
        bad |= st[i] < 0;
    if (bad || nw < a.min_witnesses) {
        print_witnesses(&a, st, t);
        cmd_fail("NOT VERIFIED: %d of the required %d witness cosignature(s) verified%s", nw, a.min_witnesses,
                 bad ? ", and a cosignature is invalid" : "");
        goto out;
    }
    print_ok(r, &cp, &leaf, how, &a.keys[0]);
    print_witnesses(&a, st, t);
    rc = 0;
out:
    free(r);
    free(text);
    return rc;
}
