/* Geneve decoder (RFC 8926 section 3.4).
 *
 * Reached from UDP port 6081: an 8-byte header (version 0, options length in
 * 4-byte words, flags, protocol type, VNI), the options, then a payload whose
 * type is an EtherType: 0x6558 for an Ethernet frame, or 0x0800 and 0x86dd
 * for IP directly. */
#include "decode/decode.h"

#include "decode/ip_internal.h"

void tw_decode_geneve(struct tw_cursor *c, int depth, struct tw_packet *pkt)
{
    if (!tw_layer_enter(&depth, pkt))
        return;
    uint8_t ver_optlen = tw_get_u8(c);
    tw_skip(c, 1); /* O (control packet) and C (critical options) flags */
    uint16_t proto = tw_get_be16(c);
    tw_skip(c, 4); /* VNI, reserved */
    if (c->short_read) {
        tw_anomaly_set(pkt, TW_ANOM_TUNNEL_SHORT);
        return;
    }
    if (ver_optlen >> 6 != 0) {
        tw_anomaly_set(pkt, TW_ANOM_TUNNEL_BAD); /* a version we cannot read */
        return;
    }
    tw_skip(c, (size_t)(ver_optlen & 0x3f) * 4);
    if (c->short_read) {
        tw_anomaly_set(pkt, TW_ANOM_TUNNEL_SHORT);
        return;
    }
    tw_decode_ethertype(c, proto, depth, pkt);
}
