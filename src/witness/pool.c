/*
 * pool.c - the log operator's side of tlog-witness: submit a signed
 * checkpoint to every configured witness, in parallel, and keep the
 * cosignatures that verify.
 *
 * Per witness the pool remembers the size it last had cosigned (0 at
 * first). A submission sends "old <that size>" with a consistency proof
 * from it; on 409 the witness tells its size, and the pool retries once
 * with a proof from there (a witness that already holds a larger size, or
 * the same size with another root, cannot cosign this checkpoint and is
 * skipped). Returned lines are appended to the checkpoint and verified
 * with that witness's key only; only lines of that key are kept.
 *
 * Invariants: prove is never called concurrently (prove_lock); each
 * worker writes only its own slot (including its witness's HTTP client,
 * kept between rounds for keep-alive and dropped after a network error); out_lines is written after all workers
 * joined, in pool order, so the result does not depend on timing.
 */
#include "common.h"
#include "buf.h"
#include "monitor/fetch.h"
#include "witness.h"

#include <pthread.h>

#define POOL_MAX 32
#define POOL_RESP_MAX (64 * 1024)

struct pool_witness {
    char *url;                       /* ".../add-checkpoint" */
    struct tlog_vkey key;
    uint64_t last;                   /* size it last cosigned for us */
    struct monitor_client *client;   /* kept across rounds (HTTP keep-alive) */
};

struct witness_pool {
    int n;
    struct pool_witness w[POOL_MAX];
    long timeout_ms;
    pthread_mutex_t prove_lock;
};

struct job {
    struct witness_pool *p;
    struct pool_witness *w;
    const char *cp;
    size_t len;
    uint64_t size;
    witness_prove_fn prove;
    void *ctx;
    struct bf_buf lines;             /* verified lines of this witness */
    struct bf_err err;
    int rc;
    int net_error;                   /* the last request failed below HTTP */
};

int witness_pool_new(const char *const *urls, const char *const *vkeys, struct witness_pool **out,
                     struct bf_err *err)
{
    struct witness_pool *p = bf_xcalloc(1, sizeof *p);
    int i, rc = 0;

    for (i = 0; urls && urls[i]; i++) {
        size_t ul = strlen(urls[i]);
        if (i == POOL_MAX) {
            rc = bf_err_set(err, BF_ELIMIT, "at most %d witnesses", POOL_MAX);
            goto fail;
        }
        if (!vkeys || !vkeys[i]) {
            rc = bf_err_set(err, BF_EINVAL, "witness %s has no verifier key", urls[i]);
            goto fail;
        }
        if ((rc = tlog_vkey_parse(vkeys[i], strlen(vkeys[i]), &p->w[i].key, err)) < 0) {
            bf_err_wrap(err, "witness key %d", i + 1);
            goto fail;
        }
        if (p->w[i].key.type != TLOG_KEY_COSIG_V1) {
            rc = bf_err_set(err, BF_EINVAL, "witness key %s is not a cosignature/v1 (type 0x04) key", vkeys[i]);
            goto fail;
        }
        while (ul > 0 && urls[i][ul - 1] == '/')
            ul--;
        p->w[i].url = bf_xmalloc(ul + sizeof "/add-checkpoint");
        snprintf(p->w[i].url, ul + sizeof "/add-checkpoint", "%.*s/add-checkpoint", (int)ul, urls[i]);
        p->n = i + 1;
    }
    if (vkeys && vkeys[i]) {
        rc = bf_err_set(err, BF_EINVAL, "more witness keys than witness URLs");
        goto fail;
    }
    p->timeout_ms = 5000;
    pthread_mutex_init(&p->prove_lock, NULL);
    *out = p;
    return 0;
fail:
    for (i = 0; i < POOL_MAX; i++)
        free(p->w[i].url);
    free(p);
    return rc;
}

void witness_pool_set_timeout(struct witness_pool *p, long timeout_ms)
{
    int i;
    p->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
    for (i = 0; i < p->n; i++) {       /* new clients pick up the timeout */
        monitor_client_free(p->w[i].client);
        p->w[i].client = NULL;
    }
}

