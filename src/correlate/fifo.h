/* A FIFO of packets with two hash chains: the matching window's pending
 * and held packets (window.c).
 *
 * Entries are numbered by ticket (slot = ticket & (cap - 1)); the chains (by
 * fingerprint, or by attempt and sender for held packets; and by "the same
 * bytes") link each entry to the previous one in its bucket, newest first,
 * and end at a ticket that has left. The small helpers are inline: the
 * window asks for buckets ahead of its lookups (prefetching). */
#ifndef TW_CORRELATE_FIFO_H
#define TW_CORRELATE_FIFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "correlate/internal.h"

struct tw_fifo_entry {
    struct tw_seen s;
    int64_t t_ns;               /* merged time (a's clock) */
    uint64_t prev_fp, prev_key; /* ticket + 1 of the previous entry in the chain; 0: none */
    bool is_matched;
    bool is_uncompared; /* walked on a wrong clock (a clock step): left out when it leaves */
};

struct tw_fifo {
    struct tw_fifo_entry *v;
    size_t cap, max_cap;
    uint64_t head, tail; /* tickets */
    uint64_t *fp_bucket, *key_bucket;
    size_t mask;
    bool is_by_attempt; /* the first chain by attempt and sender, not fingerprint */
};

/* The same bytes: a retransmission of the packet, whatever its TSval. */
static inline uint64_t tw_fifo_bytes_key(const struct tw_seen *s)
{
    return tw_mix_key(((uint64_t)s->isn << 32 | s->seq) ^
                       tw_mix_key((uint64_t)s->payload_len << 16 |
                                   (uint64_t)(s->tcp_flags & 0x07) << 8 | s->side));
}

static inline uint64_t tw_fifo_attempt_key(uint32_t isn, int side)
{
    return tw_mix_key((uint64_t)isn << 1 | (unsigned)side);
}

/* cap is a power of two: a mask, not a division, on every access */
static inline struct tw_fifo_entry *tw_fifo_at(const struct tw_fifo *q, uint64_t ticket)
{
    return &q->v[ticket & (q->cap - 1)];
}

/* The chain link, or 0 when it points to an entry that has left. */
static inline uint64_t tw_fifo_live(const struct tw_fifo *q, uint64_t link)
{
    return link > q->head ? link : 0;
}

/* Starts small: memory follows what the window holds, up to max_cap
 * (rounded down to a power of two). False when out of memory. */
bool tw_fifo_init(struct tw_fifo *q, size_t max_cap, bool is_by_attempt);
void tw_fifo_free(struct tw_fifo *q);

/* No room left, even after growing. */
bool tw_fifo_full(struct tw_fifo *q);

/* Call only when !tw_fifo_full(q). */
struct tw_fifo_entry *tw_fifo_push(struct tw_fifo *q, const struct tw_seen *s, int64_t t_ns);

/* The oldest unmatched entry with this fingerprint. */
struct tw_fifo_entry *tw_fifo_find(const struct tw_fifo *q, uint64_t fp);

/* An ack the other capture holds: the held packets of that attempt, sent
 * the other way, whose bytes it covers were received (held: by attempt). */
void tw_fifo_note_acked(const struct tw_fifo *held, const struct tw_seen *ack);

/* A packet of the same bytes reached the other point at s->ts_ns: the
 * earlier unmatched copies held in q were retransmitted. */
void tw_fifo_note_retransmitted(const struct tw_fifo *q, const struct tw_seen *s);

/* Does q hold a matched packet of the same bytes as s, later than t_ns
 * (merged time)? Either capture's copy of a later retransmission is in its
 * window while s leaves unmatched. */
bool tw_fifo_has_matched_copy(const struct tw_fifo *q, const struct tw_seen *s, int64_t t_ns);

#endif
