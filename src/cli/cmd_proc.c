/*
 * cmd_proc.c - `belfry proc`: drive a procurement procedure from the
 * command line, through the same service as the HTTP API (proc_svc.h),
 * for scripts and for operators working on a stopped server (the ledger's
 * lock refuses a second writer while `belfry serve` runs).
 *
 * The token is read from $BELFRY_TOKEN or --token-file, never from the
 * command line (other users of the machine can read argv). Output is the
 * API's JSON reply on stdout; exit 0 for a 2xx reply, 1 otherwise (the
 * error message also goes to stderr), 2 for usage errors.
 */
#include "common.h"
#include "cmd.h"
#include "fs.h"
#include "auth/auth.h"
#include "ledger/ledger.h"
#include "proc/proc.h"
#include "proc/proc_svc.h"
#include "store/store.h"

static int proc_usage(FILE *f)
{
    fprintf(f, "usage: belfry proc --data DIR [--token-file FILE] create BODY.json|- [--dry-run]\n"
               "       belfry proc --data DIR [--token-file FILE] step OCID STEP BODY.json|- [--dry-run]\n"
               "       belfry proc --data DIR [--token-file FILE] show OCID\n"
               "       belfry proc --data DIR [--token-file FILE] list [--state STATE] [--buyer ID]\n"
               "       belfry proc rules\n"
               "The token comes from $BELFRY_TOKEN or --token-file. Steps: tender, invitation, amendments,\n"
               "clarifications, bids, award, contract, milestones, transactions, amendment, termination,\n"
               "cancellation, disclosure.\n");
    return 2;
}

struct proc_opts {
    const char *data, *token_file, *state, *buyer;
    const char *args[4];
    int nargs, dry;
};

static int parse_opts(int argc, char **argv, struct proc_opts *o)
{
    int i;
    for (i = 1; i < argc; i++) {
        const char **slot = NULL;
        if (!strcmp(argv[i], "--data"))
            slot = &o->data;
        else if (!strcmp(argv[i], "--token-file"))
            slot = &o->token_file;
        else if (!strcmp(argv[i], "--state"))
            slot = &o->state;
        else if (!strcmp(argv[i], "--buyer"))
            slot = &o->buyer;
        else if (!strcmp(argv[i], "--dry-run"))
            o->dry = 1;
        else if (argv[i][0] == '-' && argv[i][1])
            return -1;
        else if (o->nargs < 4)
            o->args[o->nargs++] = argv[i];
        else
            return -1;
        if (slot) {
            if (i + 1 >= argc)
                return -1;
            *slot = argv[++i];
        }
    }
    return o->nargs ? 0 : -1;
}

static int print_reply(struct proc_reply *r)
{
    char *text = json_dumps(r->body, JSON_INDENT(2));
    int ok = r->status >= 200 && r->status < 300;

    if (!ok)
        fprintf(stderr, "belfry: %d %s\n", r->status,
                json_string_value(json_object_get(json_object_get(r->body, "error"), "message")));
    if (text)
        printf("%s\n", text);
    free(text);
    json_decref(r->body);
    return ok ? 0 : 1;
}

/* Reads the token (first line of the file, or $BELFRY_TOKEN) into out. */
static int read_token(const char *file, char out[AUTH_TOKEN_LEN + 1])
{
    char *text = NULL;
    size_t len = 0, n;
    const char *env = getenv("BELFRY_TOKEN");

    if (file) {
        if (bf_fs_read(file, 4096, &text, &len, NULL) < 0)
            return -1;
        n = strcspn(text, "\r\n");
        snprintf(out, AUTH_TOKEN_LEN + 1, "%.*s", (int)(n < AUTH_TOKEN_LEN ? n : AUTH_TOKEN_LEN), text);
        memset(text, 0, len);
        free(text);
        return n == AUTH_TOKEN_LEN ? 0 : -1;
    }
    if (!env || strlen(env) != AUTH_TOKEN_LEN)
        return -1;
    snprintf(out, AUTH_TOKEN_LEN + 1, "%s", env);
    return 0;
}

