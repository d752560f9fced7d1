/* UDP decoder (RFC 768), for the tunnels it carries.
 *
 * Reached from IP protocol 17. tcpwhy does not analyse UDP itself: only a
 * destination port assigned to a tunnel whose payload is an Ethernet frame or
 * an EtherType is followed, VXLAN on 4789 (RFC 7348 section 5) and Geneve on
 * 6081 (RFC 8926 section 3.3). Everything else is TW_L4_OTHER, as before. */
#include "decode/decode.h"

#include "decode/ip_internal.h"

enum { UDP_HLEN = 8, PORT_VXLAN = 4789, PORT_GENEVE = 6081 };

void tw_decode_udp(struct tw_cursor *c, int depth, struct tw_packet *pkt)
{
    pkt->l4 = TW_L4_OTHER;
    tw_skip(c, 2); /* source port: chosen by a hash of the inner flow */
    uint16_t dport = tw_get_be16(c);
    uint16_t len = tw_get_be16(c);
    tw_skip(c, 2); /* checksum */
    if (c->short_read)
        return; /* not ours to call malformed unless it is a tunnel we follow */
    if (dport != PORT_VXLAN && dport != PORT_GENEVE)
        return;
    /* The UDP length bounds the tunnel payload (a shorter window than the IP
     * payload is fine; a longer one is whatever was captured). */
    struct tw_cursor payload = len >= UDP_HLEN ? tw_sub(c, (size_t)len - UDP_HLEN) : *c;
    pkt->l4 = TW_L4_NONE;
    if (dport == PORT_VXLAN)
        tw_decode_vxlan(&payload, depth, pkt);
    else
        tw_decode_geneve(&payload, depth, pkt);
}
