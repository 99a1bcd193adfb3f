/*
 * bench_ocds_core.c - throughput of the OCDS core on generated defence
 * releases (N procedures x 3 releases, default 20000 procedures): RFC 8785
 * canonical form (MB/s of canonical output), digest + ledger entry line,
 * release check, withholding (public form + commitments), compiled and
 * versioned merge per record, and the export writers (release package
 * plain/gzip/zstd, record package, JSON Lines, CSV). Results go to stdout
 * and are appended to bench/results/ocds_core.txt with the load average
 * (the build machine is shared: figures are lower bounds).
 *
 * usage: bench_ocds_core [PROCEDURES]
 */
#include "common.h"
#include "buf.h"
#include "ocds/ocds.h"
#include "ocds/ocds_export.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static FILE *out;

static void report(const char *what, double secs, size_t items, const char *unit, size_t bytes)
{
    char line[256];
    snprintf(line, sizeof line, "%-36s %8.3f s %11.0f %s/s %9.1f MB/s\n", what, secs, items / secs, unit,
             bytes / secs / 1e6);
    fputs(line, stdout);
    if (out)
        fputs(line, out);
}

/* One procedure: tender (with a withheld value), award, contract. */
static void gen(unsigned i, json_t *r[3])
{
    char ocid[64], d[3][32];
    double amount = 100000.0 + (i * 7919u % 900000) * 10.25;
    unsigned k;

    snprintf(ocid, sizeof ocid, "ocds-b3lfry-BE-MOD-%07u", i);
    for (k = 0; k < 3; k++)
        snprintf(d[k], sizeof d[k], "2025-%02u-%02uT1%u:00:00Z", 1 + k * 4 + i % 4, 1 + i % 28, k);
    r[0] = json_pack("{s:s,s:s,s:s,s:[s],s:s,s:[{s:s,s:s,s:[s]}],s:{s:s,s:s},"
                     "s:{s:s,s:s,s:s,s:s,s:{s:f,s:s},s:[{s:s,s:s,s:{s:s,s:s},s:i}],"
                     "s:{s:s,s:s,s:s,s:{s:[s]},s:[{s:s,s:s,s:s}],s:s}},s:[{s:s,s:s,s:s}]}",
                     "ocid", ocid, "id", "tender-1", "date", d[0], "tag", "tender", "initiationType", "tender",
                     "parties", "id", "BE-BCE-0200.000.000", "name", "Defence", "roles", "buyer", "buyer", "id",
                     "BE-BCE-0200.000.000", "name", "Defence", "tender", "id", ocid + 12, "title",
                     "Tactical unmanned aerial systems", "status", "active", "procurementMethod", "selective",
                     "value", "amount", amount, "currency", "EUR", "items", "id", "1", "description", "UAV",
                     "classification", "scheme", "CPV", "id", "35613000", "quantity", 1 + (int)(i % 40), "defence",
                     "directive", "2009/81/EC", "procedure", "restricted", "securityClassification", "secret",
                     "securityOfSupply", "requirements", "crisisCapacity", "fundingSources", "id", "f1", "type",
                     "nationalBudget", "budgetLine", "16-50-12.11", "capabilityArea", "dronesUav", "withheld", "path",
                     "/tender/value", "reason", "defenceSecurity", "disclosureDate", "2030-01-01");
    r[1] = json_pack("{s:s,s:s,s:s,s:[s],s:s,s:[{s:s,s:s,s:s,s:{s:f,s:s},s:[{s:s,s:s}]}]}", "ocid", ocid, "id",
                     "award-1", "date", d[1], "tag", "award", "initiationType", "tender", "awards", "id", "award-1",
                     "status", "active", "date", d[1], "value", "amount", amount * 0.97, "currency", "EUR",
                     "suppliers", "id", "FR-RCS-123456", "name", "Avions SA");
    r[2] = json_pack("{s:s,s:s,s:s,s:[s],s:s,s:[{s:s,s:s,s:s,s:{s:f,s:s}}]}", "ocid", ocid, "id", "contract-1",
                     "date", d[2], "tag", "contract", "initiationType", "tender", "contracts", "id", "contract-1",
                     "awardID", "award-1", "status", "active", "value", "amount", amount * 0.97, "currency", "EUR");
}

static int count_bytes(void *arg, const void *data, size_t n)
{
    (void)data;
    *(size_t *)arg += n;
    return 0;
}

