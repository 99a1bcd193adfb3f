/*
 * bench_ocds_merge.c - CPU time of the record merge publishing runs:
 * ocds_merge_texts (src/ocds/ocds_merge_text.c), the compiled release
 * only (records keep no versioned release since 39d6001), over the records
 * of N generated releases (ocds_demo_generate, about 7 per ocid,
 * consecutive), on one thread.
 *
 * Two forms of the same records are timed: "generated" (the releases as
 * the generator makes them, through JSON text and the importer's fast
 * parser) and "published" (as ocds_prepare makes them public: contact
 * points withheld as personal data, withheld fields replaced by markers
 * with keyed salts). Each pass merges every record once; the best and the
 * median pass are printed in microseconds per record and per release,
 * with a SHA-256 over every output (compiled text, return code and
 * error message) so two builds can be compared
 * byte for byte. The key is fixed, so everything is deterministic. A
 * pass goes through far more release trees than the caches hold, so it
 * is timed cold (the releases come from memory); a "warm" figure times
 * each record's merge right after an untimed one of the same record, as
 * when publishing merges releases it has just parsed.
 *
 * usage: bench_ocds_merge [N [PASSES]]   (default 20000 releases, 7 passes)
 */
#include "common.h"
#include "bench_util.h"
#include "buf.h"
#include "ocds/ocds.h"
#include "ocds/ocds_demo.h"
#include "ocds/ocds_json.h"

#include <openssl/evp.h>

struct set {
    json_t **v;
    size_t n, cap;
};

static void set_push(struct set *s, json_t *v)
{
    if (s->n == s->cap)
        s->v = bf_xrealloc(s->v, (s->cap = s->cap ? 2 * s->cap : 4096) * sizeof *s->v);
    s->v[s->n++] = v;
}

/* The release through its compact text and the importer's parser. */
static int collect(void *arg, json_t *r)
{
    char *t = json_dumps(r, JSON_COMPACT);
    json_t *v = ocds_json_parse_fast(t, strlen(t));
    if (!v)
        v = json_loads(t, 0, NULL);
    free(t);
    set_push(arg, v);
    return 0;
}

/* The public form ocds_prepare makes of r. */
static json_t *published(const json_t *r, const uint8_t *key)
{
    json_t *p = NULL, *pub = NULL, *side = NULL;
    const json_t *w;

    if (ocds_withhold_personal(r, &p, NULL) < 0)
        return json_incref((json_t *)r);
    w = json_object_get(p, "withheld");
    if (!json_is_array(w) || !json_array_size(w))
        return p;
    if (ocds_withhold_keyed(p, key, &pub, &side, NULL) < 0)
        pub = json_incref(p);
    json_decref(p);
    json_decref(side);
    return pub;
}


static const char *ocid_of(const json_t *r)
{
    const char *s = json_string_value(json_object_get(r, "ocid"));
    return s ? s : "";
}

/* Times passes merges of every record of s; returns the best pass. */
static void run(const char *form, const struct set *s, int passes)
{
    size_t *start = bf_xcalloc(s->n + 1, sizeof *start), nrec = 0, i;
    double *t = bf_xcalloc((size_t)passes, sizeof *t), *tw = bf_xcalloc((size_t)passes, sizeof *tw);
    struct bf_buf c = BF_BUF_INIT;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char dg[32];
    unsigned int dlen = 0;
    char hex[65];
    size_t outbytes = 0;
    int p, bad = 0;

    for (i = 0; i < s->n; i++)
        if (i == 0 || strcmp(ocid_of(s->v[i]), ocid_of(s->v[i - 1])))
            start[nrec++] = i;
    start[nrec] = s->n;
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    for (p = 0; p < passes; p++) {
        double t0 = bench_cpu_now();
        for (i = 0; i < nrec; i++) {
            struct bf_err err = {0};
            int rc;
            bf_buf_reset(&c);
            rc = ocds_merge_texts(NULL, s->v + start[i], start[i + 1] - start[i], &c, NULL, &err);
            if (p == 0) {
                EVP_DigestUpdate(md, &rc, sizeof rc);
                if (rc < 0) {
                    bad++;
                    EVP_DigestUpdate(md, err.msg, strlen(err.msg) + 1);
                } else {
                    EVP_DigestUpdate(md, c.data, c.len + 1);
                    outbytes += c.len;
                }
            }
        }
        t[p] = bench_cpu_now() - t0;
        for (i = 0; i < nrec; i++) { /* warm: the same record just merged */
            struct bf_err err = {0};
            double t1;
            bf_buf_reset(&c);
            (void)ocds_merge_texts(NULL, s->v + start[i], start[i + 1] - start[i], &c, NULL, &err);
            t1 = bench_cpu_now();
            bf_buf_reset(&c);
            (void)ocds_merge_texts(NULL, s->v + start[i], start[i + 1] - start[i], &c, NULL, &err);
            tw[p] += bench_cpu_now() - t1;
        }
    }
    EVP_DigestFinal_ex(md, dg, &dlen);
    EVP_MD_CTX_free(md);
    for (i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", dg[i]);
    qsort(t, (size_t)passes, sizeof *t, bench_cmp_double);
    qsort(tw, (size_t)passes, sizeof *tw, bench_cmp_double);
    printf("%-9s %zu records, %zu releases (%.1f each), %d passes: best %.2f us/record %.2f us/release, "
           "median %.2f us/record; %d errors, %.0f output bytes/record\n",
           form, nrec, s->n, (double)s->n / (double)nrec, passes, t[0] * 1e6 / (double)nrec,
           t[0] * 1e6 / (double)s->n, t[passes / 2] * 1e6 / (double)nrec, bad, (double)outbytes / (double)nrec);
    printf("%-9s warm: best %.2f us/record %.2f us/release, median %.2f us/record\n", form, tw[0] * 1e6 / (double)nrec,
           tw[0] * 1e6 / (double)s->n, tw[passes / 2] * 1e6 / (double)nrec);
    printf("%-9s output sha256 %s\n", form, hex);
    bf_buf_free(&c);
    free(start);
    free(t);
    free(tw);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 20000, i;
    int passes = argc > 2 ? atoi(argv[2]) : 7;
    uint8_t key[OCDS_WITHHELD_KEY_LEN];
    struct set gen = {0}, pub = {0};

    if (!n || passes < 1) {
        fprintf(stderr, "usage: %s [N [PASSES]]\n", argv[0]);
        return 2;
    }
    for (i = 0; i < sizeof key; i++)
        key[i] = (uint8_t)(i * 7 + 1);
    ocds_demo_generate(1, n, collect, &gen);
    for (i = 0; i < gen.n; i++)
        set_push(&pub, published(gen.v[i], key));
    run("generated", &gen, passes);
    run("published", &pub, passes);
    for (i = 0; i < gen.n; i++)
        json_decref(gen.v[i]);
    for (i = 0; i < pub.n; i++)
        json_decref(pub.v[i]);
    free(gen.v);
    free(pub.v);
    return 0;
}
