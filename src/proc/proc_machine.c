/*
 * proc_machine.c - the procedure state machine: which steps each state
 * allows, starting a procedure, applying a step to a working copy and
 * committing it only when no issue was found, and the derived views
 * (deadlines, next due, allowed steps).
 *
 * Invariants: proc_apply never changes *p unless the step succeeded
 * (steps run on a deep copy that replaces p at the end); every step
 * checks the chronology (no act earlier than the previous release, none
 * more than a day ahead of the clock) before its own rules; seq counts
 * the releases of the procedure, so release ids are deterministic and a
 * retried step republishes the same release (ocds_publish is idempotent).
 *
 * facts (private JSON object) keys: planDate, category, estimatedCents,
 * thresholdEur, thresholdSource, directiveApplies, ground, lastDate,
 * plannedNoticeDate, noticeDate, requestsDeadline, electronicNotice,
 * electronicDocuments, pin, accelerated, invitationDate, tenderDeadline,
 * candidates {id: name}, bids {id: {tendererId, tendererName, status,
 * cents}}, awardDate, awardBid, awardCents, standstillDays, supplierId,
 * supplierName, dateSigned, contractCents, originalCents, paidCents,
 * transactions {id: cents}, title, nAmend, nEnquiry, nContractAmend.
 */
#include "common.h"
#include "proc/proc_int.h"

/* ---- JSON helpers ------------------------------------------------------- */

const char *proc_jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

int proc_jbool(const json_t *o, const char *key)
{
    return json_is_true(json_object_get(o, key));
}

int64_t proc_jcents(const json_t *o, const char *key)
{
    const json_t *a = json_object_get(o, key);
    const json_t *n = json_object_get(a, "amount");
    if (!json_is_number(n))
        return -1;
    return (int64_t)(json_number_value(n) * 100.0 + 0.5);
}

json_t *proc_jobj(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_object(v)) {
        v = json_object();
        json_object_set_new(o, key, v);
    }
    return v;
}

json_t *proc_jarr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_array(v)) {
        v = json_array();
        json_object_set_new(o, key, v);
    }
    return v;
}

int proc_fact_date(const struct proc *p, const char *key, struct proc_date *d)
{
    const char *s = proc_jstr(p->facts, key);
    return s && proc_date_parse(s, d, NULL) == 0 ? 0 : -1;
}

void proc_fact_set_str(struct proc *p, const char *key, const char *v)
{
    json_object_set_new(p->facts, key, json_string(v));
}

void proc_fact_set_int(struct proc *p, const char *key, int64_t v)
{
    json_object_set_new(p->facts, key, json_integer((json_int_t)v));
}

void proc_fact_set_bool(struct proc *p, const char *key, int v)
{
    json_object_set_new(p->facts, key, json_boolean(v));
}

