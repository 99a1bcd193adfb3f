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

#include "jv.h"

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
/* Writes the JCS escape of byte c (a control character, '"' or '\\') at
 * p, at most six bytes, and returns the end. */
char *ocds_jcs_escape(char *p, unsigned char c);
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
/* Versioned release of the same. Its version objects share their
 * releaseID/releaseDate/releaseTag nodes (reference-counted): treat the
 * result as read-only or json_deep_copy it before editing. */
int ocds_merge_versioned(json_t *const *releases, size_t n, json_t **out, struct bf_err *err);

/* ---- withheld (classified) fields ----------------------------------- */

/* A release may carry, at top level, "withheld": [{"path": "/tender/value",
 * "reason": "<code>", "disclosureDate": "<date>"}...] naming fields to
 * withhold (JSON pointers). ocds_withhold returns the public release, in
 * which each withheld value is replaced by an explicit marker object
 *   {"withheld": true, "reason": ..., "disclosureDate": ...,
 *    "commitment": "sha256:<hex of SHA-256(salt ‖ JCS(value))>"}
 * and the private sidecar {"salts": {"<path>": "<hex salt>"}, "values": {"<path>": value}}
 * needed to open the commitments. Salts are 32 random bytes, fresh for
 * every call (so two releases withholding one value commit differently;
 * ocds_withhold_keyed makes them agree). Both outputs are new references
 * owned by the caller; on error both are NULL. The public release shares
 * the subtrees off the withheld paths with the input (only the containers
 * on those paths are copied; the input is never modified): treat it as
 * read-only, or json_deep_copy it before editing. */
int ocds_withhold(const json_t *release, json_t **public_release, json_t **sidecar, struct bf_err *err);

/* Length of the publisher's withheld-field key. */
#define OCDS_WITHHELD_KEY_LEN 32
/* ocds_withhold with salts derived from a secret key (key NULL: random
 * salts, as ocds_withhold):
 *   salt = HMAC-SHA256(key, ocid ‖ 0x00 ‖ path ‖ 0x00 ‖ JCS(value))
 * so a value withheld at the same path of the same ocid gets the same salt
 * and the same commitment in every release (planning, tender, award,
 * contract ...), and the salt revealed at disclosure opens every earlier
 * commitment to that value. This is intended: anyone can see that two
 * releases of one ocid withhold the same value at a path (or that it
 * changed), never what it is; commitments of different ocids, paths or
 * values are unrelated. BF_EINVAL if a key is given and the release has
 * no string ocid. The key is only read. */
int ocds_withhold_keyed(const json_t *release, const uint8_t *key, json_t **public_release, json_t **sidecar,
                        struct bf_err *err);
/* Loads the key from <data_dir>/ocds/withheld.key (exactly 32 bytes). If
 * the file is absent and create is set, creates it first: 32 random bytes,
 * mode 0600 in a 0700 directory, written with bf_fs_write_atomic and
 * linked into place so concurrent creators agree on one key. Absent and
 * !create: BF_ENOTFOUND; wrong size: BF_ECORRUPT. The key is secret: it is
 * never logged, served or put in any release, sidecar or log entry. */
int ocds_withheld_key_load(const char *data_dir, int create, uint8_t key[OCDS_WITHHELD_KEY_LEN], struct bf_err *err);
/* Personal data: returns in *out the release with a withheld entry
 * {"path": p, "reason": "personalData"} (no disclosure date) added for
 * every contact point p in it — every object member named "contactPoint"
 * (parties, buyer, procuringEntity, tenderers, suppliers ... at any depth)
 * and every object in an "additionalContactPoints" array — unless an entry
 * of the release already withholds p or an ancestor of p. Entries inside
 * p are replaced by p's. A release that discloses a value holding a
 * contact point (an entry with "disclosed": true at p or an ancestor) is
 * BF_EINVAL: contact points name natural persons and are never made
 * public. *out is a new reference (the release itself, increfed, when it
 * holds no contact point); NULL on error. */
int ocds_withhold_personal(const json_t *release, json_t **out, struct bf_err *err);
/* Checks that value and salt open the commitment in marker: 0 or BF_ECRYPTO. */
int ocds_commitment_check(const json_t *marker, const json_t *value, const char *salt_hex, struct bf_err *err);

/* ---- ledger entries ------------------------------------------------- */

