/*
 * bench_access.c - what access control and the lifecycle cost per
 * request, written to bench/results/access.txt (or --out FILE):
 *
 *   1. token checks/s (auth_check_token: syntax, SHA-256, primary-key read
 *      through the thread's reader connection, constant-time compare) with
 *      T threads over 1000 stored tokens, and p50/p99 latency: the cost
 *      auth_require adds to every authenticated request, with no cache so
 *      that revocation is immediate;
 *   2. lifecycle steps/s: parsing a step body (proc_body_parse) and
 *      applying it (proc_apply: rules, deadlines, state, release build) for
 *      the 13 steps of a restricted procedure from plan to final payment,
 *      i.e. the CPU work of a step before ocds_publish and the ledger.
 *
 * Usage: bench_access [--seconds S] [--threads T] [--out FILE] [--dir DIR]
 */
#include "common.h"
#include "auth/auth.h"
#include "proc/proc.h"
#include "store/store.h"
#include "bench_util.h"

#include <pthread.h>

#define NTOKENS 1000

static char tokens[NTOKENS][AUTH_TOKEN_LEN + 1];

struct checker {
    struct store *s;
    double until;
    struct bench_lat lat;
    unsigned seed;
    int errors;
};

static void *check_loop(void *arg)
{
    struct checker *c = arg;
    struct auth_principal who;
    int64_t now = (int64_t)time(NULL);

    while (bench_now() < c->until) {
        double t0 = bench_now();
        if (auth_check_token(c->s, tokens[rand_r(&c->seed) % NTOKENS], now, &who, NULL) < 0)
            c->errors++;
        bench_lat_add(&c->lat, bench_now() - t0);
    }
    return NULL;
}

static int bench_tokens(const char *dir, double seconds, int threads, FILE *out)
{
    struct store *s = NULL;
    struct auth_token_info info;
    struct bf_err err = { 0 };
    struct checker *cs = bf_xcalloc((size_t)threads, sizeof *cs);
    pthread_t *th = bf_xcalloc((size_t)threads, sizeof *th);
    struct bench_lat all = { NULL, 0, 0 };
    double t0, el;
    int i, errors = 0, rc = 1;

    if (store_open(dir, STORE_CREATE | STORE_NOSYNC, &s, &err) < 0) {
        fprintf(stderr, "bench_access: %s\n", err.msg);
        goto out;
    }
    for (i = 0; i < NTOKENS; i++) {
        if (auth_token_create(s, i % 3 ? AUTH_OFFICER : AUTH_AUDITOR, i % 3 ? "BE-MOD" : NULL, "bench", 86400, &info,
                              tokens[i], &err) < 0) {
            fprintf(stderr, "bench_access: %s\n", err.msg);
            goto out;
        }
    }
    t0 = bench_now();
    for (i = 0; i < threads; i++) {
        cs[i].s = s;
        cs[i].until = t0 + seconds;
        cs[i].seed = (unsigned)i + 1;
        pthread_create(&th[i], NULL, check_loop, &cs[i]);
    }
    for (i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        bench_lat_take(&all, &cs[i].lat);
        errors += cs[i].errors;
    }
    el = bench_now() - t0;
    bench_lat_sort(&all);
    fprintf(out, "token checks: %d threads, %d stored tokens, %.1f s\n", threads, NTOKENS, el);
    fprintf(out, "  %.0f checks/s, p50 %.1f us, p99 %.1f us, max %.1f us, %d failures\n", (double)all.n / el,
            bench_lat_pct(&all, 50) * 1e6, bench_lat_pct(&all, 99) * 1e6, bench_lat_pct(&all, 100) * 1e6, errors);
    bench_lat_free(&all);
    rc = errors ? 1 : 0;
out:
    store_close(s);
    free(cs);
    free(th);
    return rc;
}

static const char *const WALK[][2] = {
    { "tender", "{\"date\":\"2025-02-03\",\"requestsDeadline\":\"2025-03-12\",\"electronicDocuments\":true}" },
    { "invitation", "{\"date\":\"2025-03-13\",\"tenderDeadline\":\"2025-04-22\",\"candidates\":[{\"id\":\"A\",\"name\":"
                    "\"A\"},{\"id\":\"B\",\"name\":\"B\"},{\"id\":\"C\",\"name\":\"C\"}]}" },
    { "clarifications", "{\"date\":\"2025-04-01\",\"question\":\"Range?\",\"answer\":\"30 km\"}" },
    { "amendments", "{\"date\":\"2025-04-02\",\"rationale\":\"more time\",\"tenderDeadline\":\"2025-04-25\"}" },
    { "bids", "{\"date\":\"2025-04-26\",\"bids\":[{\"id\":\"B1\",\"tenderer\":{\"id\":\"A\",\"name\":\"A\"},\"value\":"
              "{\"amount\":1900000,\"currency\":\"EUR\"},\"date\":\"2025-04-20\"},{\"id\":\"B2\",\"tenderer\":{\"id\":"
              "\"B\",\"name\":\"B\"},\"value\":{\"amount\":1800000,\"currency\":\"EUR\"},\"date\":\"2025-04-21\"}]}" },
    { "award", "{\"date\":\"2025-05-02\",\"bidId\":\"B2\"}" },
    { "contract", "{\"date\":\"2025-05-20\",\"dateSigned\":\"2025-05-20\"}" },
    { "milestones", "{\"date\":\"2025-05-21\",\"milestones\":[{\"id\":\"M1\",\"title\":\"t\",\"dueDate\":"
                    "\"2025-09-01\"}]}" },
    { "transactions", "{\"date\":\"2025-09-02\",\"id\":\"T1\",\"value\":{\"amount\":900000,\"currency\":\"EUR\"}}" },
    { "amendment", "{\"date\":\"2025-10-01\",\"rationale\":\"spares\",\"value\":{\"amount\":2000000,\"currency\":"
                   "\"EUR\"}}" },
    { "transactions", "{\"date\":\"2026-01-15\",\"id\":\"T2\",\"value\":{\"amount\":1100000,\"currency\":\"EUR\"},"
                      "\"final\":true}" },
    { "disclosure", "{\"date\":\"2026-01-16\",\"paths\":[\"/awards/0/value\"]}" },
};

