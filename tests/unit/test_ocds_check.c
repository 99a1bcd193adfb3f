/*
 * test_ocds_check.c - ocds_release_check: a complete defence release
 * passes; each broken variant fails with the JSON pointer of the broken
 * value; the real publishers' releases that conform to OCDS 1.1.5 pass and
 * the known-bad ones fail for the documented reason; hostile shapes (deep
 * nesting, huge numbers, wrong types) give clear errors.
 *
 * "--check FILE..." prints one line per release found in each file
 * (package or bare release): "ok <ocid> <id>" or "error <message>".
 */
#include "common.h"
#include "buf.h"
#include "ocds/ocds.h"
#include "tap.h"

#include <dirent.h>

static const char *base_release =
    "{\"ocid\":\"ocds-b3lfry-MOD-2025-0042\",\"id\":\"MOD-2025-0042-tender-1\",\"date\":\"2025-03-01T09:00:00Z\","
    "\"tag\":[\"tender\"],\"initiationType\":\"tender\",\"language\":\"en\","
    "\"parties\":[{\"id\":\"BE-KBO-0200.000.000\",\"name\":\"Defence\",\"roles\":[\"buyer\",\"procuringEntity\"]},"
    "{\"id\":\"FR-RCS-1\",\"name\":\"Avions\",\"roles\":[\"tenderer\"]}],"
    "\"buyer\":{\"id\":\"BE-KBO-0200.000.000\",\"name\":\"Defence\"},"
    "\"tender\":{\"id\":\"MOD-2025-0042\",\"title\":\"Tactical UAV\",\"status\":\"active\","
    "\"procurementMethod\":\"selective\",\"procurementMethodDetails\":\"Restricted procedure (2009/81/EC)\","
    "\"mainProcurementCategory\":\"goods\",\"value\":{\"amount\":12500000,\"currency\":\"EUR\"},"
    "\"tenderPeriod\":{\"startDate\":\"2025-03-01T09:00:00Z\",\"endDate\":\"2025-04-10T12:00:00+02:00\"},"
    "\"items\":[{\"id\":\"1\",\"description\":\"UAV\",\"classification\":{\"scheme\":\"CPV\",\"id\":\"35613000\"},"
    "\"quantity\":12,\"relatedLot\":\"L1\"}],"
    "\"lots\":[{\"id\":\"L1\",\"title\":\"Air vehicles\",\"status\":\"active\"}],"
    "\"milestones\":[{\"id\":\"m1\",\"status\":\"scheduled\",\"dueDate\":\"2025-04-10T12:00:00Z\"}],"
    "\"documents\":[{\"id\":\"d1\",\"documentType\":\"tenderNotice\"}],"
    "\"defence\":{\"directive\":\"2009/81/EC\",\"procedure\":\"restricted\","
    "\"securityClassification\":\"confidential\","
    "\"securityClearance\":{\"required\":true,\"level\":\"confidential\",\"deadline\":\"2025-04-01T00:00:00Z\"},"
    "\"nonDisclosureAgreement\":{\"required\":true},"
    "\"securityOfSupply\":{\"requirements\":[\"exportTransferTransit\",\"crisisCapacity\"]},"
    "\"subcontracting\":{\"obligation\":\"competitiveShare\",\"minimumPercentage\":10,\"maximumPercentage\":30},"
    "\"fundingSources\":[{\"id\":\"f1\",\"type\":\"nationalBudget\",\"budgetLine\":\"16-50-12.11\",\"share\":60},"
    "{\"id\":\"f2\",\"type\":\"jointProcurement\",\"participatingStates\":[\"NL\",\"LU\"],\"share\":40}],"
    "\"capabilityArea\":\"dronesUav\"}},"
    "\"bids\":{\"details\":[{\"id\":\"b1\",\"status\":\"pending\",\"tenderers\":[{\"id\":\"FR-RCS-1\"}]}]},"
    "\"awards\":[{\"id\":\"a1\",\"status\":\"pending\",\"defence\":{\"subcontractingShare\":12.5}}],"
    "\"contracts\":[{\"id\":\"c1\",\"awardID\":\"a1\",\"status\":\"pending\","
    "\"implementation\":{\"transactions\":[{\"id\":\"t1\"}]}}],"
    "\"withheld\":[{\"path\":\"/tender/value\",\"reason\":\"defenceSecurity\",\"disclosureDate\":\"2027-01-01\"}]}";

