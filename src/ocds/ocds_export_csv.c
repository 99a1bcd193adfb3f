/*
 * ocds_export_csv.c - flat CSV export: one table per array of objects,
 * with parent keys, in the spirit of flatten-tool (layout documented in
 * ocds_export.h).
 *
 * Streaming: columns are discovered as releases arrive, so rows cannot be
 * written before the header is known; each row is spooled to
 * <dir>/.spool-<table> as length-prefixed (column, text) cells and the
 * tables are written at finish. Memory holds only the column names (at
 * most CSV_MAX_COLS per table, CSV_MAX_TABLES tables) and one row.
 *
 * Invariants: every row of a table has the table's key columns first
 * (ocid, id, then the ids of enclosing array items); cells are RFC 4180
 * quoted; spool files are removed on finish and on abort.
 */
#include "common.h"
#include "hash.h"
#include "buf.h"
#include "fs.h"
#include "ocds.h"
#include "ocds_export.h"
#include "ocds_export_int.h"
#include "ocds_json.h"

#define CSV_MAX_COLS 4096
#define CSV_MAX_TABLES 512
#define CSV_MAX_DEPTH 32

struct csv_table {
    char *name;
    char **cols;
    size_t ncols, cap;
    size_t *slots, nslots; /* column index + 1 */
    FILE *spool;
    char *spool_path;
    size_t rows;
};

struct ocds_csv {
    char *dir;
    enum ocds_export_compress z;
    struct csv_table **tables;
    size_t ntables;
};

/* A row being built: cells as (u32 col, u32 len, bytes). */
struct csv_row {
    struct csv_table *t;
    struct bf_buf cells;
    uint32_t n;
};

/* Keys inherited by child rows: "ocid", "id", "awards/id", ... */
struct csv_keys {
    const char *name[CSV_MAX_DEPTH + 2];
    char *value[CSV_MAX_DEPTH + 2];
    size_t n;
};

static void table_rehash(struct csv_table *t)
{
    size_t i;
    t->nslots = t->nslots ? t->nslots * 2 : 64;
    free(t->slots);
    t->slots = bf_xcalloc(t->nslots, sizeof *t->slots);
    for (i = 0; i < t->ncols; i++) {
        size_t s = bf_hash_str(t->cols[i]) & (t->nslots - 1);
        while (t->slots[s])
            s = (s + 1) & (t->nslots - 1);
        t->slots[s] = i + 1;
    }
}

/* Index of column name, added if new; -1 past CSV_MAX_COLS. */
static long table_col(struct csv_table *t, const char *name)
{
    size_t s;
    if (!t->nslots)
        table_rehash(t);
    for (s = bf_hash_str(name) & (t->nslots - 1); t->slots[s]; s = (s + 1) & (t->nslots - 1))
        if (strcmp(t->cols[t->slots[s] - 1], name) == 0)
            return (long)(t->slots[s] - 1);
    if (t->ncols >= CSV_MAX_COLS)
        return -1;
    if (t->ncols == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->cols = bf_xrealloc(t->cols, t->cap * sizeof *t->cols);
    }
    t->cols[t->ncols] = bf_xstrdup(name);
    t->slots[s] = ++t->ncols;
    if (t->ncols * 2 > t->nslots)
        table_rehash(t);
    return (long)(t->ncols - 1);
}

static struct csv_table *csv_table(struct ocds_csv *c, const char *name, struct bf_err *err)
{
    struct csv_table *t;
    size_t i;

