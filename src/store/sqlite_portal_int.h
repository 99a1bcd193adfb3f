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
#include <stdint.h>

struct bf_buf;

#define PORTAL_TEXT_COLUMNS "{title description buyer suppliers}"

/* Appends " <token>" for facet prefix and value; 0 or BF_ELIMIT. */
int portal_facet_token(struct bf_buf *b, const char *prefix, const char *value);
/* Same with the value hashed (organisation ids). */
int portal_facet_hashed(struct bf_buf *b, const char *prefix, const char *value);

/* The ranked id list of a search (sqlite_portal_cache.c). ids: row ids in
 * the search's order, from the first; full: the list holds every match
 * (up to the paging limit), so a page beyond its end is empty, not
 * unknown; has_total: total and exact are the search's count. */
struct portal_ids {
    int64_t *ids;
    int n;
    int full;
    int has_total;
    int exact;
    long total;
};

/* A copy of the entry of key (caller frees out->ids); 1 hit, 0 miss. */
int sqlite_portal_ids_get(const char *key, struct portal_ids *out);
/* Stores a copy of v under key (replacing any), evicting the least
 * recently used entries beyond the memory budget. */
void sqlite_portal_ids_put(const char *key, const struct portal_ids *v);
/* Every summary put bumps this count (store_portal_put); with the indexer's
 * cursor it is the generation in a cache key, so writes outside the indexer
 * (tests, tools) invalidate too. */
void sqlite_portal_bump_generation(void);
uint64_t sqlite_portal_put_count(void);

#endif
