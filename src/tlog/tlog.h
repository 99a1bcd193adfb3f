/*
 * tlog.h - the transparency-log primitives: RFC 6962 Merkle hashing and
 * proofs, C2SP signed notes, checkpoints, cosignatures, tile paths and
 * tlog-proof receipts. Pure functions over memory; no I/O, no threads.
 *
 * This header is the contract between src/tlog/ (which implements it) and
 * the ledger, witness, monitor and verifier (which use it). Error
 * convention: 0 or a negative BF_E* code with a message in *err (see
 * err.h). BF_EINVAL means the input was malformed, BF_ECRYPTO that it was
 * well-formed but a signature or proof did not verify.
 *
 * Hashes are raw 32-byte arrays (tlog_hash). Text formats are byte-exact
 * per C2SP: signed-note v1.0.0, tlog-checkpoint v1.0.0, tlog-tiles,
 * tlog-cosignature v1.0.1, tlog-witness v1.0.0, tlog-proof v1.
 */
#ifndef BELFRY_TLOG_H
#define BELFRY_TLOG_H

#include <stddef.h>
#include <stdint.h>

struct bf_err;
struct bf_buf;

#define TLOG_HASH_LEN 32
typedef struct { uint8_t b[TLOG_HASH_LEN]; } tlog_hash;

#define TLOG_MAX_ENTRY 65535      /* u16 length prefix in entry bundles */
#define TLOG_TILE_WIDTH 256       /* tile height 8 */
#define TLOG_MAX_PROOF 64         /* hashes in any proof of a 2^64 tree */
#define TLOG_MAX_SIGS 100         /* signature lines accepted in a note */

/* ---- Merkle hashing (merkle.c) ------------------------------------- */

void tlog_leaf_hash(const void *entry, size_t len, tlog_hash *out);      /* SHA-256(0x00 ‖ e) */
void tlog_node_hash(const tlog_hash *l, const tlog_hash *r, tlog_hash *out); /* SHA-256(0x01 ‖ l ‖ r) */
void tlog_empty_root(tlog_hash *out);                                     /* SHA-256("") */

/* Compact range: the right edge of a tree, one hash per set bit of size
 * (largest subtree first). O(log n) memory; appending costs about one node
 * hash per leaf amortised. Plain value type: copy it to snapshot. */
struct tlog_range {
    uint64_t size;
    int n;                       /* number of hashes in use = popcount(size) */
    tlog_hash h[64];
};
void tlog_range_init(struct tlog_range *r);
void tlog_range_append(struct tlog_range *r, const tlog_hash *leaf);
void tlog_range_root(const struct tlog_range *r, tlog_hash *out);

/* Source of stored hashes for proof generation: returns in *out the hash
 * of the complete subtree at `level` (leaf = level 0) and index `idx`,
 * i.e. MTH(D[idx*2^level : (idx+1)*2^level]). Return 0 or a BF_E* code. */
typedef int (*tlog_hash_reader)(void *ctx, int level, uint64_t idx, tlog_hash *out, struct bf_err *err);

/* MTH of the first `size` leaves, from stored complete subtrees. */
int tlog_tree_hash(uint64_t size, tlog_hash_reader rd, void *ctx, tlog_hash *out, struct bf_err *err);

/* RFC 6962 PATH(index, D[size]): writes up to TLOG_MAX_PROOF hashes into
 * proof and their count into *n. */
int tlog_prove_inclusion(uint64_t index, uint64_t size, tlog_hash_reader rd, void *ctx,
                         tlog_hash *proof, int *n, struct bf_err *err);
/* RFC 6962 PROOF(m, D[n]) for 0 < m <= n (m == n gives an empty proof). */
int tlog_prove_consistency(uint64_t m, uint64_t n, tlog_hash_reader rd, void *ctx,
                           tlog_hash *proof, int *np, struct bf_err *err);

/* Verification (transparency-dev/merkle rules, ledger.md §2 and §4):
 * inclusion fails if index >= size; consistency from m == 0 is rejected
 * (the witness endpoint handles `old 0` itself); m == n accepts iff the
 * proof is empty and the roots are equal. Return 0, BF_ECRYPTO or BF_EINVAL. */
int tlog_verify_inclusion(uint64_t index, uint64_t size, const tlog_hash *leaf,
                          const tlog_hash *proof, int n, const tlog_hash *root, struct bf_err *err);
int tlog_verify_consistency(uint64_t m, uint64_t n, const tlog_hash *root_m, const tlog_hash *root_n,
                            const tlog_hash *proof, int np, struct bf_err *err);

/* ---- Keys and signed notes (note.c) -------------------------------- */

#define TLOG_KEY_ED25519 0x01
#define TLOG_KEY_COSIG_V1 0x04
#define TLOG_NAME_MAX 256

/* A verifier key "name+hex8+base64(type ‖ pubkey)" (split on the first two
 * '+' only). */