    for (i = 0; i < c->ntables; i++)
        if (strcmp(c->tables[i]->name, name) == 0)
            return c->tables[i];
    if (c->ntables >= CSV_MAX_TABLES) {
        bf_err_set(err, BF_ELIMIT, "more than %d CSV tables", CSV_MAX_TABLES);
        return NULL;
    }
    t = bf_xcalloc(1, sizeof *t);
    t->name = bf_xstrdup(name);
    t->spool_path = bf_xmalloc(strlen(c->dir) + strlen(name) + 16);
    snprintf(t->spool_path, strlen(c->dir) + strlen(name) + 16, "%s/.spool-%s", c->dir, name);
    if (!(t->spool = fopen(t->spool_path, "w+b"))) {
        bf_err_set(err, BF_EIO, "cannot create %s: %s", t->spool_path, strerror(errno));
        free(t->spool_path), free(t->name), free(t);
        return NULL;
    }
    c->tables = bf_xrealloc(c->tables, (c->ntables + 1) * sizeof *c->tables);
    c->tables[c->ntables++] = t;
    return t;
}

static int row_cell(struct csv_row *r, const char *col, const char *v, size_t n, struct bf_err *err)
{
    long ci = table_col(r->t, col);
    uint32_t hdr[2];

    if (ci < 0)
        return bf_err_set(err, BF_ELIMIT, "CSV table %s has more than %d columns", r->t->name, CSV_MAX_COLS);
    hdr[0] = (uint32_t)ci, hdr[1] = (uint32_t)n;
    if (bf_buf_append(&r->cells, hdr, sizeof hdr) < 0 || bf_buf_append(&r->cells, v, n) < 0)
        return bf_err_set(err, BF_ELIMIT, "CSV row too large");
    r->n++;
    return 0;
}

static int row_flush(struct csv_row *r, struct bf_err *err)
{
    if (fwrite(&r->n, sizeof r->n, 1, r->t->spool) != 1 ||
        (r->cells.len && fwrite(r->cells.data, 1, r->cells.len, r->t->spool) != r->cells.len))
        return bf_err_set(err, BF_EIO, "cannot write CSV spool for %s", r->t->name);
    r->t->rows++;
    return 0;
}

/* Text of a scalar (or of an array of scalars joined by ";"). */
static int cell_text(const json_t *v, struct bf_buf *out)
{
    size_t i;
    json_t *e;

    if (json_is_string(v))
        return bf_buf_append(out, json_string_value(v), json_string_length(v));
    if (json_is_null(v))
        return 0;
    if (json_is_array(v)) {
        json_array_foreach(v, i, e) {
            if ((i && bf_buf_putc(out, ';') < 0) ||
                (json_is_string(e) || json_is_number(e) || json_is_boolean(e) || json_is_null(e)
                     ? cell_text(e, out)
                     : ocds_jcs(e, out, NULL)) < 0)
                return BF_ELIMIT;
        }
        return 0;
    }
    return ocds_jcs(v, out, NULL);
}


static int emit_table_rows(struct ocds_csv *c, const json_t *arr, const char *table_path, struct csv_keys *keys,
                           int depth, struct bf_err *err);

/* Adds obj's members to row r under prefix (the full path of obj from
 * the release); arrays of objects become rows of their own tables, named
 * by their full path. */
static int row_object(struct ocds_csv *c, struct csv_row *r, const json_t *obj, const char *prefix,
                      const char *table_path, struct csv_keys *keys, int depth, struct bf_err *err)
{
    struct bf_buf col = BF_BUF_INIT, txt = BF_BUF_INIT;
    const char *key;
    json_t *v;
    int rc = 0;

    if (depth > CSV_MAX_DEPTH)
        return bf_err_set(err, BF_ELIMIT, "release nested too deeply for CSV");
    json_object_foreach((json_t *)obj, key, v) {
        bf_buf_reset(&col);
        if ((*prefix && bf_buf_printf(&col, "%s/", prefix) < 0) || bf_buf_puts(&col, key) < 0) {
            rc = bf_err_set(err, BF_ELIMIT, "CSV column name too long");
            break;
        }
        if (json_is_object(v)) {
            rc = row_object(c, r, v, col.data, table_path, keys, depth + 1, err);
        } else if (json_is_array(v) && json_array_size(v) > 0 && ocds_all_objects(v)) {
            /* col is the full path from the release: it names the table */
            rc = emit_table_rows(c, v, col.data, keys, depth + 1, err);
        } else {
            bf_buf_reset(&txt);
            if (cell_text(v, &txt) < 0)
                rc = bf_err_set(err, BF_ELIMIT, "CSV cell too large");
            else
                rc = row_cell(r, col.data, txt.data ? txt.data : "", txt.len, err);
        }
        if (rc < 0)
            break;
    }
    bf_buf_free(&col);
    bf_buf_free(&txt);
    return rc;
}

