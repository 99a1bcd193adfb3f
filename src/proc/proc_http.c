/*
 * proc_http.c - the lifecycle's HTTP routes (proc_mount): authentication
 * and query parsing here, everything else in proc_svc.c.
 *
 * Invariants: writes admit officers only (auth_require with AUTH_OFFICER:
 * 401 without a valid token, 403 for other roles); reads of procedures
 * admit every token holder, officers being limited to their own buyer by
 * the service; the rules table and the step field tables are public and
 * hold nothing about any procedure. Bodies are capped at PROC_BODY_MAX by
 * the route option, before any handler runs.
 */
#include "common.h"
#include "proc/proc.h"
#include "proc/proc_svc.h"
#include "auth/auth.h"
#include "cli/app.h"
#include "http/http.h"
#include "store/store.h"

#define LIST_DEFAULT 50
#define LIST_MAX 500

struct proc_http {
    struct app *app;
    struct proc_svc *svc;
};

static int respond(struct http_resp *resp, struct proc_reply *r, enum http_cache cache)
{
    char *text = json_dumps(r->body, JSON_COMPACT);
    int rc;

    json_decref(r->body);
    if (!text)
        return BF_ENOMEM;
    resp->status = r->status;
    resp->cache = r->status == 200 ? cache : HTTP_CACHE_NONE;
    rc = http_resp_text(resp, "application/json", text, strlen(text));
    free(text);
    return rc;
}

/* The rules table and the step field tables are constant for the life of
 * the process: built once at mount, served as text. */
static char *rules_text, *steps_text;

static char *build_rules_text(void)
{
    const struct proc_rules *const *all = proc_rules_all();
    const struct proc_rules *cur = proc_rules_for((int64_t)time(NULL) / 86400);
    json_t *a = json_array(), *v;
    char key[64] = "", *text;
    size_t i;

    for (i = 0; all[i]; i++)
        json_array_append_new(a, proc_rules_json(all[i]));
    if (cur)
        proc_rules_key(cur, key, sizeof key);
    v = json_pack("{s:s,s:o}", "current", key, "ruleSets", a);
    text = json_dumps(v, JSON_COMPACT);
    json_decref(v);
    return text;
}

static char *build_steps_text(void)
{
    json_t *o = json_object(), *v;
    char *text;
    int s;

    for (s = 0; s < PROC_NSTEPS; s++)
        json_object_set_new(o, proc_step_name((enum proc_step)s), proc_body_schema((enum proc_step)s));
    v = json_pack("{s:o}", "steps", o);
    text = json_dumps(v, JSON_COMPACT);
    json_decref(v);
    return text;
}

static int constant_text(struct http_resp *resp, const char *text)
{
    resp->cache = HTTP_CACHE_SHORT;
    resp->short_seconds = 300;
    return http_resp_text(resp, "application/json", text, strlen(text));
}

static int rules_handler(struct http_req *req, struct http_resp *resp, void *ctx)
{
    (void)req;
    (void)ctx;
    return constant_text(resp, rules_text);
}

static int steps_handler(struct http_req *req, struct http_resp *resp, void *ctx)
{
    (void)req;
    (void)ctx;
    return constant_text(resp, steps_text);
}

