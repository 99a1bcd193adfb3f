/*
 * proc_rules.c - reading the rules table: which rule set applies on a
 * date, thresholds, procedure types, grounds, minimum time limits, and
 * the table as JSON for GET /api/v1/rules.
 *
 * Invariant: every number a check uses comes from a struct proc_rules;
 * nothing in this file or in proc_machine.c hard-codes a day count or an
 * amount.
 */
#include "common.h"
#include "proc/proc.h"

static int64_t day_of(const char *ymd)
{
    struct proc_date d;
    if (!ymd || proc_date_parse(ymd, &d, NULL) < 0)
        return INT64_MIN;
    return d.day;
}

void proc_rules_key(const struct proc_rules *r, char *out, size_t n)
{
    snprintf(out, n, "%s@%s", r->id, r->version);
}

const struct proc_rules *proc_rules_for(int64_t day)
{
    const struct proc_rules *const *all = proc_rules_all();
    const struct proc_rules *best = NULL;
    size_t i;

    for (i = 0; all[i]; i++) {
        if (day < day_of(all[i]->valid_from))
            continue;
        if (all[i]->valid_to && day > day_of(all[i]->valid_to))
            continue;
        best = all[i]; /* later entries supersede earlier ones */
    }
    return best;
}

const struct proc_rules *proc_rules_by_key(const char *key)
{
    const struct proc_rules *const *all = proc_rules_all();
    char k[64];
    size_t i;

    for (i = 0; key && all[i]; i++) {
        proc_rules_key(all[i], k, sizeof k);
        if (!strcmp(k, key))
            return all[i];
    }
    return NULL;
}

const struct proc_type_rule *proc_rules_type(const struct proc_rules *r, const char *name)
{
    size_t i;
    for (i = 0; name && i < r->ntypes; i++)
        if (!strcmp(r->types[i].name, name))
            return &r->types[i];
    return NULL;
}

const struct proc_type_rule *proc_rules_type_of(const struct proc_rules *r, enum proc_type t)
{
    size_t i;
    for (i = 0; i < r->ntypes; i++)
        if (r->types[i].type == t)
            return &r->types[i];
    return NULL;
}

const struct proc_ground *proc_rules_ground(const struct proc_rules *r, const char *code)
{
    size_t i;
    for (i = 0; code && i < r->ngrounds; i++)
        if (!strcmp(r->grounds[i].code, code))
            return &r->grounds[i];
    return NULL;
}

const struct proc_rule_ref *proc_rules_ref(const struct proc_rules *r, const char *id)
{
    size_t i;
    for (i = 0; id && i < r->nrefs; i++)
        if (!strcmp(r->refs[i].id, id))
            return &r->refs[i];
    return NULL;
}

int proc_category_parse(const char *s, enum proc_category *out)
{
    if (s && !strcmp(s, "goods"))
        *out = PROC_GOODS;
    else if (s && !strcmp(s, "works"))
        *out = PROC_WORKS;
    else if (s && !strcmp(s, "services"))
        *out = PROC_SERVICES;
    else
        return -1;
    return 0;
}

int64_t proc_rules_threshold(const struct proc_rules *r, int64_t day, enum proc_category c,
                             const struct proc_threshold **th)
{
    size_t i;
    if (th)
        *th = NULL;
    for (i = 0; i < r->nthresholds; i++) {
        const struct proc_threshold *t = &r->thresholds[i];
        if (day >= day_of(t->from) && day <= day_of(t->to)) {
            if (th)
                *th = t;
            return c == PROC_WORKS ? t->works_eur : t->supplies_services_eur;
        }
    }
    return -1;
}

int proc_min_requests_days(const struct proc_rules *r, int electronic_notice, int accelerated)
{
    if (accelerated)
        return electronic_notice ? r->lim.requests_urgent_electronic : r->lim.requests_urgent;
    return r->lim.requests - (electronic_notice ? r->lim.requests_electronic_cut : 0);
}

