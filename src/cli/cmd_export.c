/*
 * cmd_export.c - `belfry export --data DIR --format FORMAT [--compress
 * gzip|zstd] [--out PATH]`: writes every published (public) release of
 * the store as a release package, a record package (with compiled and
 * versioned releases), JSON Lines or a directory of CSV tables. Reads the
 * store read-only, so it can run next to `belfry serve`.
 *
 * Output goes to PATH (atomically: a temporary file renamed at the end,
 * so a failed export never leaves a truncated file) or to stdout; CSV
 * needs --out DIR. Withheld values are never exported.
 */
#include "common.h"
#include "cmd.h"
#include "fs.h"
#include "ocds/ocds_export.h"
#include "ocds/ocds_import.h"

#include <fcntl.h>

static int usage(void)
{
    fprintf(stderr, "usage: belfry export --data DIR --format release-package|record-package|jsonl|csv\n"
                    "                     [--compress gzip|zstd] [--out PATH] [--uri URI] [--publisher NAME]\n"
                    "  --out PATH   file to write (default stdout); a directory for csv\n");
    return 2;
}

struct export_args {
    const char *data, *format, *compress, *out, *uri, *publisher;
};

static int parse(int argc, char **argv, struct export_args *a)
{
    int i;
    memset(a, 0, sizeof *a);
    a->publisher = "Belfry";
    for (i = 1; i + 1 < argc; i += 2) {
        const char *o = argv[i], *v = argv[i + 1];
        if (!strcmp(o, "--data"))
            a->data = v;
        else if (!strcmp(o, "--format"))
            a->format = v;
        else if (!strcmp(o, "--compress"))
            a->compress = v;
        else if (!strcmp(o, "--out"))
            a->out = v;
        else if (!strcmp(o, "--uri"))
            a->uri = v;
        else if (!strcmp(o, "--publisher"))
            a->publisher = v;
        else
            return -1;
    }
    return (i == argc && a->data && a->format) ? 0 : -1;
}

static int run(const struct export_args *a, struct store *s, enum ocds_export_format f, enum ocds_export_compress z,
               struct bf_err *err)
{
    struct ocds_export_meta meta;
    struct ocds_export *x = NULL;
    char *tmp = NULL;
    int fd = STDOUT_FILENO, rc;

    if (f == OCDS_EXPORT_CSV) {
        if (!a->out)
            return bf_err_set(err, BF_EINVAL, "csv writes a directory of tables: give --out DIR");
        rc = ocds_export_open_csv(a->out, z, &x, err);
    } else {
        memset(&meta, 0, sizeof meta);
        meta.uri = a->uri ? a->uri : "https://belfry.example/api/v1/export";
        meta.publisher_name = a->publisher;
        if (a->out) {
            size_t n = strlen(a->out) + 16;
            tmp = bf_xmalloc(n);
            snprintf(tmp, n, "%s.tmp-%d", a->out, (int)getpid());
            fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (fd < 0) {
                rc = bf_err_set(err, BF_EIO, "%s: %s", tmp, strerror(errno));
                free(tmp);
                return rc;
            }
        }
        rc = ocds_export_open(f, z, &meta, ocds_export_write_fd, &fd, &x, err);
    }
    if (!rc) {
        rc = ocds_store_export(s, x, f == OCDS_EXPORT_RECORD_PACKAGE, err);
        if (rc)
            ocds_export_abort(x);
        else
            rc = ocds_export_finish(x, err);
    }
    if (tmp) {
        if (!rc && fsync(fd) < 0)
            rc = bf_err_set(err, BF_EIO, "%s: %s", tmp, strerror(errno));
        close(fd);
        if (!rc && rename(tmp, a->out) < 0)
            rc = bf_err_set(err, BF_EIO, "%s: %s", a->out, strerror(errno));
        if (rc)
            unlink(tmp);
        free(tmp);
    }
    return rc;
}

int cmd_export(int argc, char **argv)
{
    struct export_args a;
    struct ocds_session ss;
    enum ocds_export_format f;
    enum ocds_export_compress z = OCDS_EXPORT_PLAIN;
    struct bf_err err = { 0 };
    int rc;

    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
        return usage(), 0;
    if (parse(argc, argv, &a) < 0)
        return usage();
    if (ocds_export_format_parse(a.format, &f) < 0)
        return cmd_fail("unknown format '%s' (release-package, record-package, jsonl, csv)", a.format);
    if (a.compress && ocds_export_compress_parse(a.compress, &z) < 0)
        return cmd_fail("unknown compression '%s' (gzip, zstd)", a.compress);
    if (ocds_session_open(a.data, 1, NULL, &ss, &err) < 0)
        return cmd_fail("%s", err.msg);
    rc = run(&a, ss.s, f, z, &err);
    ocds_session_close(&ss);
    if (rc)
        return cmd_fail("export failed: %s", err.msg);
    return 0;
}
