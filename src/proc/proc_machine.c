/*
 * proc_machine.c - the procedure state machine: which steps each state
 * allows, applying a step to a working copy and committing it only when
 * no issue was found, and the procedure's private state as JSON.
 * (Starting a procedure: proc_create.c; views: proc_view.c; the steps:
 * proc_steps_tender.c and proc_steps_contract.c.)
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
 * transactions {id: cents}, title, nAmend, nEnquiry, nContractAmend,
 * lastReleaseId, groups {value|winner: {reason, disclosureDate}}
 * (proc_groups.c).
 */
#include "common.h"
#include "proc/proc_int.h"

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
void proc_step_date(struct proc_work *w)
{
    const char *s = proc_jstr(w->body, "date");
    struct proc_date last;

    if (s)
        proc_date_parse(s, &w->date, NULL); /* shape checked by proc_body_parse */
    else
        proc_date_now(w->now, &w->date);
    if (w->date.t > w->now + 86400)
        proc_issue(w->is, "lifecycle/date-in-future", "/date", "%s is more than a day ahead of today", w->date.text);
    if (!w->p || !w->p->facts || proc_fact_date(w->p, "lastDate", &last) < 0)
        return;
    /* A bare date on the day of the last release means "that day", not
     * its midnight: the act is dated with the last release's instant, so
     * releases stay in order. */
    if (proc_date_is_bare(s) && w->date.day == last.day && w->date.t < last.t) {
        int64_t day = w->date.day;
        w->date = last;
        w->date.day = day;
    }
    if (w->date.t < last.t)
        proc_issue(w->is, "lifecycle/chronology", "/date", "%s is earlier than the procedure's last release (%s)",
                   w->date.text, last.text);
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
    proc_step_date(&w);
    TRANSITIONS[step].fn(&w);
    if (is->n)
        goto out;
    proc_groups_sync(&work);
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