struct tlog_vkey {
    char name[TLOG_NAME_MAX];
    uint32_t id;                 /* key ID, big-endian first 4 bytes of SHA-256(name ‖ '\n' ‖ type ‖ pub) */
    uint8_t type;                /* TLOG_KEY_ED25519 or TLOG_KEY_COSIG_V1 */
    uint8_t pub[32];
};

/* A signing key: the x/mod form "PRIVATE+KEY+name+hex8+base64(type ‖ seed)". */
struct tlog_skey {
    char name[TLOG_NAME_MAX];
    uint32_t id;
    uint8_t type;
    uint8_t seed[32];
    uint8_t pub[32];
};

int tlog_vkey_parse(const char *s, size_t len, struct tlog_vkey *out, struct bf_err *err);
int tlog_vkey_format(const struct tlog_vkey *k, struct bf_buf *out);           /* appends, no newline */
int tlog_skey_parse(const char *s, size_t len, struct tlog_skey *out, struct bf_err *err);
int tlog_skey_format(const struct tlog_skey *k, struct bf_buf *out);           /* appends, no newline */
/* New key from 32 random seed bytes (or the given seed if non-NULL). */
int tlog_skey_generate(const char *name, uint8_t type, const uint8_t *seed, struct tlog_skey *out, struct bf_err *err);
void tlog_skey_public(const struct tlog_skey *k, struct tlog_vkey *out);
/* 1 if valid: non-empty, < TLOG_NAME_MAX bytes, UTF-8, no Unicode
 * whitespace, no '+', no control characters. */
int tlog_key_name_valid(const char *name, size_t len);

/* A parsed note. text points into the caller's buffer (not copied);
 * signatures are decoded. Valid while the input buffer lives. */
struct tlog_sig {
    const char *name; size_t name_len;
    uint32_t id;
    const uint8_t *sig; size_t sig_len;   /* bytes after the 4-byte key ID, in sigbuf;
                                             sig is NULL (sig_len still set) when a long
                                             foreign signature (e.g. ML-DSA) did not fit
                                             sigbuf: it can never verify with our key types */
};
struct tlog_note {
    const char *text; size_t text_len;    /* ends in '\n' */
    int nsig;
    struct tlog_sig sigs[TLOG_MAX_SIGS];
    uint8_t sigbuf[TLOG_MAX_SIGS * 128];  /* decoded signature bytes */
};

/* Splits a note at its last blank line and decodes the signature lines.
 * Checks UTF-8 and control characters (x/mod rule: no byte below 0x20
 * other than '\n'), key names, strict base64 of at least 5 bytes per
 * signature. More than TLOG_MAX_SIGS lines is BF_ELIMIT; any other flaw
 * is BF_EINVAL. Does not verify. */
int tlog_note_parse(const char *s, size_t len, struct tlog_note *out, struct bf_err *err);

/* Appends one signature line "— name base64(id ‖ sig)\n" for text, which
 * must end in '\n' and satisfy the note character rules. k must be an
 * Ed25519 key (type 0x01; cosigners use tlog_cosign). */
int tlog_note_sign(const struct tlog_skey *k, const char *text, size_t len, struct bf_buf *line, struct bf_err *err);

/* Verifies the note with the given keys: signatures from unknown (name,
 * id) pairs are ignored; a known key whose signature fails rejects the
 * note (BF_ECRYPTO); no verified known key rejects it (BF_ECRYPTO). For
 * cosignature keys (type 0x04) the 76-byte cosignature/v1 form is checked
 * and its timestamp stored in cosig_time[i] if cosig_time is non-NULL
 * (an array of nkeys; 0 for keys that are not cosigners or did not sign).
 * A signature of the wrong length for its key's type counts as failing.
 * Returns the number of keys that verified (> 0) or a negative code. */
int tlog_note_verify(const struct tlog_note *n, const struct tlog_vkey *keys, int nkeys,
                     uint64_t *cosig_time, struct bf_err *err);

/* ---- Checkpoints (checkpoint.c) ------------------------------------ */

/* Canonical unsigned decimal s[0..len) (no sign, no leading zeros, fits
 * in 64 bits), as in checkpoint sizes and witness requests: 0 or BF_EINVAL. */
int tlog_parse_u64(const char *s, size_t len, uint64_t *out);

struct tlog_checkpoint {
    char origin[TLOG_NAME_MAX];
    uint64_t size;
    tlog_hash root;
    const char *ext; size_t ext_len;      /* extension lines, into the note text */
};

/* Parses the text of a note (as from tlog_note_parse) as a checkpoint:
 * origin, canonical decimal size, base64 root, optional non-empty lines.
 * The origin may be any non-empty UTF-8 line without control characters
 * shorter than TLOG_NAME_MAX (sum.golang.org's has spaces); ext is NULL
 * when there are no extension lines. BF_EINVAL on any flaw. */
int tlog_checkpoint_parse(const char *text, size_t len, struct tlog_checkpoint *out, struct bf_err *err);
/* Appends "origin\nsize\nbase64(root)\n". BF_EINVAL for an origin the
 * parser would refuse; nothing is appended on error. */
