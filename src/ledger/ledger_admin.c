/*
 * ledger_admin.c - appends from other processes while a server holds the
 * log: a Unix socket <data>/admin.sock (mode 0600, in the 0700 data
 * directory, peer uid checked) that `belfry log append` talks to.
 *
 * Protocol (one connection, any number of rounds):
 *   request:  u32be count (1..LEDGER_ADMIN_MAX_BATCH), then count times
 *             u32be length (0..TLOG_MAX_ENTRY+1) and the entry bytes
 *   reply:    count lines, in order: "ok <index>\n" or "err <message>\n"
 * A request is appended with one ledger_append call, so its entries share
 * a group commit; a reply line is written only once its entry is durable
 * and covered by a signed checkpoint. Anything malformed closes the
 * connection (nothing of an incomplete request is appended). A count of
 * 0 starts a command that a domain runs in the server instead
 * (ledger_admin_cmd.c).
 *
 * Invariants: at most LEDGER_ADMIN_MAX_CONN connection threads; every read
 * is bounded in size, and in time once a request has begun; the listener
 * is stopped before the ledger closes, after answering requests in flight
 * (their entries are appended and acknowledged).
 */
#include "common.h"
#include "ledger_int.h"
#include "buf.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#define LEDGER_ADMIN_MAX_CONN 64
#define LEDGER_ADMIN_TIMEOUT_S 120

struct ledger_admin {
    struct ledger *l;
    char *path;
    int fd;
    int stop_pipe[2];
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int nconn;
    int conn_fd[LEDGER_ADMIN_MAX_CONN];
};

/* ---- I/O helpers ------------------------------------------------------ */

int ledger_admin_read_full(int fd, void *p, size_t n)
{
    char *c = p;
    while (n) {
        ssize_t r = read(fd, c, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        c += r;
        n -= (size_t)r;
    }
    return 0;
}

int ledger_admin_write_full(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t r = send(fd, c, n, MSG_NOSIGNAL);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        c += r;
        n -= (size_t)r;
    }
    return 0;
}

uint32_t ledger_admin_get_u32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

void ledger_admin_put_u32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

int ledger_admin_path(const char *data_dir, char *out, size_t cap, struct bf_err *err)
{
    struct sockaddr_un sa;
    if (snprintf(out, cap, "%s/admin.sock", data_dir) >= (int)cap || strlen(out) >= sizeof sa.sun_path)
        return bf_err_set(err, BF_EINVAL, "data directory path too long for a Unix socket (%zu bytes max)",
                          sizeof sa.sun_path - 12);
    return 0;
}

/* ---- server ----------------------------------------------------------- */

int ledger_admin_read_request(int fd, struct ledger_item **items, size_t *n)
{
    uint8_t hdr[4];
    uint32_t count, i;
    struct ledger_item *it;

    *n = 0;
    *items = NULL;
    if (ledger_admin_read_full(fd, hdr, 4) < 0)
        return 0;
    count = ledger_admin_get_u32(hdr);
    if (count == 0)
        return LEDGER_ADMIN_IS_COMMAND;
    if (count > LEDGER_ADMIN_MAX_BATCH)
        return -1;
    it = bf_xcalloc(count, sizeof *it);
    for (i = 0; i < count; i++) {
        uint32_t len;
        if (ledger_admin_read_full(fd, hdr, 4) < 0 || (len = ledger_admin_get_u32(hdr)) > TLOG_MAX_ENTRY + 1)
            goto fail;
        it[i].len = len;
        it[i].entry = bf_xmalloc(len ? len : 1);
        if (len && ledger_admin_read_full(fd, (void *)it[i].entry, len) < 0) {
            i++;
            goto fail;
        }
    }
    *items = it;
    *n = count;
    return 0;
fail:
    while (i--)
        free((void *)it[i].entry);
    free(it);
    return -1;
}

void ledger_admin_free_request(struct ledger_item *items, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        free((void *)items[i].entry);
    free(items);
}

static int write_reply(int fd, struct ledger_item *it, size_t n)
{
    struct bf_buf out = BF_BUF_INIT;
    size_t i, j;
    int rc = 0;

    for (i = 0; i < n && !rc; i++) {
        if (it[i].rc == 0) {
            rc = bf_buf_printf(&out, "ok %" PRIu64 "\n", it[i].index);
            continue;
        }
        for (j = 0; it[i].err.msg[j]; j++)
            if (it[i].err.msg[j] == '\n')
                it[i].err.msg[j] = ' ';
        rc = bf_buf_printf(&out, "err %s\n", it[i].err.msg[0] ? it[i].err.msg : "rejected");
    }
    if (!rc)
        rc = ledger_admin_write_full(fd, out.data, out.len);
    bf_buf_free(&out);
    return rc;
}

struct conn_arg {
    struct ledger_admin *a;
    int fd;
};