/* 1 if the subcommand has the right number of arguments. */
static int args_ok(const struct proc_opts *o)
{
    const char *cmd = o->args[0];
    return (!strcmp(cmd, "create") && o->nargs == 2) || (!strcmp(cmd, "step") && o->nargs == 4) ||
           (!strcmp(cmd, "show") && o->nargs == 2) || (!strcmp(cmd, "list") && o->nargs == 1);
}

static int run(const struct proc_opts *o, struct store *s, const struct auth_principal *who)
{
    struct bf_err err = { 0 };
    struct ledger_opts lo = { 0 };
    struct ledger *l = NULL;
    struct proc_svc *svc = NULL;
    struct proc_reply r = { 0, NULL };
    const char *cmd = o->args[0];
    int writes = !strcmp(cmd, "create") || !strcmp(cmd, "step");
    char *body = NULL;
    size_t len = 0;
    int step = 0, rc = 1;

    if (!strcmp(cmd, "step") && (step = proc_step_parse(o->args[2])) <= 0)
        return cmd_fail("unknown step '%s'", o->args[2]);
    if (writes && bf_fs_read(o->args[o->nargs - 1], PROC_BODY_MAX + 1, &body, &len, &err) < 0)
        return cmd_fail("%s", err.msg);
    lo.readonly = !writes || o->dry;
    if (ledger_open(s, &lo, &l, &err) < 0) {
        rc = cmd_fail("%s", err.msg);
        goto out;
    }
    if (proc_svc_new(s, lo.readonly ? NULL : l, &svc, &err) < 0) {
        rc = cmd_fail("%s", err.msg);
        goto out;
    }
    if (!strcmp(cmd, "create"))
        proc_svc_create(svc, who, body, len, o->dry, &r);
    else if (!strcmp(cmd, "step"))
        proc_svc_step(svc, who, o->args[1], (enum proc_step)step, body, len, o->dry, &r);
    else if (!strcmp(cmd, "show"))
        proc_svc_get(svc, who, o->args[1], &r);
    else
        proc_svc_list(svc, who, o->buyer, o->state, 0, 500, &r);
    rc = print_reply(&r);
out:
    proc_svc_free(svc);
    if (l)
        ledger_close(l);
    free(body);
    return rc;
}

static int print_rules(void)
{
    const struct proc_rules *const *all = proc_rules_all();
    struct proc_reply r = { 200, json_array() };
    size_t i;
    for (i = 0; all[i]; i++)
        json_array_append_new(r.body, proc_rules_json(all[i]));
    return print_reply(&r);
}

int cmd_proc(int argc, char **argv)
{
    struct proc_opts o = { 0 };
    struct store *s = NULL;
    struct bf_err err = { 0 };
    struct auth_principal who;
    char token[AUTH_TOKEN_LEN + 1];
    int rc;

    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
        return argc < 2 ? proc_usage(stderr) : (proc_usage(stdout), 0);
    if (parse_opts(argc, argv, &o) < 0)
        return proc_usage(stderr);
    if (!strcmp(o.args[0], "rules"))
        return o.nargs == 1 ? print_rules() : proc_usage(stderr);
    if (!o.data || !args_ok(&o))
        return proc_usage(stderr);
    if (read_token(o.token_file, token) < 0)
        return cmd_fail("no token: set BELFRY_TOKEN or give --token-file with a bfy_ token on its first line");
    if (store_open(o.data, 0, &s, &err) < 0)
        return cmd_fail("%s", err.msg);
    rc = auth_check_token(s, token, (int64_t)time(NULL), &who, &err);
    memset(token, 0, sizeof token);
    if (rc < 0)
        rc = cmd_fail("%s", err.msg);
    else if ((!strcmp(o.args[0], "create") || !strcmp(o.args[0], "step")) && who.role != AUTH_OFFICER)
        rc = cmd_fail("a token of role %s cannot do this (needs: officer)", auth_role_name(who.role));
    else
        rc = run(&o, s, &who);
    store_close(s);
    return rc;
}
