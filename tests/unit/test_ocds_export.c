/*
 * test_ocds_export.c - export writers: release and record packages and
 * JSON Lines round-trip through plain, gzip and zstd output; record
 * packages carry the merge's compiled and versioned releases; CSV tables
 * have parent keys and RFC 4180 quoting; output errors and bad metadata
 * are reported; thousands of releases stream through.
 *
 * It also holds the deterministic defence-release generator the node tests
 * use, and two tool modes for them:
 *   --export FORMAT COMPRESS OUT [--generated N] [FILE...]
 *       exports the releases of FILE... (packages or bare releases) and N
 *       generated defence procedures (public form, withheld fields split
 *       off; --generated-full N keeps the full, private form) as FORMAT to
 *       OUT (a file, or a directory for csv);
 *   --entries [--generated N] [FILE...]
 *       prints the ledger entry line of each of those releases, in order.
 */
#include "common.h"
#include "buf.h"
#include "ocds/ocds.h"
#include "ocds/ocds_export.h"
#include "tap.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <zlib.h>
#include <zstd.h>

/* ---- deterministic defence procedures -------------------------------- */

static uint64_t rng_state;
static unsigned rnd(unsigned n)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)((rng_state >> 33) % n);
}

static const char *const caps[] = {"dronesUav", "combatAircraft", "land", "cyberElectronicWarfare", "airDefence",
                                   "ammunition", "infrastructure", "other"};
static const char *const cpvs[] = {"35613000", "35611000", "35411000", "48730000", "35333000", "35330000",
                                   "45216200", "35000000"};
static const char *const titles[] = {"Tactical unmanned aerial systems", "Combat aircraft spare engines",
                                     "Armoured vehicle maintenance", "Secure network monitoring",
                                     "Short-range air defence missiles", "155 mm artillery ammunition",
                                     "Hardened hangar renovation", "Field kitchens, \"modular\", with trailers"};
static const char *const countries[] = {"BE", "NL", "FR", "DE", "LU", "IT", "ES", "PL", "SE", "NO", "US", "GB"};
static const char *const procs[] = {"restricted", "negotiatedWithPublication", "competitiveDialogue",
                                    "negotiatedWithoutPublication"};

