/*
 * cmd_check.c - `belfry check --data DIR`: recomputes every hash of the
 * log from the stored entries and compares with every checkpoint ever
 * signed (ledger_check), then checks every stored release against its
 * log entry (ocds_audit_releases). Read-only, safe while a server runs.
 *
 * Exit status: 0 all consistent, 1 first mismatch or damage reported on
 * stderr, 2 usage.
 */
#include "common.h"
#include "cmd.h"
#include "ledger/ledger.h"
#include "ocds/ocds.h"
#include "store/store.h"

#include <getopt.h>

static void check_usage(FILE *f)
{
    fprintf(f, "usage: belfry check --data DIR [--vkey KEY] [--quiet]\n"
               "  Recomputes every leaf and subtree hash from the stored entries, verifies\n"
               "  every signed checkpoint, checks that every stored release hashes to the\n"
               "  digest its log entry names, and reports the first mismatch.\n"
               "  --vkey KEY   the log's verifier key as you know it (e.g. as published):\n"
               "               fail if the store's key differs\n");
}

int cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' },
        { "quiet", no_argument, NULL, 'q' },
        { "vkey", required_argument, NULL, 'k' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct bf_err err = { 0, "" };
    struct store *s = NULL;
    const char *data = NULL, *want = NULL;
    uint64_t nrel = 0;
    int c, quiet = 0, rc;

    optind = 1;
    while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
        switch (c) {
        case 'd': data = optarg; break;
        case 'q': quiet = 1; break;
        case 'k': want = optarg; break;
        case 'h': check_usage(stdout); return 0;
        default: check_usage(stderr); return 2;
        }
    }
    if (optind != argc || !data) {
        check_usage(stderr);
        return 2;
    }
    if (store_open(data, STORE_READONLY, &s, &err) < 0)
        return cmd_fail("check failed: cannot open the store: %s", err.msg);
    if (want) {
        char *have = NULL;
        if (store_meta_get(s, "log.vkey", &have, &err) < 0 || strcmp(have, want) != 0) {
            rc = cmd_fail("check failed: the store's log key is %s, not %s", have ? have : "missing", want);
            free(have);
            store_close(s);
            return rc;
        }
        free(have);
    }
    rc = ledger_check(s, quiet ? NULL : stdout, &err);
    if (rc >= 0 && (rc = ocds_audit_releases(s, &nrel, &err)) >= 0 && !quiet && nrel > 0)
        printf("ok: %" PRIu64 " releases: each stored text hashes to its digest, as its log entry says;"
               " every release entry has its row\n", nrel);
    store_close(s);
    if (rc < 0)
        return cmd_fail("check failed: %s", err.msg);
    return 0;
}
