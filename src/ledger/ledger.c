/*
 * ledger.c - creating, opening and closing the log; its key, lock and
 * published state.
 *
 * Opening recovers everything from the store: the last signed checkpoint
 * (its signature checked with the log key), the right edge of the tree
 * rebuilt from stored complete hashes, and a comparison of the two. A
 * mismatch is BF_ECORRUPT with a message naming both roots: the ledger
 * never signs on top of a store it cannot vouch for.
 *
 * Invariants: a writable ledger holds an exclusive flock on
 * <data>/log/lock for its whole life, so only one sequencer ever writes a
 * store (the kernel drops the lock if the process dies, even by SIGKILL).
 * The published checkpoint only moves forward; it is always set once
 * ledger_open returns (the empty tree's checkpoint is signed by init).
 */
#include "common.h"
#include "ledger_int.h"
#include "buf.h"
#include "fs.h"
#include "store/store.h"
#include "store/store_log.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#define META_ORIGIN "log.origin"
#define META_VKEY "log.vkey"

int64_t ledger_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int log_path(struct store *s, const char *name, char *out, size_t cap, struct bf_err *err)
{
    if (snprintf(out, cap, "%s/log%s%s", store_dir(s), name ? "/" : "", name ? name : "") >= (int)cap)
        return bf_err_set(err, BF_EINVAL, "data directory path too long");
    return 0;
}

static int origin_valid(const char *o)
{
    size_t i, n = strlen(o);
    if (!n || n >= TLOG_NAME_MAX || !tlog_key_name_valid(o, n))
        return 0;
    for (i = 0; i < n; i++)
        if (o[i] == '+' || o[i] == ' ' || (unsigned char)o[i] < 0x21)
            return 0;
    return 1;
}

