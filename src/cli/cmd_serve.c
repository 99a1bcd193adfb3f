/*
 * cmd_serve.c - `belfry serve`: opens the store and the ledger, mounts
 * every domain linked into the binary on one HTTP server, and runs until
 * SIGINT or SIGTERM, then drains appends and stops cleanly.
 *
 * Domains are weak symbols (see app.h): a domain that is not compiled in
 * is simply not mounted.
 */
#include "common.h"
#include "cmd.h"
#include "app.h"
#include "http/http.h"
#include "ledger/ledger.h"
#include "store/store.h"

#include <getopt.h>
#include <signal.h>

#define MOUNT(name) int name##_mount(struct app *app, struct bf_err *err) __attribute__((weak));
MOUNT(auth)
MOUNT(ocds)
MOUNT(proc)
MOUNT(portal)
MOUNT(drone)
MOUNT(budget)
#undef MOUNT

int ledger_open(struct store *s, const struct ledger_opts *opts, struct ledger **out, struct bf_err *err)
    __attribute__((weak));
void ledger_close(struct ledger *l) __attribute__((weak));
int ledger_http_register(struct ledger *l, struct http_server *srv, struct bf_err *err) __attribute__((weak));

#define MAX_WITNESSES 16

static void serve_usage(FILE *f)
{
    fprintf(f, "usage: belfry serve --data DIR [--listen ADDR] [--web DIR] [--threads N]\n"
               "                    [--witness URL --witness-vkey KEY]... [--rate N] [--write-rate N]\n"
               "                    [--max-body BYTES] [--access-log]\n"
               "  --listen ADDR      address to listen on (default 127.0.0.1:8080; port 0 picks one)\n"
               "  --web DIR          portal files (default ./web)\n"
               "  --witness URL      tlog-witness submission prefix to collect cosignatures from\n"
               "  --rate N           requests per second per client (default 1000; 0 disables)\n"
               "  --write-rate N     write requests per second per client (default 20)\n");
}

static int serve_run(struct app *app, struct http_server_opts *ho, struct ledger_opts *lo)
{
    struct bf_err err = { 0 };
    sigset_t set;
    int sig, rc = 1;
    struct {
        const char *name;
        int (*fn)(struct app *, struct bf_err *);
    } mounts[] = {
        { "auth", auth_mount }, { "ocds", ocds_mount }, { "proc", proc_mount },
        { "portal", portal_mount }, { "drone", drone_mount }, { "budget", budget_mount },
    };
    size_t i;

    if (store_open(app->data_dir, 0, &app->store, &err) < 0)
        return cmd_fail("%s", err.msg);
    if (ledger_open && ledger_open(app->store, lo, &app->ledger, &err) < 0) {
        cmd_fail("%s", err.msg);
        goto out;
    }
    if (http_server_new(ho, &app->http, &err) < 0) {
        cmd_fail("%s", err.msg);
        goto out;
    }
    if (app->ledger && ledger_http_register && ledger_http_register(app->ledger, app->http, &err) < 0) {
        cmd_fail("ledger routes: %s", err.msg);
        goto out;
    }
    for (i = 0; i < BF_ARRAY_LEN(mounts); i++) {
        if (mounts[i].fn && mounts[i].fn(app, &err) < 0) {
            cmd_fail("mounting %s: %s", mounts[i].name, err.msg);
            goto out;
        }
    }
    /* Block the signals before the server threads start so that only
     * sigwait below receives them. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (http_server_start(app->http, &err) < 0) {
        cmd_fail("%s", err.msg);
        goto out;
    }
    fprintf(stderr, "belfry: serving %s on http://%s (port %d)\n", app->data_dir, ho->listen,
            http_server_port(app->http));
    printf("listening on port %d\n", http_server_port(app->http));
    fflush(stdout);
    sigwait(&set, &sig);
    fprintf(stderr, "belfry: %s, shutting down\n", sig == SIGINT ? "interrupted" : "terminated");
    rc = 0;
out:
    http_server_free(app->http);
    if (app->ledger && ledger_close)
        ledger_close(app->ledger);
    store_close(app->store);
    return rc;
}

int cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' },     { "listen", required_argument, NULL, 'l' },
        { "web", required_argument, NULL, 'w' },      { "threads", required_argument, NULL, 't' },
        { "witness", required_argument, NULL, 'W' },  { "witness-vkey", required_argument, NULL, 'K' },
        { "rate", required_argument, NULL, 'r' },     { "write-rate", required_argument, NULL, 'R' },
        { "max-body", required_argument, NULL, 'b' }, { "access-log", no_argument, NULL, 'a' },
        { "vendor", required_argument, NULL, 'v' },   { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct app app = { .data_dir = "belfry-data", .web_dir = "web", .vendor_dir = "node_modules" };
    struct http_server_opts ho = { .listen = "127.0.0.1:8080", .rate_per_ip = 1000, .write_rate_per_ip = 20 };
    struct ledger_opts lo = { 0 };
    const char *wurls[MAX_WITNESSES + 1] = { 0 }, *wkeys[MAX_WITNESSES + 1] = { 0 };
    int nw = 0, nk = 0, c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': app.data_dir = optarg; break;
        case 'l': ho.listen = optarg; break;
        case 'w': app.web_dir = optarg; break;
        case 'v': app.vendor_dir = optarg; break;
        case 't': ho.threads = atoi(optarg); break;
        case 'r': ho.rate_per_ip = atoi(optarg); break;
        case 'R': ho.write_rate_per_ip = atoi(optarg); break;
        case 'b': ho.max_body = (size_t)strtoull(optarg, NULL, 10); break;
        case 'a': ho.access_log = 1; break;
        case 'W':
            if (nw == MAX_WITNESSES)
                return cmd_fail("at most %d witnesses", MAX_WITNESSES);
            wurls[nw++] = optarg;
            break;
        case 'K':
            if (nk == MAX_WITNESSES)
                return cmd_fail("at most %d witnesses", MAX_WITNESSES);
            wkeys[nk++] = optarg;
            break;
        case 'h': serve_usage(stdout); return 0;
        default: serve_usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        serve_usage(stderr);
        return 2;
    }
    if (nw != nk)
        return cmd_fail("each --witness needs a matching --witness-vkey");
    if (nw) {
        lo.witness_urls = wurls;
        lo.witness_vkeys = wkeys;
    }
    return serve_run(&app, &ho, &lo);
}
