/* ICMP and ICMPv6 error decoders (RFC 792; RFC 4443 sections 2.4 and 3).
 *
 * An error quotes the start of the packet that caused it: its IP header and
 * at least the first 8 bytes of the transport header, which for TCP are the
 * ports and the sequence number (RFC 792 "Destination Unreachable Message";
 * RFC 1812 section 4.3.2.3 and RFC 4443 section 2.4 (c) allow more). That
 * lets the tracker tie a "port unreachable" or "administratively prohibited"
 * to the SYN it answers. pkt->src and pkt->dst stay the outer addresses, of
 * the router or host that sent the error; what was quoted goes in pkt->icmp.
 * Messages that are not errors (echo, neighbour discovery, ...) are
 * TW_L4_OTHER. */
#include "decode/decode.h"

#include <string.h>

#include "decode/ip_internal.h"

/* RFC 792 and RFC 1812 section 4.3.2: the ICMPv4 error messages. */
static bool is_icmp4_error(uint8_t type)
{
    return type == 3      /* destination unreachable */
           || type == 4   /* source quench (deprecated by RFC 6633, still seen) */
           || type == 5   /* redirect */
           || type == 11  /* time exceeded */
           || type == 12; /* parameter problem */
}

/* RFC 4443 section 2.1: error messages have types 0-127; 1-4 are defined
 * (destination unreachable, packet too big, time exceeded, parameter problem). */
static bool is_icmp6_error(uint8_t type) { return type >= 1 && type <= 4; }

/* Transport protocols whose header starts with source and destination ports. */
static bool has_ports(uint8_t proto)
{
    return proto == TW_PROTO_TCP || proto == TW_PROTO_UDP || proto == TW_PROTO_SCTP ||
           proto == TW_PROTO_DCCP || proto == TW_PROTO_UDPLITE;
}

/* What reading the quoted IP header left us with. */
enum quote_ip { QUOTE_UNREADABLE, QUOTE_NO_L4, QUOTE_L4 };

/* Quoted IPv4 header (RFC 791 section 3.1); q is left at the transport header. */
static enum quote_ip quote_ipv4(struct tw_cursor *q, struct tw_icmp_error *e)
{
    uint8_t src[4], dst[4];
    uint8_t ver_ihl = tw_get_u8(q);
    tw_skip(q, 5); /* DSCP/ECN, total length, identification */
    uint16_t frag = tw_get_be16(q);
    tw_skip(q, 1); /* TTL */
    uint8_t proto = tw_get_u8(q);
    tw_skip(q, 2); /* checksum */
    tw_get_bytes(q, src, sizeof src);
    tw_get_bytes(q, dst, sizeof dst);
    if (q->short_read)
        return QUOTE_UNREADABLE;
    e->quoted_ip_version = 4;
    tw_addr_set_v4(&e->quoted_src, src);
    tw_addr_set_v4(&e->quoted_dst, dst);
    e->quoted_proto = proto;

    size_t hlen = (size_t)(ver_ihl & 0x0f) * 4;
    if (hlen < 20)
        return QUOTE_UNREADABLE;
    tw_skip(q, hlen - 20);
    if (q->short_read)
        return QUOTE_UNREADABLE;
    if ((frag & 0x1fff) != 0)
        return QUOTE_NO_L4; /* a later fragment has no transport header */
    return QUOTE_L4;
}

/* Quoted IPv6 header and extension headers (RFC 8200 sections 3 and 4). */
static enum quote_ip quote_ipv6(struct tw_cursor *q, struct tw_icmp_error *e, struct tw_packet *pkt)
{
    struct tw_addr src = {{0}}, dst = {{0}}; /* filled by tw_get_bytes(), zeroed on a short read */
    tw_skip(q, 6); /* version, traffic class, flow label, payload length */
    uint8_t next = tw_get_u8(q);
    tw_skip(q, 1); /* hop limit */
    tw_get_bytes(q, src.b, sizeof src.b);
    tw_get_bytes(q, dst.b, sizeof dst.b);
    if (q->short_read)
        return QUOTE_UNREADABLE;
    e->quoted_ip_version = 6;
    e->quoted_src = src;
    e->quoted_dst = dst;

