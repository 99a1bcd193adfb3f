/*
 * proc_steps_contract.c - from the award to the end: award (Art. 57
 * standstill starts; Art. 9 when the estimate stayed below the threshold
 * the award reaches), contract and its award notice (Art. 30(3): 48
 * days), milestones, payments (never above the contract), contract
 * amendments (Art. 28(4)(a): at most +50%), termination, cancellation and
 * the disclosure of withheld fields (a linked value group is disclosed
 * whole).
 *
 * Same conventions as proc_steps_tender.c: issues name their rules, limits
 * come from w->r, Directive rules are skipped below the threshold.
 */
#include "common.h"
#include "proc/proc_int.h"


/* ---- award ---------------------------------------------------------------- */

int proc_step_award(struct proc_work *w)
{
    struct proc_date td;
    const char *bid_id = proc_jstr(w->body, "bidId");
    json_t *bid = json_object_get(json_object_get(w->p->facts, "bids"), bid_id);
    int64_t cents = proc_jcents(w->body, "value");
    int64_t threshold = proc_fact_int(w->p, "thresholdEur", -1);
    const char *notif = proc_jstr(w->body, "notification") ? proc_jstr(w->body, "notification") : "electronic";
    int sd = !w->tr->standstill ? 0
             : !strcmp(notif, "electronic") ? w->r->lim.standstill_electronic : w->r->lim.standstill_other;
    char awid[] = "award-1";

    proc_fact_date(w->p, "tenderDeadline", &td);
    if (w->date.t <= td.t)
        proc_issue(w->is, "lifecycle/award-before-tender-deadline", "/date", "the award decision comes after the "
                   "tender deadline (%s)", td.text);
    if (!bid || strcmp(proc_jstr(bid, "status"), "valid")) {
        proc_issue(w->is, "lifecycle/award-to-valid-bid", "/bidId", "%.64s is not a recorded valid bid", bid_id);
        return 0;
    }
    if (cents < 0)
        cents = (int64_t)json_integer_value(json_object_get(bid, "cents"));
    if (!PROC_DIRECTIVE_APPLIES(w) && threshold >= 0 && cents >= threshold * 100)
        proc_issue(w->is, "dir2009-81/art9-estimated-value", "/value",
                   "the award (EUR %.2f) reaches the threshold of EUR %lld that the estimate stayed below: the "
                   "Directive applies and this procedure cannot award it", (double)cents / 100, (long long)threshold);
    proc_dl_day(w->dl, "standstillEnds", w->date.day + sd);
    proc_dl_day(w->dl, "contractNotBefore", w->date.day + sd + (sd ? 1 : 0));
    proc_fact_set_str(w->p, "awardDate", w->date.text);
    proc_fact_set_str(w->p, "awardBid", bid_id);
    proc_fact_set_int(w->p, "awardCents", cents);
    proc_fact_set_int(w->p, "standstillDays", sd);
    proc_fact_set_str(w->p, "supplierId", proc_jstr(bid, "tendererId"));
    proc_fact_set_str(w->p, "supplierName", proc_jstr(bid, "tendererName"));
    json_array_append_new(proc_jarr(w->p->doc, "awards"),
                          json_pack("{s:s,s:s,s:s,s:o,s:[{s:s,s:s}]}", "id", awid, "status", "active", "date",
                                    w->date.text, "value", proc_amount(cents), "suppliers", "id",
                                    proc_jstr(bid, "tendererId"), "name", proc_jstr(bid, "tendererName")));
    if (!proc_group_active(w->p, "winner")) /* a withheld winner is not told by the bid it won with */
        json_object_set_new(json_array_get(json_object_get(w->p->doc, "awards"), 0), "relatedBid", json_string(bid_id));
    if (proc_jstr(w->body, "rationale"))
        json_object_set(json_array_get(json_object_get(w->p->doc, "awards"), 0), "description",
                        json_object_get(w->body, "rationale"));
    if (!proc_group_active(w->p, "winner")) /* a withheld winner is not named by its role either */
        proc_party_role(w->p->doc, proc_jstr(bid, "tendererId"), proc_jstr(bid, "tendererName"), "supplier");
    json_object_set_new(proc_jobj(w->p->doc, "tender"), "status", json_string("complete"));
    w->tag = "award";
    w->next = PROC_S_AWARDED;
    return 0;
}

