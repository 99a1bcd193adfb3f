/*
 * bench_ocds_stages.c - where the time of an OCDS import goes: for N
 * generated releases (default 20000) it times each stage on its own:
 * parse (jansson, and the importer's fast path), check, canonical form +
 * SHA-256, entry line,
 * incremental compiled merge ([compiled, new] per release) and, for
 * comparison, the full re-merge of every record: the tree merges + JCS
 * (the old publish hook) and ocds_merge_texts (the hook now, same bytes),
 * with their ratio; then the whole pipeline
 * through ocds_publish_batch into a fresh store and log. Appends its
 * figures to bench/results/ocds_stages.txt.
 *
 * usage: bench_ocds_stages [N [merge]]
 *   with "merge": only parse and the merge stages, nothing appended to the
 *   results file (for iterating on the merge).
 */
#include "common.h"
#include "buf.h"
#include "arena.h"
#include "sha256.h"
#include "ocds/ocds.h"
#include "ocds/ocds_demo.h"
#include "ocds/ocds_import.h"
#include "ocds/ocds_json.h"
#include "ledger/ledger.h"
#include "store/store.h"

struct gen {
    char **line;
    size_t n, cap, bytes;
};

static int collect(void *arg, json_t *r)
{
    struct gen *g = arg;
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 1024;
        g->line = bf_xrealloc(g->line, g->cap * sizeof *g->line);
    }
    g->line[g->n] = json_dumps(r, JSON_COMPACT);
    g->bytes += strlen(g->line[g->n]) + 1;
    g->n++;
    return 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static FILE *out;

