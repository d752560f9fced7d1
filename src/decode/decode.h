/* Decoding one captured frame: link -> IP -> TCP or ICMP.
 *
 * Second stage of the pipeline (capture -> decode -> track -> diagnose ->
 * report). tw_decode_frame() fills a struct tw_packet from the frame's bytes;
 * every byte is read through a tw_cursor, so a short or malformed frame never
 * reads out of bounds. A malformed frame is not an error: it gets a named
 * anomaly and decoding stops at that layer, keeping what was already read. */
#ifndef TW_DECODE_DECODE_H
#define TW_DECODE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/cursor.h"
#include "base/hash.h"

/* Nested layers decoded at most: VLAN tags, IPv6 extension headers, MPLS
 * labels, and each tunnel header (PPPoE, GRE, VXLAN, Geneve, an IP header
 * inside IP), counted along the way from the link to TCP. */
#define TW_MAX_LAYERS 8

/* The anomaly list: one row per way a frame can be malformed or undecodable.
 * The enum and the names in the summary record both come from here. */
#define TW_ANOMALY_LIST(X)                                                                         \
    X(NONE, "none")                                                                                \
    X(LINK_UNSUPPORTED, "link_unsupported")                                                        \
    X(LINK_SHORT, "link_short")                                                                    \
    X(TOO_MANY_LAYERS, "too_many_layers")                                                          \
    X(NOT_IP, "not_ip")                                                                            \
    X(IP_SHORT, "ip_short")                                                                        \
    X(IP_BAD_VERSION, "ip_bad_version")                                                            \
    X(IP_BAD_HLEN, "ip_bad_header_length")                                                         \
    X(IP_BAD_TOTLEN, "ip_bad_total_length")                                                        \
    X(IP_FRAGMENT, "ip_later_fragment")                                                            \
    X(IPV6_EXT_SHORT, "ipv6_ext_short")                                                            \
    X(NOT_TCP, "not_tcp")                                                                          \
    X(TCP_SHORT, "tcp_short")                                                                      \
    X(TCP_BAD_OFFSET, "tcp_bad_offset")                                                            \
    X(TCP_BAD_OPTION, "tcp_bad_option")                                                            \
    X(ICMP_SHORT, "icmp_short")                                                                    \
    X(ICMP_QUOTE_SHORT, "icmp_quote_short")                                                        \
    X(TUNNEL_SHORT, "tunnel_short")                                                                \
    X(TUNNEL_BAD, "tunnel_bad_header")

enum tw_anomaly {
#define X(id, name) TW_ANOM_##id,
    TW_ANOMALY_LIST(X)
#undef X
        TW_ANOM_COUNT
};

const char *tw_anomaly_name(enum tw_anomaly a);

/* An IPv4 address is stored as an IPv4-mapped IPv6 address (::ffff:a.b.c.d),
 * so that one 16-byte compare serves both families. */
struct tw_addr {
    uint8_t b[16];
};

/* memcmp's order of two addresses, inline (sorting by address otherwise
 * spends its time calling memcmp). */
static inline int tw_addr_cmp(const struct tw_addr *a, const struct tw_addr *b)
{
    for (int half = 0; half < 2; half++) {
        uint64_t x, y;
        memcpy(&x, a->b + 8 * half, 8);
        memcpy(&y, b->b + 8 * half, 8);
        if (x != y) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            x = __builtin_bswap64(x);
            y = __builtin_bswap64(y);
#endif
            return x < y ? -1 : 1;
        }
    }
    return 0;
}

/* An endpoint's hash, keyed with seed (base/hash.h). The flow table adds
 * the two endpoints' so that either orientation finds the same bucket. */
static inline uint64_t tw_endpoint_hash(uint64_t seed, const struct tw_addr *a, uint16_t port)
{
    uint64_t w0, w1;
    memcpy(&w0, a->b, 8);
    memcpy(&w1, a->b + 8, 8);
    return tw_mix64((seed ^ w0) * 0x9e3779b97f4a7c15ULL + (w1 ^ port));
}

/* The order of two endpoints: address (as tw_addr_cmp), then port. */
static inline int tw_endpoint_cmp(const struct tw_addr *a, uint16_t a_port,
                                  const struct tw_addr *b, uint16_t b_port)
{
    int c = tw_addr_cmp(a, b);
    return c ? c : (a_port > b_port) - (a_port < b_port);
}

enum { TW_TCP_FIN = 0x01, TW_TCP_SYN = 0x02, TW_TCP_RST = 0x04, TW_TCP_PSH = 0x08,
       TW_TCP_ACK = 0x10, TW_TCP_URG = 0x20, TW_TCP_ECE = 0x40, TW_TCP_CWR = 0x80 };

/* A TCP header and the options tcpwhy reasons with (RFC 9293 section 3.1,
 * RFC 7323 for window scale and timestamps, RFC 2018 for SACK). */
struct tw_segment {
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;          /* TW_TCP_* */
    uint16_t window;        /* raw, unscaled */
    uint32_t payload_len;   /* from the IP lengths, not the captured length */
    bool has_mss, has_wscale, has_sack_ok, has_ts;
    uint16_t mss;
    uint8_t wscale;
    uint32_t tsval, tsecr;
};

/* What an ICMP or ICMPv6 error quotes of the packet that caused it
 * (RFC 792, RFC 4443 section 2.4): at least the IP header and the first 8
 * bytes of TCP, i.e. ports and sequence number. */
