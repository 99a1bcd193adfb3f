/*
 * ocds_import_cmd.c - the `belfry import` command line, run by the
 * command itself (when it can hold the log) or by the running server it
 * hands its arguments to (the admin socket's "ocds-import" command, when
 * `belfry serve` holds the log): one parser and one run, so both say and
 * do the same. The run's output: one report line per rejected item on
 * err, the summary "N new, M already present, K rejected" on out.
 */
#include "common.h"
#include "ocds_import.h"
#include "ledger/ledger.h"

static int parse_size(const char *s, size_t *out)
{
    char *end;
    unsigned long long v;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s || *end || v == 0 || v > SIZE_MAX)
        return -1;
    *out = (size_t)v;
    return 0;
}

int ocds_import_args_parse(int argc, char **argv, struct ocds_import_args *a)
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

int ocds_import_run(struct ocds_ctx *c, const struct ocds_import_args *a, int argc, char **argv,
                    const struct ocds_import_io *io)
{
    struct ocds_importer *im = NULL;
    struct ocds_import_opts o;
    struct ocds_import_stats st;
    struct bf_err err = { 0 };
    int i, rc = 0;

    memset(&o, 0, sizeof o);
    o.actor = a->actor;
    o.batch = a->batch;
    o.max_item = a->max_item;
    o.report = io->err;
    o.name_base = io->name_base;
    o.progress = a->quiet ? NULL : io->progress;
    if ((rc = ocds_importer_new(c, &o, &im, &err)) < 0) {
        fprintf(io->err, "belfry: %s\n", err.msg);
        return 1;
    }
    for (i = a->first_path; i < argc && !rc; i++) {
        char *data = NULL;
        size_t len = 0;
        if (strcmp(argv[i], "-") || !io->read_stdin) {
            rc = ocds_importer_path(im, argv[i], &err);
            continue;
        }
        rc = io->read_stdin(io->arg, &data, &len, &err);
        if (!rc)
            rc = ocds_importer_bytes(im, "<stdin>", data, len, &err);
        free(data);
    }
    if (!rc)
        rc = ocds_importer_finish(im, &st, &err);
    ocds_importer_free(im);
    if (rc) {
        fprintf(io->err, "belfry: import stopped: %s (what was committed before stays; run the import again to "
                         "resume)\n", err.msg);
        return 1;
    }
    fprintf(io->out, "%" PRIu64 " new, %" PRIu64 " already present, %" PRIu64 " rejected\n", st.added, st.present,
            st.rejected);
    return (a->strict && st.rejected) ? 1 : 0;
}

/* ---- in the server: the admin socket's "ocds-import" ------------------------ */

#define ADMIN_STDIN_MAX ((size_t)1 << 32) /* the importer's default file limit */

static int call_stdin(void *arg, char **data, size_t *len, struct bf_err *err)
{
    return ledger_admin_call_stdin(arg, BF_MIN(ADMIN_STDIN_MAX, SIZE_MAX / 2), data, len, err);
}

/* argv: the command's name, "--cwd" and the client's working directory,
 * then the client's import command line without --data (the server's
 * data directory is the one) and with absolute paths. */
static int admin_import(void *arg, struct ledger_admin_call *call, int argc, char **argv, FILE *out, FILE *err)
{
    struct ocds_import_args a;
    struct ocds_import_io io = { out, err, NULL, NULL, call_stdin, call };

    if (argc < 3 || strcmp(argv[1], "--cwd") || argv[2][0] != '/') {
        fprintf(err, "belfry: the server expects the client's directory first (--cwd DIR)\n");
        return 2;
    }
    io.name_base = argv[2];
    argc -= 2, argv += 2; /* the directory stands in for argv[0], which the parser skips */
    if (ocds_import_args_parse(argc, argv, &a) < 0 || a.data || a.first_path >= argc) {
        fprintf(err, "belfry: the server cannot read these import arguments\n");
        return 2;
    }
    for (int i = a.first_path; i < argc; i++)
        if (argv[i][0] != '/' && strcmp(argv[i], "-")) {
            fprintf(err, "belfry: %s: the server takes absolute paths only\n", argv[i]);
            return 2;
        }
    return ocds_import_run(arg, &a, argc, argv, &io);
}

int ocds_import_admin_register(struct ledger *l, struct ocds_ctx *c, struct bf_err *err)
{
    return ledger_admin_command(l, OCDS_IMPORT_ADMIN_CMD, admin_import, c, err);
}
