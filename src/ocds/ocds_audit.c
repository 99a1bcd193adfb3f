/*
 * ocds_audit.c - `belfry check`'s part for procurement records: every
 * stored release against the log. The log proves its entries were never
 * rewritten; this proves the store serves what the entries name: the
 * stored text of each release (unpacked if packed) hashes to its row's
 * digest, and the log entry at the row's index is an "ocds-release"
 * entry with the same ocid, id and digest; and every "ocds-release"
 * entry of the log has its row (the entries between and after the rows
 * are read: none in a store of releases only).
 *
 * Invariants: read-only (one reader connection, any time, also while a
 * server writes: rows come in index order, each with its own entry; an
 * entry found without a row before it is looked up again by its ocid
 * and id, as its batch may have committed after the rows were read).
 * The first mismatch stops the walk and names the release.
 */
#include "common.h"
#include "buf.h"
#include "sha256.h"
#include "ocds.h"
#include "store/store.h"
#include "store/store_log.h"
#include "store/store_ocds.h"

#define AUDIT_PAGE 10000

struct audit {
    struct store *s;
    uint64_t checked;
    int64_t last;            /* index of the last row read */
    uint64_t next;           /* the first entry not yet accounted for */
    struct bf_buf entry;
    struct bf_err *err;
    int rc;
};

/* What an entry line says about itself (members NULL when absent; all
 * NULL for an entry that is not a JSON object). */
struct entry_id {
    json_t *e;               /* the parsed line: json_decref when done */
    const char *type, *ocid, *id, *sha256;
};

/* Reads entry idx into a->entry and *x. Store errors as they come. */
static int entry_read(struct audit *a, uint64_t idx, struct entry_id *x)
{
    int rc;

    memset(x, 0, sizeof *x);
    bf_buf_reset(&a->entry);
    if ((rc = store_log_entry(a->s, idx, &a->entry, NULL, a->err)) < 0)
        return rc;
    if (a->entry.len == 0 || a->entry.data[0] != '{' || !(x->e = json_loadb(a->entry.data, a->entry.len, 0, NULL)))
        return 0; /* not a JSON entry: another kind of record */
    x->type = json_string_value(json_object_get(x->e, "type"));
    x->ocid = json_string_value(json_object_get(x->e, "ocid"));
    x->id = json_string_value(json_object_get(x->e, "id"));
    x->sha256 = json_string_value(json_object_get(x->e, "sha256"));
    return 0;
}

static int is_release_entry(const struct entry_id *x)
{
    return x->type && !strcmp(x->type, "ocds-release");
}

/* 0 when the entry at r's index names r exactly as its row does. */
static int entry_matches(struct audit *a, const struct store_ocds_release *r)
{
    struct entry_id x;
    int rc = entry_read(a, r->index, &x);

    if (rc == BF_ENOTFOUND)
        return bf_err_set(a->err, BF_ECORRUPT, "release %s/%s: no log entry at %" PRIu64, r->ocid, r->id, r->index);
    if (rc < 0)
        return rc;
    if (!is_release_entry(&x))
        rc = bf_err_set(a->err, BF_ECORRUPT, "release %s/%s: the log entry at %" PRIu64 " is not an ocds-release entry",
                        r->ocid, r->id, r->index);
    else if (!x.ocid || !x.id || strcmp(x.ocid, r->ocid) || strcmp(x.id, r->id))
        rc = bf_err_set(a->err, BF_ECORRUPT, "release %s/%s: the log entry at %" PRIu64 " names %s/%s", r->ocid, r->id,
                        r->index, x.ocid ? x.ocid : "?", x.id ? x.id : "?");
    else if (!x.sha256 || strcmp(x.sha256, r->sha256))
        rc = bf_err_set(a->err, BF_ECORRUPT, "release %s/%s: its row's digest %s is not the log's %s (entry %" PRIu64 ")",
                        r->ocid, r->id, r->sha256, x.sha256 ? x.sha256 : "?", r->index);
    json_decref(x.e);
    return rc;
}

/* Entry idx has no row in the walk: 0 unless it is an "ocds-release"
 * entry whose release the store does not hold at idx. */
static int entry_orphan(struct audit *a, uint64_t idx)
{
    struct entry_id x;
    uint64_t at = 0;
    int rc = entry_read(a, idx, &x);

    if (rc < 0)
        return rc == BF_ENOTFOUND ? 0 : rc; /* past the end while a server appends */
    if (!is_release_entry(&x))
        rc = 0;
    else if (!x.ocid || !x.id)
        rc = bf_err_set(a->err, BF_ECORRUPT, "log entry %" PRIu64 " is an ocds-release entry without ocid or id", idx);
    else if ((rc = store_ocds_release_find(a->s, NULL, x.ocid, x.id, &at, NULL, NULL, a->err)) == BF_ENOTFOUND ||
             (rc == 0 && at != idx))
        rc = bf_err_set(a->err, BF_ECORRUPT, "log entry %" PRIu64 " is release %s/%s, which the store does not hold there",
                        idx, x.ocid, x.id);
    json_decref(x.e);
    return rc;
}

/* Entries [a->next, upto) came without rows. */
static int audit_gap(struct audit *a, uint64_t upto)
{
    int rc = 0;
    for (; a->next < upto && rc == 0; a->next++)
        rc = entry_orphan(a, a->next);
    return rc;
}

static int audit_row(void *arg, const struct store_ocds_release *r)
{
    struct audit *a = arg;
    char sha[65];

    a->last = (int64_t)r->index;
    if ((a->rc = audit_gap(a, r->index)) < 0)
        return 1;
    a->next = r->index + 1;
    bf_sha256_hex(r->body, r->body_len, sha);
    if (strcmp(sha, r->sha256) != 0) {
        a->rc = bf_err_set(a->err, BF_ECORRUPT, "release %s/%s (entry %" PRIu64 "): its stored text hashes to %s, not %s",
                           r->ocid, r->id, r->index, sha, r->sha256);
        return 1;
    }
    if ((a->rc = entry_matches(a, r)) < 0)
        return 1;
    a->checked++;
    return 0;
}

int ocds_audit_releases(struct store *s, uint64_t *checked, struct bf_err *err)
{
    struct audit a = { s, 0, -1, 0, BF_BUF_INIT, err, 0 };
    uint64_t size = 0;
    int rc = 0;

    for (;;) {
        uint64_t before = a.checked;
        int64_t from = a.last;
        rc = store_ocds_feed(s, from, AUDIT_PAGE, audit_row, &a, err);
        if (a.rc < 0) {
            rc = a.rc;
            break;
        }
        if (rc < 0 || a.last == from || a.checked - before < AUDIT_PAGE)
            break;
    }
    if (rc >= 0 && (rc = store_log_count(s, &size, err)) >= 0)
        rc = audit_gap(&a, size);
    bf_buf_free(&a.entry);
    if (checked)
        *checked = a.checked;
    return rc < 0 ? rc : 0;
}
