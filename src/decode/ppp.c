/* PPP (RFC 1661 section 2) and PPPoE session (RFC 2516 section 4) decoders.
 *
 * PPPoE: an EtherType of 0x8864 carries a 6-byte header (version and type
 * both 1, code 0 for session data, session id, length) and then a PPP frame.
 * PPP: a protocol field, optionally preceded by the HDLC-like address and
 * control bytes 0xff 0x03 (RFC 1662 section 3.1, seen in PPTP's GRE) and
 * possibly compressed to one byte (RFC 1661 section 6.5, Protocol-Field-
 * Compression: an odd first byte is the whole field). Only the network
 * protocols that carry TCP are followed: IPv4 0x0021, IPv6 0x0057 (RFC 5072)
 * and MPLS 0x0281 (RFC 3032 section 4.3). */
#include "decode/decode.h"

#include "decode/ip_internal.h"

enum { PPP_IPV4 = 0x0021, PPP_IPV6 = 0x0057, PPP_MPLS = 0x0281, PPP_MPLS_MCAST = 0x0283 };

void tw_decode_ppp(struct tw_cursor *c, int depth, struct tw_packet *pkt)
{
    if (!tw_layer_enter(&depth, pkt))
        return;
    struct tw_cursor peek = *c;
    if (tw_get_u8(&peek) == 0xff && tw_get_u8(&peek) == 0x03)
        tw_skip(c, 2); /* HDLC address and control */
    uint16_t proto = tw_get_u8(c);
    if ((proto & 1) == 0)
        proto = (uint16_t)(proto << 8 | tw_get_u8(c));
    if (c->short_read) {
        tw_anomaly_set(pkt, TW_ANOM_TUNNEL_SHORT);
        return;
    }
    switch (proto) {
    case PPP_IPV4:
        tw_decode_ipv4(c, depth, pkt);
        break;
    case PPP_IPV6:
        tw_decode_ipv6(c, depth, pkt);
        break;
    case PPP_MPLS:
    case PPP_MPLS_MCAST:
        tw_decode_mpls(c, depth, pkt);
        break;
    default: /* LCP, IPCP, CHAP, ...: control traffic, not malformed */
        tw_anomaly_set(pkt, TW_ANOM_NOT_IP);
        break;
    }
}

void tw_decode_pppoe(struct tw_cursor *c, int depth, struct tw_packet *pkt)
{
    if (!tw_layer_enter(&depth, pkt))
        return;
    uint8_t ver_type = tw_get_u8(c);
    uint8_t code = tw_get_u8(c);
    tw_skip(c, 2); /* session id */
    tw_skip(c, 2); /* length: the IP lengths bound what follows, as for Ethernet padding */
    if (c->short_read) {
        tw_anomaly_set(pkt, TW_ANOM_TUNNEL_SHORT);
        return;
    }
    if (ver_type != 0x11 || code != 0) {
        tw_anomaly_set(pkt, TW_ANOM_TUNNEL_BAD);
        return;
    }
    /* The PPP frame in PPPoE has no address and control bytes (RFC 2516
     * section 7); tw_decode_ppp() skips them only if they are there. */
    tw_decode_ppp(c, depth, pkt);
}
