/*
 * proc_http.c - the lifecycle API: officers start procedures and drive
 * them step by step; each accepted step is one OCDS release published
 * with ocds_publish under the officer's actor.
 *
 * Invariants:
 *  - Only an officer of the procedure's buyer writes; auditors and admins
 *    read every procedure; nothing here is public except the rules table
 *    and the step field tables (no procedure state, no withheld value).
 *  - Steps of all procedures are serialised by one mutex (steps are rare;
 *    the ledger batches their appends anyway), and the row is advanced
 *    with an expected seq, so a step is decided on the latest state.
 *  - Write-ahead: a step stores its new state together with the release
 *    as "pending" in one transaction, then publishes, then clears pending.
 *    A crash in between leaves pending set; the next access to the
 *    procedure republishes it (ocds_publish is idempotent for the same
 *    content), so the ledger and the workflow never diverge for long. A
 *    release the publisher refuses (check failure) rolls the row back.
 */
#include "common.h"
#include "proc/proc_int.h"
#include "proc/proc_store.h"
#include "auth/auth.h"
#include "cli/app.h"
#include "http/http.h"
#include "ocds/ocds.h"
#include "store/store.h"

#include <pthread.h>

struct proc_srv {
    struct app *app;
    struct ocds_ctx *ocds;
    pthread_mutex_t lock;
    char prefix[64];
};

#define LIST_DEFAULT 50
#define LIST_MAX 500

/* ---- responses ---------------------------------------------------------- */

static int reply_json(struct http_resp *resp, int status, json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT);
    int rc;

    json_decref(v);
    if (!text)
        return BF_ENOMEM;
    resp->status = status;
    resp->content_type = "application/json";
    resp->cache = HTTP_CACHE_NONE;
    rc = http_resp_text(resp, "application/json", text, strlen(text));
    free(text);
    return rc;
}

/* The standard error body plus the list of issues and any deadlines. */
static int reply_issues(struct http_resp *resp, int code, const struct proc_issues *is, json_t *deadlines)
{
    int status = code == BF_ELIMIT ? 413 : bf_err_http_status(code);
    const struct proc_issue *first = is->n ? &is->v[0] : NULL;
    json_t *e = json_pack("{s:i,s:s,s:s}", "status", status, "code", bf_err_name(code), "message",
                          first ? first->msg : "refused");
    int i;

    for (i = 0; i < is->n; i++) {
        if (is->v[i].rule) { /* the first rule violation names the error */
            json_object_set_new(e, "rule", json_string(is->v[i].rule));
            json_object_set_new(e, "message", json_string(is->v[i].msg));
            break;
        }
    }
    if (!json_object_get(e, "message"))
        json_object_set_new(e, "message", json_string("refused"));
    json_object_set_new(e, "issues", proc_issues_json(is));
    if (deadlines)
        json_object_set_new(e, "deadlines", deadlines);
    return reply_json(resp, status, json_pack("{s:o}", "error", e));
}

static int reply_err(struct http_resp *resp, const struct bf_err *err)
{
    http_resp_bf_err(resp, err);
    return 0;
}

/* ---- loading and saving ------------------------------------------------- */

static void row_fill(const struct proc *p, struct proc_row *row, int64_t created)
{
    const struct proc_type_rule *tr = proc_rules_type_of(proc_rules_by_key(p->rules_key), p->type);
    const char *step = NULL, *kind;
    char date[11];

    memset(row, 0, sizeof *row);
    snprintf(row->ocid, sizeof row->ocid, "%s", p->ocid);
    snprintf(row->buyer, sizeof row->buyer, "%s", p->buyer);
    snprintf(row->type, sizeof row->type, "%s", tr ? tr->name : "?");
    snprintf(row->state, sizeof row->state, "%s", proc_state_name(p->state));
    snprintf(row->title, sizeof row->title, "%s",
             json_string_value(json_object_get(p->facts, "title")) ? json_string_value(json_object_get(p->facts, "title"))
                                                                    : "");
    row->seq = p->seq;
    if (proc_next_due(p, &step, date, &kind) == 0) {
        snprintf(row->next_step, sizeof row->next_step, "%s", step);
        snprintf(row->next_date, sizeof row->next_date, "%s", date);
    }
    row->created = created;
    row->updated = (int64_t)time(NULL);
}