/* Three releases (tender, award, contract) of procedure i, full form. */
static void gen_procedure(unsigned i, json_t *out[3])
{
    char ocid[64], sup[64], date[3][32];
    unsigned cap = i % 8, proc = rnd(4), cc = rnd(BF_ARRAY_LEN(countries));
    double amount = 100000.0 * (1 + rnd(900)) + rnd(100) * 0.25;
    int nwp = proc == 3, k;
    json_t *tender, *defence, *award, *contract;

    rng_state ^= i;
    snprintf(ocid, sizeof ocid, "ocds-b3lfry-BE-MOD-2025-%05u", i);
    snprintf(sup, sizeof sup, "%s-REG-%06u", countries[cc], rnd(999999));
    for (k = 0; k < 3; k++)
        snprintf(date[k], sizeof date[k], "2025-%02u-%02uT%02u:00:00Z", 1 + (i + 3 * k) % 12, 1 + rnd(28), 8 + k);
    if (strcmp(date[1], date[0]) <= 0)
        snprintf(date[1], sizeof date[1], "%s", date[0]), date[1][18] = '1';
    if (strcmp(date[2], date[1]) <= 0)
        snprintf(date[2], sizeof date[2], "%s", date[1]), date[2][17] = '3';
    defence = json_pack("{s:s,s:s,s:s,s:{s:b,s:s},s:{s:[s,s]},s:{s:s,s:i,s:i},s:[{s:s,s:s,s:s,s:i}],s:s}",
                        "directive", "2009/81/EC", "procedure", procs[proc], "securityClassification",
                        i % 3 ? "restricted" : "secret", "securityClearance", "required", i % 2, "level",
                        "confidential", "securityOfSupply", "requirements", "exportTransferTransit", "crisisCapacity",
                        "subcontracting", "obligation", "competitiveShare", "minimumPercentage", 5,
                        "maximumPercentage", 30, "fundingSources", "id", "f1", "type", "nationalBudget", "budgetLine",
                        "BE-16-50-12.11", "share", 100, "capabilityArea", caps[cap]);
    if (nwp)
        json_object_set_new(defence, "negotiatedWithoutPublicationGround", json_string(i % 2 ? "art28-1c" : "art28-1e"));
    tender = json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:f,s:s},s:[{s:s,s:s,s:{s:s,s:s},s:i}],s:o}", "id", ocid + 12,
                       "title", titles[cap], "status", "active", "procurementMethod", nwp ? "limited" : "selective",
                       "mainProcurementCategory", cap == 6 ? "works" : "goods", "value", "amount", amount, "currency",
                       "EUR", "items", "id", "1", "description", titles[cap], "classification", "scheme", "CPV", "id",
                       cpvs[cap], "quantity", 1 + (int)rnd(50), "defence", defence);
    out[0] = json_pack("{s:s,s:s,s:s,s:[s],s:s,s:s,s:[{s:s,s:s,s:[s,s]}],s:{s:s,s:s},s:o}", "ocid", ocid, "id",
                       "tender-1", "date", date[0], "tag", "tender", "initiationType", "tender", "language", "en",
                       "parties", "id", "BE-BCE-0200.000.000", "name", "Ministry of Defence, Belgium", "roles", "buyer",
                       "procuringEntity", "buyer", "id", "BE-BCE-0200.000.000", "name", "Ministry of Defence, Belgium",
                       "tender", tender);
    if (i % 2) /* withhold the estimated value of half the procedures */
        json_object_set_new(out[0], "withheld",
                            json_pack("[{s:s,s:s,s:s}]", "path", "/tender/value", "reason", "defenceSecurity",
                                      "disclosureDate", "2030-01-01"));
    award = json_pack("{s:s,s:s,s:s,s:{s:f,s:s},s:[{s:s,s:s}],s:{s:f}}", "id", "award-1", "status", "active", "date",
                      date[1], "value", "amount", amount * 0.97, "currency", "EUR", "suppliers", "id", sup, "name",
                      "Supplier with, comma", "defence", "subcontractingShare", 10.0 + rnd(20));
    out[1] = json_pack("{s:s,s:s,s:s,s:[s],s:s,s:[{s:s,s:s,s:[s]}],s:[o]}", "ocid", ocid, "id", "award-1", "date",
                       date[1], "tag", "award", "initiationType", "tender", "parties", "id", sup, "name",
                       "Supplier with, comma", "roles", "supplier", "awards", award);
    contract = json_pack("{s:s,s:s,s:s,s:{s:f,s:s},s:{s:[{s:s,s:s,s:{s:f,s:s}}]}}", "id", "contract-1", "awardID",
                         "award-1", "status", "active", "value", "amount", amount * 0.97, "currency", "EUR",
                         "implementation", "transactions", "id", "t1", "date", date[2], "value", "amount",
                         amount * 0.3, "currency", "EUR");
    out[2] = json_pack("{s:s,s:s,s:s,s:[s],s:s,s:[o]}", "ocid", ocid, "id", "contract-1", "date", date[2], "tag",
                       "contract", "initiationType", "tender", "contracts", contract);
}

/* Public form of a generated release (withheld fields split off). */
static json_t *public_of(json_t *full)
{
    json_t *pub = NULL, *side = NULL;
    struct bf_err err = {0};
    if (ocds_withhold(full, &pub, &side, &err) < 0) {
        fprintf(stderr, "withhold: %s\n", err.msg);
        exit(2);
    }
    json_decref(side);
    json_decref(full);
    return pub;
}

