/* IPv6 header decoder (RFC 8200 sections 3 and 4).
 *
 * Reads the fixed header, walks the extension headers to the upper-layer
 * header, and hands the transport decoders a window bounded by the payload
 * length and by what was captured. The walk is shared with icmp.c, which
 * meets the same headers in the packet an ICMPv6 error quotes. */
#include "decode/decode.h"

#include "decode/ip_internal.h"

enum { IPV6_HLEN = 40, IPV6_NO_NEXT = 59, IPV6_OFFSET_MASK = 0xfff8 };

/* Extension headers in the common format (RFC 8200 section 4, RFC 7045
 * section 2): next header, length in 8-byte units not counting the first 8.
 * Hop-by-Hop (0), Routing (43), Destination Options (60), Mobility (135),
 * HIP (139), Shim6 (140). */
static bool is_generic_ext(uint8_t proto)
{
    return proto == 0 || proto == 43 || proto == 60 || proto == 135 || proto == 139 || proto == 140;
}

struct tw_ipv6_walk tw_ipv6_walk_ext(struct tw_cursor *c, uint8_t next, int depth)
{
    struct tw_ipv6_walk w = {next, 0, false, 0, TW_ANOM_NONE};
    size_t start = c->pos;
    for (;;) {
        bool is_frag = w.proto == 44;
        bool is_ah = w.proto == 51;
        if (!is_generic_ext(w.proto) && !is_frag && !is_ah)
            break; /* upper layer, No Next Header (59), or ESP (50), which we can't read */
        if (++depth > TW_MAX_LAYERS) {
            w.anomaly = TW_ANOM_TOO_MANY_LAYERS;
            break;
        }
        uint8_t nh = tw_get_u8(c);
        uint8_t len_field = tw_get_u8(c);
        bool is_later = false;
        if (is_frag) {
            /* RFC 8200 section 4.5: fixed 8 bytes; the offset is in 8-byte
             * units in the upper 13 bits. Only offset 0 holds the upper-layer
             * header (an atomic fragment, offset 0 and M clear, is whole). */
            uint16_t off_m = tw_get_be16(c);
            tw_skip(c, 4); /* identification */
            is_later = (off_m & IPV6_OFFSET_MASK) != 0;
        } else if (is_ah) {
            /* RFC 4302 section 2.2: length in 4-byte units, minus 2. */
            tw_skip(c, ((size_t)len_field + 2) * 4 - 2);
        } else {
            tw_skip(c, ((size_t)len_field + 1) * 8 - 2);
        }
        if (c->short_read) {
            w.anomaly = TW_ANOM_IPV6_EXT_SHORT;
            break;
        }
        w.proto = nh;
        if (is_later) {
            w.is_later_fragment = true;
            break;
        }
    }
    w.ext_bytes = (uint32_t)(c->pos - start);
    w.depth = depth;
    return w;
}

void tw_decode_ipv6(struct tw_cursor *c, int depth, struct tw_packet *pkt)
{
    uint64_t wire_left = (uint64_t)tw_left(c) + tw_snapped_bytes(pkt);

    struct tw_addr src = {{0}}, dst = {{0}}; /* filled by tw_get_bytes(), zeroed on a short read */
    uint8_t first = tw_get_u8(c);
    bool has_first = !c->short_read;
    tw_skip(c, 3); /* rest of traffic class, flow label */
    uint16_t payload_len = tw_get_be16(c);
    uint8_t next = tw_get_u8(c);
    uint8_t hop_limit = tw_get_u8(c);
    tw_get_bytes(c, src.b, sizeof src.b);
    tw_get_bytes(c, dst.b, sizeof dst.b);

    if (has_first && first >> 4 != 6) {
        tw_anomaly_set(pkt, TW_ANOM_IP_BAD_VERSION);
        return;
    }
    if (c->short_read) {
        tw_anomaly_set(pkt, TW_ANOM_IP_SHORT);
        return;
    }
    pkt->ip_version = 6;
    pkt->src = src;
    pkt->dst = dst;
    pkt->ttl = hop_limit;
    /* Inside an IPv4 tunnel, what the outer header said no longer applies. */
    pkt->has_ip_id = false;
    pkt->ip_id = 0;
    pkt->dont_fragment = false;

    uint64_t wire_after = wire_left - IPV6_HLEN; /* >= 0: the 40 bytes were captured */
    uint32_t payload_wire;
    if (payload_len == 0) {
        /* A jumbogram (RFC 2675 section 3) or a segment the NIC will split
         * (Linux BIG TCP strips the Jumbo option before the capture point):
         * the frame gives the length. With No Next Header it is simply empty,
         * and the length does not matter. */
        payload_wire = wire_after > UINT32_MAX ? UINT32_MAX : (uint32_t)wire_after;
    } else if (payload_len > wire_after) {
        tw_anomaly_set(pkt, TW_ANOM_IP_BAD_TOTLEN);
        payload_wire = (uint32_t)wire_after;
    } else {
        payload_wire = payload_len;
    }

    struct tw_cursor payload = tw_sub(c, payload_wire);
    struct tw_ipv6_walk w = tw_ipv6_walk_ext(&payload, next, depth);
    if (w.anomaly != TW_ANOM_NONE) {
        tw_anomaly_set(pkt, w.anomaly);
        return;
    }
    if (w.is_later_fragment) {
        tw_anomaly_set(pkt, TW_ANOM_IP_FRAGMENT);
        return;
    }
    if (w.proto == IPV6_NO_NEXT) {
        pkt->l4 = TW_L4_OTHER;
        return;
    }
    uint32_t l4_wire_len = payload_wire > w.ext_bytes ? payload_wire - w.ext_bytes : 0;
    tw_decode_l4(&payload, w.proto, 6, l4_wire_len, w.depth, pkt);
}