static void *conn_main(void *arg)
{
    struct conn_arg *ca = arg;
    struct ledger_admin *a = ca->a;
    int fd = ca->fd;

    free(ca);
    for (;;) {
        struct ledger_item *items;
        size_t n;
        struct timeval none = { 0, 0 }, tv = { LEDGER_ADMIN_TIMEOUT_S, 0 };
        struct pollfd p = { fd, POLLIN, 0 };
        int bad;
        /* An idle client (an operator typing entries) may wait between
         * requests as long as it likes; once a request starts, all of it
         * must arrive within the timeout. */
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
        if (poll(&p, 1, -1) < 0 && errno != EINTR)
            break;
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        bad = ledger_admin_read_request(fd, &items, &n);
        if (bad == LEDGER_ADMIN_IS_COMMAND) {
            if (ledger_admin_serve_command(a->l, fd) < 0)
                break;
            continue;
        }
        if (bad < 0 || n == 0)
            break;
        ledger_append(a->l, items, n, NULL);
        bad = write_reply(fd, items, n);
        ledger_admin_free_request(items, n);
        if (bad < 0)
            break;
    }
    pthread_mutex_lock(&a->mu);
    for (int i = 0; i < LEDGER_ADMIN_MAX_CONN; i++)
        if (a->conn_fd[i] == fd) {
            a->conn_fd[i] = -1;
            break;
        }
    close(fd);
    a->nconn--;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

static int peer_is_us(int fd)
{
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        return 0;
    return cred.uid == getuid();
}

static void accept_one(struct ledger_admin *a)
{
    struct timeval tv = { LEDGER_ADMIN_TIMEOUT_S, 0 };
    struct conn_arg *ca;
    pthread_t th;
    int fd = accept4(a->fd, NULL, NULL, SOCK_CLOEXEC), i;

    if (fd < 0)
        return;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    pthread_mutex_lock(&a->mu);
    if (!peer_is_us(fd) || a->nconn >= LEDGER_ADMIN_MAX_CONN) {
        pthread_mutex_unlock(&a->mu);
        close(fd);
        return;
    }
    for (i = 0; i < LEDGER_ADMIN_MAX_CONN && a->conn_fd[i] >= 0; i++)
        ;
    a->conn_fd[i] = fd;
    a->nconn++;
    pthread_mutex_unlock(&a->mu);
    ca = bf_xmalloc(sizeof *ca);
    ca->a = a;
    ca->fd = fd;
    if (pthread_create(&th, NULL, conn_main, ca) != 0) {
        free(ca);
        pthread_mutex_lock(&a->mu);
        a->conn_fd[i] = -1;
        a->nconn--;
        pthread_mutex_unlock(&a->mu);
        close(fd);
        return;
    }
    pthread_detach(th);
}

static void *accept_main(void *arg)
{
    struct ledger_admin *a = arg;
    for (;;) {
        struct pollfd p[2] = { { a->fd, POLLIN, 0 }, { a->stop_pipe[0], POLLIN, 0 } };
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[1].revents)
            break;
        if (p[0].revents & POLLIN)
            accept_one(a);
    }
    return NULL;
}

static int bind_socket(struct ledger_admin *a, struct bf_err *err)
{
    struct sockaddr_un sa;

    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, a->path, strlen(a->path) + 1);
    a->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (a->fd < 0)
        return bf_err_set(err, BF_EIO, "admin socket: %s", strerror(errno));
    /* A stale socket from a killed server: we hold the log lock, so no
     * other server can be using it. */
    unlink(a->path);
    if (bind(a->fd, (struct sockaddr *)&sa, sizeof sa) < 0 || chmod(a->path, 0600) < 0 || listen(a->fd, 64) < 0)
        return bf_err_set(err, BF_EIO, "admin socket %s: %s", a->path, strerror(errno));
    return 0;
}

int ledger_admin_listen(struct ledger *l, const char *data_dir, struct bf_err *err)
{
    char path[4096];
    struct ledger_admin *a;
    int rc, i;

    if (l->readonly)
        return bf_err_set(err, BF_EINVAL, "a read-only ledger takes no appends");
    if (l->admin)
        return bf_err_set(err, BF_EEXIST, "the admin socket is already listening");
    if ((rc = ledger_admin_path(data_dir, path, sizeof path, err)) < 0)
        return rc;
    a = bf_xcalloc(1, sizeof *a);
    a->l = l;
    a->path = bf_xstrdup(path);
    a->fd = -1;
    a->stop_pipe[0] = a->stop_pipe[1] = -1;
    for (i = 0; i < LEDGER_ADMIN_MAX_CONN; i++)
        a->conn_fd[i] = -1;
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    l->admin = a;
    if ((rc = bind_socket(a, err)) < 0)
        goto fail;
    if (pipe2(a->stop_pipe, O_CLOEXEC) < 0) {
        rc = bf_err_set(err, BF_EIO, "pipe: %s", strerror(errno));
        goto fail;
    }
    if ((rc = pthread_create(&a->th, NULL, accept_main, a)) != 0) {
        rc = bf_err_set(err, BF_EIO, "admin socket thread: %s", strerror(rc));
        close(a->stop_pipe[1]);
        a->stop_pipe[1] = -1;
        goto fail;
    }
    return 0;
fail:
    ledger_admin_stop(l);
    return rc;
}