/* Appends the releases of a file (package, record package, bare release). */
static void collect_file(const char *path, json_t *all)
{
    json_t *doc = json_load_file(path, 0, NULL), *recs, *rec, *r;
    size_t i, j;
    if (!doc) {
        fprintf(stderr, "cannot read %s\n", path);
        return;
    }
    if (json_is_array(json_object_get(doc, "releases")) && !json_object_get(doc, "ocid")) {
        json_array_extend(all, json_object_get(doc, "releases"));
    } else if (json_is_array(recs = json_object_get(doc, "records"))) {
        json_array_foreach(recs, i, rec)
            json_array_foreach(json_object_get(rec, "releases"), j, r)
                if (json_object_get(r, "ocid"))
                    json_array_append(all, r);
    } else if (json_object_get(doc, "ocid")) {
        json_array_append(all, doc);
    }
    json_decref(doc);
}

/* Keeps the first release of each (ocid, id): releases are immutable. */
static json_t *dedupe(json_t *all)
{
    json_t *seen = json_object(), *out = json_array(), *r;
    size_t i;
    json_array_foreach(all, i, r) {
        char key[1024];
        snprintf(key, sizeof key, "%s\x01%s", json_string_value(json_object_get(r, "ocid")) ?: "",
                 json_string_value(json_object_get(r, "id")) ?: "");
        if (json_object_get(seen, key))
            continue;
        json_object_set_new(seen, key, json_true());
        json_array_append(out, r);
    }
    json_decref(seen);
    json_decref(all);
    return out;
}

static json_t *collect(int argc, char **argv, int start)
{
    json_t *all = json_array();
    int i;
    for (i = start; i < argc; i++) {
        if ((strcmp(argv[i], "--generated") == 0 || strcmp(argv[i], "--generated-full") == 0) && i + 1 < argc) {
            int full = strcmp(argv[i], "--generated-full") == 0;
            unsigned n = (unsigned)atoi(argv[++i]), p, k;
            rng_state = 42;
            for (p = 0; p < n; p++) {
                json_t *rel[3];
                gen_procedure(p, rel);
                for (k = 0; k < 3; k++)
                    json_array_append_new(all, full ? rel[k] : public_of(rel[k]));
            }
        } else {
            collect_file(argv[i], all);
        }
    }
    return dedupe(all);
}

