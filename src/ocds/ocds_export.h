/*
 * ocds_export.h - bulk export of OCDS releases and records: release
 * packages, record packages (embedded releases + compiledRelease +
 * versionedRelease), JSON Lines and flat CSV, each optionally gzip or zstd
 * compressed. Used by `belfry export` and the HTTP export endpoint.
 *
 * Streaming: releases and records are added one at a time and written out
 * at once through a write callback (a file, a socket, an HTTP response);
 * memory stays bounded by one record whatever the export size. Only the
 * CSV writer keeps state across items (the column names of each table),
 * and spools rows to disk until ocds_export_finish writes the tables.
 *
 * Layouts:
 *  - OCDS_EXPORT_RELEASE_PACKAGE: one JSON release package {"uri",
 *    "version": "1.1", "publishedDate", "publisher", ["license",
 *    "publicationPolicy", "extensions"], "releases": [...]}; releases in
 *    JCS form, in the order added.
 *  - OCDS_EXPORT_RECORD_PACKAGE: one record package with "records": [{ocid,
 *    releases (embedded), compiledRelease, versionedRelease}] built by the
 *    merge (ocds_merge_compiled / ocds_merge_versioned).
 *  - OCDS_EXPORT_JSONL: one release (JCS) per line for add_release, or
 *    one record {ocid, releases, compiledRelease} per line for add_record.
 *  - OCDS_EXPORT_CSV: a directory of tables in the spirit of flatten-tool's
 *    sheets: main.csv has one row per release (columns ocid, id, date,
 *    tag, then each field outside arrays by its "/"-path, e.g.
 *    tender/value/amount); every array of objects becomes its own table
 *    named by its path with "_" (parties.csv, tender_items.csv,
 *    awards_suppliers.csv, ...), one row per item, whose first columns are
 *    the parent keys ocid, id (release id), then the id of each enclosing
 *    array item as "<array path>/id" (e.g. awards/id in
 *    awards_suppliers.csv; "#<index>" for an item without id), then the
 *    item's fields by their full path (awards/suppliers/name), so a column
 *    means the same thing in every table.
 *    Arrays of strings/numbers are joined with ";" in one cell; a withheld
 *    marker appears as its members (.../withheld, .../commitment, ...).
 *    Files are UTF-8, RFC 4180 quoting, CRLF line ends, a header row; with
 *    compression each file gets .gz or .zst. Tables are written at finish
 *    (rows spool to <dir>/.spool-*); a table has at most 4096 columns.
 *
 * Errors: every function returns 0 or a negative BF_E* with err set; a
 * write-callback error aborts the export (the caller discards partial
 * output). Ownership: the export object is freed by ocds_export_finish
 * (success or failure) or ocds_export_abort; added JSON stays the
 * caller's.
 */
#ifndef BELFRY_OCDS_EXPORT_H
#define BELFRY_OCDS_EXPORT_H

#include <stddef.h>
#include <jansson.h>

struct bf_err;
struct ocds_export;

enum ocds_export_format {
    OCDS_EXPORT_RELEASE_PACKAGE,
    OCDS_EXPORT_RECORD_PACKAGE,
    OCDS_EXPORT_JSONL,
    OCDS_EXPORT_CSV,
};

enum ocds_export_compress {
    OCDS_EXPORT_PLAIN,
    OCDS_EXPORT_GZIP,
    OCDS_EXPORT_ZSTD,
};

/* Package metadata (packages only; all strings borrowed until finish). */
struct ocds_export_meta {
    const char *uri;                 /* required: where the package is published */
    const char *published_date;      /* RFC 3339; NULL means now (UTC) */
    const char *publisher_name;      /* required */
    const char *publisher_uri;       /* optional */
    const char *license;             /* optional URL */
    const char *publication_policy;  /* optional URL */
    const char *const *extensions;   /* optional NULL-terminated extension.json URLs */
};

/* Receives output bytes; returns 0 or a negative BF_E*. */
typedef int (*ocds_write_fn)(void *arg, const void *data, size_t n);

/* A write callback for a file descriptor: arg points to an int fd. */
int ocds_export_write_fd(void *arg, const void *data, size_t n);

/* Parses "release-package", "record-package", "jsonl", "csv" and "none",
 * "gzip", "zstd". 0 or BF_EINVAL. */
int ocds_export_format_parse(const char *s, enum ocds_export_format *out);
int ocds_export_compress_parse(const char *s, enum ocds_export_compress *out);
/* File suffix (".json", ".json.gz", ".jsonl.zst", "" for CSV) and MIME
 * type ("application/json", "application/gzip", "application/zstd",
 * "application/x-ndjson"). Static strings. */
const char *ocds_export_suffix(enum ocds_export_format f, enum ocds_export_compress z);
const char *ocds_export_mime(enum ocds_export_format f, enum ocds_export_compress z);

/* Starts a package or JSON Lines export written through fn. meta is
 * required for packages (uri, publisher_name). */
int ocds_export_open(enum ocds_export_format f, enum ocds_export_compress z, const struct ocds_export_meta *meta,
                     ocds_write_fn fn, void *arg, struct ocds_export **out, struct bf_err *err);
/* Starts a CSV export into directory dir (created if missing). */
int ocds_export_open_csv(const char *dir, enum ocds_export_compress z, struct ocds_export **out, struct bf_err *err);

/* Adds one (public) release: release package, JSON Lines, CSV. */
int ocds_export_add_release(struct ocds_export *x, const json_t *release, struct bf_err *err);
/* Adds one record: all n releases of one ocid (any order). Record package
 * and JSON Lines; CSV adds each release. */
int ocds_export_add_record(struct ocds_export *x, json_t *const *releases, size_t n, struct bf_err *err);

/* Completes the output (closing brackets, compressed trailer, CSV tables)
 * and frees x. */
int ocds_export_finish(struct ocds_export *x, struct bf_err *err);
/* Frees x without completing the output (and removes CSV spool files). */
void ocds_export_abort(struct ocds_export *x);

/* Number of releases / records added so far. */
size_t ocds_export_count(const struct ocds_export *x);

#endif
