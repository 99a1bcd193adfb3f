/*
 * sqlite_ocds.c - SQLite tables and queries of the OCDS domain (see
 * store_ocds.h for the table layout).
 *
 * Invariants: a release row, its sidecar and the update of its record are
 * written by the ledger hook inside the group-commit transaction that
 * also writes the log entry, so none exists without the others. Release
 * rows are never updated or deleted (releases are immutable). The release
 * primary key is the log index, so the change feed is an index range scan.
 * Every statement is a string constant (the connection's statement cache
 * is keyed by its address).
 */
#define STORE_SQLITE_INTERNAL
#include "common.h"
#include "store.h"
#include "store_ocds.h"
#include "store_pack.h"
#include "buf.h"

/* body and compiled are ANY: text, or a packed value (a blob,
 * store_pack.h). Stores created when they were TEXT keep them plain.
 * versioned is written empty: versioned releases are merged by their
 * readers (what stores made before hold there is not read). */
static int ocds_migrate(struct store *s, struct store_txn *t, struct bf_err *err)
{
    (void)s;
    return store_sqlite_exec(store_sqlite_writer(t),
                             "CREATE TABLE IF NOT EXISTS ocds_release("
                             " idx INTEGER PRIMARY KEY,"
                             " ocid TEXT NOT NULL, rid TEXT NOT NULL, date TEXT NOT NULL, tags TEXT NOT NULL,"
                             " sha256 TEXT NOT NULL, src_sha256 TEXT NOT NULL, body ANY NOT NULL,"
                             " UNIQUE(ocid, rid)) STRICT;"
                             /* a record's releases in date order come from the (ocid, rid)
                              * index and a sort of its few rows; an index of its own cost
                              * the import 3% of its CPU (one more insert per release) */
                             "DROP INDEX IF EXISTS ocds_release_by_date;"
                             "CREATE TABLE IF NOT EXISTS ocds_sidecar("
                             " idx INTEGER PRIMARY KEY, body TEXT NOT NULL) STRICT;"
                             "CREATE TABLE IF NOT EXISTS ocds_record("
                             " ocid TEXT PRIMARY KEY, nrel INTEGER NOT NULL,"
                             " first_idx INTEGER NOT NULL, last_idx INTEGER NOT NULL, last_date TEXT NOT NULL,"
                             " compiled_n INTEGER NOT NULL, compiled_idx INTEGER NOT NULL, compiled_date TEXT NOT NULL,"
                             " compiled ANY NOT NULL, versioned ANY NOT NULL) STRICT;",
                             err);
}

const struct store_domain store_ocds_domain = { "ocds", ocds_migrate };

static int step_done(struct store_conn *c, sqlite3_stmt *st, struct bf_err *err, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return 0;
    return store_sqlite_error(c->db, rc, err, what);
}

static char *col_dup(sqlite3_stmt *st, int i, size_t *len)
{
    const unsigned char *p = sqlite3_column_text(st, i);
    size_t n = (size_t)sqlite3_column_bytes(st, i);
    if (len)
        *len = n;
    return bf_xstrndup(p ? (const char *)p : "", n);
}

/* Binds a value to store: a packed one as a blob, text as text. */
static void bind_value(sqlite3_stmt *st, int i, const char *v, size_t n)
{
    if (store_pack_is_packed(v, n))
        sqlite3_bind_blob(st, i, v, (int)n, SQLITE_STATIC);
    else
        sqlite3_bind_text(st, i, v, (int)n, SQLITE_STATIC);
}

/* Column i's text, unpacked into scratch if it was packed; borrowed
 * (valid until st moves or scratch changes). NULL with err set if a
 * packed value does not unpack. */