static json_t *load(const char *s)
{
    json_t *v = json_loads(s, 0, NULL);
    if (!v)
        fprintf(stderr, "bad test JSON\n"), exit(2);
    return v;
}

/* Sets (or with value NULL deletes) the member at pointer p. */
static void mutate(json_t *doc, const char *p, const char *value_json)
{
    char parent[256];
    const char *slash = strrchr(p, '/');
    json_t *par, *v = value_json ? json_loads(value_json, JSON_DECODE_ANY, NULL) : NULL;

    snprintf(parent, sizeof parent, "%.*s", (int)(slash - p), p);
    par = ocds_json_pointer_get(doc, parent);
    if (json_is_array(par)) {
        size_t i = strtoul(slash + 1, NULL, 10);
        if (v && i == json_array_size(par))
            json_array_append_new(par, v);
        else if (v)
            json_array_set_new(par, i, v);
        else
            json_array_remove(par, strtoul(slash + 1, NULL, 10));
    } else if (v) {
        json_object_set_new(par, slash + 1, v);
    } else {
        json_object_del(par, slash + 1);
    }
}

static void expect_fail(const char *p, const char *value_json, const char *want_ptr, const char *what)
{
    json_t *r = load(base_release);
    struct bf_err err = {0};
    int rc;

    mutate(r, p, value_json);
    rc = ocds_release_check(r, &err);
    ok(rc == BF_EINVAL && strncmp(err.msg, want_ptr, strlen(want_ptr)) == 0 && err.msg[strlen(want_ptr)] == ':',
       "%s -> %s", what, rc ? err.msg : "accepted");
    json_decref(r);
}

static void test_valid(void)
{
    json_t *r = load(base_release);
    struct bf_err err = {0};
    int rc = ocds_release_check(r, &err);
    ok(rc == 0, "complete defence release passes: %s", rc ? err.msg : "ok");
    mutate(r, "/tender/defence/procedure", "\"negotiatedWithoutPublication\"");
    mutate(r, "/tender/defence/negotiatedWithoutPublicationGround", "\"art28-1c\"");
    mutate(r, "/tender/procurementMethod", "\"limited\"");
    rc = ocds_release_check(r, &err);
    ok(rc == 0, "negotiated without publication with an Art. 28 ground passes: %s", rc ? err.msg : "ok");
    /* Organization.name (a party's own) has no minLength in OCDS 1.1.5 */
    mutate(r, "/parties/1/name", "\"\"");
    mutate(r, "/buyer/name", "null");
    mutate(r, "/tender/tenderers", "[{\"id\":\"FR-RCS-1\"}]");
    rc = ocds_release_check(r, &err);
    ok(rc == 0, "an empty party name, a null buyer name and a tenderer without name pass: %s", rc ? err.msg : "ok");
    json_decref(r);
}

