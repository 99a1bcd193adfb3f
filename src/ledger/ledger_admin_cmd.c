/*
 * ledger_admin_cmd.c - commands that local clients run in the server
 * through the admin socket (ledger_admin.c): while `belfry serve` holds
 * the log, `belfry import` hands its arguments to the server, which runs
 * the import with its own ledger and streams the output back.
 *
 * Protocol, after a request count of 0 (see ledger_admin.c):
 *   client:  u32be length (1..LEDGER_ADMIN_MAX_CMDLEN), then the
 *            arguments, each ended by a NUL (argv[0] the command's name;
 *            at most LEDGER_ADMIN_MAX_ARGS)
 *   server:  frames, a type byte, u32be length and the bytes:
 *            'o' for the client's stdout, 'e' for its stderr,
 *            'i' (empty): send your stdin; the client answers with chunks
 *                (u32be length 1..LEDGER_ADMIN_CHUNK and the bytes) and
 *                an empty chunk at its end,
 *            'x' (4 bytes: u32be exit status), which ends the command.
 * Domains register commands by name (ledger_admin_command); a name
 * nobody registered is answered on stderr with exit status 2.
 *
 * Invariants: the command runs on its connection's thread, so one slow
 * command holds one of LEDGER_ADMIN_MAX_CONN connections, not the
 * server; every read is bounded (frame lengths, the stdin limit the
 * command gives) and the socket's timeouts bound the waits; a client that
 * goes away makes the command's output fail and its stdin read return
 * BF_EIO, never blocks it for ever, and does not stop it: an import goes
 * on, and what it commits stays.
 */
#include "common.h"
#include "ledger_int.h"
#include "buf.h"

#define LEDGER_ADMIN_CHUNK (1u << 20)

/* Commands live in each ledger's cmds; they may be registered while its
 * socket accepts, hence the lock (one for every ledger: it is rarely
 * taken). */
static pthread_mutex_t cmd_mu = PTHREAD_MUTEX_INITIALIZER;

struct ledger_admin_call {
    int fd;
    int gone;         /* a write or read failed: the client is not listening */
    int stdin_taken;
};

/* ---- wire helpers ------------------------------------------------------- */

static int send_frame(int fd, char type, const void *p, uint32_t n)
{
    uint8_t h[5];
    h[0] = (uint8_t)type;
    ledger_admin_put_u32(h + 1, n);
    return ledger_admin_write_full(fd, h, 5) < 0 || (n && ledger_admin_write_full(fd, p, n) < 0) ? -1 : 0;
}

/* ---- registry ------------------------------------------------------------ */

int ledger_admin_command(struct ledger *l, const char *name, ledger_admin_cmd_fn fn, void *arg, struct bf_err *err)
{
    int i, rc = 0;

    if (!name[0] || strlen(name) >= sizeof l->cmds[0].name)
        return bf_err_set(err, BF_EINVAL, "admin command name %.40s: 1..%zu bytes", name, sizeof l->cmds[0].name - 1);
    pthread_mutex_lock(&cmd_mu);
    for (i = 0; i < l->ncmds; i++)
        if (!strcmp(l->cmds[i].name, name))
            rc = bf_err_set(err, BF_EEXIST, "admin command %s is already registered", name);
    if (!rc && l->ncmds == LEDGER_ADMIN_MAX_CMDS)
        rc = bf_err_set(err, BF_ELIMIT, "more than %d admin commands", LEDGER_ADMIN_MAX_CMDS);
    if (!rc) {
        snprintf(l->cmds[l->ncmds].name, sizeof l->cmds[0].name, "%s", name);
        l->cmds[l->ncmds].fn = fn;
        l->cmds[l->ncmds].arg = arg;
        l->ncmds++;
    }
    pthread_mutex_unlock(&cmd_mu);
    return rc;
}

static int find_cmd(struct ledger *l, const char *name, ledger_admin_cmd_fn *fn, void **arg)
{
    int i, found = 0;
    pthread_mutex_lock(&cmd_mu);
    for (i = 0; i < l->ncmds && !found; i++)
        if (!strcmp(l->cmds[i].name, name)) {
            *fn = l->cmds[i].fn;
            *arg = l->cmds[i].arg;
            found = 1;
        }
    pthread_mutex_unlock(&cmd_mu);
    return found;
}

/* ---- server: reading a command -------------------------------------------- */