static int publish(struct proc_srv *srv, const json_t *release, const char *actor, uint64_t *index, int *dup,
                   struct bf_err *err)
{
    if (!srv->ocds)
        return bf_err_set(err, BF_EUNSUPPORTED, "publishing is not available (no ledger)");
    return ocds_publish(srv->ocds, release, actor, index, dup, err);
}

/* Republishes a pending release left by an interrupted step, under the
 * actor of the step that decided it. pending is {"actor", "release"}. */
static int settle_pending(struct proc_srv *srv, struct proc_row *row, struct bf_err *err)
{
    struct store_txn *t = NULL;
    json_t *pend;
    const char *actor;
    uint64_t index;
    int dup, rc;

    if (!row->pending)
        return 0;
    pend = json_loads(row->pending, 0, NULL);
    actor = json_string_value(json_object_get(pend, "actor"));
    if (!pend || !actor || !json_is_object(json_object_get(pend, "release"))) {
        json_decref(pend);
        return bf_err_set(err, BF_ECORRUPT, "procedure %s: pending release does not parse", row->ocid);
    }
    rc = publish(srv, json_object_get(pend, "release"), actor, &index, &dup, err);
    json_decref(pend);
    if (rc)
        return bf_err_wrap(err, "procedure %s: republishing its pending release", row->ocid);
    rc = store_txn_begin(srv->app->store, &t, err);
    if (rc)
        return rc;
    rc = store_proc_clear_pending(t, row->ocid, row->seq, err);
    if (rc) {
        store_txn_rollback(t);
        return rc;
    }
    rc = store_txn_commit(t, err);
    if (!rc) {
        free(row->pending);
        row->pending = NULL;
    }
    return rc;
}

/* Loads a procedure for who (officers: own buyer only). Fills resp and
 * returns non-zero when the request must stop. */
static int load(struct proc_srv *srv, const char *ocid, const struct auth_principal *who, struct proc *p,
                struct proc_row *row, struct http_resp *resp)
{
    struct bf_err err = { 0 };
    int rc;

    memset(row, 0, sizeof *row);
    if (!ocid || strlen(ocid) > PROC_OCID_MAX) {
        http_resp_error(resp, 404, "not-found", NULL, "no such procedure");
        return BF_ENOTFOUND;
    }
    rc = store_proc_get(srv->app->store, ocid, row, &err);
    if (!rc && who->role == AUTH_OFFICER && strcmp(row->buyer, who->buyer)) {
        http_resp_error(resp, 403, "forbidden", NULL, "procedure %s belongs to buyer %s, not to %s", ocid, row->buyer,
                        who->buyer);
        proc_row_free(row);
        return BF_EFORBIDDEN;
    }
    if (!rc)
        rc = settle_pending(srv, row, &err);
    if (!rc)
        rc = proc_deserialize(row->ocid, row->buyer, row->data, p, &err);
    if (rc) {
        proc_row_free(row);
        reply_err(resp, &err);
    }
    return rc;
}

/* Writes p as the row's new state with pending = release (expecting the
 * row's old seq), or restores old_data on rollback. */
static int save(struct proc_srv *srv, const struct proc *p, const struct proc_row *old, const char *pending,
                struct bf_err *err)
{
    struct proc_row row;
    struct store_txn *t = NULL;
    char *data = NULL;
    int rc;

    rc = proc_serialize(p, &data, err);
    if (rc)
        return rc;
    row_fill(p, &row, old->created);
    row.data = data;
    row.pending = (char *)pending;
    rc = store_txn_begin(srv->app->store, &t, err);
    if (!rc) {
        rc = store_proc_update(t, &row, old->seq, err);
        if (rc)
            store_txn_rollback(t);
        else
            rc = store_txn_commit(t, err);
    }
    free(data);
    return rc;
}

static int restore(struct proc_srv *srv, const struct proc_row *old, int new_seq)
{
    struct store_txn *t = NULL;
    struct proc_row row = *old;
    struct bf_err err = { 0 };
    int rc;

    row.pending = NULL;
    rc = store_txn_begin(srv->app->store, &t, &err);
    if (rc)
        return rc;
    rc = store_proc_update(t, &row, new_seq, &err);
    if (rc) {
        store_txn_rollback(t);
        return rc;
    }
    return store_txn_commit(t, &err);
}