void witness_pool_free(struct witness_pool *p)
{
    int i;
    if (!p)
        return;
    for (i = 0; i < p->n; i++) {
        free(p->w[i].url);
        monitor_client_free(p->w[i].client);
    }
    pthread_mutex_destroy(&p->prove_lock);
    free(p);
}

/* The body of one submission with old size `old`. */
static int build_body(struct job *j, uint64_t old, struct bf_buf *body)
{
    tlog_hash proof[TLOG_MAX_PROOF];
    int n = 0, rc = 0;

    if (old > 0 && old < j->size) {
        pthread_mutex_lock(&j->p->prove_lock);
        rc = j->prove(j->ctx, old, j->size, proof, &n, &j->err);
        pthread_mutex_unlock(&j->p->prove_lock);
        if (rc < 0)
            return rc;
        if (n > WITNESS_MAX_PROOF)
            return bf_err_set(&j->err, BF_ELIMIT, "consistency proof of %d hashes is too long", n);
    }
    rc = witness_req_format(old, proof, n, j->cp, j->len, body);
    return rc < 0 ? bf_err_set(&j->err, rc, "request too large") : 0;
}

/* 1 if cp followed by the single signature line l[0..ll) verifies with
 * the witness key and that line is the witness's own (name and key ID). */
static int line_ok(struct job *j, struct tlog_note *note, const char *l, size_t ll)
{
    struct bf_buf full = BF_BUF_INIT;
    struct bf_err e = { 0 };
    const struct tlog_sig *last;
    int ok = 0;

    if (bf_buf_append(&full, j->cp, j->len) < 0 || bf_buf_append(&full, l, ll) < 0)
        goto out;
    if (tlog_note_parse(full.data, full.len, note, &e) < 0 || note->nsig < 1) {
        bf_err_set(&j->err, BF_EINVAL, "malformed cosignature line: %s", e.msg);
        goto out;
    }
    last = &note->sigs[note->nsig - 1];
    if (last->id != j->w->key.id || last->name_len != strlen(j->w->key.name) ||
        memcmp(last->name, j->w->key.name, last->name_len) != 0)
        goto out;                                  /* another key's line: ignored */
    if (tlog_note_verify(note, &j->w->key, 1, NULL, &e) <= 0) {
        bf_err_set(&j->err, BF_ECRYPTO, "cosignature does not verify: %s", e.msg);
        goto out;
    }
    ok = 1;
out:
    bf_buf_free(&full);
    return ok;
}

/* Keeps the response lines that are verified cosignatures of this
 * witness's key; fails if there is none. */
static int accept_lines(struct job *j, const char *resp, size_t rlen)
{
    struct tlog_note *note = bf_xmalloc(sizeof *note);
    const char *p = resp, *end = resp + rlen;
    int rc = 0, kept = 0;

    if (rlen == 0 || resp[rlen - 1] != '\n') {
        rc = bf_err_set(&j->err, BF_EINVAL, "response is not a sequence of signature lines");
        goto out;
    }
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ll = (size_t)(nl - p) + 1;
        if (line_ok(j, note, p, ll)) {
            if ((rc = bf_buf_append(&j->lines, p, ll)) < 0) {
                bf_err_set(&j->err, rc, "cosignature lines do not fit");
                goto out;
            }
            kept++;
        }
        p = nl + 1;
    }
    if (!kept && !j->err.code)
        bf_err_set(&j->err, BF_ECRYPTO, "response carries no cosignature of key %s", j->w->key.name);
    rc = kept ? 0 : (j->err.code ? j->err.code : BF_ECRYPTO);
out:
    free(note);
    return rc;
}

/* Parses a 409 body "N\n". */
static int parse_size(const struct monitor_resp *r, uint64_t *out)
{
    char *end;
    if (strncmp(r->content_type, "text/x.tlog.size", 16) != 0 || r->body.len < 2 ||
        r->body.data[0] < '0' || r->body.data[0] > '9' || r->body.data[r->body.len - 1] != '\n')
        return BF_EINVAL;
    errno = 0;
    *out = strtoull(r->body.data, &end, 10);
    return errno || end != r->body.data + r->body.len - 1 ? BF_EINVAL : 0;
}

