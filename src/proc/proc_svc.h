/*
 * proc_svc.h - the lifecycle as a service, independent of the transport:
 * the HTTP handlers (proc_http.c) and `belfry proc` (cmd_proc.c) both
 * call it. It loads and saves procedures, applies steps, opens
 * disclosures and publishes releases with ocds_publish.
 *
 * Access: the caller has authenticated who and checked its role (writes
 * are for officers); the service checks that an officer only reads and
 * drives procedures of its own buyer.
 *
 * Replies: every call fills a struct proc_reply with an HTTP-style status
 * and a JSON object body the caller owns (json_decref): the result, or
 * the standard error {"error":{"status","code","message"[,"rule",
 * "issues","deadlines"]}}.
 *
 * Thread safety: one proc_svc per process, shared by all threads; writes
 * and reads of procedures are serialised inside.
 */
#ifndef BELFRY_PROC_SVC_H
#define BELFRY_PROC_SVC_H

#include <stddef.h>
#include <jansson.h>

#include "proc/proc.h"

struct bf_err;
struct store;
struct ledger;
struct auth_principal;
struct proc_svc;

struct proc_reply {
    int status;
    json_t *body;
};

/* ledger may be NULL (reads only: publishing steps then fail with 501). */
int proc_svc_new(struct store *s, struct ledger *l, struct proc_svc **out, struct bf_err *err);
void proc_svc_free(struct proc_svc *svc);

/* Standard error body. */
json_t *proc_svc_error(int status, const char *code, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Starts a procedure for who's buyer (201 {ocid, releaseId, logIndex,
 * duplicate, procedure}); dry: 200 {valid, issues, procedure}. */
void proc_svc_create(struct proc_svc *svc, const struct auth_principal *who, const char *text, size_t len, int dry,
                     struct proc_reply *out);
/* Applies step to ocid (201 as above); dry: 200 {valid, issues,
 * deadlines, allowedSteps}. */
void proc_svc_step(struct proc_svc *svc, const struct auth_principal *who, const char *ocid, enum proc_step step,
                   const char *text, size_t len, int dry, struct proc_reply *out);
/* 200 proc_view + lastReleaseId. */
void proc_svc_get(struct proc_svc *svc, const struct auth_principal *who, const char *ocid, struct proc_reply *out);
/* 200 {procedures, total, offset, limit}; officers always get their own
 * buyer's, whatever buyer says. */
void proc_svc_list(struct proc_svc *svc, const struct auth_principal *who, const char *buyer, const char *state,
                   int offset, int limit, struct proc_reply *out);

#endif