static void bench_export(json_t **pub, size_t n, enum ocds_export_format f, enum ocds_export_compress z,
                         const char *what)
{
    struct ocds_export_meta meta = {"https://belfry.example/export", "2025-01-01T00:00:00Z", "Belfry", NULL, NULL,
                                    NULL, NULL};
    struct ocds_export *x = NULL;
    size_t bytes = 0, i;
    double t = now();
    int rc;
    char dir[] = "/tmp/belfry-bench-csv-XXXXXX";

    if (f == OCDS_EXPORT_CSV)
        rc = mkdtemp(dir) ? ocds_export_open_csv(dir, z, &x, NULL) : -1;
    else
        rc = ocds_export_open(f, z, &meta, count_bytes, &bytes, &x, NULL);
    if (f == OCDS_EXPORT_RECORD_PACKAGE)
        for (i = 0; rc == 0 && i + 2 < n; i += 3)
            rc = ocds_export_add_record(x, pub + i, 3, NULL);
    else
        for (i = 0; rc == 0 && i < n; i++)
            rc = ocds_export_add_release(x, pub[i], NULL);
    if (rc == 0)
        rc = ocds_export_finish(x, NULL);
    if (rc < 0)
        fprintf(stderr, "%s failed\n", what);
    report(what, now() - t, n, "releases", bytes);
    if (f == OCDS_EXPORT_CSV) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot remove %s\n", dir);
    }
}

int main(int argc, char **argv)
{
    size_t procs = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000, n = 3 * procs, i, bytes = 0;
    json_t **full = bf_xcalloc(n, sizeof *full), **pub = bf_xcalloc(n, sizeof *pub), *side, *c, *v;
    struct bf_buf b = BF_BUF_INIT;
    char hex[65];
    double t;

    out = fopen("bench/results/ocds_core.txt", "a");
    if (out) {
        time_t now_t = time(NULL);
        char load[64] = "?";
        FILE *la = fopen("/proc/loadavg", "r");
        if (la && !fgets(load, sizeof load, la))
            snprintf(load, sizeof load, "?\n");
        if (la)
            fclose(la);
        fprintf(out, "# bench_ocds_core %zu procedures (%zu releases), %s", procs, n, ctime_r(&now_t, hex));
        fprintf(out, "# load average at start: %s# MB/s is of the output written (compressed bytes when compressed)\n",
                load);
    }
    for (i = 0; i < procs; i++)
        gen((unsigned)i, full + 3 * i);

    t = now();
    for (i = 0; i < n; i++)
        if (ocds_release_check(full[i], NULL) < 0)
            fprintf(stderr, "release %zu fails the check\n", i);
    report("release check", now() - t, n, "releases", 0);

    t = now();
    for (i = 0; i < n; i++) {
        if (ocds_withhold(full[i], &pub[i], &side, NULL) < 0)
            fprintf(stderr, "withhold %zu failed\n", i);
        json_decref(side);
    }
    report("withhold (public form + commitments)", now() - t, n, "releases", 0);

    t = now();
    for (i = 0; i < n; i++) {
        bf_buf_reset(&b);
        if (ocds_jcs(pub[i], &b, NULL) == 0)
            bytes += b.len;
    }
    report("JCS canonical form", now() - t, n, "releases", bytes);

    t = now();
    for (i = 0; i < n; i++)
        if (ocds_digest(pub[i], hex, NULL) < 0)
            fprintf(stderr, "digest %zu failed\n", i);
    report("JCS + SHA-256 digest", now() - t, n, "releases", bytes);

    t = now();
    for (i = 0; i < n; i++) {
        bf_buf_reset(&b);
        if (ocds_entry_line(pub[i], NULL, &b, NULL) < 0)
            fprintf(stderr, "entry %zu failed\n", i);
    }
    report("ledger entry line (incl. digest)", now() - t, n, "releases", bytes);

    t = now();
    for (i = 0; i < n; i += 3) {
        if (ocds_merge_compiled(pub + i, 3, &c, NULL) < 0)
            fprintf(stderr, "merge %zu failed\n", i);
        json_decref(c);
    }
    report("compiled merge, 3-release records", now() - t, n / 3, "records", 0);

    t = now();
    for (i = 0; i < n; i += 3) {
        if (ocds_merge_versioned(pub + i, 3, &v, NULL) < 0)
            fprintf(stderr, "merge %zu failed\n", i);
        json_decref(v);
    }
    report("versioned merge, 3-release records", now() - t, n / 3, "records", 0);

    bench_export(pub, n, OCDS_EXPORT_RELEASE_PACKAGE, OCDS_EXPORT_PLAIN, "export release package");
    bench_export(pub, n, OCDS_EXPORT_RELEASE_PACKAGE, OCDS_EXPORT_GZIP, "export release package, gzip");
    bench_export(pub, n, OCDS_EXPORT_RELEASE_PACKAGE, OCDS_EXPORT_ZSTD, "export release package, zstd");
    bench_export(pub, n, OCDS_EXPORT_RECORD_PACKAGE, OCDS_EXPORT_ZSTD, "export record package, zstd");
    bench_export(pub, n, OCDS_EXPORT_JSONL, OCDS_EXPORT_PLAIN, "export JSON Lines");
    bench_export(pub, n, OCDS_EXPORT_CSV, OCDS_EXPORT_PLAIN, "export CSV tables");

    for (i = 0; i < n; i++)
        json_decref(full[i]), json_decref(pub[i]);
    free(full), free(pub);
    bf_buf_free(&b);
    if (out)
        fclose(out);
    return 0;
}