int64_t proc_fact_int(const struct proc *p, const char *key, int64_t dflt)
{
    const json_t *v = json_object_get(p->facts, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

json_t *proc_amount(int64_t cents)
{
    json_t *a = json_object();
    if (cents % 100 == 0)
        json_object_set_new(a, "amount", json_integer((json_int_t)(cents / 100)));
    else
        json_object_set_new(a, "amount", json_real((double)cents / 100.0));
    json_object_set_new(a, "currency", json_string("EUR"));
    return a;
}

json_t *proc_dates_normalised(const json_t *obj)
{
    static const char *const keys[] = { "startDate", "endDate", "dueDate", "dateMet" };
    json_t *o = json_deep_copy(obj);
    struct proc_date d;
    size_t i;

    for (i = 0; i < BF_ARRAY_LEN(keys); i++)
        if (proc_date_parse(proc_jstr(o, keys[i]), &d, NULL) == 0)
            json_object_set_new(o, keys[i], json_string(d.text));
    return o;
}

void proc_dl_day(json_t *dl, const char *name, int64_t day)
{
    char d[11];
    if (!dl)
        return;
    proc_day_format(day, d);
    json_object_set_new(dl, name, json_string(d));
}

void proc_party_role(json_t *doc, const char *id, const char *name, const char *role)
{
    json_t *parties = proc_jarr(doc, "parties"), *party = NULL, *roles, *r;
    size_t i;

    for (i = 0; i < json_array_size(parties); i++)
        if (!strcmp(proc_jstr(json_array_get(parties, i), "id") ? proc_jstr(json_array_get(parties, i), "id") : "",
                    id))
            party = json_array_get(parties, i);
    if (!party) {
        party = json_pack("{s:s,s:s,s:[]}", "id", id, "name", name ? name : id, "roles");
        json_array_append_new(parties, party);
    }
    roles = proc_jarr(party, "roles");
    json_array_foreach(roles, i, r)
        if (json_is_string(r) && !strcmp(json_string_value(r), role))
            return;
    json_array_append_new(roles, json_string(role));
}

/* ---- names ------------------------------------------------------------- */

static const char *const STATE_NAMES[] = {
    [PROC_S_PLANNING] = "planning",     [PROC_S_REQUESTS] = "requests",   [PROC_S_TENDERING] = "tendering",
    [PROC_S_AWARDED] = "awarded",       [PROC_S_CONTRACTED] = "contracted", [PROC_S_COMPLETE] = "complete",
    [PROC_S_TERMINATED] = "terminated", [PROC_S_CANCELLED] = "cancelled",
};

const char *proc_state_name(enum proc_state s)
{
    return (unsigned)s < BF_ARRAY_LEN(STATE_NAMES) && STATE_NAMES[s] ? STATE_NAMES[s] : "?";
}

int proc_state_parse(const char *name)
{
    size_t i;
    for (i = 1; name && i < BF_ARRAY_LEN(STATE_NAMES); i++)
        if (!strcmp(STATE_NAMES[i], name))
            return (int)i;
    return -1;
}

/* ---- the transition table ------------------------------------------------ */

#define S(x) (1u << (x))
#define OPEN_STATES (S(PROC_S_PLANNING) | S(PROC_S_REQUESTS) | S(PROC_S_TENDERING) | S(PROC_S_AWARDED))
#define ALL_STATES (OPEN_STATES | S(PROC_S_CONTRACTED) | S(PROC_S_COMPLETE) | S(PROC_S_TERMINATED) | S(PROC_S_CANCELLED))

static const struct {
    unsigned states;       /* states in which the step is allowed */
    int (*fn)(struct proc_work *);
} TRANSITIONS[PROC_NSTEPS] = {
    [PROC_STEP_TENDER] = { S(PROC_S_PLANNING), proc_step_tender },
    [PROC_STEP_INVITATION] = { S(PROC_S_PLANNING) | S(PROC_S_REQUESTS), proc_step_invitation },
    [PROC_STEP_AMENDMENTS] = { S(PROC_S_REQUESTS) | S(PROC_S_TENDERING), proc_step_amendments },
    [PROC_STEP_CLARIFICATIONS] = { S(PROC_S_REQUESTS) | S(PROC_S_TENDERING), proc_step_clarifications },
    [PROC_STEP_BIDS] = { S(PROC_S_TENDERING), proc_step_bids },
    [PROC_STEP_AWARD] = { S(PROC_S_TENDERING), proc_step_award },
    [PROC_STEP_CONTRACT] = { S(PROC_S_AWARDED), proc_step_contract },
    [PROC_STEP_MILESTONES] = { S(PROC_S_CONTRACTED), proc_step_milestones },
    [PROC_STEP_TRANSACTIONS] = { S(PROC_S_CONTRACTED), proc_step_transactions },
    [PROC_STEP_AMENDMENT] = { S(PROC_S_CONTRACTED), proc_step_amendment },
    [PROC_STEP_TERMINATION] = { S(PROC_S_CONTRACTED), proc_step_termination },
    [PROC_STEP_CANCELLATION] = { OPEN_STATES, proc_step_cancellation },
    [PROC_STEP_DISCLOSURE] = { ALL_STATES, proc_step_disclosure },
};

/* The state table plus what the procedure type changes: procedures with
 * a contract notice go planning -> tender -> invitation; negotiated
 * without publication goes planning -> invitation directly. */
static int allowed(const struct proc *p, enum proc_step step)
{
    const struct proc_rules *r = proc_rules_by_key(p->rules_key);
    const struct proc_type_rule *tr = r ? proc_rules_type_of(r, p->type) : NULL;
    int notice = tr ? tr->contract_notice : 1;

    if ((unsigned)step >= PROC_NSTEPS || step == PROC_STEP_CREATE || !(TRANSITIONS[step].states & S(p->state)))
        return 0;
    if (step == PROC_STEP_TENDER && !notice)
        return 0;
    if (step == PROC_STEP_INVITATION && p->state == PROC_S_PLANNING && notice)
        return 0;
    if (step == PROC_STEP_DISCLOSURE && json_array_size(p->withheld) == 0)
        return 0;
    return 1;
}

json_t *proc_allowed_steps(const struct proc *p)
{
    json_t *a = json_array();
    int s;
    for (s = 1; s < PROC_NSTEPS; s++)
        if (allowed(p, (enum proc_step)s))
            json_array_append_new(a, json_string(proc_step_name((enum proc_step)s)));
    return a;
}

int proc_step_allowed(const struct proc *p, enum proc_step step, struct proc_issues *is)
{
    char list[256];
    size_t o = 0;
    int s;

    if (allowed(p, step))
        return 0;
    list[0] = '\0';
    for (s = 1; s < PROC_NSTEPS; s++) {
        if (allowed(p, (enum proc_step)s) && o < sizeof list) {
            int w = snprintf(list + o, sizeof list - o, "%s%s", o ? ", " : "", proc_step_name((enum proc_step)s));
            if (w > 0)
                o += (size_t)w;
        }
    }
    proc_issue(is, "lifecycle/step-not-allowed-in-state", "", "step %s is not allowed while the procedure is in "
               "state %s; allowed now: %s", proc_step_name(step), proc_state_name(p->state), o ? list : "none");
    return BF_ECONFLICT;
}

/* ---- lifetime and persistence ---------------------------------------------- */

void proc_free(struct proc *p)
{
    json_decref(p->facts);
    json_decref(p->doc);
    json_decref(p->withheld);
    p->facts = p->doc = p->withheld = NULL;
}

void proc_copy(struct proc *dst, const struct proc *src)
{
    *dst = *src;
    dst->facts = json_deep_copy(src->facts);
    dst->doc = json_deep_copy(src->doc);
    dst->withheld = json_deep_copy(src->withheld);
}

int proc_serialize(const struct proc *p, char **out, struct bf_err *err)
{
    json_t *o = json_pack("{s:s,s:s,s:i,s:s,s:i,s:O,s:O,s:O}", "rules", p->rules_key, "type",
                          proc_rules_type_of(proc_rules_by_key(p->rules_key), p->type)
                              ? proc_rules_type_of(proc_rules_by_key(p->rules_key), p->type)->name
                              : "?",
                          "typeCode", (int)p->type, "state", proc_state_name(p->state), "seq", p->seq, "facts",
                          p->facts, "doc", p->doc, "withheld", p->withheld);
    if (!o)
        return bf_err_set(err, BF_EINVAL, "procedure %s cannot be serialised", p->ocid);
    *out = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return *out ? 0 : bf_err_set(err, BF_ENOMEM, "serialising procedure");
}

int proc_deserialize(const char *ocid, const char *buyer, const char *text, struct proc *p, struct bf_err *err)
{
    json_error_t je;
    json_t *o = json_loads(text, 0, &je);
    int st;

    memset(p, 0, sizeof *p);
    if (!o)
        return bf_err_set(err, BF_ECORRUPT, "procedure %s: stored state does not parse: %s", ocid, je.text);
    st = proc_state_parse(proc_jstr(o, "state"));
    if (st < 0 || !proc_jstr(o, "rules") || !json_is_object(json_object_get(o, "facts")) ||
        !json_is_object(json_object_get(o, "doc")) || !json_is_array(json_object_get(o, "withheld"))) {
        json_decref(o);
        return bf_err_set(err, BF_ECORRUPT, "procedure %s: stored state is incomplete", ocid);
    }
    snprintf(p->ocid, sizeof p->ocid, "%s", ocid);
    snprintf(p->buyer, sizeof p->buyer, "%s", buyer);
    snprintf(p->rules_key, sizeof p->rules_key, "%s", proc_jstr(o, "rules"));
    p->type = (enum proc_type)json_integer_value(json_object_get(o, "typeCode"));
    p->state = (enum proc_state)st;
    p->seq = (int)json_integer_value(json_object_get(o, "seq"));
    p->facts = json_incref(json_object_get(o, "facts"));
    p->doc = json_incref(json_object_get(o, "doc"));
    p->withheld = json_incref(json_object_get(o, "withheld"));
    json_decref(o);
    return 0;
}

/* ---- common checks ---------------------------------------------------------- */

/* The act's date: the body's "date" or now; not earlier than the last
 * release, at most a day ahead of the clock. */
static void step_date(struct proc_work *w)
{
    const char *s = proc_jstr(w->body, "date");
    struct proc_date last;

    if (s)
        proc_date_parse(s, &w->date, NULL); /* shape checked by proc_body_parse */
    else
        proc_date_now(w->now, &w->date);
    if (w->date.t > w->now + 86400)
        proc_issue(w->is, "lifecycle/date-in-future", "/date", "%s is more than a day ahead of today", w->date.text);
    if (w->p && w->p->facts && proc_fact_date(w->p, "lastDate", &last) == 0 && w->date.t < last.t)
        proc_issue(w->is, "lifecycle/chronology", "/date", "%s is earlier than the procedure's last release (%s)",
                   w->date.text, last.text);
}

/* ---- create ----------------------------------------------------------------- */

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
    step_date(&w);
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
        check_withheld(&w, json_object_get(body, "withheld"));
        json_array_extend(p->withheld, json_object_get(body, "withheld"));
    }
    if (is->n)
        goto out;
    create_doc(&w);
    proc_value_group_init(p);
    proc_value_group_sync(p);
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

/* ---- apply ------------------------------------------------------------------ */

int proc_apply(struct proc *p, enum proc_step step, const json_t *body, int64_t now, json_t **release,
               json_t **deadlines, struct proc_issues *is)
{
    struct proc work;
    struct proc_work w = { 0 };

    *release = NULL;
    if (deadlines)
        *deadlines = NULL;
    if (proc_step_allowed(p, step, is))
        return BF_ECONFLICT;
    proc_copy(&work, p);
    w.p = &work;
    w.body = body;
    w.now = now;
    w.is = is;
    w.dl = json_object();
    w.r = proc_rules_by_key(p->rules_key);
    w.tr = w.r ? proc_rules_type_of(w.r, p->type) : NULL;
    w.next = p->state;
    if (!w.tr) {
        proc_issue(is, NULL, "", "procedure %s refers to unknown rules %s", p->ocid, p->rules_key);
        goto out;
    }
    step_date(&w);
    TRANSITIONS[step].fn(&w);
    if (is->n)
        goto out;
    proc_value_group_sync(&work);
    work.state = w.next;
    work.seq++;
    proc_fact_set_str(&work, "lastDate", w.date.text);
    *release = proc_release_build(&work, w.date.text, w.tag, w.tag2, w.disclosed);
    proc_fact_set_str(&work, "lastReleaseId", json_string_value(json_object_get(*release, "id")));
    proc_free(p);
    *p = work;
    work.facts = work.doc = work.withheld = NULL;
out:
    proc_free(&work);
    json_decref(w.disclosed);
    if (deadlines)
        *deadlines = w.dl;
    else
        json_decref(w.dl);
    return proc_issues_code(is);
}

/* ---- views ------------------------------------------------------------------ */

static void dl_from(json_t *dl, const struct proc *p, const char *name, const char *fact)
{
    struct proc_date d;
    if (proc_fact_date(p, fact, &d) == 0)
        proc_dl_day(dl, name, d.day);
}

json_t *proc_deadlines(const struct proc *p)
{
    const struct proc_rules *r = proc_rules_by_key(p->rules_key);
    const struct proc_type_rule *tr = r ? proc_rules_type_of(r, p->type) : NULL;
    json_t *dl = json_object();
    struct proc_date d;
    int acc = proc_jbool(p->facts, "accelerated"), applies = proc_jbool(p->facts, "directiveApplies");

    if (!r || !tr)
        return dl;
    json_object_set_new(dl, "directiveApplies", json_boolean(applies));
    json_object_set_new(dl, "minimumDays",
                        json_pack("{s:i,s:i}", "requests",
                                  proc_min_requests_days(r, proc_jbool(p->facts, "electronicNotice"), acc), "tenders",
                                  tr->tender_time_limit
                                      ? proc_min_tender_days(r, proc_jbool(p->facts, "electronicDocuments"),
                                                             proc_jbool(p->facts, "pin"), acc)
                                      : 0));
    if (proc_fact_date(p, "noticeDate", &d) == 0)
        proc_dl_day(dl, "requestsDeadlineEarliest",
                    d.day + proc_min_requests_days(r, proc_jbool(p->facts, "electronicNotice"), acc));
    dl_from(dl, p, "requestsDeadline", "requestsDeadline");
    if (tr->tender_time_limit && proc_fact_date(p, "invitationDate", &d) == 0)
        proc_dl_day(dl, "tenderDeadlineEarliest",
                    d.day + proc_min_tender_days(r, proc_jbool(p->facts, "electronicDocuments"),
                                                 proc_jbool(p->facts, "pin"), acc));
    dl_from(dl, p, "tenderDeadline", "tenderDeadline");
    if (proc_fact_date(p, "tenderDeadline", &d) == 0)
        proc_dl_day(dl, "additionalInformationBy", d.day - (acc ? r->lim.additional_info_urgent : r->lim.additional_info));
    if (proc_fact_date(p, "awardDate", &d) == 0) {
        int64_t sd = proc_fact_int(p, "standstillDays", 0);
        proc_dl_day(dl, "standstillEnds", d.day + sd);
        proc_dl_day(dl, "contractNotBefore", d.day + sd + (sd ? 1 : 0));
    }
    if (proc_fact_date(p, "dateSigned", &d) == 0)
        proc_dl_day(dl, "awardNoticeBy", d.day + r->lim.award_notice);
    return dl;
}

static const char *first_scheduled_milestone(const struct proc *p, char date[11])
{
    json_t *c = json_array_get(json_object_get(p->doc, "contracts"), 0);
    json_t *ms = json_object_get(json_object_get(c, "implementation"), "milestones"), *m;
    struct proc_date d, best = { 0 };
    size_t i;
    int found = 0;

    json_array_foreach(ms, i, m) {
        const char *st = proc_jstr(m, "status");
        if (st && strcmp(st, "scheduled"))
            continue;
        if (proc_date_parse(proc_jstr(m, "dueDate"), &d, NULL) == 0 && (!found || d.t < best.t)) {
            best = d;
            found = 1;
        }
    }
    if (!found)
        return NULL;
    proc_day_format(best.day, date);
    return "milestones";
}

int proc_next_due(const struct proc *p, const char **step, char date[11], const char **kind)
{
    struct proc_date d;
    json_t *dl;
    const char *s;

    date[0] = '\0';
    *kind = "";
    switch (p->state) {
    case PROC_S_PLANNING:
        *step = allowed(p, PROC_STEP_TENDER) ? "tender" : "invitation";
        if (proc_fact_date(p, "plannedNoticeDate", &d) == 0) {
            proc_day_format(d.day, date);
            *kind = "planned";
        }
        return 0;
    case PROC_S_REQUESTS:
        *step = "invitation";
        if (proc_fact_date(p, "requestsDeadline", &d) == 0) {
            proc_day_format(d.day, date);
            *kind = "notBefore";
        }
        return 0;
    case PROC_S_TENDERING:
        *step = json_object_size(json_object_get(p->facts, "bids")) ? "award" : "bids";
        if (proc_fact_date(p, "tenderDeadline", &d) == 0) {
            proc_day_format(d.day, date);
            *kind = "notBefore";
        }
        return 0;
    case PROC_S_AWARDED:
        *step = "contract";
        dl = proc_deadlines(p);
        s = proc_jstr(dl, "contractNotBefore");
        if (s) {
            snprintf(date, 11, "%s", s);
            *kind = "notBefore";
        }
        json_decref(dl);
        return 0;
    case PROC_S_CONTRACTED:
        *step = first_scheduled_milestone(p, date);
        if (*step) {
            *kind = "due";
            return 0;
        }
        *step = "transactions";
        return 0;
    default:
        *step = NULL;
        return -1;
    }
}

json_t *proc_view(const struct proc *p)
{
    const struct proc_rules *r = proc_rules_by_key(p->rules_key);
    const struct proc_type_rule *tr = r ? proc_rules_type_of(r, p->type) : NULL;
    const char *step, *kind;
    char date[11];
    json_t *v, *pending = json_array(), *e;
    size_t i;

    v = json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s,s:i,s:o,s:o}", "ocid", p->ocid, "buyer", p->buyer, "state",
                  proc_state_name(p->state), "procedure", tr ? tr->name : "?", "title", proc_jstr(p->facts, "title"),
                  "rules", p->rules_key, "releases", p->seq, "deadlines", proc_deadlines(p), "allowedSteps",
                  proc_allowed_steps(p));
    if (proc_next_due(p, &step, date, &kind) == 0)
        json_object_set_new(v, "nextDue", json_pack("{s:s,s:s?,s:s?}", "step", step, "date", date[0] ? date : NULL,
                                                     "kind", kind[0] ? kind : NULL));
    else
        json_object_set_new(v, "nextDue", json_null());
    json_array_foreach(p->withheld, i, e)
        json_array_append_new(pending, json_pack("{s:O,s:O,s:O}", "path", json_object_get(e, "path"), "reason",
                                                 json_object_get(e, "reason"), "disclosureDate",
                                                 json_object_get(e, "disclosureDate")));
    json_object_set_new(v, "withheld", pending);
    json_object_set(v, "thresholdEur", json_object_get(p->facts, "thresholdEur"));
    json_object_set(v, "directiveApplies", json_object_get(p->facts, "directiveApplies"));
    return v;
}