/* ---- disclosure: open the earlier commitments ------------------------------ */

static int has_disclosures(const json_t *rel)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(rel, "withheld"), i, e)
        if (json_is_true(json_object_get(e, "disclosed")))
            return 1;
    return 0;
}

/* Replaces *rel by the release with each disclosed value's salt and
 * commitment, taken from the previous release's auditor view. */
static int open_disclosures(struct proc_srv *srv, const char *ocid, const char *prev_id, json_t **rel,
                            struct bf_err *err)
{
    json_t *pub = NULL, *aud = NULL, *side = NULL, *opened = NULL, *e;
    size_t i;
    int rc;

    rc = ocds_get_release(srv->ocds, ocid, prev_id, 0, &pub, NULL, err);
    if (!rc)
        rc = ocds_get_release(srv->ocds, ocid, prev_id, 1, &aud, NULL, err);
    if (rc)
        goto out;
    side = json_pack("{s:{},s:{}}", "salts", "values");
    json_array_foreach(json_object_get(*rel, "withheld"), i, e) {
        const char *path = json_string_value(json_object_get(e, "path"));
        /* in the auditor view the marker holds the value and its salt */
        json_t *m = proc_pointer_get(aud, path);
        if (!json_is_true(json_object_get(e, "disclosed")) || !m || !json_object_get(m, "salt"))
            continue;
        json_object_set(json_object_get(side, "values"), path, json_object_get(m, "value"));
        json_object_set(json_object_get(side, "salts"), path, json_object_get(m, "salt"));
    }
    rc = ocds_disclose(*rel, pub, side, &opened, err);
    if (!rc) {
        json_decref(*rel);
        *rel = opened;
    }
out:
    json_decref(pub);
    json_decref(aud);
    json_decref(side);
    return rc;
}

/* ---- handlers ----------------------------------------------------------------- */

static int rules_handler(struct http_req *req, struct http_resp *resp, void *ctx)
{
    const struct proc_rules *const *all = proc_rules_all();
    const struct proc_rules *cur = proc_rules_for((int64_t)time(NULL) / 86400);
    json_t *a = json_array();
    char key[64] = "";
    size_t i;

    (void)req;
    (void)ctx;
    for (i = 0; all[i]; i++)
        json_array_append_new(a, proc_rules_json(all[i]));
    if (cur)
        proc_rules_key(cur, key, sizeof key);
    reply_json(resp, 200, json_pack("{s:s,s:o}", "current", key, "ruleSets", a));
    resp->cache = HTTP_CACHE_SHORT;
    resp->short_seconds = 300;
    return 0;
}

static int steps_handler(struct http_req *req, struct http_resp *resp, void *ctx)
{
    json_t *o = json_object();
    int s;

    (void)req;
    (void)ctx;
    for (s = 0; s < PROC_NSTEPS; s++)
        json_object_set_new(o, proc_step_name((enum proc_step)s), proc_body_schema((enum proc_step)s));
    reply_json(resp, 200, json_pack("{s:o}", "steps", o));
    resp->cache = HTTP_CACHE_SHORT;
    resp->short_seconds = 300;
    return 0;
}

struct list_acc {
    json_t *a;
};

