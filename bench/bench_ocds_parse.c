/*
 * bench_ocds_parse.c - the import's scan and parse stage on its own:
 * ocds_import_scan over one file in process (what `belfry import` runs in
 * its caller's thread, without the workers), reporting CPU ns per release.
 *
 * usage: bench_ocds_parse FILE [REPEATS [digest]]
 *   REPEATS  timed scans of the file (default 5); the minimum and the
 *            median are reported
 *   digest   instead of timing, one SHA-256 over every item the scanner
 *            emits (kind, line, byte, pointer, reason, and the release as
 *            sorted compact JSON, with each value's integer/real type), so
 *            two builds can be compared for identical output
 *   parse    instead of the scan, the fast parser alone on every line of a
 *            JSON Lines file, then json_decref of its trees, timed apart
 *            (a batch of trees is built, then freed: the import frees them
 *            later, on other threads), in CPU ns per line
 *   xparse   the same, but as the import does it: batches of 4096 trees
 *            are freed by another thread (mimalloc's cross-thread frees),
 *            each thread's CPU time reported
 */
#include "common.h"
#include "fs.h"
#include "sha256.h"
#include "bench_util.h"
#include "ocds/ocds_import.h"
#include "ocds/ocds_json.h"

#include <openssl/evp.h>
#include <pthread.h>

struct count {
    uint64_t releases, other;
    EVP_MD_CTX *md;            /* digest mode only */
};

static void digest_str(EVP_MD_CTX *md, const char *s)
{
    size_t n = s ? strlen(s) + 1 : 0;
    EVP_DigestUpdate(md, &n, sizeof n);
    if (s)
        EVP_DigestUpdate(md, s, n);
}

/* Type tags too, so 1 and 1.0 differ and keys stay distinguishable. */
static void digest_json(EVP_MD_CTX *md, const json_t *v)
{
    const char *k;
    json_t *x;
    size_t i;
    char num[64];

    switch (json_typeof(v)) {
    case JSON_OBJECT:
        EVP_DigestUpdate(md, "{", 1);
        json_object_foreach((json_t *)v, k, x) {
            digest_str(md, k);
            digest_json(md, x);
        }
        EVP_DigestUpdate(md, "}", 1);
        break;
    case JSON_ARRAY:
        EVP_DigestUpdate(md, "[", 1);
        json_array_foreach(v, i, x)
            digest_json(md, x);
        EVP_DigestUpdate(md, "]", 1);
        break;
    case JSON_STRING: {
        size_t n = json_string_length(v);
        EVP_DigestUpdate(md, "s", 1);
        EVP_DigestUpdate(md, &n, sizeof n);
        EVP_DigestUpdate(md, json_string_value(v), n);
        break;
    }
    case JSON_INTEGER:
        snprintf(num, sizeof num, "i%" JSON_INTEGER_FORMAT, json_integer_value(v));
        digest_str(md, num);
        break;
    case JSON_REAL:
        snprintf(num, sizeof num, "r%.17g", json_real_value(v));
        digest_str(md, num);
        break;
    case JSON_TRUE:
        EVP_DigestUpdate(md, "t", 1);
        break;
    case JSON_FALSE:
        EVP_DigestUpdate(md, "f", 1);
        break;
    case JSON_NULL:
        EVP_DigestUpdate(md, "n", 1);
        break;
    }
}