static int export_tool(int argc, char **argv)
{
    static const char *const ext[] = {"https://belfry.example/ext/defence/extension.json", NULL};
    struct ocds_export_meta meta = {"https://belfry.example/export", "2025-12-01T00:00:00Z", "Belfry test export",
                                    NULL, "https://creativecommons.org/publicdomain/zero/1.0/", NULL, ext};
    enum ocds_export_format f;
    enum ocds_export_compress z;
    struct ocds_export *x = NULL;
    struct bf_err err = {0};
    json_t *all, *r;
    size_t i, j;
    int fd = -1, rc;

    if (argc < 5 || ocds_export_format_parse(argv[2], &f) < 0 || ocds_export_compress_parse(argv[3], &z) < 0) {
        fprintf(stderr, "usage: --export FORMAT COMPRESS OUT [--generated N] [FILE...]\n");
        return 2;
    }
    all = collect(argc, argv, 5);
    if (f == OCDS_EXPORT_CSV) {
        rc = ocds_export_open_csv(argv[4], z, &x, &err);
    } else {
        fd = open(argv[4], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        rc = fd < 0 ? bf_err_set(&err, BF_EIO, "cannot open %s", argv[4])
                    : ocds_export_open(f, z, &meta, ocds_export_write_fd, &fd, &x, &err);
    }
    if (f == OCDS_EXPORT_RECORD_PACKAGE) { /* group by ocid, in first-seen order */
        json_t *done = json_object();
        for (i = 0; rc == 0 && i < json_array_size(all); i++) {
            const char *ocid = json_string_value(json_object_get(json_array_get(all, i), "ocid"));
            json_t **group;
            size_t n = 0;
            if (!ocid || json_object_get(done, ocid))
                continue;
            json_object_set_new(done, ocid, json_true());
            group = bf_xcalloc(json_array_size(all), sizeof *group);
            json_array_foreach(all, j, r)
                if (json_is_string(json_object_get(r, "ocid")) &&
                    !strcmp(json_string_value(json_object_get(r, "ocid")), ocid))
                    group[n++] = r;
            rc = ocds_export_add_record(x, group, n, &err);
            free(group);
        }
        json_decref(done);
    } else {
        json_array_foreach(all, i, r)
            if (rc == 0)
                rc = ocds_export_add_release(x, r, &err);
    }
    if (rc == 0)
        rc = ocds_export_finish(x, &err);
    else
        ocds_export_abort(x);
    if (fd >= 0)
        close(fd);
    json_decref(all);
    if (rc < 0)
        fprintf(stderr, "export: %s\n", err.msg);
    return rc < 0 ? 1 : 0;
}

static int entries_tool(int argc, char **argv)
{
    json_t *all = collect(argc, argv, 2), *r;
    size_t i;
    json_array_foreach(all, i, r) {
        struct bf_buf b = BF_BUF_INIT;
        struct bf_err err = {0};
        if (ocds_entry_line(r, NULL, &b, &err) == 0)
            printf("%s\n", b.data);
        else
            printf("ERROR %s\n", err.msg);
        bf_buf_free(&b);
    }
    json_decref(all);
    return 0;
}

/* ---- unit tests ------------------------------------------------------ */

static int mem_write(void *arg, const void *data, size_t n)
{
    return bf_buf_append(arg, data, n);
}

static int fail_write(void *arg, const void *data, size_t n)
{
    (void)arg, (void)data, (void)n;
    return BF_EIO;
}

static char *decompress(const struct bf_buf *b, enum ocds_export_compress z, size_t *len)
{
    struct bf_buf out = BF_BUF_INIT;
    if (z == OCDS_EXPORT_PLAIN) {
        if (bf_buf_append(&out, b->data, b->len) < 0)
            return NULL;
    } else if (z == OCDS_EXPORT_GZIP) {
        z_stream s;
        unsigned char chunk[16384];
        int zr;
        memset(&s, 0, sizeof s);
        inflateInit2(&s, 15 + 16);
        s.next_in = (Bytef *)b->data, s.avail_in = (uInt)b->len;
        do {
            s.next_out = chunk, s.avail_out = sizeof chunk;
            zr = inflate(&s, Z_NO_FLUSH);
            if (bf_buf_append(&out, chunk, sizeof chunk - s.avail_out) < 0)
                break;
        } while (zr == Z_OK);
        inflateEnd(&s);
        if (zr != Z_STREAM_END) {
            bf_buf_free(&out);
            return NULL;
        }
    } else {
        unsigned long long n = ZSTD_getFrameContentSize(b->data, b->len);
        ZSTD_DCtx *d = ZSTD_createDCtx();
        ZSTD_inBuffer in = {b->data, b->len, 0};
        size_t r = 1;
        (void)n;
        while (in.pos < in.size && r != 0) {
            unsigned char chunk[16384];
            ZSTD_outBuffer o = {chunk, sizeof chunk, 0};
            r = ZSTD_decompressStream(d, &o, &in);
            if (ZSTD_isError(r) || bf_buf_append(&out, chunk, o.pos) < 0) {
                ZSTD_freeDCtx(d);
                bf_buf_free(&out);
                return NULL;
            }
        }
        ZSTD_freeDCtx(d);
    }
    return bf_buf_take(&out, len);
}

static json_t *generated(unsigned n)
{
    json_t *all = json_array();
    unsigned p, k;
    rng_state = 42;
    for (p = 0; p < n; p++) {
        json_t *rel[3];
        gen_procedure(p, rel);
        for (k = 0; k < 3; k++)
            json_array_append_new(all, public_of(rel[k]));
    }
    return all;
}

static void test_generated_valid(void)
{
    json_t *all = generated(40), *r;
    size_t i;
    int bad = 0;
    struct bf_err err = {0};
    json_array_foreach(all, i, r)
        if (ocds_release_check(r, &err) < 0 && !bad++)
            diag("release %zu: %s", i, err.msg);
    ok(bad == 0 && json_array_size(all) == 120, "120 generated defence releases pass the release check");
    json_decref(all);
}

static void test_packages(void)
{
    static const char *const zn[] = {"plain", "gzip", "zstd"};
    struct ocds_export_meta meta = {"https://example.org/p.json", NULL, "Test, \"publisher\"", NULL, NULL, NULL, NULL};
    json_t *all = generated(20), *r;
    int z;

    for (z = OCDS_EXPORT_PLAIN; z <= OCDS_EXPORT_ZSTD; z++) {
        struct bf_buf b = BF_BUF_INIT;
        struct ocds_export *x = NULL;
        struct bf_err err = {0};
        json_t *pkg = NULL;
        char *text;
        size_t i, len = 0;
        int rc = ocds_export_open(OCDS_EXPORT_RELEASE_PACKAGE, z, &meta, mem_write, &b, &x, &err);

        json_array_foreach(all, i, r)
            if (rc == 0)
                rc = ocds_export_add_release(x, r, &err);
        ok(rc == 0 && ocds_export_count(x) == 60, "%s release package: 60 releases added", zn[z]);
        rc = rc ? rc : ocds_export_finish(x, &err);
        text = rc == 0 ? decompress(&b, z, &len) : NULL;
        pkg = text ? json_loadb(text, len, 0, NULL) : NULL;
        ok(pkg && ocds_json_equal(json_object_get(pkg, "releases"), all) &&
               !strcmp(json_string_value(json_object_get(pkg, "version")), "1.1") &&
               !strcmp(json_string_value(ocds_json_pointer_get(pkg, "/publisher/name")), "Test, \"publisher\"") &&
               json_is_string(json_object_get(pkg, "publishedDate")) && json_is_string(json_object_get(pkg, "uri")),
           "%s release package round-trips (%zu bytes compressed, %zu plain)", zn[z], b.len, len);
        json_decref(pkg);
        free(text);
        bf_buf_free(&b);
    }
    json_decref(all);
}

static void test_records_and_jsonl(void)
{
    struct ocds_export_meta meta = {"https://example.org/r.json", "2025-01-01T00:00:00Z", "P", NULL, NULL, NULL, NULL};
    json_t *all = generated(5), *pkg, *rec, *c = NULL, *rels[3];
    struct bf_buf b = BF_BUF_INIT;
    struct ocds_export *x = NULL;
    struct bf_err err = {0};
    size_t i;
    int rc, lines = 0;
    char *p;

    rc = ocds_export_open(OCDS_EXPORT_RECORD_PACKAGE, OCDS_EXPORT_PLAIN, &meta, mem_write, &b, &x, &err);
    for (i = 0; rc == 0 && i < 5; i++) {
        rels[0] = json_array_get(all, 3 * i + 2), rels[1] = json_array_get(all, 3 * i), rels[2] = json_array_get(all, 3 * i + 1);
        rc = ocds_export_add_record(x, rels, 3, &err);
    }
    rc = rc ? rc : ocds_export_finish(x, &err);
    pkg = rc == 0 ? json_loadb(b.data, b.len, 0, NULL) : NULL;
    rec = json_array_get(json_object_get(pkg, "records"), 0);
    rels[0] = json_array_get(all, 0), rels[1] = json_array_get(all, 1), rels[2] = json_array_get(all, 2);
    ocds_merge_compiled(rels, 3, &c, NULL);
    ok(json_array_size(json_object_get(pkg, "records")) == 5 &&
           ocds_json_equal(json_object_get(rec, "compiledRelease"), c) &&
           json_is_object(json_object_get(rec, "versionedRelease")) &&
           json_array_size(json_object_get(rec, "releases")) == 3,
       "record package: 5 records with releases, compiledRelease (= merge) and versionedRelease");
    ok(!strcmp(json_string_value(ocds_json_pointer_get(rec, "/compiledRelease/tag/0")), "compiled") &&
           !strcmp(json_string_value(ocds_json_pointer_get(rec, "/compiledRelease/contracts/0/status")), "active"),
       "compiled release of a generated procedure spans tender, award and contract");
    json_decref(c), json_decref(pkg);
    bf_buf_free(&b);

    rc = ocds_export_open(OCDS_EXPORT_JSONL, OCDS_EXPORT_PLAIN, NULL, mem_write, &b, &x, &err);
    for (i = 0; rc == 0 && i < json_array_size(all); i++)
        rc = ocds_export_add_release(x, json_array_get(all, i), &err);
    rc = rc ? rc : ocds_export_finish(x, &err);
    for (p = b.data; rc == 0 && p && *p; lines++) {
        char *nl = strchr(p, '\n');
        json_t *line = json_loadb(p, (size_t)(nl - p), 0, NULL);
        if (!line || !ocds_json_equal(line, json_array_get(all, (size_t)lines))) {
            json_decref(line);
            break;
        }
        json_decref(line);
        p = nl + 1;
    }
    ok(rc == 0 && lines == 15, "JSON Lines: one release per line, 15 lines");
    bf_buf_free(&b);
    json_decref(all);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    struct bf_buf b = BF_BUF_INIT;
    char chunk[4096];
    size_t n;
    if (!f)
        return NULL;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (bf_buf_append(&b, chunk, n) < 0)
            break;
    fclose(f);
    return bf_buf_take(&b, NULL);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; s && *s; s++)
        n += *s == '\n';
    return n;
}