static char *table_name(const char *path)
{
    char *n = bf_xstrdup(path), *p;
    for (p = n; *p; p++)
        if (*p == '/' || *p == '\\' || *p == '.' || (unsigned char)*p < 0x20)
            *p = '_';
    return n;
}

static int emit_table_rows(struct ocds_csv *c, const json_t *arr, const char *table_path, struct csv_keys *keys,
                           int depth, struct bf_err *err)
{
    char *name = table_name(table_path);
    struct csv_table *t = csv_table(c, name, err);
    size_t i, k;
    json_t *item;
    int rc = 0;

    free(name);
    if (!t)
        return BF_ELIMIT;
    if (keys->n >= CSV_MAX_DEPTH)
        return bf_err_set(err, BF_ELIMIT, "arrays nested too deeply for CSV");
    json_array_foreach(arr, i, item) {
        struct csv_row r = {t, BF_BUF_INIT, 0};
        struct bf_buf idtxt = BF_BUF_INIT, keyname = BF_BUF_INIT;
        json_t *id = json_object_get(item, "id");

        for (k = 0; rc == 0 && k < keys->n; k++)
            rc = row_cell(&r, keys->name[k], keys->value[k], strlen(keys->value[k]), err);
        if (rc == 0 && (id && !json_is_null(id) ? cell_text(id, &idtxt) : bf_buf_printf(&idtxt, "#%zu", i)) < 0)
            rc = bf_err_set(err, BF_ELIMIT, "id too long");
        if (rc == 0 && bf_buf_printf(&keyname, "%s/id", table_path) < 0)
            rc = bf_err_set(err, BF_ELIMIT, "key too long");
        if (rc == 0) {
            keys->name[keys->n] = keyname.data;
            keys->value[keys->n] = idtxt.data ? idtxt.data : (char *)"";
            keys->n++;
            rc = row_object(c, &r, item, table_path, table_path, keys, depth, err);
            keys->n--;
        }
        if (rc == 0)
            rc = row_flush(&r, err);
        bf_buf_free(&r.cells);
        bf_buf_free(&idtxt);
        bf_buf_free(&keyname);
        if (rc < 0)
            break;
    }
    return rc;
}