static const char *col_value(struct store *s, struct store_conn *c, sqlite3_stmt *st, int i, struct bf_buf *scratch,
                             size_t *len, struct bf_err *err)
{
    const void *v = sqlite3_column_type(st, i) == SQLITE_BLOB ? sqlite3_column_blob(st, i)
                                                                : (const void *)sqlite3_column_text(st, i);
    size_t n = (size_t)sqlite3_column_bytes(st, i);
    int rc = store_sqlite_unpack(s, c, v ? v : "", n, scratch, err);

    if (rc < 0)
        return NULL;
    if (rc == 0) {
        *len = n;
        return v ? v : "";
    }
    *len = scratch->len;
    return scratch->data;
}

/* col_value, malloc'ed. */
static char *col_value_dup(struct store *s, struct store_conn *c, sqlite3_stmt *st, int i, size_t *len,
                           struct bf_err *err)
{
    struct bf_buf b = BF_BUF_INIT;
    size_t n = 0;
    const char *v = col_value(s, c, st, i, &b, &n, err);
    char *out = NULL;

    if (v == b.data && v)
        out = bf_buf_take(&b, len);
    else if (v)
        out = bf_xstrndup(v, n), *len = n;
    bf_buf_free(&b);
    return out;
}

static void col_hex(sqlite3_stmt *st, int i, char out[65])
{
    const unsigned char *p = sqlite3_column_text(st, i);
    snprintf(out, 65, "%s", p ? (const char *)p : "");
}

void store_ocds_record_clear(struct store_ocds_record *r)
{
    free(r->compiled);
    r->compiled = NULL;
    r->compiled_len = 0;
}

/* ---- writes ------------------------------------------------------------ */

static const char SQL_REL_INS[] = "INSERT INTO ocds_release(idx, ocid, rid, date, tags, sha256, src_sha256, body)"
                                  " VALUES(?,?,?,?,?,?,?,?)";

int store_ocds_release_insert(struct store_txn *t, const struct store_ocds_release *r, struct bf_err *err)
{
    struct store_conn *c = store_sqlite_writer(t);
    sqlite3_stmt *st = store_sqlite_stmt(c, SQL_REL_INS, err);
    int rc;

    if (!st)
        return err ? err->code : BF_EIO;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)r->index);
    sqlite3_bind_text(st, 2, r->ocid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, r->date, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, r->tags, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, r->sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, r->src_sha256 ? r->src_sha256 : r->sha256, -1, SQLITE_STATIC);
    bind_value(st, 8, r->body, r->body_len);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return 0;
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        return bf_err_set(err, BF_EEXIST, "release %s/%s is already stored", r->ocid, r->id);
    return store_sqlite_error(c->db, rc, err, "storing release");
}

static const char SQL_SIDE_INS[] = "INSERT INTO ocds_sidecar(idx, body) VALUES(?, ?)";

int store_ocds_sidecar_insert(struct store_txn *t, uint64_t index, const char *body, size_t len,
                              struct bf_err *err)
{
    struct store_conn *c = store_sqlite_writer(t);
    sqlite3_stmt *st = store_sqlite_stmt(c, SQL_SIDE_INS, err);
    if (!st)
        return err ? err->code : BF_EIO;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)index);
    sqlite3_bind_text(st, 2, body, (int)len, SQLITE_STATIC);
    return step_done(c, st, err, "storing withheld values");
}

static const char SQL_REC_GET_FULL[] = "SELECT nrel, first_idx, last_idx, last_date, compiled_n, compiled_idx,"
                                       " compiled_date, compiled FROM ocds_record WHERE ocid = ?";
static const char SQL_REC_GET_META[] = "SELECT nrel, first_idx, last_idx, last_date, compiled_n, compiled_idx,"
                                       " compiled_date FROM ocds_record WHERE ocid = ?";

