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

#endif
