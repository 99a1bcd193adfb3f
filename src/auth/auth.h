/*
 * auth.h - bearer-token access control for every Belfry endpoint.
 *
 * Tokens. A token is 256 random bits (bf_random), shown once as
 * "bfy_" + 43 base64url characters (no padding), e.g.
 *     bfy_3q2-7wEAAAD_...        (47 characters in all)
 * The store keeps only SHA-256 of the token text, never the token. The
 * token's id is the first 8 bytes of that digest in lower-case hex (16
 * characters): it is public (it appears in ledger entries as part of the
 * actor and in `belfry token list`) and lets the store find the row by
 * primary key; the full digest is then compared in constant time.
 *
 * Roles. There is no implicit hierarchy: an endpoint lists every role it
 * admits in a mask (an admin is not an officer: it has no buyer).
 *   AUTH_PUBLIC   - no token at all (only meaningful in a mask)
 *   AUTH_OFFICER  - a procurement officer, bound to one buyer id
 *   AUTH_AUDITOR  - reads withheld values, writes nothing
 *   AUTH_ADMIN    - operates the service (tokens, imports)
 *
 * Freshness. Nothing is cached: every check reads the latest committed
 * row, so a revocation takes effect on the next request (one SQLite
 * primary-key read, a few microseconds).
 *
 * Errors follow err.h: BF_EAUTH for a missing, malformed, unknown,
 * expired or revoked token (HTTP 401), BF_EFORBIDDEN for a valid token of
 * a role the endpoint does not admit (403).
 */
#ifndef BELFRY_AUTH_H
#define BELFRY_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct bf_err;
struct store;
struct store_txn;
struct http_req;
struct http_resp;
struct app;

enum auth_role { AUTH_PUBLIC = 1, AUTH_OFFICER = 2, AUTH_AUDITOR = 4, AUTH_ADMIN = 8 };

/* Every role that holds a token. */
#define AUTH_ANY_TOKEN (AUTH_OFFICER | AUTH_AUDITOR | AUTH_ADMIN)
/* Roles that may read withheld (classified) values. */
#define AUTH_READ_WITHHELD (AUTH_AUDITOR | AUTH_ADMIN)

#define AUTH_TOKEN_PREFIX "bfy_"
#define AUTH_TOKEN_BYTES 32
#define AUTH_TOKEN_LEN 47      /* "bfy_" + 43 base64url characters */
#define AUTH_ID_LEN 16         /* hex characters of a token id */
#define AUTH_BUYER_MAX 127     /* buyer ids: [A-Za-z0-9._-], 1..127 */
#define AUTH_LABEL_MAX 127     /* printable UTF-8, no control characters */

struct auth_principal {
    enum auth_role role;
    char id[32];      /* token id (public part); "" for AUTH_PUBLIC */
    char buyer[128];  /* officer's buyer id; "" otherwise */
    char actor[192];  /* for ledger entries: "officer:<id>@<buyer>",
                         "auditor:<id>", "admin:<id>", or "public" */
};

/* A token's stored row (no secret in it). */
struct auth_token_info {
    char id[AUTH_ID_LEN + 1];
    uint8_t hash[32];          /* SHA-256 of the token text */
    enum auth_role role;
    char buyer[AUTH_BUYER_MAX + 1];
    char label[AUTH_LABEL_MAX + 1];
    int64_t created;           /* Unix seconds */
    int64_t expires;           /* Unix seconds; 0 = never */
    int64_t revoked_at;        /* Unix seconds; 0 = not revoked */
};

/* ---- roles and names ------------------------------------------------ */

/* "admin", "officer", "auditor", "public"; "?" for anything else. */
const char *auth_role_name(enum auth_role r);
/* Parses a role name (not "public": no token has that role); BF_EINVAL. */
int auth_role_parse(const char *name, enum auth_role *out, struct bf_err *err);
/* 1 if s is a valid buyer id ([A-Za-z0-9._-], 1..AUTH_BUYER_MAX chars,
 * not starting with '.' or '-'). Buyer ids end up in ocids and URLs. */
int auth_buyer_valid(const char *s);

/* ---- tokens --------------------------------------------------------- */