static int on_item(void *arg, const struct ocds_import_item *it)
{
    struct count *c = arg;
    if (it->kind == OCDS_ITEM_RELEASE)
        c->releases++;
    else
        c->other++;
    if (c->md) {
        uint64_t h[3] = { (uint64_t)it->kind, it->line, it->byte };
        EVP_DigestUpdate(c->md, h, sizeof h);
        digest_str(c->md, it->pointer);
        digest_str(c->md, it->reason);
        digest_str(c->md, it->ocid);
        digest_str(c->md, it->date);
        digest_str(c->md, it->url);
        if (it->release)
            digest_json(c->md, it->release);
        if (it->tags)
            digest_json(c->md, it->tags);
    }
    return 0;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The parse and xparse modes' last line: min and median of reps runs'
 * parse and free times per line (tp, tf sorted in place). */
static void summary(const char *mode, double *tp, double *tf, size_t reps)
{
    qsort(tp, reps, sizeof *tp, bench_cmp_double);
    qsort(tf, reps, sizeof *tf, bench_cmp_double);
    printf("%s: min %.0f median %.0f ns/line; free: min %.0f median %.0f ns/line; sum of medians %.0f\n", mode, tp[0],
           tp[reps / 2], tf[0], tf[reps / 2], tp[reps / 2] + tf[reps / 2]);
}

#define PARSE_BATCH 1024

/* The parse mode: min and median of parse and of free, per line. */
static int bench_parse(const char *data, size_t len, size_t reps)
{
    json_t **v = bf_xcalloc(PARSE_BATCH, sizeof *v);
    double *tp = bf_xcalloc(reps, sizeof *tp), *tf = bf_xcalloc(reps, sizeof *tf);
    size_t r, lines = 0, declined = 0;

    for (r = 0; r < reps; r++) {
        size_t off = 0;
        double p = 0, fr = 0;
        lines = declined = 0;
        while (off < len) {
            size_t k = 0, j;
            double t0, t1, t2;
            const char *nl;
            size_t ends[PARSE_BATCH], starts[PARSE_BATCH];
            for (; k < PARSE_BATCH && off < len; k++) {
                nl = memchr(data + off, '\n', len - off);
                starts[k] = off;
                ends[k] = nl ? (size_t)(nl - data) : len;
                off = ends[k] + 1;
            }
            t0 = cpu_now();
            for (j = 0; j < k; j++) {
                int nest;
                v[j] = ocds_json_parse_fast_nest(data + starts[j], ends[j] - starts[j], &nest);
            }
            t1 = cpu_now();
            for (j = 0; j < k; j++) {
                declined += !v[j];
                json_decref(v[j]);
            }
            t2 = cpu_now();
            p += t1 - t0;
            fr += t2 - t1;
            lines += k;
        }
        tp[r] = p * 1e9 / (double)(lines ? lines : 1);
        tf[r] = fr * 1e9 / (double)(lines ? lines : 1);
        printf("run %zu: parse %.0f ns/line, free %.0f ns/line (%zu lines, %zu declined)\n", r + 1, tp[r], tf[r], lines,
               declined);
    }
    summary("parse", tp, tf, reps);
    free(tp);
    free(tf);
    free(v);
    return 0;
}

#define XBATCH 4096

/* xparse: the freeing thread takes one full batch at a time. */
struct xfree {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    json_t **batch; /* handed over, NULL when taken */
    size_t n;
    int quit;
    double cpu;     /* the freeing thread's CPU seconds */
};

static void *xfree_main(void *arg)
{
    struct xfree *x = arg;
    for (;;) {
        json_t **b;
        size_t n, i;
        double t0;
        pthread_mutex_lock(&x->mu);
        while (!x->batch && !x->quit)
            pthread_cond_wait(&x->cv, &x->mu);
        if (!x->batch) {
            pthread_mutex_unlock(&x->mu);
            break;
        }
        b = x->batch, n = x->n;
        x->batch = NULL;
        pthread_cond_broadcast(&x->cv);
        pthread_mutex_unlock(&x->mu);
        t0 = bench_cpu_now();
        for (i = 0; i < n; i++)
            json_decref(b[i]);
        x->cpu += bench_cpu_now() - t0;
        free(b);
    }
    return NULL;
}

static int bench_xparse(const char *data, size_t len, size_t reps)
{
    double *tp = bf_xcalloc(reps, sizeof *tp), *tf = bf_xcalloc(reps, sizeof *tf);
    size_t r, lines = 0;

    for (r = 0; r < reps; r++) {
        struct xfree x = { .batch = NULL };
        pthread_t th;
        size_t off = 0;
        double p = 0;
        pthread_mutex_init(&x.mu, NULL);
        pthread_cond_init(&x.cv, NULL);
        if (pthread_create(&th, NULL, xfree_main, &x) != 0)
            return 1;
        lines = 0;
        while (off < len) {
            json_t **b = bf_xcalloc(XBATCH, sizeof *b);
            size_t k = 0;
            double t0 = bench_cpu_now();
            for (; k < XBATCH && off < len; k++) {
                const char *nl = memchr(data + off, '\n', len - off);
                size_t e = nl ? (size_t)(nl - data) : len;
                int nest;
                b[k] = ocds_json_parse_fast_nest(data + off, e - off, &nest);
                off = e + 1;
            }
            p += bench_cpu_now() - t0;
            lines += k;
            pthread_mutex_lock(&x.mu);
            while (x.batch)
                pthread_cond_wait(&x.cv, &x.mu);
            x.batch = b, x.n = k;
            pthread_cond_broadcast(&x.cv);
            pthread_mutex_unlock(&x.mu);
        }
        pthread_mutex_lock(&x.mu);
        x.quit = 1;
        pthread_cond_broadcast(&x.cv);
        pthread_mutex_unlock(&x.mu);
        pthread_join(th, NULL);
        tp[r] = p * 1e9 / (double)(lines ? lines : 1);
        tf[r] = x.cpu * 1e9 / (double)(lines ? lines : 1);
        printf("run %zu: parse %.0f ns/line, free %.0f ns/line (%zu lines, other thread)\n", r + 1, tp[r], tf[r],
               lines);
        pthread_mutex_destroy(&x.mu);
        pthread_cond_destroy(&x.cv);
    }
    summary("xparse", tp, tf, reps);
    free(tp);
    free(tf);
    return 0;
}

int main(int argc, char **argv)
{
    struct bf_err err = { 0 };
    struct count c = { 0 };
    char *data;
    size_t len, reps, i;
    double *ns;

    if (argc < 2) {
        fprintf(stderr, "usage: bench_ocds_parse FILE [REPEATS [digest]]\n");
        return 2;
    }
    if (bf_fs_read(argv[1], (size_t)1 << 34, &data, &len, &err) < 0) {
        fprintf(stderr, "bench_ocds_parse: %s\n", err.msg);
        return 1;
    }
    if (argc > 3 && !strcmp(argv[3], "digest")) {
        unsigned char out[EVP_MAX_MD_SIZE];
        unsigned int olen, k;
        c.md = EVP_MD_CTX_new();
        EVP_DigestInit_ex(c.md, EVP_sha256(), NULL);
        ocds_import_scan(argv[1], data, len, 0, on_item, &c);
        EVP_DigestFinal_ex(c.md, out, &olen);
        for (k = 0; k < olen; k++)
            printf("%02x", out[k]);
        printf("  %" PRIu64 " releases, %" PRIu64 " other items\n", c.releases, c.other);
        EVP_MD_CTX_free(c.md);
        free(data);
        return 0;
    }
    reps = argc > 2 ? (size_t)strtoull(argv[2], NULL, 10) : 5;
    if (!reps)
        reps = 1;
    if (argc > 3 && !strcmp(argv[3], "xparse")) {
        int rc = bench_xparse(data, len, reps);
        free(data);
        return rc;
    }
    if (argc > 3 && !strcmp(argv[3], "parse")) {
        int rc = bench_parse(data, len, reps);
        free(data);
        return rc;
    }
    ns = bf_xcalloc(reps, sizeof *ns);
    for (i = 0; i < reps; i++) {
        double t0 = cpu_now(), w0 = bench_now(), t;
        memset(&c, 0, sizeof c);
        ocds_import_scan(argv[1], data, len, 0, on_item, &c);
        t = cpu_now() - t0;
        ns[i] = t * 1e9 / (double)(c.releases ? c.releases : 1);
        printf("run %zu: %.3f s cpu, %.3f s wall, %.0f ns/release (%" PRIu64 " releases, %" PRIu64 " other)\n", i + 1,
               t, bench_now() - w0, ns[i], c.releases, c.other);
    }
    qsort(ns, reps, sizeof *ns, bench_cmp_double);
    printf("scan+parse: min %.0f ns/release, median %.0f ns/release over %zu runs, %.1f MB\n", ns[0], ns[reps / 2],
           reps, (double)len / 1e6);
    free(ns);
    free(data);
    return 0;
}