static void test_invalid(void)
{
    expect_fail("/ocid", NULL, "/ocid", "missing ocid");
    expect_fail("/id", "\"\"", "/id", "empty id");
    expect_fail("/date", "\"2025-03-01\"", "/date", "date without time");
    expect_fail("/date", "\"2025-02-30T00:00:00Z\"", "/date", "30 February");
    expect_fail("/date", "\"2025-03-01T09:00:00\"", "/date", "date-time without zone");
    expect_fail("/tag", "\"tender\"", "/tag", "string tag");
    expect_fail("/tag", "[\"tender\",\"bid\"]", "/tag/1", "tag 'bid'");
    expect_fail("/tag", "[]", "/tag", "empty tag");
    expect_fail("/initiationType", NULL, "/initiationType", "missing initiationType");
    expect_fail("/initiationType", "\"auction\"", "/initiationType", "bad initiationType");
    expect_fail("/tender/status", "\"open\"", "/tender/status", "bad tender status");
    expect_fail("/tender/status", "7", "/tender/status", "status of the wrong type");
    expect_fail("/tender/procurementMethod", "\"restricted\"", "/tender/procurementMethod", "bad method");
    expect_fail("/tender/mainProcurementCategory", "\"weapons\"", "/tender/mainProcurementCategory", "bad category");
    expect_fail("/tender/value/currency", "\"EURO\"", "/tender/value/currency", "bad currency");
    expect_fail("/tender/value/amount", "\"12\"", "/tender/value/amount", "amount as a string");
    expect_fail("/tender/tenderPeriod/endDate", "\"soon\"", "/tender/tenderPeriod/endDate", "bad nested date");
    expect_fail("/tender/items/0/id", NULL, "/tender/items/0/id", "item without id");
    expect_fail("/tender/items/1", "{\"id\":\"1\"}", "/tender/items/1/id", "duplicate item id");
    expect_fail("/tender/milestones/0/status", "\"late\"", "/tender/milestones/0/status", "bad milestone status");
    expect_fail("/tender/lots/0/status", "\"open\"", "/tender/lots/0/status", "bad lot status");
    expect_fail("/tender/numberOfTenderers", "-1", "/tender/numberOfTenderers", "negative numberOfTenderers");
    /* minLength 1 of OrganizationReference.name, Tender.id, Contract.awardID */
    expect_fail("/buyer/name", "\"\"", "/buyer/name", "empty buyer name");
    expect_fail("/tender/procuringEntity", "{\"id\":\"X\",\"name\":\"\"}", "/tender/procuringEntity/name",
                "empty procuringEntity name");
    expect_fail("/tender/tenderers", "[{\"id\":\"X\",\"name\":\"\"}]", "/tender/tenderers/0/name",
                "empty tenderer name");
    expect_fail("/awards/0/suppliers", "[{\"id\":\"X\",\"name\":\"ok\"},{\"id\":\"Y\",\"name\":\"\"}]",
                "/awards/0/suppliers/1/name", "empty supplier name");
    expect_fail("/contracts/0/implementation/transactions/0/payee", "{\"id\":\"X\",\"name\":\"\"}",
                "/contracts/0/implementation/transactions/0/payee/name", "empty payee name");
    expect_fail("/bids/details/0/tenderers/0/name", "\"\"", "/bids/details/0/tenderers/0/name",
                "empty bid tenderer name");
    expect_fail("/tender/id", "\"\"", "/tender/id", "empty tender id");
    expect_fail("/contracts/0/awardID", "\"\"", "/contracts/0/awardID", "empty awardID");
    expect_fail("/tender/items", "{}", "/tender/items", "items not an array");
    expect_fail("/awards/0/status", "\"Acme Ltd\"", "/awards/0/status", "supplier name as award status");
    expect_fail("/awards/1", "{\"id\":\"a1\"}", "/awards/1/id", "duplicate award id");
    expect_fail("/contracts/0/awardID", NULL, "/contracts/0/awardID", "contract without awardID");
    expect_fail("/contracts/0/awardID", "null", "/contracts/0/awardID", "null awardID");
    expect_fail("/contracts/0/status", "\"signed\"", "/contracts/0/status", "bad contract status");
    expect_fail("/contracts/0/implementation/transactions/0/id", NULL,
                "/contracts/0/implementation/transactions/0/id", "transaction without id");
    expect_fail("/bids/details/0/status", "\"won\"", "/bids/details/0/status", "bad bid status");
    expect_fail("/parties", "{}", "/parties", "parties not an array");
    expect_fail("/tender/defence/procedure", "\"open\"", "/tender/defence/procedure", "open procedure (not in 2009/81)");
    expect_fail("/tender/defence/procedure", "\"negotiatedWithoutPublication\"",
                "/tender/defence/negotiatedWithoutPublicationGround", "NWP without Art. 28 ground");
    expect_fail("/tender/defence/negotiatedWithoutPublicationGround", "\"art28-1c\"",
                "/tender/defence/negotiatedWithoutPublicationGround", "ground with a restricted procedure");
    expect_fail("/tender/procurementMethod", "\"open\"", "/tender/defence/procedure", "restricted but method open");
    expect_fail("/tender/defence/securityClassification", "\"cosmic\"", "/tender/defence/securityClassification",
                "bad classification");
    expect_fail("/tender/defence/securityClearance/level", "\"high\"", "/tender/defence/securityClearance/level",
                "bad clearance level");
    expect_fail("/tender/defence/securityOfSupply/requirements/1", "\"whatever\"",
                "/tender/defence/securityOfSupply/requirements/1", "bad security-of-supply code");
    expect_fail("/tender/defence/subcontracting/maximumPercentage", "40",
                "/tender/defence/subcontracting/maximumPercentage", "subcontracting above 30 %");
    expect_fail("/tender/defence/subcontracting/maximumPercentage", "5",
                "/tender/defence/subcontracting/minimumPercentage", "minimum above maximum share");
    expect_fail("/tender/defence/fundingSources/0/budgetLine", NULL,
                "/tender/defence/fundingSources/0/budgetLine", "national funding without budget line");
    expect_fail("/tender/defence/fundingSources/1/participatingStates", "[]",
                "/tender/defence/fundingSources/1/participatingStates", "joint procurement without states");
    expect_fail("/tender/defence/fundingSources/1/participatingStates", "[\"nl\"]",
                "/tender/defence/fundingSources/1/participatingStates", "lower-case country code");
    expect_fail("/tender/defence/fundingSources/1/share", "41", "/tender/defence/fundingSources",
                "funding shares above 100 %");
    expect_fail("/tender/defence/fundingSources/0/type", "\"loan\"", "/tender/defence/fundingSources/0/type",
                "bad funding type");
    expect_fail("/tender/defence/capabilityArea", "\"space\"", "/tender/defence/capabilityArea",
                "bad capability area");
    expect_fail("/awards/0/defence/subcontractingShare", "120", "/awards/0/defence/subcontractingShare",
                "award subcontracting share above 100");
    expect_fail("/withheld/0/path", "\"/tender/budget\"", "/withheld/0/path", "withheld path that does not exist");
    expect_fail("/withheld/0/path", "\"/ocid\"", "/withheld/0/path", "withholding the ocid");
    expect_fail("/withheld/0/path", "\"/awards/0/id\"", "/withheld/0/path", "withholding an id");
    expect_fail("/withheld/0/path", "\"/tender/title\"", "/withheld/0/path", "withholding a string, not an object");
    expect_fail("/withheld/0/reason", "\"secret\"", "/withheld/0/reason", "bad withheld reason");
    expect_fail("/withheld/1", "{\"path\":\"/tender/value/amount\",\"reason\":\"defenceSecurity\"}",
                "/withheld/1/path", "overlapping withheld paths");
    expect_fail("/withheld/0/disclosureDate", "\"next year\"", "/withheld/0/disclosureDate", "bad disclosure date");
    expect_fail("/withheld/0/disclosed", "true", "/withheld/0/salt", "disclosed entry without salt");
    expect_fail("/tender/value", "{\"withheld\":true,\"commitment\":\"sha256:00\"}", "/withheld/0/path/commitment",
                "malformed marker commitment");
}