/* Creates a token: fills info (id, hash, created = now, expires =
 * now + ttl_seconds or 0 when ttl_seconds == 0) and writes the token text
 * (AUTH_TOKEN_LEN + 1 bytes) to token_out. Officers need a valid buyer;
 * other roles must have buyer NULL or "". Nothing is stored. BF_EINVAL. */
int auth_token_new(enum auth_role role, const char *buyer, const char *label, int64_t now, int64_t ttl_seconds,
                   struct auth_token_info *info, char token_out[AUTH_TOKEN_LEN + 1], struct bf_err *err);

/* Checks the token's syntax and computes its digest and id (no store
 * access). BF_EAUTH if it is not a Belfry token. */
int auth_token_digest(const char *token, uint8_t hash[32], char id[AUTH_ID_LEN + 1], struct bf_err *err);

/* Creates a token and stores its row in one transaction. */
int auth_token_create(struct store *s, enum auth_role role, const char *buyer, const char *label, int64_t ttl_seconds,
                      struct auth_token_info *info, char token_out[AUTH_TOKEN_LEN + 1], struct bf_err *err);

/* Revokes by full token text or by a unique id prefix (>= 4 hex chars).
 * Writes the revoked id to id_out. BF_ENOTFOUND (no match), BF_ECONFLICT
 * (ambiguous prefix), BF_EEXIST (already revoked). */
int auth_token_revoke(struct store *s, const char *token_or_prefix, int64_t now, char id_out[AUTH_ID_LEN + 1],
                      struct bf_err *err);

/* The core check behind auth_require: token text -> principal, as of
 * `now`. BF_EAUTH with a reason ("unknown token", "token expired", ...)
 * on failure. */
int auth_check_token(struct store *s, const char *token, int64_t now, struct auth_principal *who,
                     struct bf_err *err);

/* Fills who for a stored row (actor string included). */
void auth_principal_from(const struct auth_token_info *info, struct auth_principal *who);
/* The anonymous principal. */
void auth_principal_public(struct auth_principal *who);

/* ---- store (src/store/sqlite_auth.c) --------------------------------- */

int store_auth_insert(struct store_txn *t, const struct auth_token_info *info, struct bf_err *err);
/* BF_ENOTFOUND if no row has that id. */
int store_auth_get(struct store *s, const char *id, struct auth_token_info *out, struct bf_err *err);
/* Ids starting with prefix: up to max are written to ids, *n gets the
 * total count (so *n > 1 means ambiguous). Runs on the writer txn. */
int store_auth_match(struct store_txn *t, const char *prefix, char (*ids)[AUTH_ID_LEN + 1], int max, int *n,
                     struct bf_err *err);
/* Sets revoked_at unless already set (BF_EEXIST then). */
int store_auth_revoke(struct store_txn *t, const char *id, int64_t now, struct bf_err *err);
/* Calls fn for every row in creation order; a non-zero return from fn
 * stops the walk and is returned. */
int store_auth_each(struct store *s, int (*fn)(const struct auth_token_info *, void *), void *arg,
                    struct bf_err *err);

/* ---- HTTP (src/auth/auth_http.c) ------------------------------------- */

/* Authorises a request for the roles in roles_mask (include AUTH_PUBLIC
 * to admit requests without a token). Returns 0 and fills who when
 * allowed. Otherwise fills resp with the standard error, 401 with
 * "WWW-Authenticate: Bearer realm=\"belfry\"" (no, malformed, unknown,
 * expired or revoked token) or 403 (role not admitted), and returns
 * BF_EAUTH or BF_EFORBIDDEN: the handler then just returns 0.
 * A token that is present but invalid is always 401, even when the mask
 * admits the public: a client that thinks it is signed in must learn that
 * it is not. */
int auth_require(struct http_req *req, struct http_resp *resp, struct store *s, unsigned roles_mask,
                 struct auth_principal *who);

/* Optional authentication for public endpoints that show more to some
 * roles: no token gives AUTH_PUBLIC and 0; a valid token gives its
 * principal; an invalid token is a 401 as in auth_require. */
int auth_identify(struct http_req *req, struct http_resp *resp, struct store *s, struct auth_principal *who);

/* Registers GET /api/v1/me (the caller's principal; any token) and the
 * admin's GET /api/v1/tokens (token list, no secrets). app must outlive
 * the server. */
int auth_mount(struct app *app, struct bf_err *err);

#endif