static int list_one(const struct proc_row *r, void *arg)
{
    struct list_acc *acc = arg;
    json_array_append_new(acc->a, json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:{s:s?,s:s?},s:I}", "ocid", r->ocid, "buyer",
                                            r->buyer, "title", r->title, "procedure", r->type, "state", r->state,
                                            "releases", r->seq, "nextDue", "step",
                                            r->next_step[0] ? r->next_step : NULL, "date",
                                            r->next_date[0] ? r->next_date : NULL, "updated", (json_int_t)r->updated));
    return 0;
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
    struct proc_srv *srv = ctx;
    struct auth_principal who;
    struct bf_err err = { 0 };
    struct list_acc acc;
    const char *buyer, *state = http_req_query(req, "state");
    int64_t total = 0;
    int offset, limit, rc;

    if (auth_require(req, resp, srv->app->store, AUTH_ANY_TOKEN, &who) < 0)
        return 0;
    if (int_query(req, "offset", 0, 0, INT_MAX, &offset) < 0 || int_query(req, "limit", LIST_DEFAULT, 1, LIST_MAX, &limit) < 0) {
        http_resp_error(resp, 400, "invalid", NULL, "offset is a number >= 0, limit a number from 1 to %d", LIST_MAX);
        return 0;
    }
    if (state && proc_state_parse(state) < 0) {
        http_resp_error(resp, 400, "invalid", NULL, "unknown state (planning, requests, tendering, awarded, "
                                                    "contracted, complete, terminated, cancelled)");
        return 0;
    }
    buyer = who.role == AUTH_OFFICER ? who.buyer : http_req_query(req, "buyer");
    acc.a = json_array();
    rc = store_proc_list(srv->app->store, buyer, state, offset, limit, list_one, &acc, &total, &err);
    if (rc) {
        json_decref(acc.a);
        return reply_err(resp, &err);
    }
    return reply_json(resp, 200, json_pack("{s:o,s:I,s:i,s:i}", "procedures", acc.a, "total", (json_int_t)total,
                                           "offset", offset, "limit", limit));
}

static int get_handler(struct http_req *req, struct http_resp *resp, void *ctx)
{
    struct proc_srv *srv = ctx;
    struct auth_principal who;
    struct proc p;
    struct proc_row row;
    json_t *v;

    if (auth_require(req, resp, srv->app->store, AUTH_ANY_TOKEN, &who) < 0)
        return 0;
    pthread_mutex_lock(&srv->lock);
    if (load(srv, http_req_param(req, "ocid"), &who, &p, &row, resp)) {
        pthread_mutex_unlock(&srv->lock);
        return 0;
    }
    pthread_mutex_unlock(&srv->lock);
    v = proc_view(&p);
    json_object_set(v, "lastReleaseId", json_object_get(p.facts, "lastReleaseId"));
    proc_free(&p);
    proc_row_free(&row);
    reply_json(resp, 200, v);
    resp->cache = HTTP_CACHE_PRIVATE;
    return 0;
}

/* ---- create ------------------------------------------------------------------- */

static int parse_body(struct http_req *req, struct http_resp *resp, enum proc_step step, json_t **body)
{
    struct proc_issues is = { 0 };
    int rc = proc_body_parse(step, req->body, req->body_len, body, &is);
    if (rc)
        reply_issues(resp, rc, &is, NULL);
    return rc;
}

static int create_publish(struct proc_srv *srv, const struct auth_principal *who, const json_t *body, int dry,
                          struct http_resp *resp)
{
    struct proc_issues is = { 0 };
    struct bf_err err = { 0 };
    struct proc p;
    struct proc_row row;
    struct store_txn *t = NULL;
    json_t *rel = NULL;
    char ocid[PROC_OCID_MAX + 1];
    int64_t n = 0;
    uint64_t index = 0;
    int dup = 0, rc, attempt;

    rc = store_proc_count(srv->app->store, who->buyer, &n, &err);
    if (rc)
        return reply_err(resp, &err);
    for (attempt = 0; attempt < 8; attempt++) {
        snprintf(ocid, sizeof ocid, "%s-%s-%06lld", srv->prefix, who->buyer, (long long)(n + 1 + attempt));
        memset(&is, 0, sizeof is);
        rc = proc_create(ocid, who->buyer, body, (int64_t)time(NULL), &p, &rel, &is);
        if (rc)
            return reply_issues(resp, rc, &is, NULL);
        if (dry) {
            json_t *v = proc_view(&p);
            proc_free(&p);
            json_decref(rel);
            return reply_json(resp, 200, json_pack("{s:b,s:[],s:o}", "valid", 1, "issues", "procedure", v));
        }
        rc = publish(srv, rel, who->actor, &index, &dup, &err);
        if (rc == BF_ECONFLICT) { /* an orphan release holds this ocid: take the next number */
            proc_free(&p);
            json_decref(rel);
            continue;
        }
        break;
    }
    if (!rc) {
        char *data = NULL;
        rc = proc_serialize(&p, &data, &err);
        row_fill(&p, &row, (int64_t)time(NULL));
        row.data = data;
        if (!rc)
            rc = store_txn_begin(srv->app->store, &t, &err);
        if (!rc && (rc = store_proc_insert(t, &row, &err)) == 0)
            rc = store_txn_commit(t, &err);
        else if (t)
            store_txn_rollback(t);
        free(data);
    }
    if (rc) {
        proc_free(&p);
        json_decref(rel);
        return reply_err(resp, &err);
    }
    reply_json(resp, 201, json_pack("{s:s,s:O,s:I,s:b,s:o}", "ocid", ocid, "releaseId", json_object_get(rel, "id"),
                                    "logIndex", (json_int_t)index, "duplicate", dup, "procedure", proc_view(&p)));
    http_resp_header(resp, "Location", bf_arena_printf(resp->arena, "/api/v1/procedures/%s", ocid));
    proc_free(&p);
    json_decref(rel);
    return 0;
}

