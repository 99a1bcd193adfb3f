/*
 * test_ocds_import.c - the importer end to end on a real store and log:
 * every real publisher file (messy ones included) is imported or
 * reported line by line, a second import is fully idempotent, the log
 * holds exactly one entry per stored release (no half-imported item),
 * linked releases count as present only when their release is stored,
 * and JSON Lines with bad lines and a duplicate id are handled per line.
 */
#include "common.h"
#include "tap.h"
#include "ocds/ocds.h"
#include "ocds/ocds_import.h"
#include "ledger/ledger.h"
#include "store/store.h"
#include "store/store_ocds.h"

static struct store *s;
static struct ledger *l;
static struct ocds_ctx *c;
static char dir[] = "/tmp/belfry-test-import-XXXXXX";

static uint64_t nreleases(void)
{
    uint64_t n = 0;
    store_ocds_counts(s, &n, NULL, NULL);
    return n;
}

/* Imports path (or bytes when data is set); the report goes to rep. */
static int run(const char *path, const char *data, struct ocds_import_stats *st, char **rep)
{
    struct ocds_importer *im = NULL;
    struct ocds_import_opts o;
    struct bf_err err = { 0 };
    size_t replen = 0;
    FILE *f = open_memstream(rep, &replen);
    int rc;

    memset(&o, 0, sizeof o);
    o.report = f;
    o.batch = 16;
    ocds_importer_new(c, &o, &im, &err);
    rc = data ? ocds_importer_bytes(im, path, data, strlen(data), &err) : ocds_importer_path(im, path, &err);
    if (!rc)
        rc = ocds_importer_finish(im, st, &err);
    ocds_importer_free(im);
    fclose(f);
    if (rc)
        diag("import: %s", err.msg);
    return rc;
}

static void test_real(void)
{
    const char *real = tap_shared("ocds/real");
    struct ocds_import_stats a, b;
    char path[4096], *rep = NULL, *rep2 = NULL;
    int rc;

    if (!real) {
        skip("../shared/data/ocds/real is absent");
        skip("../shared/data/ocds/real is absent");
        return;
    }
    snprintf(path, sizeof path, "%s", real);
    rc = run(path, NULL, &a, &rep);
    ok(rc == 0 && a.added >= 30, "real data: %" PRIu64 " new, %" PRIu64 " present, %" PRIu64 " rejected, %" PRIu64
       " notes", a.added, a.present, a.rejected, a.notes);
    ok(strstr(rep, "283826-EMPTY.json:1: byte 0: #: rejected: empty file") != NULL, "empty file reported");
    ok(strstr(rep, "release-package_encoding-iso-8859-1.json") && strstr(rep, "ISO-8859-1"),
       "ISO-8859-1 file transcoded with a note");
    ok(strstr(rep, "record-package_linked-releases.json") && strstr(rep, "linked release"),
       "linked releases that are not stored are reported");
    ok(a.rejected >= 1 && a.present >= 4, "the rest is reported; links to imported releases are present");
    ok(ledger_size(l) == nreleases(), "log entries %" PRIu64 " == stored releases %" PRIu64, ledger_size(l),
       nreleases());
    rc = run(path, NULL, &b, &rep2);
    ok(rc == 0 && b.added == 0 && b.present == a.added + a.present && b.rejected == a.rejected,
       "re-import is idempotent: %" PRIu64 " new, %" PRIu64 " present, %" PRIu64 " rejected", b.added, b.present,
       b.rejected);
    ok(ledger_size(l) == nreleases(), "and adds nothing to the log");
    if (a.rejected) {
        char *line = strstr(rep, ": rejected: ");
        char *bol = line;
        while (bol && bol > rep && bol[-1] != '\n')
            bol--;
        diag("first report line: %.*s", line ? (int)(strchr(line, '\n') - bol) : 0, bol ? bol : "");
    }
    free(rep);
    free(rep2);
}

#define R(id, date, tag) "{\"ocid\":\"ocds-b5l9q0-L\",\"id\":\"" id "\",\"date\":\"" date "\",\"tag\":" tag \
                         ",\"initiationType\":\"tender\"}"