static void test_hostile(void)
{
    struct bf_err err = {0};
    json_t *r = load(base_release), *cur = json_object_get(r, "tender"), *big;
    int i, rc;

    for (i = 0; i < 100; i++) {
        json_t *n = json_object();
        json_object_set_new(cur, "x", n);
        cur = n;
    }
    rc = ocds_release_check(r, &err);
    ok(rc == BF_EINVAL && strstr(err.msg, "deeper"), "deep nesting: %s", err.msg);
    json_decref(r);
    r = load(base_release);
    big = json_loads("{\"amount\":1e308,\"currency\":\"EUR\"}", 0, NULL);
    json_object_set_new(json_object_get(r, "tender"), "value", big);
    ok(ocds_release_check(r, &err) == 0, "1e308 is a valid amount");
    json_decref(r);
    r = json_array();
    ok(ocds_release_check(r, &err) == BF_EINVAL && strstr(err.msg, "object"), "array release: %s", err.msg);
    json_decref(r);
    ok(ocds_release_check(NULL, &err) == BF_EINVAL, "NULL release");
}

static char *slurp(const char *path)
{
    struct bf_err err = {0};
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    (void)err;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = bf_xmalloc((size_t)n + 1);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n)
        n = 0;
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Releases of a package, a record package's embedded releases, or a bare release. */
static json_t *releases_of(json_t *doc)
{
    json_t *out = json_array(), *recs, *rec, *rel;
    size_t i, j;

    if (json_is_array(json_object_get(doc, "releases")) && !json_object_get(doc, "ocid")) {
        json_array_extend(out, json_object_get(doc, "releases"));
    } else if (json_is_array(recs = json_object_get(doc, "records"))) {
        json_array_foreach(recs, i, rec)
            json_array_foreach(json_object_get(rec, "releases"), j, rel)
                if (json_object_get(rel, "ocid"))
                    json_array_append(out, rel);
    } else if (json_object_get(doc, "ocid") && json_object_get(doc, "tag")) {
        json_array_append(out, doc);
    }
    return out;
}