static int int_query(struct http_req *req, const char *key, int dflt, int lo, int hi, int *out)
{
    const char *s = http_req_query(req, key);
    char *end;
    long v;

    *out = dflt;
    if (!s)
        return 0;
    errno = 0;
    v = strtol(s, &end, 10);
    if (*s == '\0' || *end || errno || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

static int list_handler(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct proc_http *h = ctx;
    struct auth_principal who;
    struct proc_reply r;
    const char *state = http_req_query(req, "state");
    int offset, limit;

    if (auth_require(req, resp, h->app->store, AUTH_ANY_TOKEN, &who) < 0)
        return 0;
    if (int_query(req, "offset", 0, 0, INT_MAX, &offset) < 0 ||
        int_query(req, "limit", LIST_DEFAULT, 1, LIST_MAX, &limit) < 0) {
        http_resp_error(resp, 400, "invalid", NULL, "offset is a number >= 0, limit a number from 1 to %d", LIST_MAX);
        return 0;
    }
    if (state && proc_state_parse(state) < 0) {
        http_resp_error(resp, 400, "invalid", NULL, "unknown state (planning, requests, tendering, awarded, "
                                                    "contracted, complete, terminated, cancelled)");
        return 0;
    }
    proc_svc_list(h->svc, &who, http_req_query(req, "buyer"), state, offset, limit, &r);
    return respond(resp, &r, HTTP_CACHE_PRIVATE);
}

static int get_handler(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct proc_http *h = ctx;
    struct auth_principal who;
    struct proc_reply r;

    if (auth_require(req, resp, h->app->store, AUTH_ANY_TOKEN, &who) < 0)
        return 0;
    proc_svc_get(h->svc, &who, http_req_param(req, "ocid"), &r);
    return respond(resp, &r, HTTP_CACHE_PRIVATE);
}

static int create_common(struct http_req *req, struct http_resp *resp, struct proc_http *h, int dry)
{
    struct auth_principal who;
    struct proc_reply r;
    const char *step = http_req_query(req, "step");

    if (auth_require(req, resp, h->app->store, AUTH_OFFICER, &who) < 0)
        return 0;
    if (dry && step && strcmp(step, "create")) {
        http_resp_error(resp, 400, "invalid", NULL, "before a procedure exists only step=create can be validated");
        return 0;
    }
    proc_svc_create(h->svc, &who, req->body, req->body_len, dry, &r);
    if (r.status == 201)
        http_resp_header(resp, "Location", bf_arena_printf(resp->arena, "/api/v1/procedures/%s",
                                                           json_string_value(json_object_get(r.body, "ocid"))));
    return respond(resp, &r, HTTP_CACHE_NONE);
}

static int create_handler(struct http_req *req, struct http_resp *resp, void *ctx)
{
    return create_common(req, resp, ctx, 0);
}

static int create_validate_handler(struct http_req *req, struct http_resp *resp, void *ctx)
{
    return create_common(req, resp, ctx, 1);
}

static int step_common(struct http_req *req, struct http_resp *resp, struct proc_http *h, enum proc_step step, int dry)
{
    struct auth_principal who;
    struct proc_reply r;

    if (auth_require(req, resp, h->app->store, AUTH_OFFICER, &who) < 0)
        return 0;
    proc_svc_step(h->svc, &who, http_req_param(req, "ocid"), step, req->body, req->body_len, dry, &r);
    return respond(resp, &r, HTTP_CACHE_NONE);
}

static int validate_handler(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct proc_http *h = ctx;
    struct auth_principal who;
    struct proc_reply r;
    int step = proc_step_parse(http_req_query(req, "step"));

    if (step > 0)
        return step_common(req, resp, h, (enum proc_step)step, 1);
    if (auth_require(req, resp, h->app->store, AUTH_OFFICER, &who) < 0)
        return 0;
    proc_svc_get(h->svc, &who, http_req_param(req, "ocid"), &r); /* 404 or 403 come first */
    if (r.status != 200)
        return respond(resp, &r, HTTP_CACHE_NONE);
    json_decref(r.body);
    http_resp_error(resp, 400, "invalid", NULL, "?step= names the step to validate (tender, invitation, ...)");
    return 0;
}

/* One handler per step, so that each route has its own OpenAPI entry. */
#define STEP_HANDLER(name, STEP)                                                                                   \
    static int step_##name(struct http_req *req, struct http_resp *resp, void *ctx)                                \
    {                                                                                                              \
        return step_common(req, resp, ctx, STEP, 0);                                                               \
    }
STEP_HANDLER(tender, PROC_STEP_TENDER)
STEP_HANDLER(invitation, PROC_STEP_INVITATION)
STEP_HANDLER(amendments, PROC_STEP_AMENDMENTS)
STEP_HANDLER(clarifications, PROC_STEP_CLARIFICATIONS)
STEP_HANDLER(bids, PROC_STEP_BIDS)
STEP_HANDLER(award, PROC_STEP_AWARD)
STEP_HANDLER(contract, PROC_STEP_CONTRACT)
STEP_HANDLER(milestones, PROC_STEP_MILESTONES)
STEP_HANDLER(transactions, PROC_STEP_TRANSACTIONS)
STEP_HANDLER(amendment, PROC_STEP_AMENDMENT)
STEP_HANDLER(termination, PROC_STEP_TERMINATION)
STEP_HANDLER(cancellation, PROC_STEP_CANCELLATION)
STEP_HANDLER(disclosure, PROC_STEP_DISCLOSURE)
#undef STEP_HANDLER

static const struct {
    const char *name;
    http_handler fn;
    const char *summary;
} STEP_ROUTES[] = {
    { "tender", step_tender, "Publish the contract notice: requests-to-participate deadline checked against Art. 33 "
                             "(37 days, 30 electronic, 15/10 accelerated) (officer of the buyer; tag tender)" },
    { "invitation", step_invitation, "Invite the selected candidates (at least 3, Art. 38) with the tender deadline "
                                     "checked against Art. 33 (40 days restricted, 36 after a PIN, -5 electronic "
                                     "documents, 10 accelerated) (officer; tag tender or tenderUpdate)" },
    { "amendments", step_amendments, "Amend the tender before its running deadline; new deadlines are checked "
                                     "again (officer; tag tenderAmendment)" },
    { "clarifications", step_clarifications, "Publish a question and its answer at least 6 days (4 accelerated) "
                                             "before the tender deadline (officer; tag tenderUpdate)" },
    { "bids", step_bids, "Record the tenders received, after the deadline, from invited candidates only (officer; "
                         "tag tenderUpdate, bids.details)" },
    { "award", step_award, "Award to a valid bid after the tender deadline; starts the Art. 57 standstill (officer; "
                           "tag award)" },
    { "contract", step_contract, "Conclude the contract after the standstill and publish the award notice within 48 "
                                 "days (Art. 30(3)) (officer; tag contract)" },
    { "milestones", step_milestones, "Add or update implementation milestones (officer; tag implementation)" },
    { "transactions", step_transactions, "Record a payment, never above the contract value; final: true completes "
                                         "the contract (officer; tag implementation)" },
    { "amendment", step_amendment, "Amend the contract (value, end date), at most +50% of the original value "
                                   "(Art. 28(4)(a)) (officer; tag contractAmendment)" },
    { "termination", step_termination, "Terminate the contract early (officer; tag contractTermination)" },
    { "cancellation", step_cancellation, "Cancel the procedure before the contract (officer; tag "
                                         "tenderCancellation)" },
    { "disclosure", step_disclosure, "Disclose withheld fields: the release carries the values with the salts that "
                                     "open the earlier commitments (officer; tag *Update)" },
};

/* The step's request body as JSON Schema text for the OpenAPI document
 * (malloc'ed; the route table keeps its own copy). */
static char *body_schema_text(enum proc_step step)
{
    json_t *s = proc_body_json_schema(step);
    char *text = json_dumps(s, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(s);
    return text;
}

int proc_mount(struct app *app, struct bf_err *err)
{
    static struct proc_http h; /* lives as long as the process, as app does */
    struct http_route_opts o = { .tag = "procurement", .max_body = PROC_BODY_MAX };
    char pattern[96], *schema = NULL;
    size_t i;
    int rc;

    h.app = app;
    if (!h.svc && (rc = proc_svc_new(app->store, app->ledger, &h.svc, err)) < 0)
        return rc;
    if (!rules_text)
        rules_text = build_rules_text();
    if (!steps_text)
        steps_text = build_steps_text();
    if (!rules_text || !steps_text)
        return bf_err_set(err, BF_ENOMEM, "building the rules table");

#define ROUTE(method, pat, fn, sum, write_)                                                                        \
    do {                                                                                                           \
        o.summary = sum;                                                                                           \
        o.write = write_;                                                                                          \
        rc = http_route(app->http, method, pat, fn, &h, &o);                                                       \
        free(schema);                                                                                              \
        schema = NULL;                                                                                             \
        o.request_schema = NULL;                                                                                   \
        if (rc < 0)                                                                                                \
            return bf_err_set(err, rc, "registering %s %s", method, pat);                                          \
    } while (0)

    o.public_cors = 1;
    ROUTE("GET", "/api/v1/rules", rules_handler,
          "Directive 2009/81/EC rules as data: rule sets with validity, thresholds per period, procedures, Art. 28 "
          "grounds, time limits and every rule id a refusal can name (public)", 0);
    ROUTE("GET", "/api/v1/procedure-steps", steps_handler,
          "Fields of each lifecycle step's request body: kind, required, allowed values (public; for forms)", 0);
    o.public_cors = 0;
    ROUTE("GET", "/api/v1/procedures", list_handler,
          "Procedures with what is due next and when, soonest first; officers see their buyer's, auditors and "
          "admins all (?buyer=, ?state=, ?offset=, ?limit=)", 0);
    o.request_schema = schema = body_schema_text(PROC_STEP_CREATE);
    ROUTE("POST", "/api/v1/procedures", create_handler,
          "Start a procedure for the officer's buyer: title, procedure (restricted, negotiatedWithPublication, "
          "competitiveDialogue, negotiatedWithoutPublication + article28Ground), category, estimated value (EUR), "
          "capability area, classification, withheld fields; publishes the planning release (officer)", 1);
    o.request_schema = schema = body_schema_text(PROC_STEP_CREATE);
    ROUTE("POST", "/api/v1/procedures/validate", create_validate_handler,
          "Dry run of the create step: issues and computed threshold without publishing (officer)", 0);
    ROUTE("GET", "/api/v1/procedures/{ocid}", get_handler,
          "A procedure's state, computed legal deadlines, allowed next steps and what is due next (officer of the "
          "buyer, auditor, admin)", 0);
    ROUTE("POST", "/api/v1/procedures/{ocid}/validate", validate_handler,
          "Dry run of ?step=X with its body: validation issues (field, rule, message) and computed deadlines, "
          "nothing published (officer of the buyer)", 0);
    for (i = 0; i < BF_ARRAY_LEN(STEP_ROUTES); i++) {
        snprintf(pattern, sizeof pattern, "/api/v1/procedures/{ocid}/%s", STEP_ROUTES[i].name);
        o.request_schema = schema = body_schema_text((enum proc_step)proc_step_parse(STEP_ROUTES[i].name));
        ROUTE("POST", pattern, STEP_ROUTES[i].fn, STEP_ROUTES[i].summary, 1);
    }
#undef ROUTE
    return 0;
}
