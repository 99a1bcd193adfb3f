/*
 * bench_ledger.c - in-process figures of the running ledger, written to
 * bench/results/ledger.txt (or --out FILE):
 *
 *   1. durable appends/s with W concurrent writer threads (default 64;
 *      also with a single writer, for context: one fsync per append),
 *      each calling ledger_append with one entry at a time on a real,
 *      fsync'd store, and the p50/p99/max time from the call to its
 *      return, i.e. from append to "durable and covered by a published
 *      signed checkpoint";
 *   2. receipts/s: ledger_receipt (inclusion proof + formatting) for
 *      random indexes against the latest checkpoint, 2 threads;
 *   3. in-process append rate: leaf hash + tree update (per-level compact range and
 *      the per-level tile edge, with every completed tile-level hash kept
 *      in memory) over the leaves "leaf 0".."leaf N-1", the same work the
 *      Go comparison (bench/go) does with x/mod tlog.StoredHashes.
 *
 * Usage: bench_ledger [--seconds S] [--writers W] [--leaves N] [--out FILE]
 * [--dir DIR] (DIR: where the durable store is created, default /tmp).
 */
#include "common.h"
#include "buf.h"
#include "ledger/ledger.h"
#include "ledger/ledger_int.h"
#include "store/store.h"
#include "store/store_log.h"
#include "bench_util.h"

#include <pthread.h>

/* ---- 1. durable appends ---------------------------------------------- */

struct writer {
    struct ledger *l;
    int id;
    double until;
    struct bench_lat lat;
    int errors;
};

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    char e[128];
    while (bench_now() < w->until) {
        struct ledger_item it;
        double t0;
        memset(&it, 0, sizeof it);
        it.len = (size_t)snprintf(e, sizeof e, "{\"writer\":%d,\"seq\":%zu,\"payload\":\"procurement record "
                                               "placeholder of about a hundred bytes\"}", w->id, w->lat.n);
        it.entry = e;
        t0 = bench_now();
        if (ledger_append(w->l, &it, 1, NULL) < 0) {
            w->errors++;
            continue;
        }
        bench_lat_add(&w->lat, bench_now() - t0);
    }
    return NULL;
}

static int count_cp(void *ctx, uint64_t size, const char *note, size_t len, struct bf_err *err)
{
    (void)size; (void)note; (void)len; (void)err;
    (*(uint64_t *)ctx)++;
    return 0;
}

static int bench_durable(FILE *out, const char *base, int nw, double secs, struct store **sp, struct ledger **lp)
{
    struct bf_err err = { 0, "" };
    struct writer *w = bf_xcalloc((size_t)nw, sizeof *w);
    pthread_t *th = bf_xcalloc((size_t)nw, sizeof *th);
    char dir[512];
    struct bench_lat all = { NULL, 0, 0 };
    double t0, el;
    size_t total;
    uint64_t cps = 0;
    int i, errors = 0;

    snprintf(dir, sizeof dir, "%s/belfry-bench-XXXXXX", base);
    if (!mkdtemp(dir) || store_open(dir, STORE_CREATE, sp, &err) < 0 ||
        ledger_init(*sp, "bench.belfry.test/log", NULL, &err) < 0 || ledger_open(*sp, NULL, lp, &err) < 0) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return -1;
    }
    t0 = bench_now();
    for (i = 0; i < nw; i++) {
        w[i].l = *lp;
        w[i].id = i;
        w[i].until = t0 + secs;
        pthread_create(&th[i], NULL, writer_main, &w[i]);
    }
    for (i = 0; i < nw; i++) {
        pthread_join(th[i], NULL);
        bench_lat_take(&all, &w[i].lat);
        errors += w[i].errors;
    }
    el = bench_now() - t0;
    total = all.n;
    bench_lat_sort(&all);
    store_log_scan_checkpoints(*sp, count_cp, &cps, NULL);
    fprintf(out, "durable appends (%d writer thread%s, one entry per ledger_append, ~100-byte entries,\n"
                 "  SQLite WAL synchronous=FULL in %s, %.1f s)\n", nw, nw > 1 ? "s" : "", base, el);
    fprintf(out, "  appends/s                      %.0f   %s\n", (double)total / el,
            nw > 1 ? "(target >= 50000)" : "(one fsync per append: the disk's flush rate)");
    fprintf(out, "  entries / errors               %zu / %d\n", total, errors);
    fprintf(out, "  group commits (checkpoints)    %" PRIu64 "   (%.1f entries per commit)\n", cps,
            cps ? (double)total / (double)cps : 0.0);
    if (total)
        fprintf(out, "  append -> signed checkpoint    p50 %.2f ms   p99 %.2f ms   max %.2f ms%s\n",
                bench_lat_pct(&all, 50) * 1e3, bench_lat_pct(&all, 99) * 1e3, bench_lat_pct(&all, 100) * 1e3,
                nw > 1 ? "   (target p99 <= 100 ms)" : "");
    if (nw > 1 && cps)
        fprintf(out, "  bound: each writer waits for its own append, so appends/s <= %d / commit time;\n"
                     "  here %.2f ms per group commit (fsync included)\n", nw, el * 1e3 / (double)cps);
    bench_lat_free(&all);
    free(w);
    free(th);
    return 0;
}

/* ---- 2. receipts ------------------------------------------------------ */

struct reader {
    struct ledger *l;
    double until;
    uint64_t n, size, seed;
    int errors;
};

