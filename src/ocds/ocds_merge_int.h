/*
 * ocds_merge_int.h - internals shared by ocds_merge.c (the merge engine)
 * and ocds_merge_rules.c (the rule tree). Not part of the OCDS contract.
 */
#ifndef BELFRY_OCDS_MERGE_INT_H
#define BELFRY_OCDS_MERGE_INT_H

#include <stddef.h>

struct ocds_merge_rules;

/* One property name along a rule path; array levels are left out, so the
 * children of an array's node are the properties of its items. */
struct ocds_rnode {
    char *name;
    size_t len;
    unsigned flags; /* OCDS_MERGE_* */
    struct ocds_rnode **kids;
    size_t nkids, cap;
};

/* Root of a rule tree (NULL for NULL rules); child by name or NULL. */
const struct ocds_rnode *ocds_merge_rules_root(const struct ocds_merge_rules *r);
const struct ocds_rnode *ocds_rnode_child(const struct ocds_rnode *n, const char *name, size_t len);

#endif
