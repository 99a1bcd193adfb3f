/*
 * cmd_import.c - `belfry import --data DIR [options] PATH...`: imports OCDS
 * release packages, record packages, releases, arrays and JSON Lines from
 * files, folders (recursively) and stdin ("-") into the store and the log.
 *
 * Every rejected item gets one report line on stderr; the summary
 * "N new, M already present, K rejected" goes to stdout. Exit status: 0
 * when the import ran (rejections are reported, not fatal, unless
 * --strict), 1 on a store or ledger failure, 2 on a usage error.
 *
 * When `belfry serve` holds the log, the server runs the import: the
 * arguments go over its admin socket (ledger_admin_run, the
 * "ocds-import" command of ocds_import_cmd.c) and its output comes back
 * on our stdout and stderr, stdin forwarded for "-".
 */
#include "common.h"
#include "cmd.h"
#include "ocds/ocds_import.h"
#include "ledger/ledger.h"

static int usage(void)
{
    fprintf(stderr, "usage: belfry import --data DIR [--batch N] [--actor NAME] [--max-item BYTES] [--quiet] [--strict]"
                    " PATH...\n"
                    "  PATH is a file, a folder (imported recursively) or - for stdin\n"
                    "  while `belfry serve` holds the log of DIR, the server runs the import\n");
    return 2;
}

/* The arguments as the server takes them: our working directory, then
 * argv without --data DIR, each path made absolute (the server's working
 * directory is not ours). */
static char **server_argv(int argc, char **argv, const struct ocds_import_args *a, int *n, struct bf_err *err)
{
    char **v = bf_xcalloc((size_t)argc + 4, sizeof *v), *cwd = getcwd(NULL, 0);
    int i, k = 0;

    v[k++] = bf_xstrdup(OCDS_IMPORT_ADMIN_CMD);
    v[k++] = bf_xstrdup("--cwd"); /* so that the report names files as we did */
    v[k++] = cwd ? cwd : bf_xstrdup("/");
    for (i = 1; i < a->first_path; i++) {
        if (!strcmp(argv[i], "--data")) {
            i++;
            continue;
        }
        v[k++] = bf_xstrdup(argv[i]);
    }
    if (strcmp(v[k - 1], "--"))
        v[k++] = bf_xstrdup("--"); /* a path that starts with '-' stays a path */
    for (i = a->first_path; i < argc; i++) {
        char *abs = !strcmp(argv[i], "-") ? bf_xstrdup("-") : realpath(argv[i], NULL);
        if (!abs) {
            bf_err_set(err, BF_ENOTFOUND, "%s: %s", argv[i], strerror(errno));
            while (k--)
                free(v[k]);
            free(v);
            return NULL;
        }
        v[k++] = abs;
    }
    *n = k;
    return v;
}

/* The server holds the log: it runs the import, we relay its output. */
static int import_in_server(int argc, char **argv, const struct ocds_import_args *a, const char *held)
{
    struct bf_err err = { 0 };
    char **v;
    int fd, n = 0, status = 1, i;

    if (ledger_admin_connect(a->data, &fd, &err) < 0)
        return cmd_fail("%s\n  and %s", held, err.msg);
    if (!(v = server_argv(argc, argv, a, &n, &err))) {
        close(fd);
        return cmd_fail("%s", err.msg);
    }
    if (!a->quiet && isatty(STDERR_FILENO))
        fprintf(stderr, "belfry: a server holds the log of %s: it runs this import\n", a->data);
    if (ledger_admin_run(fd, n, v, &status, &err) < 0)
        status = cmd_fail("%s (what the server committed before stays; run the import again to resume)", err.msg);
    close(fd);
    for (i = 0; i < n; i++)
        free(v[i]);
    free(v);
    return status;
}

int cmd_import(int argc, char **argv)
{
    struct ocds_import_args a;
    struct ocds_session ss;
    struct ocds_import_io io = { stdout, stderr, NULL, NULL, NULL, NULL };
    struct bf_err err = { 0 };
    int rc, ret;

    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
        return usage(), 0;
    if (ocds_import_args_parse(argc, argv, &a) < 0 || !a.data || a.first_path >= argc)
        return usage();
    if ((rc = ocds_session_open(a.data, 0, NULL, &ss, &err)) < 0) {
        if (rc == BF_ECONFLICT) /* the log has one writer: the running server imports for us */
            return import_in_server(argc, argv, &a, err.msg);
        return cmd_fail("%s", err.msg);
    }
    io.progress = isatty(STDERR_FILENO) ? stderr : NULL;
    ret = ocds_import_run(ss.c, &a, argc, argv, &io);
    ocds_session_close(&ss);
    return ret;
}
