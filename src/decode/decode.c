/* Frame dispatch: from a libpcap link type to the link decoder, from an
 * EtherType to the IP decoder (or MPLS, PPPoE, a tunnelled Ethernet frame),
 * and from an IP protocol to TCP, ICMP, or a tunnel (IP in IP, AH, GRE, UDP
 * for VXLAN and Geneve), which leads back to an EtherType or an IP header.
 * Every nested layer counts against TW_MAX_LAYERS, so no frame recurses
 * without end.
 *
 * Second stage of the pipeline (capture -> decode -> track). This file owns
 * nothing: it resets the packet, picks the decoder and leaves the bytes where
 * the caller put them. Also the anomaly names and address formatting. */
#include "decode/decode.h"

#include <arpa/inet.h>
#include <pcap/dlt.h>
#include <string.h>
#include <sys/socket.h>

#include "decode/ip_internal.h"

/* LINKTYPE_RAW as written in capture files (tcpdump.org/linktypes.html);
 * libpcap maps it to DLT_RAW (12 on most systems, 14 on BSD/OS) when it reads
 * a file, but a caller reading the file header itself may pass 101. */
#define TW_LINKTYPE_RAW 101

static const char *const anomaly_names[] = {
#define X(id, name) name,
    TW_ANOMALY_LIST(X)
#undef X
};

const char *tw_anomaly_name(enum tw_anomaly a)
{
    if ((unsigned)a >= (unsigned)TW_ANOM_COUNT)
        return "unknown";
    return anomaly_names[a];
}

enum link_kind {
    LINK_NONE,
    LINK_ETHER,
    LINK_SLL,
    LINK_SLL2,
    LINK_RAW,
    LINK_IPV4,
    LINK_IPV6,
    LINK_NULL,
    LINK_LOOP,
    LINK_PPP,
    LINK_PPPOE,
    LINK_CHDLC,
    LINK_IPOIB,
    LINK_ARCNET,
    LINK_ARCNET_LINUX,
    LINK_WLAN,
    LINK_PPI
};

/* An if-chain rather than a switch: DLT_RAW and DLT_LOOP share the value 12
 * depending on the platform (pcap/dlt.h), so a switch could not list both. */
static enum link_kind link_kind(int linktype)
{
    if (linktype == DLT_EN10MB)
        return LINK_ETHER;
    if (linktype == DLT_LINUX_SLL)
        return LINK_SLL;
    if (linktype == DLT_LINUX_SLL2)
        return LINK_SLL2;
    if (linktype == DLT_RAW || linktype == TW_LINKTYPE_RAW)
        return LINK_RAW;
    if (linktype == DLT_IPV4)
        return LINK_IPV4;
    if (linktype == DLT_IPV6)
        return LINK_IPV6;
    if (linktype == DLT_NULL)
        return LINK_NULL;
    if (linktype == DLT_LOOP)
        return LINK_LOOP;
    if (linktype == DLT_PPP || linktype == DLT_PPP_SERIAL)
        return LINK_PPP;
    if (linktype == DLT_PPP_ETHER)
        return LINK_PPPOE;
    if (linktype == DLT_C_HDLC)
        return LINK_CHDLC;
    if (linktype == DLT_IPOIB)
        return LINK_IPOIB;
    if (linktype == DLT_ARCNET)
        return LINK_ARCNET;
    if (linktype == DLT_ARCNET_LINUX)
        return LINK_ARCNET_LINUX;
    if (linktype == DLT_IEEE802_11)
        return LINK_WLAN;
    if (linktype == DLT_PPI)
        return LINK_PPI;
    return LINK_NONE;
}

bool tw_decode_link_supported(int linktype) { return link_kind(linktype) != LINK_NONE; }

/* Raw IP has no link header: the version nibble says which IP it is. */
static void decode_raw(struct tw_cursor *c, struct tw_packet *pkt)
{
    struct tw_cursor peek = *c;
    uint8_t first = tw_get_u8(&peek);
    if (peek.short_read) {
        tw_anomaly_set(pkt, TW_ANOM_IP_SHORT);
        return;
    }
    switch (first >> 4) {
    case 4:
        tw_decode_ipv4(c, 0, pkt);
        break;
    case 6:
        tw_decode_ipv6(c, 0, pkt);
        break;
    default:
        tw_anomaly_set(pkt, TW_ANOM_IP_BAD_VERSION);
        break;
    }
}

