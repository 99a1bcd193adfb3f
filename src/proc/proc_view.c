/*
 * proc_view.c - what a procedure looks like to its officer: the legal
 * deadlines computed from its facts and rule set, what is due next and
 * when, the allowed steps and the pending withheld declarations.
 *
 * Invariant: views only read the procedure; every number comes from the
 * rule set the procedure started under.
 */
#include "common.h"
#include "proc/proc_int.h"

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

/* The first day on which something may follow deadline d (a bare
 * deadline runs to 23:59:59 of its day, so that is the next day). */
static void day_after(const struct proc_date *d, char date[11])
{
    int64_t t = d->t + 1;
    proc_day_format(t >= 0 ? t / 86400 : (t - 86399) / 86400, date);
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
        *step = proc_step_allowed(p, PROC_STEP_TENDER, NULL) == 0 ? "tender" : "invitation";
        if (proc_fact_date(p, "plannedNoticeDate", &d) == 0) {
            proc_day_format(d.day, date);
            *kind = "planned";
        }
        return 0;
    case PROC_S_REQUESTS:
        *step = "invitation";
        if (proc_fact_date(p, "requestsDeadline", &d) == 0) {
            day_after(&d, date);
            *kind = "notBefore";
        }
        return 0;
    case PROC_S_TENDERING:
        *step = json_object_size(json_object_get(p->facts, "bids")) ? "award" : "bids";
        if (proc_fact_date(p, "tenderDeadline", &d) == 0) {
            day_after(&d, date);
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