int tlog_checkpoint_format(const char *origin, uint64_t size, const tlog_hash *root, struct bf_buf *out);
/* Whole signed checkpoint: text + "\n" + signature line of k (an Ed25519
 * key, type 0x01). Nothing is appended on error. */
int tlog_checkpoint_sign(const struct tlog_skey *k, const char *origin, uint64_t size,
                         const tlog_hash *root, struct bf_buf *out, struct bf_err *err);

/* ---- Cosignatures (cosig.c) ---------------------------------------- */

/* Appends a cosignature/v1 line over the full checkpoint text (extension
 * lines included) at UNIX time t: "— name base64(id ‖ u64be t ‖ sig)\n". */
int tlog_cosign(const struct tlog_skey *witness, const char *text, size_t len, uint64_t t,
                struct bf_buf *line, struct bf_err *err);

/* ---- Tiles (tile.c) ------------------------------------------------ */

struct tlog_tile {
    int level;        /* 0..63 for hash tiles; -1 for an entry bundle */
    uint64_t n;       /* tile index */
    int width;        /* 1..256; 256 = full */
};

/* Parses the part of a path after "tile/": "<L>/<N>[.p/<W>]" or
 * "entries/<N>[.p/<W>]". Rejects non-canonical N (e.g. "x000/001", missing
 * x prefixes, leading zeros), W outside 1..255, L outside 0..63, trailing
 * characters. */
int tlog_tile_parse_path(const char *s, size_t len, struct tlog_tile *out, struct bf_err *err);
/* Appends the path (without "tile/" prefix) for t. */
int tlog_tile_format_path(const struct tlog_tile *t, struct bf_buf *out);
/* Width of tile (level, n) in a tree of `size` leaves: 256 if full, 1..255
 * if partial, 0 if it does not exist yet. Entry bundles use level 0. */
int tlog_tile_width(int level, uint64_t n, uint64_t size);
/* Hash i of tile (level, n) covers leaves [(n*256+i)*256^level, +256^level). */

/* Appends the t->width * 32 bytes of hash tile t (level 0..7): hash i is
 * read from rd at Merkle level 8*level, index n*256+i. On error nothing is
 * appended. */
int tlog_tile_hashes(const struct tlog_tile *t, tlog_hash_reader rd, void *ctx, struct bf_buf *out,
                     struct bf_err *err);
/* Appends one entry to an entry bundle as u16be length ‖ entry. BF_ELIMIT
 * if len > TLOG_MAX_ENTRY (or the buffer is full); nothing appended then. */
int tlog_bundle_append(struct bf_buf *out, const void *entry, size_t len);
/* Walks a bundle: start with *pos = 0. Returns 1 and sets *entry (into b)
 * and *len for the next entry, 0 at the end, BF_EINVAL if truncated. */
int tlog_bundle_next(const uint8_t *b, size_t blen, size_t *pos, const uint8_t **entry, size_t *len);

/* ---- Receipts: c2sp.org/tlog-proof@v1 (proof.c) -------------------- */

struct tlog_receipt {
    uint64_t index;
    int n;
    tlog_hash proof[TLOG_MAX_PROOF];
    const uint8_t *extra; size_t extra_len;   /* decoded "extra" line or NULL */
    const char *checkpoint; size_t checkpoint_len; /* verbatim signed note, into the input */
    uint8_t extrabuf[1024];
};

/* Appends the receipt text; checkpoint is the signed note, copied
 * verbatim. BF_EINVAL if n is outside 0..64 or cplen is 0; on any error
 * nothing is appended. */
int tlog_receipt_format(uint64_t index, const tlog_hash *proof, int n,
                        const char *checkpoint, size_t cplen, struct bf_buf *out);
/* Same with an "extra" line (1..1024 bytes; extra == NULL omits it). */
int tlog_receipt_format_extra(uint64_t index, const tlog_hash *proof, int n, const void *extra,
                              size_t extra_len, const char *checkpoint, size_t cplen, struct bf_buf *out);
/* Parses the framing (header, extra, canonical index, 32-byte hashes,
 * blank line); checkpoint points into s and must not be empty. Does not
 * verify anything. */
int tlog_receipt_parse(const char *s, size_t len, struct tlog_receipt *out, struct bf_err *err);
/* Full offline check: parses the checkpoint note, verifies it with keys
 * (origin must equal the first key's name), then the inclusion of
 * leaf_hash at r->index in it. On success fills *cp if non-NULL.
 * keys[0] is the log key and its signature is required; any other key
 * (witness) whose signature is present must verify, but none is required
 * (call tlog_note_verify for a witness quorum). BF_EINVAL for a malformed
 * checkpoint, BF_ECRYPTO for a signature, origin or proof that fails.
 * cp->ext points into r->checkpoint. */
int tlog_receipt_verify(const struct tlog_receipt *r, const tlog_hash *leaf_hash,
                        const struct tlog_vkey *keys, int nkeys, struct tlog_checkpoint *cp, struct bf_err *err);

#endif
