/*
 * cmd_log.c - `belfry log key|append|checkpoint --data DIR`.
 *
 *   key         prints the verifier key (name+hex8+base64)
 *   append      reads entries from stdin, one per line (the newline is not
 *               part of the entry), prints the index of each once durable
 *               and covered by a signed checkpoint. Lines available at once
 *               are sent as one batch (one group commit). If a server holds
 *               the log it goes through <data>/admin.sock, else it opens
 *               the log itself.
 *   checkpoint  prints the latest signed checkpoint, or the one of --size N
 *
 * Bad lines (empty, over 65 535 bytes) are reported on stderr with their
 * line number and skipped; everything else is still appended. Exit status
 * 1 if any line was not appended.
 */
#include "common.h"
#include "cmd.h"
#include "buf.h"
#include "ledger/ledger.h"
#include "store/store.h"
#include "store/store_log.h"

#include <getopt.h>
#include <poll.h>
#include <signal.h>

#define READ_CHUNK ((size_t)1 << 20)
#define BATCH_BYTES ((size_t)8 << 20)

static void log_usage(FILE *f)
{
    fprintf(f, "usage: belfry log key --data DIR\n"
               "       belfry log append --data DIR [--remote]   < entries, one per line\n"
               "       belfry log checkpoint --data DIR [--size N]\n"
               "  key         print the log's verifier key (name+hex8+base64)\n"
               "  append      append stdin, one entry per line (without the newline; 1..65535\n"
               "              bytes); prints each line's index once it is durable and covered\n"
               "              by a signed checkpoint; bad lines are named on stderr (exit 1).\n"
               "              Goes through a running server's admin socket when there is one.\n"
               "  checkpoint  print the latest signed checkpoint, or the one of size N\n"
               "  --remote    only append through a running server's admin socket\n");
}

/* ---- line reader ------------------------------------------------------ */

struct lines {
    int fd, eof, skipping;
    char *buf;
    size_t start, end, cap;
    uint64_t lineno;
};

enum { LINE_OK, LINE_TOO_LONG, LINE_NEED_MORE, LINE_END };

/* Next complete line from the buffer (not reading). */
static int next_line(struct lines *r, const char **p, size_t *len)
{
    char *nl = r->end > r->start ? memchr(r->buf + r->start, '\n', r->end - r->start) : NULL;

    if (nl) {
        *p = r->buf + r->start;
        *len = (size_t)(nl - *p);
        r->start += *len + 1;
        r->lineno++;
        if (r->skipping) {
            r->skipping = 0;
            return LINE_TOO_LONG;
        }
        return *len > TLOG_MAX_ENTRY ? LINE_TOO_LONG : LINE_OK;
    }
    if (r->end - r->start > TLOG_MAX_ENTRY) { /* overlong: drop what we have, find its end */
        r->skipping = 1;
        r->start = r->end = 0;
    }
    if (!r->eof)
        return LINE_NEED_MORE;
    if (r->end > r->start || r->skipping) { /* last line without newline */
        *p = r->buf + r->start;
        *len = r->end - r->start;
        r->start = r->end;
        r->lineno++;
        if (r->skipping) {
            r->skipping = 0;
            return LINE_TOO_LONG;
        }
        return LINE_OK;
    }
    return LINE_END;
}

static int fill(struct lines *r)
{
    ssize_t n;
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    if (r->cap - r->end < READ_CHUNK) {
        r->cap = r->end + READ_CHUNK;
        r->buf = bf_xrealloc(r->buf, r->cap);
    }
    do
        n = read(r->fd, r->buf + r->end, r->cap - r->end);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    if (n == 0)
        r->eof = 1;
    r->end += (size_t)n;
    return 0;
}

static int readable_now(int fd)
{
    struct pollfd p = { fd, POLLIN, 0 };
    return poll(&p, 1, 0) > 0;
}

/* ---- batches ------------------------------------------------------------ */

struct batch {
    struct bf_buf data;
    size_t n;
    size_t off[LEDGER_ADMIN_MAX_BATCH + 1];
    uint64_t line[LEDGER_ADMIN_MAX_BATCH];
    struct ledger_item items[LEDGER_ADMIN_MAX_BATCH];
};

