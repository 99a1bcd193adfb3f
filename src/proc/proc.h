/*
 * proc.h - the buyer lifecycle: a procurement procedure driven step by
 * step by an officer, checked against Directive 2009/81/EC rules that are
 * data (a versioned table, rules_2009_81.c), each step yielding one OCDS
 * release published through ocds_publish.
 *
 * Layers (each usable alone, so the state machine is unit-testable and
 * fuzzable without a server):
 *   proc_date.c     calendar dates and day arithmetic
 *   rules_2009_81.c the rules table (thresholds per period, procedures,
 *                   Art. 28 grounds, time limits, rule ids)
 *   proc_rules.c    lookups and deadline computation over the table
 *   proc_body.c     the step request parser: JSON text -> checked body
 *   proc_issue.c    what a refused step reports
 *   proc_machine.c  states, allowed steps, applying a step, persistence
 *   proc_create.c   starting a procedure
 *   proc_steps_tender.c, proc_steps_contract.c  what each step checks
 *   proc_view.c     deadlines, next due, the officer's view
 *   proc_release.c  building the OCDS release of a step
 *   proc_groups.c   linked withheld fields (the award value, the winner)
 *   proc_json.c     JSON helpers (proc_int.h)
 *   proc_svc.c      load, decide, store, publish (proc_svc.h)
 *   proc_http.c     /api/v1/procedures..., /api/v1/rules (proc_mount)
 *   src/store/sqlite_proc.c  the procedures table (proc_store.h)
 *   src/cli/cmd_proc.c       `belfry proc`
 *
 * Procedure lifecycle (states, and the steps that leave them):
 *   planning   --tender-->      requests    (published procedures)
 *   planning   --invitation-->  tendering   (negotiated without publication)
 *   requests   --invitation-->  tendering   (candidates selected)
 *   tendering  --award-->       awarded
 *   awarded    --contract-->    contracted
 *   contracted --transactions{final}--> complete
 *   contracted --termination--> terminated
 *   planning|requests|tendering|awarded --cancellation--> cancelled
 * and steps that keep the state: amendments and clarifications
 * (requests, tendering), bids (tendering), milestones, transactions,
 * amendment (contracted), disclosure (any state).
 *
 * Errors: a refused step is described by struct proc_issues: each issue
 * names the field and, for a rule violation, the rule id (e.g.
 * "dir2009-81/art33-min-time-tenders"); input errors are BF_EINVAL (400),
 * rule and state violations BF_ECONFLICT (409).
 *
 * JSON values are jansson json_t; ownership as in ocds.h (no stolen
 * references; out-parameters are owned by the caller).
 */
#ifndef BELFRY_PROC_H
#define BELFRY_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct bf_err;
struct app;

/* ---- dates (proc_date.c) --------------------------------------------- */

/* A parsed date: the calendar day as written (days since 1970-01-01, in
 * the date's own offset, which is the day the law counts) and the instant
 * (Unix seconds, UTC). Accepted forms: "YYYY-MM-DD" (midnight UTC) and
 * RFC 3339 "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)". */
struct proc_date {
    int64_t day;
    int64_t t;
    char text[40];      /* normalised RFC 3339 text for OCDS, e.g. "2025-01-10T00:00:00Z" */
};

int proc_date_parse(const char *s, struct proc_date *out, struct bf_err *err);
/* For deadlines: a bare "YYYY-MM-DD" is the end of that day
 * ("YYYY-MM-DDT23:59:59Z"), as a period in days ends with the last hour
 * of its last day (Regulation 1182/71 Art. 3(2)(b)); full date-times are
 * taken as written. */
int proc_date_parse_deadline(const char *s, struct proc_date *out, struct bf_err *err);
/* 1 if s is a bare "YYYY-MM-DD" (no time). */
int proc_date_is_bare(const char *s);
/* Days since 1970-01-01 of a civil date, and back ("YYYY-MM-DD" into out[11]). */
int64_t proc_days_from_civil(int y, unsigned m, unsigned d);
void proc_day_format(int64_t day, char out[11]);
/* Now as a proc_date (UTC). */
void proc_date_now(int64_t t, struct proc_date *out);

/* ---- the rules table (rules_2009_81.c, proc_rules.c) ------------------ */

enum proc_type {
    PROC_RESTRICTED = 1,
    PROC_NEGOTIATED_PUB,
    PROC_DIALOGUE,
    PROC_NEGOTIATED_NOPUB,
};

enum proc_category { PROC_GOODS = 1, PROC_WORKS = 2, PROC_SERVICES = 4 };

struct proc_threshold {
    const char *from, *to;          /* "YYYY-MM-DD", inclusive */
    int64_t supplies_services_eur;  /* excluding VAT */
    int64_t works_eur;
    const char *source;             /* the Delegated Regulation */
    int provisional;                /* figures still to be confirmed */
};

struct proc_ground {
    const char *code;               /* "art28-1c" (ext/defence art28Ground codelist) */
    const char *article;            /* "Art. 28(1)(c)" */
    unsigned categories;            /* PROC_GOODS|PROC_WORKS|PROC_SERVICES it may be used for */
    const char *summary;
};

