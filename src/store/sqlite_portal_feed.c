/*
 * sqlite_portal_feed.c - the portal indexer's view of the change feed:
 * (log index, ocid) of public releases from a log index on, read from the
 * OCDS domain's release table (whose primary key is the log index, so
 * this is a range scan that reads no release bodies).
 *
 * Invariant: read-only on tables owned by sqlite_ocds.c; the only columns
 * relied on are ocds_release.idx and ocds_release.ocid (see store_ocds.h).
 */
#define STORE_SQLITE_INTERNAL
#include "common.h"
#include "store.h"
#include "store_portal.h"

int store_portal_changes(struct store *s, uint64_t from, int limit, store_portal_change_cb cb, void *arg,
                         struct bf_err *err)
{
    static const char q[] = "SELECT idx, ocid FROM ocds_release WHERE idx >= ? ORDER BY idx LIMIT ?";
    struct store_conn *c = store_sqlite_reader(s, err);
    sqlite3_stmt *st;
    int rc;

    if (!c)
        return BF_EIO;
    if (!(st = store_sqlite_stmt(c, q, err)))
        return BF_EIO;
    sqlite3_bind_int64(st, 1, from > INT64_MAX ? INT64_MAX : (sqlite3_int64)from);
    sqlite3_bind_int(st, 2, limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        rc = cb(arg, (uint64_t)sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1));
        if (rc) {
            sqlite3_reset(st);
            return rc;
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : store_sqlite_error(c->db, rc, err, "portal feed");
}
