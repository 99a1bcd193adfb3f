/*
 * ocds_check_ext.c - release checks for Belfry's defence extension
 * (ext/defence/release-schema.json: tender/defence, awards/N/defence) and
 * for withheld fields (the top-level "withheld" list and the markers that
 * stand in for withheld values).
 *
 * Invariants: the codes accepted here are exactly the enums of the
 * extension schema (the node tests validate the same releases with ajv);
 * the rules that JSON Schema cannot say are checked here too: an Art. 28
 * ground exactly when the procedure is negotiated without publication,
 * procurementMethod consistent with the procedure, a subcontracting share
 * of at most 30 % (Art. 21(4)), a budget line for national funding, at
 * least one partner state for joint procurement, funding shares summing to
 * at most 100 %, and withheld paths that exist, name an object (so the
 * marker that replaces it keeps the public release valid OCDS), do not
 * overlap and never name the release's identity (ocid, id, date, tag,
 * initiationType) or an array member's "id".
 */
#include "common.h"
#include "buf.h"
#include "ocds.h"
#include "ocds_json.h"

static const char *const procedures[] = {"restricted", "negotiatedWithPublication", "competitiveDialogue",
    "negotiatedWithoutPublication", NULL};
static const char *const grounds[] = {"art28-1a", "art28-1b", "art28-1c", "art28-1d", "art28-1e", "art28-2a",
    "art28-2b", "art28-3a", "art28-3b", "art28-3c", "art28-4a", "art28-4b", "art28-5", NULL};
static const char *const classifications[] = {"unclassified", "restricted", "confidential", "secret", "topSecret",
    NULL};
static const char *const supply_reqs[] = {"exportTransferTransit", "useRestrictions", "supplyChainLocation",
    "crisisCapacity", "nationalAuthoritySupport", "maintenanceModernisation", "changeNotification",
    "productionMeansTransfer", NULL};
static const char *const sub_obligations[] = {"none", "disclose", "competitiveShare", "buyerMayRequire", NULL};
static const char *const funding_types[] = {"nationalBudget", "euEDF", "euEDIP", "euOther", "natoCommonFunding",
    "jointProcurement", NULL};
static const char *const capabilities[] = {"dronesUav", "combatAircraft", "land", "cyberElectronicWarfare",
    "airDefence", "ammunition", "infrastructure", "other", NULL};

/* obj[name] (ocds_chk_get: from the walk's members when it has them). */
static inline json_t *get(const json_t *obj, const char *name)
{
    return ocds_chk_get(obj, name, strlen(name));
}

static int present(const json_t *v)
{
    return v && !json_is_null(v) && !(json_is_object(v) && json_is_true(get(v, "withheld")));
}

/* Optional number member within [lo, hi]. */
static int check_range(struct ocds_chk *c, const json_t *obj, const char *name, double lo, double hi)
{
    json_t *v = get(obj, name);
    if (!present(v))
        return 0;
    if (!json_is_number(v) || json_number_value(v) < lo || json_number_value(v) > hi)
        return ocds_chk_fail(c, name, "must be a number from %g to %g", lo, hi);
    return 0;
}

static int check_bool(struct ocds_chk *c, const json_t *obj, const char *name)
{
    json_t *v = get(obj, name);
    if (present(v) && !json_is_boolean(v))
        return ocds_chk_fail(c, name, "must be true or false");
    return 0;
}

static int check_procedure(const json_t *tender, const json_t *d, struct ocds_chk *c)
{
    json_t *proc = get(d, "procedure"), *ground = get(d, "negotiatedWithoutPublicationGround");
    json_t *method = get(tender, "procurementMethod"), *dir = get(d, "directive");
    int nwp;
    int rc;

    if (present(dir) && (!json_is_string(dir) || strcmp(json_string_value(dir), "2009/81/EC") != 0))
        return ocds_chk_fail(c, "directive", "must be \"2009/81/EC\"");
    if ((rc = ocds_chk_code(c, d, "procedure", "defenceProcedure", procedures)) < 0 ||
        (rc = ocds_chk_code(c, d, "negotiatedWithoutPublicationGround", "art28Ground", grounds)) < 0)
        return rc;
    if (!present(proc))
        return present(ground) ? ocds_chk_fail(c, "negotiatedWithoutPublicationGround",
                                               "is only allowed with procedure negotiatedWithoutPublication")
                               : 0;
    nwp = strcmp(json_string_value(proc), "negotiatedWithoutPublication") == 0;
    if (nwp && !present(ground))
        return ocds_chk_fail(c, "negotiatedWithoutPublicationGround",
                             "is required for a negotiated procedure without publication (Directive 2009/81/EC Art. 28)");
    if (!nwp && present(ground))
        return ocds_chk_fail(c, "negotiatedWithoutPublicationGround",
                             "is only allowed with procedure negotiatedWithoutPublication");
    if (json_is_string(method)) {
        const char *m = json_string_value(method);
        if (nwp ? (strcmp(m, "limited") && strcmp(m, "direct")) : strcmp(m, "selective"))
            return ocds_chk_fail(c, "procedure", "procedure %s requires tender/procurementMethod %s, not '%s'",
                                 json_string_value(proc), nwp ? "limited or direct" : "selective", m);
    }
    return 0;
}