/* ---- contract (and its award notice) -------------------------------------- */

int proc_step_contract(struct proc_work *w)
{
    struct proc_date ds, aw;
    int64_t sd = proc_fact_int(w->p, "standstillDays", 0);
    int64_t cents = proc_jcents(w->body, "value");
    char from[11], by[11];
    json_t *c;

    proc_body_date(w, "dateSigned", &ds);
    proc_fact_date(w->p, "awardDate", &aw);
    proc_dl_day(w->dl, "awardNoticeBy", ds.day + w->r->lim.award_notice);
    if (ds.t < aw.t)
        proc_issue(w->is, "lifecycle/chronology", "/dateSigned", "the contract (%s) cannot precede the award decision "
                   "(%s)", ds.text, aw.text);
    else if (sd && PROC_DIRECTIVE_APPLIES(w) && ds.day - aw.day <= sd) {
        proc_day_format(aw.day + sd + 1, from);
        proc_issue(w->is, "dir2009-81/art57-standstill", "/dateSigned",
                   "the contract may be concluded from %s, after the %lld-day standstill following the award "
                   "decision of %.10s", from, (long long)sd, aw.text);
    }
    if (w->date.t < ds.t)
        proc_issue(w->is, "lifecycle/chronology", "/date", "the award notice (%s) cannot precede the signature (%s)",
                   w->date.text, ds.text);
    else if (PROC_DIRECTIVE_APPLIES(w) && w->date.day - ds.day > w->r->lim.award_notice) {
        proc_day_format(ds.day + w->r->lim.award_notice, by);
        proc_issue(w->is, "dir2009-81/art30-award-notice", "/date",
                   "the contract award notice is due within %d days of the contract's conclusion (%.10s), i.e. by "
                   "%s; this notice is dated %.10s", w->r->lim.award_notice, ds.text, by, w->date.text);
    }
    if (cents < 0)
        cents = proc_fact_int(w->p, "awardCents", 0);
    proc_fact_set_str(w->p, "dateSigned", ds.text);
    proc_fact_set_int(w->p, "contractCents", cents);
    proc_fact_set_int(w->p, "originalCents", cents);
    proc_fact_set_int(w->p, "paidCents", 0);
    c = json_pack("{s:s,s:s,s:s,s:s,s:o}", "id", "contract-1", "awardID", "award-1", "status", "active", "dateSigned",
                  ds.text, "value", proc_amount(cents));
    if (proc_jstr(w->body, "title"))
        json_object_set(c, "title", json_object_get(w->body, "title"));
    if (json_object_get(w->body, "period"))
        json_object_set_new(c, "period", proc_dates_normalised(json_object_get(w->body, "period")));
    json_array_append_new(proc_jarr(w->p->doc, "contracts"), c);
    w->tag = "contract";
    w->next = PROC_S_CONTRACTED;
    return 0;
}

static json_t *the_contract(struct proc_work *w)
{
    return json_array_get(json_object_get(w->p->doc, "contracts"), 0);
}

/* ---- implementation: milestones and transactions --------------------------- */

