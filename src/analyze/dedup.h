/* Copies from a mirrored (SPAN) port: the same packet captured twice within
 * microseconds, once on the way in and once on the way out of the mirrored
 * box. The second copy is counted and left out, so it is not taken for a
 * retransmission. A packet counts as a copy when its fingerprint (what a
 * router leaves alone), ports included, was seen less than TW_DEDUP_WINDOW_NS
 * before: no TCP retransmits that fast (Linux's minimum RTO is 200 ms). A
 * fixed direct-mapped table: bounded memory, and a copy whose slot was
 * taken in between is simply not recognised. */
#ifndef TW_ANALYZE_DEDUP_H
#define TW_ANALYZE_DEDUP_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "decode/decode.h"

#define TW_DEDUP_WINDOW_NS 1000000LL /* 1 ms */

typedef struct tw_dedup tw_dedup;

tw_dedup *tw_dedup_new(struct tw_error *err) TW_MUST_CHECK;
void tw_dedup_free(tw_dedup *d);

/* True when pkt (TCP) is a copy of one seen within the window. */
bool tw_dedup_is_copy(tw_dedup *d, const struct tw_packet *pkt);

#endif
