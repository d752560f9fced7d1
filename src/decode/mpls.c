/* MPLS label stack decoder (RFC 3032 section 2.1).
 *
 * Reached from an EtherType of 0x8847 or 0x8848 (or a PPP protocol of
 * 0x0281): walks the 4-byte label stack entries to the one with the
 * bottom-of-stack bit, each entry a layer. MPLS does not say what it carries
 * (the label's binding does, which a capture does not hold), so the payload
 * is guessed the way routers and Wireshark do: a first nibble of 4 or 6 is
 * IPv4 or IPv6 (RFC 4928 section 2 explains why ECMP hashing relies on the
 * same guess), 0 is a pseudowire control word (RFC 4385 section 3) followed
 * by an Ethernet frame (RFC 4448). Anything else is left undecoded. */
#include "decode/decode.h"

#include "decode/ip_internal.h"

enum { MPLS_BOTTOM_OF_STACK = 0x100 };

void tw_decode_mpls(struct tw_cursor *c, int depth, struct tw_packet *pkt)
{
    for (;;) {
        if (!tw_layer_enter(&depth, pkt))
            return;
        uint32_t entry = tw_get_be32(c); /* label 20, traffic class 3, S 1, TTL 8 */
        if (c->short_read) {
            tw_anomaly_set(pkt, TW_ANOM_TUNNEL_SHORT);
            return;
        }
        if (entry & MPLS_BOTTOM_OF_STACK)
            break;
    }
    struct tw_cursor peek = *c;
    uint8_t first = tw_get_u8(&peek);
    if (peek.short_read) {
        tw_anomaly_set(pkt, TW_ANOM_TUNNEL_SHORT);
        return;
    }
    switch (first >> 4) {
    case 4:
        tw_decode_ipv4(c, depth, pkt);
        break;
    case 6:
        tw_decode_ipv6(c, depth, pkt);
        break;
    case 0:
        tw_skip(c, 4); /* control word: flags, fragmentation, length, sequence number */
        if (c->short_read) {
            tw_anomaly_set(pkt, TW_ANOM_TUNNEL_SHORT);
            return;
        }
        tw_decode_ether_inner(c, depth, pkt);
        break;
    default:
        tw_anomaly_set(pkt, TW_ANOM_NOT_IP);
        break;
    }
}
