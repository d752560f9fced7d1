/* ARCnet link decoder (tcpdump.org/linktypes/LINKTYPE_ARCNET_BSD.html and
 * LINKTYPE_ARCNET_LINUX.html; RFC 1051 and RFC 1201; read as tcpdump's
 * print-arcnet.c and Wireshark's packet-arcnet.c do).
 *
 * Source and destination station ids (1 byte each; Linux adds a 2-byte
 * offset), then a protocol id. RFC 1201 protocol ids are followed by a split
 * flag and a 2-byte sequence number, with four more bytes for an "exception"
 * packet (split flag 0xff); RFC 1051's older ids have neither. The station
 * id is recorded as the link-layer source. */
#include "decode/decode.h"

#include "decode/ip_internal.h"

enum {
    ARC_IP_RFC1051 = 240,
    ARC_ARP_RFC1051 = 241,
    ARC_IP_RFC1201 = 212,
    ARC_IPV6 = 196,
    ARC_EXCEPTION = 0xff,
};

void tw_decode_arcnet(struct tw_cursor *c, struct tw_packet *pkt, bool is_linux)
{
    uint8_t src = tw_get_u8(c);
    tw_skip(c, 1); /* destination */
    if (is_linux)
        tw_skip(c, 2); /* offset */
    uint8_t proto = tw_get_u8(c);
    if (proto != ARC_IP_RFC1051 && proto != ARC_ARP_RFC1051) {
        uint8_t split = tw_get_u8(c);
        if (split == ARC_EXCEPTION)
            tw_skip(c, 4); /* padding 0xffff, protocol id again, split flag again */
        tw_skip(c, 2);     /* sequence number */
    }
    if (c->short_read) {
        tw_anomaly_set(pkt, TW_ANOM_LINK_SHORT);
        return;
    }
    pkt->has_l2_src = true;
    pkt->l2_src[0] = src;
    pkt->l2_src_len = 1;
    switch (proto) {
    case ARC_IP_RFC1051:
    case ARC_IP_RFC1201:
        tw_decode_ipv4(c, 0, pkt);
        break;
    case ARC_IPV6:
        tw_decode_ipv6(c, 0, pkt);
        break;
    default:
        tw_anomaly_set(pkt, TW_ANOM_NOT_IP);
        break;
    }
}
