/*
 * proc_int.h - internals shared by proc_machine.c, proc_steps.c and
 * proc_release.c (not for other modules: they use proc.h).
 */
#ifndef BELFRY_PROC_INT_H
#define BELFRY_PROC_INT_H

#include "proc/proc.h"

/* One step being applied to a working copy of a procedure. */
struct proc_work {
    struct proc *p;                   /* the working copy */
    const json_t *body;
    int64_t now;
    struct proc_date date;            /* the act's date (body "date" or now) */
    const struct proc_rules *r;
    const struct proc_type_rule *tr;
    json_t *dl;                       /* deadlines computed by the step */
    struct proc_issues *is;
    const char *tag;                  /* release tag */
    const char *tag2;                 /* optional second tag */
    enum proc_state next;             /* state after the step */
    json_t *disclosed;                /* withheld entries this step discloses (owned) */
};

/* The act's date: the body's "date" or now; issues if earlier than the
 * last release or more than a day ahead of the clock (proc_machine.c). */
void proc_step_date(struct proc_work *w);

/* Step implementations (proc_steps_*.c): add issues and/or mutate w->p. */
int proc_step_tender(struct proc_work *w);
int proc_step_invitation(struct proc_work *w);
int proc_step_amendments(struct proc_work *w);
int proc_step_clarifications(struct proc_work *w);
int proc_step_bids(struct proc_work *w);
int proc_step_award(struct proc_work *w);
int proc_step_contract(struct proc_work *w);
int proc_step_milestones(struct proc_work *w);
int proc_step_transactions(struct proc_work *w);
int proc_step_amendment(struct proc_work *w);
int proc_step_termination(struct proc_work *w);
int proc_step_cancellation(struct proc_work *w);
int proc_step_disclosure(struct proc_work *w);

/* JSON helpers (proc_machine.c). */
const char *proc_jstr(const json_t *o, const char *key);
int proc_jbool(const json_t *o, const char *key);
/* Amount in cents of {"amount": x} member key of o; -1 if absent. */
int64_t proc_jcents(const json_t *o, const char *key);
/* Member key of o (an object), created as an empty object/array if absent. */
json_t *proc_jobj(json_t *o, const char *key);
json_t *proc_jarr(json_t *o, const char *key);
/* The step body's date member key: 0 and *d, or -1 if absent or not a date. */
int proc_body_date(const struct proc_work *w, const char *key, struct proc_date *d);
/* Whether Directive 2009/81/EC governs the procedure (at or above the
 * threshold): Directive-only rules are skipped when it does not. */
#define PROC_DIRECTIVE_APPLIES(w) proc_jbool((w)->p->facts, "directiveApplies")
/* A fact that is a date: 0 and *d, or -1 if unset. */
int proc_fact_date(const struct proc *p, const char *key, struct proc_date *d);
void proc_fact_set_str(struct proc *p, const char *key, const char *v);
void proc_fact_set_int(struct proc *p, const char *key, int64_t v);
void proc_fact_set_bool(struct proc *p, const char *key, int v);
int64_t proc_fact_int(const struct proc *p, const char *key, int64_t dflt);
/* EUR amount object {"amount": cents/100, "currency": "EUR"}. */
json_t *proc_amount(int64_t cents);
/* "YYYY-MM-DD" of a day into the deadlines object. */
void proc_dl_day(json_t *dl, const char *name, int64_t day);
/* Adds roles to the party with id (creating it with name). */
void proc_party_role(json_t *doc, const char *id, const char *name, const char *role);

/* Copies of body objects with each date member (startDate, endDate,
 * dueDate, dateMet) normalised to RFC 3339 date-time. */
json_t *proc_dates_normalised(const json_t *obj);

/* Linked withheld fields (proc_groups.c): families of fields that tell
 * each other (the award value: bids, contract value, payments; the
 * winner: suppliers, related bid, payees). */
/* "value", "winner" or NULL. */
const char *proc_group_of(const char *path);
/* The canonical withheld path: "/awards/0/suppliers" (an array, which
 * cannot be withheld) becomes its first member "/awards/0/suppliers/0". */
const char *proc_group_path(const char *path);
int proc_group_active(const struct proc *p, const char *name);
/* Activates the groups of the declared withheld paths (at creation). */
void proc_groups_init(struct proc *p);
/* Adds a withheld entry for every existing member of an active group. */
void proc_groups_sync(struct proc *p);
/* paths plus every pending member of the groups they belong to; the
 * groups are deactivated (disclosed). *winner_disclosed is set when the
 * winner group was among them. Caller owns the result. */
json_t *proc_groups_expand(struct proc *p, const json_t *paths, int *winner_disclosed);

/* Release building (proc_release.c). */
/* disclosed (may be NULL): withheld entries marked {"disclosed": true}
 * that this release opens (ocds_disclose adds salt and commitment). */
json_t *proc_release_build(const struct proc *p, const char *date, const char *tag, const char *tag2,
                           const json_t *disclosed);
/* RFC 6901 resolution in v; NULL if absent. */
json_t *proc_pointer_get(const json_t *v, const char *ptr);
/* 1 if ptr is a syntactically valid pointer that may be withheld. */
int proc_pointer_withholdable(const char *ptr);

#endif