static int create_common(struct http_req *req, struct http_resp *resp, struct proc_srv *srv, int dry)
{
    struct auth_principal who;
    json_t *body = NULL;

    if (auth_require(req, resp, srv->app->store, AUTH_OFFICER, &who) < 0)
        return 0;
    if (dry && http_req_query(req, "step") && strcmp(http_req_query(req, "step"), "create")) {
        http_resp_error(resp, 400, "invalid", NULL, "before a procedure exists only step=create can be validated");
        return 0;
    }
    if (parse_body(req, resp, PROC_STEP_CREATE, &body))
        return 0;
    pthread_mutex_lock(&srv->lock);
    create_publish(srv, &who, body, dry, resp);
    pthread_mutex_unlock(&srv->lock);
    json_decref(body);
    return 0;
}

static int create_handler(struct http_req *req, struct http_resp *resp, void *ctx)
{
    return create_common(req, resp, ctx, 0);
}

static int create_validate_handler(struct http_req *req, struct http_resp *resp, void *ctx)
{
    return create_common(req, resp, ctx, 1);
}

/* ---- steps -------------------------------------------------------------------- */

/* Applies, stores with pending, publishes, clears pending. Called with
 * the lock held; p and row are the loaded state. */
static int step_commit(struct proc_srv *srv, const struct auth_principal *who, struct proc *p, struct proc_row *row,
                       json_t *rel, struct http_resp *resp)
{
    struct bf_err err = { 0 };
    struct store_txn *t = NULL;
    char *pending = NULL;
    uint64_t index = 0;
    int dup = 0, rc;

    {
        json_t *pend = json_pack("{s:s,s:O}", "actor", who->actor, "release", rel);
        pending = pend ? json_dumps(pend, JSON_COMPACT) : NULL;
        json_decref(pend);
    }
    rc = pending ? save(srv, p, row, pending, &err) : bf_err_set(&err, BF_ENOMEM, "serialising release");
    if (rc)
        goto out;
    rc = publish(srv, rel, who->actor, &index, &dup, &err);
    if (rc == BF_EINVAL || rc == BF_ECONFLICT || rc == BF_ECRYPTO || rc == BF_ELIMIT || rc == BF_EUNSUPPORTED) {
        restore(srv, row, p->seq); /* the release was refused: the step did not happen */
        goto out;
    }
    if (rc)
        goto out; /* pending stays set: the next access republishes it */
    if (store_txn_begin(srv->app->store, &t, NULL) == 0) {
        if (store_proc_clear_pending(t, p->ocid, p->seq, NULL) == 0)
            store_txn_commit(t, NULL);
        else
            store_txn_rollback(t);
    }
out:
    free(pending);
    if (rc)
        return reply_err(resp, &err);
    return reply_json(resp, 201, json_pack("{s:s,s:O,s:I,s:b,s:o}", "ocid", p->ocid, "releaseId",
                                           json_object_get(rel, "id"), "logIndex", (json_int_t)index, "duplicate",
                                           dup, "procedure", proc_view(p)));
}

