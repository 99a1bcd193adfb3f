/*
 * cmd_monitor.c - `belfry monitor`: audits a remote (or mirrored) tlog-tiles
 * log against what this monitor verified last time, and remembers the new
 * view only if everything checked out; then, for each --witness-url, checks
 * that the witness's latest cosigned checkpoint is consistent with that
 * view (a log showing the witness another history is a split view).
 *
 * Invariants: the state file is replaced atomically and only after a
 * successful run; on a fork or rollback the two conflicting signed
 * checkpoints are written to an evidence file (they prove the log's
 * misbehaviour to anyone holding its key); exit 0 means verified, 1 an
 * inconsistency or failure (the message starts with what kind), 2 usage.
 */
#include "common.h"
#include "buf.h"
#include "cmd.h"
#include "fs.h"
#include "monitor/monitor.h"

#include <getopt.h>

#define MONITOR_MAX_WITNESSES 32

struct monitor_args {
    struct tlog_vkey key;
    struct tlog_vkey wit[MONITOR_MAX_WITNESSES];
    const char *wurl[MONITOR_MAX_WITNESSES];
    int nwit, nwurl, min_wit, quiet;
    long timeout_ms;
    const char *state, *evidence, *url;
    char state_default[64], evidence_default[4200];
};

static void monitor_usage(FILE *f)
{
    fprintf(f, "usage: belfry monitor --vkey KEY [--state FILE] [--witness VKEY [--witness-url URL]]...\n"
               "                      [--min-witnesses N] [--timeout MS] [--evidence FILE] [--quiet] URL\n\n"
               "Audits a C2SP tlog-tiles log: checks the checkpoint's signature, recomputes every new\n"
               "entry's leaf hash from the entry bundles, every tile and the root, and checks that the\n"
               "log is consistent with the checkpoint verified on the previous run.\n"
               "  URL              the log prefix (e.g. https://belfry.example/log) or a local directory\n"
               "  --vkey KEY       the log's verifier key; its name is the log's origin\n"
               "  --state FILE     what was verified last time (default ./belfry-monitor-<keyid>.json)\n"
               "  --witness VKEY   a witness's cosignature key (repeatable); see --min-witnesses\n"
               "  --witness-url URL  the monitoring prefix of the witness given by the --witness of the same\n"
               "                   rank: its latest cosigned checkpoint must be consistent with this log\n"
               "                   (a log showing the witness another history is a SPLIT VIEW)\n"
               "  --min-witnesses N  cosignatures required among them (default: 0)\n"
               "  --timeout MS     per-request timeout (default 20000)\n"
               "  --evidence FILE  where to write conflicting checkpoints (default STATE.evidence)\n\n"
               "One state file may be used against several mirrors of the same log: a mirror that\n"
               "shows a different history is reported as a fork.\n");
}

static int parse(int argc, char **argv, struct monitor_args *a)
{
    static const struct option opts[] = {
        { "vkey", required_argument, NULL, 'k' },     { "state", required_argument, NULL, 's' },
        { "witness", required_argument, NULL, 'w' },  { "min-witnesses", required_argument, NULL, 'm' },
        { "timeout", required_argument, NULL, 't' },  { "evidence", required_argument, NULL, 'e' },
        { "quiet", no_argument, NULL, 'q' },          { "help", no_argument, NULL, 'h' },
        { "witness-url", required_argument, NULL, 'u' }, { NULL, 0, NULL, 0 },
    };
    struct bf_err err = { 0 };
    const char *vkey = NULL;
    int c;

    a->timeout_ms = 20000;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
        switch (c) {
        case 'k': vkey = optarg; break;
        case 's': a->state = optarg; break;
        case 'e': a->evidence = optarg; break;
        case 'm': a->min_wit = atoi(optarg); break;
        case 't': a->timeout_ms = atol(optarg); break;
        case 'q': a->quiet = 1; break;
        case 'u':
            if (a->nwurl == MONITOR_MAX_WITNESSES)
                return cmd_fail("at most %d --witness-url", MONITOR_MAX_WITNESSES);
            a->wurl[a->nwurl++] = optarg;
            break;
        case 'w':
            if (a->nwit == MONITOR_MAX_WITNESSES)
                return cmd_fail("at most %d --witness keys", MONITOR_MAX_WITNESSES);
            if (tlog_vkey_parse(optarg, strlen(optarg), &a->wit[a->nwit], &err) < 0 ||
                a->wit[a->nwit].type != TLOG_KEY_COSIG_V1)
                return cmd_fail("--witness %s: %s", optarg, err.msg[0] ? err.msg : "not a cosignature/v1 key");
            a->nwit++;
            break;
        case 'h': monitor_usage(stdout); return -1;
        default: monitor_usage(stderr); return 2;
        }
    }
    if (!vkey || optind != argc - 1 || a->min_wit < 0 || a->min_wit > a->nwit || a->nwurl > a->nwit) {
        monitor_usage(stderr);
        return 2;
    }
    if (tlog_vkey_parse(vkey, strlen(vkey), &a->key, &err) < 0 || a->key.type != TLOG_KEY_ED25519)
        return cmd_fail("--vkey %s: %s", vkey, err.msg[0] ? err.msg : "not an Ed25519 log key"), 2;
    a->url = argv[optind];
    if (!a->state) {
        snprintf(a->state_default, sizeof a->state_default, "belfry-monitor-%08x.json", a->key.id);
        a->state = a->state_default;
    }
    if (!a->evidence) {
        snprintf(a->evidence_default, sizeof a->evidence_default, "%s.evidence", a->state);
        a->evidence = a->evidence_default;
    }
    return 0;
}

