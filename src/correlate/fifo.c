/* The matching window's FIFOs of packets (fifo.h). */
#include "correlate/fifo.h"

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/seq.h"

void tw_fifo_free(struct tw_fifo *q)
{
    free(q->v);
    free(q->fp_bucket);
    free(q->key_bucket);
}

static bool alloc(struct tw_fifo *q, size_t cap)
{
    size_t nb = 16;
    while (nb < 2 * cap)
        nb *= 2;
    q->v = malloc(cap * sizeof *q->v);
    q->fp_bucket = tw_alloc_written(nb, sizeof *q->fp_bucket);
    q->key_bucket = tw_alloc_written(nb, sizeof *q->key_bucket);
    q->cap = cap;
    q->mask = nb - 1;
    return q->v && q->fp_bucket && q->key_bucket;
}

bool tw_fifo_init(struct tw_fifo *q, size_t max_cap, bool is_by_attempt)
{
    memset(q, 0, sizeof *q);
    q->max_cap = 1;
    while (q->max_cap * 2 <= max_cap)
        q->max_cap *= 2;
    max_cap = q->max_cap;
    q->is_by_attempt = is_by_attempt;
    return alloc(q, max_cap < 4096 ? max_cap : 4096);
}

static bool same_bytes(const struct tw_seen *a, const struct tw_seen *b)
{
    return a->side == b->side && a->seq == b->seq && a->payload_len == b->payload_len &&
           a->isn == b->isn && (a->tcp_flags & 0x07) == (b->tcp_flags & 0x07);
}

static uint64_t first_key(const struct tw_fifo *q, const struct tw_seen *s)
{
    return q->is_by_attempt ? tw_fifo_attempt_key(s->isn, s->side) : tw_mix_key(s->fp);
}

static void link_entry(struct tw_fifo *q, uint64_t t)
{
    struct tw_fifo_entry *e = tw_fifo_at(q, t);
    uint64_t *fb = &q->fp_bucket[first_key(q, &e->s) & q->mask];
    uint64_t *kb = &q->key_bucket[tw_fifo_bytes_key(&e->s) & q->mask];
    e->prev_fp = *fb;
    e->prev_key = *kb;
    *fb = *kb = t + 1;
}

/* Twice the room, entries and chains kept (their links are tickets). */
static bool grow(struct tw_fifo *q)
{
    struct tw_fifo g = *q;
    size_t cap = q->cap * 2 > q->max_cap ? q->max_cap : q->cap * 2;
    if (cap <= q->cap || !alloc(&g, cap)) {
        if (g.v != q->v)
            tw_fifo_free(&g);
        return false;
    }
    for (uint64_t t = q->head; t < q->tail; t++) {
        *tw_fifo_at(&g, t) = *tw_fifo_at(q, t);
        link_entry(&g, t);
    }
    tw_fifo_free(q);
    *q = g;
    return true;
}

bool tw_fifo_full(struct tw_fifo *q) { return q->tail - q->head == q->cap && !grow(q); }

struct tw_fifo_entry *tw_fifo_push(struct tw_fifo *q, const struct tw_seen *s, int64_t t_ns)
{
    uint64_t t = q->tail++;
    struct tw_fifo_entry *e = tw_fifo_at(q, t);
    e->s = *s;
    e->t_ns = t_ns;
    e->is_matched = false;
    e->is_uncompared = false;
    link_entry(q, t);
    return e;
}

struct tw_fifo_entry *tw_fifo_find(const struct tw_fifo *q, uint64_t fp)
{
    struct tw_fifo_entry *found = NULL;
    for (uint64_t l = tw_fifo_live(q, q->fp_bucket[tw_mix_key(fp) & q->mask]); l;
         l = tw_fifo_live(q, tw_fifo_at(q, l - 1)->prev_fp)) {
        struct tw_fifo_entry *e = tw_fifo_at(q, l - 1);
        if (e->s.fp == fp && !e->is_matched)
            found = e;
    }
    return found;
}

void tw_fifo_note_acked(const struct tw_fifo *held, const struct tw_seen *ack)
{
    if (!ack->has_isn || !(ack->tcp_flags & 0x10) || (ack->tcp_flags & 0x04))
        return;
    int sender = !ack->side;
    for (uint64_t l = tw_fifo_live(
             held, held->fp_bucket[tw_fifo_attempt_key(ack->isn, sender) & held->mask]);
         l; l = tw_fifo_live(held, tw_fifo_at(held, l - 1)->prev_fp)) {
        struct tw_fifo_entry *e = tw_fifo_at(held, l - 1);
        uint32_t end = tw_seen_end_seq(&e->s);
        if (e->s.isn == ack->isn && e->s.side == sender && e->s.has_isn &&
            !(e->s.tcp_flags & 0x04) && end != e->s.seq && tw_seq_le(end, ack->ack))
            e->s.is_acked = true;
    }
}

void tw_fifo_note_retransmitted(const struct tw_fifo *q, const struct tw_seen *s)
{
    if (q->head == q->tail)
        return;
    for (uint64_t l = tw_fifo_live(q, q->key_bucket[tw_fifo_bytes_key(s) & q->mask]); l;
         l = tw_fifo_live(q, tw_fifo_at(q, l - 1)->prev_key)) {
        struct tw_fifo_entry *e = tw_fifo_at(q, l - 1);
        if (e->s.ts_ns < s->ts_ns && same_bytes(&e->s, s))
            e->s.is_retransmitted = true;
    }
}

bool tw_fifo_has_matched_copy(const struct tw_fifo *q, const struct tw_seen *s, int64_t t_ns)
{
    for (uint64_t l = tw_fifo_live(q, q->key_bucket[tw_fifo_bytes_key(s) & q->mask]); l;
         l = tw_fifo_live(q, tw_fifo_at(q, l - 1)->prev_key)) {
        const struct tw_fifo_entry *e = tw_fifo_at(q, l - 1);
        if (e->is_matched && e->t_ns > t_ns && same_bytes(&e->s, s))
            return true;
    }
    return false;
}
