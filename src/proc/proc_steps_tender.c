/*
 * proc_steps_tender.c - the steps up to the opening of tenders: contract
 * notice, invitation of candidates, tender amendments, clarifications and
 * bids, with the Art. 33 time limits (requests 37/30/15/10 days, tenders
 * 40/36/-5/10 days, additional information 6/4 days before the deadline)
 * and Art. 38 (at least 3 candidates).
 *
 * Each step records each violation as an issue naming the rule, with a
 * message that says what would be allowed; time limits come from the rule
 * set the procedure started under (w->r), never from constants here.
 * Directive-only rules are skipped below the threshold (the Directive
 * does not govern the contract), the lifecycle rules never are.
 */
#include "common.h"
#include "proc/proc_int.h"


/* A deadline field of the body: a bare date runs to the end of its day. */
static int body_deadline(const struct proc_work *w, const char *key, struct proc_date *d)
{
    const char *s = proc_jstr(w->body, key);
    return s && proc_date_parse_deadline(s, d, NULL) == 0 ? 0 : -1;
}

/* A deadline d must fall after the act dated w->date. */
static int deadline_after_act(struct proc_work *w, const struct proc_date *d, const char *field)
{
    if (d->t > w->date.t)
        return 1;
    proc_issue(w->is, "lifecycle/deadline-order", field, "%s must be after the act's date %s", d->text, w->date.text);
    return 0;
}

static void check_requests_deadline(struct proc_work *w, const struct proc_date *notice, const struct proc_date *rd,
                                    const char *field)
{
    int e = proc_jbool(w->p->facts, "electronicNotice"), acc = proc_jbool(w->p->facts, "accelerated");
    int min = proc_min_requests_days(w->r, e, acc);
    char earliest[11];

    proc_day_format(notice->day + min, earliest);
    proc_dl_day(w->dl, "requestsDeadlineEarliest", notice->day + min);
    if (PROC_DIRECTIVE_APPLIES(w) && rd->day - notice->day < min)
        proc_issue(w->is, "dir2009-81/art33-min-time-requests", field,
                   "requests to participate need at least %d days from the notice of %.10s%s: %.10s gives %lld; "
                   "the earliest allowed deadline is %s",
                   min, notice->text, acc ? " (accelerated)" : e ? " (sent electronically)" : "", rd->text,
                   (long long)(rd->day - notice->day), earliest);
}

static void check_tender_deadline(struct proc_work *w, const struct proc_date *inv, const struct proc_date *td,
                                  const char *field)
{
    int ed = proc_jbool(w->p->facts, "electronicDocuments"), pin = proc_jbool(w->p->facts, "pin");
    int acc = proc_jbool(w->p->facts, "accelerated");
    int min = proc_min_tender_days(w->r, ed, pin, acc);
    int before = acc ? w->r->lim.additional_info_urgent : w->r->lim.additional_info;
    char earliest[11];

    proc_dl_day(w->dl, "additionalInformationBy", td->day - before);
    if (!w->tr->tender_time_limit)
        return;
    proc_day_format(inv->day + min, earliest);
    proc_dl_day(w->dl, "tenderDeadlineEarliest", inv->day + min);
    if (PROC_DIRECTIVE_APPLIES(w) && td->day - inv->day < min)
        proc_issue(w->is, "dir2009-81/art33-min-time-tenders", field,
                   "tenders need at least %d days from the invitation of %.10s%s%s%s: %.10s gives %lld; the earliest "
                   "allowed deadline is %s",
                   min, inv->text, acc ? " (accelerated)" : "", pin ? " (after a prior information notice)" : "",
                   ed ? " (electronic access to documents)" : "", td->text, (long long)(td->day - inv->day), earliest);
}

/* ---- tender: the contract notice (call for requests to participate) ---- */