int ledger_admin_read_command(int fd, int *argc, char ***argv)
{
    uint8_t h[4];
    uint32_t len, i;
    char *buf, **v;
    int n = 0;

    *argc = 0;
    *argv = NULL;
    if (ledger_admin_read_full(fd, h, 4) < 0 || (len = ledger_admin_get_u32(h)) < 1 || len > LEDGER_ADMIN_MAX_CMDLEN)
        return -1;
    buf = bf_xmalloc(len);
    if (ledger_admin_read_full(fd, buf, len) < 0 || buf[len - 1] != '\0' || buf[0] == '\0') {
        free(buf);
        return -1;
    }
    for (i = 0; i < len; i++)
        n += buf[i] == '\0';
    if (n > LEDGER_ADMIN_MAX_ARGS) {
        free(buf);
        return -1;
    }
    /* one block: the pointers, then the strings they point into */
    v = bf_xmalloc((size_t)(n + 1) * sizeof *v + len);
    memcpy((char *)(v + n + 1), buf, len);
    free(buf);
    buf = (char *)(v + n + 1);
    for (i = 0, n = 0; i < len; i += (uint32_t)strlen(buf + i) + 1)
        v[n++] = buf + i;
    v[n] = NULL;
    *argc = n;
    *argv = v;
    return 0;
}

/* ---- server: the command's streams ------------------------------------------ */

struct out_cookie {
    struct ledger_admin_call *call;
    char type;
};

static ssize_t out_write(void *cookie, const char *p, size_t n)
{
    struct out_cookie *c = cookie;
    size_t done = 0;
    while (done < n && !c->call->gone) {
        uint32_t k = (uint32_t)BF_MIN(n - done, (size_t)LEDGER_ADMIN_CHUNK);
        if (send_frame(c->call->fd, c->type, p + done, k) < 0)
            c->call->gone = 1;
        done += k;
    }
    return c->call->gone ? -1 : (ssize_t)n;
}

static int out_close(void *cookie)
{
    free(cookie);
    return 0;
}

static FILE *out_stream(struct ledger_admin_call *call, char type)
{
    static const cookie_io_functions_t io = { NULL, out_write, NULL, out_close };
    struct out_cookie *c = bf_xmalloc(sizeof *c);
    FILE *f;
    c->call = call;
    c->type = type;
    if (!(f = fopencookie(c, "w", io))) {
        free(c);
        return NULL;
    }
    setvbuf(f, NULL, _IOLBF, 0); /* report lines reach the client as they are written */
    return f;
}

int ledger_admin_call_stdin(struct ledger_admin_call *call, size_t max, char **data, size_t *len,
                            struct bf_err *err)
{
    struct bf_buf b;
    uint8_t h[4];
    uint32_t n;
    int rc = 0;

    *data = NULL;
    *len = 0;
    if (call->stdin_taken)
        return bf_err_set(err, BF_EINVAL, "stdin was read already");
    call->stdin_taken = 1;
    if (call->gone || send_frame(call->fd, 'i', NULL, 0) < 0)
        return call->gone = 1, bf_err_set(err, BF_EIO, "the client went away");
    bf_buf_init(&b, max);
    for (;;) {
        if (ledger_admin_read_full(call->fd, h, 4) < 0 || (n = ledger_admin_get_u32(h)) > LEDGER_ADMIN_CHUNK) {
            call->gone = 1; /* the stream cannot be followed any more */
            rc = bf_err_set(err, BF_EIO, "stdin: the client went away or broke the protocol");
            break;
        }
        if (n == 0)
            break;
        if (rc == 0 && bf_buf_reserve(&b, n) < 0)
            rc = bf_err_set(err, BF_ELIMIT, "stdin exceeds the limit of %zu bytes", max);
        if (rc == 0) {
            if (ledger_admin_read_full(call->fd, b.data + b.len, n) < 0) {
                call->gone = 1;
                rc = bf_err_set(err, BF_EIO, "stdin: the client went away");
                break;
            }
            b.len += n;
            b.data[b.len] = '\0';
        } else { /* over the limit: read the rest to keep the stream in step */
            char sink[4096];
            while (n) {
                uint32_t k = (uint32_t)BF_MIN((size_t)n, sizeof sink);
                if (ledger_admin_read_full(call->fd, sink, k) < 0) {
                    call->gone = 1;
                    break;
                }
                n -= k;
            }
            if (call->gone)
                break;
        }
    }
    if (rc) {
        bf_buf_free(&b);
        return rc;
    }
    *len = b.len;
    *data = b.data ? bf_buf_take(&b, NULL) : bf_xstrdup("");
    return 0;
}

