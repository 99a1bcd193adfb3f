/*
 * proc_svc.c - loading, deciding, storing and publishing lifecycle steps,
 * for any transport (see proc_svc.h).
 *
 * Invariants:
 *  - Steps and reads of all procedures are serialised by one mutex (steps
 *    are rare; the ledger batches their appends anyway), and a row is
 *    advanced with the seq it was read at, so a step is decided on the
 *    latest state.
 *  - Write-ahead: a step stores its new state together with {actor,
 *    release} as "pending" in one transaction, then publishes, then
 *    clears pending. A crash in between leaves pending set; the next
 *    access to the procedure republishes it under the same actor
 *    (ocds_publish is idempotent for the same content), so the ledger and
 *    the workflow never diverge for long. A release the publisher refuses
 *    (check failure, conflict) rolls the row back: the step did not
 *    happen.
 *  - Officers only see and drive their own buyer's procedures; nothing
 *    here decides roles (the caller does).
 */
#include "common.h"
#include "proc/proc_int.h"
#include "proc/proc_store.h"
#include "proc/proc_svc.h"
#include "auth/auth.h"
#include "ocds/ocds.h"
#include "store/store.h"

#include <pthread.h>

struct proc_svc {
    struct store *s;
    struct ocds_ctx *ocds;
    pthread_mutex_t lock;
    char prefix[64];
};

int proc_svc_new(struct store *s, struct ledger *l, struct proc_svc **out, struct bf_err *err)
{
    struct proc_svc *svc = bf_xcalloc(1, sizeof *svc);
    char *prefix = NULL;
    int rc;

    svc->s = s;
    pthread_mutex_init(&svc->lock, NULL);
    snprintf(svc->prefix, sizeof svc->prefix, "ocds-belfry");
    if (store_meta_get(s, "ocds.ocid_prefix", &prefix, NULL) == 0 && prefix[0] && strlen(prefix) < 40)
        snprintf(svc->prefix, sizeof svc->prefix, "%s", prefix);
    free(prefix);
    if (l && (rc = ocds_ctx_new(s, l, &svc->ocds, err)) < 0) {
        proc_svc_free(svc);
        return rc;
    }
    *out = svc;
    return 0;
}

void proc_svc_free(struct proc_svc *svc)
{
    if (!svc)
        return;
    if (svc->ocds)
        ocds_ctx_free(svc->ocds);
    pthread_mutex_destroy(&svc->lock);
    free(svc);
}

/* ---- replies ---------------------------------------------------------------- */

static json_t *msg_string(const char *m)
{
    size_t n = strlen(m);
    json_t *s;
    while (!(s = json_stringn(m, n)) && n > 0)
        n--; /* a message cut inside a UTF-8 sequence */
    return s ? s : json_string("");
}

json_t *proc_svc_error(int status, const char *code, const char *rule, const char *fmt, ...)
{
    char msg[640];
    va_list ap;
    json_t *e;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    e = json_pack("{s:i,s:s}", "status", status, "code", code);
    json_object_set_new(e, "message", msg_string(msg));
    if (rule)
        json_object_set_new(e, "rule", json_string(rule));
    return json_pack("{s:o}", "error", e);
}

static void reply(struct proc_reply *out, int status, json_t *body)
{
    out->status = status;
    out->body = body ? body : proc_svc_error(500, "no-memory", NULL, "building the reply");
}

static void reply_err(struct proc_reply *out, const struct bf_err *err)
{
    int code = err && err->code ? err->code : BF_EIO;
    int status = bf_err_http_status(code);
    reply(out, status, proc_svc_error(status, bf_err_name(code), NULL, "%s",
                                      err && err->msg[0] ? err->msg : "internal error"));
}

