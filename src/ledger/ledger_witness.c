/*
 * ledger_witness.c - collects witness cosignatures for published
 * checkpoints, off the append path.
 *
 * A cosigner thread wakes whenever the sequencer publishes a checkpoint,
 * takes the newest one, asks the witness pool (src/witness/, linked weakly
 * so the ledger builds without it) to cosign it, proving consistency from
 * whatever size each witness last saw, and stores the checkpoint with the
 * cosignature lines appended as the log's witnessed checkpoint. Appenders
 * never wait for witnesses: they are acknowledged on the log-signed
 * checkpoint; /log/checkpoint prefers the witnessed one (ledger.c).
 *
 * Invariants: only this thread talks to witnesses, at most one round per
 * WITNESS_MIN_INTERVAL_MS; cos_size never goes down; a round in which no
 * witness cosigned is retried after WITNESS_RETRY_MS, on the newest
 * checkpoint then.
 */
#include "common.h"
#include "ledger_int.h"
#include "store/store_log.h"
#include "buf.h"

struct witness_pool;
int witness_pool_new(const char *const *urls, const char *const *vkeys, struct witness_pool **out,
                     struct bf_err *err) __attribute__((weak));
int witness_pool_cosign(struct witness_pool *p, const char *cp, size_t len, uint64_t size,
                        int (*prove)(void *ctx, uint64_t from, uint64_t to, tlog_hash *proof, int *n,
                                     struct bf_err *err),
                        void *ctx, struct bf_buf *out_lines, struct bf_err *err) __attribute__((weak));
void witness_pool_free(struct witness_pool *p) __attribute__((weak));

#define WITNESS_RETRY_MS 1000
#define WITNESS_MIN_INTERVAL_MS 250

static void add_ms(struct timespec *ts, long ms)
{
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

struct ledger_witness {
    struct witness_pool *pool;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int kicked, stop;
};

static int prove(void *ctx, uint64_t from, uint64_t to, tlog_hash *proof, int *n, struct bf_err *err)
{
    return ledger_consistency(ctx, from, to, proof, n, err);
}

/* One round: cosign the newest checkpoint. 0, or < 0 to back off. */
static int cosign_round(struct ledger *l, struct ledger_witness *w)
{
    struct bf_buf lines = BF_BUF_INIT, full = BF_BUF_INIT;
    struct bf_err err = { 0, "" };
    char *note;
    size_t len;
    uint64_t size;
    int rc, fresh;

    int64_t started = ledger_now_ms();

    pthread_mutex_lock(&l->pub_mu);
    size = l->pub_size;
    len = l->pub_len;
    note = bf_xstrndup(l->pub_note, len);
    if (l->cos_note && l->cos_size >= size) {
        pthread_mutex_unlock(&l->pub_mu);
        free(note);
        return 0;
    }
    pthread_mutex_unlock(&l->pub_mu);
    bf_buf_init(&lines, 64 * 1024);
    rc = witness_pool_cosign(w->pool, note, len, size, prove, l, &lines, &err);
    if (rc < 0) {
        fprintf(stderr, "belfry: ledger: witness cosigning of size %" PRIu64 " failed: %s\n", size, err.msg);
        goto out;
    }
    if (lines.len == 0) { /* every witness failed (the pool reported each on stderr) */
        rc = BF_EIO;
        goto out;
    }
    if (bf_buf_append(&full, note, len) < 0 || bf_buf_append(&full, lines.data ? lines.data : "", lines.len) < 0) {
        rc = BF_ELIMIT;
        goto out;
    }
    pthread_mutex_lock(&l->pub_mu);
    fresh = !l->cos_note || size > l->cos_size;
    if (fresh) {
        free(l->cos_note);
        l->cos_note = bf_buf_take(&full, &l->cos_len);
        l->cos_size = size;
        /* anything newer was published after this round started */
        l->uncos_ms = size == l->pub_size ? 0 : started;
    }
    pthread_mutex_unlock(&l->pub_mu);
    /* kept, so that receipts of this size carry them (?size=N) and a
     * restarted server serves them at once; the ones in memory serve
     * even if this fails */
    if (fresh && store_log_put_cosig(l->s, size, lines.data, lines.len, &err) < 0)
        fprintf(stderr, "belfry: ledger: keeping the cosignatures of size %" PRIu64 ": %s\n", size, err.msg);
out:
    free(note);
    bf_buf_free(&lines);
    bf_buf_free(&full);
    return rc;
}

static void *cosigner(void *arg)
{
    struct ledger *l = arg;
    struct ledger_witness *w = l->witness;

    pthread_mutex_lock(&w->mu);
    while (!w->stop) {
        struct timespec ts;
        int rc;
        if (!w->kicked) {
            pthread_cond_wait(&w->cv, &w->mu);
            continue;
        }
        w->kicked = 0;
        pthread_mutex_unlock(&w->mu);
        clock_gettime(CLOCK_REALTIME, &ts);
        rc = cosign_round(l, w);
        pthread_mutex_lock(&w->mu);
        /* pace the rounds: at most one per WITNESS_MIN_INTERVAL_MS (the
         * witnesses belong to other institutions), one per
         * WITNESS_RETRY_MS after a failure; stop interrupts the wait */
        add_ms(&ts, rc < 0 ? WITNESS_RETRY_MS : WITNESS_MIN_INTERVAL_MS);
        while (!w->stop && pthread_cond_timedwait(&w->cv, &w->mu, &ts) != ETIMEDOUT)
            ;
        if (rc < 0)
            w->kicked = 1;
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int ledger_witness_start(struct ledger *l, const struct ledger_opts *o, struct bf_err *err)
{
    struct ledger_witness *w;
    int rc;

    if (!witness_pool_new || !witness_pool_cosign || !witness_pool_free)
        return bf_err_set(err, BF_EUNSUPPORTED, "this build of belfry has no witness support");
    if (!o->witness_vkeys)
        return bf_err_set(err, BF_EINVAL, "witness URLs given without their verifier keys");
    w = bf_xcalloc(1, sizeof *w);
    if ((rc = witness_pool_new(o->witness_urls, o->witness_vkeys, &w->pool, err)) < 0) {
        free(w);
        return rc;
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->kicked = 1;
    l->witness = w;
    if ((rc = pthread_create(&w->th, NULL, cosigner, l)) != 0) {
        l->witness = NULL;
        witness_pool_free(w->pool);
        free(w);
        return bf_err_set(err, BF_EIO, "starting the cosigner: %s", strerror(rc));
    }
    return 0;
}

void ledger_witness_kick(struct ledger *l)
{
    struct ledger_witness *w = l->witness;
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->kicked = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void ledger_witness_stop(struct ledger *l)
{
    struct ledger_witness *w = l->witness;
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->th, NULL);
    witness_pool_free(w->pool);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
    l->witness = NULL;
}