static void test_csv(void)
{
    char dir[] = "/tmp/belfry-csv-XXXXXX", path[256];
    json_t *all = generated(8);
    struct ocds_export *x = NULL;
    struct bf_err err = {0};
    char *main_csv, *sup, *tr;
    size_t i;
    int rc;

    if (!mkdtemp(dir)) {
        skip("cannot make a temporary directory");
        return;
    }
    rc = ocds_export_open_csv(dir, OCDS_EXPORT_PLAIN, &x, &err);
    for (i = 0; rc == 0 && i < json_array_size(all); i++)
        rc = ocds_export_add_release(x, json_array_get(all, i), &err);
    rc = rc ? rc : ocds_export_finish(x, &err);
    ok(rc == 0, "CSV export finished: %s", rc ? err.msg : "ok");
    snprintf(path, sizeof path, "%s/main.csv", dir);
    main_csv = slurp(path);
    snprintf(path, sizeof path, "%s/awards_suppliers.csv", dir);
    sup = slurp(path);
    snprintf(path, sizeof path, "%s/contracts_implementation_transactions.csv", dir);
    tr = slurp(path);
    ok(main_csv && !strncmp(main_csv, "ocid,id,date,tag,", 17) && count_lines(main_csv) == 25 &&
           strstr(main_csv, "tender/value/amount") && strstr(main_csv, "tender/value/withheld") &&
           strstr(main_csv, "tender/defence/securityOfSupply/requirements"),
       "main.csv: keys first, one row per release, nested paths, withheld markers as columns");
    ok(main_csv && strstr(main_csv, "exportTransferTransit;crisisCapacity") &&
           strstr(main_csv, "\"Field kitchens, \"\"modular\"\", with trailers\""),
       "arrays of codes joined with ';', commas and quotes quoted per RFC 4180");
    ok(sup && !strncmp(sup, "ocid,id,awards/id,awards/suppliers/id,awards/suppliers/name", 59) &&
           count_lines(sup) == 9 && strstr(sup, "\r\n") &&
           strstr(sup, "\"Supplier with, comma\""),
       "awards_suppliers.csv: parent keys ocid, id, awards/id then the supplier");
    ok(tr && !strncmp(tr, "ocid,id,contracts/id,contracts/implementation/transactions/id,"
                          "contracts/implementation/transactions/date", 103),
       "nested table keeps every enclosing array's id: %.90s", tr ? tr : "(missing)");
    snprintf(path, sizeof path, "%s/.spool-main", dir);
    ok(access(path, F_OK) != 0, "spool files removed");
    free(main_csv), free(sup), free(tr);
    {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0)
            diag("cannot remove %s", dir);
    }
    json_decref(all);
}