static int record_read(struct store *s, struct store_conn *c, const char *sql, const char *ocid, int want_compiled,
                       struct store_ocds_record *r, struct bf_err *err)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, sql, err);
    int rc;

    memset(r, 0, sizeof *r);
    if (!st)
        return err ? err->code : BF_EIO;
    sqlite3_bind_text(st, 1, ocid, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        r->nrel = (uint64_t)sqlite3_column_int64(st, 0);
        r->first_index = (uint64_t)sqlite3_column_int64(st, 1);
        r->last_index = (uint64_t)sqlite3_column_int64(st, 2);
        snprintf(r->last_date, sizeof r->last_date, "%s", (const char *)sqlite3_column_text(st, 3));
        r->compiled_n = (uint64_t)sqlite3_column_int64(st, 4);
        r->compiled_index = (uint64_t)sqlite3_column_int64(st, 5);
        snprintf(r->compiled_date, sizeof r->compiled_date, "%s", (const char *)sqlite3_column_text(st, 6));
        rc = 0;
        if (want_compiled && !(r->compiled = col_value_dup(s, c, st, 7, &r->compiled_len, err))) {
            rc = err && err->code ? err->code : BF_ECORRUPT;
        }
        sqlite3_reset(st);
        return rc;
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return bf_err_set(err, BF_ENOTFOUND, "no record %s", ocid);
    return store_sqlite_error(c->db, rc, err, "reading record");
}

int store_ocds_record_get_w(struct store_txn *t, const char *ocid, int want_compiled, struct store_ocds_record *r,
                            struct bf_err *err)
{
    return record_read(store_txn_store(t), store_sqlite_writer(t), want_compiled ? SQL_REC_GET_FULL : SQL_REC_GET_META, ocid,
                       want_compiled, r, err);
}

/* An UPDATE first (the row exists for all but a record's first batch),
 * an INSERT if it changed nothing: an upsert with RETURNING cost twice as
 * much in the import's commit thread. */
static const char SQL_REC_BUMP[] = "UPDATE ocds_record SET nrel = nrel + ?4, last_idx = ?3,"
                                   " last_date = max(last_date, ?5) WHERE ocid = ?1";
static const char SQL_REC_NEW[] = "INSERT INTO ocds_record(ocid, nrel, first_idx, last_idx, last_date, compiled_n,"
                                  " compiled_idx, compiled_date, compiled, versioned)"
                                  " VALUES(?1, ?4, ?2, ?3, ?5, 0, 0, '', '{}', '')";
static const char SQL_REC_NREL[] = "SELECT nrel FROM ocds_record WHERE ocid = ?1";
/* The same count with the merged texts, in one write, guarded by the
 * count the merge was made for (every expression sees the old row). */
static const char SQL_REC_PUT[] = "UPDATE ocds_record SET nrel = nrel + ?4, last_idx = ?3,"
                                  " last_date = max(last_date, ?5), compiled_n = nrel + ?4, compiled_idx = ?3,"
                                  " compiled_date = max(last_date, ?5), compiled = ?7, versioned = ''"
                                  " WHERE ocid = ?1 AND nrel = ?6";
static const char SQL_REC_PUT_NEW[] = "INSERT INTO ocds_record(ocid, nrel, first_idx, last_idx, last_date, compiled_n,"
                                      " compiled_idx, compiled_date, compiled, versioned)"
                                      " VALUES(?1, ?4, ?2, ?3, ?5, ?4, ?3, ?5, ?7, '')";

static sqlite3_stmt *rec_bind(struct store_conn *c, const char *sql, const struct store_ocds_added *a,
                              struct bf_err *err)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, sql, err);
    if (!st)
        return NULL;
    sqlite3_bind_text(st, 1, a->ocid, -1, SQLITE_STATIC);
    if (sqlite3_bind_parameter_count(st) >= 5) {
        sqlite3_bind_int64(st, 2, (sqlite3_int64)a->first);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)a->last);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)a->k);
        sqlite3_bind_text(st, 5, a->date, -1, SQLITE_STATIC);
    }
    return st;
}

static int rec_stmt(struct store_conn *c, const char *sql, const struct store_ocds_added *a, struct bf_err *err)
{
    sqlite3_stmt *st = rec_bind(c, sql, a, err);
    if (!st)
        return err ? err->code : BF_EIO;
    return step_done(c, st, err, "counting releases in their record");
}

