/*
 * waiter.h - waiting on this thread for a `void done(void *arg)` callback
 * that another thread makes once: the blocking form of an asynchronous
 * call (ledger_append over ledger_append_async, ocds_publish_batch over
 * ocds_publish_begin). bf_waiter_done is the callback, with the waiter as
 * its argument; bf_waiter_wait returns once it was called (before or
 * after the wait began) and leaves the waiter spent.
 */
#ifndef BELFRY_WAITER_H
#define BELFRY_WAITER_H

#include <errno.h>
#include <semaphore.h>

struct bf_waiter {
    sem_t sem;
};

static inline void bf_waiter_init(struct bf_waiter *w)
{
    sem_init(&w->sem, 0, 0);
}

static inline void bf_waiter_done(void *arg)
{
    sem_post(&((struct bf_waiter *)arg)->sem);
}

static inline void bf_waiter_wait(struct bf_waiter *w)
{
    while (sem_wait(&w->sem) < 0 && errno == EINTR)
        ;
    sem_destroy(&w->sem);
}

#endif
