/* IPv4 header decoder (RFC 791 section 3.1).
 *
 * Reads the fixed header, skips the options, and hands the payload to the
 * transport decoders as a window of exactly the IP payload: the total length
 * bounds it, so Ethernet padding after a short packet is never taken for TCP
 * payload, and the captured length bounds it, so a packet cut by the snap
 * length is read only as far as it was captured. Checksums are not verified:
 * captures taken on the sending host carry checksums the NIC fills in later. */
#include "decode/decode.h"

#include "decode/ip_internal.h"

enum { IPV4_MIN_HLEN = 20, IPV4_DF = 0x4000, IPV4_OFFSET_MASK = 0x1fff };

void tw_decode_ipv4(struct tw_cursor *c, int depth, struct tw_packet *pkt)
{
    /* What the frame carried on the wire from here on: the IP total length
     * may not exceed it, whatever the snap length cut off. */
    uint64_t wire_left = (uint64_t)tw_left(c) + tw_snapped_bytes(pkt);

    uint8_t src[4], dst[4];
    uint8_t ver_ihl = tw_get_u8(c);
    bool has_first = !c->short_read;
    tw_skip(c, 1); /* DSCP, ECN */
    uint16_t total_len = tw_get_be16(c);
    uint16_t id = tw_get_be16(c);
    uint16_t frag = tw_get_be16(c);
    uint8_t ttl = tw_get_u8(c);
    uint8_t proto = tw_get_u8(c);
    tw_skip(c, 2); /* header checksum */
    tw_get_bytes(c, src, sizeof src);
    tw_get_bytes(c, dst, sizeof dst);

    if (has_first && ver_ihl >> 4 != 4) {
        tw_anomaly_set(pkt, TW_ANOM_IP_BAD_VERSION);
        return;
    }
    if (c->short_read) {
        tw_anomaly_set(pkt, TW_ANOM_IP_SHORT);
        return;
    }
    pkt->ip_version = 4;
    tw_addr_set_v4(&pkt->src, src);
    tw_addr_set_v4(&pkt->dst, dst);
    pkt->ttl = ttl;
    pkt->has_ip_id = true;
    pkt->ip_id = id;
    pkt->dont_fragment = (frag & IPV4_DF) != 0;

    /* IHL counts 32-bit words; 5 (20 bytes, no options) is the minimum. */
    uint32_t hlen = (uint32_t)(ver_ihl & 0x0f) * 4;
    if (hlen < IPV4_MIN_HLEN) {
        tw_anomaly_set(pkt, TW_ANOM_IP_BAD_HLEN);
        return;
    }

    uint32_t l4_wire_len;
    if (total_len == 0) {
        /* A total length of 0 is what a capture on the sending host shows for
         * a segment the NIC will split (TSO) when it exceeds 64 KB (Linux BIG
         * TCP); Wireshark treats it the same way: the frame gives the length. */
        l4_wire_len = wire_left > hlen ? (uint32_t)(wire_left - hlen) : 0;
    } else if (total_len < hlen) {
        tw_anomaly_set(pkt, TW_ANOM_IP_BAD_TOTLEN);
        return;
    } else if (total_len > wire_left) {
        /* The header claims more than the frame carried: decode what is there,
         * but do not believe the lengths beyond the frame. */
        tw_anomaly_set(pkt, TW_ANOM_IP_BAD_TOTLEN);
        l4_wire_len = wire_left > hlen ? (uint32_t)(wire_left - hlen) : 0;
    } else {
        l4_wire_len = total_len - hlen;
    }

    /* Options (RFC 791 section 3.1, "Options"): nothing tcpwhy reasons with. */
    tw_skip(c, hlen - IPV4_MIN_HLEN);
    if (c->short_read) {
        tw_anomaly_set(pkt, TW_ANOM_IP_SHORT);
        return;
    }

    /* Only the first fragment carries the transport header (RFC 791 section
     * 2.3, "Fragmentation"); a first fragment with More Fragments set is
     * decoded as usual, its TCP header being whole. */
    if ((frag & IPV4_OFFSET_MASK) != 0) {
        tw_anomaly_set(pkt, TW_ANOM_IP_FRAGMENT);
        return;
    }

    struct tw_cursor l4 = tw_sub(c, l4_wire_len);
    tw_decode_l4(&l4, proto, 4, l4_wire_len, depth, pkt);
}