void ledger_admin_stop(struct ledger *l)
{
    struct ledger_admin *a = l->admin;
    int i;

    if (!a)
        return;
    if (a->stop_pipe[1] >= 0) {
        if (write(a->stop_pipe[1], "x", 1) == 1)
            pthread_join(a->th, NULL);
        close(a->stop_pipe[1]);
    }
    if (a->stop_pipe[0] >= 0)
        close(a->stop_pipe[0]);
    pthread_mutex_lock(&a->mu);
    for (i = 0; i < LEDGER_ADMIN_MAX_CONN; i++)
        if (a->conn_fd[i] >= 0)
            shutdown(a->conn_fd[i], SHUT_RD); /* in-flight requests still get their answer */
    while (a->nconn > 0)
        pthread_cond_wait(&a->cv, &a->mu);
    pthread_mutex_unlock(&a->mu);
    if (a->fd >= 0) {
        close(a->fd);
        unlink(a->path);
    }
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->cv);
    free(a->path);
    free(a);
    l->admin = NULL;
}

/* ---- client ----------------------------------------------------------- */

int ledger_admin_connect(const char *data_dir, int *fd, struct bf_err *err)
{
    struct sockaddr_un sa;
    char path[4096];
    int rc, s;

    if ((rc = ledger_admin_path(data_dir, path, sizeof path, err)) < 0)
        return rc;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return bf_err_set(err, BF_EIO, "socket: %s", strerror(errno));
    if (connect(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
        rc = bf_err_set(err, errno == ENOENT || errno == ECONNREFUSED ? BF_ENOTFOUND : BF_EIO,
                        "cannot reach the server's admin socket %s: %s", path, strerror(errno));
        close(s);
        return rc;
    }
    *fd = s;
    return 0;
}

/* Reads one reply line (bounded) into line. */
static int read_line(int fd, char *line, size_t cap)
{
    size_t n = 0;
    for (;;) {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        if (c == '\n')
            break;
        if (n + 1 < cap)
            line[n++] = c;
    }
    line[n] = '\0';
    return 0;
}

static int send_request(int fd, const struct ledger_item *items, size_t n)
{
    struct bf_buf b = BF_BUF_INIT;
    uint8_t hdr[4];
    size_t i;
    int rc;

    ledger_admin_put_u32(hdr, (uint32_t)n);
    rc = bf_buf_append(&b, hdr, 4);
    for (i = 0; i < n && !rc; i++) {
        ledger_admin_put_u32(hdr, (uint32_t)items[i].len);
        rc = bf_buf_append(&b, hdr, 4);
        if (!rc && items[i].len)
            rc = bf_buf_append(&b, items[i].entry, items[i].len);
    }
    if (!rc)
        rc = ledger_admin_write_full(fd, b.data, b.len);
    bf_buf_free(&b);
    return rc;
}

int ledger_admin_append(int fd, struct ledger_item *items, size_t n, struct bf_err *err)
{
    char *line = bf_xmalloc(1024);
    size_t i;
    int rc = 0;

    if (n < 1 || n > LEDGER_ADMIN_MAX_BATCH) {
        free(line);
        return bf_err_set(err, BF_ELIMIT, "%zu entries in one request; 1..%d allowed", n, LEDGER_ADMIN_MAX_BATCH);
    }
    for (i = 0; i < n; i++) {
        items[i].rc = BF_EIO;
        bf_err_set(&items[i].err, BF_EIO, "no answer from the server (it may have stopped): not known to be appended");
        if (items[i].len > TLOG_MAX_ENTRY + 1) {
            free(line);
            return bf_err_set(err, BF_ELIMIT, "entry of %zu bytes is over the limit", items[i].len);
        }
    }
    if (send_request(fd, items, n) < 0) {
        rc = bf_err_set(err, BF_EIO, "sending to the server: %s", strerror(errno));
        goto out;
    }
    for (i = 0; i < n; i++) {
        if (read_line(fd, line, 1024) < 0) {
            rc = bf_err_set(err, BF_EIO, "the server closed the connection before confirming entry %zu of %zu", i + 1, n);
            goto out;
        }
        if (!strncmp(line, "ok ", 3)) {
            char *end;
            errno = 0;
            items[i].index = strtoull(line + 3, &end, 10);
            if (errno || *end || end == line + 3) {
                rc = bf_err_set(err, BF_EIO, "malformed reply from the server: %.80s", line);
                goto out;
            }
            items[i].rc = 0;
            items[i].err.msg[0] = '\0';
        } else {
            items[i].rc = BF_EINVAL;
            bf_err_set(&items[i].err, BF_EINVAL, "%s", !strncmp(line, "err ", 4) ? line + 4 : line);
        }
    }
out:
    free(line);
    return rc;
}
