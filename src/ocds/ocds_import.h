/*
 * ocds_import.h - batch publishing and the OCDS importer behind
 * `belfry import` and `belfry demo`.
 *
 * Three layers:
 *   ocds_publish_batch  publishes many releases with one ledger_append
 *                       (one group commit for the batch); ocds_publish is
 *                       the batch of one.
 *   ocds_import_scan    pure: bytes of one file -> normalised releases,
 *                       linked-release references and rejections, each
 *                       with its position. No store, no I/O (fuzzed).
 *   ocds_importer       files, folders, stdin; batches the scanned
 *                       releases into ocds_publish_batch; writes the
 *                       per-item report and the progress line.
 *
 * What is imported (see ocds_import_scan.c for the details):
 *   release packages, record packages (embedded releases; a linked
 *   release {url, date, tag} counts as present when, at the end of the
 *   import, the store holds a release of that ocid with the same date and
 *   tags; otherwise it is reported as not importable), bare releases, arrays of releases /
 *   records / packages, concatenated values and JSON Lines. A compiled
 *   release (tag ["compiled"]) is derived data: when, at the end of the
 *   import, the store holds other releases of its ocid it is not imported
 *   (counted as present, with a note: Belfry compiles its own, and
 *   merging it with its sources would duplicate items without ids);
 *   otherwise (publishers that issued only compiled releases, e.g. DNCP's
 *   1.0 packages) it is imported as a release in its own right, keeping
 *   its tag and id, so its digest is the publisher's. The
 *   compiledRelease and versionedRelease of a record are not imported
 *   (Belfry recomputes both from the releases).
 * Normalisations, each reported as a note: a string tag becomes a
 *   one-element array; a file that is not valid UTF-8 is read as
 *   ISO-8859-1 and transcoded; a UTF-8 byte order mark is skipped.
 * Rejections (one report line each, nothing of the item is written):
 *   malformed JSON, nesting deeper than OCDS_IMPORT_MAX_DEPTH, numbers
 *   jansson cannot hold, duplicate object keys, items larger than
 *   max_item, empty files, UTF-16/32 input, releases failing
 *   ocds_release_check, a release id already used in its ocid with other
 *   content (releases are immutable).
 */
#ifndef BELFRY_OCDS_IMPORT_H
#define BELFRY_OCDS_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/err.h"
#include "util/buf.h"
#include "ocds/ocds.h"
#include "util/jv.h"

#define OCDS_IMPORT_MAX_DEPTH 64

/* ---- batch publishing ------------------------------------------------ */

/* A release made ready for the log (ocds_prepare.c): everything
 * publishing needs before it writes. Owned by the struct; free with
 * ocds_prepared_clear. */
struct ocds_prepared {
    jansson_t *pub;            /* the public release (shares subtrees with the input: read-only);
                                * NULL when ocds_prepare_jv took its fast path */
    const jv_t *tree;          /* ocds_prepare_jv's fast path: the public release, which is its
                                * input (borrowed); NULL otherwise */
    char *sidecar;             /* JCS of the private sidecar, or NULL */
    size_t sidecar_len;
    struct bf_buf body;        /* JCS of pub */
    struct bf_buf entry;       /* the ledger entry line */
    char *tags;                /* compact JSON of pub's tag */
    const char *ocid, *id, *date; /* in pub */
    char sha[65];              /* SHA-256 of body, hex */
    char src[65];              /* of the release as submitted (before withholding) */
};

/* Checks release, withholds its contact points (personal data) and its
 * withheld fields (salts keyed with key, or random when key is NULL),
 * and writes the canonical text, digests, entry line (actor NULL:
 * "operator") and tag text into *x. The input is not modified. Errors:
 * the check's and withholding's (BF_EINVAL, BF_ELIMIT ...); *x must be
 * cleared either way. */
int ocds_prepare(const jansson_t *release, const uint8_t *key, const char *actor, struct ocds_prepared *x,
                 struct bf_err *err);
void ocds_prepared_clear(struct ocds_prepared *x);
/* ocds_prepare on a jv tree (ocds_prepare.c built against
 * ocds_jv_compat.h): a release the one-walk check vouches for, without
 * contact points, is prepared from jv trees (x->tree: the release
 * itself, or its public form made in trees when it withholds fields;
 * pub NULL); any other goes through ocds_prepare on a jansson copy
 * (x->pub set, x->tree NULL), with its errors. */
int ocds_prepare_jv(const jv_t *release, struct bf_arena *trees, const uint8_t *key, const char *actor,
                    struct ocds_prepared *x, struct bf_err *err);

struct ocds_pub_item {
    const jansson_t *release;  /* in: borrowed, only until ocds_publish_begin returns (the
                                * caller may free it then); NULL and no tree: skipped, rejected
                                * with the rc and err the caller set (or "no release") */
    const jv_t *tree;          /* in, instead of release: the release as a jv tree (the
                                * importer's), borrowed likewise */
    uint64_t index;            /* out: log index (new or existing) */
    int dup;                   /* out: 1 if it was already published */
    int rc;                    /* out: 0 or BF_E* for this item */
    struct bf_err err;         /* out: message when rc < 0 */
};

