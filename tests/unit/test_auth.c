/*
 * test_auth.c - tokens: format, digest, store round trip, expiry,
 * revocation (by token and by id prefix, ambiguous prefixes), roles and
 * buyers, and that the database files never contain a token in clear.
 */
#include "common.h"
#include "auth/auth.h"
#include "fs.h"
#include "sha256.h"
#include "enc.h"
#include "store/store.h"
#include "tap.h"
#include "testutil.h"

static int file_contains(const char *path, const char *needle)
{
    char *data = NULL;
    size_t len = 0, n = strlen(needle);
    int found = 0;
    if (bf_fs_read(path, (size_t)1 << 28, &data, &len, NULL) < 0)
        return 0;
    found = memmem(data, len, needle, n) != NULL;
    free(data);
    return found;
}

static void test_format(void)
{
    struct auth_token_info a, b;
    char ta[AUTH_TOKEN_LEN + 1], tb[AUTH_TOKEN_LEN + 1], id[AUTH_ID_LEN + 1], hex[65];
    uint8_t h[32];
    struct bf_err err = { 0 };
    size_t i;
    int charset_ok = 1;

    ok(auth_token_new(AUTH_AUDITOR, NULL, "a", 1000, 60, &a, ta, &err) == 0, "auditor token created");
    ok(auth_token_new(AUTH_AUDITOR, NULL, "b", 1000, 60, &b, tb, &err) == 0, "second token created");
    ok(strlen(ta) == AUTH_TOKEN_LEN && !strncmp(ta, "bfy_", 4), "token is bfy_ + 43 chars: %s", ta);
    for (i = 4; i < strlen(ta); i++)
        if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", ta[i]))
            charset_ok = 0;
    ok(charset_ok, "token body is base64url");
    ok(strcmp(ta, tb) != 0 && strcmp(a.id, b.id) != 0, "two tokens differ");
    bf_sha256_hex(ta, strlen(ta), hex);
    ok(!strncmp(hex, a.id, AUTH_ID_LEN) && strlen(a.id) == AUTH_ID_LEN, "id is the first 16 hex of SHA-256(token)");
    ok(a.expires == 1060 && a.created == 1000, "expiry = created + ttl");
    ok(auth_token_digest(ta, h, id, &err) == 0 && !strcmp(id, a.id) && !memcmp(h, a.hash, 32),
       "digest recomputes id and hash");

    ok(auth_token_digest("bfy_short", h, id, &err) == BF_EAUTH, "short token rejected: %s", err.msg);
    tb[0] = 'x';
    ok(auth_token_digest(tb, h, id, &err) == BF_EAUTH, "wrong prefix rejected");
    snprintf(tb, sizeof tb, "%s", ta);
    tb[10] = '+';
    ok(auth_token_digest(tb, h, id, &err) == BF_EAUTH, "non-base64url character rejected: %s", err.msg);
    ok(auth_token_digest(NULL, h, id, &err) == BF_EAUTH, "NULL token rejected");
}