int proc_step_tender(struct proc_work *w)
{
    struct proc_date rd;
    json_t *tender, *def;

    body_deadline(w, "requestsDeadline", &rd);
    proc_fact_set_bool(w->p, "electronicNotice", proc_jbool(w->body, "electronicNotice"));
    proc_fact_set_bool(w->p, "electronicDocuments", proc_jbool(w->body, "electronicDocuments"));
    proc_fact_set_bool(w->p, "pin", proc_jbool(w->body, "priorInformationNotice"));
    proc_fact_set_bool(w->p, "accelerated", proc_jbool(w->body, "accelerated"));
    if (proc_jbool(w->body, "accelerated") && !proc_jstr(w->body, "urgencyJustification"))
        proc_issue(w->is, "dir2009-81/art33-urgency", "/urgencyJustification",
                   "accelerated time limits need the reason of urgency");
    if (deadline_after_act(w, &rd, "/requestsDeadline"))
        check_requests_deadline(w, &w->date, &rd, "/requestsDeadline");
    proc_fact_set_str(w->p, "noticeDate", w->date.text);
    proc_fact_set_str(w->p, "requestsDeadline", rd.text);
    tender = proc_jobj(w->p->doc, "tender");
    json_object_set_new(tender, "status", json_string("active"));
    json_object_set_new(tender, "participationRequestPeriod",
                        json_pack("{s:s,s:s}", "startDate", w->date.text, "endDate", rd.text));
    if (proc_jstr(w->body, "description"))
        json_object_set(tender, "description", json_object_get(w->body, "description"));
    json_object_set_new(tender, "submissionMethod", json_pack("[s]", proc_jbool(w->body, "electronicDocuments")
                                                                         ? "electronicSubmission"
                                                                         : "written"));
    def = proc_jobj(tender, "defence");
    json_object_set_new(def, "accelerated", json_boolean(proc_jbool(w->body, "accelerated")));
    if (proc_jstr(w->body, "urgencyJustification"))
        json_object_set(def, "urgencyJustification", json_object_get(w->body, "urgencyJustification"));
    w->tag = "tender";
    w->next = PROC_S_REQUESTS;
    return 0;
}

/* ---- invitation: candidates selected and invited to tender --------------- */

int proc_step_invitation(struct proc_work *w)
{
    struct proc_date rd, td;
    json_t *cands = json_object_get(w->body, "candidates"), *c, *known = json_object();
    json_t *tender;
    size_t i, n;

    if (w->p->state == PROC_S_REQUESTS && proc_fact_date(w->p, "requestsDeadline", &rd) == 0 && w->date.t < rd.t)
        proc_issue(w->is, "lifecycle/invitation-before-requests-deadline", "/date",
                   "candidates can be invited once requests to participate have closed (%s)", rd.text);
    json_array_foreach(cands, i, c) {
        if (json_object_get(known, proc_jstr(c, "id"))) {
            char at[32];
            snprintf(at, sizeof at, "/candidates/%zu/id", i);
            proc_issue(w->is, NULL, at, "candidate %.64s is listed twice", proc_jstr(c, "id"));
        }
        json_object_set(known, proc_jstr(c, "id"), json_object_get(c, "name"));
    }
    n = json_object_size(known);
    if (PROC_DIRECTIVE_APPLIES(w) && (int)n < w->tr->min_candidates && !proc_jbool(w->body, "insufficientCandidates"))
        proc_issue(w->is, "dir2009-81/art38-min-candidates", "/candidates",
                   "at least %d candidates are invited (%zu given); set insufficientCandidates if fewer suitable "
                   "candidates applied", w->tr->min_candidates, n);
    if (proc_jbool(w->body, "electronicDocuments"))
        proc_fact_set_bool(w->p, "electronicDocuments", 1);
    body_deadline(w, "tenderDeadline", &td);
    if (deadline_after_act(w, &td, "/tenderDeadline"))
        check_tender_deadline(w, &w->date, &td, "/tenderDeadline");
    proc_fact_set_str(w->p, "invitationDate", w->date.text);
    proc_fact_set_str(w->p, "tenderDeadline", td.text);
    json_object_set_new(w->p->facts, "candidates", known);
    json_array_foreach(cands, i, c)
        proc_party_role(w->p->doc, proc_jstr(c, "id"), proc_jstr(c, "name"), "candidate");
    tender = proc_jobj(w->p->doc, "tender");
    json_object_set_new(tender, "status", json_string("active"));
    json_object_set_new(tender, "tenderPeriod", json_pack("{s:s,s:s}", "startDate", w->date.text, "endDate", td.text));
    json_object_set_new(tender, "numberOfTenderers", json_integer((json_int_t)n));
    w->tag = w->p->state == PROC_S_PLANNING ? "tender" : "tenderUpdate";
    w->next = PROC_S_TENDERING;
    return 0;
}

