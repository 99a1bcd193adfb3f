/*
 * bench_ocds_fetch.c - record fetch latency without HTTP: for random
 * ocids of a store, ocds_record_json (the body of GET
 * /api/v1/records/{ocid}: record row with its stored compiled and
 * versioned releases, the release list) timed one by one; prints p50,
 * p99 and max.
 *
 * usage: bench_ocds_fetch DATA_DIR OCID_FILE [ITERATIONS]
 */
#include "common.h"
#include "buf.h"
#include "ocds/ocds.h"
#include "ocds/ocds_import.h"
#include "store/store.h"
#include "store/store_ocds.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    struct store *s = NULL;
    struct bf_err err = { 0 };
    char **ocid = NULL, line[1024];
    size_t n = 0, cap = 0, iters, i;
    double *lat, t;
    struct bf_buf b = BF_BUF_INIT;
    size_t failed = 0;
    FILE *f;

    if (argc < 3) {
        fprintf(stderr, "usage: bench_ocds_fetch DATA_DIR OCID_FILE [ITERATIONS]\n");
        return 2;
    }
    iters = argc > 3 ? (size_t)strtoull(argv[3], NULL, 10) : 10000;
    if (store_open(argv[1], STORE_READONLY, &s, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    f = fopen(argv[2], "r");
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            ocid = bf_xrealloc(ocid, cap * sizeof *ocid);
        }
        ocid[n++] = bf_xstrdup(line);
    }
    if (f)
        fclose(f);
    if (!n) {
        fprintf(stderr, "no ocids in %s\n", argv[2]);
        return 1;
    }
    lat = bf_xcalloc(iters, sizeof *lat);
    for (i = 0; i < iters; i++) {
        t = now_us();
        bf_buf_reset(&b);
        if (ocds_record_json(s, ocid[i % n], "http://localhost", &b, &err) < 0)
            failed++;
        lat[i] = now_us() - t;
    }
    qsort(lat, iters, sizeof *lat, cmp_d);
    printf("record fetch in process (ocds_record_json, no HTTP, %zu fetches of %zu ocids, %zu failed): p50 %.0f us, "
           "p99 %.0f us, max %.0f us\n", iters, n, failed, lat[iters / 2], lat[iters * 99 / 100], lat[iters - 1]);
    for (i = 0; i < n; i++)
        free(ocid[i]);
    free(ocid);
    free(lat);
    bf_buf_free(&b);
    store_close(s);
    return 0;
}
