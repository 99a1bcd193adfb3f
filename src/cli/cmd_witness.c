/*
 * cmd_witness.c - `belfry witness`: run a C2SP tlog-witness that cosigns
 * the checkpoints of the logs it is told to trust, and `belfry witness
 * keygen` to create its cosignature/v1 key.
 *
 * Invariants: the private key file is created with mode 0600 and never
 * overwritten; a key file readable by group or others is refused; the
 * witness state lives in the store under --data (created on first run) so
 * a restart continues from the last cosigned sizes.
 */
#include "common.h"
#include "buf.h"
#include "cmd.h"
#include "fs.h"
#include "http/http.h"
#include "store/store.h"
#include "witness/witness.h"

#include <getopt.h>
#include <signal.h>
#include <sys/stat.h>

#define MAX_LOGS 64

static void witness_usage(FILE *f)
{
    fprintf(f, "usage: belfry witness --data DIR --key-file FILE --log VKEY [--log VKEY]... [--listen ADDR]\n"
               "       belfry witness keygen --name NAME --out FILE\n\n"
               "Runs a C2SP tlog-witness: POST /add-checkpoint cosigns a checkpoint of a trusted log\n"
               "that is consistent with the last one cosigned; GET /<hex sha256(origin)>/checkpoint\n"
               "returns that checkpoint.\n"
               "  --data DIR       witness state (created if missing)\n"
               "  --key-file FILE  the witness's private key (from `belfry witness keygen`, mode 0600)\n"
               "  --log VKEY       verifier key of a log to witness; its name is the log's origin\n"
               "  --listen ADDR    address to listen on (default 127.0.0.1:8090; port 0 picks one)\n"
               "  --rate N         requests per second per client (default 200; 0: off)\n"
               "  --write-rate N   submissions per second per client (default 50; 0: off)\n");
}

static int keygen(int argc, char **argv)
{
    static const struct option opts[] = {
        { "name", required_argument, NULL, 'n' }, { "out", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },       { NULL, 0, NULL, 0 },
    };
    const char *name = NULL, *out = NULL;
    struct bf_buf sk = BF_BUF_INIT, vk = BF_BUF_INIT;
    struct tlog_skey key;
    struct tlog_vkey pub;
    struct bf_err err = { 0 };
    int c, rc = 1;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'n': name = optarg; break;
        case 'o': out = optarg; break;
        case 'h': witness_usage(stdout); return 0;
        default: witness_usage(stderr); return 2;
        }
    }
    if (!name || !out || optind != argc) {
        witness_usage(stderr);
        return 2;
    }
    if (bf_fs_exists(out))
        return cmd_fail("%s already exists; refusing to overwrite a key", out);
    if (tlog_skey_generate(name, TLOG_KEY_COSIG_V1, NULL, &key, &err) < 0)
        return cmd_fail("%s", err.msg);
    tlog_skey_public(&key, &pub);
    if (tlog_skey_format(&key, &sk) < 0 || bf_buf_putc(&sk, '\n') < 0 || tlog_vkey_format(&pub, &vk) < 0) {
        cmd_fail("cannot format the key");
        goto out;
    }
    if (bf_fs_write_atomic(out, sk.data, sk.len, 0600, &err) < 0) {
        cmd_fail("%s", err.msg);
        goto out;
    }
    printf("%s\n", vk.data);
    rc = 0;
out:
    explicit_bzero(&key, sizeof key);
    if (sk.data)
        explicit_bzero(sk.data, sk.len);
    bf_buf_free(&sk);
    bf_buf_free(&vk);
    return rc;
}

