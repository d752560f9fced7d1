/* Ethernet II link decoder (IEEE 802.3 clause 3.2.6, "Type" interpretation).
 *
 * First decoder for DLT_EN10MB frames: records the source MAC address, which
 * tells apart the two sides of a middlebox, and hands the EtherType on to
 * tw_decode_ethertype() (VLAN tags, IPv4, IPv6). Any bytes after the IP
 * packet (the padding to the 60-byte minimum frame) are left unread by the IP
 * decoders, which trust the IP lengths rather than the frame length. */
#include "decode/decode.h"

#include <string.h>

#include "decode/ip_internal.h"

/* An EtherType field below 0x0600 is an 802.3 length, and the frame carries
 * LLC (IEEE 802.3 clause 3.2.6); IP over LLC/SNAP is not seen on Ethernet. */
#define ETHER_MIN_TYPE 0x0600

void tw_decode_ether(struct tw_cursor *c, struct tw_packet *pkt)
{
    uint8_t src[6];
    tw_skip(c, 6); /* destination MAC */
    tw_get_bytes(c, src, sizeof src);
    uint16_t ethertype = tw_get_be16(c);
    if (c->short_read) {
        tw_anomaly_set(pkt, TW_ANOM_LINK_SHORT);
        return;
    }
    pkt->has_l2_src = true;
    memcpy(pkt->l2_src, src, sizeof src);
    pkt->l2_src_len = sizeof src;
    if (ethertype < ETHER_MIN_TYPE) {
        tw_anomaly_set(pkt, TW_ANOM_NOT_IP);
        return;
    }
    tw_decode_ethertype(c, ethertype, 0, pkt);
}

void tw_decode_ether_inner(struct tw_cursor *c, int depth, struct tw_packet *pkt)
{
    if (!tw_layer_enter(&depth, pkt))
        return;
    tw_skip(c, 12); /* destination and source MAC of the tunnelled frame */
    uint16_t ethertype = tw_get_be16(c);
    if (c->short_read) {
        tw_anomaly_set(pkt, TW_ANOM_TUNNEL_SHORT);
        return;
    }
    if (ethertype < ETHER_MIN_TYPE) {
        tw_anomaly_set(pkt, TW_ANOM_NOT_IP);
        return;
    }
    tw_decode_ethertype(c, ethertype, depth, pkt);
}