int proc_min_tender_days(const struct proc_rules *r, int electronic_docs, int pin, int accelerated)
{
    int d;
    if (accelerated)
        return r->lim.tenders_urgent;
    d = pin ? r->lim.tenders_pin : r->lim.tenders;
    if (electronic_docs)
        d -= r->lim.tenders_electronic_cut;
    return d < r->lim.tenders_floor ? r->lim.tenders_floor : d;
}

static json_t *categories_json(unsigned c)
{
    json_t *a = json_array();
    if (c & PROC_GOODS)
        json_array_append_new(a, json_string("goods"));
    if (c & PROC_WORKS)
        json_array_append_new(a, json_string("works"));
    if (c & PROC_SERVICES)
        json_array_append_new(a, json_string("services"));
    return a;
}

static json_t *limits_json(const struct proc_limits *l)
{
    return json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i}", "requests", l->requests,
                     "requestsElectronicReduction", l->requests_electronic_cut, "requestsUrgent", l->requests_urgent,
                     "requestsUrgentElectronic", l->requests_urgent_electronic, "tenders", l->tenders,
                     "tendersAfterPriorInformationNotice", l->tenders_pin, "tendersFloor", l->tenders_floor,
                     "tendersElectronicAccessReduction", l->tenders_electronic_cut, "tendersUrgent",
                     l->tenders_urgent, "additionalInformationDaysBefore", l->additional_info,
                     "additionalInformationDaysBeforeUrgent", l->additional_info_urgent, "awardNoticeWithin",
                     l->award_notice, "standstillElectronic", l->standstill_electronic, "standstillOther",
                     l->standstill_other, "additionalWorksCapPercent", l->additional_works_cap_pct);
}

json_t *proc_rules_json(const struct proc_rules *r)
{
    json_t *o, *a;
    size_t i;
    char key[64];

    proc_rules_key(r, key, sizeof key);
    o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s?,s:s}", "key", key, "id", r->id, "version", r->version, "title",
                  r->title, "validFrom", r->valid_from, "validTo", r->valid_to, "source", r->source);
    a = json_array();
    for (i = 0; i < r->nthresholds; i++) {
        const struct proc_threshold *t = &r->thresholds[i];
        json_array_append_new(a, json_pack("{s:s,s:s,s:I,s:I,s:s,s:s,s:b}", "from", t->from, "to", t->to,
                                           "suppliesAndServices", (json_int_t)t->supplies_services_eur, "works",
                                           (json_int_t)t->works_eur, "currency", "EUR", "source", t->source,
                                           "provisional", t->provisional));
    }
    json_object_set_new(o, "thresholds", a);
    a = json_array();
    for (i = 0; i < r->ntypes; i++) {
        const struct proc_type_rule *t = &r->types[i];
        json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:b,s:b,s:i,s:b,s:b}", "name", t->name, "article",
                                           t->article, "procurementMethod", t->ocds_method, "contractNotice",
                                           t->contract_notice, "article28GroundRequired", t->needs_ground,
                                           "minCandidates", t->min_candidates, "tenderTimeLimit",
                                           t->tender_time_limit, "standstill", t->standstill));
    }
    json_object_set_new(o, "procedures", a);
    a = json_array();
    for (i = 0; i < r->ngrounds; i++)
        json_array_append_new(a, json_pack("{s:s,s:s,s:o,s:s}", "code", r->grounds[i].code, "article", r->grounds[i].article, "categories",
                                           categories_json(r->grounds[i].categories), "summary",
                                           r->grounds[i].summary));
    json_object_set_new(o, "article28Grounds", a);
    json_object_set_new(o, "timeLimitsDays", limits_json(&r->lim));
    a = json_array();
    for (i = 0; i < r->nrefs; i++)
        json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "id", r->refs[i].id, "article", r->refs[i].article,
                                           "summary", r->refs[i].summary));
    json_object_set_new(o, "rules", a);
    return o;
}
