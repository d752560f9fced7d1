/* Linux "cooked" capture headers, as written by libpcap for the "any" device
 * and for interfaces without a link header (tcpdump.org/linktypes/
 * LINKTYPE_LINUX_SLL.html and LINKTYPE_LINUX_SLL2.html).
 *
 * Records the link-layer address field as the source (for a frame we sent it
 * is our own address, as the kernel reports it) and hands the protocol type,
 * an EtherType, on to tw_decode_ethertype(). Non-EtherType protocol values
 * (0x0001 Novell 802.3, 0x0004 802.2 LLC, ...) come out as NOT_IP there. */
#include "decode/decode.h"

#include <string.h>

#include "decode/ip_internal.h"

static void set_l2_src(struct tw_packet *pkt, const uint8_t addr[8], uint16_t addr_len)
{
    if (addr_len == 0)
        return;
    pkt->has_l2_src = true;
    pkt->l2_src_len = (uint8_t)(addr_len < 8 ? addr_len : 8); /* the field holds 8 at most */
    memcpy(pkt->l2_src, addr, pkt->l2_src_len);
}

/* SLL v1, 16 bytes: packet type, ARPHRD type, address length, 8 address
 * bytes, protocol type; all big-endian. */
void tw_decode_sll(struct tw_cursor *c, struct tw_packet *pkt)
{
    uint8_t addr[8];
    tw_skip(c, 2); /* packet type: to us, broadcast, multicast, other host, outgoing */
    tw_skip(c, 2); /* ARPHRD_ type */
    uint16_t addr_len = tw_get_be16(c);
    tw_get_bytes(c, addr, sizeof addr);
    uint16_t proto = tw_get_be16(c);
    if (c->short_read) {
        tw_anomaly_set(pkt, TW_ANOM_LINK_SHORT);
        return;
    }
    set_l2_src(pkt, addr, addr_len);
    tw_decode_ethertype(c, proto, 0, pkt);
}

/* SLL v2, 20 bytes: protocol type first, then reserved (2), interface index
 * (4), ARPHRD type (2), packet type (1), address length (1), 8 address bytes. */
void tw_decode_sll2(struct tw_cursor *c, struct tw_packet *pkt)
{
    uint8_t addr[8];
    uint16_t proto = tw_get_be16(c);
    tw_skip(c, 2); /* reserved */
    tw_skip(c, 4); /* interface index */
    tw_skip(c, 2); /* ARPHRD_ type */
    tw_skip(c, 1); /* packet type */
    uint8_t addr_len = tw_get_u8(c);
    tw_get_bytes(c, addr, sizeof addr);
    if (c->short_read) {
        tw_anomaly_set(pkt, TW_ANOM_LINK_SHORT);
        return;
    }
    set_l2_src(pkt, addr, addr_len);
    tw_decode_ethertype(c, proto, 0, pkt);
}
