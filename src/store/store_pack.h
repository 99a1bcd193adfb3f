/*
 * store_pack.h - compressed row values: the large texts a domain stores
 * (a release's body, a record's compiled release) are
 * kept as LZ4 blocks compressed against a dictionary built (by zstd's
 * dictionary builder) from the store's own first values of that kind.
 *
 * Why: JSON of one kind repeats the same member names and codes; small
 * values compress 1.5-2x on their own but about 6x against a dictionary,
 * and every byte a row does not take is a byte the WAL, the checkpoint
 * and the B-tree do not copy. The import wrote 4.2 KB of store per
 * release; packed, about 1.1 KB.
 *
 * A packed value is "\x02L" varint(dictionary id) varint(length) and an
 * LZ4 block (store_pack_codec.c). JSON text
 * never starts with 0x02 (nor did the packed versioned releases that
 * older stores hold, which start with 0x01), so a
 * value without the prefix is plain text and reads as it is: rows stored
 * before a dictionary existed, short values, values that would not
 * shrink, and every value of a store whose columns were created as TEXT
 * (before packing existed: those stores keep plain rows).
 *
 * Dictionaries: the first values of a kind (about 1 MB) are kept as
 * samples and stored plain; then one dictionary is trained from them,
 * committed in a transaction of its own (so it is durable before any row
 * that needs it), and used for every later value of that kind in this
 * process. A store reopened later uses its newest dictionary of the kind.
 * Dictionaries are never changed or deleted (rows name them by id).
 *
 * Thread safety: any thread may pack. A thread that holds the store's
 * write transaction never trains (training needs a transaction of its
 * own); its values stay plain until another thread has trained.
 */
#ifndef BELFRY_STORE_PACK_H
#define BELFRY_STORE_PACK_H

#include <stddef.h>
#include <stdint.h>

struct store;
struct bf_buf;

enum store_pack_kind {
    STORE_PACK_RELEASE = 0, /* ocds_release.body */
    STORE_PACK_RECORD = 1,  /* ocds_record.compiled */
};
#define STORE_PACK_NKIND 2

/* Packs text[0..len) for a value of kind k into out (its contents are
 * replaced). Returns 1 when out holds the packed value, 0 when the text is
 * to be stored as it is (no dictionary yet, too short, would not shrink,
 * a store that does not pack); never an error (a failed compression is
 * "store it as it is"). */
int store_pack(struct store *s, enum store_pack_kind k, const char *text, size_t len, struct bf_buf *out);

/* 1 when p[0..n) starts with the packed form's prefix. */
int store_pack_is_packed(const void *p, size_t n);

/* The id of the dictionary kind k packs with in this process, 0 while it
 * has none (tests). */
uint32_t store_pack_dict_id(struct store *s, enum store_pack_kind k);

#endif
