/* GRE decoder (RFC 2784, with the key and sequence number of RFC 2890, the
 * routing of RFC 1701, and the enhanced GRE of PPTP, RFC 2637 section 4.1).
 *
 * Reached from IP protocol 47. Skips the optional fields the flags announce
 * and hands the protocol type, an EtherType, to tw_decode_ethertype(), which
 * also follows 0x6558 (Transparent Ethernet Bridging) into an Ethernet frame;
 * PPTP's 0x880b is PPP. ERSPAN (0x88be, 0x22eb) and WCCP (0x883e) carry their
 * own header before the frame and are followed too, since real captures of
 * mirrored traffic are full of them. */
#include "decode/decode.h"

#include "decode/ip_internal.h"

enum {
    GRE_C = 0x8000, /* checksum present */
    GRE_R = 0x4000, /* routing present (RFC 1701 only) */
    GRE_K = 0x2000, /* key present */
    GRE_S = 0x1000, /* sequence number present */
    GRE_A = 0x0080, /* acknowledgment number present (RFC 2637) */
    GRE_VERSION = 0x0007,
    GRE_PPP = 0x880b,
    GRE_ERSPAN_2 = 0x88be, /* ERSPAN type I (no sequence number) and II */
    GRE_ERSPAN_3 = 0x22eb,
    GRE_WCCP = 0x883e,
    ERSPAN3_O = 0x01, /* type III: an 8-byte platform-specific subheader follows */
};

/* RFC 1701 section 2.2: a list of Source Route Entries ending with one whose
 * address family and length are both 0; each is 4 bytes plus its length. */
static void skip_routing(struct tw_cursor *c)
{
    while (!c->short_read) {
        uint16_t family = tw_get_be16(c);
        tw_skip(c, 1); /* SRE offset */
        uint8_t len = tw_get_u8(c);
        if (family == 0 && len == 0)
            return;
        tw_skip(c, len);
    }
}

/* The payloads that are not plain EtherTypes. */
static void decode_payload(struct tw_cursor *c, uint16_t proto, uint16_t flags, int depth,
                           struct tw_packet *pkt)
{
    switch (proto) {
    case GRE_PPP:
        tw_decode_ppp(c, depth, pkt);
        return;
    case GRE_ERSPAN_2:
        /* Type I has no sequence number and no header; type II has both (8 bytes). */
        if (flags & GRE_S)
            tw_skip(c, 8);
        break;
    case GRE_ERSPAN_3: {
        tw_skip(c, 11); /* version, VLAN, COS, session id, timestamp, SGT, P, FT, HW ID, D, Gra */
        uint8_t last = tw_get_u8(c);
        if (last & ERSPAN3_O)
            tw_skip(c, 8);
        break;
    }
    case GRE_WCCP: {
        /* WCCP redirect header (draft-wilson-wrec-wccp-v2 section 4.12): 4 bytes,
         * then IPv4. Version 1 had no header; its first nibble is then 4. */
        struct tw_cursor peek = *c;
        if (tw_get_u8(&peek) >> 4 != 4)
            tw_skip(c, 4);
        if (c->short_read) {
            tw_anomaly_set(pkt, TW_ANOM_TUNNEL_SHORT);
            return;
        }
        tw_decode_ipv4(c, depth, pkt);
        return;
    }
    default:
        tw_decode_ethertype(c, proto, depth, pkt);
        return;
    }
    if (c->short_read) {
        tw_anomaly_set(pkt, TW_ANOM_TUNNEL_SHORT);
        return;
    }
    tw_decode_ether_inner(c, depth, pkt);
}

void tw_decode_gre(struct tw_cursor *c, int depth, struct tw_packet *pkt)
{
    if (!tw_layer_enter(&depth, pkt))
        return;
    uint16_t flags = tw_get_be16(c);
    uint16_t proto = tw_get_be16(c);
    if (c->short_read) {
        tw_anomaly_set(pkt, TW_ANOM_TUNNEL_SHORT);
        return;
    }
    switch (flags & GRE_VERSION) {
    case 0:
        if (flags & (GRE_C | GRE_R))
            tw_skip(c, 4); /* checksum and reserved (RFC 2784), or offset (RFC 1701) */
        if (flags & GRE_K)
            tw_skip(c, 4);
        if (flags & GRE_S)
            tw_skip(c, 4);
        if (flags & GRE_R)
            skip_routing(c);
        break;
    case 1:
        /* RFC 2637 section 4.1: key (payload length, call id) always present. */
        if ((flags & (GRE_C | GRE_R | GRE_K)) != GRE_K || proto != GRE_PPP) {
            tw_anomaly_set(pkt, TW_ANOM_TUNNEL_BAD);
            return;
        }
        tw_skip(c, 4);
        if (flags & GRE_S)
            tw_skip(c, 4);
        if (flags & GRE_A)
            tw_skip(c, 4);
        if (!(flags & GRE_S)) {
            pkt->l4 = TW_L4_OTHER; /* an acknowledgment alone: no payload */
            return;
        }
        break;
    default:
        tw_anomaly_set(pkt, TW_ANOM_TUNNEL_BAD);
        return;
    }
    if (c->short_read) {
        tw_anomaly_set(pkt, TW_ANOM_TUNNEL_SHORT);
        return;
    }
    decode_payload(c, proto, flags, depth, pkt);
}