/* The deadline running in the current state. */
static int running_deadline(const struct proc_work *w, struct proc_date *d)
{
    return proc_fact_date(w->p, w->p->state == PROC_S_REQUESTS ? "requestsDeadline" : "tenderDeadline", d);
}

/* ---- amendments of the tender --------------------------------------------- */

int proc_step_amendments(struct proc_work *w)
{
    struct proc_date dl, nd, from;
    json_t *tender = proc_jobj(w->p->doc, "tender"), *am;
    int64_t n = proc_fact_int(w->p, "nAmend", 0) + 1;
    char id[32];

    if (running_deadline(w, &dl) == 0 && w->date.t >= dl.t)
        proc_issue(w->is, "lifecycle/amend-after-deadline", "/date", "the running deadline (%s) has passed", dl.text);
    if (body_deadline(w, "requestsDeadline", &nd) == 0) {
        if (w->p->state != PROC_S_REQUESTS)
            proc_issue(w->is, NULL, "/requestsDeadline", "requests to participate have closed already");
        else if (proc_fact_date(w->p, "noticeDate", &from) == 0 && deadline_after_act(w, &nd, "/requestsDeadline")) {
            check_requests_deadline(w, &from, &nd, "/requestsDeadline");
            proc_fact_set_str(w->p, "requestsDeadline", nd.text);
            json_object_set_new(proc_jobj(tender, "participationRequestPeriod"), "endDate", json_string(nd.text));
        }
    }
    if (body_deadline(w, "tenderDeadline", &nd) == 0) {
        if (w->p->state != PROC_S_TENDERING)
            proc_issue(w->is, NULL, "/tenderDeadline", "there is no tender deadline before the invitation");
        else if (proc_fact_date(w->p, "invitationDate", &from) == 0 && deadline_after_act(w, &nd, "/tenderDeadline")) {
            check_tender_deadline(w, &from, &nd, "/tenderDeadline");
            proc_fact_set_str(w->p, "tenderDeadline", nd.text);
            json_object_set_new(proc_jobj(tender, "tenderPeriod"), "endDate", json_string(nd.text));
        }
    }
    if (proc_jstr(w->body, "description"))
        json_object_set(tender, "description", json_object_get(w->body, "description"));
    snprintf(id, sizeof id, "amendment-%lld", (long long)n);
    am = json_pack("{s:s,s:s,s:O}", "id", id, "date", w->date.text, "rationale", json_object_get(w->body, "rationale"));
    json_array_append_new(proc_jarr(tender, "amendments"), am);
    proc_fact_set_int(w->p, "nAmend", n);
    w->tag = "tenderAmendment";
    return 0;
}

/* ---- clarifications (additional information) ----------------------------- */