/* Publishes n releases (see ocds_publish) through one ledger_append.
 * Returns 0 when every item succeeded or was a duplicate, otherwise the
 * first failing item's code (each item has its own rc and err). */
int ocds_publish_batch(struct ocds_ctx *c, struct ocds_pub_item *items, size_t n, const char *actor,
                       struct bf_err *err);

/* ocds_publish_batch in two halves, so a caller can prepare its next
 * batch while this one is written and synced. ocds_publish_begin
 * prepares the items on the calling thread (check, canonical form,
 * record premerge), queues the new ones on the ledger and returns; it
 * always sets *job, and done(arg) is called exactly once, from a ledger
 * thread or from within ocds_publish_begin itself, when the batch is
 * durable (or failed). Then ocds_publish_end(job) fills each item's
 * results, frees the job and returns as ocds_publish_batch does. Until
 * then the items and their releases must stay valid and unmodified.
 * ocds_publish_begin returns < 0 only when nothing could be queued (the
 * same code ocds_publish_end then returns); done is still called. */
struct ocds_pub_job;
int ocds_publish_begin(struct ocds_ctx *c, struct ocds_pub_item *items, size_t n, const char *actor,
                       void (*done)(void *), void *arg, struct ocds_pub_job **job);
int ocds_publish_end(struct ocds_pub_job *job, struct bf_err *err);

/* The store and ledger of a context. */
struct store *ocds_ctx_store(struct ocds_ctx *c);
struct ledger *ocds_ctx_ledger(struct ocds_ctx *c);

/* ---- scanning ---------------------------------------------------------- */

enum ocds_item_kind {
    OCDS_ITEM_RELEASE,         /* release is set */
    OCDS_ITEM_LINK,            /* a linked release: ocid, date, tags, url */
    OCDS_ITEM_REJECT,          /* reason is set */
    OCDS_ITEM_NOTE,            /* reason is a note about the file or item */
    OCDS_ITEM_RAW,             /* raw: a line left unparsed (OCDS_SCAN_RAW, see below) */
};

struct ocds_import_item {
    enum ocds_item_kind kind;
    const char *file;          /* as given */
    uint64_t line;             /* 1-based line where the item starts */
    uint64_t byte;             /* byte offset where the item starts */
    const char *pointer;       /* JSON pointer of the item in its top-level value ("" for the value itself) */
    const char *reason;        /* REJECT / NOTE text */
    json_t *release;           /* RELEASE: owned by the scanner, valid during the callback (incref to keep) */
    const char *ocid, *date, *url; /* LINK */
    const json_t *tags;        /* LINK: the link's tag (borrowed) */
    const char *raw;           /* RAW: the line's bytes, valid during the callback */
    size_t raw_len;
};

/* fn returns 0 to go on, non-zero to stop the scan (returned). */
typedef int (*ocds_import_item_fn)(void *arg, const struct ocds_import_item *it);

/* Scans data[0..len) of the file named `file`: calls fn for every item in
 * order. max_item bounds one item (0: 64 MiB). Returns 0, or fn's
 * non-zero value. Never fails on bad input: that becomes REJECT items. */
int ocds_import_scan(const char *file, const char *data, size_t len, size_t max_item, ocds_import_item_fn fn,
                     void *arg);

/* ocds_import_scan, and with OCDS_SCAN_RAW in flags a JSON Lines line
 * that can only be a release or a rejection (an object in valid UTF-8,
 * no backslash, no "releases", "records" or "compiled" string, any
 * "tag" an array) comes as an OCDS_ITEM_RAW item instead of being
 * parsed here, so the consumer can parse it on another thread:
 * ocds_import_parse_raw then gives exactly the release or the rejection
 * the scan would have emitted for it. */
#define OCDS_SCAN_RAW 1u
int ocds_import_scan_flags(const char *file, const char *data, size_t len, size_t max_item, unsigned flags,
                           ocds_import_item_fn fn, void *arg);

/* Parses a RAW item's bytes (line and byte: the item's). Returns 0 with
 * *release (the caller's reference), or 1 with why (the rejection's
 * text, as the scanner words it). */
/* The same for a RAW item the jv parser takes whole (an object, nested
 * within the import's limit): 1 and *tree, made in a; else 0, and the
 * item goes through ocds_import_parse_raw (the release or its rejection). */
int ocds_import_parse_raw_jv(struct bf_arena *a, const char *raw, size_t len, const jv_t **tree);
int ocds_import_parse_raw(const char *raw, size_t len, uint64_t line, uint64_t byte, json_t **release, char *why,
                          size_t whycap);

/* ---- importer ----------------------------------------------------------- */

struct ocds_import_opts {
    const char *actor;         /* ledger actor; NULL: "operator" */
    size_t batch;              /* releases per ledger append (default 4096) */
    size_t max_item;           /* bytes per item (default 64 MiB) */
    uint64_t max_file;         /* bytes per file (default 4 GiB) */
    FILE *report;              /* per-item rejections and notes; NULL: none */
    const char *name_base;     /* reports name files under this directory relative
                                * to it (a server importing for a client); NULL: as given */
    FILE *progress;            /* throttled progress line (a terminal); NULL: none */
};

