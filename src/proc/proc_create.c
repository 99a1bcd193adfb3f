/*
 * proc_create.c - starting a procedure: the rule set in force on the
 * plan's date, the procedure type allowed by the Directive, the threshold
 * of the period (whether the Directive applies), the Art. 28 ground of a
 * negotiated procedure without publication, the withheld declarations,
 * and the planning release's content (buyer, tender with the defence
 * extension).
 *
 * Invariant: on any issue the procedure is freed and nothing is returned;
 * on success seq is 1 and the planning release is built.
 */
#include "common.h"
#include "proc/proc_int.h"

static void check_withheld(struct proc_work *w, const json_t *list)
{
    size_t i, j;
    json_t *e;
    char at[64];
    struct proc_date dd;

    json_array_foreach(list, i, e) {
        const char *path = proc_jstr(e, "path"), *reason = proc_jstr(e, "reason");
        snprintf(at, sizeof at, "/withheld/%zu", i);
        if (!proc_pointer_withholdable(path))
            proc_issue(w->is, NULL, at, "path must be a JSON pointer inside tender, awards, contracts, bids or "
                                        "planning (e.g. /tender/value)");
        for (j = 0; reason && reason[j]; j++)
            if (!((reason[j] >= 'a' && reason[j] <= 'z') || (reason[j] >= 'A' && reason[j] <= 'Z') ||
                  reason[j] == '-' || reason[j] == '_' || (reason[j] >= '0' && reason[j] <= '9')))
                break;
        if (reason && reason[j])
            proc_issue(w->is, NULL, at, "reason must be a code (letters, digits, '-', '_')");
        if (proc_date_parse(proc_jstr(e, "disclosureDate"), &dd, NULL) == 0 && dd.day < w->date.day)
            proc_issue(w->is, NULL, at, "disclosureDate is before the procedure starts");
        for (j = 0; j < i; j++)
            if (path && proc_jstr(json_array_get(list, j), "path") &&
                !strcmp(path, proc_jstr(json_array_get(list, j), "path")))
                proc_issue(w->is, NULL, at, "path %s is listed twice", path);
    }
}

static void create_rules(struct proc_work *w, enum proc_category cat, int64_t est_cents)
{
    const struct proc_threshold *th = NULL;
    const char *ground = proc_jstr(w->body, "article28Ground");
    const struct proc_ground *g;
    int64_t threshold;
    int applies;

    threshold = proc_rules_threshold(w->r, w->date.day, cat, &th);
    if (threshold < 0) {
        proc_issue(w->is, "dir2009-81/art8-thresholds", "/date", "no threshold period of %s@%s covers %.10s",
                   w->r->id, w->r->version, w->date.text);
        return;
    }
    applies = est_cents >= threshold * 100;
    proc_fact_set_int(w->p, "thresholdEur", threshold);
    proc_fact_set_str(w->p, "thresholdSource", th->source);
    proc_fact_set_bool(w->p, "directiveApplies", applies);
    json_object_set_new(w->dl, "thresholdEur", json_integer((json_int_t)threshold));
    json_object_set_new(w->dl, "directiveApplies", json_boolean(applies));
    if (!w->tr->needs_ground) {
        if (ground)
            proc_issue(w->is, NULL, "/article28Ground", "an Art. 28 ground is only given for "
                                                       "negotiatedWithoutPublication");
        return;
    }
    g = proc_rules_ground(w->r, ground);
    if (!ground)
        proc_issue(w->is, "dir2009-81/art28-ground", "/article28Ground", "negotiated without publication of a "
                   "notice needs an Art. 28 ground (e.g. art28-1e)");
    else if (ground && !g)
        proc_issue(w->is, "dir2009-81/art28-ground", "/article28Ground", "%s is not an Art. 28 ground (codes "
                   "art28-1a ... art28-5, see GET /api/v1/rules)", ground);
    else if (g && !(g->categories & cat))
        proc_issue(w->is, "dir2009-81/art28-ground", "/article28Ground", "ground %s (%s) does not apply to %s contracts",
                   g->code, g->article, proc_jstr(w->body, "mainProcurementCategory"));
    else if (g && !proc_jstr(w->body, "article28Justification"))
        proc_issue(w->is, "dir2009-81/art28-ground", "/article28Justification", "ground %s needs a justification",
                   g->code);
    if (g)
        proc_fact_set_str(w->p, "ground", g->code);
}