int ocds_csv_add_release(struct ocds_csv *c, const json_t *release, struct bf_err *err)
{
    struct csv_table *t = csv_table(c, "main", err);
    struct csv_row r = {t, BF_BUF_INIT, 0};
    struct csv_keys keys;
    struct bf_buf ocid = BF_BUF_INIT, id = BF_BUF_INIT, tag = BF_BUF_INIT;
    json_t *rest = NULL;
    int rc;

    if (!t)
        return BF_ELIMIT;
    if (cell_text(json_object_get(release, "ocid"), &ocid) < 0 || cell_text(json_object_get(release, "id"), &id) < 0 ||
        cell_text(json_object_get(release, "tag"), &tag) < 0) {
        rc = bf_err_set(err, BF_ELIMIT, "release identity too long");
        goto out;
    }
    memset(&keys, 0, sizeof keys);
    keys.name[0] = "ocid", keys.value[0] = ocid.data ? ocid.data : (char *)"";
    keys.name[1] = "id", keys.value[1] = id.data ? id.data : (char *)"";
    keys.n = 2;
    rest = json_deep_copy(release);
    json_object_del(rest, "ocid"), json_object_del(rest, "id"), json_object_del(rest, "tag");
    if ((rc = row_cell(&r, "ocid", keys.value[0], ocid.len, err)) < 0 ||
        (rc = row_cell(&r, "id", keys.value[1], id.len, err)) < 0)
        goto out;
    if (json_object_get(release, "date")) { /* keep date right after the keys */
        struct bf_buf d = BF_BUF_INIT;
        rc = cell_text(json_object_get(release, "date"), &d) < 0
                 ? bf_err_set(err, BF_ELIMIT, "date too long")
                 : row_cell(&r, "date", d.data ? d.data : "", d.len, err);
        bf_buf_free(&d);
        json_object_del(rest, "date");
        if (rc < 0)
            goto out;
    }
    if ((rc = row_cell(&r, "tag", tag.data ? tag.data : "", tag.len, err)) < 0 ||
        (rc = row_object(c, &r, rest, "", "", &keys, 0, err)) < 0)
        goto out;
    rc = row_flush(&r, err);
out:
    json_decref(rest);
    bf_buf_free(&r.cells);
    bf_buf_free(&ocid), bf_buf_free(&id), bf_buf_free(&tag);
    return rc;
}

int ocds_csv_open(const char *dir, enum ocds_export_compress z, struct ocds_csv **out, struct bf_err *err)
{
    struct ocds_csv *c;
    int rc;

    *out = NULL;
    if (!dir || !*dir)
        return bf_err_set(err, BF_EINVAL, "CSV export needs a directory");
    if ((unsigned)z > OCDS_EXPORT_ZSTD)
        return bf_err_set(err, BF_EINVAL, "unknown compression");
    if ((rc = bf_fs_mkdirs(dir, 0755, err)) < 0)
        return rc;
    c = bf_xcalloc(1, sizeof *c);
    c->dir = bf_xstrdup(dir);
    c->z = z;
    *out = c;
    return 0;
}

/* ---- writing the tables ---------------------------------------------- */