int store_ocds_record_count(struct store_txn *t, const struct store_ocds_added *a, uint64_t *nrel,
                            struct bf_err *err)
{
    struct store_conn *c = store_sqlite_writer(t);
    sqlite3_stmt *st;
    int rc = rec_stmt(c, SQL_REC_BUMP, a, err);

    if (!rc && sqlite3_changes(c->db) == 0)
        rc = rec_stmt(c, SQL_REC_NEW, a, err);
    if (rc || !nrel)
        return rc;
    if (!(st = store_sqlite_stmt(c, SQL_REC_NREL, err)))
        return err ? err->code : BF_EIO;
    sqlite3_bind_text(st, 1, a->ocid, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    *nrel = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : store_sqlite_error(c->db, rc, err, "reading a record's count");
}

int store_ocds_record_put(struct store_txn *t, const struct store_ocds_added *a, uint64_t before,
                          const char *compiled, size_t compiled_len, struct bf_err *err)
{
    struct store_conn *c = store_sqlite_writer(t);
    sqlite3_stmt *st;
    int rc;

    /* merged from no committed release: the row is new, or another
     * batch made it and the merge is stale; the UPDATE (guarded by
     * nrel = 0, which no row has) could only fail, so go straight to the
     * INSERT (an import's records are mostly new) */
    if (before != 0) {
        if (!(st = rec_bind(c, SQL_REC_PUT, a, err)))
            return err ? err->code : BF_EIO;
        sqlite3_bind_int64(st, 6, (sqlite3_int64)before);
        bind_value(st, 7, compiled, compiled_len);
        if ((rc = step_done(c, st, err, "storing a merged record")) < 0 || sqlite3_changes(c->db) == 1)
            return rc;
        /* the row counts other releases than the merge was made from */
        return bf_err_set(err, BF_ECONFLICT, "record %s changed since its merge", a->ocid);
    }
    if (!(st = rec_bind(c, SQL_REC_PUT_NEW, a, err)))
        return err ? err->code : BF_EIO;
    bind_value(st, 7, compiled, compiled_len);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return 0;
    if ((rc & 0xff) == SQLITE_CONSTRAINT) /* a row exists after all (with another count) */
        return bf_err_set(err, BF_ECONFLICT, "record %s changed since its merge", a->ocid);
    return store_sqlite_error(c->db, rc, err, "storing a new merged record");
}

static const char SQL_REC_MERGED[] = "UPDATE ocds_record SET compiled_n = ?2, compiled_idx = ?3,"
                                     " compiled_date = last_date, compiled = ?4, versioned = '' WHERE ocid = ?1";

int store_ocds_record_set_merged(struct store_txn *t, const char *ocid, uint64_t compiled_n, uint64_t index,
                                 const char *compiled, size_t compiled_len, struct bf_err *err)
{
    struct store_conn *c = store_sqlite_writer(t);
    sqlite3_stmt *st = store_sqlite_stmt(c, SQL_REC_MERGED, err);
    if (!st)
        return err ? err->code : BF_EIO;
    sqlite3_bind_text(st, 1, ocid, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)compiled_n);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)index);
    bind_value(st, 4, compiled, compiled_len);
    return step_done(c, st, err, "storing the merged record");
}

/* ---- row walks ----------------------------------------------------------- */