struct proc_type_rule {
    enum proc_type type;
    const char *name;               /* "restricted", ... (tender.defence.procedure) */
    const char *article;            /* "Art. 25" */
    const char *ocds_method;        /* tender.procurementMethod */
    const char *details;            /* tender.procurementMethodDetails */
    int contract_notice;            /* published with a call for competition */
    int needs_ground;               /* Art. 28 ground required */
    int min_candidates;             /* Art. 38(3) */
    int tender_time_limit;          /* Art. 33(3) 40-day limit applies */
    int standstill;                 /* Art. 57 standstill applies */
};

struct proc_limits {
    int requests;                   /* 37 */
    int requests_electronic_cut;    /* 7 */
    int requests_urgent;            /* 15 */
    int requests_urgent_electronic; /* 10 */
    int tenders;                    /* 40 */
    int tenders_pin;                /* 36 after a prior information notice */
    int tenders_floor;              /* 22: never below, whatever the reductions */
    int tenders_electronic_cut;     /* 5 */
    int tenders_urgent;             /* 10 */
    int additional_info;            /* 6 days before the tender deadline */
    int additional_info_urgent;     /* 4 */
    int award_notice;               /* 48 days after the award of the contract */
    int standstill_electronic;      /* 10 */
    int standstill_other;           /* 15 */
    int additional_works_cap_pct;   /* 50 */
};

/* One rule as cited in errors and listed by GET /api/v1/rules. */
struct proc_rule_ref {
    const char *id;                 /* "dir2009-81/art33-min-time-tenders" */
    const char *article;            /* "Art. 33(3)" */
    const char *summary;
};

struct proc_rules {
    const char *id;                 /* "dir2009-81" */
    const char *version;            /* "2024.1" */
    const char *title;
    const char *valid_from, *valid_to; /* procedures started in [from, to]; to NULL = open */
    const char *source;
    const struct proc_threshold *thresholds;
    size_t nthresholds;
    const struct proc_type_rule *types;
    size_t ntypes;
    const struct proc_ground *grounds;
    size_t ngrounds;
    struct proc_limits lim;
    const struct proc_rule_ref *refs;
    size_t nrefs;
};

/* Every rule set, oldest first, NULL-terminated. */
const struct proc_rules *const *proc_rules_all(void);
/* The rule set in force on day (days since epoch), or NULL. */
const struct proc_rules *proc_rules_for(int64_t day);
/* The rule set with that "id@version" (as stored with a procedure), or NULL. */
const struct proc_rules *proc_rules_by_key(const char *key);
/* "id@version" into out. */
void proc_rules_key(const struct proc_rules *r, char *out, size_t n);

const struct proc_type_rule *proc_rules_type(const struct proc_rules *r, const char *name);
const struct proc_type_rule *proc_rules_type_of(const struct proc_rules *r, enum proc_type t);
const struct proc_ground *proc_rules_ground(const struct proc_rules *r, const char *code);
const struct proc_rule_ref *proc_rules_ref(const struct proc_rules *r, const char *id);
/* The threshold in force on day for the category, or -1 if no period
 * covers the day. *th gets the period (may be NULL). */
int64_t proc_rules_threshold(const struct proc_rules *r, int64_t day, enum proc_category c,
                             const struct proc_threshold **th);
int proc_category_parse(const char *s, enum proc_category *out);

/* Minimum days between the contract notice and the deadline for requests
 * to participate (Art. 33(2), (4) and (7)). */
int proc_min_requests_days(const struct proc_rules *r, int electronic_notice, int accelerated);
/* Minimum days between the invitation and the tender deadline, restricted
 * procedure (Art. 33(3), (5), (6), (7)). */
int proc_min_tender_days(const struct proc_rules *r, int electronic_docs, int pin, int accelerated);

/* The whole table as JSON (for GET /api/v1/rules). */
json_t *proc_rules_json(const struct proc_rules *r);

/* ---- issues (what a refused step reports) ------------------------------ */

#define PROC_MAX_ISSUES 16

struct proc_issue {
    const char *rule;   /* rule id (static) or NULL for an input error */
    char field[64];     /* JSON pointer into the request body, "" if none */
    char msg[320];
};

struct proc_issues {
    int n;
    int conflicts;      /* issues with a rule */
    struct proc_issue v[PROC_MAX_ISSUES];
};

