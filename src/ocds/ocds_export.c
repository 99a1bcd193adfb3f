/*
 * ocds_export.c - release packages, record packages and JSON Lines,
 * streamed through a compressing sink (see ocds_export.h for layouts).
 *
 * Invariants: the package header is written on open and the closing
 * brackets on finish, so between the two the output is a valid prefix;
 * every release is written in JCS form (its bytes hash to its ledger
 * digest); nothing but the current record is held in memory.
 */
#include "common.h"
#include "buf.h"
#include "enc.h"
#include "ocds.h"
#include "ocds_export.h"
#include "ocds_export_int.h"

struct ocds_export {
    enum ocds_export_format f;
    struct ocds_sink *sink;
    struct ocds_csv *csv;
    size_t count;
    struct bf_buf buf;
};

static const char *const format_names[] = {"release-package", "record-package", "jsonl", "csv"};
static const char *const compress_names[] = {"none", "gzip", "zstd"};

int ocds_export_format_parse(const char *s, enum ocds_export_format *out)
{
    size_t i;
    for (i = 0; s && i < BF_ARRAY_LEN(format_names); i++)
        if (strcmp(s, format_names[i]) == 0) {
            *out = (enum ocds_export_format)i;
            return 0;
        }
    return BF_EINVAL;
}

int ocds_export_compress_parse(const char *s, enum ocds_export_compress *out)
{
    size_t i;
    for (i = 0; s && i < BF_ARRAY_LEN(compress_names); i++)
        if (strcmp(s, compress_names[i]) == 0) {
            *out = (enum ocds_export_compress)i;
            return 0;
        }
    return BF_EINVAL;
}

const char *ocds_export_suffix(enum ocds_export_format f, enum ocds_export_compress z)
{
    static const char *const json[] = {".json", ".json.gz", ".json.zst"};
    static const char *const jsonl[] = {".jsonl", ".jsonl.gz", ".jsonl.zst"};
    if (f == OCDS_EXPORT_CSV || (unsigned)z > OCDS_EXPORT_ZSTD)
        return "";
    return f == OCDS_EXPORT_JSONL ? jsonl[z] : json[z];
}

const char *ocds_export_mime(enum ocds_export_format f, enum ocds_export_compress z)
{
    if (z == OCDS_EXPORT_GZIP)
        return "application/gzip";
    if (z == OCDS_EXPORT_ZSTD)
        return "application/zstd";
    if (f == OCDS_EXPORT_CSV)
        return "text/csv; charset=utf-8";
    return f == OCDS_EXPORT_JSONL ? "application/x-ndjson" : "application/json";
}

size_t ocds_export_count(const struct ocds_export *x)
{
    return x ? x->count : 0;
}

static int put_field(struct bf_buf *b, const char *name, const char *value)
{
    if (!value)
        return 0;
    if (bf_buf_printf(b, "\"%s\":", name) < 0 || bf_buf_json_str(b, value, strlen(value)) < 0 ||
        bf_buf_putc(b, ',') < 0)
        return BF_ELIMIT;
    return 0;
}

/* The package up to the opening bracket of "releases"/"records". */
static int package_header(struct bf_buf *b, const struct ocds_export_meta *m, const char *list)
{
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    const char *const *e;

    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (bf_buf_putc(b, '{') < 0 || put_field(b, "uri", m->uri) < 0 || put_field(b, "version", OCDS_VERSION) < 0 ||
        put_field(b, "publishedDate", m->published_date ? m->published_date : now) < 0 ||
        bf_buf_puts(b, "\"publisher\":{") < 0 || put_field(b, "uri", m->publisher_uri) < 0)
        return BF_ELIMIT;
    if (bf_buf_puts(b, "\"name\":") < 0 || bf_buf_json_str(b, m->publisher_name, strlen(m->publisher_name)) < 0 ||
        bf_buf_puts(b, "},") < 0 || put_field(b, "license", m->license) < 0 ||
        put_field(b, "publicationPolicy", m->publication_policy) < 0)
        return BF_ELIMIT;
    if (m->extensions && m->extensions[0]) {
        if (bf_buf_puts(b, "\"extensions\":[") < 0)
            return BF_ELIMIT;
        for (e = m->extensions; *e; e++)
            if ((e != m->extensions && bf_buf_putc(b, ',') < 0) || bf_buf_json_str(b, *e, strlen(*e)) < 0)
                return BF_ELIMIT;
        if (bf_buf_puts(b, "],") < 0)
            return BF_ELIMIT;
    }
    return bf_buf_printf(b, "\"%s\":[", list);
}