static const char CREATE[] =
    "{\"title\":\"Bench\",\"procedure\":\"restricted\",\"mainProcurementCategory\":\"goods\",\"estimatedValue\":"
    "{\"amount\":2000000,\"currency\":\"EUR\"},\"capabilityArea\":\"land\",\"date\":\"2025-01-06\",\"withheld\":"
    "[{\"path\":\"/awards/0/value\",\"reason\":\"defenceSecurity\",\"disclosureDate\":\"2027-01-01\"}]}";

/* One full walk; returns the number of steps or -1. */
static int walk_once(int64_t now)
{
    struct proc_issues is = { 0 };
    struct proc p;
    json_t *b = NULL, *rel = NULL;
    size_t i;
    int steps = 0;

    if (proc_body_parse(PROC_STEP_CREATE, CREATE, strlen(CREATE), &b, &is) ||
        proc_create("ocds-belfry-BENCH-000001", "BENCH", b, now, &p, &rel, &is))
        return -1;
    json_decref(b);
    json_decref(rel);
    steps++;
    for (i = 0; i < BF_ARRAY_LEN(WALK); i++) {
        enum proc_step s = (enum proc_step)proc_step_parse(WALK[i][0]);
        memset(&is, 0, sizeof is);
        if (proc_body_parse(s, WALK[i][1], strlen(WALK[i][1]), &b, &is) || proc_apply(&p, s, b, now, &rel, NULL, &is)) {
            fprintf(stderr, "bench_access: step %s: %s\n", WALK[i][0], is.n ? is.v[0].msg : "?");
            json_decref(b);
            proc_free(&p);
            return -1;
        }
        json_decref(b);
        json_decref(rel);
        steps++;
    }
    proc_free(&p);
    return steps;
}

static int bench_steps(double seconds, FILE *out)
{
    int64_t now = proc_days_from_civil(2026, 6, 1) * 86400;
    double t0 = bench_now(), el;
    long steps = 0, walks = 0;
    int n;

    do {
        n = walk_once(now);
        if (n < 0)
            return 1;
        steps += n;
        walks++;
    } while (bench_now() - t0 < seconds);
    el = bench_now() - t0;
    fprintf(out, "lifecycle steps (parse + rules + release build, no publishing): 1 thread, %.1f s\n", el);
    fprintf(out, "  %.0f steps/s, %.0f full procedures/s (%d steps each), %.1f us per step\n", (double)steps / el,
            (double)walks / el, n, el / (double)steps * 1e6);
    return 0;
}

int main(int argc, char **argv)
{
    double seconds = 5;
    int threads = 2, i, rc;
    const char *outpath = "bench/results/access.txt", *base = "/tmp";
    char dir[512];
    FILE *out;

    for (i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--seconds"))
            seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads"))
            threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--out"))
            outpath = argv[i + 1];
        else if (!strcmp(argv[i], "--dir"))
            base = argv[i + 1];
    }
    if (threads < 1 || threads > 64 || !(seconds > 0)) {
        fprintf(stderr, "usage: bench_access [--seconds S] [--threads 1..64] [--out FILE] [--dir DIR]\n");
        return 2;
    }
    snprintf(dir, sizeof dir, "%s/belfry-bench-access-XXXXXX", base);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    out = fopen(outpath, "w");
    if (!out) {
        perror(outpath);
        return 1;
    }
    {
        double load[3] = { 0, 0, 0 };
        if (getloadavg(load, 3) < 0)
            load[0] = -1;
        fprintf(out, "# bench_access (%s); machine: %ld CPUs, load average before: %.2f %.2f %.2f\n", __DATE__,
                sysconf(_SC_NPROCESSORS_ONLN), load[0], load[1], load[2]);
    }
    rc = bench_tokens(dir, seconds, threads, out) | bench_steps(seconds, out);
    fclose(out);
    bench_rm_rf(dir);
    if (!rc)
        bench_cat(outpath);
    return rc;
}