int proc_step_milestones(struct proc_work *w)
{
    json_t *ms = proc_jarr(proc_jobj(the_contract(w), "implementation"), "milestones"), *m, *old;
    size_t i, j;

    json_array_foreach(json_object_get(w->body, "milestones"), i, m) {
        json_t *nm = proc_dates_normalised(m);
        if (!json_object_get(nm, "status"))
            json_object_set_new(nm, "status", json_string("scheduled"));
        json_array_foreach(ms, j, old)
            if (!strcmp(proc_jstr(old, "id"), proc_jstr(m, "id")))
                break;
        if (j < json_array_size(ms))
            json_array_set_new(ms, j, nm);
        else
            json_array_append_new(ms, nm);
    }
    w->tag = "implementation";
    return 0;
}

int proc_step_transactions(struct proc_work *w)
{
    struct proc_date ds;
    const char *id = proc_jstr(w->body, "id");
    json_t *seen = proc_jobj(w->p->facts, "transactions"), *tx;
    int64_t cents = proc_jcents(w->body, "value"), paid = proc_fact_int(w->p, "paidCents", 0);
    int64_t total = proc_fact_int(w->p, "contractCents", 0);

    proc_fact_date(w->p, "dateSigned", &ds);
    if (w->date.t < ds.t)
        proc_issue(w->is, "lifecycle/payment-before-contract", "/date", "payment dated %s precedes the contract (%s)",
                   w->date.text, ds.text);
    if (json_object_get(seen, id))
        proc_issue(w->is, "lifecycle/duplicate-id", "/id", "payment %.64s is already recorded", id);
    if (paid + cents > total)
        proc_issue(w->is, "lifecycle/payments-exceed-contract", "/value",
                   "payments would total EUR %.2f, above the contract's EUR %.2f; amend the contract first",
                   (double)(paid + cents) / 100, (double)total / 100);
    json_object_set_new(seen, id, json_integer((json_int_t)cents));
    proc_fact_set_int(w->p, "paidCents", paid + cents);
    tx = json_pack("{s:s,s:s,s:o,s:{s:s,s:s},s:{s:s,s:s}}", "id", id, "date", w->date.text, "value",
                   proc_amount(cents), "payer", "id", w->p->buyer, "name",
                   proc_jstr(json_object_get(w->p->doc, "buyer"), "name"), "payee", "id",
                   proc_jstr(w->p->facts, "supplierId"), "name", proc_jstr(w->p->facts, "supplierName"));
    if (proc_jstr(w->body, "description"))
        json_object_set(tx, "description", json_object_get(w->body, "description"));
    json_array_append_new(proc_jarr(proc_jobj(the_contract(w), "implementation"), "transactions"), tx);
    w->tag = "implementation";
    if (proc_jbool(w->body, "final")) {
        json_object_set_new(the_contract(w), "status", json_string("terminated"));
        w->next = PROC_S_COMPLETE;
    }
    return 0;
}

/* ---- contract amendment and termination -------------------------------------- */

int proc_step_amendment(struct proc_work *w)
{
    json_t *c = the_contract(w);
    int64_t cents = proc_jcents(w->body, "value"), orig = proc_fact_int(w->p, "originalCents", 0);
    int64_t paid = proc_fact_int(w->p, "paidCents", 0), n = proc_fact_int(w->p, "nContractAmend", 0) + 1;
    int cap = w->r->lim.additional_works_cap_pct;
    struct proc_date end;
    char id[40];

    if (cents >= 0) {
        if (cents < paid)
            proc_issue(w->is, "lifecycle/value-below-payments", "/value", "EUR %.2f is less than the EUR %.2f "
                       "already paid", (double)cents / 100, (double)paid / 100);
        if (PROC_DIRECTIVE_APPLIES(w) && (cents - orig) * 100 > orig * cap)
            proc_issue(w->is, "dir2009-81/art28-additional-works", "/value",
                       "the amendments would add %.1f%% to the original EUR %.2f; beyond %d%% a new procedure is "
                       "needed", orig ? (double)(cents - orig) * 100.0 / (double)orig : 0.0, (double)orig / 100, cap);
        proc_fact_set_int(w->p, "contractCents", cents);
        json_object_set_new(c, "value", proc_amount(cents));
    }
    if (proc_body_date(w, "endDate", &end) == 0)
        json_object_set_new(proc_jobj(c, "period"), "endDate", json_string(end.text));
    snprintf(id, sizeof id, "contract-amendment-%lld", (long long)n);
    json_array_append_new(proc_jarr(c, "amendments"), json_pack("{s:s,s:s,s:O}", "id", id, "date", w->date.text,
                                                                "rationale", json_object_get(w->body, "rationale")));
    proc_fact_set_int(w->p, "nContractAmend", n);
    w->tag = "contractAmendment";
    return 0;
}

