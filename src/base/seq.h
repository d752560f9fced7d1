/* TCP sequence-number arithmetic modulo 2^32 (RFC 9293 section 3.4).
 * Sequence numbers are uint32_t and are compared only through these. */
#ifndef TW_BASE_SEQ_H
#define TW_BASE_SEQ_H

#include <stdbool.h>
#include <stdint.h>

/* Signed distance from a to b: positive when b is after a. */
static inline int32_t tw_seq_diff(uint32_t a, uint32_t b) { return (int32_t)(b - a); }

static inline bool tw_seq_lt(uint32_t a, uint32_t b) { return tw_seq_diff(a, b) > 0; }

static inline bool tw_seq_le(uint32_t a, uint32_t b) { return tw_seq_diff(a, b) >= 0; }

/* a <= x < a + len */
static inline bool tw_seq_in(uint32_t x, uint32_t a, uint32_t len) { return x - a < len; }

/* A few disjoint ranges [start, end) of sequence space, in order: the bytes
 * of one direction of a connection that a capture holds. Data comes nearly
 * in order, so one range usually grows and a hole opens a second; past
 * TW_SEQ_RANGES the lowest (oldest) range is forgotten. */
#define TW_SEQ_RANGES 4
struct tw_seq_ranges {
    uint8_t n;
    uint32_t start[TW_SEQ_RANGES], end[TW_SEQ_RANGES];
};

/* Adds [start, end), merging the ranges it overlaps or touches. */
static inline void tw_seq_ranges_add(struct tw_seq_ranges *r, uint32_t start, uint32_t end)
{
    /* the usual case, data in order: the last range grows */
    int last = r->n - 1;
    if (r->n && tw_seq_le(r->start[last], start) && tw_seq_le(start, r->end[last])) {
        if (tw_seq_lt(r->end[last], end))
            r->end[last] = end;
        return;
    }
    uint32_t st[TW_SEQ_RANGES + 1], en[TW_SEQ_RANGES + 1];
    int n = 0;
    bool is_placed = false;
    for (int i = 0; i < r->n; i++) {
        if (tw_seq_le(r->start[i], end) && tw_seq_le(start, r->end[i])) {
            start = tw_seq_lt(r->start[i], start) ? r->start[i] : start;
            end = tw_seq_lt(end, r->end[i]) ? r->end[i] : end;
            continue;
        }
        if (!is_placed && tw_seq_lt(end, r->start[i])) {
            st[n] = start, en[n++] = end;
            is_placed = true;
        }
        st[n] = r->start[i], en[n++] = r->end[i];
    }
    if (!is_placed)
        st[n] = start, en[n++] = end;
    /* one more than fits at most: the lowest goes */
    int first = n > TW_SEQ_RANGES ? n - TW_SEQ_RANGES : 0;
    r->n = (uint8_t)(n - first);
    for (int i = first; i < n; i++)
        r->start[i - first] = st[i], r->end[i - first] = en[i];
}

/* True when one range holds all of [start, end). */
static inline bool tw_seq_ranges_hold(const struct tw_seq_ranges *r, uint32_t start, uint32_t end)
{
    for (int i = 0; i < r->n; i++)
        if (tw_seq_le(r->start[i], start) && tw_seq_le(end, r->end[i]))
            return true;
    return false;
}

#endif
