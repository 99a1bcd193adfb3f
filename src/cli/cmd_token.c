/*
 * cmd_token.c - `belfry token create|list|revoke`: issue, show and end
 * access tokens.
 *
 * create prints the token on stdout exactly once (one line, so that
 * TOKEN=$(belfry token create ...) works) and its id, role and expiry on
 * stderr; only the token's SHA-256 reaches the store, so a lost token
 * cannot be shown again: revoke it and create another. list never shows
 * secrets.
 */
#include "common.h"
#include "cmd.h"
#include "auth/auth.h"
#include "store/store.h"

#define TOKEN_DEFAULT_DAYS 90

static int token_usage(FILE *f)
{
    fprintf(f, "usage: belfry token create --data DIR --role admin|officer|auditor [--buyer ID] [--label TEXT]\n"
               "                          [--expires DAYS|Ns|Nm|Nh|Nd|never]   (default %d days)\n"
               "       belfry token list --data DIR [--json]\n"
               "       belfry token revoke --data DIR <token | id prefix (>= 4 hex characters)>\n",
               TOKEN_DEFAULT_DAYS);
    return 2;
}

/* "30" (days), "30d", "12h", "15m", "90s" or "never" (0). */
static int parse_ttl(const char *s, int64_t *out)
{
    char *end;
    double v;
    double unit = 86400;

    if (!strcmp(s, "never")) {
        *out = 0;
        return 0;
    }
    errno = 0;
    v = strtod(s, &end);
    if (end == s || errno || !(v > 0) || v > 36500)
        return -1;
    if (*end == 's')
        unit = 1;
    else if (*end == 'm')
        unit = 60;
    else if (*end == 'h')
        unit = 3600;
    else if (*end == 'd' || *end == '\0')
        unit = 86400;
    else
        return -1;
    if (*end && end[1])
        return -1;
    *out = (int64_t)(v * unit + 0.5);
    return *out > 0 ? 0 : -1;
}

static void fmt_time(int64_t t, char *out, size_t n)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (!t || !gmtime_r(&tt, &tm))
        snprintf(out, n, "-");
    else
        strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

struct token_opts {
    const char *data, *role, *buyer, *label, *expires, *arg;
    int json;
};

static int parse_opts(int argc, char **argv, struct token_opts *o)
{
    int i;
    for (i = 2; i < argc; i++) {
        const char **slot = NULL;
        if (!strcmp(argv[i], "--data"))
            slot = &o->data;
        else if (!strcmp(argv[i], "--role"))
            slot = &o->role;
        else if (!strcmp(argv[i], "--buyer"))
            slot = &o->buyer;
        else if (!strcmp(argv[i], "--label"))
            slot = &o->label;
        else if (!strcmp(argv[i], "--expires"))
            slot = &o->expires;
        else if (!strcmp(argv[i], "--json"))
            o->json = 1;
        else if (argv[i][0] == '-' && argv[i][1])
            return -1;
        else if (!o->arg)
            o->arg = argv[i];
        else
            return -1;
        if (slot) {
            if (i + 1 >= argc)
                return -1;
            *slot = argv[++i];
        }
    }
    return o->data ? 0 : -1;
}

static int token_create(struct store *s, const struct token_opts *o)
{
    struct auth_token_info info;
    struct bf_err err = { 0 };
    char token[AUTH_TOKEN_LEN + 1];
    char exp[32];
    enum auth_role role;
    int64_t ttl = (int64_t)TOKEN_DEFAULT_DAYS * 86400;

    if (auth_role_parse(o->role, &role, &err) < 0)
        return cmd_fail("%s", err.msg);
    if (o->expires && parse_ttl(o->expires, &ttl) < 0)
        return cmd_fail("--expires takes a positive number of days, Ns, Nm, Nh, Nd or 'never'");
    if (auth_token_create(s, role, o->buyer, o->label, ttl, &info, token, &err) < 0)
        return cmd_fail("%s", err.msg);
    fmt_time(info.expires, exp, sizeof exp);
    printf("%s\n", token);
    fflush(stdout);
    fprintf(stderr, "token %s: role %s%s%s, expires %s. It is shown only this once.\n", info.id,
            auth_role_name(info.role), info.buyer[0] ? ", buyer " : "", info.buyer, info.expires ? exp : "never");
    memset(token, 0, sizeof token);
    return 0;
}

