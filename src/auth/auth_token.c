/*
 * auth_token.c - creating, checking and revoking bearer tokens.
 *
 * Invariants: the token text exists only in the caller's buffer that
 * auth_token_new fills (printed once by `belfry token create`) and in
 * requests; the store sees its SHA-256 and the id derived from it. A check
 * finds the row by id and compares the whole digest with bf_ct_equal, so
 * its timing does not depend on how many digest bytes match. No HTTP here
 * (auth_http.c), so unit tests and the CLI link without the server.
 */
#include "common.h"
#include "auth/auth.h"
#include "enc.h"
#include "sha256.h"
#include "store/store.h"

static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const char *auth_role_name(enum auth_role r)
{
    switch (r) {
    case AUTH_PUBLIC: return "public";
    case AUTH_OFFICER: return "officer";
    case AUTH_AUDITOR: return "auditor";
    case AUTH_ADMIN: return "admin";
    }
    return "?";
}

int auth_role_parse(const char *name, enum auth_role *out, struct bf_err *err)
{
    if (name && !strcmp(name, "officer"))
        *out = AUTH_OFFICER;
    else if (name && !strcmp(name, "auditor"))
        *out = AUTH_AUDITOR;
    else if (name && !strcmp(name, "admin"))
        *out = AUTH_ADMIN;
    else
        return bf_err_set(err, BF_EINVAL, "unknown role '%s' (admin, officer or auditor)", name ? name : "");
    return 0;
}

int auth_buyer_valid(const char *s)
{
    size_t i, n = s ? strlen(s) : 0;
    if (n == 0 || n > AUTH_BUYER_MAX || s[0] == '.' || s[0] == '-')
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return 0;
    }
    return 1;
}