/* Appends the one-line ledger entry for a (public) release:
 * {"type":"ocds-release","ocid":...,"id":...,"date":...,"tag":[...],
 *  "sha256":"<hex of JCS(release)>","actor":...} in JCS form. actor may be
 * NULL (import by an operator is "operator"). */
int ocds_entry_line(const json_t *release, const char *actor, struct bf_buf *out, struct bf_err *err);
/* The same line from a digest the caller already computed with
 * ocds_digest (so the release is not canonicalized twice). */
int ocds_entry_line_digest(const json_t *release, const char hex[65], const char *actor, struct bf_buf *out,
                           struct bf_err *err);

/* ---- publishing (store + ledger) ------------------------------------ */

struct ocds_ctx;   /* store, ledger, caches; one per process */

/* With a ledger (a writer), loads the withheld-field key of the store's
 * data directory, creating it on first use (ocds_withheld_key_load);
 * without one (read-only), loads it only if it exists. Publishing then
 * withholds with keyed salts (ocds_withhold_keyed). */
int ocds_ctx_new(struct store *s, struct ledger *l, struct ocds_ctx **out, struct bf_err *err);
void ocds_ctx_free(struct ocds_ctx *c);

/* Checks a release, withholds its contact points as personal data
 * (ocds_withhold_personal), splits withheld fields (keyed salts when the
 * context has a key), and appends it to the ledger
 * with its rows (public release, private sidecar, record index) written
 * in the same transaction. Idempotent: a release with the same ocid and id
 * and the same digest returns the existing index with *dup = 1; same ocid
 * and id with a different digest is BF_ECONFLICT (releases are
 * immutable). actor is recorded in the ledger entry. */
int ocds_publish(struct ocds_ctx *c, const jansson_t *release, const char *actor, uint64_t *index, int *dup,
                 struct bf_err *err);

/* Reads: public release text (JCS) of ocid/id, or all releases of ocid in
 * date order (each with its log index). Auditor variants include the
 * withheld values and salts. Returned json_t owned by the caller. */
int ocds_get_release(struct ocds_ctx *c, const char *ocid, const char *id, int auditor, json_t **out, uint64_t *index,
                     struct bf_err *err);
int ocds_get_releases(struct ocds_ctx *c, const char *ocid, int auditor, json_t **out_array, struct bf_err *err);

/* Mounts the OCDS read API (releases, records, change feed, export). */
int ocds_mount(struct app *app, struct bf_err *err);

/* ---- core additions (canonical form, checks, merge rules, withheld) -- */

/* Deepest nesting any OCDS core function accepts (release check, JCS,
 * merge). Deeper input is BF_ELIMIT with a message, never a stack crash. */
#define OCDS_JSON_MAX_DEPTH 64

/* JCS helpers: ECMAScript Number::toString of a finite double into out
 * (BF_EINVAL for NaN/Inf), and the JCS member-name order (UTF-16 code
 * units) of two UTF-8 strings (<0, 0, >0). */
int ocds_jcs_number(double d, char out[32]);
int ocds_jcs_key_cmp(const char *a, size_t an, const char *b, size_t bn);

/* JSON equality as JSON.parse sees it: numbers compare by value (1 ==
 * 1.0), objects regardless of member order. 1 if equal. */
int ocds_json_equal(const json_t *a, const json_t *b);

/* Appends s[0..n) to out as one JSON-pointer reference token (RFC 6901:
 * "~" -> "~0", "/" -> "~1"), preceded by "/". */
int ocds_json_pointer_push(struct bf_buf *out, const char *s, size_t n);
/* Resolves an RFC 6901 pointer in doc (borrowed reference or NULL). */
json_t *ocds_json_pointer_get(const json_t *doc, const char *ptr);

/* Merge rules. NULL rules everywhere below mean the compiled-in rules of
 * OCDS 1.1.5 + the bids, lots and defence extensions (ocds_merge_table.c,
 * generated by scripts/gen_merge_rules.mjs). Rules computed from a schema
 * file follow ocds-merge: omitWhenMerged, wholeListMerge, arrays of
 * non-objects and arrays of objects without "id" merge as whole lists. */