void tw_decode_frame(int linktype, const uint8_t *bytes, uint32_t caplen, uint32_t wirelen,
                     struct tw_packet *pkt)
{
    /* The caller may have set frame and ts_ns already; everything else is ours. */
    uint64_t frame = pkt->frame;
    int64_t ts_ns = pkt->ts_ns;
    memset(pkt, 0, sizeof *pkt);
    pkt->frame = frame;
    pkt->ts_ns = ts_ns;
    pkt->caplen = caplen;
    pkt->wirelen = wirelen;
    pkt->linktype = linktype;
    pkt->is_snapped = caplen < wirelen;
    pkt->l4 = TW_L4_NONE;
    pkt->anomaly = TW_ANOM_NONE;

    struct tw_cursor c = tw_cursor_make(bytes, bytes ? caplen : 0);
    switch (link_kind(linktype)) {
    case LINK_ETHER:
        tw_decode_ether(&c, pkt);
        break;
    case LINK_SLL:
        tw_decode_sll(&c, pkt);
        break;
    case LINK_SLL2:
        tw_decode_sll2(&c, pkt);
        break;
    case LINK_RAW:
        decode_raw(&c, pkt);
        break;
    case LINK_IPV4:
        tw_decode_ipv4(&c, 0, pkt);
        break;
    case LINK_IPV6:
        tw_decode_ipv6(&c, 0, pkt);
        break;
    case LINK_NULL:
        tw_decode_null(&c, pkt, false);
        break;
    case LINK_LOOP:
        tw_decode_null(&c, pkt, true);
        break;
    case LINK_PPP: /* RFC 1661, or RFC 1662's HDLC-like framing (address, control) */
        tw_decode_ppp(&c, 0, pkt);
        break;
    case LINK_PPPOE: /* a PPPoE header with no Ethernet header before it */
        tw_decode_pppoe(&c, 0, pkt);
        break;
    case LINK_CHDLC:
        tw_decode_chdlc(&c, pkt);
        break;
    case LINK_IPOIB:
        tw_decode_ipoib(&c, pkt);
        break;
    case LINK_ARCNET:
    case LINK_ARCNET_LINUX:
        tw_decode_arcnet(&c, pkt, link_kind(linktype) == LINK_ARCNET_LINUX);
        break;
    case LINK_WLAN:
        tw_decode_wlan(&c, pkt);
        break;
    case LINK_PPI:
        tw_decode_ppi(&c, pkt);
        break;
    case LINK_NONE:
        tw_anomaly_set(pkt, TW_ANOM_LINK_UNSUPPORTED);
        break;
    }
}

/* IEEE 802.1Q customer tag, 802.1ad service tag, and the pre-standard 0x9100
 * used by some switches for QinQ: 2 bytes of tag control, then the EtherType. */
static bool is_vlan(uint16_t ethertype)
{
    return ethertype == 0x8100 || ethertype == 0x88A8 || ethertype == 0x9100;
}

void tw_decode_ethertype(struct tw_cursor *c, uint16_t ethertype, int depth, struct tw_packet *pkt)
{
    while (is_vlan(ethertype)) {
        if (++depth > TW_MAX_LAYERS) {
            tw_anomaly_set(pkt, TW_ANOM_TOO_MANY_LAYERS);
            return;
        }
        tw_skip(c, 2); /* priority, DEI, VLAN ID: not needed to find the IP header */
        ethertype = tw_get_be16(c);
        if (c->short_read) {
            tw_anomaly_set(pkt, TW_ANOM_LINK_SHORT);
            return;
        }
    }
    switch (ethertype) {
    case 0x0800:
        tw_decode_ipv4(c, depth, pkt);
        break;
    case 0x86DD:
        tw_decode_ipv6(c, depth, pkt);
        break;
    case 0x8847: /* MPLS unicast (RFC 3032 section 5) */
    case 0x8848: /* MPLS multicast (RFC 5332) */
        tw_decode_mpls(c, depth, pkt);
        break;
    case 0x8864: /* PPPoE session stage (RFC 2516 section 4) */
        tw_decode_pppoe(c, depth, pkt);
        break;
    case 0x6558: /* Transparent Ethernet Bridging: GRE (RFC 1701) and Geneve carry Ethernet */
        tw_decode_ether_inner(c, depth, pkt);
        break;
    default:
        tw_anomaly_set(pkt, TW_ANOM_NOT_IP);
        break;
    }
}