static int label_valid(const char *s)
{
    size_t i, n = strlen(s);
    if (n > AUTH_LABEL_MAX || !bf_utf8_valid(s, n))
        return 0;
    for (i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

/* base64url without padding: 32 bytes -> 43 characters. */
static void b64url_encode(const uint8_t *in, size_t n, char *out)
{
    size_t i, o = 0;
    uint32_t v;
    for (i = 0; i + 2 < n; i += 3) {
        v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = B64URL[v >> 18];
        out[o++] = B64URL[(v >> 12) & 63];
        out[o++] = B64URL[(v >> 6) & 63];
        out[o++] = B64URL[v & 63];
    }
    if (n - i == 2) {
        v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = B64URL[v >> 18];
        out[o++] = B64URL[(v >> 12) & 63];
        out[o++] = B64URL[(v >> 6) & 63];
    } else if (n - i == 1) {
        v = (uint32_t)in[i] << 16;
        out[o++] = B64URL[v >> 18];
        out[o++] = B64URL[(v >> 12) & 63];
    }
    out[o] = '\0';
}

int auth_token_digest(const char *token, uint8_t hash[32], char id[AUTH_ID_LEN + 1], struct bf_err *err)
{
    size_t i, n = token ? strnlen(token, AUTH_TOKEN_LEN + 1) : 0;

    if (n != AUTH_TOKEN_LEN || memcmp(token, AUTH_TOKEN_PREFIX, 4) != 0)
        return bf_err_set(err, BF_EAUTH, "malformed token (expected %s followed by 43 base64url characters)",
                          AUTH_TOKEN_PREFIX);
    for (i = 4; i < n; i++)
        if (!memchr(B64URL, token[i], 64))
            return bf_err_set(err, BF_EAUTH, "malformed token (character %zu is not base64url)", i + 1);
    bf_sha256(token, n, hash);
    bf_hex_encode(hash, AUTH_ID_LEN / 2, id);
    return 0;
}

int auth_token_new(enum auth_role role, const char *buyer, const char *label, int64_t now, int64_t ttl_seconds,
                   struct auth_token_info *info, char token_out[AUTH_TOKEN_LEN + 1], struct bf_err *err)
{
    uint8_t raw[AUTH_TOKEN_BYTES];
    int rc;

    if (role != AUTH_OFFICER && role != AUTH_AUDITOR && role != AUTH_ADMIN)
        return bf_err_set(err, BF_EINVAL, "a token's role is admin, officer or auditor");
    if (role == AUTH_OFFICER && !auth_buyer_valid(buyer))
        return bf_err_set(err, BF_EINVAL, "an officer token needs --buyer ID (letters, digits, '.', '_', '-'; "
                                          "at most %d characters)", AUTH_BUYER_MAX);
    if (role != AUTH_OFFICER && buyer && *buyer)
        return bf_err_set(err, BF_EINVAL, "only officer tokens are bound to a buyer");
    if (label && !label_valid(label))
        return bf_err_set(err, BF_EINVAL, "label must be UTF-8 text without control characters, at most %d bytes",
                          AUTH_LABEL_MAX);
    if (ttl_seconds < 0)
        return bf_err_set(err, BF_EINVAL, "expiry must be in the future");
    memset(info, 0, sizeof *info);
    bf_random(raw, sizeof raw);
    memcpy(token_out, AUTH_TOKEN_PREFIX, 4);
    b64url_encode(raw, sizeof raw, token_out + 4);
    memset(raw, 0, sizeof raw);
    rc = auth_token_digest(token_out, info->hash, info->id, err);
    if (rc)
        return rc;
    info->role = role;
    snprintf(info->buyer, sizeof info->buyer, "%s", role == AUTH_OFFICER ? buyer : "");
    snprintf(info->label, sizeof info->label, "%s", label ? label : "");
    info->created = now;
    info->expires = ttl_seconds ? now + ttl_seconds : 0;
    return 0;
}

int auth_token_create(struct store *s, enum auth_role role, const char *buyer, const char *label, int64_t ttl_seconds,
                      struct auth_token_info *info, char token_out[AUTH_TOKEN_LEN + 1], struct bf_err *err)
{
    struct store_txn *t = NULL;
    int rc;

    rc = auth_token_new(role, buyer, label, (int64_t)time(NULL), ttl_seconds, info, token_out, err);
    if (rc)
        goto out;
    rc = store_txn_begin(s, &t, err);
    if (rc)
        goto out;
    rc = store_auth_insert(t, info, err);
    if (rc) {
        store_txn_rollback(t);
        goto out;
    }
    rc = store_txn_commit(t, err);
out:
    if (rc)
        memset(token_out, 0, AUTH_TOKEN_LEN + 1);
    return rc;
}

static int is_hex_prefix(const char *s)
{
    size_t i, n = strlen(s);
    if (n < 4 || n > AUTH_ID_LEN)
        return 0;
    for (i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

int auth_token_revoke(struct store *s, const char *arg, int64_t now, char id_out[AUTH_ID_LEN + 1], struct bf_err *err)
{
    struct store_txn *t = NULL;
    char ids[2][AUTH_ID_LEN + 1];
    char prefix[AUTH_ID_LEN + 1];
    uint8_t hash[32];
    int rc, n = 0;

    if (!strncmp(arg, AUTH_TOKEN_PREFIX, 4)) {
        if (auth_token_digest(arg, hash, prefix, NULL) < 0)
            return bf_err_set(err, BF_EINVAL, "malformed token (expected %s followed by 43 base64url characters)",
                              AUTH_TOKEN_PREFIX);
    } else if (is_hex_prefix(arg)) {
        snprintf(prefix, sizeof prefix, "%s", arg);
    } else {
        return bf_err_set(err, BF_EINVAL, "give a token (bfy_...) or at least 4 hex characters of its id");
    }
    rc = store_txn_begin(s, &t, err);
    if (rc)
        return rc;
    rc = store_auth_match(t, prefix, ids, 2, &n, err);
    if (rc)
        goto out;
    if (n == 0) {
        rc = bf_err_set(err, BF_ENOTFOUND, "no token with id %s", prefix);
        goto out;
    }
    if (n > 1) {
        rc = bf_err_set(err, BF_ECONFLICT, "%d tokens have ids starting with %s; give more characters", n, prefix);
        goto out;
    }
    rc = store_auth_revoke(t, ids[0], now, err);
    if (!rc)
        snprintf(id_out, AUTH_ID_LEN + 1, "%s", ids[0]);
out:
    if (rc) {
        store_txn_rollback(t);
        return rc;
    }
    return store_txn_commit(t, err);
}

void auth_principal_public(struct auth_principal *who)
{
    memset(who, 0, sizeof *who);
    who->role = AUTH_PUBLIC;
    snprintf(who->actor, sizeof who->actor, "public");
}

void auth_principal_from(const struct auth_token_info *info, struct auth_principal *who)
{
    memset(who, 0, sizeof *who);
    who->role = info->role;
    snprintf(who->id, sizeof who->id, "%s", info->id);
    snprintf(who->buyer, sizeof who->buyer, "%s", info->buyer);
    if (info->role == AUTH_OFFICER)
        snprintf(who->actor, sizeof who->actor, "officer:%s@%s", info->id, info->buyer);
    else
        snprintf(who->actor, sizeof who->actor, "%s:%s", auth_role_name(info->role), info->id);
}

int auth_check_token(struct store *s, const char *token, int64_t now, struct auth_principal *who, struct bf_err *err)
{
    struct auth_token_info info;
    uint8_t hash[32];
    char id[AUTH_ID_LEN + 1];
    int rc;

    rc = auth_token_digest(token, hash, id, err);
    if (rc)
        return rc;
    rc = store_auth_get(s, id, &info, err);
    if (rc == BF_ENOTFOUND || (!rc && !bf_ct_equal(info.hash, hash, sizeof hash)))
        return bf_err_set(err, BF_EAUTH, "unknown token");
    if (rc)
        return rc;
    if (info.revoked_at)
        return bf_err_set(err, BF_EAUTH, "token %s was revoked", info.id);
    if (info.expires && info.expires <= now)
        return bf_err_set(err, BF_EAUTH, "token %s has expired", info.id);
    auth_principal_from(&info, who);
    return 0;
}