static void report(const char *stage, double secs, size_t n, size_t bytes)
{
    char line[256];
    snprintf(line, sizeof line, "%-34s %8.3f s %10.0f releases/s %8.1f MB/s %7.1f us/release\n", stage, secs, n / secs,
             bytes / secs / 1e6, secs * 1e6 / n);
    fputs(line, stdout);
    if (out)
        fputs(line, out);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 20000, i;
    int merge_only = argc > 2 && !strcmp(argv[2], "merge");
    struct gen g = { 0 };
    json_t **rel;
    struct bf_buf b = BF_BUF_INIT;
    char hex[65], dir[] = "/tmp/belfry-bench-stages-XXXXXX", cmd[128];
    struct bf_err err = { 0 };
    double t, t_trees = 0, t_texts = 0;
    int bad = 0, declined = 0;

    ocds_demo_generate(1, n, collect, &g);
    rel = bf_xcalloc(n, sizeof *rel);
    out = merge_only ? NULL : fopen("bench/results/ocds_stages.txt", "a");
    if (out)
        fprintf(out, "# bench_ocds_stages %zu generated releases, %.1f MB of JSON Lines\n", n, g.bytes / 1e6);

    t = now();
    for (i = 0; i < n; i++)
        rel[i] = json_loads(g.line[i], 0, NULL);
    report("parse (jansson)", now() - t, n, g.bytes);

    t = now();
    for (i = 0; i < n; i++) {
        json_t *v = ocds_json_parse_fast(g.line[i], strlen(g.line[i]));
        declined += !v; /* the importer would hand it to jansson */
        json_decref(v);
    }
    report("parse + free (ocds_json_parse_fast)", now() - t, n, g.bytes);
    if (declined)
        printf("%d releases left to jansson by the fast parser\n", declined);

    { /* the import's workers: jv trees in an arena, reset per batch */
        struct bf_arena a = BF_ARENA_INIT;
        int nest;
        declined = 0;
        t = now();
        for (i = 0; i < n; i++) {
            declined += !ocds_json_parse_jv(&a, g.line[i], strlen(g.line[i]), &nest);
            if (i % 4096 == 4095)
                bf_arena_reset(&a);
        }
        bf_arena_free(&a);
        report("parse + free (ocds_json_parse_jv, import)", now() - t, n, g.bytes);
        if (declined)
            printf("%d releases left to jansson by the jv parser\n", declined);
    }

    if (merge_only)
        goto merge;
    t = now();
    for (i = 0; i < n; i++)
        bad += ocds_release_check(rel[i], NULL) < 0;
    report("ocds_release_check", now() - t, n, g.bytes);

    t = now();
    for (i = 0; i < n; i++) {
        bf_buf_reset(&b);
        if (ocds_jcs(rel[i], &b, NULL) == 0)
            bf_sha256_hex(b.data, b.len, hex);
    }
    report("JCS + SHA-256", now() - t, n, g.bytes);

    t = now();
    for (i = 0; i < n; i++) {
        bf_buf_reset(&b);
        ocds_entry_line(rel[i], "bench", &b, NULL);
    }
    report("entry line (JCS + SHA-256 again)", now() - t, n, g.bytes);

merge:
    if (!merge_only) {
        json_t *compiled = NULL;
        const char *ocid = "";
        t = now();
        for (i = 0; i < n; i++) {
            const char *o = json_string_value(json_object_get(rel[i], "ocid"));
            json_t *next = NULL;
            if (strcmp(o, ocid)) {
                json_decref(compiled);
                compiled = NULL;
                ocds_merge_compiled(&rel[i], 1, &compiled, NULL);
            } else {
                json_t *pair[2] = { compiled, rel[i] };
                ocds_merge_compiled(pair, 2, &next, NULL);
                json_decref(compiled);
                compiled = next;
            }
            ocid = o;
            bf_buf_reset(&b);
            ocds_jcs(compiled, &b, NULL);
        }
        json_decref(compiled);
        report("incremental compiled merge + JCS", now() - t, n, g.bytes);
    }
    {
        size_t start = 0;
        json_t *v = NULL;
        t = now();
        for (i = 1; i <= n; i++) {
            if (i == n || strcmp(json_string_value(json_object_get(rel[i], "ocid")),
                                 json_string_value(json_object_get(rel[start], "ocid")))) {
                ocds_merge_compiled(&rel[start], i - start, &v, NULL);
                json_decref(v);
                ocds_merge_versioned(&rel[start], i - start, &v, NULL);
                json_decref(v);
                start = i;
            }
        }
        report("compiled + versioned, once per record", now() - t, n, g.bytes);
    }
    {
        /* what the publish hook does for a record: both merges, both JCS texts */
        size_t start = 0;
        json_t *v = NULL;
        t = now();
        for (i = 1; i <= n; i++) {
            if (i == n || strcmp(json_string_value(json_object_get(rel[i], "ocid")),
                                 json_string_value(json_object_get(rel[start], "ocid")))) {
                bf_buf_reset(&b);
                ocds_merge_compiled(&rel[start], i - start, &v, NULL);
                ocds_jcs(v, &b, NULL);
                json_decref(v);
                ocds_merge_versioned(&rel[start], i - start, &v, NULL);
                ocds_jcs(v, &b, NULL);
                json_decref(v);
                start = i;
            }
        }
        t_trees = now() - t;
        report("  the same + JCS of both (old hook)", t_trees, n, g.bytes);
    }
    {
        /* the hook now: ocds_merge_texts, both texts from one walk */
        size_t start = 0;
        struct bf_buf c = BF_BUF_INIT;
        t = now();
        for (i = 1; i <= n; i++) {
            if (i == n || strcmp(json_string_value(json_object_get(rel[i], "ocid")),
                                 json_string_value(json_object_get(rel[start], "ocid")))) {
                bf_buf_reset(&b);
                bf_buf_reset(&c);
                if (ocds_merge_texts(NULL, &rel[start], i - start, &c, &b, &err) < 0)
                    bad++;
                start = i;
            }
        }
        t_texts = now() - t;
        report("  ocds_merge_texts (one walk, hook)", t_texts, n, g.bytes);
        printf("  old hook / ocds_merge_texts: %.2fx\n", t_trees / t_texts);
        if (out)
            fprintf(out, "  old hook / ocds_merge_texts: %.2fx\n", t_trees / t_texts);
        bf_buf_free(&c);
    }
    if (!merge_only) {
        struct store *s = NULL;
        struct ledger *l = NULL;
        struct ocds_ctx *c = NULL;
        struct ocds_pub_item *it = bf_xcalloc(2048, sizeof *it);
        size_t k;
        if (!mkdtemp(dir) || store_open(dir, STORE_CREATE, &s, &err) < 0 ||
            ledger_init(s, "bench.belfry/stages", NULL, &err) < 0 || ledger_open(s, NULL, &l, &err) < 0 ||
            ocds_ctx_new(s, l, &c, &err) < 0) {
            fprintf(stderr, "setup: %s\n", err.msg);
            return 1;
        }
        t = now();
        for (i = 0; i < n; i += k) {
            for (k = 0; k < 2048 && i + k < n; k++) {
                memset(&it[k], 0, sizeof it[k]);
                it[k].release = rel[i + k];
            }
            ocds_publish_batch(c, it, k, "bench", NULL);
        }
        report("publish (check..store+log, fsync)", now() - t, n, g.bytes);
        ocds_ctx_free(c);
        ledger_close(l);
        store_close(s);
        free(it);
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", dir);
    }
    if (bad)
        printf("%d releases failed the check\n", bad);
    for (i = 0; i < n; i++) {
        json_decref(rel[i]);
        free(g.line[i]);
    }
    free(rel);
    free(g.line);
    bf_buf_free(&b);
    if (out)
        fclose(out);
    return 0;
}