static void *reader_main(void *arg)
{
    struct reader *r = arg;
    struct bf_buf b = BF_BUF_INIT;
    while (bench_now() < r->until) {
        int i;
        for (i = 0; i < 64; i++) {
            r->seed = r->seed * 6364136223846793005ull + 1442695040888963407ull;
            bf_buf_reset(&b);
            if (ledger_receipt(r->l, (r->seed >> 11) % r->size, 0, &b, NULL) < 0)
                r->errors++;
            else
                r->n++;
        }
    }
    bf_buf_free(&b);
    return NULL;
}

static void bench_receipts(FILE *out, struct ledger *l, double secs)
{
    struct reader r[2];
    pthread_t th[2];
    double t0 = bench_now();
    uint64_t total = 0;
    int i, errors = 0;

    for (i = 0; i < 2; i++) {
        r[i] = (struct reader){ l, t0 + secs, 0, ledger_size(l), (uint64_t)i + 1, 0 };
        pthread_create(&th[i], NULL, reader_main, &r[i]);
    }
    for (i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
        total += r[i].n;
        errors += r[i].errors;
    }
    fprintf(out, "receipts in process (ledger_receipt, random index, log of %" PRIu64 " entries, 2 threads)\n",
            ledger_size(l));
    fprintf(out, "  receipts/s                     %.0f   (errors %d)\n", (double)total / (bench_now() - t0), errors);
}

/* ---- 3. tree append ----------------------------------------------------- */

struct memstore {
    tlog_hash *h;
    size_t n, cap;
};

static int keep_hash(void *ctx, int level, uint64_t idx, const tlog_hash *h, const tlog_hash *tile, struct bf_err *err)
{
    struct memstore *m = ctx;
    (void)level; (void)idx; (void)tile; (void)err;
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 1024;
        m->h = bf_xrealloc(m->h, m->cap * sizeof *m->h);
    }
    m->h[m->n++] = *h;
    return 0;
}

static void bench_tree(FILE *out, uint64_t n)
{
    struct ledger_tree *t = bf_xmalloc(sizeof *t);
    struct memstore m = { NULL, 0, 0 };
    char *text = bf_xmalloc(n * 16);
    uint8_t *len = bf_xmalloc(n);
    tlog_hash leaf, root;
    double t0, el;
    uint64_t i;

    /* the leaves are formatted before the clock starts (as in bench/go) */
    for (i = 0; i < n; i++)
        len[i] = (uint8_t)snprintf(text + i * 16, 16, "leaf %" PRIu64, i);
    ledger_tree_init(t);
    t0 = bench_now();
    for (i = 0; i < n; i++) {
        tlog_leaf_hash(text + i * 16, len[i], &leaf);
        ledger_tree_append(t, &leaf, keep_hash, &m, NULL);
    }
    ledger_tree_root(t, &root);
    el = bench_now() - t0;
    fprintf(out, "in-process append (leaf hash + tree update, leaves \"leaf 0\"..\"leaf %" PRIu64 "\", 1 thread)\n",
            n - 1);
    fprintf(out, "  belfry appends/s               %.0f   (root %02x%02x%02x%02x..., %zu tile-level hashes kept)\n",
            (double)n / el, root.b[0], root.b[1], root.b[2], root.b[3], m.n);
    free(m.h);
    free(text);
    free(len);
    free(t);
}

int main(int argc, char **argv)
{
    const char *outpath = "bench/results/ledger.txt", *dir = "/tmp";
    double secs = 5;
    int writers = 64, i;
    uint64_t leaves = 1000000;
    struct store *s = NULL;
    struct ledger *l = NULL;
    FILE *out;
    char host[256] = "?";

    for (i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--seconds"))
            secs = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--writers"))
            writers = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--leaves"))
            leaves = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--out"))
            outpath = argv[i + 1];
        else if (!strcmp(argv[i], "--dir"))
            dir = argv[i + 1];
    }
    if (writers < 1 || secs <= 0 || leaves < 1) {
        fprintf(stderr, "usage: bench_ledger [--seconds S] [--writers W] [--leaves N] [--out FILE] [--dir DIR]\n");
        return 2;
    }
    out = fopen(outpath, "w");
    if (!out) {
        fprintf(stderr, "bench: %s: %s\n", outpath, strerror(errno));
        return 1;
    }
    gethostname(host, sizeof host);
    fprintf(out, "# belfry ledger benchmark (bench/bench_ledger.c; HTTP and Go parts: bench/ledger_bench.sh)\n");
    fprintf(out, "# host %s, %ld CPUs online, release build (-O2)\n\n", host, sysconf(_SC_NPROCESSORS_ONLN));
    if (writers > 1) { /* the single-writer rate is bound by one fsync per append: context */
        struct store *s1 = NULL;
        struct ledger *l1 = NULL;
        if (bench_durable(out, dir, 1, secs / 4 > 1 ? secs / 4 : 1, &s1, &l1) == 0) {
            ledger_close(l1);
            bench_rm_rf(store_dir(s1));
        }
        store_close(s1);
        fprintf(out, "\n");
    }
    if (bench_durable(out, dir, writers, secs, &s, &l) == 0) {
        fprintf(out, "\n");
        bench_receipts(out, l, secs / 2 > 1 ? secs / 2 : 1);
    }
    fprintf(out, "\n");
    bench_tree(out, leaves);
    fclose(out);
    if (l) {
        ledger_close(l);
        bench_rm_rf(store_dir(s));
    }
    store_close(s);
    bench_cat(outpath);
    return 0;
}