int proc_step_clarifications(struct proc_work *w)
{
    struct proc_date dl, q;
    int acc = proc_jbool(w->p->facts, "accelerated");
    int before = acc ? w->r->lim.additional_info_urgent : w->r->lim.additional_info;
    int64_t n = proc_fact_int(w->p, "nEnquiry", 0) + 1;
    char id[32], by[11];
    json_t *e;

    if (running_deadline(w, &dl) == 0) {
        if (w->date.t >= dl.t)
            proc_issue(w->is, "lifecycle/amend-after-deadline", "/date", "the running deadline (%s) has passed",
                       dl.text);
        else if (w->p->state == PROC_S_TENDERING && PROC_DIRECTIVE_APPLIES(w) && dl.day - w->date.day < before) {
            proc_day_format(dl.day - before, by);
            proc_issue(w->is, "dir2009-81/art33-additional-information", "/date",
                       "additional information must reach candidates at least %d days before the tender deadline "
                       "(%.10s), i.e. by %s; extend the deadline with an amendment first",
                       before, dl.text, by);
        }
    }
    snprintf(id, sizeof id, "enquiry-%lld", (long long)n);
    e = json_pack("{s:s,s:s,s:O,s:O,s:s}", "id", id, "date",
                  proc_body_date(w, "questionDate", &q) == 0 ? q.text : w->date.text, "description",
                  json_object_get(w->body, "question"), "answer", json_object_get(w->body, "answer"), "dateAnswered",
                  w->date.text);
    json_array_append_new(proc_jarr(proc_jobj(w->p->doc, "tender"), "enquiries"), e);
    proc_fact_set_int(w->p, "nEnquiry", n);
    w->tag = "tenderUpdate";
    return 0;
}

/* ---- bids ----------------------------------------------------------------- */

static void bid_one(struct proc_work *w, const json_t *b, size_t i, struct proc_date *td, struct proc_date *inv,
                    json_t *fbids)
{
    const char *id = proc_jstr(b, "id");
    const json_t *t = json_object_get(b, "tenderer");
    const char *tid = proc_jstr(t, "id");
    const char *status = proc_jstr(b, "status") ? proc_jstr(b, "status") : "valid";
    struct proc_date bd;
    char at[48];

    snprintf(at, sizeof at, "/bids/%zu", i);
    if (json_object_get(fbids, id))
        proc_issue(w->is, "lifecycle/duplicate-id", at, "bid id %.64s is already recorded", id);
    if (!json_object_get(json_object_get(w->p->facts, "candidates"), tid))
        proc_issue(w->is, "lifecycle/bid-from-uninvited", at, "%.128s was not invited to tender", tid);
    proc_body_date(&(struct proc_work){ .body = b }, "date", &bd);
    if (bd.t > td->t && !strcmp(status, "valid"))
        proc_issue(w->is, "lifecycle/bid-after-deadline", at, "received %s, after the tender deadline %s; record it "
                   "as disqualified or not at all", bd.text, td->text);
    if (bd.t < inv->t)
        proc_issue(w->is, "lifecycle/chronology", at, "received %s, before the invitation %s", bd.text, inv->text);
    json_object_set_new(fbids, id, json_pack("{s:s,s:O,s:s,s:I}", "tendererId", tid, "tendererName",
                                             json_object_get(t, "name"), "status", status, "cents",
                                             (json_int_t)proc_jcents(b, "value")));
    json_array_append_new(proc_jarr(proc_jobj(w->p->doc, "bids"), "details"),
                          json_pack("{s:s,s:s,s:s,s:[{s:s,s:O}],s:O}", "id", id, "date", bd.text, "status", status,
                                    "tenderers", "id", tid, "name", json_object_get(t, "name"), "value",
                                    json_object_get(b, "value")));
    proc_party_role(w->p->doc, tid, proc_jstr(t, "name"), "tenderer");
}

int proc_step_bids(struct proc_work *w)
{
    struct proc_date td, inv;
    json_t *fbids = proc_jobj(w->p->facts, "bids"), *b;
    size_t i;

    proc_fact_date(w->p, "tenderDeadline", &td);
    proc_fact_date(w->p, "invitationDate", &inv);
    if (w->date.t <= td.t)
        proc_issue(w->is, "lifecycle/bids-before-opening", "/date", "bids are published only after the tender "
                   "deadline (%s)", td.text);
    json_array_foreach(json_object_get(w->body, "bids"), i, b)
        bid_one(w, b, i, &td, &inv, fbids);
    json_object_set_new(proc_jobj(w->p->doc, "tender"), "numberOfTenderers",
                        json_integer((json_int_t)json_object_size(fbids)));
    w->tag = "tenderUpdate";
    return 0;
}