static int check_security(const json_t *d, struct ocds_chk *c)
{
    json_t *clr = get(d, "securityClearance"), *sos = get(d, "securityOfSupply");
    json_t *nda = get(d, "nonDisclosureAgreement"), *reqs, *r;
    size_t i, mark;
    int rc = 0;

    if ((rc = ocds_chk_code(c, d, "securityClassification", "securityClassification", classifications)) < 0)
        return rc;
    if (present(nda)) {
        mark = ocds_chk_push(c, "nonDisclosureAgreement");
        rc = json_is_object(nda) ? check_bool(c, nda, "required") : ocds_chk_fail(c, NULL, "must be an object");
        ocds_chk_pop(c, mark);
        if (rc < 0)
            return rc;
    }
    if (present(clr)) {
        mark = ocds_chk_push(c, "securityClearance");
        if (!json_is_object(clr))
            rc = ocds_chk_fail(c, NULL, "must be an object");
        else if ((rc = check_bool(c, clr, "required")) == 0)
            rc = ocds_chk_code(c, clr, "level", "securityClassification", classifications);
        ocds_chk_pop(c, mark);
        if (rc < 0)
            return rc;
    }
    if (!present(sos))
        return 0;
    mark = ocds_chk_push(c, "securityOfSupply");
    reqs = get(sos, "requirements");
    if (!json_is_object(sos))
        rc = ocds_chk_fail(c, NULL, "must be an object");
    else if (present(reqs) && !json_is_array(reqs))
        rc = ocds_chk_fail(c, "requirements", "must be an array of securityOfSupply codes");
    json_array_foreach(reqs, i, r)
        if (rc == 0 && (!json_is_string(r) || !ocds_code_in(json_string_value(r), supply_reqs))) {
            size_t m2 = ocds_chk_push(c, "requirements");
            size_t m3 = ocds_chk_push_index(c, i);
            rc = ocds_chk_fail(c, NULL, "is not in the closed codelist securityOfSupply");
            ocds_chk_pop(c, m3);
            ocds_chk_pop(c, m2);
        }
    ocds_chk_pop(c, mark);
    return rc;
}

static int check_subcontracting(const json_t *d, struct ocds_chk *c)
{
    json_t *s = get(d, "subcontracting"), *lo, *hi;
    size_t mark;
    int rc;

    if (!present(s))
        return 0;
    mark = ocds_chk_push(c, "subcontracting");
    if (!json_is_object(s))
        rc = ocds_chk_fail(c, NULL, "must be an object");
    else if ((rc = ocds_chk_code(c, s, "obligation", "subcontractingObligation", sub_obligations)) == 0 &&
             (rc = check_range(c, s, "minimumPercentage", 0, 30)) == 0 &&
             (rc = check_range(c, s, "maximumPercentage", 0, 30)) == 0) {
        lo = get(s, "minimumPercentage"), hi = get(s, "maximumPercentage");
        if (json_is_number(lo) && json_is_number(hi) && json_number_value(lo) > json_number_value(hi))
            rc = ocds_chk_fail(c, "minimumPercentage", "must not exceed maximumPercentage");
    }
    ocds_chk_pop(c, mark);
    return rc;
}