static void test_roles(void)
{
    struct auth_token_info t;
    char tok[AUTH_TOKEN_LEN + 1];
    struct bf_err err = { 0 };
    enum auth_role r;
    char longb[200];

    ok(auth_token_new(AUTH_OFFICER, NULL, NULL, 0, 0, &t, tok, &err) == BF_EINVAL, "officer needs a buyer: %s",
       err.msg);
    ok(auth_token_new(AUTH_OFFICER, "mod/../x", NULL, 0, 0, &t, tok, &err) == BF_EINVAL, "buyer with '/' rejected");
    ok(auth_token_new(AUTH_OFFICER, "-x", NULL, 0, 0, &t, tok, &err) == BF_EINVAL, "buyer starting with '-' rejected");
    memset(longb, 'a', sizeof longb - 1);
    longb[sizeof longb - 1] = '\0';
    ok(auth_token_new(AUTH_OFFICER, longb, NULL, 0, 0, &t, tok, &err) == BF_EINVAL, "200-char buyer rejected");
    ok(auth_token_new(AUTH_AUDITOR, "BE-MOD", NULL, 0, 0, &t, tok, &err) == BF_EINVAL, "auditor with buyer rejected");
    ok(auth_token_new(AUTH_PUBLIC, NULL, NULL, 0, 0, &t, tok, &err) == BF_EINVAL, "no token has the public role");
    ok(auth_token_new(AUTH_ADMIN, NULL, "bell\x07", 0, 0, &t, tok, &err) == BF_EINVAL, "control char in label");
    ok(auth_token_new(AUTH_ADMIN, NULL, "\xff\xfe", 0, 0, &t, tok, &err) == BF_EINVAL, "invalid UTF-8 label");
    ok(auth_token_new(AUTH_ADMIN, NULL, NULL, 0, -5, &t, tok, &err) == BF_EINVAL, "negative ttl rejected");
    ok(auth_token_new(AUTH_OFFICER, "BE-0308357159.DGMR", "Jan", 0, 0, &t, tok, &err) == 0 && t.expires == 0,
       "officer with a dotted buyer id, never expires");
    ok(auth_role_parse("officer", &r, &err) == 0 && r == AUTH_OFFICER, "parse officer");
    ok(auth_role_parse("public", &r, &err) == BF_EINVAL, "parse 'public' rejected");
    ok(!strcmp(auth_role_name(AUTH_ADMIN), "admin") && !strcmp(auth_role_name((enum auth_role)99), "?"), "names");
}

static int count_row(const struct auth_token_info *t, void *arg)
{
    (void)t;
    (*(int *)arg)++;
    return 0;
}

