/*
 * err.h - Belfry's one error convention.
 *
 * A fallible function returns 0 on success or a negative BF_E* code, and
 * writes a human-readable message into the caller's struct bf_err (which
 * may be NULL when the caller does not care). The message says what was
 * wrong with which input, so it can go to a user unchanged:
 *
 *     struct bf_err err = {0};
 *     if (tlog_note_parse(text, len, &note, &err) < 0)
 *         fprintf(stderr, "belfry: %s\n", err.msg);
 *
 * Codes map onto HTTP statuses in one place (bf_err_http_status) so every
 * layer speaks the same language.
 */
#ifndef BELFRY_ERR_H
#define BELFRY_ERR_H

#include <stddef.h>

enum bf_code {
    BF_OK = 0,
    BF_EINVAL = -1,     /* malformed or out-of-range input (400) */
    BF_ENOMEM = -2,     /* allocation failed (500) */
    BF_EIO = -3,        /* operating system or storage failure (500) */
    BF_ENOTFOUND = -4,  /* no such object (404) */
    BF_ECONFLICT = -5,  /* state does not allow it; rule violated (409) */
    BF_ECORRUPT = -6,   /* stored data fails its own checks (500) */
    BF_ECRYPTO = -7,    /* signature or proof does not verify (422) */
    BF_ELIMIT = -8,     /* a size, count or rate limit was exceeded (413/429) */
    BF_EAUTH = -9,      /* missing, expired or revoked credentials (401) */
    BF_EFORBIDDEN = -10,/* valid credentials, wrong role (403) */
    BF_EEXIST = -11,    /* already exists (409) */
    BF_EUNSUPPORTED = -12, /* valid but not supported (415/501) */
    BF_ERATE = -13,     /* too many requests (429) */
};

struct bf_err {
    int code;
    char msg[512];
};

/* Record code and a printf-style message in err (if non-NULL); returns
 * code so callers can write `return bf_err_set(err, BF_EINVAL, ...)`. */
int bf_err_set(struct bf_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix the existing message with more context ("reading X: <old>"). */
int bf_err_wrap(struct bf_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Short stable name for a code ("invalid", "not-found", ...). */
const char *bf_err_name(int code);

/* HTTP status that represents code. */
int bf_err_http_status(int code);

#endif