struct tw_icmp_error {
    uint8_t type, code;
    uint8_t quoted_ip_version;
    struct tw_addr quoted_src, quoted_dst;
    uint8_t quoted_proto;          /* 6 for TCP */
    uint16_t quoted_sport, quoted_dport;
    bool has_quoted_seq;
    uint32_t quoted_seq;
};

enum tw_l4 { TW_L4_NONE = 0, TW_L4_TCP, TW_L4_ICMP_ERROR, TW_L4_OTHER };

/* One decoded frame. Plain data; copy what you keep. */
struct tw_packet {
    uint64_t frame;          /* 1-based, as Wireshark numbers frames */
    int64_t ts_ns;           /* capture time, ns since the epoch (UTC) */
    uint32_t caplen, wirelen;
    int linktype;            /* DLT_* as libpcap reports it */
    bool has_l2_src;         /* link-layer source known (Ethernet, SLL) */
    uint8_t l2_src[8];
    uint8_t l2_src_len;

    uint8_t ip_version;      /* 4 or 6; 0 when no IP header was decoded */
    struct tw_addr src, dst;
    uint8_t ttl;             /* IPv4 TTL or IPv6 hop limit */
    bool has_ip_id;          /* IPv4 only */
    uint16_t ip_id;
    bool dont_fragment;

    enum tw_l4 l4;
    struct tw_segment tcp;        /* valid when l4 == TW_L4_TCP */
    struct tw_icmp_error icmp;    /* valid when l4 == TW_L4_ICMP_ERROR */

    bool is_snapped;         /* caplen < wirelen: cut by the snap length */
    enum tw_anomaly anomaly; /* first problem met; TW_ANOM_NONE if clean */
};

/* Decodes one frame of the given libpcap link type (DLT_*) into pkt. Fills
 * pkt from the bytes; the caller sets frame, ts_ns, caplen, wirelen before or
 * after. Never fails: the result is in pkt->l4 and pkt->anomaly. */
void tw_decode_frame(int linktype, const uint8_t *bytes, uint32_t caplen, uint32_t wirelen,
                     struct tw_packet *pkt);

/* True when libpcap link type linktype is one tw_decode_frame understands. */
bool tw_decode_link_supported(int linktype);

/* Per-protocol decoders, one per file; each reads from c and fills pkt.
 * Link decoders continue into tw_decode_ethertype() with the EtherType they
 * found; IP decoders continue into tw_decode_l4(). `depth` counts layers.
 *
 * Tunnels: the packet's addresses and TCP header are those of the innermost
 * IP packet reached, i.e. of the first TCP header after the link, IP and
 * tunnel headers (spec/verdicts.md, "Summary record"); the outer headers are
 * only walked through. */
void tw_decode_ether(struct tw_cursor *c, struct tw_packet *pkt);
/* An Ethernet frame inside a tunnel (VXLAN, Geneve, GRE 0x6558, MPLS pseudowire):
 * the link-layer source stays the outer one, where the capture was taken. */
void tw_decode_ether_inner(struct tw_cursor *c, int depth, struct tw_packet *pkt);
void tw_decode_mpls(struct tw_cursor *c, int depth, struct tw_packet *pkt);
void tw_decode_pppoe(struct tw_cursor *c, int depth, struct tw_packet *pkt);
void tw_decode_ppp(struct tw_cursor *c, int depth, struct tw_packet *pkt);
void tw_decode_gre(struct tw_cursor *c, int depth, struct tw_packet *pkt);
void tw_decode_udp(struct tw_cursor *c, int depth, struct tw_packet *pkt);
void tw_decode_vxlan(struct tw_cursor *c, int depth, struct tw_packet *pkt);
void tw_decode_geneve(struct tw_cursor *c, int depth, struct tw_packet *pkt);
void tw_decode_sll(struct tw_cursor *c, struct tw_packet *pkt);
void tw_decode_sll2(struct tw_cursor *c, struct tw_packet *pkt);
void tw_decode_null(struct tw_cursor *c, struct tw_packet *pkt, bool is_loop);
void tw_decode_chdlc(struct tw_cursor *c, struct tw_packet *pkt);
void tw_decode_ipoib(struct tw_cursor *c, struct tw_packet *pkt);
void tw_decode_arcnet(struct tw_cursor *c, struct tw_packet *pkt, bool is_linux);
void tw_decode_wlan(struct tw_cursor *c, struct tw_packet *pkt);
void tw_decode_ppi(struct tw_cursor *c, struct tw_packet *pkt);
void tw_decode_ethertype(struct tw_cursor *c, uint16_t ethertype, int depth, struct tw_packet *pkt);
void tw_decode_ipv4(struct tw_cursor *c, int depth, struct tw_packet *pkt);
void tw_decode_ipv6(struct tw_cursor *c, int depth, struct tw_packet *pkt);
void tw_decode_tcp(struct tw_cursor *c, uint32_t tcp_wire_len, struct tw_packet *pkt);
void tw_decode_icmp(struct tw_cursor *c, struct tw_packet *pkt);
void tw_decode_icmp6(struct tw_cursor *c, struct tw_packet *pkt);

/* "198.18.1.2" or "2001:db8::2" into buf (INET6_ADDRSTRLEN bytes is enough). */
void tw_addr_format(const struct tw_addr *a, char *buf, size_t size);
bool tw_addr_is_v4(const struct tw_addr *a);

#endif