static int key_from_text(const char *text, const char *origin, struct tlog_skey *k, struct bf_err *err)
{
    size_t n = strlen(text);
    int rc;

    while (n && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
        n--;
    if ((rc = tlog_skey_parse(text, n, k, err)) < 0)
        return bf_err_wrap(err, "log key");
    if (k->type != TLOG_KEY_ED25519)
        return bf_err_set(err, BF_EINVAL, "log key: type 0x%02x is not Ed25519", k->type);
    if (origin && strcmp(k->name, origin) != 0)
        return bf_err_set(err, BF_EINVAL, "log key is named '%s' but the origin is '%s'; they must be equal",
                          k->name, origin);
    return 0;
}

int ledger_init(struct store *s, const char *origin, const char *key_text, struct bf_err *err)
{
    struct tlog_skey k;
    struct tlog_vkey pub;
    struct bf_buf cp = BF_BUF_INIT, vk = BF_BUF_INIT, sk = BF_BUF_INIT;
    struct store_txn *t = NULL;
    char *old = NULL, dir[4096], path[4096];
    tlog_hash empty;
    int rc;

    if (!origin_valid(origin))
        return bf_err_set(err, BF_EINVAL, "origin '%s' is not valid: it must be a non-empty name without "
                                          "spaces, '+' or control characters (e.g. belfry.example.be/log)", origin);
    if (store_meta_get(s, META_ORIGIN, &old, NULL) == 0) {
        rc = bf_err_set(err, BF_EEXIST, "the store in %s already has a log (origin %s)", store_dir(s), old);
        goto out;
    }
    if (key_text)
        rc = key_from_text(key_text, origin, &k, err);
    else
        rc = tlog_skey_generate(origin, TLOG_KEY_ED25519, NULL, &k, err);
    if (rc < 0)
        goto out;
    tlog_skey_public(&k, &pub);
    tlog_empty_root(&empty);
    if ((rc = tlog_vkey_format(&pub, &vk)) < 0 || (rc = tlog_skey_format(&k, &sk)) < 0 ||
        (rc = bf_buf_putc(&sk, '\n')) < 0) {
        bf_err_set(err, rc, "formatting the log key");
        goto out;
    }
    if ((rc = tlog_checkpoint_sign(&k, origin, 0, &empty, &cp, err)) < 0)
        goto out;
    if ((rc = log_path(s, NULL, dir, sizeof dir, err)) < 0 || (rc = log_path(s, "key", path, sizeof path, err)) < 0)
        goto out;
    if ((rc = bf_fs_mkdirs(dir, 0700, err)) < 0)
        goto out;
    if ((rc = store_txn_begin(s, &t, err)) < 0)
        goto out;
    if ((rc = store_meta_set(t, META_ORIGIN, origin, err)) < 0 || (rc = store_meta_set(t, META_VKEY, vk.data, err)) < 0 ||
        (rc = store_log_put_checkpoint(t, 0, cp.data, cp.len, err)) < 0)
        goto out;
    /* The key file is written before the commit: a crash in between leaves
     * a key that signed nothing durable, which the next init replaces. */
    if ((rc = bf_fs_write_atomic(path, sk.data, sk.len, 0600, err)) < 0)
        goto out;
    chmod(path, 0600);
    rc = store_txn_commit(t, err);
    t = NULL;
out:
    if (t)
        store_txn_rollback(t);
    explicit_bzero(&k, sizeof k);
    if (sk.data)
        explicit_bzero(sk.data, sk.len);
    bf_buf_free(&sk);
    bf_buf_free(&cp);
    bf_buf_free(&vk);
    free(old);
    return rc;
}

static int take_lock(struct ledger *l, struct bf_err *err)
{
    char dir[4096], path[4096];
    int rc;

    if ((rc = log_path(l->s, NULL, dir, sizeof dir, err)) < 0 || (rc = log_path(l->s, "lock", path, sizeof path, err)) < 0)
        return rc;
    if ((rc = bf_fs_mkdirs(dir, 0700, err)) < 0)
        return rc;
    l->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (l->lockfd < 0)
        return bf_err_set(err, BF_EIO, "%s: %s", path, strerror(errno));
    if (flock(l->lockfd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        close(l->lockfd);
        l->lockfd = -1;
        if (e == EWOULDBLOCK)
            return bf_err_set(err, BF_ECONFLICT, "another belfry process (a running `belfry serve`?) is writing "
                                                 "the log in %s", store_dir(l->s));
        return bf_err_set(err, BF_EIO, "locking %s: %s", path, strerror(e));
    }
    return 0;
}

int ledger_lock_held(const char *data_dir)
{
    char path[4096];
    int fd, held = 0;

    if (snprintf(path, sizeof path, "%s/log/lock", data_dir) >= (int)sizeof path)
        return 0;
    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return 0;
    if (flock(fd, LOCK_EX | LOCK_NB) < 0)
        held = errno == EWOULDBLOCK;
    close(fd); /* releases our lock if we got it */
    return held;
}

static int load_keys(struct ledger *l, struct bf_err *err)
{
    char path[4096], *text = NULL, *vk = NULL;
    size_t len;
    int rc;

    if ((rc = store_meta_get(l->s, META_ORIGIN, &l->origin, NULL)) < 0)
        return bf_err_set(err, BF_ENOTFOUND, "the store in %s has no log (run `belfry init --data %s --origin ...`)",
                          store_dir(l->s), store_dir(l->s));
    if ((rc = store_meta_get(l->s, META_VKEY, &vk, err)) < 0)
        return rc;
    if ((rc = tlog_vkey_parse(vk, strlen(vk), &l->pub, err)) < 0) {
        bf_err_wrap(err, "the store's log verifier key");
        rc = BF_ECORRUPT;
        goto out;
    }
    l->vkey = vk;
    vk = NULL;
    if ((rc = log_path(l->s, "key", path, sizeof path, err)) < 0)
        goto out;
    rc = bf_fs_read(path, 4096, &text, &len, err);
    if (rc == BF_ENOTFOUND && l->readonly) {
        rc = 0; /* a read-only ledger verifies with the vkey alone */
        goto out;
    }
    if (rc < 0 || (rc = key_from_text(text, l->origin, &l->key, err)) < 0)
        goto out;
    {
        struct tlog_vkey mine;
        tlog_skey_public(&l->key, &mine);
        if (memcmp(mine.pub, l->pub.pub, 32) != 0 || mine.id != l->pub.id)
            rc = bf_err_set(err, BF_ECORRUPT, "%s does not match the log's verifier key %s", path, l->vkey);
    }
out:
    if (text) {
        explicit_bzero(text, len);
        free(text);
    }
    free(vk);
    return rc;
}

/* Checks a stored signed checkpoint with the log key; fills cp. */
static int parse_own_checkpoint(struct ledger *l, const char *note, size_t len, struct tlog_checkpoint *cp,
                                struct bf_err *err)
{
    struct tlog_note *n = bf_xmalloc(sizeof *n);
    int rc;

    if ((rc = tlog_note_parse(note, len, n, err)) < 0 || (rc = tlog_note_verify(n, &l->pub, 1, NULL, err)) < 0 ||
        (rc = tlog_checkpoint_parse(n->text, n->text_len, cp, err)) < 0) {
        rc = BF_ECORRUPT;
        goto out;
    }
    rc = 0;
    if (strcmp(cp->origin, l->origin) != 0)
        rc = bf_err_set(err, BF_ECORRUPT, "stored checkpoint has origin '%s', the log is '%s'", cp->origin, l->origin);
out:
    free(n);
    return rc;
}

/* The witnesses' cosignatures of the latest checkpoint, if a server
 * collected them before it stopped: served at once, not after the next
 * round (which the witnesses would answer for the same size anyway). */
static void restore_cosigned(struct ledger *l, uint64_t size)
{
    struct bf_buf full = BF_BUF_INIT;
    struct bf_err err = { 0 };
    char *lines = NULL;
    size_t len = 0;

    if (store_log_cosig(l->s, size, &lines, &len, &err) < 0)
        return;
    pthread_mutex_lock(&l->pub_mu);
    if (l->pub_size == size && bf_buf_append(&full, l->pub_note, l->pub_len) == 0 &&
        bf_buf_append(&full, lines, len) == 0) {
        free(l->cos_note);
        l->cos_note = bf_buf_take(&full, &l->cos_len);
        l->cos_size = size;
        l->uncos_ms = 0;
    }
    pthread_mutex_unlock(&l->pub_mu);
    bf_buf_free(&full);
    free(lines);
}

static int recover(struct ledger *l, struct bf_err *err)
{
    struct tlog_checkpoint cp;
    char *note = NULL;
    size_t len = 0;
    uint64_t count, size;
    tlog_hash root;
    int rc;

    if ((rc = store_log_checkpoint(l->s, STORE_LOG_LATEST, &note, &len, &size, err)) < 0)
        goto out;
    if ((rc = parse_own_checkpoint(l, note, len, &cp, err)) < 0) {
        bf_err_wrap(err, "the last signed checkpoint (size %" PRIu64 ") does not verify", size);
        goto out;
    }
    if (cp.size != size) {
        rc = bf_err_set(err, BF_ECORRUPT, "checkpoint stored as size %" PRIu64 " says size %" PRIu64, size, cp.size);
        goto out;
    }
    if ((rc = store_log_count(l->s, &count, err)) < 0)
        goto out;
    if (count != size) {
        rc = bf_err_set(err, BF_ECORRUPT, "the store holds %" PRIu64 " entries but the last signed checkpoint "
                                          "covers %" PRIu64 "; run `belfry check`", count, size);
        goto out;
    }
    if ((rc = ledger_tree_load(&l->tree, size, ledger_tile_hashes, l, err)) < 0) {
        bf_err_wrap(err, "rebuilding the tree of size %" PRIu64, size);
        if (rc == BF_ENOTFOUND)
            rc = BF_ECORRUPT;
        goto out;
    }
    ledger_tree_root(&l->tree, &root);
    if (memcmp(root.b, cp.root.b, TLOG_HASH_LEN) != 0) {
        rc = bf_err_set(err, BF_ECORRUPT, "the stored tree of size %" PRIu64 " does not hash to the root of the "
                                          "last signed checkpoint; the store was altered or damaged (run `belfry "
                                          "check`)", size);
        goto out;
    }
    ledger_publish(l, size, &root, note, len);
    note = NULL;
    restore_cosigned(l, size);
out:
    free(note);
    return rc;
}

int ledger_open(struct store *s, const struct ledger_opts *opts, struct ledger **out, struct bf_err *err)
{
    static const struct ledger_opts defaults = { 0, 0, 0, NULL, NULL };
    struct ledger *l = bf_xcalloc(1, sizeof *l);
    int rc;

    if (!opts)
        opts = &defaults;
    l->s = s;
    l->lockfd = -1;
    l->readonly = opts->readonly || (store_flags(s) & STORE_READONLY);
    l->batch_max = opts->batch_max > 0 ? opts->batch_max : 4096;
    pthread_mutex_init(&l->pub_mu, NULL);
    pthread_mutex_init(&l->q_mu, NULL);
    pthread_mutex_init(&l->sync_mu, NULL);
    pthread_cond_init(&l->sync_cv, NULL);
    pthread_cond_init(&l->q_cv, NULL);
    ledger_cache_init(&l->cache);
    if (!l->readonly && (rc = take_lock(l, err)) < 0)
        goto fail;
    if ((rc = load_keys(l, err)) < 0 || (rc = recover(l, err)) < 0)
        goto fail;
    if (!l->readonly && ((rc = ledger_signer_new(&l->key, &l->signer, err)) < 0 || (rc = ledger_seq_start(l, err)) < 0))
        goto fail;
    if (!l->readonly && opts->witness_urls && opts->witness_urls[0] && (rc = ledger_witness_start(l, opts, err)) < 0)
        goto fail;
    *out = l;
    return 0;
fail:
    ledger_close(l);
    return rc;
}

void ledger_close(struct ledger *l)
{
    if (!l)
        return;
    ledger_admin_stop(l);
    ledger_seq_stop(l); /* before the cosigner: the sequencer kicks it */
    ledger_witness_stop(l);
    ledger_signer_free(l->signer);
    ledger_cache_free(&l->cache);
    free(l->pub_note);
    free(l->cos_note);
    free(l->origin);
    free(l->vkey);
    explicit_bzero(&l->key, sizeof l->key);
    if (l->lockfd >= 0)
        close(l->lockfd);
    pthread_mutex_destroy(&l->pub_mu);
    pthread_mutex_destroy(&l->q_mu);
    pthread_cond_destroy(&l->q_cv);
    pthread_mutex_destroy(&l->sync_mu);
    pthread_cond_destroy(&l->sync_cv);
    free(l);
}

/* Lock-free: called for every subtree of every proof. pub_size is
 * written (under pub_mu) only after the batch it covers has committed. */
uint64_t ledger_size(struct ledger *l)
{
    return __atomic_load_n(&l->pub_size, __ATOMIC_ACQUIRE);
}

const char *ledger_origin(struct ledger *l)
{
    return l->origin;
}

const char *ledger_vkey(struct ledger *l)
{
    return l->vkey;
}

void ledger_publish(struct ledger *l, uint64_t size, const tlog_hash *root, char *note, size_t len)
{
    pthread_mutex_lock(&l->pub_mu);
    free(l->pub_note);
    l->pub_note = note;
    l->pub_len = len;
    __atomic_store_n(&l->pub_size, size, __ATOMIC_RELEASE);
    l->pub_root = *root;
    if (!l->uncos_ms)
        l->uncos_ms = ledger_now_ms();
    pthread_mutex_unlock(&l->pub_mu);
    ledger_witness_kick(l);
}

/* The served checkpoint: the log-signed one, or with witnesses the newest
 * cosigned one while it lags the signed one by less than a second. Never
 * smaller than one already served. Caller holds pub_mu. */
static void served_locked(struct ledger *l, const char **note, size_t *len, uint64_t *size)
{
    int use_cos = l->cos_note && l->cos_size >= l->served_size &&
                  (l->cos_size == l->pub_size || ledger_now_ms() - l->uncos_ms < 1000);
    if (use_cos) {
        *note = l->cos_note;
        *len = l->cos_len;
        *size = l->cos_size;
    } else {
        *note = l->pub_note;
        *len = l->pub_len;
        *size = l->pub_size;
    }
    if (*size > l->served_size)
        l->served_size = *size;
}

int ledger_checkpoint(struct ledger *l, struct bf_buf *out, uint64_t *size, struct bf_err *err)
{
    const char *note;
    size_t len;
    uint64_t n;
    int rc;

    pthread_mutex_lock(&l->pub_mu);
    served_locked(l, &note, &len, &n);
    rc = bf_buf_append(out, note, len);
    pthread_mutex_unlock(&l->pub_mu);
    if (rc < 0)
        return bf_err_set(err, rc, "checkpoint larger than the output limit");
    if (size)
        *size = n;
    return 0;
}
