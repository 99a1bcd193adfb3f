/*
 * sqlite_portal_int.h - shared by src/store/sqlite_portal*.c only: the
 * spelling of the facet tokens that the portal writes into the full-text
 * index's "facets" column, so that a text search with filters is one FTS5
 * query (an intersection of posting lists) instead of a row fetch per
 * text match.
 *
 * A token is a prefix naming the facet and the value's letters and digits,
 * lower-cased (what the unicode61 tokenizer would make of it); identifiers
 * that may hold other characters (organisation ids) are hashed:
 *   fc<capability> fs<stage> fp<procedure> fy<year> fn1 (non-competitive)
 *   fb<16 hex of SHA-256(buyer id)> fu<same of a supplier id>
 *   fv<digits> for each prefix (2..8 digits) of each CPV code
 */
#ifndef BELFRY_SQLITE_PORTAL_INT_H
#define BELFRY_SQLITE_PORTAL_INT_H

#include <stddef.h>

struct bf_buf;

#define PORTAL_TEXT_COLUMNS "{title description buyer suppliers}"

/* Appends " <token>" for facet prefix and value; 0 or BF_ELIMIT. */
int portal_facet_token(struct bf_buf *b, const char *prefix, const char *value);
/* Same with the value hashed (organisation ids). */
int portal_facet_hashed(struct bf_buf *b, const char *prefix, const char *value);

#endif