struct ocds_merge_rules;
enum {
    OCDS_MERGE_OMIT = 1,          /* omitWhenMerged */
    OCDS_MERGE_WHOLE_LIST = 2,    /* replace the array as a literal */
    OCDS_MERGE_APPEND = 4,        /* override: append array items, never match ids */
    OCDS_MERGE_BY_POSITION = 8,   /* override: match array items by index */
};
/* Rules from a dereferenced-on-the-fly JSON Schema (local "#/..." $refs). */
int ocds_merge_rules_from_schema(const json_t *schema, struct ocds_merge_rules **out, struct bf_err *err);
/* The compiled-in table as a rules object (caller frees). */
int ocds_merge_rules_builtin(struct ocds_merge_rules **out, struct bf_err *err);
/* Rules for a package's "version": "1.1" (or any 1.1.x) is the built-in
 * table; NULL (no version: an OCDS 1.0 package) or "1.0" adds the 1.0
 * whole-list merge of tender/tenderers and awards/suppliers (1.0's
 * Organization had no id; its schema set mergeStrategy ocdsVersion). */
int ocds_merge_rules_for_version(const char *ocds_version, struct ocds_merge_rules **out, struct bf_err *err);
/* Sets flags on a "/"-separated property path (array levels omitted, e.g.
 * "awards/suppliers"); replaces earlier flags of that path. */
int ocds_merge_rules_set(struct ocds_merge_rules *r, const char *path, unsigned flags, struct bf_err *err);
/* Flags of a path (0 if none). */
unsigned ocds_merge_rules_get(const struct ocds_merge_rules *r, const char *path);
/* Calls fn for every path with flags, in sorted order. */
void ocds_merge_rules_each(const struct ocds_merge_rules *r, void (*fn)(const char *path, unsigned flags, void *arg),
                           void *arg);
void ocds_merge_rules_free(struct ocds_merge_rules *r);
/* ocds_merge_compiled / ocds_merge_versioned with explicit rules. */
int ocds_merge_compiled_with(const struct ocds_merge_rules *r, json_t *const *releases, size_t n, json_t **out,
                             struct bf_err *err);
int ocds_merge_versioned_with(const struct ocds_merge_rules *r, json_t *const *releases, size_t n, json_t **out,
                              struct bf_err *err);
/* The JCS text of both of them at once, appended to compiled and
 * versioned (either may be NULL to skip that merge; both NULL only checks
 * the releases): byte for byte ocds_jcs(ocds_merge_compiled_with(rules,
 * ...)) and ocds_jcs(ocds_merge_versioned_with(rules, ...)), with the
 * same errors (code and message), but each release is walked once for
 * both and the text is written without building the merged trees
 * (ocds_merge_text.c): the publishing path's merge. rules NULL = built-in.
 * On error both buffers are left as they were. */
int ocds_merge_texts(const struct ocds_merge_rules *rules, json_t *const *releases, size_t n, struct bf_buf *compiled,
                     struct bf_buf *versioned, struct bf_err *err);

/* ---- audit (belfry check) --------------------------------------------- */

/* Every stored release against the log, in index order: its stored text
 * (unpacked if packed) hashes to its row's digest, and the log entry at
 * its index is an "ocds-release" entry with the same ocid, id and digest;
 * and every "ocds-release" entry has its release row. Read-only. *checked (if not NULL) counts the releases that passed. The
 * first mismatch is BF_ECORRUPT with err naming the release; store
 * errors are returned as they come. */
struct store;
int ocds_audit_releases(struct store *s, uint64_t *checked, struct bf_err *err);


/* Withheld-field reason codes: ours are listed in
 * ext/defence/codelists/withheldReason.csv. Maps an eForms BT-197
 * non-publication-justification code ("com-int", "fair-comp", "law-enf",
 * "oth-int") to ours; NULL if unknown. */
const char *ocds_withheld_reason_from_eforms(const char *eforms_code);
/* 1 if code is one of our reason codes (see ext/defence/codelists). */
int ocds_withheld_reason_valid(const char *code);
/* Disclosure: release is a new release (new id and date) whose "withheld"
 * list marks entries {"path", "disclosed": true}; returns a copy with each
 * such value taken from the sidecar of earlier_public and put back at path
 * (the path must exist in release, e.g. still holding the marker), and
 * "salt" and "commitment" added to the entry, after checking that value
 * and salt open the marker of earlier_public (BF_ECRYPTO if not). */
int ocds_disclose(const json_t *release, const json_t *earlier_public, const json_t *sidecar, json_t **disclosed,
                  struct bf_err *err);
/* Checks every disclosure in a release against the commitments in an
 * earlier public release of the same ocid: 0, or BF_ECRYPTO naming the path. */
int ocds_disclosure_check(const json_t *earlier_public, const json_t *disclosing_release, struct bf_err *err);

#endif