int ledger_admin_serve_command(struct ledger *l, int fd)
{
    struct ledger_admin_call call = { fd, 0, 0 };
    ledger_admin_cmd_fn fn = NULL;
    void *arg = NULL;
    FILE *out, *err;
    char **argv;
    int argc, status = 2;
    uint8_t x[4];

    if (ledger_admin_read_command(fd, &argc, &argv) < 0)
        return -1;
    out = out_stream(&call, 'o');
    err = out_stream(&call, 'e');
    if (!out || !err)
        status = 1;
    else if (!find_cmd(l, argv[0], &fn, &arg))
        fprintf(err, "belfry: the server has no admin command %.64s\n", argv[0]);
    else
        status = fn(arg, &call, argc, argv, out, err);
    if (out)
        fclose(out);
    if (err)
        fclose(err);
    free(argv);
    ledger_admin_put_u32(x, (uint32_t)(status & 0xff));
    return call.gone || send_frame(fd, 'x', x, 4) < 0 ? -1 : 0;
}

/* ---- client -------------------------------------------------------------------- */

static int send_stdin(int fd)
{
    char *buf = bf_xmalloc(LEDGER_ADMIN_CHUNK);
    uint8_t h[4];
    int rc = 0;

    for (;;) {
        ssize_t r = read(STDIN_FILENO, buf, LEDGER_ADMIN_CHUNK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            r = 0; /* a read error ends stdin; the server reports what it got */
        ledger_admin_put_u32(h, (uint32_t)r);
        if (ledger_admin_write_full(fd, h, 4) < 0 || (r > 0 && ledger_admin_write_full(fd, buf, (size_t)r) < 0)) {
            rc = -1;
            break;
        }
        if (r == 0)
            break;
    }
    free(buf);
    return rc;
}

static int send_command(int fd, int argc, char *const *argv, struct bf_err *err)
{
    struct bf_buf b;
    uint8_t h[4];
    int i, rc = 0;

    if (argc < 1 || argc > LEDGER_ADMIN_MAX_ARGS)
        return bf_err_set(err, BF_ELIMIT, "%d arguments: 1..%d allowed", argc, LEDGER_ADMIN_MAX_ARGS);
    bf_buf_init(&b, LEDGER_ADMIN_MAX_CMDLEN + 8);
    memset(h, 0, 4); /* a request count of 0: a command */
    rc = bf_buf_append(&b, h, 4) < 0 || bf_buf_append(&b, h, 4) < 0;
    for (i = 0; i < argc && !rc; i++)
        rc = bf_buf_append(&b, argv[i], strlen(argv[i]) + 1) < 0;
    if (rc || b.len - 8 > LEDGER_ADMIN_MAX_CMDLEN) {
        bf_buf_free(&b);
        return bf_err_set(err, BF_ELIMIT, "the arguments exceed %d bytes", LEDGER_ADMIN_MAX_CMDLEN);
    }
    ledger_admin_put_u32((uint8_t *)b.data + 4, (uint32_t)(b.len - 8));
    rc = ledger_admin_write_full(fd, b.data, b.len);
    bf_buf_free(&b);
    return rc < 0 ? bf_err_set(err, BF_EIO, "sending to the server: %s", strerror(errno)) : 0;
}

int ledger_admin_run(int fd, int argc, char *const *argv, int *status, struct bf_err *err)
{
    char *buf = bf_xmalloc(LEDGER_ADMIN_CHUNK);
    int rc = send_command(fd, argc, argv, err);

    *status = 1;
    while (!rc) {
        uint8_t h[5];
        uint32_t n;
        if (ledger_admin_read_full(fd, h, 5) < 0 || (n = ledger_admin_get_u32(h + 1)) > LEDGER_ADMIN_CHUNK) {
            rc = bf_err_set(err, BF_EIO, "the server closed the connection before the command ended");
            break;
        }
        if (n && ledger_admin_read_full(fd, buf, n) < 0) {
            rc = bf_err_set(err, BF_EIO, "the server closed the connection before the command ended");
            break;
        }
        if (h[0] == 'o' || h[0] == 'e') {
            FILE *f = h[0] == 'o' ? stdout : stderr;
            fwrite(buf, 1, n, f);
            fflush(f);
        } else if (h[0] == 'i' && n == 0) {
            if (send_stdin(fd) < 0)
                rc = bf_err_set(err, BF_EIO, "sending stdin to the server: %s", strerror(errno));
        } else if (h[0] == 'x' && n == 4) {
            *status = (int)ledger_admin_get_u32((uint8_t *)buf);
            break;
        } else {
            rc = bf_err_set(err, BF_EIO, "malformed answer from the server (frame type %d)", h[0]);
        }
    }
    free(buf);
    return rc;
}