static void report(const struct monitor_args *a, const struct monitor_report *rep, const struct monitor_state *before)
{
    if (a->quiet)
        return;
    if (!before->checkpoint)
        printf("OK: %s tree size %" PRIu64 " verified from scratch (first run: this view is now trusted)\n",
               a->key.name, rep->new_size);
    else if (rep->new_size == rep->old_size)
        printf("OK: %s unchanged at tree size %" PRIu64 "\n", a->key.name, rep->new_size);
    else
        printf("OK: %s grew from %" PRIu64 " to %" PRIu64 " entries, consistent with the checkpoint verified earlier\n",
               a->key.name, rep->old_size, rep->new_size);
    printf("  checked     %" PRIu64 " new entries, %" PRIu64 " entry bundles, %" PRIu64 " hash tiles\n", rep->entries,
           rep->bundles, rep->tiles);
    if (a->nwit)
        printf("  witnesses   %d of %d cosigned\n", rep->cosigned, a->nwit);
    printf("  state       %s\n", a->state);
}

/* Split-view checks against each --witness-url after a good run. */
static int check_witnesses(const struct monitor_args *a, const struct monitor_opts *o, struct monitor_source *src,
                           const struct monitor_state *st)
{
    struct bf_buf ev = BF_BUF_INIT;
    struct bf_err err;
    uint64_t wsize;
    int i, bad = 0;

    for (i = 0; i < a->nwurl; i++) {
        memset(&err, 0, sizeof err);
        if (monitor_check_witness(o, src, st, a->wurl[i], &a->wit[i], a->timeout_ms, &wsize, &ev, &err) == 0) {
            if (!a->quiet)
                printf("  witness     %s has seen size %" PRIu64 ": consistent\n", a->wit[i].name, wsize);
        } else if (err.code == BF_ENOTFOUND && strstr(err.msg, "HTTP 404")) {
            if (!a->quiet)
                printf("  witness     %s has no checkpoint of this log yet\n", a->wit[i].name);
        } else {
            bad = 1;
            cmd_fail("witness %s (%s): %s", a->wit[i].name, a->wurl[i], err.msg);
            if (ev.len && bf_fs_write_atomic(a->evidence, ev.data, ev.len, 0644, &err) == 0)
                fprintf(stderr, "belfry: the two conflicting signed checkpoints are in %s\n", a->evidence);
        }
    }
    bf_buf_free(&ev);
    return bad;
}

int cmd_monitor(int argc, char **argv)
{
    struct monitor_args *a = bf_xcalloc(1, sizeof *a);
    struct monitor_state *st = bf_xmalloc(sizeof *st);
    struct monitor_source src = { 0 };
    struct monitor_opts o = { 0 };
    struct monitor_report rep;
    struct bf_buf ev = BF_BUF_INIT;
    struct bf_err err = { 0 };
    int rc, first;

    monitor_state_init(st);
    if ((rc = parse(argc, argv, a)) != 0) {
        rc = rc < 0 ? 0 : rc;
        goto out;
    }
    rc = 1;
    if (monitor_state_load(a->state, &a->key, st, &err) < 0 && err.code != BF_ENOTFOUND) {
        cmd_fail("%s (remove it only if you are sure: the next run would trust the log from scratch)", err.msg);
        goto out;
    }
    first = st->checkpoint == NULL;
    if (monitor_source_open(a->url, a->timeout_ms, &src, &err) < 0) {
        cmd_fail("%s", err.msg);
        goto out;
    }
    o.key = &a->key;
    o.witnesses = a->wit;
    o.nwitnesses = a->nwit;
    o.min_witnesses = a->min_wit;
    o.progress = a->quiet ? NULL : stderr;
    {
        struct monitor_state before = *st;
        before.checkpoint = first ? NULL : (char *)"";
        if (monitor_run(&o, &src, st, &rep, &ev, &err) < 0) {
            cmd_fail("%s: %s", a->url, err.msg);
            if (ev.len && bf_fs_write_atomic(a->evidence, ev.data, ev.len, 0644, &err) == 0)
                fprintf(stderr, "belfry: the two conflicting signed checkpoints are in %s\n", a->evidence);
            goto out;
        }
        if (monitor_state_save(a->state, &a->key, st, &err) < 0) {
            cmd_fail("verified, but the state could not be saved: %s", err.msg);
            goto out;
        }
        report(a, &rep, &before);
        if (check_witnesses(a, &o, &src, st))
            goto out;
    }
    rc = 0;
out:
    monitor_source_close(&src);
    monitor_state_free(st);
    bf_buf_free(&ev);
    free(st);
    free(a);
    return rc;
}
