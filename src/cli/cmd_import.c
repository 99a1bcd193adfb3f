/*
 * cmd_import.c - `belfry import --data DIR [options] PATH...`: imports OCDS
 * release packages, record packages, releases, arrays and JSON Lines from
 * files, folders (recursively) and stdin ("-") into the store and the log.
 *
 * Every rejected item gets one report line on stderr; the summary
 * "N new, M already present, K rejected" goes to stdout. Exit status: 0
 * when the import ran (rejections are reported, not fatal, unless
 * --strict), 1 on a store or ledger failure, 2 on a usage error.
 */
#include "common.h"
#include "cmd.h"
#include "ocds/ocds_import.h"

static int usage(void)
{
    fprintf(stderr, "usage: belfry import --data DIR [--batch N] [--actor NAME] [--max-item BYTES] [--quiet] [--strict]"
                    " PATH...\n"
                    "  PATH is a file, a folder (imported recursively) or - for stdin\n");
    return 2;
}

struct import_args {
    const char *data, *actor;
    size_t batch, max_item;
    int quiet, strict, first_path;
};

static int parse_size(const char *s, size_t *out)
{
    char *end;
    unsigned long long v;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s || *end || v == 0)
        return -1;
    *out = (size_t)v;
    return 0;
}

static int parse_args(int argc, char **argv, struct import_args *a)
{
    int i;
    memset(a, 0, sizeof *a);
    for (i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "--data") && i + 1 < argc)
            a->data = argv[++i];
        else if (!strcmp(o, "--actor") && i + 1 < argc)
            a->actor = argv[++i];
        else if (!strcmp(o, "--batch") && i + 1 < argc) {
            if (parse_size(argv[++i], &a->batch) < 0)
                return -1;
        } else if (!strcmp(o, "--max-item") && i + 1 < argc) {
            if (parse_size(argv[++i], &a->max_item) < 0)
                return -1;
        } else if (!strcmp(o, "--quiet"))
            a->quiet = 1;
        else if (!strcmp(o, "--strict"))
            a->strict = 1;
        else if (!strcmp(o, "--"))
            return a->first_path = i + 1, 0;
        else if (o[0] == '-' && o[1])
            return -1;
        else
            return a->first_path = i, 0;
    }
    a->first_path = i;
    return 0;
}

int cmd_import(int argc, char **argv)
{
    struct import_args a;
    struct ocds_session ss;
    struct ocds_importer *im = NULL;
    struct ocds_import_opts o;
    struct ocds_import_stats st;
    struct bf_err err = { 0 };
    int i, rc, ret = 1;

    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
        return usage(), 0;
    if (parse_args(argc, argv, &a) < 0 || !a.data || a.first_path >= argc)
        return usage();
    if ((rc = ocds_session_open(a.data, 0, NULL, &ss, &err)) < 0) {
        if (rc == BF_ECONFLICT) /* the log has one writer: the running server imports for us */
            return cmd_fail("%s\n  to import while it runs: curl -H 'Authorization: Bearer <admin token>'"
                            " --data-binary @FILE http://<server>/api/v1/import"
                            " (an admin token: belfry token create --data %s --role admin)",
                            err.msg, a.data);
        return cmd_fail("%s", err.msg);
    }
    memset(&o, 0, sizeof o);
    o.actor = a.actor;
    o.batch = a.batch;
    o.max_item = a.max_item;
    o.report = stderr;
    o.progress = (!a.quiet && isatty(STDERR_FILENO)) ? stderr : NULL;
    ocds_importer_new(ss.c, &o, &im, &err);
    for (i = a.first_path, rc = 0; i < argc && !rc; i++)
        rc = ocds_importer_path(im, argv[i], &err);
    if (!rc)
        rc = ocds_importer_finish(im, &st, &err);
    if (rc) {
        cmd_fail("import stopped: %s (what was committed before stays; run the import again to resume)", err.msg);
        goto out;
    }
    printf("%" PRIu64 " new, %" PRIu64 " already present, %" PRIu64 " rejected\n", st.added, st.present,
           st.rejected);
    ret = (a.strict && st.rejected) ? 1 : 0;
out:
    ocds_importer_free(im);
    ocds_session_close(&ss);
    return ret;
}