static void test_store(const char *dir)
{
    struct store *s = NULL;
    struct store_txn *t = NULL;
    struct bf_err err = { 0 };
    struct auth_token_info off, aud, a1, a2;
    struct auth_principal who;
    char toff[AUTH_TOKEN_LEN + 1], taud[AUTH_TOKEN_LEN + 1], bad[AUTH_TOKEN_LEN + 1], id[AUTH_ID_LEN + 1];
    char path[512], prefix[8];
    int64_t now = (int64_t)time(NULL);
    int n = 0, rc;

    if (store_open(dir, STORE_CREATE | STORE_NOSYNC, &s, &err) < 0) {
        ok(0, "store open: %s", err.msg);
        return;
    }
    ok(auth_token_create(s, AUTH_OFFICER, "BE-MOD", "procurement desk", 3600, &off, toff, &err) == 0,
       "officer token stored: %s", err.msg);
    ok(auth_token_create(s, AUTH_AUDITOR, NULL, NULL, 0, &aud, taud, &err) == 0, "auditor token stored");

    ok(auth_check_token(s, toff, now, &who, &err) == 0, "officer token checks: %s", err.msg);
    ok(who.role == AUTH_OFFICER && !strcmp(who.buyer, "BE-MOD") && !strcmp(who.id, off.id), "principal fields");
    snprintf(path, sizeof path, "officer:%s@BE-MOD", off.id);
    ok(!strcmp(who.actor, path), "actor is %s", who.actor);
    ok(auth_check_token(s, taud, now, &who, &err) == 0 && who.role == AUTH_AUDITOR && who.buyer[0] == '\0',
       "auditor token checks");
    snprintf(path, sizeof path, "auditor:%s", aud.id);
    ok(!strcmp(who.actor, path), "auditor actor %s", who.actor);

    snprintf(bad, sizeof bad, "%s", toff);
    bad[AUTH_TOKEN_LEN - 1] = bad[AUTH_TOKEN_LEN - 1] == 'A' ? 'B' : 'A';
    ok(auth_check_token(s, bad, now, &who, &err) == BF_EAUTH && strstr(err.msg, "unknown"),
       "token with one character changed is unknown: %s", err.msg);
    ok(auth_check_token(s, toff, now + 3600, &who, &err) == BF_EAUTH && strstr(err.msg, "expired"),
       "officer token expired after its ttl: %s", err.msg);
    ok(auth_check_token(s, toff, now + 3599, &who, &err) == 0, "valid one second before expiry");

    /* ambiguous prefix: two crafted rows sharing "abcd" */
    memset(&a1, 0, sizeof a1);
    a1.role = AUTH_ADMIN;
    a1.created = now;
    snprintf(a1.id, sizeof a1.id, "abcd000000000001");
    memset(a1.hash, 1, 32);
    a2 = a1;
    snprintf(a2.id, sizeof a2.id, "abcd000000000002");
    memset(a2.hash, 2, 32);
    ok(store_txn_begin(s, &t, &err) == 0 && store_auth_insert(t, &a1, &err) == 0 &&
           store_auth_insert(t, &a2, &err) == 0 && store_txn_commit(t, &err) == 0,
       "crafted rows inserted");
    ok(auth_token_revoke(s, "abcd", now, id, &err) == BF_ECONFLICT, "ambiguous prefix refused: %s", err.msg);
    ok(auth_token_revoke(s, "abcd000000000002", now, id, &err) == 0 && !strcmp(id, a2.id), "full id revokes");
    ok(auth_token_revoke(s, "abc", now, id, &err) == BF_EINVAL, "3-char prefix refused");
    ok(auth_token_revoke(s, "ffffffffffffffff", now, id, &err) == BF_ENOTFOUND || strncmp(off.id, "ffff", 4) == 0,
       "unknown id: %s", err.msg);
    ok(auth_token_revoke(s, "bfy_nonsense", now, id, &err) == BF_EINVAL, "malformed token refused");

    /* duplicate id is a conflict, never an overwrite */
    ok(store_txn_begin(s, &t, &err) == 0, "txn");
    ok(store_auth_insert(t, &a1, &err) == BF_ECONFLICT, "duplicate id refused: %s", err.msg);
    store_txn_rollback(t);

    memcpy(prefix, off.id, 6);
    prefix[6] = '\0';
    ok(auth_token_revoke(s, prefix, now, id, &err) == 0 && !strcmp(id, off.id), "revoke by 6-char prefix %s", prefix);
    ok(auth_check_token(s, toff, now, &who, &err) == BF_EAUTH && strstr(err.msg, "revoked"),
       "revoked token refused immediately: %s", err.msg);
    ok(auth_token_revoke(s, toff, now, id, &err) == BF_EEXIST, "revoking twice: %s", err.msg);
    ok(auth_token_revoke(s, taud, now, id, &err) == 0 && !strcmp(id, aud.id), "revoke by full token text");
    ok(auth_check_token(s, taud, now, &who, &err) == BF_EAUTH, "revoked auditor refused");

    rc = store_auth_each(s, count_row, &n, &err);
    ok(rc == 0 && n == 4, "list walks 4 rows (got %d)", n);
    store_close(s);

    /* no token text anywhere in the database files */
    snprintf(path, sizeof path, "%s/belfry.db", dir);
    ok(bf_fs_exists(path), "database file exists");
    ok(!file_contains(path, toff) && !file_contains(path, toff + 4) && !file_contains(path, taud + 4),
       "belfry.db does not contain the tokens");
    ok(file_contains(path, off.id), "belfry.db does contain the public id (sanity of the grep)");
    snprintf(path, sizeof path, "%s/belfry.db-wal", dir);
    ok(!bf_fs_exists(path) || (!file_contains(path, toff + 4) && !file_contains(path, taud + 4)),
       "WAL file does not contain the tokens");
}

int main(void)
{
    char dir[] = "/tmp/belfry-test-auth-XXXXXX";

    test_format();
    test_roles();
    if (!mkdtemp(dir)) {
        ok(0, "mkdtemp");
        return tap_done();
    }
    test_store(dir);
    tu_rm_rf(dir);
    return tap_done();
}