struct appender {
    struct ledger *l;        /* local mode */
    int fd;                  /* remote mode, else -1 */
    int failed;              /* some line was not appended */
    int broken;              /* the connection or the ledger failed: stop */
};

static int flush(struct appender *a, struct batch *b)
{
    struct bf_err err = { 0, "" };
    size_t i;
    int rc;

    if (!b->n)
        return 0;
    for (i = 0; i < b->n; i++) {
        memset(&b->items[i], 0, sizeof b->items[i]);
        b->items[i].entry = b->data.data + b->off[i];
        b->items[i].len = b->off[i + 1] - b->off[i];
    }
    if (a->fd >= 0)
        rc = ledger_admin_append(a->fd, b->items, b->n, &err);
    else {
        ledger_append(a->l, b->items, b->n, NULL); /* results are per item */
        rc = 0;
    }
    for (i = 0; i < b->n; i++) {
        if (b->items[i].rc == 0) {
            printf("%" PRIu64 "\n", b->items[i].index);
        } else {
            a->failed = 1;
            fprintf(stderr, "belfry: line %" PRIu64 ": %s\n", b->line[i], b->items[i].err.msg);
        }
    }
    fflush(stdout);
    if (rc < 0) {
        fprintf(stderr, "belfry: %s\n", err.msg);
        a->broken = 1;
    }
    b->n = 0;
    bf_buf_reset(&b->data);
    return rc;
}

static void add_line(struct appender *a, struct batch *b, const char *p, size_t len, uint64_t lineno)
{
    if ((b->n == LEDGER_ADMIN_MAX_BATCH || b->data.len + len > BATCH_BYTES) && flush(a, b) < 0)
        return;
    b->off[b->n] = b->data.len;
    if (bf_buf_append(&b->data, p, len) < 0) {
        a->failed = 1;
        fprintf(stderr, "belfry: line %" PRIu64 ": out of buffer space\n", lineno);
        return;
    }
    b->line[b->n] = lineno;
    b->n++;
    b->off[b->n] = b->data.len;
}

static int append_stream(struct appender *a)
{
    struct lines r = { STDIN_FILENO, 0, 0, NULL, 0, 0, 0, 0 };
    struct batch *b = bf_xcalloc(1, sizeof *b);
    const char *p;
    size_t len;

    bf_buf_init(&b->data, BATCH_BYTES + TLOG_MAX_ENTRY + 16);
    while (!a->broken) {
        int k = next_line(&r, &p, &len);
        if (k == LINE_END)
            break;
        if (k == LINE_OK && len == 0) {
            a->failed = 1;
            fprintf(stderr, "belfry: line %" PRIu64 ": empty entry rejected\n", r.lineno);
        } else if (k == LINE_OK) {
            add_line(a, b, p, len, r.lineno);
        } else if (k == LINE_TOO_LONG) {
            a->failed = 1;
            fprintf(stderr, "belfry: line %" PRIu64 ": entry longer than %d bytes rejected\n", r.lineno,
                    TLOG_MAX_ENTRY);
        } else {
            /* Nothing more buffered: send what we have unless more input
             * is already waiting (then it joins this batch). */
            if (b->n && !readable_now(r.fd))
                flush(a, b);
            if (fill(&r) < 0) {
                fprintf(stderr, "belfry: reading stdin: %s\n", strerror(errno));
                a->failed = 1;
                break;
            }
        }
    }
    if (!a->broken)
        flush(a, b);
    bf_buf_free(&b->data);
    free(b);
    free(r.buf);
    return a->failed || a->broken ? 1 : 0;
}

/* The lock is held but nobody listens: another `belfry log append` has
 * the log. Wait for it (up to LOCK_WAIT_MS), then open the log here. */