static int check_funding_source(const json_t *f, struct ocds_chk *c, double *share_sum)
{
    json_t *type = get(f, "type"), *states = get(f, "participatingStates"), *s;
    size_t i;
    int rc;

    if ((rc = ocds_chk_code(c, f, "type", "fundingSourceType", funding_types)) < 0 ||
        (rc = check_range(c, f, "share", 0, 100)) < 0)
        return rc;
    if (json_is_number(get(f, "share")))
        *share_sum += json_number_value(get(f, "share"));
    if (present(states) && !json_is_array(states))
        return ocds_chk_fail(c, "participatingStates", "must be an array of ISO 3166-1 alpha-2 codes");
    json_array_foreach(states, i, s) {
        const char *v = json_string_value(s);
        if (!v || strlen(v) != 2 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' || v[1] > 'Z')
            return ocds_chk_fail(c, "participatingStates", "item %zu is not an ISO 3166-1 alpha-2 code", i);
    }
    if (!json_is_string(type))
        return 0;
    if (strcmp(json_string_value(type), "nationalBudget") == 0 && !json_is_string(get(f, "budgetLine")))
        return ocds_chk_fail(c, "budgetLine", "is required for national budget funding");
    if (strcmp(json_string_value(type), "jointProcurement") == 0 && json_array_size(states) == 0)
        return ocds_chk_fail(c, "participatingStates", "must name at least one state for joint procurement");
    return 0;
}

static int check_funding(const json_t *d, struct ocds_chk *c)
{
    json_t *arr = get(d, "fundingSources"), *f;
    double sum = 0;
    size_t i, mark;
    int rc = 0;

    if (!present(arr))
        return 0;
    if (!json_is_array(arr))
        return ocds_chk_fail(c, "fundingSources", "must be an array");
    mark = ocds_chk_push(c, "fundingSources");
    json_array_foreach(arr, i, f) {
        size_t m2 = ocds_chk_push_index(c, i);
        rc = json_is_object(f) ? check_funding_source(f, c, &sum) : ocds_chk_fail(c, NULL, "must be an object");
        ocds_chk_pop(c, m2);
        if (rc < 0)
            break;
    }
    if (rc == 0 && sum > 100.0 + 1e-9)
        rc = ocds_chk_fail(c, NULL, "funding shares add up to %g %%, more than 100 %%", sum);
    ocds_chk_pop(c, mark);
    return rc;
}

static int check_tender_defence(const json_t *tender, struct ocds_chk *c)
{
    json_t *d = get(tender, "defence");
    size_t mark;
    int rc;

    if (!present(d))
        return 0;
    mark = ocds_chk_push(c, "defence");
    if (!json_is_object(d))
        rc = ocds_chk_fail(c, NULL, "must be an object");
    else if ((rc = check_procedure(tender, d, c)) == 0 && (rc = check_security(d, c)) == 0 &&
             (rc = check_subcontracting(d, c)) == 0 && (rc = check_funding(d, c)) == 0)
        rc = ocds_chk_code(c, d, "capabilityArea", "capabilityArea", capabilities);
    ocds_chk_pop(c, mark);
    return rc;
}

int ocds_check_defence(const json_t *release, struct ocds_chk *c)
{
    json_t *tender = get(release, "tender"), *awards = get(release, "awards"), *a;
    size_t i, mark;
    int rc = 0;

    if (json_is_object(tender)) {
        mark = ocds_chk_push(c, "tender");
        rc = check_tender_defence(tender, c);
        ocds_chk_pop(c, mark);
        if (rc < 0)
            return rc;
    }
    mark = ocds_chk_push(c, "awards");
    json_array_foreach(awards, i, a) {
        json_t *d = get(a, "defence");
        size_t m2;
        if (!present(d))
            continue;
        m2 = ocds_chk_push_index(c, i);
        size_t m3 = ocds_chk_push(c, "defence");
        rc = json_is_object(d) ? check_range(c, d, "subcontractingShare", 0, 100)
                               : ocds_chk_fail(c, NULL, "must be an object");
        ocds_chk_pop(c, m3);
        ocds_chk_pop(c, m2);
        if (rc < 0)
            break;
    }
    ocds_chk_pop(c, mark);
    return rc;
}

/* ---- withheld ------------------------------------------------------- */

static int path_forbidden(const char *p)
{
    static const char *const top[] = {"/ocid", "/id", "/date", "/tag", "/initiationType", "/withheld", NULL};
    const char *last = strrchr(p, '/');
    const char *const *t;

    if (!*p || strcmp(last, "/id") == 0)
        return 1;
    for (t = top; *t; t++) {
        size_t n = strlen(*t);
        if (strncmp(p, *t, n) == 0 && (p[n] == '\0' || p[n] == '/'))
            return 1;
    }
    return 0;
}

static int is_prefix_path(const char *a, const char *b)
{
    size_t n = strlen(a);
    return strncmp(a, b, n) == 0 && (b[n] == '/' || b[n] == '\0');
}

static int check_marker(const json_t *m, struct ocds_chk *c)
{
    json_t *com = get(m, "commitment");
    const char *s = json_string_value(com);
    size_t i;

    if (!s || strlen(s) != 71 || strncmp(s, "sha256:", 7) != 0)
        return ocds_chk_fail(c, "commitment", "a withheld marker needs \"sha256:\" and 64 hex digits");
    for (i = 7; i < 71; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return ocds_chk_fail(c, "commitment", "must be lower-case hex");
    return 0;
}

static int hex_ok(const char *s, size_t n)
{
    size_t i;
    if (!s || strlen(s) != n)
        return 0;
    for (i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* A disclosing entry: the value is back and salt/commitment let anyone
 * check it against the earlier marker (ocds_disclosure_check). */
static int check_disclosed(const json_t *e, const json_t *target, struct ocds_chk *c)
{
    const char *com = json_string_value(get(e, "commitment"));

    if (json_is_object(target) && json_is_true(get(target, "withheld")))
        return ocds_chk_fail(c, "path", "is marked disclosed but still holds a withheld marker");
    if (!hex_ok(json_string_value(get(e, "salt")), 64))
        return ocds_chk_fail(c, "salt", "a disclosed field needs its 32-byte salt in lower-case hex");
    if (!com || strncmp(com, "sha256:", 7) != 0 || !hex_ok(com + 7, 64))
        return ocds_chk_fail(c, "commitment", "a disclosed field needs the earlier \"sha256:<hex>\" commitment");
    return 0;
}

static int check_withheld_entry(const json_t *release, const json_t *list, size_t i, struct ocds_chk *c)
{
    json_t *e = json_array_get(list, i), *path, *reason, *target;
    const char *p;
    size_t j;

    if (!json_is_object(e))
        return ocds_chk_fail(c, NULL, "must be an object {path, reason, disclosureDate}");
    path = get(e, "path"), reason = get(e, "reason");
    if (!json_is_string(path) || json_string_value(path)[0] != '/')
        return ocds_chk_fail(c, "path", "must be a JSON pointer such as /tender/value");
    p = json_string_value(path);
    if (path_forbidden(p))
        return ocds_chk_fail(c, "path", "'%.100s' cannot be withheld (release identity or an identifier)", p);
    if (!json_is_string(reason) || !ocds_withheld_reason_valid(json_string_value(reason)))
        return ocds_chk_fail(c, "reason", "must be a code from the closed codelist withheldReason");
    target = ocds_json_pointer_get(release, p);
    if (!target)
        return ocds_chk_fail(c, "path", "'%.100s' does not exist in the release", p);
    if (json_is_true(get(e, "disclosed")))
        return check_disclosed(e, target, c);
    if (!json_is_object(target))
        return ocds_chk_fail(c, "path", "'%.100s' is not an object: withhold whole objects (a Value, a Period, an "
                                        "organization reference) so the public release keeps the OCDS types", p);
    if (json_is_object(target) && json_is_true(get(target, "withheld"))) {
        size_t mark = ocds_chk_push(c, "path");
        int rc = check_marker(target, c);
        ocds_chk_pop(c, mark);
        if (rc < 0)
            return rc;
    }
    for (j = 0; j < i; j++) {
        const char *q = json_string_value(get(json_array_get(list, j), "path"));
        if (q && (is_prefix_path(q, p) || is_prefix_path(p, q)))
            return ocds_chk_fail(c, "path", "overlaps the path of withheld entry %zu", j);
    }
    return 0;
}

int ocds_check_withheld(const json_t *release, struct ocds_chk *c)
{
    json_t *list = get(release, "withheld");
    size_t i, mark;
    int rc = 0;

    if (!list || json_is_null(list))
        return 0;
    if (!json_is_array(list))
        return ocds_chk_fail(c, "withheld", "must be an array of {path, reason, disclosureDate}");
    mark = ocds_chk_push(c, "withheld");
    for (i = 0; rc == 0 && i < json_array_size(list); i++) {
        size_t m2 = ocds_chk_push_index(c, i);
        rc = check_withheld_entry(release, list, i, c);
        ocds_chk_pop(c, m2);
    }
    ocds_chk_pop(c, mark);
    return rc;
}