/* The standard error plus every issue and the computed deadlines (stolen). */
static void reply_issues(struct proc_reply *out, int code, const struct proc_issues *is, json_t *deadlines)
{
    int status = code == BF_ELIMIT ? 413 : bf_err_http_status(code);
    const struct proc_issue *lead = is->n ? &is->v[0] : NULL;
    json_t *body, *e;
    int i;

    for (i = 0; i < is->n; i++)
        if (is->v[i].rule) { /* the first rule violation names the error */
            lead = &is->v[i];
            break;
        }
    body = proc_svc_error(status, bf_err_name(code), lead ? lead->rule : NULL, "%s", lead ? lead->msg : "refused");
    e = json_object_get(body, "error");
    json_object_set_new(e, "issues", proc_issues_json(is));
    if (deadlines)
        json_object_set_new(e, "deadlines", deadlines);
    reply(out, status, body);
}

/* ---- loading and saving ------------------------------------------------------- */

static void row_fill(const struct proc *p, struct proc_row *row, int64_t created)
{
    const struct proc_type_rule *tr = proc_rules_type_of(proc_rules_by_key(p->rules_key), p->type);
    const char *step = NULL, *kind, *title = proc_jstr(p->facts, "title");
    char date[11];

    memset(row, 0, sizeof *row);
    snprintf(row->ocid, sizeof row->ocid, "%s", p->ocid);
    snprintf(row->buyer, sizeof row->buyer, "%s", p->buyer);
    snprintf(row->type, sizeof row->type, "%s", tr ? tr->name : "?");
    snprintf(row->state, sizeof row->state, "%s", proc_state_name(p->state));
    snprintf(row->title, sizeof row->title, "%s", title ? title : "");
    row->seq = p->seq;
    if (proc_next_due(p, &step, date, &kind) == 0) {
        snprintf(row->next_step, sizeof row->next_step, "%s", step);
        snprintf(row->next_date, sizeof row->next_date, "%s", date);
    }
    row->created = created;
    row->updated = (int64_t)time(NULL);
}

static int publish(struct proc_svc *svc, const json_t *release, const char *actor, uint64_t *index, int *dup,
                   struct bf_err *err)
{
    if (!svc->ocds)
        return bf_err_set(err, BF_EUNSUPPORTED, "publishing is not available (no ledger)");
    return ocds_publish(svc->ocds, release, actor, index, dup, err);
}

static int in_txn(struct proc_svc *svc, int (*fn)(struct store_txn *, const void *, struct bf_err *), const void *arg,
                  struct bf_err *err)
{
    struct store_txn *t = NULL;
    int rc = store_txn_begin(svc->s, &t, err);
    if (rc)
        return rc;
    rc = fn(t, arg, err);
    if (rc) {
        store_txn_rollback(t);
        return rc;
    }
    return store_txn_commit(t, err);
}

static int txn_clear(struct store_txn *t, const void *arg, struct bf_err *err)
{
    const struct proc_row *row = arg;
    return store_proc_clear_pending(t, row->ocid, row->seq, err);
}

/* Republishes a pending {actor, release} left by an interrupted step. */
static int settle_pending(struct proc_svc *svc, struct proc_row *row, struct bf_err *err)
{
    json_t *pend;
    const char *actor;
    uint64_t index;
    int dup, rc;

    if (!row->pending)
        return 0;
    pend = json_loads(row->pending, 0, NULL);
    actor = json_string_value(json_object_get(pend, "actor"));
    if (!actor || !json_is_object(json_object_get(pend, "release"))) {
        json_decref(pend);
        return bf_err_set(err, BF_ECORRUPT, "procedure %s: pending release does not parse", row->ocid);
    }
    rc = publish(svc, json_object_get(pend, "release"), actor, &index, &dup, err);
    json_decref(pend);
    if (rc)
        return bf_err_wrap(err, "procedure %s: republishing its pending release", row->ocid);
    rc = in_txn(svc, txn_clear, row, err);
    if (!rc) {
        free(row->pending);
        row->pending = NULL;
    }
    return rc;
}

/* Loads a procedure for who (officers: own buyer only); on failure the
 * reply is filled and non-zero returned. Called with the lock held. */
static int load(struct proc_svc *svc, const char *ocid, const struct auth_principal *who, struct proc *p,
                struct proc_row *row, struct proc_reply *out)
{
    struct bf_err err = { 0 };
    int rc;

