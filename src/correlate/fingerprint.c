/* A packet's fingerprint: what stays the same when it crosses a router or a
 * NAT. Used to find the same packet in two captures (match.c) and the
 * second copy of a packet on a mirrored port (analyze/). */
#include "correlate/correlate.h"

#include "base/hash.h"

/* What stays the same when a packet crosses a router or a NAT: sequence
 * numbers, flags, length, TCP timestamps, and the IPv4 ID (masquerading
 * keeps it). Addresses, ports, TTL and checksums change; a retransmission
 * differs in TSval or IP ID. */
uint64_t tw_packet_fingerprint(const struct tw_packet *p)
{
    const struct tw_segment *s = &p->tcp;
    /* Three words mixed side by side, then together: every packet of a
     * file is fingerprinted in the reading thread, and mixing one field
     * after another made a chain of five dependent mixes. */
    uint64_t numbers = (uint64_t)s->seq << 32 | ((s->flags & TW_TCP_ACK) ? s->ack : 0);
    uint64_t shape = (uint64_t)(s->flags & 0x3f) << 32 | (uint64_t)s->has_ts << 38 |
                     (uint64_t)(p->has_ip_id ? 0x10000u | p->ip_id : 0) << 40 | s->payload_len;
    uint64_t stamps = s->has_ts ? (uint64_t)s->tsval << 32 | s->tsecr : 0;
    uint64_t a = tw_mix64(numbers ^ 0x9e3779b97f4a7c15ULL);
    uint64_t b = tw_mix64(shape ^ 0xc2b2ae3d27d4eb4fULL);
    uint64_t c = tw_mix64(stamps ^ 0x165667b19e3779f9ULL);
    return tw_mix64(a + (b << 21 | b >> 43) + (c << 42 | c >> 22));
}
