/*
 * ocds_merge_text_int.h - the state ocds_merge_text.c (the walk and the
 * placing of paths) shares with ocds_merge_text_write.c (the JCS writer):
 * the path trie whose nodes carry both merges' values and, per merge, the
 * node's place in that merge's light output tree. See ocds_merge_text.c
 * for the method and the invariants. Not for other files.
 */
#ifndef BELFRY_OCDS_MERGE_TEXT_INT_H
#define BELFRY_OCDS_MERGE_TEXT_INT_H

#include <stdint.h>
#include <jansson.h>

#include "arena.h"
#include "buf.h"

struct ocds_rnode;

enum { MC = 0, MV = 1 };                            /* the compiled and the versioned merge */
enum { K_NONE = 0, K_LEAF, K_OBJ, K_ARR };          /* what a path holds in a merge's tree */
enum { TK_KEY = 'k', TK_ID = 'i', TK_UNIQUE = 'u', TK_POS = 'p' }; /* what a path component is */

/* One version of a versioned path: the value of release rel. */
struct ver {
    const json_t *value;
    struct ver *next;
    uint32_t rel;
};

struct pnode;

/* A path's node in one merge's output tree. Containers list their
 * children (placed by later paths) after the members or elements of the
 * leaf value they grew from (base, or the path's own versions). An item
 * object's id is its node's idval (item_id). Kept small: a record has a
 * few hundred nodes and the walk, the placing and the writer all go
 * through them, so their bytes are the merge's working set. */
struct oslot {
    unsigned char kind, registered, base_vers;
    uint32_t nkids;
    const json_t *base;          /* K_OBJ/K_ARR grown from a leaf value */
    struct pnode *first, *last;  /* children in placement order */
    struct pnode *next;          /* next sibling in the parent */
};

/* A path of the merge: a member name, an item id, a unique token or an
 * index under its parent, with what each merge holds there. */
struct pnode {
    struct pnode *parent;
    const char *name;
    size_t len;
    uint32_t h;       /* the trie's hash */
    uint32_t depth;
    uint32_t plen[2]; /* ocds_merge.c's path length in bytes, per merge (saturated) */
    char tag;
    unsigned sticky : 1, c_entry : 1, c_deleted : 1, v_entry : 1, v_plain : 1, rule_set : 1;
    unsigned key_clean : 1; /* members: the name is written without escapes */
    unsigned in_trie : 1;   /* some child of this node is in the trie */
    unsigned is_id : 1;     /* a member named "id" */
    unsigned has_id : 1;    /* a member named "id" is among skids */
    unsigned unsorted : 1;  /* members in the trie's hash, not skids: the writer sorts */
    unsigned vc_same : 1;   /* the last version is the compiled value (same JCS text) */
    unsigned c_text : 1;    /* the compiled value was written as text c_off[0..c_len) */
    uint32_t c_off, c_len;  /* in mtext.cout, for the versioned writer to copy */
    uint32_t nkeys;         /* members among skids */
    uint64_t kpre;          /* members: the name's first 8 bytes, big-endian (ocds_jcs_key_prefix) */
    struct pnode *skids;    /* the member children in JCS order, both merges' */
    struct pnode *snext;    /* the next member in the parent's skids */
    const struct ocds_rnode *rule; /* member names: the rule of the path (once rule_set) */
    struct pnode *hint_first;      /* the first member met last time in the object at this path */
    struct pnode *hint_next;       /* the member met after this one last time */
    const json_t *idval; /* items: the first original id seen */
    const json_t *cval;  /* compiled value */
    struct ver *vfirst, *vlast;
    struct oslot o[2];
};

/* A release in merge order and the text every one of its versions starts
 * with: {"releaseDate":..,"releaseID":..,"releaseTag":..,"value": */
struct mrel {
    const json_t *r;
    json_t *hdr_id; /* compiled "id": "<ocid>-<date>" */
    char *prefix;   /* NULL when id or tag cannot be canonicalized */
    size_t plen;
    int vdepth;     /* nesting depth of id and tag */
};

enum { H_ID, H_DATE, H_OCID, H_TAG, H_N }; /* the root members every release sets */

/* One ocds_merge_texts call: everything is freed at its end. */
struct mtext {
    int want[2]; /* compiled, versioned asked for */
    struct pnode root;
    struct pnode **slots; /* trie: (parent, tag, name) -> node, for items and the members of wide objects */
    struct pnode *pool;   /* the rest of the current block of nodes */
    size_t npool;
    struct ver *vpool;    /* and of versions */
    size_t nvpool;
    struct pnode *hdr[H_N]; /* the root's H_* members, once looked up */
    size_t nslots, count;
    struct pnode **ent[2]; /* each merge's paths in first-emitted order */
    size_t nent[2], capent[2];
    size_t uniq[2];
    struct mrel *rels;
    uint32_t cur;
    json_t *ctag;
    struct bf_buf tmp;
    struct bf_arena arena;
    struct bf_err *err;
    const json_t *ocid; /* versioned: the root's "ocid", not versioned (v_plain) */
    const struct bf_buf *cout; /* the compiled text, once written (c_text) */
};

/* The leaf value of p in merge md: *vers set when it is p's versions. */
static inline const json_t *leaf_value(const struct mtext *m, const struct pnode *p, int md, int *vers)
{
    *vers = 0;
    if (md == MC)
        return p->cval;
    if (p->v_plain)
        return m->ocid;
    *vers = 1;
    return NULL;
}

/* The original id of the item object at p (NULL for members). */
static inline const json_t *item_id(const struct pnode *p)
{
    return p->tag != TK_KEY ? p->idval : NULL;
}

/* Writes merge md's tree (placed by ocds_merge_text.c) as JCS to out;
 * errors as ocds_jcs would give them for the merged tree. */
int ocds_merge_text_write(struct mtext *m, int md, struct bf_buf *out);

#endif
