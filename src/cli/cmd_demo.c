/*
 * cmd_demo.c - `belfry demo --data DIR [--count N] [--seed S]`: fills a
 * store with the demo data set: the real publishers' samples found under
 * ../shared/data/ocds/real (or $BELFRY_SHARED/ocds/real) when present,
 * then N generated Belgian defence releases (ocds_demo.h), all through
 * the ledger. Creates the store and its log when DIR has none. Running
 * it again is idempotent (the generator is deterministic).
 *
 * `belfry demo --jsonl FILE [--count N] [--seed S]` only writes the
 * generated releases as JSON Lines (for benchmarks and other tools).
 */
#include "common.h"
#include "cmd.h"
#include "ocds/ocds_demo.h"
#include "ocds/ocds_import.h"

#include <sys/stat.h>

#define DEMO_ORIGIN "demo.belfry.example/procurement"

static int usage(void)
{
    fprintf(stderr, "usage: belfry demo --data DIR [--count N] [--seed S] [--no-real] [--quiet]\n"
                    "       belfry demo --jsonl FILE|- [--count N] [--seed S]\n"
                    "  --count N   generated releases (default 5000)\n"
                    "  --seed S    generator seed (default 1)\n");
    return 2;
}

struct demo_args {
    const char *data, *jsonl;
    uint64_t count, seed;
    int no_real, quiet;
};

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    *out = strtoull(s, &end, 10);
    return (errno || end == s || *end || *s == '-') ? -1 : 0;
}

static int parse(int argc, char **argv, struct demo_args *a)
{
    int i;
    memset(a, 0, sizeof *a);
    a->count = 5000;
    a->seed = 1;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--data") && i + 1 < argc)
            a->data = argv[++i];
        else if (!strcmp(argv[i], "--jsonl") && i + 1 < argc)
            a->jsonl = argv[++i];
        else if (!strcmp(argv[i], "--count") && i + 1 < argc) {
            if (parse_u64(argv[++i], &a->count) < 0)
                return -1;
        } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            if (parse_u64(argv[++i], &a->seed) < 0)
                return -1;
        } else if (!strcmp(argv[i], "--no-real"))
            a->no_real = 1;
        else if (!strcmp(argv[i], "--quiet"))
            a->quiet = 1;
        else
            return -1;
    }
    return (a->data || a->jsonl) ? 0 : -1;
}

static int write_jsonl(const struct demo_args *a)
{
    struct bf_err err = { 0 };
    FILE *f = strcmp(a->jsonl, "-") ? fopen(a->jsonl, "w") : stdout;
    uint64_t bytes = 0;
    int rc;

    if (!f)
        return cmd_fail("%s: %s", a->jsonl, strerror(errno));
    rc = ocds_demo_jsonl(a->seed, a->count, f, &bytes, &err);
    if (f != stdout && fclose(f) != 0 && !rc)
        rc = bf_err_set(&err, BF_EIO, "%s: %s", a->jsonl, strerror(errno));
    if (rc)
        return cmd_fail("%s", err.msg);
    fprintf(stderr, "wrote %" PRIu64 " releases, %" PRIu64 " bytes\n", a->count, bytes);
    return 0;
}

static const char *real_dir(void)
{
    static char path[4096];
    const char *base = getenv("BELFRY_SHARED");
    struct stat st;
    snprintf(path, sizeof path, "%s/ocds/real", base ? base : "../shared/data");
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? path : NULL;
}

struct gen {
    struct ocds_importer *im;
    struct bf_err *err;
    uint64_t n;
    int rc;
};

static int feed(void *arg, json_t *release)
{
    struct gen *g = arg;
    g->rc = ocds_importer_release(g->im, "<generator>", ++g->n, release, g->err);
    return g->rc;
}

static int import_all(const struct demo_args *a, struct ocds_session *ss, struct bf_err *err)
{
    struct ocds_importer *im = NULL;
    struct ocds_import_opts o;
    struct ocds_import_stats st;
    struct gen g;
    const char *real = a->no_real ? NULL : real_dir();
    int rc = 0;

    memset(&o, 0, sizeof o);
    o.actor = "demo";
    o.progress = (!a->quiet && isatty(STDERR_FILENO)) ? stderr : NULL;
    ocds_importer_new(ss->c, &o, &im, err);
    if (real) {
        rc = ocds_importer_path(im, real, err);
        if (!rc)
            rc = ocds_importer_finish(im, &st, err);
        if (!rc && !a->quiet)
            printf("real samples (%s): %" PRIu64 " new, %" PRIu64 " already present, %" PRIu64
                   " rejected (`belfry import` on them shows why)\n",
                   real, st.added, st.present, st.rejected);
        ocds_importer_free(im);
        im = NULL;
        if (rc)
            return rc;
        ocds_importer_new(ss->c, &o, &im, err);
    }
    memset(&g, 0, sizeof g);
    g.im = im;
    g.err = err;
    ocds_demo_generate(a->seed, a->count, feed, &g);
    rc = g.rc;
    if (!rc)
        rc = ocds_importer_finish(im, &st, err);
    if (!rc)
        printf("generated (seed %" PRIu64 "): %" PRIu64 " new, %" PRIu64 " already present, %" PRIu64 " rejected\n",
               a->seed, st.added, st.present, st.rejected);
    ocds_importer_free(im);
    return rc;
}

int cmd_demo(int argc, char **argv)
{
    struct demo_args a;
    struct ocds_session ss;
    struct bf_err err = { 0 };
    int rc;

    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
        return usage(), 0;
    if (parse(argc, argv, &a) < 0)
        return usage();
    if (a.jsonl)
        return write_jsonl(&a);
    if (ocds_session_open(a.data, 0, DEMO_ORIGIN, &ss, &err) < 0)
        return cmd_fail("%s", err.msg);
    rc = import_all(&a, &ss, &err);
    ocds_session_close(&ss);
    if (rc)
        return cmd_fail("demo stopped: %s (run it again to resume)", err.msg);
    return 0;
}