    memset(row, 0, sizeof *row);
    if (!ocid || strlen(ocid) > PROC_OCID_MAX) {
        reply(out, 404, proc_svc_error(404, "not-found", NULL, "no such procedure"));
        return BF_ENOTFOUND;
    }
    rc = store_proc_get(svc->s, ocid, row, &err);
    if (!rc && who->role == AUTH_OFFICER && strcmp(row->buyer, who->buyer)) {
        reply(out, 403, proc_svc_error(403, "forbidden", NULL, "procedure %s belongs to buyer %s, not to %s", ocid,
                                       row->buyer, who->buyer));
        proc_row_free(row);
        return BF_EFORBIDDEN;
    }
    if (!rc)
        rc = settle_pending(svc, row, &err);
    if (!rc)
        rc = proc_deserialize(row->ocid, row->buyer, row->data, p, &err);
    if (rc) {
        proc_row_free(row);
        reply_err(out, &err);
    }
    return rc;
}

struct upd {
    struct proc_row *row;
    int expect;
};

static int txn_update(struct store_txn *t, const void *arg, struct bf_err *err)
{
    const struct upd *u = arg;
    return store_proc_update(t, u->row, u->expect, err);
}

static int txn_insert(struct store_txn *t, const void *arg, struct bf_err *err)
{
    return store_proc_insert(t, arg, err);
}

/* Stores p with pending (expecting the old row's seq). */
static int save(struct proc_svc *svc, const struct proc *p, const struct proc_row *old, const char *pending,
                struct bf_err *err)
{
    struct proc_row row;
    struct upd u = { &row, old->seq };
    char *data = NULL;
    int rc = proc_serialize(p, &data, err);

    if (rc)
        return rc;
    row_fill(p, &row, old->created);
    row.data = data;
    row.pending = (char *)pending;
    rc = in_txn(svc, txn_update, &u, err);
    free(data);
    return rc;
}

/* Puts the old row back (the release was refused). */
static int restore(struct proc_svc *svc, const struct proc_row *old, int new_seq)
{
    struct proc_row row = *old;
    struct upd u = { &row, new_seq };
    row.pending = NULL;
    return in_txn(svc, txn_update, &u, NULL);
}

/* ---- disclosure: open the earlier commitments ---------------------------------- */

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
 * commitment, from the previous release's public and auditor views. */
static int open_disclosures(struct proc_svc *svc, const char *ocid, const char *prev_id, json_t **rel,
                            struct bf_err *err)
{
    json_t *pub = NULL, *aud = NULL, *side = NULL, *opened = NULL, *e;
    size_t i;
    int rc;