static int submit_once(struct job *j, struct monitor_client *c, uint64_t old, uint64_t *conflict)
{
    struct bf_buf body = BF_BUF_INIT;
    struct monitor_resp r;
    int rc;

    if ((rc = build_body(j, old, &body)) < 0)
        goto out;
    rc = monitor_post(c, j->w->url, "text/plain; charset=utf-8", body.data, body.len, &r, &j->err);
    j->net_error = rc < 0;
    if (rc < 0)
        goto out;
    if (r.status == 200) {
        rc = accept_lines(j, r.body.data, r.body.len);
        if (rc == 0)
            j->w->last = j->size;
    } else if (r.status == 409 && parse_size(&r, conflict) == 0) {
        rc = bf_err_set(&j->err, BF_ECONFLICT, "witness has size %" PRIu64, *conflict);
    } else {
        rc = bf_err_set(&j->err, BF_EIO, "HTTP %ld: %.200s", r.status, r.body.data);
    }
    monitor_resp_free(&r);
out:
    bf_buf_free(&body);
    return rc;
}

static void *job_run(void *arg)
{
    struct job *j = arg;
    struct monitor_client *c;
    uint64_t old = j->w->last <= j->size ? j->w->last : 0, conflict = 0;

    if (!j->w->client)
        j->w->client = monitor_client_new(j->p->timeout_ms, POOL_RESP_MAX);
    if (!(c = j->w->client)) {
        j->rc = bf_err_set(&j->err, BF_ENOMEM, "cannot create an HTTP client");
        return NULL;
    }
    j->rc = submit_once(j, c, old, &conflict);
    if (j->rc == BF_ECONFLICT && conflict != old && conflict <= j->size) {
        memset(&j->err, 0, sizeof j->err);
        j->rc = submit_once(j, c, conflict, &conflict);
    }
    if (j->rc == BF_ECONFLICT) {
        bf_err_set(&j->err, BF_ECONFLICT, "witness has cosigned size %" PRIu64 " and will not cosign size %" PRIu64
                   " (%s)", conflict, j->size, conflict == j->size ? "same size, different root: fork?" : "rollback?");
        if (conflict <= j->size)
            j->w->last = conflict;
    }
    if (j->net_error) {                /* a broken connection is not reused */
        monitor_client_free(j->w->client);
        j->w->client = NULL;
    }
    return NULL;
}

int witness_pool_cosign(struct witness_pool *p, const char *cp, size_t len, uint64_t size,
                        int (*prove)(void *ctx, uint64_t from, uint64_t to, tlog_hash *proof, int *n,
                                     struct bf_err *err),
                        void *ctx, struct bf_buf *out_lines, struct bf_err *err)
{
    struct job jobs[POOL_MAX];
    pthread_t th[POOL_MAX];
    int started[POOL_MAX] = { 0 };
    int i, failed = 0, rc = 0;
    size_t used = 0;

    if (len == 0 || cp[len - 1] != '\n')
        return bf_err_set(err, BF_EINVAL, "checkpoint to cosign must be a signed note ending in a newline");
    memset(jobs, 0, sizeof jobs);
    for (i = 0; i < p->n; i++) {
        jobs[i] = (struct job){ .p = p, .w = &p->w[i], .cp = cp, .len = len, .size = size, .prove = prove, .ctx = ctx };
        bf_buf_init(&jobs[i].lines, POOL_RESP_MAX);
        started[i] = pthread_create(&th[i], NULL, job_run, &jobs[i]) == 0;
        if (!started[i])
            job_run(&jobs[i]);
    }
    for (i = 0; i < p->n; i++) {
        if (started[i])
            pthread_join(th[i], NULL);
        if (jobs[i].rc == 0 && bf_buf_append(out_lines, jobs[i].lines.data, jobs[i].lines.len) < 0)
            jobs[i].rc = bf_err_set(&jobs[i].err, BF_ELIMIT, "cosignature lines do not fit");
        if (jobs[i].rc < 0) {
            failed++;
            fprintf(stderr, "belfry: witness %s: %s\n", p->w[i].url, jobs[i].err.msg);
            if (err && used < sizeof err->msg)
                used += (size_t)snprintf(err->msg + used, sizeof err->msg - used, "%switness %s: %s",
                                         used ? "; " : "", p->w[i].url, jobs[i].err.msg);
        }
        bf_buf_free(&jobs[i].lines);
    }
    if (err && failed)
        err->code = 0;
    return rc;
}