static int csv_field(struct bf_buf *b, const char *s, size_t n)
{
    size_t i;
    int quote = n && (s[0] == ' ' || s[n - 1] == ' ');
    for (i = 0; i < n && !quote; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
            quote = 1;
    if (!quote)
        return bf_buf_append(b, s, n);
    if (bf_buf_putc(b, '"') < 0)
        return BF_ELIMIT;
    for (i = 0; i < n; i++)
        if ((s[i] == '"' && bf_buf_putc(b, '"') < 0) || bf_buf_putc(b, s[i]) < 0)
            return BF_ELIMIT;
    return bf_buf_putc(b, '"');
}

/* Reads one spooled row into cells (offsets into data). */
static int spool_row(FILE *f, struct csv_table *t, struct bf_buf *data, size_t *off, size_t *len)
{
    uint32_t n, hdr[2], i;
    size_t c;

    if (fread(&n, sizeof n, 1, f) != 1)
        return BF_EIO;
    bf_buf_reset(data);
    for (c = 0; c < t->ncols; c++)
        off[c] = SIZE_MAX, len[c] = 0;
    for (i = 0; i < n; i++) {
        if (fread(hdr, sizeof hdr, 1, f) != 1 || hdr[0] >= t->ncols || bf_buf_reserve(data, hdr[1]) < 0 ||
            fread(data->data + data->len, 1, hdr[1], f) != hdr[1])
            return BF_EIO;
        off[hdr[0]] = data->len, len[hdr[0]] = hdr[1];
        data->len += hdr[1];
    }
    return 0;
}

static int write_table(struct ocds_csv *c, struct csv_table *t, struct bf_err *err)
{
    static const char *const ext[] = {".csv", ".csv.gz", ".csv.zst"};
    struct bf_buf line = BF_BUF_INIT, data = BF_BUF_INIT;
    size_t *off = bf_xcalloc(t->ncols + 1, sizeof *off), *len = bf_xcalloc(t->ncols + 1, sizeof *len);
    size_t plen = strlen(c->dir) + strlen(t->name) + 16, i, r;
    char *path = bf_xmalloc(plen);
    struct ocds_sink *sink = NULL;
    FILE *f;
    int rc = 0;

    snprintf(path, plen, "%s/%s%s", c->dir, t->name, ext[c->z]);
    if (!(f = fopen(path, "wb"))) {
        rc = bf_err_set(err, BF_EIO, "cannot create %s: %s", path, strerror(errno));
        goto out;
    }
    if ((rc = ocds_sink_open(c->z, ocds_sink_write_file, f, &sink, err)) < 0)
        goto out;
    for (i = 0; i < t->ncols && rc == 0; i++)
        if ((i && bf_buf_putc(&line, ',') < 0) || csv_field(&line, t->cols[i], strlen(t->cols[i])) < 0)
            rc = bf_err_set(err, BF_ELIMIT, "CSV header too long");
    if (rc == 0 && (bf_buf_puts(&line, "\r\n") < 0 || (rc = ocds_sink_write(sink, line.data, line.len, err)) < 0))
        rc = rc ? rc : bf_err_set(err, BF_ELIMIT, "CSV header too long");
    rewind(t->spool);
    for (r = 0; r < t->rows && rc == 0; r++) {
        if (spool_row(t->spool, t, &data, off, len) < 0) {
            rc = bf_err_set(err, BF_EIO, "CSV spool of %s is unreadable", t->name);
            break;
        }
        bf_buf_reset(&line);
        for (i = 0; i < t->ncols && rc == 0; i++)
            if ((i && bf_buf_putc(&line, ',') < 0) ||
                (off[i] != SIZE_MAX && csv_field(&line, data.data + off[i], len[i]) < 0))
                rc = bf_err_set(err, BF_ELIMIT, "CSV row too long");
        if (rc == 0 && bf_buf_puts(&line, "\r\n") < 0)
            rc = bf_err_set(err, BF_ELIMIT, "CSV row too long");
        if (rc == 0)
            rc = ocds_sink_write(sink, line.data, line.len, err);
    }
    if (rc == 0)
        rc = ocds_sink_close(sink, err);
    else
        ocds_sink_free(sink);
    sink = NULL;
    if (f && fclose(f) != 0 && rc == 0)
        rc = bf_err_set(err, BF_EIO, "cannot write %s", path);
    f = NULL;
out:
    bf_buf_free(&line), bf_buf_free(&data);
    free(off), free(len), free(path);
    return rc;
}

static void table_free(struct csv_table *t)
{
    size_t i;
    if (t->spool)
        fclose(t->spool);
    unlink(t->spool_path);
    for (i = 0; i < t->ncols; i++)
        free(t->cols[i]);
    free(t->cols), free(t->slots), free(t->spool_path), free(t->name), free(t);
}

static void csv_free(struct ocds_csv *c)
{
    size_t i;
    for (i = 0; i < c->ntables; i++)
        table_free(c->tables[i]);
    free(c->tables), free(c->dir), free(c);
}

int ocds_csv_finish(struct ocds_csv *c, struct bf_err *err)
{
    size_t i;
    int rc = 0;

    if (!c)
        return 0;
    if (c->ntables == 0 && !csv_table(c, "main", err))
        rc = BF_EIO;
    for (i = 0; i < c->ntables && rc == 0; i++) {
        if (c->ntables && i == 0 && c->tables[0]->ncols == 0) { /* empty export: header only */
            table_col(c->tables[0], "ocid"), table_col(c->tables[0], "id"), table_col(c->tables[0], "date");
            table_col(c->tables[0], "tag");
        }
        rc = write_table(c, c->tables[i], err);
    }
    csv_free(c);
    return rc;
}

void ocds_csv_abort(struct ocds_csv *c)
{
    if (c)
        csv_free(c);
}