static void test_errors(void)
{
    struct ocds_export_meta meta = {"u", NULL, "p", NULL, NULL, NULL, NULL}, nometa = {NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    struct ocds_export *x = NULL;
    struct bf_err err = {0};
    json_t *all = generated(1), *arr = json_array();
    struct bf_buf sink = BF_BUF_INIT;
    int rc;

    ok(ocds_export_open(OCDS_EXPORT_RELEASE_PACKAGE, OCDS_EXPORT_PLAIN, &nometa, mem_write, NULL, &x, &err) ==
           BF_EINVAL && !x,
       "package without uri/publisher refused: %s", err.msg);
    ok(ocds_export_open(OCDS_EXPORT_RELEASE_PACKAGE, OCDS_EXPORT_GZIP, &meta, fail_write, NULL, &x, &err) < 0 && !x,
       "failing output at the header is reported");
    rc = ocds_export_open(OCDS_EXPORT_JSONL, OCDS_EXPORT_PLAIN, NULL, fail_write, NULL, &x, &err);
    ok(rc == 0 && ocds_export_add_release(x, json_array_get(all, 0), &err) == BF_EIO,
       "failing output on a release is reported: %s", err.msg);
    ok(ocds_export_finish(x, &err) < 0, "and finish does not claim success");
    rc = ocds_export_open(OCDS_EXPORT_RELEASE_PACKAGE, OCDS_EXPORT_PLAIN, &meta, mem_write, &sink, &x, &err);
    ok(rc == 0 && ocds_export_add_release(x, arr, &err) == BF_EINVAL, "non-object release refused");
    ok(ocds_export_add_record(x, NULL, 0, &err) == BF_EINVAL, "empty record refused");
    ocds_export_abort(x);
    {
        enum ocds_export_format f;
        enum ocds_export_compress z;
        ok(ocds_export_format_parse("record-package", &f) == 0 && f == OCDS_EXPORT_RECORD_PACKAGE &&
               ocds_export_compress_parse("zstd", &z) == 0 && z == OCDS_EXPORT_ZSTD &&
               ocds_export_format_parse("xml", &f) == BF_EINVAL &&
               !strcmp(ocds_export_suffix(OCDS_EXPORT_JSONL, OCDS_EXPORT_GZIP), ".jsonl.gz"),
           "format and compression names");
    }
    json_decref(arr), json_decref(all);
    bf_buf_free(&sink);
}

static int count_write(void *arg, const void *data, size_t n)
{
    (void)data;
    *(size_t *)arg += n;
    return 0;
}

static void test_stream(void)
{
    struct ocds_export_meta meta = {"u", NULL, "p", NULL, NULL, NULL, NULL};
    struct ocds_export *x = NULL;
    struct bf_err err = {0};
    size_t bytes = 0;
    unsigned p, k;
    int rc = ocds_export_open(OCDS_EXPORT_RELEASE_PACKAGE, OCDS_EXPORT_ZSTD, &meta, count_write, &bytes, &x, &err);

    rng_state = 7;
    for (p = 0; rc == 0 && p < 3000; p++) {
        json_t *rel[3];
        gen_procedure(p, rel);
        for (k = 0; k < 3; k++) {
            if (rc == 0)
                rc = ocds_export_add_release(x, rel[k], &err);
            json_decref(rel[k]);
        }
    }
    ok(rc == 0 && ocds_export_count(x) == 9000, "9000 releases streamed one at a time");
    rc = rc ? rc : ocds_export_finish(x, &err);
    ok(rc == 0 && bytes > 1000, "zstd output written as it goes (%zu bytes)", bytes);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--export") == 0)
        return export_tool(argc, argv);
    if (argc > 1 && strcmp(argv[1], "--entries") == 0)
        return entries_tool(argc, argv);
    test_generated_valid();
    test_packages();
    test_records_and_jsonl();
    test_csv();
    test_errors();
    test_stream();
    return tap_done();
}