static void create_doc(struct proc_work *w)
{
    const json_t *b = w->body;
    json_t *doc = w->p->doc, *tender, *def;
    const char *buyer_name = proc_jstr(b, "buyerName") ? proc_jstr(b, "buyerName") : w->p->buyer;
    char tid[PROC_OCID_MAX + 16];

    json_object_set_new(doc, "buyer", json_pack("{s:s,s:s}", "id", w->p->buyer, "name", buyer_name));
    proc_party_role(doc, w->p->buyer, buyer_name, "buyer");
    proc_party_role(doc, w->p->buyer, buyer_name, "procuringEntity");
    tender = proc_jobj(doc, "tender");
    snprintf(tid, sizeof tid, "%s-tender", w->p->ocid);
    json_object_set_new(tender, "id", json_string(tid));
    json_object_set(tender, "title", json_object_get(b, "title"));
    if (json_object_get(b, "description"))
        json_object_set(tender, "description", json_object_get(b, "description"));
    json_object_set_new(tender, "status", json_string("planning"));
    json_object_set_new(tender, "procurementMethod", json_string(w->tr->ocds_method));
    json_object_set_new(tender, "procurementMethodDetails", json_string(w->tr->details));
    json_object_set(tender, "mainProcurementCategory", json_object_get(b, "mainProcurementCategory"));
    json_object_set(tender, "value", json_object_get(b, "estimatedValue"));
    if (proc_jstr(b, "cpv"))
        json_object_set_new(tender, "items",
                            json_pack("[{s:s,s:O,s:{s:s,s:O}}]", "id", "1", "description", json_object_get(b, "title"),
                                      "classification", "scheme", "CPV", "id", json_object_get(b, "cpv")));
    def = proc_jobj(tender, "defence");
    json_object_set_new(def, "directive", json_string("2009/81/EC"));
    json_object_set_new(def, "procedure", json_string(w->tr->name));
    json_object_set_new(def, "rules", json_string(w->p->rules_key));
    if (proc_jstr(b, "article28Ground"))
        json_object_set(def, "negotiatedWithoutPublicationGround", json_object_get(b, "article28Ground"));
    if (proc_jstr(b, "article28Justification"))
        json_object_set(def, "groundJustification", json_object_get(b, "article28Justification"));
    json_object_set(def, "capabilityArea", json_object_get(b, "capabilityArea"));
    if (proc_jstr(b, "securityClassification"))
        json_object_set(def, "securityClassification", json_object_get(b, "securityClassification"));
}

int proc_create(const char *ocid, const char *buyer, const json_t *body, int64_t now, struct proc *p, json_t **release,
                struct proc_issues *is)
{
    struct proc_work w = { 0 };
    enum proc_category cat = PROC_GOODS;
    char k[64];
    int rc;

    memset(p, 0, sizeof *p);
    *release = NULL;
    snprintf(p->ocid, sizeof p->ocid, "%s", ocid);
    snprintf(p->buyer, sizeof p->buyer, "%s", buyer);
    p->state = PROC_S_PLANNING;
    p->facts = json_object();
    p->doc = json_object();
    p->withheld = json_array();
    w.p = p;
    w.body = body;
    w.now = now;
    w.is = is;
    w.dl = json_object();
    proc_step_date(&w);
    w.r = proc_rules_for(w.date.day);
    if (!w.r) {
        proc_issue(is, NULL, "/date", "no rule set covers %.10s (Directive 2009/81/EC applies from 2011-08-21)",
                   w.date.text);
        goto out;
    }
    proc_rules_key(w.r, k, sizeof k);
    snprintf(p->rules_key, sizeof p->rules_key, "%s", k);
    w.tr = proc_rules_type(w.r, proc_jstr(body, "procedure"));
    if (!w.tr) {
        proc_issue(is, "dir2009-81/art25-procedures", "/procedure", "procedure \"%.64s\" is not available under "
                   "Directive 2009/81/EC (there is no open procedure): use restricted, negotiatedWithPublication, "
                   "competitiveDialogue or negotiatedWithoutPublication", proc_jstr(body, "procedure"));
        goto out;
    }
    p->type = w.tr->type;
    proc_category_parse(proc_jstr(body, "mainProcurementCategory"), &cat);
    proc_fact_set_str(p, "category", proc_jstr(body, "mainProcurementCategory"));
    proc_fact_set_int(p, "estimatedCents", proc_jcents(body, "estimatedValue"));
    proc_fact_set_str(p, "planDate", w.date.text);
    proc_fact_set_str(p, "title", proc_jstr(body, "title"));
    if (proc_jstr(body, "plannedNoticeDate"))
        proc_fact_set_str(p, "plannedNoticeDate", proc_jstr(body, "plannedNoticeDate"));
    create_rules(&w, cat, proc_jcents(body, "estimatedValue"));
    if (json_object_get(body, "withheld")) {
        size_t i;
        json_t *e;
        check_withheld(&w, json_object_get(body, "withheld"));
        json_array_foreach(json_object_get(body, "withheld"), i, e) {
            json_t *c = json_deep_copy(e);
            json_object_set_new(c, "path", json_string(proc_group_path(proc_jstr(e, "path"))));
            json_array_append_new(p->withheld, c);
        }
    }
    if (is->n)
        goto out;
    create_doc(&w);
    proc_groups_init(p);
    proc_groups_sync(p);
    proc_fact_set_str(p, "lastDate", w.date.text);
    p->seq = 1;
    *release = proc_release_build(p, w.date.text, "planning", NULL, NULL);
    proc_fact_set_str(p, "lastReleaseId", json_string_value(json_object_get(*release, "id")));
out:
    json_decref(w.dl);
    rc = proc_issues_code(is);
    if (rc)
        proc_free(p);
    return rc;
}