struct list_ctx {
    int json, n;
    int64_t now;
};

static int list_row(const struct auth_token_info *t, void *arg)
{
    struct list_ctx *lc = arg;
    char created[32], expires[32], revoked[32];
    const char *status = t->revoked_at ? "revoked" : (t->expires && t->expires <= lc->now) ? "expired" : "active";

    fmt_time(t->created, created, sizeof created);
    fmt_time(t->expires, expires, sizeof expires);
    fmt_time(t->revoked_at, revoked, sizeof revoked);
    if (!lc->json) {
        if (!lc->n++)
            printf("%-16s  %-7s  %-7s  %-20s  %-20s  %-20s  %s\n", "ID", "ROLE", "STATUS", "BUYER", "CREATED",
                   "EXPIRES", "LABEL");
        printf("%-16s  %-7s  %-7s  %-20s  %-20s  %-20s  %s\n", t->id, auth_role_name(t->role), status,
               t->buyer[0] ? t->buyer : "-", created, t->expires ? expires : "never", t->label);
        return 0;
    }
    /* JSON Lines. Ids, roles, buyers and times are from safe alphabets
     * (auth_buyer_valid); the label has no control characters and gets
     * its quotes and backslashes escaped below. */
    printf("{\"id\":\"%s\",\"role\":\"%s\",\"status\":\"%s\",", t->id, auth_role_name(t->role), status);
    printf(t->buyer[0] ? "\"buyer\":\"%s\"," : "\"buyer\":null,", t->buyer);
    printf("\"created\":\"%s\",", created);
    printf(t->expires ? "\"expires\":\"%s\"," : "\"expires\":null,", expires);
    printf(t->revoked_at ? "\"revoked\":\"%s\"," : "\"revoked\":null,", revoked);
    printf("\"label\":\"");
    for (const char *p = t->label; *p; p++) {
        if (*p == '"' || *p == '\\')
            putchar('\\');
        putchar(*p);
    }
    printf("\"}\n");
    return 0;
}

int cmd_token(int argc, char **argv)
{
    struct token_opts o = { 0 };
    struct store *s = NULL;
    struct bf_err err = { 0 };
    struct list_ctx lc = { 0, 0, 0 };
    char id[AUTH_ID_LEN + 1];
    int rc;

    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
        return argc < 2 ? token_usage(stderr) : (token_usage(stdout), 0);
    if (parse_opts(argc, argv, &o) < 0)
        return token_usage(stderr);
    if (store_open(o.data, 0, &s, &err) < 0)
        return cmd_fail("%s", err.msg);
    if (!strcmp(argv[1], "create") && !o.arg) {
        rc = token_create(s, &o);
    } else if (!strcmp(argv[1], "list") && !o.arg) {
        lc.json = o.json;
        lc.now = (int64_t)time(NULL);
        rc = store_auth_each(s, list_row, &lc, &err) < 0 ? cmd_fail("%s", err.msg) : 0;
        if (!rc && !lc.json && !lc.n)
            fprintf(stderr, "no tokens yet: belfry token create --data %s --role ROLE\n", o.data);
    } else if (!strcmp(argv[1], "revoke") && o.arg) {
        rc = auth_token_revoke(s, o.arg, (int64_t)time(NULL), id, &err);
        if (rc)
            rc = cmd_fail("%s", err.msg);
        else
            fprintf(stderr, "token %s revoked\n", id);
    } else {
        rc = token_usage(stderr);
    }
    store_close(s);
    return rc;
}