    if (!svc->ocds)
        return bf_err_set(err, BF_EUNSUPPORTED, "publishing is not available (no ledger)");
    rc = ocds_get_release(svc->ocds, ocid, prev_id, 0, &pub, NULL, err);
    if (!rc)
        rc = ocds_get_release(svc->ocds, ocid, prev_id, 1, &aud, NULL, err);
    if (rc)
        goto out;
    side = json_pack("{s:{},s:{}}", "salts", "values");
    json_array_foreach(json_object_get(*rel, "withheld"), i, e) {
        const char *path = json_string_value(json_object_get(e, "path"));
        json_t *m = proc_pointer_get(aud, path); /* the auditor's marker holds value and salt */
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

/* ---- create ------------------------------------------------------------------------ */

static json_t *published(const char *ocid, const json_t *rel, uint64_t index, int dup, const struct proc *p)
{
    return json_pack("{s:s,s:O,s:I,s:b,s:o}", "ocid", ocid, "releaseId", json_object_get(rel, "id"), "logIndex",
                     (json_int_t)index, "duplicate", dup, "procedure", proc_view(p));
}

static void create_locked(struct proc_svc *svc, const struct auth_principal *who, const json_t *body, int dry,
                          struct proc_reply *out)
{
    struct proc_issues is;
    struct bf_err err = { 0 };
    struct proc p;
    struct proc_row row;
    json_t *rel = NULL;
    char ocid[PROC_OCID_MAX + 1], *data = NULL;
    int64_t n = 0;
    uint64_t index = 0;
    int dup = 0, rc, attempt;

    rc = store_proc_count(svc->s, who->buyer, &n, &err);
    if (rc) {
        reply_err(out, &err);
        return;
    }
    for (attempt = 0; attempt < 8; attempt++) {
        snprintf(ocid, sizeof ocid, "%s-%s-%06lld", svc->prefix, who->buyer, (long long)(n + 1 + attempt));
        memset(&is, 0, sizeof is);
        rc = proc_create(ocid, who->buyer, body, (int64_t)time(NULL), &p, &rel, &is);
        if (rc) {
            reply_issues(out, rc, &is, NULL);
            return;
        }
        if (dry) {
            reply(out, 200, json_pack("{s:b,s:[],s:o}", "valid", 1, "issues", "procedure", proc_view(&p)));
            goto done;
        }
        rc = publish(svc, rel, who->actor, &index, &dup, &err);
        if (rc != BF_ECONFLICT)
            break;
        proc_free(&p); /* an orphan release of an interrupted create holds this ocid: take the next */
        json_decref(rel);
        rel = NULL;
    }
    if (rc) {
        if (attempt < 8)
            proc_free(&p);
        json_decref(rel);
        {
            reply_err(out, &err);
            return;
        }
    }
    rc = proc_serialize(&p, &data, &err);
    row_fill(&p, &row, (int64_t)time(NULL));
    row.data = data;
    if (!rc)
        rc = in_txn(svc, txn_insert, &row, &err);
    free(data);
    if (rc)
        reply_err(out, &err);
    else
        reply(out, 201, published(ocid, rel, index, dup, &p));
done:
    proc_free(&p);
    json_decref(rel);
}

static int parse(enum proc_step step, const char *text, size_t len, json_t **body, struct proc_reply *out)
{
    struct proc_issues is = { 0 };
    int rc = proc_body_parse(step, text, len, body, &is);
    if (rc)
        reply_issues(out, rc, &is, NULL);
    return rc;
}

void proc_svc_create(struct proc_svc *svc, const struct auth_principal *who, const char *text, size_t len, int dry,
                     struct proc_reply *out)
{
    json_t *body = NULL;

    if (who->role != AUTH_OFFICER) {
        reply(out, 403, proc_svc_error(403, "forbidden", NULL, "only an officer starts procedures"));
        return;
    }
    if (parse(PROC_STEP_CREATE, text, len, &body, out))
        return;
    pthread_mutex_lock(&svc->lock);
    create_locked(svc, who, body, dry, out);
    pthread_mutex_unlock(&svc->lock);
    json_decref(body);
}

/* ---- steps --------------------------------------------------------------------------- */

/* Stores with pending, publishes, clears pending. */
static void commit_step(struct proc_svc *svc, const struct auth_principal *who, struct proc *p, struct proc_row *row,
                        json_t *rel, struct proc_reply *out)
{
    struct bf_err err = { 0 };
    struct proc_row done;
    json_t *pend = json_pack("{s:s,s:O}", "actor", who->actor, "release", rel);
    char *pending = pend ? json_dumps(pend, JSON_COMPACT) : NULL;
    uint64_t index = 0;
    int dup = 0, rc;

    json_decref(pend);
    rc = pending ? save(svc, p, row, pending, &err) : bf_err_set(&err, BF_ENOMEM, "serialising release");
    free(pending);
    if (rc) {
        reply_err(out, &err);
        return;
    }
    rc = publish(svc, rel, who->actor, &index, &dup, &err);
    if (rc == BF_EINVAL || rc == BF_ECONFLICT || rc == BF_ECRYPTO || rc == BF_ELIMIT || rc == BF_EUNSUPPORTED) {
        restore(svc, row, p->seq); /* refused: the step did not happen */
        reply_err(out, &err);
        return;
    }
    if (rc) { /* pending stays: the next access republishes it */
        reply_err(out, &err);
        return;
    }
    memset(&done, 0, sizeof done);
    snprintf(done.ocid, sizeof done.ocid, "%s", p->ocid);
    done.seq = p->seq;
    in_txn(svc, txn_clear, &done, NULL);
    reply(out, 201, published(p->ocid, rel, index, dup, p));
}

void proc_svc_step(struct proc_svc *svc, const struct auth_principal *who, const char *ocid, enum proc_step step,
                   const char *text, size_t len, int dry, struct proc_reply *out)
{
    struct proc_issues is = { 0 };
    struct bf_err err = { 0 };
    struct proc p;
    struct proc_row row;
    json_t *body = NULL, *rel = NULL, *dl = NULL;
    char prev_id[PROC_OCID_MAX + 48];
    const char *last;
    int rc;

    if (who->role != AUTH_OFFICER) {
        reply(out, 403, proc_svc_error(403, "forbidden", NULL, "only an officer of the buyer drives a procedure"));
        return;
    }
    pthread_mutex_lock(&svc->lock);
    if (load(svc, ocid, who, &p, &row, out)) /* 404 or 403 before looking at the body */
        goto unlock;
    if (parse(step, text, len, &body, out))
        goto done;
    last = proc_jstr(p.facts, "lastReleaseId");
    snprintf(prev_id, sizeof prev_id, "%s", last ? last : "");
    rc = proc_apply(&p, step, body, (int64_t)time(NULL), &rel, &dl, &is);
    if (dry) {
        reply(out, 200, json_pack("{s:b,s:o,s:o,s:o}", "valid", rc == 0, "issues", proc_issues_json(&is), "deadlines",
                                  dl ? dl : json_object(), "allowedSteps", proc_allowed_steps(&p)));
        dl = NULL;
    } else if (rc) {
        reply_issues(out, rc, &is, dl);
        dl = NULL;
    } else if (has_disclosures(rel) && open_disclosures(svc, p.ocid, prev_id, &rel, &err) < 0) {
        reply_err(out, &err);
    } else {
        commit_step(svc, who, &p, &row, rel, out);
    }
done:
    json_decref(dl);
    json_decref(rel);
    proc_free(&p);
    proc_row_free(&row);
unlock:
    pthread_mutex_unlock(&svc->lock);
    json_decref(body);
}

/* ---- reads ------------------------------------------------------------------------------- */

void proc_svc_get(struct proc_svc *svc, const struct auth_principal *who, const char *ocid, struct proc_reply *out)
{
    struct proc p;
    struct proc_row row;
    json_t *v;

    pthread_mutex_lock(&svc->lock);
    if (load(svc, ocid, who, &p, &row, out)) {
        pthread_mutex_unlock(&svc->lock);
        return;
    }
    pthread_mutex_unlock(&svc->lock);
    v = proc_view(&p);
    json_object_set(v, "lastReleaseId", json_object_get(p.facts, "lastReleaseId"));
    proc_free(&p);
    proc_row_free(&row);
    reply(out, 200, v);
}

static int list_one(const struct proc_row *r, void *arg)
{
    json_array_append_new(arg, json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:{s:s?,s:s?},s:I}", "ocid", r->ocid, "buyer",
                                         r->buyer, "title", r->title, "procedure", r->type, "state", r->state,
                                         "releases", r->seq, "nextDue", "step", r->next_step[0] ? r->next_step : NULL,
                                         "date", r->next_date[0] ? r->next_date : NULL, "updated",
                                         (json_int_t)r->updated));
    return 0;
}

void proc_svc_list(struct proc_svc *svc, const struct auth_principal *who, const char *buyer, const char *state,
                   int offset, int limit, struct proc_reply *out)
{
    struct bf_err err = { 0 };
    json_t *a = json_array();
    int64_t total = 0;

    if (who->role == AUTH_OFFICER)
        buyer = who->buyer;
    if (store_proc_list(svc->s, buyer, state, offset, limit, list_one, a, &total, &err) < 0) {
        json_decref(a);
        {
            reply_err(out, &err);
            return;
        }
    }
    reply(out, 200, json_pack("{s:o,s:I,s:i,s:i}", "procedures", a, "total", (json_int_t)total, "offset", offset,
                              "limit", limit));
}