#define LOCK_WAIT_MS 30000
static int open_when_free(const char *data, struct store **s, struct ledger **l, struct bf_err *err)
{
    int waited = 0, rc;

    for (;;) {
        if ((rc = store_open(data, 0, s, err)) < 0)
            return rc;
        if ((rc = ledger_open(*s, NULL, l, err)) == 0)
            return 0;
        store_close(*s);
        *s = NULL;
        if (rc != BF_ECONFLICT)
            return rc;
        if (ledger_admin_connect(data, &rc, NULL) == 0) { /* a server came up meanwhile */
            close(rc);
            return bf_err_set(err, BF_ECONFLICT, "a server started on %s meanwhile; run the append again", data);
        }
        if (waited >= LOCK_WAIT_MS)
            return bf_err_set(err, BF_ECONFLICT, "another process has held the log of %s for %d s and takes no "
                                                 "appends (another `belfry log append`?)", data, LOCK_WAIT_MS / 1000);
        usleep(50 * 1000);
        waited += 50;
    }
}

static int log_append(const char *data, int remote_only)
{
    struct appender a = { NULL, -1, 0, 0 };
    struct bf_err err = { 0, "" };
    struct store *s = NULL;
    int rc = 1, remote = remote_only || ledger_lock_held(data);

    signal(SIGPIPE, SIG_IGN);
    if (!remote) {
        if (store_open(data, 0, &s, &err) < 0)
            return cmd_fail("%s", err.msg);
        if (ledger_open(s, NULL, &a.l, &err) < 0) {
            store_close(s);
            s = NULL;
            if (err.code != BF_ECONFLICT)
                return cmd_fail("%s", err.msg);
            remote = 1; /* a server started meanwhile */
        }
    }
    if (remote && ledger_admin_connect(data, &a.fd, &err) < 0) {
        if (remote_only || (rc = open_when_free(data, &s, &a.l, &err)) < 0)
            return cmd_fail("%s", err.msg);
    }
    rc = append_stream(&a);
    if (a.fd >= 0)
        close(a.fd);
    ledger_close(a.l);
    store_close(s);
    return rc;
}

static int log_show(const char *data, const char *what, const char *size_s)
{
    struct bf_err err = { 0, "" };
    struct store *s = NULL;
    struct ledger *l = NULL;
    int rc = 1;

    if (store_open(data, STORE_READONLY, &s, &err) < 0 ||
        ledger_open(s, &(struct ledger_opts){ .readonly = 1 }, &l, &err) < 0) {
        cmd_fail("%s", err.msg);
        goto out;
    }
    if (!strcmp(what, "key")) {
        printf("%s\n", ledger_vkey(l));
        rc = 0;
    } else {
        char *note = NULL, *end = NULL;
        size_t len = 0;
        uint64_t size = STORE_LOG_LATEST;
        if (size_s) {
            errno = 0;
            size = strtoull(size_s, &end, 10);
            if (errno || !*size_s || *end) {
                cmd_fail("--size must be a decimal number");
                goto out;
            }
        }
        if (store_log_checkpoint(s, size, &note, &len, NULL, &err) < 0) {
            cmd_fail("%s", err.msg);
            goto out;
        }
        fwrite(note, 1, len, stdout);
        free(note);
        rc = 0;
    }
out:
    ledger_close(l);
    store_close(s);
    return rc;
}

int cmd_log(int argc, char **argv)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' }, { "size", required_argument, NULL, 's' },
        { "remote", no_argument, NULL, 'r' },     { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *data = NULL, *size = NULL, *sub;
    int c, remote = 0;

    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        log_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    sub = argv[1];
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': data = optarg; break;
        case 's': size = optarg; break;
        case 'r': remote = 1; break;
        case 'h': log_usage(stdout); return 0;
        default: log_usage(stderr); return 2;
        }
    }
    if (optind != argc - 1 || !data) {
        log_usage(stderr);
        return 2;
    }
    if (!strcmp(sub, "append"))
        return log_append(data, remote);
    if (!strcmp(sub, "key") || !strcmp(sub, "checkpoint"))
        return log_show(data, sub, size);
    fprintf(stderr, "belfry: unknown log command '%s'\n", sub);
    log_usage(stderr);
    return 2;
}
