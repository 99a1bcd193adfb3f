/*
 * proc_store.h - the procedures table (src/store/sqlite_proc.c).
 *
 * One row per procedure: listing columns (buyer, type, state, seq, title,
 * what is due next and when) and the private state as JSON (facts,
 * accumulated release content including withheld values, pending withheld
 * declarations; see proc_serialize). pending holds {"actor", "release"}:
 * a release that was decided but is not yet known to be in the ledger,
 * with the actor that decided it (write-ahead): it is
 * set in the same transaction that advances the row and cleared once
 * ocds_publish has returned, and republished (idempotently) by whoever
 * finds it set. Never exposed on a public path.
 */
#ifndef BELFRY_PROC_STORE_H
#define BELFRY_PROC_STORE_H

#include <stdint.h>

struct bf_err;
struct store;
struct store_txn;

struct proc_row {
    char ocid[160];
    char buyer[128];
    char type[40];
    char state[16];
    int seq;
    char title[304];
    char next_step[24];
    char next_date[11];
    int64_t created, updated;
    char *data;     /* malloc'ed JSON text (caller frees) */
    char *pending;  /* malloc'ed release JSON text or NULL */
};

void proc_row_free(struct proc_row *r);

/* BF_EEXIST if the ocid is taken. */
int store_proc_insert(struct store_txn *t, const struct proc_row *r, struct bf_err *err);
/* Replaces the row if its seq is still expect_seq (else BF_ECONFLICT: a
 * concurrent step won). */
int store_proc_update(struct store_txn *t, const struct proc_row *r, int expect_seq, struct bf_err *err);
/* Clears pending if seq matches. */
int store_proc_clear_pending(struct store_txn *t, const char *ocid, int seq, struct bf_err *err);
/* BF_ENOTFOUND if absent. out->data and out->pending malloc'ed. */
int store_proc_get(struct store *s, const char *ocid, struct proc_row *out, struct bf_err *err);
/* Number of procedures of buyer (for ocid numbering). */
int store_proc_count(struct store *s, const char *buyer, int64_t *n, struct bf_err *err);
/* Rows of buyer (NULL: all) and state (NULL: any), soonest next date
 * first (rows without a date last), offset/limit paging; *total gets the
 * count of all matching rows. fn gets rows without data/pending. */
int store_proc_list(struct store *s, const char *buyer, const char *state, int offset, int limit,
                    int (*fn)(const struct proc_row *, void *), void *arg, int64_t *total, struct bf_err *err);

#endif
