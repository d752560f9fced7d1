/* The bounded single-producer, single-consumer queue (queue.h): a ring of
 * slots, one mutex and two condition variables. */
#include "base/queue.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

struct tw_queue {
    pthread_mutex_t lock;
    pthread_cond_t has_room, has_work;
    unsigned char *slots;
    size_t slot_bytes, n_slots;
    size_t head;       /* oldest pushed slot */
    size_t n_pushed;   /* pushed and not released */
    size_t wake_at;    /* a waiting side is woken when this many slots are ready for it */
    bool is_closed;
};

tw_queue *tw_queue_new(size_t n_slots, size_t slot_bytes)
{
    if (n_slots == 0 || slot_bytes == 0 || n_slots > SIZE_MAX / slot_bytes)
        return NULL;
    tw_queue *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->slots = malloc(n_slots * slot_bytes);
    if (!q->slots) {
        free(q);
        return NULL;
    }
    q->n_slots = n_slots;
    q->slot_bytes = slot_bytes;
    q->wake_at = 1;
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->has_room, NULL);
    pthread_cond_init(&q->has_work, NULL);
    return q;
}

void tw_queue_free(tw_queue *q)
{
    if (!q)
        return;
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->has_room);
    pthread_cond_destroy(&q->has_work);
    free(q->slots);
    free(q);
}

void *tw_queue_reserve(tw_queue *q)
{
    pthread_mutex_lock(&q->lock);
    while (!q->is_closed && q->n_pushed == q->n_slots)
        pthread_cond_wait(&q->has_room, &q->lock);
    void *slot = q->is_closed ? NULL
                              : q->slots + (q->head + q->n_pushed) % q->n_slots * q->slot_bytes;
    pthread_mutex_unlock(&q->lock);
    return slot;
}

void *tw_queue_try_reserve(tw_queue *q)
{
    pthread_mutex_lock(&q->lock);
    void *slot = q->is_closed || q->n_pushed == q->n_slots
                     ? NULL
                     : q->slots + (q->head + q->n_pushed) % q->n_slots * q->slot_bytes;
    pthread_mutex_unlock(&q->lock);
    return slot;
}

void tw_queue_push(tw_queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->n_pushed++;
    if (q->n_pushed >= q->wake_at)
        pthread_cond_signal(&q->has_work);
    pthread_mutex_unlock(&q->lock);
}

void *tw_queue_take(tw_queue *q)
{
    pthread_mutex_lock(&q->lock);
    while (!q->is_closed && q->n_pushed == 0)
        pthread_cond_wait(&q->has_work, &q->lock);
    void *slot = q->n_pushed ? q->slots + q->head * q->slot_bytes : NULL;
    pthread_mutex_unlock(&q->lock);
    return slot;
}

void tw_queue_release(tw_queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->head = (q->head + 1) % q->n_slots;
    q->n_pushed--;
    if (q->n_slots - q->n_pushed >= q->wake_at)
        pthread_cond_signal(&q->has_room);
    pthread_mutex_unlock(&q->lock);
}

size_t tw_queue_wait_pushed(tw_queue *q, size_t n)
{
    pthread_mutex_lock(&q->lock);
    while (!q->is_closed && q->n_pushed < n && q->n_pushed < q->n_slots)
        pthread_cond_wait(&q->has_work, &q->lock);
    size_t n_pushed = q->n_pushed;
    pthread_mutex_unlock(&q->lock);
    return n_pushed;
}

/* Pushed slots stay where they are until the consumer (the caller) releases them. */
void *tw_queue_pushed_at(tw_queue *q, size_t i)
{
    return q->slots + (q->head + i) % q->n_slots * q->slot_bytes;
}

void tw_queue_wake_in_halves(tw_queue *q)
{
    q->wake_at = q->n_slots / 2 > 1 ? q->n_slots / 2 : 1;
}

void tw_queue_close(tw_queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->is_closed = true;
    pthread_cond_broadcast(&q->has_room);
    pthread_cond_broadcast(&q->has_work);
    pthread_mutex_unlock(&q->lock);
}
