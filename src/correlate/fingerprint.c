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
    uint64_t h = tw_mix64(0x9e3779b97f4a7c15ULL ^ s->seq);
    h = tw_mix64(h ^ ((s->flags & TW_TCP_ACK) ? s->ack : 0));
    h = tw_mix64(h ^ ((uint64_t)(s->flags & 0x3f) << 32 | s->payload_len));
    if (s->has_ts)
        h = tw_mix64(h ^ ((uint64_t)s->tsval << 32 | s->tsecr));
    if (p->has_ip_id)
        h = tw_mix64(h ^ (0x10000u | p->ip_id));
    return h;
}

