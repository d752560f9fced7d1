/* A bounded queue of fixed-size slots between one producer thread and one
 * consumer thread.
 *
 * Threads in tcpwhy pass work through such a queue and never share a table
 * (style.md). Slots are filled and read in place: the producer asks for a
 * free slot, fills it and pushes it; the consumer takes the oldest pushed
 * slot, reads it and releases it. Work is passed in batches (a slot holds
 * many packets or records), so one lock per batch is all the locking.
 * Either side may close the queue: the producer when it has no more, the
 * consumer when it wants no more (the producer's next request then fails,
 * so it stops instead of waiting for room that never comes). */
#ifndef TW_BASE_QUEUE_H
#define TW_BASE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct tw_queue tw_queue;

/* NULL when out of memory. */
tw_queue *tw_queue_new(size_t n_slots, size_t slot_bytes);
void tw_queue_free(tw_queue *q);

/* Producer: a free slot, waiting while all are full; NULL once closed. */
void *tw_queue_reserve(tw_queue *q);
/* Producer: a free slot, or NULL when all are full or the queue is closed,
 * without waiting (a producer that runs before its consumer). */
void *tw_queue_try_reserve(tw_queue *q);
/* Producer: the slot from tw_queue_reserve() is ready for the consumer. */
void tw_queue_push(tw_queue *q);

/* Consumer: the oldest pushed slot, waiting while there is none; NULL when
 * the queue is closed and every pushed slot was taken. */
void *tw_queue_take(tw_queue *q);
/* Consumer: done with the slot from tw_queue_take(). */
void tw_queue_release(tw_queue *q);

/* Consumer, looking ahead without taking: waits until n slots are pushed
 * or the queue is closed; returns how many are pushed (at most n_slots).
 * tw_queue_pushed_at(q, i), i below that, is the i-th oldest of them. */
size_t tw_queue_wait_pushed(tw_queue *q, size_t n);
void *tw_queue_pushed_at(tw_queue *q, size_t i);

/* Before either side uses q: a side that waits is woken only once half the
 * slots are ready for it (pushed for the consumer, free for the producer),
 * or at close, not for every slot: fewer wake-ups (each a system call),
 * each for more work. For offline work, where latency does not matter. */
void tw_queue_wake_in_halves(tw_queue *q);

/* No more slots will be pushed, or taken; wakes both sides. */
void tw_queue_close(tw_queue *q);

#endif