struct ocds_import_stats {
    uint64_t added;            /* new releases */
    uint64_t present;          /* already published (idempotent re-import, present links) */
    uint64_t rejected;         /* items not imported */
    uint64_t notes;
    uint64_t files;
    uint64_t bytes;
};

struct ocds_importer;

int ocds_importer_new(struct ocds_ctx *c, const struct ocds_import_opts *o, struct ocds_importer **out,
                      struct bf_err *err);
/* Imports a file, a folder (recursively, *.json, *.jsonl, *.ndjson, in
 * name order) or "-" (stdin). Bad items are reported, not returned:
 * the return is < 0 only for a failure of the store or the ledger (or an
 * unreadable path). */
int ocds_importer_path(struct ocds_importer *im, const char *path, struct bf_err *err);
/* Imports bytes already in memory under the name `file`. */
int ocds_importer_bytes(struct ocds_importer *im, const char *file, const char *data, size_t len,
                        struct bf_err *err);
/* Queues one release (borrowed; the importer keeps its own reference)
 * under the name `file` and position `line` for reports. */
int ocds_importer_release(struct ocds_importer *im, const char *file, uint64_t line, json_t *release,
                          struct bf_err *err);
/* Publishes what is still pending and returns the totals. */
int ocds_importer_finish(struct ocds_importer *im, struct ocds_import_stats *st, struct bf_err *err);
void ocds_importer_free(struct ocds_importer *im);


/* ---- the `belfry import` command line (ocds_import_cmd.c) ----------------- */

/* Its options; first_path indexes argv's first path. */
struct ocds_import_args {
    const char *data, *actor;
    size_t batch, max_item;
    int quiet, strict, first_path;
};
/* Parses `import [--data DIR] [--batch N] [--actor NAME] [--max-item
 * BYTES] [--quiet] [--strict] [--] PATH...` (argv[0] is skipped). < 0 on
 * an unknown option or a bad number. */
int ocds_import_args_parse(int argc, char **argv, struct ocds_import_args *a);
/* Where a run writes (out: the summary; err: the per-item report and
 * failures; progress: a terminal, or NULL), how it names files in the
 * report (name_base: see ocds_import_opts) and how it reads "-": with
 * read_stdin (whole, malloc'ed), or from this process's stdin if NULL. */
struct ocds_import_io {
    FILE *out, *err, *progress;
    const char *name_base;
    int (*read_stdin)(void *arg, char **data, size_t *len, struct bf_err *err);
    void *arg;
};
/* Imports argv[a->first_path..argc) through c. Returns the exit status:
 * 0 (rejections are reported, not fatal, unless a->strict), 1 on a
 * store or ledger failure (what was committed stays). */
int ocds_import_run(struct ocds_ctx *c, const struct ocds_import_args *a, int argc, char **argv,
                    const struct ocds_import_io *io);
/* Lets local clients run imports in a server that holds the log: the
 * admin socket command OCDS_IMPORT_ADMIN_CMD takes "--cwd" and the
 * client's working directory, then `belfry import`'s arguments without
 * --data, paths absolute (ledger_admin_run); reports name the files
 * under that directory relative to it, as the client gave them. */
#define OCDS_IMPORT_ADMIN_CMD "ocds-import"
struct ledger;
int ocds_import_admin_register(struct ledger *l, struct ocds_ctx *c, struct bf_err *err);

/* ---- export from the store (ocds_api.c) ---------------------------------- */

struct ocds_export;
/* Feeds every stored public release to x: in log order one by one
 * (by_record == 0), or record by record in ocid order (by_record == 1,
 * for record packages). Reads one consistent snapshot per statement. */
int ocds_store_export(struct store *s, struct ocds_export *x, int by_record, struct bf_err *err);

/* The record of ocid as GET /api/v1/records/{ocid} serves it: linked
 * releases (url under base, date, tag, id, logIndex, sha256, receipt),
 * compiledRelease and versionedRelease, appended to b. BF_ENOTFOUND. */
int ocds_record_json(struct store *s, const char *ocid, const char *base, struct bf_buf *b, struct bf_err *err);

/* The current compiled release of ocid in *out (caller json_decref's it):
 * the stored one, or, when the stored merge is behind (compiled_n < nrel),
 * merged here from the stored public releases. BF_ENOTFOUND. */
int ocds_record_compiled(struct store *s, const char *ocid, json_t **out, struct bf_err *err);

/* ---- opening a data directory for the commands --------------------------- */

struct ocds_session {
    struct store *s;
    struct ledger *l;          /* NULL when read-only */
    struct ocds_ctx *c;
};

/* Opens the store in dir (which must have been created by `belfry init`,
 * unless init_origin is non-NULL: then a missing store and log are created
 * with that origin), its ledger unless readonly, and an ocds context. */
int ocds_session_open(const char *dir, int readonly, const char *init_origin, struct ocds_session *out,
                      struct bf_err *err);
void ocds_session_close(struct ocds_session *ss);

#endif
