/*
 * cmd_init.c - `belfry init --data DIR --origin ORIGIN [--key-file F]`:
 * creates the store and the log (a new Ed25519 key in <data>/log/key,
 * mode 0600, or the x/mod private key read from F) and prints the log's
 * verifier key on stdout.
 *
 * Invariants: never touches an existing log (BF_EEXIST: "already has a
 * log"); the origin must equal the key's name so receipts verify.
 */
#include "common.h"
#include "cmd.h"
#include "fs.h"
#include "ledger/ledger.h"
#include "store/store.h"

#include <getopt.h>

static void init_usage(FILE *f)
{
    fprintf(f, "usage: belfry init --data DIR --origin ORIGIN [--key-file FILE]\n"
               "  --data DIR        data directory to create (store and log key)\n"
               "  --origin ORIGIN   the log's name, e.g. belfry.example.be/log (default with\n"
               "                    --key-file: the key's name)\n"
               "  --key-file FILE   use this PRIVATE+KEY+... signing key instead of a new one\n");
}

/* The name inside "PRIVATE+KEY+<name>+..." (malloc'ed) or NULL. */
static char *key_name(const char *text)
{
    const char *p = text, *plus;
    if (strncmp(p, "PRIVATE+KEY+", 12) != 0)
        return NULL;
    p += 12;
    plus = strchr(p, '+');
    return plus ? bf_xstrndup(p, (size_t)(plus - p)) : NULL;
}

static int init_run(const char *data, const char *origin, const char *key_file)
{
    struct bf_err err = { 0, "" };
    struct store *s = NULL;
    struct ledger *l = NULL;
    char *key = NULL, *name = NULL;
    size_t klen = 0;
    int rc = 1;

    if (key_file && bf_fs_read(key_file, 4096, &key, &klen, &err) < 0) {
        cmd_fail("reading the key file: %s", err.msg);
        goto out;
    }
    if (!origin && key && !(origin = name = key_name(key))) {
        cmd_fail("%s is not a PRIVATE+KEY+name+hex8+base64 signing key", key_file);
        goto out;
    }
    if (store_open(data, STORE_CREATE, &s, &err) < 0 || ledger_init(s, origin, key, &err) < 0 ||
        ledger_open(s, &(struct ledger_opts){ .readonly = 1 }, &l, &err) < 0) {
        cmd_fail("%s", err.msg);
        goto out;
    }
    fprintf(stderr, "belfry: created log %s in %s (signing key %s/log/key, keep it secret)\n", origin, data, data);
    printf("%s\n", ledger_vkey(l));
    rc = 0;
out:
    ledger_close(l);
    store_close(s);
    if (key) {
        explicit_bzero(key, klen);
        free(key);
    }
    free(name);
    return rc;
}

int cmd_init(int argc, char **argv)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' },     { "origin", required_argument, NULL, 'o' },
        { "key-file", required_argument, NULL, 'k' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *data = NULL, *origin = NULL, *key_file = NULL;
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': data = optarg; break;
        case 'o': origin = optarg; break;
        case 'k': key_file = optarg; break;
        case 'h': init_usage(stdout); return 0;
        default: init_usage(stderr); return 2;
        }
    }
    if (optind != argc || !data || (!origin && !key_file)) {
        init_usage(stderr);
        return 2;
    }
    return init_run(data, origin, key_file);
}