/* Columns: idx, ocid, rid, date, tags, sha256[, body[, src_sha256]]. */
static int walk_rows(struct store *s, struct store_conn *c, sqlite3_stmt *st, store_ocds_row_fn fn, void *arg,
                     struct bf_err *err)
{
    struct store_ocds_release r;
    struct bf_buf scratch = BF_BUF_INIT; /* a packed body's text */
    int rc, stop = 0;

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&r, 0, sizeof r);
        r.index = (uint64_t)sqlite3_column_int64(st, 0);
        r.ocid = (const char *)sqlite3_column_text(st, 1);
        r.id = (const char *)sqlite3_column_text(st, 2);
        r.date = (const char *)sqlite3_column_text(st, 3);
        r.tags = (const char *)sqlite3_column_text(st, 4);
        r.sha256 = (const char *)sqlite3_column_text(st, 5);
        if (!(r.body = col_value(s, c, st, 6, &scratch, &r.body_len, err))) {
            stop = err && err->code ? err->code : BF_ECORRUPT;
            bf_err_wrap(err, "release %s/%s (index %" PRIu64 ")", r.ocid, r.id, r.index);
            break;
        }
        if (sqlite3_column_count(st) > 7)
            r.src_sha256 = (const char *)sqlite3_column_text(st, 7);
        stop = fn(arg, &r);
        if (stop)
            break;
    }
    sqlite3_reset(st);
    bf_buf_free(&scratch);
    if (stop)
        return stop;
    if (rc != SQLITE_DONE)
        return store_sqlite_error(c->db, rc, err, "reading releases");
    return 0;
}

static const char SQL_REL_OF[] = "SELECT idx, ocid, rid, date, tags, sha256, body, src_sha256 FROM ocds_release"
                                 " WHERE ocid = ? ORDER BY date, idx";

static int releases_of(struct store *s, struct store_conn *c, const char *ocid, store_ocds_row_fn fn, void *arg,
                       struct bf_err *err)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, SQL_REL_OF, err);
    if (!st)
        return err ? err->code : BF_EIO;
    sqlite3_bind_text(st, 1, ocid, -1, SQLITE_STATIC);
    return walk_rows(s, c, st, fn, arg, err);
}

int store_ocds_releases_of_w(struct store_txn *t, const char *ocid, store_ocds_row_fn fn, void *arg,
                             struct bf_err *err)
{
    return releases_of(store_txn_store(t), store_sqlite_writer(t), ocid, fn, arg, err);
}

int store_ocds_releases_of(struct store *s, const char *ocid, store_ocds_row_fn fn, void *arg, struct bf_err *err)
{
    struct store_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return err ? err->code : BF_EIO;
    return releases_of(s, c, ocid, fn, arg, err);
}

static const char SQL_FEED[] = "SELECT idx, ocid, rid, date, tags, sha256, body FROM ocds_release"
                               " WHERE idx > ? ORDER BY idx LIMIT ?";

int store_ocds_feed(struct store *s, int64_t after, uint64_t limit, store_ocds_row_fn fn, void *arg,
                    struct bf_err *err)
{
    struct store_conn *c = store_sqlite_reader(s, err);
    sqlite3_stmt *st;

    if (!c)
        return err ? err->code : BF_EIO;
    st = store_sqlite_stmt(c, SQL_FEED, err);
    if (!st)
        return err ? err->code : BF_EIO;
    sqlite3_bind_int64(st, 1, after < -1 ? -1 : (sqlite3_int64)after);
    sqlite3_bind_int64(st, 2, limit == 0 || limit > INT64_MAX ? -1 : (sqlite3_int64)limit);
    return walk_rows(s, c, st, fn, arg, err);
}

/* ---- point reads ------------------------------------------------------------ */

static const char SQL_REL_FIND[] = "SELECT idx, sha256, src_sha256 FROM ocds_release WHERE ocid = ? AND rid = ?";

