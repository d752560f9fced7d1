/* VXLAN decoder (RFC 7348 section 5).
 *
 * Reached from UDP port 4789: an 8-byte header (flags with I set, 24-bit
 * VNI), then the tenant's Ethernet frame. The I flag is not checked: some
 * implementations leave it clear, and the frame is there either way, which
 * is how Wireshark reads it too. */
#include "decode/decode.h"

#include "decode/ip_internal.h"

void tw_decode_vxlan(struct tw_cursor *c, int depth, struct tw_packet *pkt)
{
    if (!tw_layer_enter(&depth, pkt))
        return;
    tw_skip(c, 8); /* flags, reserved, VNI, reserved */
    if (c->short_read) {
        tw_anomaly_set(pkt, TW_ANOM_TUNNEL_SHORT);
        return;
    }
    tw_decode_ether_inner(c, depth, pkt);
}
