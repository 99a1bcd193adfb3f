/*
 * bench_ocds_prepare.c - CPU time of the publish prepare stage, the part
 * of ocds_publish_batch that the import's worker threads run per release
 * before the record merge: check, contact points withheld as personal
 * data, withheld fields split off (keyed salts), JCS + SHA-256 of the
 * public release (and of the submitted one when it had withheld fields),
 * the ledger entry line and the tag array's JSON text: ocds_prepare
 * (src/ocds/ocds_prepare.c), as publishing runs it.
 *
 * The releases of a JSON-lines file are parsed once (as the importer
 * does); then each pass runs the stage over all of them on one thread.
 * Prints the best and median pass in microseconds per release, and a
 * SHA-256 over everything the stage produced (canonical bodies, entry
 * lines, sidecars, tag texts, error codes and messages) so two builds can
 * be compared for identical output. The key is fixed, so salts and
 * sidecars are deterministic.
 *
 * usage: bench_ocds_prepare FILE.jsonl [PASSES]   (default 5 passes)
 */
#include "common.h"
#include "bench_util.h"
#include "buf.h"
#include "sha256.h"
#include "ocds/ocds.h"
#include "ocds/ocds_import.h"
#include "ocds/ocds_json.h"

#include <openssl/evp.h>


int main(int argc, char **argv)
{
    uint8_t key[OCDS_WITHHELD_KEY_LEN];
    json_t **rel = NULL;
    size_t n = 0, cap = 0, i, ok = 0, bytes = 0;
    int passes = argc > 2 ? atoi(argv[2]) : 5, p;
    double *t;
    char *line = NULL, hex[65];
    size_t lcap = 0;
    ssize_t len;
    FILE *f;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char dg[32];
    unsigned int dlen = 0;

    if (argc < 2 || passes < 1) {
        fprintf(stderr, "usage: %s FILE.jsonl [PASSES]\n", argv[0]);
        return 2;
    }
    if (!(f = fopen(argv[1], "r"))) {
        perror(argv[1]);
        return 1;
    }
    while ((len = getline(&line, &lcap, f)) > 0) {
        json_t *v;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (!len)
            continue;
        if (!(v = ocds_json_parse_fast(line, (size_t)len)) &&
            !(v = json_loadb(line, (size_t)len, JSON_REJECT_DUPLICATES, NULL)))
            continue;
        if (n == cap)
            rel = bf_xrealloc(rel, (cap = cap ? 2 * cap : 4096) * sizeof *rel);
        rel[n++] = v;
        bytes += (size_t)len;
    }
    free(line);
    fclose(f);
    if (!n) {
        fprintf(stderr, "%s: no releases\n", argv[1]);
        return 1;
    }
    for (i = 0; i < sizeof key; i++)
        key[i] = (uint8_t)(i * 7 + 1);

    t = bf_xcalloc((size_t)passes, sizeof *t);
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    for (p = 0; p < passes; p++) {
        double t0 = bench_cpu_now();
        for (i = 0; i < n; i++) {
            struct ocds_prepared o;
            struct bf_err err = {0};
            int rc = ocds_prepare(rel[i], key, NULL, &o, &err);
            if (p == 0) { /* the output digest, outside nothing: pass 0 is timed too, but only counted if best */
                EVP_DigestUpdate(md, &rc, sizeof rc);
                if (rc < 0) {
                    EVP_DigestUpdate(md, err.msg, strlen(err.msg) + 1);
                } else {
                    ok++;
                    EVP_DigestUpdate(md, o.body.data, o.body.len + 1);
                    EVP_DigestUpdate(md, o.entry.data, o.entry.len + 1);
                    EVP_DigestUpdate(md, o.src, 65);
                    EVP_DigestUpdate(md, o.tags, strlen(o.tags) + 1);
                    if (o.sidecar)
                        EVP_DigestUpdate(md, o.sidecar, strlen(o.sidecar) + 1);
                }
            }
            ocds_prepared_clear(&o);
        }
        t[p] = bench_cpu_now() - t0;
    }
    EVP_DigestFinal_ex(md, dg, &dlen);
    EVP_MD_CTX_free(md);
    for (i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", dg[i]);
    qsort(t, (size_t)passes, sizeof *t, bench_cmp_double);
    printf("prepare: %zu releases (%zu accepted), %.0f bytes each, %d passes: best %.2f us/release, median %.2f\n",
           n, ok, (double)bytes / (double)n, passes, t[0] * 1e6 / (double)n, t[passes / 2] * 1e6 / (double)n);
    printf("output sha256 %s\n", hex);
    for (i = 0; i < n; i++)
        json_decref(rel[i]);
    free(rel);
    free(t);
    return 0;
}