int store_ocds_release_find(struct store *s, struct store_txn *t, const char *ocid, const char *id, uint64_t *index,
                            char sha256[65], char src_sha256[65], struct bf_err *err)
{
    struct store_conn *c = t ? store_sqlite_writer(t) : store_sqlite_reader(s, err);
    sqlite3_stmt *st;
    int rc;

    if (!c)
        return err ? err->code : BF_EIO;
    st = store_sqlite_stmt(c, SQL_REL_FIND, err);
    if (!st)
        return err ? err->code : BF_EIO;
    sqlite3_bind_text(st, 1, ocid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (index)
            *index = (uint64_t)sqlite3_column_int64(st, 0);
        if (sha256)
            col_hex(st, 1, sha256);
        if (src_sha256)
            col_hex(st, 2, src_sha256);
        sqlite3_reset(st);
        return 0;
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return bf_err_set(err, BF_ENOTFOUND, "no release %s in %s", id, ocid);
    return store_sqlite_error(c->db, rc, err, "finding release");
}

static const char SQL_REL_BODY[] = "SELECT idx, body FROM ocds_release WHERE ocid = ? AND rid = ?";

int store_ocds_release_body(struct store *s, const char *ocid, const char *id, char **body, size_t *len,
                            uint64_t *index, struct bf_err *err)
{
    struct store_conn *c = store_sqlite_reader(s, err);
    sqlite3_stmt *st;
    int rc;

    if (!c)
        return err ? err->code : BF_EIO;
    st = store_sqlite_stmt(c, SQL_REL_BODY, err);
    if (!st)
        return err ? err->code : BF_EIO;
    sqlite3_bind_text(st, 1, ocid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (index)
            *index = (uint64_t)sqlite3_column_int64(st, 0);
        *body = col_value_dup(s, c, st, 1, len, err);
        sqlite3_reset(st);
        return *body ? 0 : err && err->code ? err->code : BF_ECORRUPT;
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return bf_err_set(err, BF_ENOTFOUND, "no release %s in %s", id, ocid);
    return store_sqlite_error(c->db, rc, err, "reading release");
}

static const char SQL_SIDE_GET[] = "SELECT body FROM ocds_sidecar WHERE idx = ?";

int store_ocds_sidecar_get(struct store *s, uint64_t index, char **body, size_t *len, struct bf_err *err)
{
    struct store_conn *c = store_sqlite_reader(s, err);
    sqlite3_stmt *st;
    int rc;

    if (!c)
        return err ? err->code : BF_EIO;
    st = store_sqlite_stmt(c, SQL_SIDE_GET, err);
    if (!st)
        return err ? err->code : BF_EIO;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)index);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *body = col_dup(st, 0, len);
        sqlite3_reset(st);
        return 0;
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return bf_err_set(err, BF_ENOTFOUND, "release at %" PRIu64 " withholds nothing", index);
    return store_sqlite_error(c->db, rc, err, "reading withheld values");
}

int store_ocds_record_get(struct store *s, const char *ocid, struct store_ocds_record *r, struct bf_err *err)
{
    struct store_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return err ? err->code : BF_EIO;
    return record_read(s, c, SQL_REC_GET_FULL, ocid, 1, r, err);
}

static const char SQL_OCIDS_ALL[] = "SELECT ocid FROM ocds_record ORDER BY ocid LIMIT ?";
static const char SQL_OCIDS_AFTER[] = "SELECT ocid FROM ocds_record WHERE ocid > ? ORDER BY ocid LIMIT ?";

int store_ocds_ocids(struct store *s, const char *after, uint64_t limit, store_ocds_ocid_fn fn, void *arg,
                     struct bf_err *err)
{
    struct store_conn *c = store_sqlite_reader(s, err);
    sqlite3_stmt *st;
    int rc, stop = 0;

    if (!c)
        return err ? err->code : BF_EIO;
    st = store_sqlite_stmt(c, after ? SQL_OCIDS_AFTER : SQL_OCIDS_ALL, err);
    if (!st)
        return err ? err->code : BF_EIO;
    if (after)
        sqlite3_bind_text(st, 1, after, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, after ? 2 : 1, limit == 0 || limit > INT64_MAX ? -1 : (sqlite3_int64)limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        stop = fn(arg, (const char *)sqlite3_column_text(st, 0));
        if (stop)
            break;
    }
    sqlite3_reset(st);
    if (stop)
        return stop;
    if (rc != SQLITE_DONE)
        return store_sqlite_error(c->db, rc, err, "listing records");
    return 0;
}