    struct tw_ipv6_walk w = tw_ipv6_walk_ext(q, next, 0);
    e->quoted_proto = w.proto;
    if (w.anomaly == TW_ANOM_TOO_MANY_LAYERS)
        tw_anomaly_set(pkt, TW_ANOM_TOO_MANY_LAYERS);
    if (w.anomaly != TW_ANOM_NONE)
        return QUOTE_UNREADABLE;
    if (w.is_later_fragment)
        return QUOTE_NO_L4;
    return QUOTE_L4;
}

/* The quoted packet. The error is useful to the tracker once the quoted
 * addresses and ports are known; the sequence number is a bonus (a router may
 * quote only 8 bytes of TCP, and a capture may cut even those). */
static void decode_quote(struct tw_cursor *q, struct tw_packet *pkt)
{
    struct tw_icmp_error *e = &pkt->icmp;
    struct tw_cursor peek = *q;
    uint8_t version = tw_get_u8(&peek) >> 4;

    enum quote_ip r = QUOTE_UNREADABLE;
    if (version == 4)
        r = quote_ipv4(q, e);
    else if (version == 6)
        r = quote_ipv6(q, e, pkt);
    if (r == QUOTE_UNREADABLE) {
        /* Also a quote that isn't IP at all: nothing of it can be matched. */
        tw_anomaly_set(pkt, TW_ANOM_ICMP_QUOTE_SHORT);
        pkt->l4 = TW_L4_OTHER;
        return;
    }
    if (r == QUOTE_NO_L4) {
        pkt->l4 = TW_L4_OTHER;
        return;
    }
    if (!has_ports(e->quoted_proto)) {
        pkt->l4 = TW_L4_ICMP_ERROR; /* addresses and protocol are all there is */
        return;
    }
    uint16_t sport = tw_get_be16(q);
    uint16_t dport = tw_get_be16(q);
    if (q->short_read) {
        tw_anomaly_set(pkt, TW_ANOM_ICMP_QUOTE_SHORT);
        pkt->l4 = TW_L4_OTHER;
        return;
    }
    e->quoted_sport = sport;
    e->quoted_dport = dport;
    pkt->l4 = TW_L4_ICMP_ERROR;
    if (e->quoted_proto != TW_PROTO_TCP)
        return;
    uint32_t seq = tw_get_be32(q);
    if (q->short_read) {
        tw_anomaly_set(pkt, TW_ANOM_ICMP_QUOTE_SHORT);
        return;
    }
    e->has_quoted_seq = true;
    e->quoted_seq = seq;
}

/* Both ICMP versions share the layout of the first 8 bytes: type, code,
 * checksum, then 4 bytes that depend on the type (unused, next-hop MTU,
 * pointer, gateway), then the quote. */
static void decode_icmp_any(struct tw_cursor *c, struct tw_packet *pkt,
                            bool (*is_error)(uint8_t type))
{
    memset(&pkt->icmp, 0, sizeof pkt->icmp);
    uint8_t type = tw_get_u8(c);
    uint8_t code = tw_get_u8(c);
    tw_skip(c, 2); /* checksum */
    if (c->short_read) {
        tw_anomaly_set(pkt, TW_ANOM_ICMP_SHORT);
        return;
    }
    if (!is_error(type)) {
        pkt->l4 = TW_L4_OTHER;
        return;
    }
    pkt->icmp.type = type;
    pkt->icmp.code = code;
    tw_skip(c, 4);
    if (c->short_read) {
        tw_anomaly_set(pkt, TW_ANOM_ICMP_SHORT);
        return;
    }
    struct tw_cursor quote = tw_sub(c, tw_left(c));
    decode_quote(&quote, pkt);
}

void tw_decode_icmp(struct tw_cursor *c, struct tw_packet *pkt)
{
    decode_icmp_any(c, pkt, is_icmp4_error);
}

void tw_decode_icmp6(struct tw_cursor *c, struct tw_packet *pkt)
{
    decode_icmp_any(c, pkt, is_icmp6_error);
}