static int check_meta(const struct ocds_export_meta *m, struct bf_err *err)
{
    if (!m || !m->uri || !m->publisher_name)
        return bf_err_set(err, BF_EINVAL, "a package needs a uri and a publisher name");
    if (!bf_utf8_valid(m->uri, strlen(m->uri)) || !bf_utf8_valid(m->publisher_name, strlen(m->publisher_name)))
        return bf_err_set(err, BF_EINVAL, "package metadata must be UTF-8");
    return 0;
}

int ocds_export_open(enum ocds_export_format f, enum ocds_export_compress z, const struct ocds_export_meta *meta,
                     ocds_write_fn fn, void *arg, struct ocds_export **out, struct bf_err *err)
{
    struct ocds_export *x;
    int rc;

    *out = NULL;
    if (f == OCDS_EXPORT_CSV)
        return bf_err_set(err, BF_EINVAL, "CSV exports go to a directory (ocds_export_open_csv)");
    if ((unsigned)f > OCDS_EXPORT_CSV || (unsigned)z > OCDS_EXPORT_ZSTD || !fn)
        return bf_err_set(err, BF_EINVAL, "unknown export format or compression");
    if (f != OCDS_EXPORT_JSONL && (rc = check_meta(meta, err)) < 0)
        return rc;
    x = bf_xcalloc(1, sizeof *x);
    x->f = f;
    bf_buf_init(&x->buf, (size_t)1 << 30);
    if ((rc = ocds_sink_open(z, fn, arg, &x->sink, err)) < 0)
        goto fail;
    if (f != OCDS_EXPORT_JSONL) {
        if (package_header(&x->buf, meta, f == OCDS_EXPORT_RECORD_PACKAGE ? "records" : "releases") < 0) {
            rc = bf_err_set(err, BF_ELIMIT, "package metadata too large");
            goto fail;
        }
        if ((rc = ocds_sink_write(x->sink, x->buf.data, x->buf.len, err)) < 0)
            goto fail;
    }
    *out = x;
    return 0;
fail:
    ocds_export_abort(x);
    return rc;
}

int ocds_export_open_csv(const char *dir, enum ocds_export_compress z, struct ocds_export **out, struct bf_err *err)
{
    struct ocds_export *x = bf_xcalloc(1, sizeof *x);
    int rc;

    *out = NULL;
    x->f = OCDS_EXPORT_CSV;
    if ((rc = ocds_csv_open(dir, z, &x->csv, err)) < 0) {
        free(x);
        return rc;
    }
    *out = x;
    return 0;
}

/* Writes buf (the next item) with its separator. */
static int write_item(struct ocds_export *x, const char *sep_first, const char *sep, struct bf_err *err)
{
    int rc = ocds_sink_puts(x->sink, x->count ? sep : sep_first, err);
    if (rc == 0)
        rc = ocds_sink_write(x->sink, x->buf.data, x->buf.len, err);
    if (rc == 0)
        x->count++;
    return rc;
}

int ocds_export_add_release(struct ocds_export *x, const json_t *release, struct bf_err *err)
{
    int rc;

    if (!json_is_object(release))
        return bf_err_set(err, BF_EINVAL, "a release must be a JSON object");
    if (x->f == OCDS_EXPORT_CSV) {
        if ((rc = ocds_csv_add_release(x->csv, release, err)) == 0)
            x->count++;
        return rc;
    }
    if (x->f == OCDS_EXPORT_RECORD_PACKAGE)
        return ocds_export_add_record(x, (json_t *const *)&release, 1, err);
    bf_buf_reset(&x->buf);
    if ((rc = ocds_jcs(release, &x->buf, err)) < 0)
        return rc;
    if (x->f == OCDS_EXPORT_JSONL)
        return bf_buf_putc(&x->buf, '\n') < 0 ? bf_err_set(err, BF_ELIMIT, "release too large")
                                               : write_item(x, "", "", err);
    return write_item(x, "", ",", err);
}

