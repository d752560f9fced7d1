/* IEEE 802.11 data frames (IEEE 802.11-2020 section 9.3.2.1) and the PPI
 * header that often wraps them (tcpdump.org/linktypes/LINKTYPE_PPI.html, the
 * "Per-Packet Information" header of CACE's PPI specification 1.0).
 *
 * Only unencrypted data frames carry anything tcpwhy can read: their payload
 * is an 802.2 LLC/SNAP header (RFC 1042: AA AA 03, OUI 00 00 00) followed by
 * an EtherType. Management and control frames, null-data frames and
 * protected frames are not IP. The link-layer source is the frame's source
 * address, which the To DS and From DS bits place. PPI: version 0, flags, a
 * little-endian header length and link type; only 802.11 and Ethernet inside
 * are followed. */
#include "decode/decode.h"

#include <string.h>

#include "decode/ip_internal.h"

enum {
    FC_TYPE_DATA = 2,
    FC_TO_DS = 0x01,
    FC_FROM_DS = 0x02,
    FC_PROTECTED = 0x40,
    FC_ORDER = 0x80,
    SUBTYPE_QOS = 0x8,
    SUBTYPE_NO_DATA = 0x4,
    PPI_DLT_ETHER = 1,
    PPI_DLT_80211 = 105,
};

void tw_decode_wlan(struct tw_cursor *c, struct tw_packet *pkt)
{
    uint8_t fc0 = tw_get_u8(c);
    uint8_t fc1 = tw_get_u8(c);
    uint8_t addr[4][6];
    tw_skip(c, 2); /* duration */
    tw_get_bytes(c, addr[0], 6);
    tw_get_bytes(c, addr[1], 6);
    tw_get_bytes(c, addr[2], 6);
    tw_skip(c, 2); /* sequence control */
    if (c->short_read) {
        tw_anomaly_set(pkt, TW_ANOM_LINK_SHORT);
        return;
    }
    uint8_t type = (fc0 >> 2) & 3, subtype = fc0 >> 4;
    if (type != FC_TYPE_DATA || (subtype & SUBTYPE_NO_DATA) || (fc1 & FC_PROTECTED)) {
        tw_anomaly_set(pkt, TW_ANOM_NOT_IP);
        return;
    }
    bool is_wds = (fc1 & (FC_TO_DS | FC_FROM_DS)) == (FC_TO_DS | FC_FROM_DS);
    if (is_wds)
        tw_get_bytes(c, addr[3], 6);
    if (subtype & SUBTYPE_QOS) {
        tw_skip(c, 2); /* QoS control */
        if (fc1 & FC_ORDER)
            tw_skip(c, 4); /* HT control */
    }
    uint8_t llc[6];
    tw_get_bytes(c, llc, sizeof llc);
    uint16_t ethertype = tw_get_be16(c);
    if (c->short_read) {
        tw_anomaly_set(pkt, TW_ANOM_LINK_SHORT);
        return;
    }
    /* Source address: address 2 unless From DS (address 3) or both (address 4). */
    int sa = is_wds ? 3 : (fc1 & FC_FROM_DS) ? 2 : 1;
    pkt->has_l2_src = true;
    memcpy(pkt->l2_src, addr[sa], 6);
    pkt->l2_src_len = 6;
    static const uint8_t snap[6] = {0xaa, 0xaa, 0x03, 0, 0, 0};
    if (memcmp(llc, snap, sizeof snap) != 0) {
        tw_anomaly_set(pkt, TW_ANOM_NOT_IP);
        return;
    }
    tw_decode_ethertype(c, ethertype, 0, pkt);
}

void tw_decode_ppi(struct tw_cursor *c, struct tw_packet *pkt)
{
    uint8_t version = tw_get_u8(c);
    tw_skip(c, 1); /* flags: 32-bit alignment; the header length covers it */
    uint16_t hdr_len = tw_get_le16(c);
    uint32_t dlt = tw_get_le32(c);
    if (c->short_read || hdr_len < 8) {
        tw_anomaly_set(pkt, TW_ANOM_LINK_SHORT);
        return;
    }
    tw_skip(c, (size_t)hdr_len - 8); /* the PPI fields: radio information */
    if (c->short_read) {
        tw_anomaly_set(pkt, TW_ANOM_LINK_SHORT);
        return;
    }
    if (version != 0) {
        tw_anomaly_set(pkt, TW_ANOM_LINK_UNSUPPORTED);
        return;
    }
    if (dlt == PPI_DLT_80211)
        tw_decode_wlan(c, pkt);
    else if (dlt == PPI_DLT_ETHER)
        tw_decode_ether(c, pkt);
    else
        tw_anomaly_set(pkt, TW_ANOM_LINK_UNSUPPORTED);
}
