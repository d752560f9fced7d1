/* Cisco HDLC link decoder (tcpdump.org/linktypes/LINKTYPE_C_HDLC.html).
 *
 * Four bytes: address (0x0f unicast, 0x8f broadcast), control (0), and a
 * protocol field that is an EtherType, handed on to tw_decode_ethertype(). */
#include "decode/decode.h"

#include "decode/ip_internal.h"

void tw_decode_chdlc(struct tw_cursor *c, struct tw_packet *pkt)
{
    tw_skip(c, 2); /* address, control */
    uint16_t proto = tw_get_be16(c);
    if (c->short_read) {
        tw_anomaly_set(pkt, TW_ANOM_LINK_SHORT);
        return;
    }
    tw_decode_ethertype(c, proto, 0, pkt);
}