static const char SQL_COUNT_REL[] = "SELECT count(*) FROM ocds_release";
static const char SQL_COUNT_REC[] = "SELECT count(*) FROM ocds_record";

static int count_one(struct store_conn *c, const char *sql, uint64_t *out, struct bf_err *err)
{
    sqlite3_stmt *st = store_sqlite_stmt(c, sql, err);
    int rc;
    if (!st)
        return err ? err->code : BF_EIO;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : store_sqlite_error(c->db, rc, err, "counting");
}

int store_ocds_counts(struct store *s, uint64_t *releases, uint64_t *records, struct bf_err *err)
{
    struct store_conn *c = store_sqlite_reader(s, err);
    uint64_t dummy;
    int rc;
    if (!c)
        return err ? err->code : BF_EIO;
    rc = count_one(c, SQL_COUNT_REL, releases ? releases : &dummy, err);
    if (!rc)
        rc = count_one(c, SQL_COUNT_REC, records ? records : &dummy, err);
    return rc;
}

/* ---- serving a record ---------------------------------------------------- */

/* the releases with their bodies (the reader merges the versioned
 * release), without the private src_sha256 */
static const char SQL_SERVE_OF[] = "SELECT idx, ocid, rid, date, tags, sha256, body FROM ocds_release"
                                   " WHERE ocid = ? ORDER BY date, idx";

int store_ocds_record_serve(struct store *s, const char *ocid, store_ocds_record_fn head, store_ocds_row_fn row,
                            store_ocds_record_fn tail, void *arg, struct bf_err *err)
{
    struct store_conn *c = store_sqlite_reader(s, err);
    struct store_ocds_record r;
    struct bf_buf ctext = BF_BUF_INIT; /* a packed text, unpacked */
    sqlite3_stmt *st, *rs;
    const unsigned char *p;
    int rc;

    if (!c)
        return err ? err->code : BF_EIO;
    st = store_sqlite_stmt(c, SQL_REC_GET_FULL, err);
    if (!st)
        return err ? err->code : BF_EIO;
    memset(&r, 0, sizeof r);
    sqlite3_bind_text(st, 1, ocid, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        if (rc == SQLITE_DONE)
            return bf_err_set(err, BF_ENOTFOUND, "no record %s", ocid);
        return store_sqlite_error(c->db, rc, err, "reading record");
    }
    r.nrel = (uint64_t)sqlite3_column_int64(st, 0);
    r.first_index = (uint64_t)sqlite3_column_int64(st, 1);
    r.last_index = (uint64_t)sqlite3_column_int64(st, 2);
    p = sqlite3_column_text(st, 3);
    snprintf(r.last_date, sizeof r.last_date, "%s", p ? (const char *)p : "");
    r.compiled_n = (uint64_t)sqlite3_column_int64(st, 4);
    r.compiled_index = (uint64_t)sqlite3_column_int64(st, 5);
    p = sqlite3_column_text(st, 6);
    snprintf(r.compiled_date, sizeof r.compiled_date, "%s", p ? (const char *)p : "");
    /* Borrowed, not copied (unless packed: then unpacked into ctext):
     * the text stays valid until st is reset, and the open statement
     * keeps the read transaction (one snapshot) while the release rows
     * are walked. */
    if (!(r.compiled = (char *)col_value(s, c, st, 7, &ctext, &r.compiled_len, err))) {
        rc = err && err->code ? err->code : BF_ECORRUPT;
        goto out;
    }
    rc = head ? head(arg, &r) : 0;
    if (!rc) {
        rs = store_sqlite_stmt(c, SQL_SERVE_OF, err);
        if (!rs) {
            rc = err ? err->code : BF_EIO;
        } else {
            sqlite3_bind_text(rs, 1, ocid, -1, SQLITE_STATIC);
            rc = walk_rows(s, c, rs, row, arg, err);
        }
    }
    if (!rc && tail)
        rc = tail(arg, &r);
out:
    sqlite3_reset(st);
    bf_buf_free(&ctext);
    return rc;
}