static int step_common(struct http_req *req, struct http_resp *resp, struct proc_srv *srv, enum proc_step step,
                       int dry)
{
    struct auth_principal who;
    struct proc_issues is = { 0 };
    struct bf_err err = { 0 };
    struct proc p;
    struct proc_row row;
    json_t *body = NULL, *rel = NULL, *dl = NULL;
    char prev_id[PROC_OCID_MAX + 48];
    int rc;

    if (auth_require(req, resp, srv->app->store, AUTH_OFFICER, &who) < 0)
        return 0;
    if (parse_body(req, resp, step, &body))
        return 0;
    pthread_mutex_lock(&srv->lock);
    if (load(srv, http_req_param(req, "ocid"), &who, &p, &row, resp))
        goto unlock;
    snprintf(prev_id, sizeof prev_id, "%s",
             json_string_value(json_object_get(p.facts, "lastReleaseId")) ? json_string_value(json_object_get(p.facts,
                                                                                                          "lastReleaseId"))
                                                                          : "");
    rc = proc_apply(&p, step, body, (int64_t)time(NULL), &rel, &dl, &is);
    if (dry) {
        reply_json(resp, 200, json_pack("{s:b,s:o,s:o,s:o}", "valid", rc == 0, "issues", proc_issues_json(&is),
                                        "deadlines", dl ? dl : json_object(), "allowedSteps", proc_allowed_steps(&p)));
        dl = NULL;
        goto done;
    }
    if (rc) {
        reply_issues(resp, rc, &is, dl);
        dl = NULL;
        goto done;
    }
    if (has_disclosures(rel) && (rc = open_disclosures(srv, p.ocid, prev_id, &rel, &err)) < 0) {
        reply_err(resp, &err);
        goto done;
    }
    step_commit(srv, &who, &p, &row, rel, resp);
done:
    json_decref(dl);
    json_decref(rel);
    proc_free(&p);
    proc_row_free(&row);
unlock:
    pthread_mutex_unlock(&srv->lock);
    json_decref(body);
    return 0;
}

static int validate_handler(struct http_req *req, struct http_resp *resp, void *ctx)
{
    const char *name = http_req_query(req, "step");
    int step = proc_step_parse(name);

    if (step <= 0) {
        struct auth_principal who;
        if (auth_require(req, resp, ((struct proc_srv *)ctx)->app->store, AUTH_OFFICER, &who) < 0)
            return 0;
        http_resp_error(resp, 400, "invalid", NULL, "?step= names the step to validate (tender, invitation, ...)");
        return 0;
    }
    return step_common(req, resp, ctx, (enum proc_step)step, 1);
}

/* One handler per step so that each route has its own OpenAPI entry. */
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

int proc_mount(struct app *app, struct bf_err *err)
{
    static struct proc_srv srv; /* lives as long as the process, as app does */
    struct http_route_opts o = { .tag = "procurement", .max_body = PROC_BODY_MAX };
    char *prefix = NULL;
    char pattern[96];
    size_t i;
    int rc;

    srv.app = app;
    pthread_mutex_init(&srv.lock, NULL);
    snprintf(srv.prefix, sizeof srv.prefix, "ocds-belfry");
    if (store_meta_get(app->store, "ocds.ocid_prefix", &prefix, NULL) == 0 && prefix[0] && strlen(prefix) < 40)
        snprintf(srv.prefix, sizeof srv.prefix, "%s", prefix);
    free(prefix);
    if (app->ledger && (rc = ocds_ctx_new(app->store, app->ledger, &srv.ocds, err)) < 0)
        return rc;

#define ROUTE(method, pat, fn, sum, write_)                                                                        \
    do {                                                                                                           \
        o.summary = sum;                                                                                           \
        o.write = write_;                                                                                          \
        if ((rc = http_route(app->http, method, pat, fn, &srv, &o)) < 0)                                           \
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
    ROUTE("POST", "/api/v1/procedures", create_handler,
          "Start a procedure for the officer's buyer: title, procedure (restricted, negotiatedWithPublication, "
          "competitiveDialogue, negotiatedWithoutPublication + article28Ground), category, estimated value (EUR), "
          "capability area, classification, withheld fields; publishes the planning release (officer)", 1);
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
        ROUTE("POST", pattern, STEP_ROUTES[i].fn, STEP_ROUTES[i].summary, 1);
    }
#undef ROUTE
    return 0;
}