void tw_decode_l4(struct tw_cursor *c, uint8_t proto, uint8_t ip_version, uint32_t l4_wire_len,
                  int depth, struct tw_packet *pkt)
{
    if (proto == TW_PROTO_TCP) {
        tw_decode_tcp(c, l4_wire_len, pkt);
    } else if (proto == TW_PROTO_ICMP && ip_version == 4) {
        tw_decode_icmp(c, pkt);
    } else if (proto == TW_PROTO_ICMPV6 && ip_version == 6) {
        tw_decode_icmp6(c, pkt);
    } else if (proto == TW_PROTO_IPIP || proto == TW_PROTO_IPV6) {
        /* IP in IP (RFC 2003), IPv6 in IPv4 (RFC 4213 section 3.5), IPv6 in
         * IPv6 (RFC 2473), IPv4 in IPv6: the inner header is the one whose
         * addresses and TCP header count. */
        if (!tw_layer_enter(&depth, pkt))
            return;
        if (proto == TW_PROTO_IPIP)
            tw_decode_ipv4(c, depth, pkt);
        else
            tw_decode_ipv6(c, depth, pkt);
    } else if (proto == TW_PROTO_AH) {
        /* RFC 4302 section 2: next header, length in 4-byte words minus 2. In
         * IPv6 the extension-header walk has already passed it. */
        if (!tw_layer_enter(&depth, pkt))
            return;
        uint8_t next = tw_get_u8(c);
        uint32_t ah_len = ((uint32_t)tw_get_u8(c) + 2) * 4;
        tw_skip(c, ah_len - 2);
        if (c->short_read) {
            tw_anomaly_set(pkt, TW_ANOM_TUNNEL_SHORT);
            return;
        }
        tw_decode_l4(c, next, ip_version, l4_wire_len > ah_len ? l4_wire_len - ah_len : 0, depth,
                     pkt);
    } else if (proto == TW_PROTO_GRE) {
        tw_decode_gre(c, depth, pkt);
    } else if (proto == TW_PROTO_UDP) {
        tw_decode_udp(c, depth, pkt);
    } else {
        /* Not TCP is not malformed: the tracker simply ignores it. */
        pkt->l4 = TW_L4_OTHER;
    }
}

bool tw_addr_is_v4(const struct tw_addr *a)
{
    static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return memcmp(a->b, prefix, sizeof prefix) == 0;
}

/* v (at most 255) in decimal at p; returns the end. */
static char *put_octet(char *p, unsigned v)
{
    if (v >= 100)
        *p++ = (char)('0' + v / 100);
    if (v >= 10)
        *p++ = (char)('0' + v / 10 % 10);
    *p++ = (char)('0' + v % 10);
    return p;
}

static char *put_dotted(char *p, const uint8_t b[4])
{
    for (int i = 0; i < 4; i++) {
        if (i)
            *p++ = '.';
        p = put_octet(p, b[i]);
    }
    return p;
}

/* w in lowercase hex without leading zeros. */
static char *put_hex16(char *p, unsigned w)
{
    static const char digit[] = "0123456789abcdef";
    bool is_started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
        unsigned d = (w >> shift) & 0xf;
        if (d || is_started || shift == 0) {
            *p++ = digit[d];
            is_started = true;
        }
    }
    return p;
}

/* IPv6 text as glibc's inet_ntop() writes it (unit-tested against it):
 * the first longest run of two or more zero groups becomes "::", and an
 * address whose first 96 bits are zero ends in dotted IPv4 (::ffff:0:0/96,
 * which inet_ntop also writes dotted, is printed as IPv4 by the caller).
 * Formatted by hand: reports print two addresses a record. */
static char *put_v6(char *p, const uint8_t b[16])
{
    unsigned w[8];
    for (int i = 0; i < 8; i++)
        w[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
    int best = -1, best_len = 0;
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && w[j] == 0)
            j++;
        if (j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        i = j > i ? j : i + 1;
    }
    if (best_len < 2)
        best = -1;
    for (int i = 0; i < 8; i++) {
        if (best >= 0 && i >= best && i < best + best_len) {
            if (i == best)
                *p++ = ':';
            continue;
        }
        if (i)
            *p++ = ':';
        if (i == 6 && best == 0 && best_len == 6)
            return put_dotted(p, b + 12);
        p = put_hex16(p, w[i]);
    }
    if (best >= 0 && best + best_len == 8)
        *p++ = ':';
    return p;
}

void tw_addr_format(const struct tw_addr *a, char *buf, size_t size)
{
    if (size == 0)
        return;
    char text[48];
    char *end = tw_addr_is_v4(a) ? put_dotted(text, a->b + 12) : put_v6(text, a->b);
    size_t n = (size_t)(end - text);
    if (n >= size) {
        buf[0] = '\0'; /* buf too small: an empty string rather than a partial address */
        return;
    }
    memcpy(buf, text, n);
    buf[n] = '\0';
}
