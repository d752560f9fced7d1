/* What is known of each host across its connections: the TTL its packets
 * arrive with and the shortest handshake round trip to it. A RST whose TTL
 * differs from its claimed sender's other packets, or that comes back faster
 * than a round trip to that host allows, was sent by a box in the path.
 *
 * A fixed-size, direct-mapped cache keyed by address: a newer host may take
 * an older one's slot, so the memory never grows and a lookup may find
 * nothing. */
#ifndef TW_TRACK_HOSTS_H
#define TW_TRACK_HOSTS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "decode/decode.h"

typedef struct tw_hosts tw_hosts;

struct tw_host {
    struct tw_addr addr;
    uint8_t ttl;            /* of its last packet other than a RST; 0: unknown */
    int64_t min_rtt_ns;     /* shortest SYN -> SYN+ACK seen to it; 0: unknown */
};

tw_hosts *tw_hosts_new(struct tw_error *err) TW_MUST_CHECK;
void tw_hosts_free(tw_hosts *h);

/* Notes a packet that addr sent (RSTs are not noted: they may be forged). */
void tw_hosts_note_ttl(tw_hosts *h, const struct tw_addr *addr, uint8_t ttl);
void tw_hosts_note_rtt(tw_hosts *h, const struct tw_addr *addr, int64_t rtt_ns);

/* The entry for addr, or NULL when none is kept. Borrowed until the next call. */
const struct tw_host *tw_hosts_find(const tw_hosts *h, const struct tw_addr *addr);

#endif
