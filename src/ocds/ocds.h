/*
 * ocds.h - OCDS 1.1.5 releases and records: the contract between the
 * OCDS core (canonical form, checks, merge, withheld fields, export: files
 * ocds_jcs.c, ocds_check.c, ocds_merge*.c, ocds_withheld.c, ocds_export*.c)
 * and the publishing side (store, import, read API, demo: ocds_publish.c,
 * ocds_import*.c, ocds_api.c, ocds_demo*.c), and the users of both (the
 * buyer lifecycle in src/proc/, the portal in src/portal/).
 *
 * JSON values are jansson json_t. Unless a comment says otherwise a
 * function does not steal references: the caller keeps what it passed and
 * owns (must json_decref) what it gets back through an out-parameter.
 */
#ifndef BELFRY_OCDS_H
#define BELFRY_OCDS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct bf_err;
struct bf_buf;
struct store;
struct store_txn;
struct ledger;
struct app;

#define OCDS_VERSION "1.1"

/* ---- canonical form (RFC 8785 JCS) --------------------------------- */

/* Appends the JCS canonical text of v: object members sorted by UTF-16
 * code units, no whitespace, ECMAScript number formatting. BF_EINVAL for
 * values JCS cannot represent (non-finite numbers, integers beyond 2^53
 * that a double cannot hold exactly are formatted as the double would be
 * — see ocds_jcs.c for the exact policy). */
int ocds_jcs(const json_t *v, struct bf_buf *out, struct bf_err *err);
/* Lower-case hex SHA-256 of the JCS form into hex[65]. */
int ocds_digest(const json_t *v, char hex[65], struct bf_err *err);

/* ---- checks --------------------------------------------------------- */

/* Checks a release against OCDS 1.1.5 rules that matter for safe storage:
 * required fields (ocid, id, date, tag, initiationType), closed codelists
 * (tag, initiationType, statuses, procurementMethod, category, currency),
 * date format, local ids, and the defence extension. On failure err says
 * which JSON pointer and why. */
int ocds_release_check(const json_t *release, struct bf_err *err);

/* ---- merge ---------------------------------------------------------- */

/* Compiled release of n releases of one ocid (sorted by date by this
 * function; stable for equal dates), per merging.md. */
int ocds_merge_compiled(json_t *const *releases, size_t n, json_t **out, struct bf_err *err);
/* Versioned release of the same. */
int ocds_merge_versioned(json_t *const *releases, size_t n, json_t **out, struct bf_err *err);

/* ---- withheld (classified) fields ----------------------------------- */

/* A release may carry, at top level, "withheld": [{"path": "/tender/value",
 * "reason": "<code>", "disclosureDate": "<date>"}...] naming fields to
 * withhold (JSON pointers). ocds_withhold returns the public release, in
 * which each withheld value is replaced by an explicit marker object
 *   {"withheld": true, "reason": ..., "disclosureDate": ...,
 *    "commitment": "sha256:<hex of SHA-256(salt ‖ JCS(value))>"}
 * and the private sidecar {"salts": {"<path>": "<hex salt>"}, "values": {"<path>": value}}
 * needed to open the commitments. Salts are 32 random bytes. */
int ocds_withhold(const json_t *release, json_t **public_release, json_t **sidecar, struct bf_err *err);
/* Checks that value and salt open the commitment in marker: 0 or BF_ECRYPTO. */
int ocds_commitment_check(const json_t *marker, const json_t *value, const char *salt_hex, struct bf_err *err);

/* ---- ledger entries ------------------------------------------------- */

/* Appends the one-line ledger entry for a (public) release:
 * {"type":"ocds-release","ocid":...,"id":...,"date":...,"tag":[...],
 *  "sha256":"<hex of JCS(release)>","actor":...} in JCS form. actor may be
 * NULL (import by an operator is "operator"). */
int ocds_entry_line(const json_t *release, const char *actor, struct bf_buf *out, struct bf_err *err);

/* ---- publishing (store + ledger) ------------------------------------ */

struct ocds_ctx;   /* store, ledger, caches; one per process */

int ocds_ctx_new(struct store *s, struct ledger *l, struct ocds_ctx **out, struct bf_err *err);
void ocds_ctx_free(struct ocds_ctx *c);

/* Checks a release, splits withheld fields, and appends it to the ledger
 * with its rows (public release, private sidecar, record index) written
 * in the same transaction. Idempotent: a release with the same ocid and id
 * and the same digest returns the existing index with *dup = 1; same ocid
 * and id with a different digest is BF_ECONFLICT (releases are
 * immutable). actor is recorded in the ledger entry. */
int ocds_publish(struct ocds_ctx *c, const json_t *release, const char *actor, uint64_t *index, int *dup,
                 struct bf_err *err);

/* Reads: public release text (JCS) of ocid/id, or all releases of ocid in
 * date order (each with its log index). Auditor variants include the
 * withheld values and salts. Returned json_t owned by the caller. */
int ocds_get_release(struct ocds_ctx *c, const char *ocid, const char *id, int auditor, json_t **out, uint64_t *index,
                     struct bf_err *err);
int ocds_get_releases(struct ocds_ctx *c, const char *ocid, int auditor, json_t **out_array, struct bf_err *err);

/* Mounts the OCDS read API (releases, records, change feed, export). */
int ocds_mount(struct app *app, struct bf_err *err);

#endif