static int load_key(const char *path, struct tlog_skey *key, struct bf_err *err)
{
    struct stat st;
    char *text = NULL;
    size_t len = 0;
    int rc;

    if (stat(path, &st) < 0)
        return bf_err_set(err, BF_ENOTFOUND, "key file %s: %s", path, strerror(errno));
    if (st.st_mode & 077)
        return bf_err_set(err, BF_EFORBIDDEN, "key file %s is readable by others (mode %03o); chmod 600 it",
                          path, (unsigned)(st.st_mode & 0777));
    if ((rc = bf_fs_read(path, 4096, &text, &len, err)) < 0)
        return rc;
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
        len--;
    rc = tlog_skey_parse(text, len, key, err);
    explicit_bzero(text, len);
    free(text);
    if (rc < 0)
        bf_err_wrap(err, "key file %s", path);
    return rc;
}

struct witness_args {
    const char *data, *key_file, *listen;
    int rate, write_rate;
    struct tlog_vkey logs[MAX_LOGS];
    int nlogs;
};

static int serve_witness(struct witness_args *a)
{
    struct http_server_opts ho = { .listen = a->listen, .rate_per_ip = a->rate, .write_rate_per_ip = a->write_rate,
                                   .max_body = WITNESS_MAX_BODY };
    struct witness_opts wo = { 0 };
    struct tlog_skey key;
    struct store *s = NULL;
    struct witness *w = NULL;
    struct http_server *srv = NULL;
    struct bf_err err = { 0 };
    sigset_t set;
    int sig, rc = 1;

    if (load_key(a->key_file, &key, &err) < 0)
        return cmd_fail("%s", err.msg);
    wo.key = &key;
    wo.logs = a->logs;
    wo.nlogs = a->nlogs;
    if (store_open(a->data, STORE_CREATE, &s, &err) < 0 || witness_new(s, &wo, &w, &err) < 0 ||
        http_server_new(&ho, &srv, &err) < 0 || witness_http_register(w, srv, &err) < 0) {
        cmd_fail("%s", err.msg);
        goto out;
    }
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (http_server_start(srv, &err) < 0) {
        cmd_fail("%s", err.msg);
        goto out;
    }
    fprintf(stderr, "belfry: witness %s for %d log key(s), state in %s\n", witness_vkey(w), a->nlogs, a->data);
    printf("witness %s\nlistening on port %d\n", witness_vkey(w), http_server_port(srv));
    fflush(stdout);
    sigwait(&set, &sig);
    fprintf(stderr, "belfry: witness %s, shutting down\n", sig == SIGINT ? "interrupted" : "terminated");
    rc = 0;
out:
    http_server_free(srv);
    witness_free(w);
    store_close(s);
    explicit_bzero(&key, sizeof key);
    return rc;
}

int cmd_witness(int argc, char **argv)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' },   { "key-file", required_argument, NULL, 'k' },
        { "log", required_argument, NULL, 'L' },    { "listen", required_argument, NULL, 'l' },
        { "rate", required_argument, NULL, 'r' },   { "write-rate", required_argument, NULL, 'R' },
        { "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
    };
    struct witness_args a = { .listen = "127.0.0.1:8090", .rate = 200, .write_rate = 50 };
    struct bf_err err = { 0 };
    int c;

    if (argc > 1 && !strcmp(argv[1], "keygen"))
        return keygen(argc - 1, argv + 1);
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': a.data = optarg; break;
        case 'k': a.key_file = optarg; break;
        case 'l': a.listen = optarg; break;
        case 'r': a.rate = atoi(optarg); break;
        case 'R': a.write_rate = atoi(optarg); break;
        case 'L':
            if (a.nlogs == MAX_LOGS)
                return cmd_fail("at most %d --log keys", MAX_LOGS);
            if (tlog_vkey_parse(optarg, strlen(optarg), &a.logs[a.nlogs], &err) < 0)
                return cmd_fail("--log %s: %s", optarg, err.msg);
            a.nlogs++;
            break;
        case 'h': witness_usage(stdout); return 0;
        default: witness_usage(stderr); return 2;
        }
    }
    if (!a.data || !a.key_file || a.nlogs == 0 || optind != argc) {
        witness_usage(stderr);
        return 2;
    }
    return serve_witness(&a);
}