void proc_issue(struct proc_issues *is, const char *rule, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* BF_ECONFLICT if any issue names a rule, else BF_EINVAL; 0 if none. */
int proc_issues_code(const struct proc_issues *is);
/* [{"field":..,"rule":..,"message":..}, ...] */
json_t *proc_issues_json(const struct proc_issues *is);

/* ---- steps and the request parser (proc_body.c) ------------------------ */

enum proc_step {
    PROC_STEP_CREATE = 0,
    PROC_STEP_TENDER,
    PROC_STEP_INVITATION,
    PROC_STEP_AMENDMENTS,      /* tender amendment */
    PROC_STEP_CLARIFICATIONS,
    PROC_STEP_BIDS,
    PROC_STEP_AWARD,
    PROC_STEP_CONTRACT,
    PROC_STEP_MILESTONES,
    PROC_STEP_TRANSACTIONS,
    PROC_STEP_AMENDMENT,       /* contract amendment */
    PROC_STEP_TERMINATION,
    PROC_STEP_CANCELLATION,
    PROC_STEP_DISCLOSURE,
    PROC_NSTEPS
};

/* URL name of a step ("tender", "amendments", ...; "create" for 0). */
const char *proc_step_name(enum proc_step s);
/* -1 if unknown. */
int proc_step_parse(const char *name);

/* Bodies are bounded: PROC_BODY_MAX bytes, nesting PROC_BODY_DEPTH,
 * PROC_MAX_LIST entries in any array, strings PROC_TEXT_MAX bytes. */
#define PROC_BODY_MAX (256 * 1024)
#define PROC_BODY_DEPTH 8
#define PROC_MAX_LIST 200
#define PROC_TEXT_MAX 10000

/* Parses and checks a step's request body against the step's field table
 * (types, required fields, unknown fields, lengths, enums, dates, EUR
 * amounts). On success *out is the body object (caller owns). On failure
 * the issues say what and where and the return is BF_EINVAL (BF_ELIMIT
 * for size or depth). */
int proc_body_parse(enum proc_step step, const char *text, size_t len, json_t **out, struct proc_issues *is);

/* Summary of a step's body for the route table and forms:
 * {"field": "type, required?, description", ...}. */
json_t *proc_body_schema(enum proc_step step);
/* The same field table as a JSON Schema (draft 2020-12, for OpenAPI 3.1):
 * types, required members, no additional properties, enums, lengths. */
json_t *proc_body_json_schema(enum proc_step step);

/* ---- the procedure and its state machine (proc_machine.c) -------------- */

enum proc_state {
    PROC_S_PLANNING = 1,
    PROC_S_REQUESTS,
    PROC_S_TENDERING,
    PROC_S_AWARDED,
    PROC_S_CONTRACTED,
    PROC_S_COMPLETE,
    PROC_S_TERMINATED,
    PROC_S_CANCELLED,
};

const char *proc_state_name(enum proc_state s);
int proc_state_parse(const char *name);

#define PROC_OCID_MAX 159

/* A procedure in memory. facts holds what the rules need (dates, flags,
 * values: see proc_machine.c), doc the accumulated release content (the
 * true values, including withheld ones: never public), withheld the
 * pending withheld-field declarations. */
struct proc {
    char ocid[PROC_OCID_MAX + 1];
    char buyer[128];
    char rules_key[64];
    enum proc_type type;
    enum proc_state state;
    int seq;                /* releases published so far */
    json_t *facts;
    json_t *doc;
    json_t *withheld;
};

void proc_free(struct proc *p);  /* frees the members, not p */
/* Deep copy (dst is overwritten). */
void proc_copy(struct proc *dst, const struct proc *src);

/* The private state as one JSON text (for the store) and back. */
int proc_serialize(const struct proc *p, char **out, struct bf_err *err);
int proc_deserialize(const char *ocid, const char *buyer, const char *text, struct proc *p, struct bf_err *err);

/* Starts a procedure for buyer under ocid from a parsed create body,
 * as of now (Unix seconds; release dates may not be later than now plus
 * one day). Fills p (caller frees with proc_free) and *release (the
 * planning release, owned by the caller). Returns 0, or BF_EINVAL /
 * BF_ECONFLICT with issues. */
int proc_create(const char *ocid, const char *buyer, const json_t *body, int64_t now, struct proc *p,
                json_t **release, struct proc_issues *is);

/* Applies a step with a parsed body. On success p has advanced (state,
 * seq, facts, doc) and *release is the step's release; on failure p is
 * unchanged. deadlines (if non-NULL) receives the legal deadlines this
 * step computed, also on failure (for the forms' dry run). */
int proc_apply(struct proc *p, enum proc_step step, const json_t *body, int64_t now, json_t **release,
               json_t **deadlines, struct proc_issues *is);

/* 0 if step is allowed in p's state; otherwise fills one issue with the
 * rule "lifecycle/<step>-in-<state>" and returns BF_ECONFLICT. */
int proc_step_allowed(const struct proc *p, enum proc_step step, struct proc_issues *is);
/* ["tender", "cancellation", ...] */
json_t *proc_allowed_steps(const struct proc *p);
/* The procedure's current legal deadlines {name: "YYYY-MM-DD", ...}. */
json_t *proc_deadlines(const struct proc *p);
/* What is due next: step name and the date it is due or may happen
 * from (YYYY-MM-DD, "" if none); returns 0, or -1 in a final state. */
int proc_next_due(const struct proc *p, const char **step, char date[11], const char **kind);
/* The summary GET /api/v1/procedures/{ocid} returns. */
json_t *proc_view(const struct proc *p);

/* ---- HTTP (proc_http.c) ------------------------------------------------ */

/* Registers /api/v1/procedures... and /api/v1/rules on app->http. */
int proc_mount(struct app *app, struct bf_err *err);

#endif