int proc_step_termination(struct proc_work *w)
{
    json_t *c = the_contract(w);
    json_object_set_new(c, "status", json_string("terminated"));
    json_object_set(c, "terminationRationale", json_object_get(w->body, "rationale"));
    json_object_set_new(proc_jobj(c, "period"), "endDate", json_string(w->date.text));
    w->tag = "contractTermination";
    w->next = PROC_S_TERMINATED;
    return 0;
}

int proc_step_cancellation(struct proc_work *w)
{
    json_t *tender = proc_jobj(w->p->doc, "tender");
    json_t *award = json_array_get(json_object_get(w->p->doc, "awards"), 0);

    json_object_set_new(tender, "status", json_string("cancelled"));
    json_object_set(tender, "statusDetails", json_object_get(w->body, "rationale"));
    w->tag = "tenderCancellation";
    if (award) {
        json_object_set_new(award, "status", json_string("cancelled"));
        w->tag2 = "awardCancellation";
    }
    w->next = PROC_S_CANCELLED;
    return 0;
}

/* ---- disclosure of withheld fields -------------------------------------------- */

int proc_step_disclosure(struct proc_work *w)
{
    int winner = 0;
    json_t *paths = proc_groups_expand(w->p, json_object_get(w->body, "paths"), &winner), *p, *e = NULL;
    size_t i, j;
    char at[32];

    json_array_foreach(paths, i, p) {
        json_array_foreach(w->p->withheld, j, e)
            if (!strcmp(proc_jstr(e, "path"), json_string_value(p)))
                break;
        snprintf(at, sizeof at, "/paths/%zu", i);
        if (j == json_array_size(w->p->withheld)) {
            proc_issue(w->is, "lifecycle/not-withheld", at, "%.200s is not withheld", json_string_value(p));
            continue;
        }
        if (!proc_pointer_get(w->p->doc, json_string_value(p))) {
            proc_issue(w->is, "lifecycle/not-withheld", at, "%.200s holds no value yet", json_string_value(p));
            continue;
        }
        if (!w->disclosed)
            w->disclosed = json_array();
        e = json_deep_copy(e);
        json_object_set_new(e, "disclosed", json_true());
        json_array_append_new(w->disclosed, e);
        json_array_remove(w->p->withheld, j);
    }
    json_decref(paths);
    if (winner && proc_jstr(w->p->facts, "supplierId")) { /* the winner may now be named everywhere */
        proc_party_role(w->p->doc, proc_jstr(w->p->facts, "supplierId"), proc_jstr(w->p->facts, "supplierName"),
                        "supplier");
        json_object_set(json_array_get(json_object_get(w->p->doc, "awards"), 0), "relatedBid",
                        json_object_get(w->p->facts, "awardBid"));
    }
    switch (w->p->state) {
    case PROC_S_PLANNING: w->tag = "planningUpdate"; break;
    case PROC_S_REQUESTS:
    case PROC_S_TENDERING: w->tag = "tenderUpdate"; break;
    case PROC_S_AWARDED: w->tag = "awardUpdate"; break;
    case PROC_S_CONTRACTED: w->tag = "contractUpdate"; break;
    case PROC_S_CANCELLED: w->tag = "tenderUpdate"; break;
    default: w->tag = "implementationUpdate"; break;
    }
    return 0;
}