/* {ocid, releases, compiledRelease[, versionedRelease]} of one ocid. */
static int build_record(json_t *const *releases, size_t n, int versioned, json_t **out, struct bf_err *err)
{
    json_t *rec = json_object(), *list = json_array(), *c = NULL, *v = NULL;
    size_t i;
    int rc;

    for (i = 0; i < n; i++)
        json_array_append(list, releases[i]);
    json_object_set(rec, "ocid", json_object_get(releases[0], "ocid"));
    json_object_set_new(rec, "releases", list);
    if ((rc = ocds_merge_compiled(releases, n, &c, err)) < 0 ||
        (versioned && (rc = ocds_merge_versioned(releases, n, &v, err)) < 0)) {
        json_decref(c);
        json_decref(rec);
        return rc;
    }
    json_object_set_new(rec, "compiledRelease", c);
    if (v)
        json_object_set_new(rec, "versionedRelease", v);
    *out = rec;
    return 0;
}

int ocds_export_add_record(struct ocds_export *x, json_t *const *releases, size_t n, struct bf_err *err)
{
    json_t *rec = NULL;
    const char *ocid;
    size_t i;
    int rc;

    if (n == 0 || !json_is_string(json_object_get(releases[0], "ocid")))
        return bf_err_set(err, BF_EINVAL, "a record needs at least one release with an ocid");
    ocid = json_string_value(json_object_get(releases[0], "ocid"));
    for (i = 1; i < n; i++)
        if (!json_is_string(json_object_get(releases[i], "ocid")) ||
            strcmp(json_string_value(json_object_get(releases[i], "ocid")), ocid) != 0)
            return bf_err_set(err, BF_EINVAL, "release %zu of record %.100s has another ocid", i, ocid);
    if (x->f == OCDS_EXPORT_CSV || (x->f == OCDS_EXPORT_RELEASE_PACKAGE)) {
        for (i = 0; i < n; i++)
            if ((rc = ocds_export_add_release(x, releases[i], err)) < 0)
                return rc;
        return 0;
    }
    if ((rc = build_record(releases, n, x->f == OCDS_EXPORT_RECORD_PACKAGE, &rec, err)) < 0)
        return rc;
    bf_buf_reset(&x->buf);
    rc = ocds_jcs(rec, &x->buf, err);
    json_decref(rec);
    if (rc < 0)
        return rc;
    if (x->f == OCDS_EXPORT_JSONL)
        return bf_buf_putc(&x->buf, '\n') < 0 ? bf_err_set(err, BF_ELIMIT, "record too large")
                                               : write_item(x, "", "", err);
    return write_item(x, "", ",", err);
}

int ocds_export_finish(struct ocds_export *x, struct bf_err *err)
{
    int rc = 0;

    if (!x)
        return 0;
    if (x->f == OCDS_EXPORT_CSV) {
        rc = ocds_csv_finish(x->csv, err);
        x->csv = NULL;
    } else {
        if (x->f != OCDS_EXPORT_JSONL)
            rc = ocds_sink_puts(x->sink, "]}\n", err);
        if (rc == 0)
            rc = ocds_sink_close(x->sink, err);
        else
            ocds_sink_free(x->sink);
        x->sink = NULL;
    }
    bf_buf_free(&x->buf);
    free(x);
    return rc;
}

void ocds_export_abort(struct ocds_export *x)
{
    if (!x)
        return;
    ocds_sink_free(x->sink);
    ocds_csv_abort(x->csv);
    bf_buf_free(&x->buf);
    free(x);
}
