/* A packet's fingerprint: what stays the same when it crosses a router or a
 * NAT. Used to find the same packet in two captures (match.c) and the
 * second copy of a packet on a mirrored port (analyze/). */
#include "correlate/correlate.h"

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 31;
    x *= 0x7fb5d329728ea185ULL;
    x ^= x >> 27;
    x *= 0x81dadef4bc2dd44dULL;
    x ^= x >> 33;
    return x;
}

/* What stays the same when a packet crosses a router or a NAT: sequence
 * numbers, flags, length, TCP timestamps, and the IPv4 ID (masquerading
 * keeps it). Addresses, ports, TTL and checksums change; a retransmission
 * differs in TSval or IP ID. */
uint64_t tw_packet_fingerprint(const struct tw_packet *p)
{
    const struct tw_segment *s = &p->tcp;
    uint64_t h = mix64(0x9e3779b97f4a7c15ULL ^ s->seq);
    h = mix64(h ^ ((s->flags & TW_TCP_ACK) ? s->ack : 0));
    h = mix64(h ^ ((uint64_t)(s->flags & 0x3f) << 32 | s->payload_len));
    if (s->has_ts)
        h = mix64(h ^ ((uint64_t)s->tsval << 32 | s->tsecr));
    if (p->has_ip_id)
        h = mix64(h ^ (0x10000u | p->ip_id));
    return h;
}