static void test_lines(void)
{
    struct ocds_import_stats st;
    char *rep = NULL;
    uint64_t before = nreleases();
    const char *text = R("1", "2024-01-01T00:00:00Z", "[\"planning\"]") "\n"
                       "{\"ocid\": broken\n"
                       R("2", "2024-02-01T00:00:00Z", "\"tender\"") "\n"
                       R("2", "2024-02-01T00:00:00Z", "[\"award\"]") "\n"
                       "\n"
                       R("3", "not a date", "[\"award\"]") "\n";
    int rc = run("lines.jsonl", text, &st, &rep);

    ok(rc == 0 && st.added == 2 && st.rejected == 3, "JSON Lines: 2 new, 3 rejected (got %" PRIu64 ", %" PRIu64 ")",
       st.added, st.rejected);
    ok(strstr(rep, "lines.jsonl:2: byte") && strstr(rep, "invalid JSON"), "bad line 2 reported with its line");
    ok(strstr(rep, "lines.jsonl:4:") && strstr(rep, "immutable"), "duplicate id with other content on line 4");
    ok(strstr(rep, "lines.jsonl:6:") && strstr(rep, "/date"), "invalid date on line 6 with its pointer");
    ok(strstr(rep, "string \"tag\""), "string tag noted");
    ok(nreleases() == before + 2 && ledger_size(l) == nreleases(), "only the good lines were written, with log entries");
    free(rep);
}

static void test_links(void)
{
    struct ocds_import_stats st;
    char *rep = NULL;
    const char *rec = "{\"version\":\"1.1\",\"records\":[{\"ocid\":\"ocds-b5l9q0-L\",\"releases\":["
                      "{\"url\":\"http://example.org/p.json#1\",\"date\":\"2024-01-01T00:00:00Z\",\"tag\":[\"planning\"]},"
                      "{\"url\":\"http://example.org/p.json#9\",\"date\":\"2025-01-01T00:00:00Z\",\"tag\":[\"award\"]}]}]}";
    int rc = run("links.json", rec, &st, &rep);
    ok(rc == 0 && st.present == 1 && st.rejected == 1, "a stored linked release is present, a missing one rejected");
    ok(strstr(rep, "#/records/0/releases/1: rejected: linked release"), "missing link reported with its pointer");
    free(rep);
}

#define C(ocid, id, date, tag) "{\"ocid\":\"" ocid "\",\"id\":\"" id "\",\"date\":\"" date "\",\"tag\":[\"" tag \
                                 "\"],\"initiationType\":\"tender\",\"tender\":{\"id\":\"T\"}}"

static void test_compiled(void)
{
    struct ocds_import_stats st;
    char *rep = NULL;
    uint64_t idx = 0;
    /* a compiled release alone (a publisher that issued nothing else) */
    int rc = run("only.json", C("ocds-b5l9q0-C1", "ocds-b5l9q0-C1-2024", "2024-03-01T00:00:00Z", "compiled"), &st, &rep);
    ok(rc == 0 && st.added == 1 && store_ocds_release_find(s, NULL, "ocds-b5l9q0-C1", "ocds-b5l9q0-C1-2024", &idx, NULL,
                                                             NULL, NULL) == 0,
       "a compiled release whose ocid has no other release is imported as a release");
    free(rep);
    /* a package with the releases and, after them, their compiled release */
    rc = run("both.json",
             "{\"version\":\"1.1\",\"releases\":[" C("ocds-b5l9q0-C2", "ocds-b5l9q0-C2-2024", "2024-03-01T00:00:00Z",
                                                       "compiled") ","
             C("ocds-b5l9q0-C2", "a", "2024-01-01T00:00:00Z", "tender") "," C("ocds-b5l9q0-C2", "b",
                                                                          "2024-03-01T00:00:00Z", "tenderUpdate") "]}",
             &st, &rep);
    ok(rc == 0 && st.added == 2 && st.present == 1 && strstr(rep, "compiled release not imported"),
       "next to its own releases, a compiled release is not imported (2 new, 1 present, noted)");
    ok(store_ocds_release_find(s, NULL, "ocds-b5l9q0-C2", "ocds-b5l9q0-C2-2024", NULL, NULL, NULL, NULL) == BF_ENOTFOUND,
       "and is not in the store");
    free(rep);
}

int main(void)
{
    struct bf_err err = { 0 };
    char cmd[256];

    if (!mkdtemp(dir) || store_open(dir, STORE_CREATE | STORE_NOSYNC, &s, &err) < 0 ||
        ledger_init(s, "test.belfry/import", NULL, &err) < 0 || ledger_open(s, NULL, &l, &err) < 0 ||
        ocds_ctx_new(s, l, &c, &err) < 0) {
        ok(0, "setup: %s", err.msg);
        return tap_done();
    }
    test_real();
    test_lines();
    test_links();
    test_compiled();
    ocds_ctx_free(c);
    ledger_close(l);
    store_close(s);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        diag("could not remove %s", dir);
    return tap_done();
}