/* Counts releases of one file that pass; writes the first error to first. */
static void check_file(const char *path, int *pass, int *fail, char *first, size_t n)
{
    char *text = slurp(path);
    json_t *doc = text ? json_loads(text, 0, NULL) : NULL, *rels = releases_of(doc), *r;
    size_t i;

    json_array_foreach(rels, i, r) {
        struct bf_err err = {0};
        if (ocds_release_check(r, &err) == 0) {
            (*pass)++;
        } else {
            if (!*fail)
                snprintf(first, n, "%s", err.msg);
            (*fail)++;
        }
    }
    json_decref(rels);
    json_decref(doc);
    free(text);
}

static void test_real(void)
{
    /* file under ocds/real/, expected: 1 all releases pass, 0 some fail */
    static const struct {
        const char *file;
        int pass;
        const char *why;
    } cases[] = {
        {"prozorro-2018/releases-10.json", 1, "ProZorro 2018 API page"},
        {"prozorro-2018/release-c3f4965758c9b7391f86c676f59b828a.json", 1, "single ProZorro release"},
        {"ocdskit-realdata/release-package-2.json", 1, "CDMX release package"},
        {"sample-data-2018/mexico-jalisco/releases/ocds-xs1qbl-SFIN-03-0001-00-2017-20180118T043951880Z-planning.json",
         1, "Jalisco planning"},
        {"sample-data-2018/mexico-jalisco/releases/ocds-xs1qbl-SFIN-03-0001-00-2017-20180118T043952078Z-award.json",
         1, "Jalisco award"},
        {"sample-data-2018/uk-contracts-finder/releases/"
         "ocds-b5fd17-2c330cf9-adc8-11e6-9901-0019b9f3037b-59429-metofc-9mgh-ghl8ty.json",
         1, "UK Contracts Finder"},
        {"sample-data-2018/mexico-gacm/releases/10-RELEASE_10_2017-10-04T00_53_15_398Z.json", 0,
         "GACM: transactions without id"},
        {"sample-data-2018/ukraine/releases/ocds-be6bcu-UA-2016-06-08-000504-c-2aa52fb7af274126af4f629fd7a11a04.json",
         0, "ProZorro 2016 with tag 'bid'"},
        {"sample-data-2018/paraguay/releases/273637-provision-montaje-equipos-rectificadores-accesorios-planning.json",
         1, "DNCP planning"},
        {"sample-data-2018/nigeria/releases/ocds-gyl66f-borbda-27yetd.json", 0,
         "Nigeria BPP: empty tenderer name (its own validationErrors say minLength)"},
    };
    size_t i;

    for (i = 0; i < BF_ARRAY_LEN(cases); i++) {
        char rel[512], first[512] = "";
        const char *path;
        int pass = 0, fail = 0;
        snprintf(rel, sizeof rel, "ocds/real/%s", cases[i].file);
        if (!(path = tap_shared(rel))) {
            skip("no shared data: %s", rel);
            continue;
        }
        check_file(path, &pass, &fail, first, sizeof first);
        if (cases[i].pass)
            ok(pass > 0 && fail == 0, "%s: %d pass, %d fail %s", cases[i].why, pass, fail, first);
        else
            ok(fail > 0, "%s is rejected: %s", cases[i].why, first);
    }
}

int main(int argc, char **argv)
{
    int i;
    if (argc > 2 && strcmp(argv[1], "--check") == 0) {
        for (i = 2; i < argc; i++) {
            char *text = slurp(argv[i]);
            json_t *doc = text ? json_loads(text, 0, NULL) : NULL, *rels = releases_of(doc), *r;
            size_t k;
            json_array_foreach(rels, k, r) {
                struct bf_err err = {0};
                if (ocds_release_check(r, &err) == 0)
                    printf("ok %s %s\n", json_string_value(json_object_get(r, "ocid")),
                           json_string_value(json_object_get(r, "id")));
                else
                    printf("error %s: %s\n", argv[i], err.msg);
            }
            json_decref(rels);
            json_decref(doc);
            free(text);
        }
        return 0;
    }
    test_valid();
    test_invalid();
    test_hostile();
    test_real();
    return tap_done();
}
