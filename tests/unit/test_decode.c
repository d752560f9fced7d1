/* Unit tests for src/decode: hand-built frames, byte by byte, through
 * tw_decode_frame(), with every field of the result checked. Each frame is
 * also decoded cut at every length from 0 to full, from a heap copy of exactly
 * that many bytes, so that AddressSanitizer catches any read past the capture. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <pcap/dlt.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"

/* ---- packet builder ---------------------------------------------------- */

struct pb {
    uint8_t b[2048];
    size_t n;
};

static void u8(struct pb *p, uint8_t v)
{
    assert_true(p->n < sizeof p->b);
    p->b[p->n++] = v;
}

static void be16(struct pb *p, uint16_t v)
{
    u8(p, (uint8_t)(v >> 8));
    u8(p, (uint8_t)v);
}

static void be32(struct pb *p, uint32_t v)
{
    be16(p, (uint16_t)(v >> 16));
    be16(p, (uint16_t)v);
}

static void bytes(struct pb *p, const void *v, size_t n)
{
    const uint8_t *b = v;
    for (size_t i = 0; i < n; i++)
        u8(p, b[i]);
}

static void zeros(struct pb *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        u8(p, 0);
}

static void put_be16(struct pb *p, size_t at, uint16_t v)
{
    p->b[at] = (uint8_t)(v >> 8);
    p->b[at + 1] = (uint8_t)v;
}

static const uint8_t MAC_SRC[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};
static const uint8_t MAC_DST[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x02};
static const uint8_t V4_SRC[4] = {192, 0, 2, 1};
static const uint8_t V4_DST[4] = {198, 51, 100, 2};
static const uint8_t V4_ROUTER[4] = {203, 0, 113, 9};
static const uint8_t V6_SRC[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t V6_DST[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
static const uint8_t V6_ROUTER[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0xff, 0, 0,
                                      0,    0,    0,    0,    0, 0,    0, 9};

static void ether(struct pb *p, uint16_t ethertype)
{
    bytes(p, MAC_DST, 6);
    bytes(p, MAC_SRC, 6);
    be16(p, ethertype);
}

/* IPv4 header with total length to be patched by ipv4_end(); opts is a
 * multiple of 4 bytes. Returns the header's offset. */
static size_t ipv4_opts(struct pb *p, uint8_t proto, const uint8_t src[4], const uint8_t dst[4],
                        uint16_t frag, const uint8_t *opts, size_t opts_len)
{
    size_t at = p->n;
    u8(p, (uint8_t)(0x40 | (20 + opts_len) / 4));
    u8(p, 0);        /* DSCP, ECN */
    be16(p, 0);      /* total length, patched */
    be16(p, 0x1234); /* identification */
    be16(p, frag);
    u8(p, 64); /* TTL */
    u8(p, proto);
    be16(p, 0); /* checksum: not verified */
    bytes(p, src, 4);
    bytes(p, dst, 4);
    bytes(p, opts, opts_len);
    return at;
}

static size_t ipv4(struct pb *p, uint8_t proto, const uint8_t src[4], const uint8_t dst[4])
{
    return ipv4_opts(p, proto, src, dst, 0x4000 /* DF */, NULL, 0);
}

static void ipv4_end(struct pb *p, size_t at) { put_be16(p, at + 2, (uint16_t)(p->n - at)); }

/* IPv6 header with payload length to be patched by ipv6_end(). */
static size_t ipv6(struct pb *p, uint8_t next, const uint8_t src[16], const uint8_t dst[16])
{
    size_t at = p->n;
    be32(p, 0x60012345); /* version 6, traffic class 0, flow label 0x12345 */
    be16(p, 0);          /* payload length, patched */
    u8(p, next);
    u8(p, 57); /* hop limit */
    bytes(p, src, 16);
    bytes(p, dst, 16);
    return at;
}

static void ipv6_end(struct pb *p, size_t at) { put_be16(p, at + 4, (uint16_t)(p->n - at - 40)); }

static void tcp(struct pb *p, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                uint8_t flags, const uint8_t *opts, size_t opts_len)
{
    be16(p, sport);
    be16(p, dport);
    be32(p, seq);
    be32(p, ack);
    u8(p, (uint8_t)(((20 + opts_len) / 4) << 4));
    u8(p, flags);
    be16(p, 64240); /* window */
    be16(p, 0);     /* checksum */
    be16(p, 0);     /* urgent pointer */
    bytes(p, opts, opts_len);
}

/* Linux's SYN options: MSS 1460, SACK permitted, timestamps, NOP, WS 7. */
static const uint8_t SYN_OPTS[20] = {2,    4,    0x05, 0xb4, 4, 2, 8, 10, 0x11, 0x22,
                                     0x33, 0x44, 0,    0,    0, 0, 1, 3,  3,    7};
enum { SPORT = 40000, DPORT = 443 };
static const uint32_t ISN = 0xfedcba98;

/* IPv4 + TCP SYN with SYN_OPTS: 60 bytes. */
static void v4_syn(struct pb *p)
{
    size_t ip = ipv4(p, 6, V4_SRC, V4_DST);
    tcp(p, SPORT, DPORT, ISN, 0, TW_TCP_SYN, SYN_OPTS, sizeof SYN_OPTS);
    ipv4_end(p, ip);
}

/* IPv6 + Hop-by-Hop (8 bytes, PadN) + TCP SYN with MSS 1440 only: 72 bytes. */
static const uint8_t MSS_OPT[4] = {2, 4, 0x05, 0xa0};
static void v6_hbh_syn(struct pb *p)
{
    size_t ip = ipv6(p, 0, V6_SRC, V6_DST);
    static const uint8_t hbh[8] = {6, 0, 1, 4, 0, 0, 0, 0}; /* next TCP, len 0, PadN(4) */
    bytes(p, hbh, sizeof hbh);
    tcp(p, SPORT, DPORT, ISN, 0, TW_TCP_SYN, MSS_OPT, sizeof MSS_OPT);
    ipv6_end(p, ip);
}

static void v6_syn(struct pb *p)
{
    size_t ip = ipv6(p, 6, V6_SRC, V6_DST);
    tcp(p, SPORT, DPORT, ISN, 0, TW_TCP_SYN, MSS_OPT, sizeof MSS_OPT);
    ipv6_end(p, ip);
}

/* ---- decoding helpers -------------------------------------------------- */

/* Decodes the first caplen bytes from a heap copy of exactly that size. */
static struct tw_packet decode_cut(int dlt, const struct pb *p, size_t caplen)
{
    uint8_t *copy = caplen ? malloc(caplen) : NULL;
    if (caplen)
        assert_non_null(copy);
    if (caplen)
        memcpy(copy, p->b, caplen);
    struct tw_packet pkt;
    memset(&pkt, 0x5a, sizeof pkt); /* garbage the decoder must reset */
    pkt.frame = 42;
    pkt.ts_ns = 1700000000123456789;
    tw_decode_frame(dlt, copy, (uint32_t)caplen, (uint32_t)p->n, &pkt);
    free(copy);
    assert_int_equal(pkt.frame, 42);
    assert_true(pkt.ts_ns == 1700000000123456789);
    assert_int_equal(pkt.caplen, caplen);
    assert_int_equal(pkt.wirelen, p->n);
    assert_int_equal(pkt.linktype, dlt);
    assert_int_equal(pkt.is_snapped, caplen < p->n);
    assert_true(pkt.anomaly < TW_ANOM_COUNT);
    assert_true(pkt.l4 <= TW_L4_OTHER);
    if (pkt.l4 == TW_L4_TCP || pkt.l4 == TW_L4_ICMP_ERROR)
        assert_true(pkt.ip_version == 4 || pkt.ip_version == 6);
    return pkt;
}

static struct tw_packet decode(int dlt, const struct pb *p) { return decode_cut(dlt, p, p->n); }

/* Decodes p cut at every length; decode_cut checks the invariants. */
static void sweep(int dlt, const struct pb *p)
{
    for (size_t n = 0; n <= p->n; n++)
        (void)decode_cut(dlt, p, n);
}

static void assert_addr(const struct tw_addr *a, const char *text)
{
    char buf[64];
    tw_addr_format(a, buf, sizeof buf);
    assert_string_equal(buf, text);
}

static void assert_l2_src(const struct tw_packet *pkt, const uint8_t *mac, size_t len)
{
    assert_true(pkt->has_l2_src);
    assert_int_equal(pkt->l2_src_len, len);
    assert_memory_equal(pkt->l2_src, mac, len);
}

static void assert_v4_ip(const struct tw_packet *pkt)
{
    assert_int_equal(pkt->ip_version, 4);
    assert_addr(&pkt->src, "192.0.2.1");
    assert_addr(&pkt->dst, "198.51.100.2");
    assert_true(tw_addr_is_v4(&pkt->src));
    assert_true(tw_addr_is_v4(&pkt->dst));
    assert_int_equal(pkt->ttl, 64);
    assert_true(pkt->has_ip_id);
    assert_int_equal(pkt->ip_id, 0x1234);
    assert_true(pkt->dont_fragment);
}

static void assert_v6_ip(const struct tw_packet *pkt)
{
    assert_int_equal(pkt->ip_version, 6);
    assert_addr(&pkt->src, "2001:db8::1");
    assert_addr(&pkt->dst, "2001:db8::2");
    assert_false(tw_addr_is_v4(&pkt->src));
    assert_int_equal(pkt->ttl, 57);
    assert_false(pkt->has_ip_id);
    assert_int_equal(pkt->ip_id, 0);
    assert_false(pkt->dont_fragment);
}

static void assert_syn_fixed(const struct tw_segment *s)
{
    assert_int_equal(s->sport, SPORT);
    assert_int_equal(s->dport, DPORT);
    assert_int_equal(s->seq, ISN);
    assert_int_equal(s->ack, 0);
    assert_int_equal(s->flags, TW_TCP_SYN);
    assert_int_equal(s->window, 64240);
    assert_int_equal(s->payload_len, 0);
}

/* The v4_syn() segment, all options present. */
static void assert_v4_syn_tcp(const struct tw_packet *pkt)
{
    assert_int_equal(pkt->l4, TW_L4_TCP);
    assert_syn_fixed(&pkt->tcp);
    assert_true(pkt->tcp.has_mss);
    assert_int_equal(pkt->tcp.mss, 1460);
    assert_true(pkt->tcp.has_sack_ok);
    assert_true(pkt->tcp.has_ts);
    assert_int_equal(pkt->tcp.tsval, 0x11223344);
    assert_int_equal(pkt->tcp.tsecr, 0);
    assert_true(pkt->tcp.has_wscale);
    assert_int_equal(pkt->tcp.wscale, 7);
}

/* The v6_syn() / v6_hbh_syn() segment: MSS 1440 only. */
static void assert_v6_syn_tcp(const struct tw_packet *pkt)
{
    assert_int_equal(pkt->l4, TW_L4_TCP);
    assert_syn_fixed(&pkt->tcp);
    assert_true(pkt->tcp.has_mss);
    assert_int_equal(pkt->tcp.mss, 1440);
    assert_false(pkt->tcp.has_sack_ok);
    assert_false(pkt->tcp.has_ts);
    assert_false(pkt->tcp.has_wscale);
}

/* ---- link layers ------------------------------------------------------- */

static void test_ether_ipv4_syn(void **state)
{
    (void)state;
    struct pb p = {0};
    ether(&p, 0x0800);
    v4_syn(&p);
    assert_int_equal(p.n, 74);
    struct tw_packet pkt = decode(DLT_EN10MB, &p);
    assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
    assert_false(pkt.is_snapped);
    assert_l2_src(&pkt, MAC_SRC, 6);
    assert_v4_ip(&pkt);
    assert_v4_syn_tcp(&pkt);
}

static void test_ether_vlan(void **state)
{
    (void)state;
    static const uint16_t tpids[] = {0x8100, 0x88A8, 0x9100};
    for (size_t i = 0; i < sizeof tpids / sizeof tpids[0]; i++) {
        struct pb p = {0};
        ether(&p, tpids[i]);
        be16(&p, 0x2064); /* PCP 1, VLAN 100 */
        be16(&p, 0x0800);
        v4_syn(&p);
        struct tw_packet pkt = decode(DLT_EN10MB, &p);
        assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
        assert_l2_src(&pkt, MAC_SRC, 6);
        assert_v4_ip(&pkt);
        assert_v4_syn_tcp(&pkt);
        sweep(DLT_EN10MB, &p);
    }
}

static void test_ether_qinq(void **state)
{
    (void)state;
    struct pb p = {0};
    ether(&p, 0x88A8);
    be16(&p, 10);
    be16(&p, 0x8100);
    be16(&p, 20);
    be16(&p, 0x86DD);
    v6_syn(&p);
    struct tw_packet pkt = decode(DLT_EN10MB, &p);
    assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
    assert_l2_src(&pkt, MAC_SRC, 6);
    assert_v6_ip(&pkt);
    assert_v6_syn_tcp(&pkt);

    /* Cut inside the second tag: the link layer is short. */
    for (size_t n = 14; n < 22; n++) {
        pkt = decode_cut(DLT_EN10MB, &p, n);
        assert_int_equal(pkt.anomaly, TW_ANOM_LINK_SHORT);
        assert_int_equal(pkt.ip_version, 0);
        assert_int_equal(pkt.l4, TW_L4_NONE);
    }
    sweep(DLT_EN10MB, &p);
}

/* TW_MAX_LAYERS tags decode; one more is too many. */
static void test_ether_vlan_depth(void **state)
{
    (void)state;
    for (int tags = TW_MAX_LAYERS; tags <= TW_MAX_LAYERS + 1; tags++) {
        struct pb p = {0};
        ether(&p, 0x8100);
        for (int i = 0; i < tags; i++) {
            be16(&p, (uint16_t)i);
            be16(&p, i + 1 < tags ? 0x8100 : 0x0800);
        }
        v4_syn(&p);
        struct tw_packet pkt = decode(DLT_EN10MB, &p);
        if (tags <= TW_MAX_LAYERS) {
            assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
            assert_v4_syn_tcp(&pkt);
        } else {
            assert_int_equal(pkt.anomaly, TW_ANOM_TOO_MANY_LAYERS);
            assert_int_equal(pkt.ip_version, 0);
            assert_int_equal(pkt.l4, TW_L4_NONE);
        }
    }
}

static void test_ether_not_ip(void **state)
{
    (void)state;
    /* ARP */
    struct pb p = {0};
    ether(&p, 0x0806);
    zeros(&p, 28);
    struct tw_packet pkt = decode(DLT_EN10MB, &p);
    assert_int_equal(pkt.anomaly, TW_ANOM_NOT_IP);
    assert_l2_src(&pkt, MAC_SRC, 6);
    assert_int_equal(pkt.ip_version, 0);
    assert_int_equal(pkt.l4, TW_L4_NONE);

    /* 802.3 length field followed by LLC (spanning tree) */
    struct pb q = {0};
    ether(&q, 0x0026);
    static const uint8_t llc[3] = {0x42, 0x42, 0x03};
    bytes(&q, llc, sizeof llc);
    zeros(&q, 35);
    pkt = decode(DLT_EN10MB, &q);
    assert_int_equal(pkt.anomaly, TW_ANOM_NOT_IP);
    assert_true(pkt.has_l2_src);

    /* EtherType IPv4 carrying an IPv6 packet */
    struct pb r = {0};
    ether(&r, 0x0800);
    v6_syn(&r);
    pkt = decode(DLT_EN10MB, &r);
    assert_int_equal(pkt.anomaly, TW_ANOM_IP_BAD_VERSION);
    assert_int_equal(pkt.ip_version, 0);
    assert_int_equal(pkt.l4, TW_L4_NONE);
}

static void test_sll(void **state)
{
    (void)state;
    struct pb p = {0};
    be16(&p, 0); /* packet type: to us */
    be16(&p, 1); /* ARPHRD_ETHER */
    be16(&p, 6); /* address length */
    bytes(&p, MAC_SRC, 6);
    zeros(&p, 2); /* address padding */
    be16(&p, 0x0800);
    v4_syn(&p);
    struct tw_packet pkt = decode(DLT_LINUX_SLL, &p);
    assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
    assert_l2_src(&pkt, MAC_SRC, 6);
    assert_v4_ip(&pkt);
    assert_v4_syn_tcp(&pkt);
    for (size_t n = 0; n < 16; n++)
        assert_int_equal(decode_cut(DLT_LINUX_SLL, &p, n).anomaly, TW_ANOM_LINK_SHORT);
    sweep(DLT_LINUX_SLL, &p);

    /* A tun device: ARPHRD_NONE, no address. */
    struct pb q = {0};
    be16(&q, 4);      /* outgoing */
    be16(&q, 0xfffe); /* ARPHRD_NONE */
    be16(&q, 0);
    zeros(&q, 8);
    be16(&q, 0x86DD);
    v6_syn(&q);
    pkt = decode(DLT_LINUX_SLL, &q);
    assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
    assert_false(pkt.has_l2_src);
    assert_int_equal(pkt.l2_src_len, 0);
    assert_v6_ip(&pkt);
    assert_v6_syn_tcp(&pkt);
}

/* SLL2 + IPv6 + Hop-by-Hop + TCP SYN with MSS; also cut at every length. */
static void test_sll2(void **state)
{
    (void)state;
    static const uint8_t addr[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    struct pb p = {0};
    be16(&p, 0x86DD); /* protocol type */
    be16(&p, 0);      /* reserved */
    be32(&p, 3);      /* interface index */
    be16(&p, 1);      /* ARPHRD_ETHER */
    u8(&p, 4);        /* outgoing */
    u8(&p, 8);        /* address length: the full field */
    bytes(&p, addr, 8);
    v6_hbh_syn(&p);
    assert_int_equal(p.n, 92);
    struct tw_packet pkt = decode(DLT_LINUX_SLL2, &p);
    assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
    assert_l2_src(&pkt, addr, 8);
    assert_v6_ip(&pkt);
    assert_v6_syn_tcp(&pkt);

    for (size_t n = 0; n <= p.n; n++) {
        pkt = decode_cut(DLT_LINUX_SLL2, &p, n);
        if (n < 20) {
            assert_int_equal(pkt.anomaly, TW_ANOM_LINK_SHORT);
            assert_false(pkt.has_l2_src);
            continue;
        }
        assert_l2_src(&pkt, addr, 8);
        if (n < 60) {
            assert_int_equal(pkt.anomaly, TW_ANOM_IP_SHORT);
            assert_int_equal(pkt.ip_version, 0);
            assert_int_equal(pkt.l4, TW_L4_NONE);
            continue;
        }
        assert_v6_ip(&pkt);
        if (n < 68) {
            assert_int_equal(pkt.anomaly, TW_ANOM_IPV6_EXT_SHORT);
            assert_int_equal(pkt.l4, TW_L4_NONE);
        } else if (n < 82) {
            assert_int_equal(pkt.anomaly, TW_ANOM_TCP_SHORT);
            assert_int_equal(pkt.l4, TW_L4_NONE);
        } else if (n < 88) {
            assert_int_equal(pkt.anomaly, TW_ANOM_TCP_SHORT);
            assert_int_equal(pkt.l4, TW_L4_TCP);
            assert_int_equal(pkt.tcp.flags, TW_TCP_SYN);
            assert_int_equal(pkt.tcp.seq, ISN);
            assert_int_equal(pkt.tcp.payload_len, 0);
            assert_false(pkt.tcp.has_mss);
        } else {
            assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
            assert_int_equal(pkt.l4, TW_L4_TCP);
            assert_int_equal(pkt.tcp.has_mss, n == 92);
        }
    }
}

static void test_null_loop(void **state)
{
    (void)state;
    struct {
        int dlt;
        uint8_t family[4];
        int version; /* 0: not IP */
    } cases[] = {
        {DLT_NULL, {2, 0, 0, 0}, 4},  /* AF_INET, little-endian writer */
        {DLT_NULL, {0, 0, 0, 2}, 4},  /* AF_INET, big-endian writer */
        {DLT_NULL, {10, 0, 0, 0}, 6}, /* Linux AF_INET6 */
        {DLT_NULL, {24, 0, 0, 0}, 6}, /* OpenBSD / NetBSD */
        {DLT_NULL, {28, 0, 0, 0}, 6}, /* FreeBSD */
        {DLT_NULL, {0, 0, 0, 30}, 6}, /* macOS, big-endian writer */
        {DLT_NULL, {7, 0, 0, 0}, 0},  /* AF_UNIX-ish: not IP */
        {DLT_LOOP, {0, 0, 0, 2}, 4},  {DLT_LOOP, {0, 0, 0, 24}, 6},
        {DLT_LOOP, {2, 0, 0, 0}, 0}, /* network order: 0x02000000 is no family */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pb p = {0};
        bytes(&p, cases[i].family, 4);
        if (cases[i].version == 6)
            v6_syn(&p);
        else
            v4_syn(&p);
        struct tw_packet pkt = decode(cases[i].dlt, &p);
        assert_false(pkt.has_l2_src);
        if (cases[i].version == 0) {
            assert_int_equal(pkt.anomaly, TW_ANOM_NOT_IP);
            assert_int_equal(pkt.l4, TW_L4_NONE);
            continue;
        }
        assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
        if (cases[i].version == 4) {
            assert_v4_ip(&pkt);
            assert_v4_syn_tcp(&pkt);
        } else {
            assert_v6_ip(&pkt);
            assert_v6_syn_tcp(&pkt);
        }
        for (size_t n = 0; n < 4; n++)
            assert_int_equal(decode_cut(cases[i].dlt, &p, n).anomaly, TW_ANOM_LINK_SHORT);
        sweep(cases[i].dlt, &p);
    }
}

static void test_raw(void **state)
{
    (void)state;
    struct pb v4 = {0}, v6 = {0};
    v4_syn(&v4);
    v6_syn(&v6);
    static const int raw_dlts[] = {DLT_RAW, 101 /* LINKTYPE_RAW */};
    for (size_t i = 0; i < 2; i++) {
        struct tw_packet pkt = decode(raw_dlts[i], &v4);
        assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
        assert_false(pkt.has_l2_src);
        assert_v4_ip(&pkt);
        assert_v4_syn_tcp(&pkt);
        pkt = decode(raw_dlts[i], &v6);
        assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
        assert_v6_ip(&pkt);
        assert_v6_syn_tcp(&pkt);
        assert_int_equal(decode_cut(raw_dlts[i], &v4, 0).anomaly, TW_ANOM_IP_SHORT);
        sweep(raw_dlts[i], &v4);
        sweep(raw_dlts[i], &v6);
    }
    struct tw_packet pkt = decode(DLT_IPV4, &v4);
    assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
    assert_v4_syn_tcp(&pkt);
    pkt = decode(DLT_IPV6, &v6);
    assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
    assert_v6_syn_tcp(&pkt);
    /* The link type says which IP; the packet disagrees. */
    assert_int_equal(decode(DLT_IPV4, &v6).anomaly, TW_ANOM_IP_BAD_VERSION);
    assert_int_equal(decode(DLT_IPV6, &v4).anomaly, TW_ANOM_IP_BAD_VERSION);
    /* Neither 4 nor 6. */
    struct pb bad = {0};
    u8(&bad, 0x55);
    zeros(&bad, 39);
    pkt = decode(DLT_RAW, &bad);
    assert_int_equal(pkt.anomaly, TW_ANOM_IP_BAD_VERSION);
    assert_int_equal(pkt.ip_version, 0);
}

static void test_link_unsupported(void **state)
{
    (void)state;
    struct pb p = {0};
    ether(&p, 0x0800);
    v4_syn(&p);
    struct tw_packet pkt = decode(DLT_USER0, &p);
    assert_int_equal(pkt.anomaly, TW_ANOM_LINK_UNSUPPORTED);
    assert_int_equal(pkt.l4, TW_L4_NONE);
    assert_int_equal(pkt.ip_version, 0);
    assert_false(pkt.has_l2_src);

    static const int supported[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW,
                                    101,        DLT_IPV4,      DLT_IPV6,       DLT_NULL,
                                    DLT_LOOP,   DLT_PPP,       DLT_PPP_SERIAL, DLT_PPP_ETHER,
                                    DLT_C_HDLC, DLT_IPOIB,     DLT_ARCNET,     DLT_ARCNET_LINUX,
                                    DLT_IEEE802_11, DLT_PPI};
    for (size_t i = 0; i < sizeof supported / sizeof supported[0]; i++)
        assert_true(tw_decode_link_supported(supported[i]));
    assert_false(tw_decode_link_supported(DLT_USER0));
    assert_false(tw_decode_link_supported(DLT_IEEE802_11_RADIO));
    assert_false(tw_decode_link_supported(-1));
}

/* ---- IPv4 -------------------------------------------------------------- */

/* Every length of Ethernet + IPv4 + SYN with options: what is there is kept,
 * the anomaly names the first layer cut. */
static void test_ipv4_truncated(void **state)
{
    (void)state;
    struct pb p = {0};
    ether(&p, 0x0800);
    v4_syn(&p);
    for (size_t n = 0; n <= p.n; n++) {
        struct tw_packet pkt = decode_cut(DLT_EN10MB, &p, n);
        if (n < 14) {
            assert_int_equal(pkt.anomaly, TW_ANOM_LINK_SHORT);
            assert_false(pkt.has_l2_src);
            assert_int_equal(pkt.ip_version, 0);
            assert_int_equal(pkt.l4, TW_L4_NONE);
            continue;
        }
        assert_l2_src(&pkt, MAC_SRC, 6);
        if (n < 34) {
            assert_int_equal(pkt.anomaly, TW_ANOM_IP_SHORT);
            assert_int_equal(pkt.ip_version, 0);
            assert_int_equal(pkt.l4, TW_L4_NONE);
            continue;
        }
        assert_v4_ip(&pkt);
        const struct tw_segment *s = &pkt.tcp;
        if (n < 48) { /* ports, seq, ack, offset, flags: 14 bytes */
            assert_int_equal(pkt.anomaly, TW_ANOM_TCP_SHORT);
            assert_int_equal(pkt.l4, TW_L4_NONE);
            /* Fields read whole are kept, the others are 0. */
            assert_int_equal(s->sport, n >= 36 ? SPORT : 0);
            assert_int_equal(s->dport, n >= 38 ? DPORT : 0);
            assert_int_equal(s->seq, n >= 42 ? ISN : 0);
            continue;
        }
        assert_int_equal(pkt.l4, TW_L4_TCP);
        assert_int_equal(s->sport, SPORT);
        assert_int_equal(s->dport, DPORT);
        assert_int_equal(s->seq, ISN);
        assert_int_equal(s->flags, TW_TCP_SYN);
        assert_int_equal(s->payload_len, 0);
        assert_int_equal(s->window, n >= 50 ? 64240 : 0);
        if (n < 54) {
            assert_int_equal(pkt.anomaly, TW_ANOM_TCP_SHORT);
            assert_false(s->has_mss);
            continue;
        }
        /* Options cut by the snap length are absent, not malformed. */
        assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
        assert_int_equal(s->has_mss, n >= 58);
        assert_int_equal(s->mss, n >= 58 ? 1460 : 0);
        assert_int_equal(s->has_sack_ok, n >= 60);
        assert_int_equal(s->has_ts, n >= 70);
        assert_int_equal(s->tsval, n >= 70 ? 0x11223344 : 0);
        assert_int_equal(s->has_wscale, n >= 74);
        assert_int_equal(s->wscale, n >= 74 ? 7 : 0);
    }
}

static void test_ipv4_options(void **state)
{
    (void)state;
    static const uint8_t opts[8] = {7, 7, 4, 0, 0, 0, 0, 0}; /* record route, one slot */
    struct pb p = {0};
    ether(&p, 0x0800);
    size_t ip = ipv4_opts(&p, 6, V4_SRC, V4_DST, 0x4000, opts, sizeof opts);
    tcp(&p, SPORT, DPORT, ISN, 0, TW_TCP_SYN, SYN_OPTS, sizeof SYN_OPTS);
    ipv4_end(&p, ip);
    struct tw_packet pkt = decode(DLT_EN10MB, &p);
    assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
    assert_v4_ip(&pkt);
    assert_v4_syn_tcp(&pkt);
    /* Cut inside the options: the IP header is short. */
    for (size_t n = 34; n < 42; n++) {
        pkt = decode_cut(DLT_EN10MB, &p, n);
        assert_int_equal(pkt.anomaly, TW_ANOM_IP_SHORT);
        assert_int_equal(pkt.l4, TW_L4_NONE);
    }
    sweep(DLT_EN10MB, &p);
}

static void test_ipv4_bad_header(void **state)
{
    (void)state;
    /* IHL 4 */
    struct pb p = {0};
    ether(&p, 0x0800);
    v4_syn(&p);
    p.b[14] = 0x44;
    struct tw_packet pkt = decode(DLT_EN10MB, &p);
    assert_int_equal(pkt.anomaly, TW_ANOM_IP_BAD_HLEN);
    assert_int_equal(pkt.l4, TW_L4_NONE);
    assert_int_equal(pkt.ip_version, 4); /* the fixed header was read */
    assert_addr(&pkt.src, "192.0.2.1");

    /* Total length smaller than the header (IHL 15: 60 bytes > 40). */
    struct pb q = {0};
    ether(&q, 0x0800);
    size_t ip = ipv4(&q, 6, V4_SRC, V4_DST);
    tcp(&q, SPORT, DPORT, ISN, 0, TW_TCP_SYN, NULL, 0);
    ipv4_end(&q, ip);
    q.b[14] = 0x4f;
    pkt = decode(DLT_EN10MB, &q);
    assert_int_equal(pkt.anomaly, TW_ANOM_IP_BAD_TOTLEN);
    assert_int_equal(pkt.l4, TW_L4_NONE);
    put_be16(&q, 16, 10); /* total length 10 < 20 */
    q.b[14] = 0x45;
    assert_int_equal(decode(DLT_EN10MB, &q).anomaly, TW_ANOM_IP_BAD_TOTLEN);

    /* Total length beyond the frame, which was not snapped: the frame is
     * believed, the header is flagged, TCP still decodes. */
    put_be16(&q, 16, 1500);
    pkt = decode(DLT_EN10MB, &q);
    assert_int_equal(pkt.anomaly, TW_ANOM_IP_BAD_TOTLEN);
    assert_int_equal(pkt.l4, TW_L4_TCP);
    assert_int_equal(pkt.tcp.payload_len, 0);
    assert_int_equal(pkt.tcp.seq, ISN);

    /* Total length 0: a TSO super-segment captured on the sending host. */
    struct pb t = {0};
    ether(&t, 0x0800);
    (void)ipv4(&t, 6, V4_SRC, V4_DST);
    tcp(&t, SPORT, DPORT, ISN + 1, 1, TW_TCP_ACK, NULL, 0);
    zeros(&t, 100);
    pkt = decode_cut(DLT_EN10MB, &t, 64);
    assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
    assert_int_equal(pkt.l4, TW_L4_TCP);
    assert_int_equal(pkt.tcp.payload_len, 100);
}

/* A 40-byte IPv4 packet padded to Ethernet's 60-byte minimum: the padding is
 * not TCP payload. */
static void test_ether_padding(void **state)
{
    (void)state;
    struct pb p = {0};
    ether(&p, 0x0800);
    size_t ip = ipv4(&p, 6, V4_SRC, V4_DST);
    tcp(&p, SPORT, DPORT, ISN + 1, 0x01020304, TW_TCP_ACK, NULL, 0);
    ipv4_end(&p, ip);
    static const uint8_t pad[6] = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x01};
    bytes(&p, pad, sizeof pad);
    assert_int_equal(p.n, 60);
    struct tw_packet pkt = decode(DLT_EN10MB, &p);
    assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
    assert_v4_ip(&pkt);
    assert_int_equal(pkt.l4, TW_L4_TCP);
    assert_int_equal(pkt.tcp.flags, TW_TCP_ACK);
    assert_int_equal(pkt.tcp.seq, ISN + 1);
    assert_int_equal(pkt.tcp.ack, 0x01020304);
    assert_int_equal(pkt.tcp.payload_len, 0);
    assert_false(pkt.tcp.has_mss);
    assert_false(pkt.tcp.has_ts);
}

/* payload_len comes from the IP lengths even when the snap length cut the
 * segment (tcpdump -s 96). */
static void test_payload_len_snapped(void **state)
{
    (void)state;
    struct pb p = {0};
    ether(&p, 0x0800);
    size_t ip = ipv4(&p, 6, V4_SRC, V4_DST);
    tcp(&p, SPORT, DPORT, ISN + 1, 7, TW_TCP_ACK | TW_TCP_PSH, NULL, 0);
    for (int i = 0; i < 1000; i++)
        u8(&p, (uint8_t)i);
    ipv4_end(&p, ip);
    for (size_t n = 54; n <= p.n; n += 97) {
        struct tw_packet pkt = decode_cut(DLT_EN10MB, &p, n);
        assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
        assert_int_equal(pkt.l4, TW_L4_TCP);
        assert_int_equal(pkt.tcp.payload_len, 1000);
        assert_int_equal(pkt.tcp.flags, TW_TCP_ACK | TW_TCP_PSH);
    }
    /* The same on IPv6 with a Hop-by-Hop header. */
    struct pb q = {0};
    size_t ip6 = ipv6(&q, 0, V6_SRC, V6_DST);
    static const uint8_t hbh[8] = {6, 0, 1, 4, 0, 0, 0, 0};
    bytes(&q, hbh, sizeof hbh);
    tcp(&q, SPORT, DPORT, ISN + 1, 7, TW_TCP_ACK, NULL, 0);
    zeros(&q, 300);
    ipv6_end(&q, ip6);
    struct tw_packet pkt = decode_cut(DLT_RAW, &q, 68);
    assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
    assert_true(pkt.is_snapped);
    assert_int_equal(pkt.tcp.payload_len, 300);
}

static void test_ipv4_fragments(void **state)
{
    (void)state;
    /* A later fragment: offset 1480 bytes, More Fragments set. */
    struct pb p = {0};
    ether(&p, 0x0800);
    size_t ip = ipv4_opts(&p, 6, V4_SRC, V4_DST, 0x2000 | 185, NULL, 0);
    zeros(&p, 100);
    ipv4_end(&p, ip);
    struct tw_packet pkt = decode(DLT_EN10MB, &p);
    assert_int_equal(pkt.anomaly, TW_ANOM_IP_FRAGMENT);
    assert_int_equal(pkt.l4, TW_L4_NONE);
    assert_int_equal(pkt.ip_version, 4);
    assert_addr(&pkt.src, "192.0.2.1");
    assert_true(pkt.has_ip_id);
    assert_int_equal(pkt.ip_id, 0x1234);
    assert_false(pkt.dont_fragment);

    /* The first fragment (MF set, offset 0) carries the whole TCP header. */
    struct pb q = {0};
    ether(&q, 0x0800);
    ip = ipv4_opts(&q, 6, V4_SRC, V4_DST, 0x2000, NULL, 0);
    tcp(&q, SPORT, DPORT, ISN, 0, TW_TCP_ACK, NULL, 0);
    zeros(&q, 80);
    ipv4_end(&q, ip);
    pkt = decode(DLT_EN10MB, &q);
    assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
    assert_int_equal(pkt.l4, TW_L4_TCP);
    assert_false(pkt.dont_fragment);
    assert_int_equal(pkt.tcp.payload_len, 80);
}

static void test_not_tcp(void **state)
{
    (void)state;
    struct pb p = {0};
    ether(&p, 0x0800);
    size_t ip = ipv4(&p, 17, V4_SRC, V4_DST);
    be16(&p, 5353);
    be16(&p, 53);
    be16(&p, 8);
    be16(&p, 0);
    ipv4_end(&p, ip);
    struct tw_packet pkt = decode(DLT_EN10MB, &p);
    assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
    assert_int_equal(pkt.l4, TW_L4_OTHER);
    assert_v4_ip(&pkt);

    /* ICMP echo request: not an error. */
    struct pb q = {0};
    ip = ipv4(&q, 1, V4_SRC, V4_DST);
    u8(&q, 8);
    u8(&q, 0);
    zeros(&q, 6);
    ipv4_end(&q, ip);
    pkt = decode(DLT_RAW, &q);
    assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
    assert_int_equal(pkt.l4, TW_L4_OTHER);
    assert_int_equal(pkt.icmp.type, 0);

    /* IPv6 No Next Header. */
    struct pb r = {0};
    size_t ip6 = ipv6(&r, 59, V6_SRC, V6_DST);
    ipv6_end(&r, ip6);
    pkt = decode(DLT_RAW, &r);
    assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
    assert_int_equal(pkt.l4, TW_L4_OTHER);
    assert_v6_ip(&pkt);

    /* ICMPv6 echo request. */
    struct pb s = {0};
    ip6 = ipv6(&s, 58, V6_SRC, V6_DST);
    u8(&s, 128);
    u8(&s, 0);
    zeros(&s, 6);
    ipv6_end(&s, ip6);
    pkt = decode(DLT_RAW, &s);
    assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
    assert_int_equal(pkt.l4, TW_L4_OTHER);
}

/* ---- IPv6 -------------------------------------------------------------- */

static void test_ipv6_hbh_raw(void **state)
{
    (void)state;
    struct pb p = {0};
    v6_hbh_syn(&p);
    struct tw_packet pkt = decode(DLT_RAW, &p);
    assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
    assert_false(pkt.has_l2_src);
    assert_v6_ip(&pkt);
    assert_v6_syn_tcp(&pkt);
    sweep(DLT_RAW, &p);
}

static void test_ipv6_ext_headers(void **state)
{
    (void)state;
    /* Destination options (16 bytes), routing (8), AH (24), then TCP. */
    struct pb p = {0};
    size_t ip = ipv6(&p, 60, V6_SRC, V6_DST);
    static const uint8_t dst_opts[16] = {43, 1, 1, 12};
    bytes(&p, dst_opts, sizeof dst_opts);
    static const uint8_t routing[8] = {51, 0, 4, 0};
    bytes(&p, routing, sizeof routing);
    static const uint8_t ah[24] = {6, 4}; /* (4 + 2) * 4 = 24 bytes */
    bytes(&p, ah, sizeof ah);
    tcp(&p, SPORT, DPORT, ISN, 0, TW_TCP_SYN, MSS_OPT, sizeof MSS_OPT);
    zeros(&p, 12);
    ipv6_end(&p, ip);
    struct tw_packet pkt = decode(DLT_IPV6, &p);
    assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
    assert_v6_ip(&pkt);
    assert_int_equal(pkt.l4, TW_L4_TCP);
    assert_int_equal(pkt.tcp.payload_len, 12);
    assert_int_equal(pkt.tcp.mss, 1440);
    for (size_t n = 40; n < 88; n++) {
        pkt = decode_cut(DLT_IPV6, &p, n);
        assert_int_equal(pkt.anomaly, TW_ANOM_IPV6_EXT_SHORT);
        assert_int_equal(pkt.l4, TW_L4_NONE);
    }
    sweep(DLT_IPV6, &p);

    /* An atomic fragment (offset 0, M clear) is whole. */
    struct pb q = {0};
    ip = ipv6(&q, 44, V6_SRC, V6_DST);
    static const uint8_t frag0[8] = {6, 0, 0, 0, 0xca, 0xfe, 0, 1};
    bytes(&q, frag0, sizeof frag0);
    tcp(&q, SPORT, DPORT, ISN, 0, TW_TCP_SYN, MSS_OPT, sizeof MSS_OPT);
    ipv6_end(&q, ip);
    pkt = decode(DLT_IPV6, &q);
    assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
    assert_v6_syn_tcp(&pkt);

    /* A later fragment: offset 1448 bytes = 181 units. */
    struct pb r = {0};
    ip = ipv6(&r, 44, V6_SRC, V6_DST);
    static const uint8_t frag1[8] = {6, 0, (181 << 3) >> 8, (181 << 3) & 0xff, 0xca, 0xfe, 0, 1};
    bytes(&r, frag1, sizeof frag1);
    zeros(&r, 64);
    ipv6_end(&r, ip);
    pkt = decode(DLT_IPV6, &r);
    assert_int_equal(pkt.anomaly, TW_ANOM_IP_FRAGMENT);
    assert_int_equal(pkt.l4, TW_L4_NONE);
    assert_v6_ip(&pkt);

    /* Hop-by-Hop claiming 16 bytes in an 8-byte payload. */
    struct pb s = {0};
    ip = ipv6(&s, 0, V6_SRC, V6_DST);
    static const uint8_t hbh_long[8] = {6, 1, 1, 4};
    bytes(&s, hbh_long, sizeof hbh_long);
    ipv6_end(&s, ip);
    zeros(&s, 20); /* trailing bytes beyond the payload length are not read */
    pkt = decode(DLT_IPV6, &s);
    assert_int_equal(pkt.anomaly, TW_ANOM_IPV6_EXT_SHORT);
    assert_int_equal(pkt.l4, TW_L4_NONE);

    /* One extension header more than TW_MAX_LAYERS. */
    struct pb t = {0};
    ip = ipv6(&t, 60, V6_SRC, V6_DST);
    for (int i = 0; i <= TW_MAX_LAYERS; i++) {
        uint8_t opt[8] = {i < TW_MAX_LAYERS ? 60 : 6, 0, 1, 4};
        bytes(&t, opt, sizeof opt);
    }
    tcp(&t, SPORT, DPORT, ISN, 0, TW_TCP_SYN, NULL, 0);
    ipv6_end(&t, ip);
    pkt = decode(DLT_IPV6, &t);
    assert_int_equal(pkt.anomaly, TW_ANOM_TOO_MANY_LAYERS);
    assert_int_equal(pkt.l4, TW_L4_NONE);
}

/* Payload length 0 (jumbogram, or a BIG TCP super-segment): the frame gives
 * the length. A payload length beyond the frame is flagged. */
static void test_ipv6_lengths(void **state)
{
    (void)state;
    struct pb p = {0};
    v6_syn(&p);
    zeros(&p, 100);
    put_be16(&p, 4, 0);
    struct tw_packet pkt = decode(DLT_RAW, &p);
    assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
    assert_int_equal(pkt.tcp.payload_len, 100);

    put_be16(&p, 4, 2000);
    pkt = decode(DLT_RAW, &p);
    assert_int_equal(pkt.anomaly, TW_ANOM_IP_BAD_TOTLEN);
    assert_int_equal(pkt.l4, TW_L4_TCP);
    assert_int_equal(pkt.tcp.payload_len, 100);
}

/* ---- TCP --------------------------------------------------------------- */

static void test_tcp_bad_offset(void **state)
{
    (void)state;
    struct pb p = {0};
    ether(&p, 0x0800);
    v4_syn(&p);
    p.b[14 + 20 + 12] = 0x40; /* data offset 4 */
    struct tw_packet pkt = decode(DLT_EN10MB, &p);
    assert_int_equal(pkt.anomaly, TW_ANOM_TCP_BAD_OFFSET);
    /* A receiver drops it unread: not a segment to track, but the fixed
     * fields were read. */
    assert_int_equal(pkt.l4, TW_L4_OTHER);
    assert_int_equal(pkt.tcp.sport, SPORT);
    assert_int_equal(pkt.tcp.seq, ISN);
    assert_int_equal(pkt.tcp.flags, TW_TCP_SYN);
    assert_int_equal(pkt.tcp.payload_len, 0);
    assert_false(pkt.tcp.has_mss);

    /* Data offset 15 (60 bytes) in a 40-byte segment: more likely a wrong IP
     * length, still a segment. */
    p.b[14 + 20 + 12] = 0xf0;
    pkt = decode(DLT_EN10MB, &p);
    assert_int_equal(pkt.anomaly, TW_ANOM_TCP_BAD_OFFSET);
    assert_int_equal(pkt.l4, TW_L4_TCP);
    assert_int_equal(pkt.tcp.payload_len, 0);
    assert_false(pkt.tcp.has_mss);
    sweep(DLT_EN10MB, &p);
}

static struct tw_packet decode_with_opts(const uint8_t *opts, size_t len)
{
    struct pb p = {0};
    ether(&p, 0x0800);
    size_t ip = ipv4(&p, 6, V4_SRC, V4_DST);
    tcp(&p, SPORT, DPORT, ISN, 0, TW_TCP_SYN, opts, len);
    ipv4_end(&p, ip);
    sweep(DLT_EN10MB, &p);
    return decode(DLT_EN10MB, &p);
}

static void test_tcp_bad_option(void **state)
{
    (void)state;
    /* Length 1 after a good MSS: MSS kept, the rest not read. */
    static const uint8_t len1[8] = {2, 4, 0x05, 0xb4, 3, 1, 7, 0};
    struct tw_packet pkt = decode_with_opts(len1, sizeof len1);
    assert_int_equal(pkt.anomaly, TW_ANOM_TCP_BAD_OPTION);
    assert_int_equal(pkt.l4, TW_L4_TCP);
    assert_syn_fixed(&pkt.tcp);
    assert_true(pkt.tcp.has_mss);
    assert_int_equal(pkt.tcp.mss, 1460);
    assert_false(pkt.tcp.has_wscale);

    /* Length 0. */
    static const uint8_t len0[4] = {4, 0, 1, 1};
    pkt = decode_with_opts(len0, sizeof len0);
    assert_int_equal(pkt.anomaly, TW_ANOM_TCP_BAD_OPTION);
    assert_false(pkt.tcp.has_sack_ok);

    /* Timestamps running past the 8 bytes of option space. */
    static const uint8_t past[8] = {2, 4, 0x05, 0xb4, 8, 10, 0, 0};
    pkt = decode_with_opts(past, sizeof past);
    assert_int_equal(pkt.anomaly, TW_ANOM_TCP_BAD_OPTION);
    assert_true(pkt.tcp.has_mss);
    assert_false(pkt.tcp.has_ts);

    /* A kind in the last byte with no room for its length. */
    static const uint8_t no_len[4] = {1, 1, 1, 2};
    pkt = decode_with_opts(no_len, sizeof no_len);
    assert_int_equal(pkt.anomaly, TW_ANOM_TCP_BAD_OPTION);
    assert_false(pkt.tcp.has_mss);

    /* MSS with length 3: skipped by its length, later options still read. */
    static const uint8_t mss3[8] = {2, 3, 0x05, 1, 3, 3, 9, 0};
    pkt = decode_with_opts(mss3, sizeof mss3);
    assert_int_equal(pkt.anomaly, TW_ANOM_TCP_BAD_OPTION);
    assert_false(pkt.tcp.has_mss);
    assert_true(pkt.tcp.has_wscale);
    assert_int_equal(pkt.tcp.wscale, 9);
}

static void test_tcp_unknown_options(void **state)
{
    (void)state;
    /* MPTCP (30, 12 bytes), SACK block (5, 10 bytes), then timestamps, then
     * EOL: bytes after EOL are padding and are not read as options. */
    static const uint8_t opts[36] = {30, 12, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0, 5, 10, 0, 0, 0, 1,
                                     0,  0,  0, 2, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6,  0, 2, 4, 2};
    struct tw_packet pkt = decode_with_opts(opts, sizeof opts);
    assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
    assert_syn_fixed(&pkt.tcp);
    assert_true(pkt.tcp.has_ts);
    assert_int_equal(pkt.tcp.tsval, 5);
    assert_int_equal(pkt.tcp.tsecr, 6);
    assert_false(pkt.tcp.has_sack_ok);
    assert_false(pkt.tcp.has_mss);
}

/* ---- ICMP -------------------------------------------------------------- */

/* Ethernet + IPv4 ICMP error from a router, quoting `quote_len` bytes of the
 * v4_syn() packet (60 bytes in all). */
static void icmp4_error(struct pb *p, uint8_t type, uint8_t code, size_t quote_len)
{
    struct pb syn = {0};
    v4_syn(&syn);
    ether(p, 0x0800);
    size_t ip = ipv4(p, 1, V4_ROUTER, V4_SRC);
    u8(p, type);
    u8(p, code);
    be16(p, 0); /* checksum */
    be32(p, 0); /* unused */
    bytes(p, syn.b, quote_len);
    ipv4_end(p, ip);
}

static void assert_quoted_v4_syn(const struct tw_packet *pkt, bool has_seq)
{
    const struct tw_icmp_error *e = &pkt->icmp;
    assert_int_equal(e->quoted_ip_version, 4);
    assert_addr(&e->quoted_src, "192.0.2.1");
    assert_addr(&e->quoted_dst, "198.51.100.2");
    assert_int_equal(e->quoted_proto, 6);
    assert_int_equal(e->quoted_sport, SPORT);
    assert_int_equal(e->quoted_dport, DPORT);
    assert_int_equal(e->has_quoted_seq, has_seq);
    assert_int_equal(e->quoted_seq, has_seq ? ISN : 0);
}

static void test_icmp4_errors(void **state)
{
    (void)state;
    static const struct {
        uint8_t type, code;
    } errs[] = {{3, 3} /* port unreachable */,
                {3, 13} /* administratively prohibited */,
                {11, 0} /* TTL exceeded */,
                {3, 4} /* fragmentation needed */};
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        struct pb p = {0};
        icmp4_error(&p, errs[i].type, errs[i].code, 60);
        struct tw_packet pkt = decode(DLT_EN10MB, &p);
        assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
        assert_int_equal(pkt.l4, TW_L4_ICMP_ERROR);
        assert_l2_src(&pkt, MAC_SRC, 6);
        /* The outer addresses are the router's and the SYN sender's. */
        assert_int_equal(pkt.ip_version, 4);
        assert_addr(&pkt.src, "203.0.113.9");
        assert_addr(&pkt.dst, "192.0.2.1");
        assert_int_equal(pkt.icmp.type, errs[i].type);
        assert_int_equal(pkt.icmp.code, errs[i].code);
        assert_quoted_v4_syn(&pkt, true);
    }

    /* A router quoting only IP + 8 bytes (RFC 792's minimum). */
    struct pb p = {0};
    icmp4_error(&p, 3, 13, 28);
    struct tw_packet pkt = decode(DLT_EN10MB, &p);
    assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
    assert_int_equal(pkt.l4, TW_L4_ICMP_ERROR);
    assert_quoted_v4_syn(&pkt, true);

    /* Quoting only the ports: usable, but short. */
    struct pb q = {0};
    icmp4_error(&q, 3, 3, 24);
    pkt = decode(DLT_EN10MB, &q);
    assert_int_equal(pkt.anomaly, TW_ANOM_ICMP_QUOTE_SHORT);
    assert_int_equal(pkt.l4, TW_L4_ICMP_ERROR);
    assert_quoted_v4_syn(&pkt, false);

    /* Quoting the IP header only: nothing to match a connection with. */
    struct pb r = {0};
    icmp4_error(&r, 3, 3, 20);
    static const uint8_t fcs[4] = {0x9c, 0x40, 0x00, 0x35}; /* a trailer after the IP packet */
    bytes(&r, fcs, sizeof fcs);
    pkt = decode(DLT_EN10MB, &r);
    assert_int_equal(pkt.anomaly, TW_ANOM_ICMP_QUOTE_SHORT);
    assert_int_equal(pkt.l4, TW_L4_OTHER);
    assert_int_equal(pkt.icmp.type, 3);
    assert_int_equal(pkt.icmp.quoted_ip_version, 4);
    assert_int_equal(pkt.icmp.quoted_sport, 0);

    /* Quoting something that is not IP. */
    struct pb s = {0};
    icmp4_error(&s, 3, 3, 28);
    s.b[42] = 0x25;
    pkt = decode(DLT_EN10MB, &s);
    assert_int_equal(pkt.anomaly, TW_ANOM_ICMP_QUOTE_SHORT);
    assert_int_equal(pkt.l4, TW_L4_OTHER);
}

/* Every length of the port-unreachable frame (102 bytes). */
static void test_icmp4_truncated(void **state)
{
    (void)state;
    struct pb p = {0};
    icmp4_error(&p, 3, 3, 60);
    assert_int_equal(p.n, 102);
    for (size_t n = 0; n <= p.n; n++) {
        struct tw_packet pkt = decode_cut(DLT_EN10MB, &p, n);
        enum tw_anomaly want;
        enum tw_l4 l4 = TW_L4_NONE;
        if (n < 14)
            want = TW_ANOM_LINK_SHORT;
        else if (n < 34)
            want = TW_ANOM_IP_SHORT;
        else if (n < 42)
            want = TW_ANOM_ICMP_SHORT;
        else if (n < 66)
            want = TW_ANOM_ICMP_QUOTE_SHORT, l4 = TW_L4_OTHER;
        else if (n < 70)
            want = TW_ANOM_ICMP_QUOTE_SHORT, l4 = TW_L4_ICMP_ERROR;
        else
            want = TW_ANOM_NONE, l4 = TW_L4_ICMP_ERROR;
        assert_int_equal(pkt.anomaly, want);
        assert_int_equal(pkt.l4, l4);
        if (n >= 42) {
            assert_int_equal(pkt.icmp.type, 3);
            assert_int_equal(pkt.icmp.code, 3);
        }
        if (n >= 66)
            assert_quoted_v4_syn(&pkt, n >= 70);
    }
}

/* ICMPv6 destination unreachable quoting an IPv6 SYN with a Hop-by-Hop
 * header, from a router. */
static void test_icmp6_errors(void **state)
{
    (void)state;
    struct pb syn = {0};
    v6_hbh_syn(&syn);
    static const uint8_t codes[] = {1 /* administratively prohibited */, 4 /* port unreachable */};
    for (size_t i = 0; i < sizeof codes; i++) {
        struct pb p = {0};
        ether(&p, 0x86DD);
        size_t ip = ipv6(&p, 58, V6_ROUTER, V6_SRC);
        u8(&p, 1);
        u8(&p, codes[i]);
        be16(&p, 0);
        be32(&p, 0);
        bytes(&p, syn.b, syn.n);
        ipv6_end(&p, ip);
        struct tw_packet pkt = decode(DLT_EN10MB, &p);
        assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
        assert_int_equal(pkt.l4, TW_L4_ICMP_ERROR);
        assert_int_equal(pkt.ip_version, 6);
        assert_addr(&pkt.src, "2001:db8:ff::9");
        assert_addr(&pkt.dst, "2001:db8::1");
        const struct tw_icmp_error *e = &pkt.icmp;
        assert_int_equal(e->type, 1);
        assert_int_equal(e->code, codes[i]);
        assert_int_equal(e->quoted_ip_version, 6);
        assert_addr(&e->quoted_src, "2001:db8::1");
        assert_addr(&e->quoted_dst, "2001:db8::2");
        assert_int_equal(e->quoted_proto, 6);
        assert_int_equal(e->quoted_sport, SPORT);
        assert_int_equal(e->quoted_dport, DPORT);
        assert_true(e->has_quoted_seq);
        assert_int_equal(e->quoted_seq, ISN);

        /* 14 + 40 + 8: ICMPv6 header; + 40 + 8: quoted header and HBH. */
        for (size_t n = 0; n <= p.n; n++) {
            pkt = decode_cut(DLT_EN10MB, &p, n);
            if (n >= 54 && n < 62)
                assert_int_equal(pkt.anomaly, TW_ANOM_ICMP_SHORT);
            else if (n >= 62 && n < 114)
                assert_int_equal(pkt.anomaly, TW_ANOM_ICMP_QUOTE_SHORT);
            assert_int_equal(pkt.l4, n < 62    ? TW_L4_NONE
                                     : n < 114 ? TW_L4_OTHER
                                               : TW_L4_ICMP_ERROR);
            assert_int_equal(pkt.icmp.has_quoted_seq, n >= 118);
        }
    }

    /* Packet too big (type 2) quoting UDP: ports, no sequence number. */
    struct pb p = {0};
    size_t ip = ipv6(&p, 58, V6_ROUTER, V6_SRC);
    u8(&p, 2);
    u8(&p, 0);
    be16(&p, 0);
    be32(&p, 1280);
    size_t q = ipv6(&p, 17, V6_SRC, V6_DST);
    be16(&p, 5000);
    be16(&p, 53);
    be16(&p, 8);
    be16(&p, 0);
    ipv6_end(&p, q);
    ipv6_end(&p, ip);
    struct tw_packet pkt = decode(DLT_RAW, &p);
    assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
    assert_int_equal(pkt.l4, TW_L4_ICMP_ERROR);
    assert_int_equal(pkt.icmp.type, 2);
    assert_int_equal(pkt.icmp.quoted_proto, 17);
    assert_int_equal(pkt.icmp.quoted_sport, 5000);
    assert_int_equal(pkt.icmp.quoted_dport, 53);
    assert_false(pkt.icmp.has_quoted_seq);
}

/* ---- names, addresses, reset ------------------------------------------- */

/* ---- tunnels ----------------------------------------------------------- */

static const uint8_t OUT4_SRC[4] = {10, 1, 1, 1};
static const uint8_t OUT4_DST[4] = {10, 2, 2, 2};
static const uint8_t OUT6_SRC[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t OUT6_DST[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

/* The inner SYN: IPv4 (v4_syn) or IPv6 (v6_syn), and the checks that the
 * packet's addresses and TCP header are the inner ones. */
static void inner_syn(struct pb *p, int version)
{
    if (version == 4)
        v4_syn(p);
    else
        v6_syn(p);
}

static void assert_inner_syn(const struct tw_packet *pkt, int version)
{
    assert_int_equal(pkt->anomaly, TW_ANOM_NONE);
    if (version == 4) {
        assert_v4_ip(pkt);
        assert_v4_syn_tcp(pkt);
    } else {
        assert_v6_ip(pkt);
        assert_v6_syn_tcp(pkt);
    }
}

static size_t udp_start(struct pb *p, uint16_t sport, uint16_t dport)
{
    size_t at = p->n;
    be16(p, sport);
    be16(p, dport);
    be16(p, 0); /* length, patched by udp_end() */
    be16(p, 0); /* checksum */
    return at;
}

static void udp_end(struct pb *p, size_t at) { put_be16(p, at + 4, (uint16_t)(p->n - at)); }

/* Every cut of p decodes without reading past it, and a cut anywhere before
 * the inner TCP flags gives no TCP (the outer headers hold none). */
static void sweep_tunnel(int dlt, const struct pb *p, size_t inner_tcp_flags_at)
{
    for (size_t n = 0; n <= p->n; n++) {
        struct tw_packet pkt = decode_cut(dlt, p, n);
        if (n <= inner_tcp_flags_at)
            assert_int_not_equal(pkt.l4, TW_L4_TCP);
        else
            assert_int_equal(pkt.l4, TW_L4_TCP);
    }
}

/* Where the TCP flags byte of the inner SYN that ends p is. */
static size_t flags_at(const struct pb *p, int version)
{
    size_t tcp_len = 20 + (version == 4 ? sizeof SYN_OPTS : sizeof MSS_OPT);
    return p->n - tcp_len + 13;
}

static void test_mpls(void **state)
{
    (void)state;
    for (int v = 4; v <= 6; v += 2) {
        struct pb p = {0};
        ether(&p, 0x8847);
        be32(&p, 0x0001f040); /* label 31, TTL 64 */
        be32(&p, 0x00020140); /* label 32, bottom of stack */
        inner_syn(&p, v);
        struct tw_packet pkt = decode(DLT_EN10MB, &p);
        assert_inner_syn(&pkt, v);
        assert_l2_src(&pkt, MAC_SRC, 6);
        for (size_t n = 14; n < 22; n++)
            assert_int_equal(decode_cut(DLT_EN10MB, &p, n).anomaly, TW_ANOM_TUNNEL_SHORT);
        sweep_tunnel(DLT_EN10MB, &p, flags_at(&p, v));
    }

    /* Ethernet pseudowire with a control word (RFC 4448), multicast EtherType. */
    struct pb p = {0};
    ether(&p, 0x8848);
    be32(&p, 0x00010140);
    be32(&p, 0x00000007); /* control word: first nibble 0, sequence 7 */
    bytes(&p, MAC_DST, 6);
    bytes(&p, MAC_SRC, 6);
    be16(&p, 0x86DD);
    v6_syn(&p);
    struct tw_packet pkt = decode(DLT_EN10MB, &p);
    assert_inner_syn(&pkt, 6);
    sweep_tunnel(DLT_EN10MB, &p, flags_at(&p, 6));

    /* A payload that is neither IP nor a control word. */
    p.n = 0;
    ether(&p, 0x8847);
    be32(&p, 0x00010140);
    be32(&p, 0x12345678);
    pkt = decode(DLT_EN10MB, &p);
    assert_int_equal(pkt.anomaly, TW_ANOM_NOT_IP);
    assert_int_equal(pkt.l4, TW_L4_NONE);

    /* A label stack with no bottom: too many layers, never a read past the end. */
    p.n = 0;
    ether(&p, 0x8847);
    for (int i = 0; i < TW_MAX_LAYERS + 1; i++)
        be32(&p, 0x00001040);
    v4_syn(&p);
    pkt = decode(DLT_EN10MB, &p);
    assert_int_equal(pkt.anomaly, TW_ANOM_TOO_MANY_LAYERS);
    assert_int_equal(pkt.l4, TW_L4_NONE);
    sweep(DLT_EN10MB, &p);
}

static void test_pppoe(void **state)
{
    (void)state;
    for (int v = 4; v <= 6; v += 2) {
        struct pb p = {0};
        ether(&p, 0x8864);
        u8(&p, 0x11);
        u8(&p, 0x00);
        be16(&p, 0x1234); /* session */
        size_t len_at = p.n;
        be16(&p, 0);
        be16(&p, v == 4 ? 0x0021 : 0x0057);
        inner_syn(&p, v);
        put_be16(&p, len_at, (uint16_t)(p.n - len_at - 2));
        struct tw_packet pkt = decode(DLT_EN10MB, &p);
        assert_inner_syn(&pkt, v);
        for (size_t n = 14; n < 22; n++)
            assert_int_equal(decode_cut(DLT_EN10MB, &p, n).anomaly, TW_ANOM_TUNNEL_SHORT);
        sweep_tunnel(DLT_EN10MB, &p, flags_at(&p, v));
    }

    /* LCP in a session is control traffic; a discovery code is not a session. */
    struct pb p = {0};
    ether(&p, 0x8864);
    be32(&p, 0x11000001);
    be16(&p, 6);
    be16(&p, 0xc021);
    be32(&p, 0x01010004);
    assert_int_equal(decode(DLT_EN10MB, &p).anomaly, TW_ANOM_NOT_IP);
    p.b[15] = 0x09; /* PADI */
    assert_int_equal(decode(DLT_EN10MB, &p).anomaly, TW_ANOM_TUNNEL_BAD);
    p.b[15] = 0x00;
    p.b[14] = 0x21; /* version 2 */
    assert_int_equal(decode(DLT_EN10MB, &p).anomaly, TW_ANOM_TUNNEL_BAD);
}

/* Outer IPv4 or IPv6 header with protocol proto; returns its offset. */
static size_t outer_ip(struct pb *p, int version, uint8_t proto)
{
    return version == 4 ? ipv4(p, proto, OUT4_SRC, OUT4_DST) : ipv6(p, proto, OUT6_SRC, OUT6_DST);
}

static void outer_end(struct pb *p, int version, size_t at)
{
    if (version == 4)
        ipv4_end(p, at);
    else
        ipv6_end(p, at);
}

static void test_gre(void **state)
{
    (void)state;
    /* RFC 2784 plain, with checksum, with key and sequence (RFC 2890). */
    static const uint16_t flag_sets[] = {0x0000, 0x8000, 0x2000, 0x1000, 0xb000};
    for (size_t i = 0; i < sizeof flag_sets / sizeof flag_sets[0]; i++) {
        for (int outer = 4; outer <= 6; outer += 2) {
            for (int v = 4; v <= 6; v += 2) {
                struct pb p = {0};
                ether(&p, outer == 4 ? 0x0800 : 0x86DD);
                size_t ip = outer_ip(&p, outer, 47);
                be16(&p, flag_sets[i]);
                be16(&p, v == 4 ? 0x0800 : 0x86DD);
                if (flag_sets[i] & 0x8000)
                    be32(&p, 0xabcd0000);
                if (flag_sets[i] & 0x2000)
                    be32(&p, 0x00000064);
                if (flag_sets[i] & 0x1000)
                    be32(&p, 0x00000001);
                inner_syn(&p, v);
                outer_end(&p, outer, ip);
                struct tw_packet pkt = decode(DLT_EN10MB, &p);
                assert_inner_syn(&pkt, v);
                sweep_tunnel(DLT_EN10MB, &p, flags_at(&p, v));
            }
        }
    }

    /* Transparent Ethernet Bridging (0x6558) with a key, over raw IP. */
    struct pb p = {0};
    size_t ip = outer_ip(&p, 4, 47);
    be16(&p, 0x2000);
    be16(&p, 0x6558);
    be32(&p, 7);
    bytes(&p, MAC_DST, 6);
    bytes(&p, MAC_DST, 6); /* the inner frame's source does not replace the outer one */
    be16(&p, 0x8100);
    be16(&p, 5);
    be16(&p, 0x0800);
    v4_syn(&p);
    ipv4_end(&p, ip);
    struct tw_packet pkt = decode(DLT_RAW, &p);
    assert_inner_syn(&pkt, 4);
    assert_false(pkt.has_l2_src);
    sweep_tunnel(DLT_RAW, &p, flags_at(&p, 4));

    /* PPTP's enhanced GRE (RFC 2637): key, sequence and acknowledgment, then PPP
     * with address and control bytes; and an acknowledgment alone. */
    p.n = 0;
    ip = outer_ip(&p, 4, 47);
    be16(&p, 0x3081); /* K, S, A, version 1 */
    be16(&p, 0x880b);
    be32(&p, 0x00400001); /* payload length, call id */
    be32(&p, 5);          /* sequence */
    be32(&p, 4);          /* acknowledgment */
    be16(&p, 0xff03);
    be16(&p, 0x0021);
    v4_syn(&p);
    ipv4_end(&p, ip);
    pkt = decode(DLT_RAW, &p);
    assert_inner_syn(&pkt, 4);
    sweep_tunnel(DLT_RAW, &p, flags_at(&p, 4));

    p.n = 0;
    ip = outer_ip(&p, 4, 47);
    be16(&p, 0x2081); /* K, A: no payload */
    be16(&p, 0x880b);
    be32(&p, 0x00000001);
    be32(&p, 4);
    ipv4_end(&p, ip);
    pkt = decode(DLT_RAW, &p);
    assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
    assert_int_equal(pkt.l4, TW_L4_OTHER);

    /* PPP with a compressed protocol field (RFC 1661 section 6.5). */
    p.n = 0;
    ip = outer_ip(&p, 4, 47);
    be16(&p, 0x3001);
    be16(&p, 0x880b);
    be32(&p, 0x00400001);
    be32(&p, 5);
    u8(&p, 0x57);
    v6_syn(&p);
    ipv4_end(&p, ip);
    pkt = decode(DLT_RAW, &p);
    assert_inner_syn(&pkt, 6);

    /* Versions 1 without a key and 2 are not GRE we can read. */
    static const uint16_t bad[] = {0x0001, 0x0002, 0x0007};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p.n = 0;
        ip = outer_ip(&p, 4, 47);
        be16(&p, bad[i]);
        be16(&p, 0x880b);
        be32(&p, 0);
        ipv4_end(&p, ip);
        pkt = decode(DLT_RAW, &p);
        assert_int_equal(pkt.anomaly, TW_ANOM_TUNNEL_BAD);
        assert_int_equal(pkt.l4, TW_L4_NONE);
    }

    /* RFC 1701 routing: a source route entry list ending in a null entry. */
    p.n = 0;
    ip = outer_ip(&p, 4, 47);
    be16(&p, 0x4000);
    be16(&p, 0x0800);
    be32(&p, 0);          /* checksum (absent) and offset */
    be16(&p, 0x0800);     /* SRE: IPv4 family */
    u8(&p, 0);
    u8(&p, 8);
    be32(&p, 0x0a000001);
    be32(&p, 0x0a000002);
    be32(&p, 0);          /* null SRE */
    v4_syn(&p);
    ipv4_end(&p, ip);
    pkt = decode(DLT_RAW, &p);
    assert_inner_syn(&pkt, 4);
    sweep_tunnel(DLT_RAW, &p, flags_at(&p, 4));
}

static void test_vxlan_geneve(void **state)
{
    (void)state;
    for (int kind = 0; kind < 3; kind++) { /* VXLAN, Geneve + Ethernet, Geneve + IP */
        for (int outer = 4; outer <= 6; outer += 2) {
            for (int v = 4; v <= 6; v += 2) {
                struct pb p = {0};
                ether(&p, outer == 4 ? 0x0800 : 0x86DD);
                size_t ip = outer_ip(&p, outer, 17);
                size_t udp = udp_start(&p, 54321, kind == 0 ? 4789 : 6081);
                if (kind == 0) {
                    be32(&p, 0x08000000);
                    be32(&p, 0x00006400); /* VNI 100 */
                } else {
                    u8(&p, 2); /* version 0, 8 bytes of options */
                    u8(&p, 0);
                    be16(&p, kind == 1 ? 0x6558 : (v == 4 ? 0x0800 : 0x86DD));
                    be32(&p, 0x00006400);
                    be32(&p, 0x01020301); /* option class 0x0102, type 3, length 1 word */
                    be32(&p, 0xdeadbeef);
                }
                if (kind != 2) {
                    bytes(&p, MAC_DST, 6);
                    bytes(&p, MAC_DST, 6);
                    be16(&p, v == 4 ? 0x0800 : 0x86DD);
                }
                inner_syn(&p, v);
                udp_end(&p, udp);
                outer_end(&p, outer, ip);
                struct tw_packet pkt = decode(DLT_EN10MB, &p);
                assert_inner_syn(&pkt, v);
                assert_l2_src(&pkt, MAC_SRC, 6);
                sweep_tunnel(DLT_EN10MB, &p, flags_at(&p, v));
                /* Cut inside the tunnel header: short, no TCP. */
                pkt = decode_cut(DLT_EN10MB, &p, udp + 8 + 3);
                assert_int_equal(pkt.anomaly, TW_ANOM_TUNNEL_SHORT);
            }
        }
    }

    /* Geneve version 1; UDP to another port; a UDP length that cuts the tunnel. */
    struct pb p = {0};
    size_t ip = outer_ip(&p, 4, 17);
    size_t udp = udp_start(&p, 54321, 6081);
    be32(&p, 0x40006558);
    be32(&p, 0);
    ipv4_end(&p, ip);
    udp_end(&p, udp);
    struct tw_packet pkt = decode(DLT_RAW, &p);
    assert_int_equal(pkt.anomaly, TW_ANOM_TUNNEL_BAD);

    p.n = 0;
    ip = outer_ip(&p, 4, 17);
    udp = udp_start(&p, 4789, 53);
    be32(&p, 0x08000000);
    be32(&p, 0);
    v4_syn(&p);
    udp_end(&p, udp);
    ipv4_end(&p, ip);
    pkt = decode(DLT_RAW, &p);
    assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
    assert_int_equal(pkt.l4, TW_L4_OTHER);

    p.n = 0;
    ip = outer_ip(&p, 4, 17);
    udp = udp_start(&p, 1, 4789);
    be32(&p, 0x08000000);
    be32(&p, 0);
    bytes(&p, MAC_DST, 6);
    bytes(&p, MAC_DST, 6);
    be16(&p, 0x0800);
    v4_syn(&p);
    ipv4_end(&p, ip);
    put_be16(&p, udp + 4, 8 + 8 + 14 + 10); /* the UDP length ends in the inner IP header */
    pkt = decode(DLT_RAW, &p);
    assert_int_equal(pkt.anomaly, TW_ANOM_IP_SHORT);
    assert_int_not_equal(pkt.l4, TW_L4_TCP);
}

static void test_ip_in_ip(void **state)
{
    (void)state;
    for (int outer = 4; outer <= 6; outer += 2) {
        for (int v = 4; v <= 6; v += 2) {
            struct pb p = {0};
            ether(&p, outer == 4 ? 0x0800 : 0x86DD);
            size_t ip = outer_ip(&p, outer, v == 4 ? 4 : 41);
            inner_syn(&p, v);
            outer_end(&p, outer, ip);
            struct tw_packet pkt = decode(DLT_EN10MB, &p);
            assert_inner_syn(&pkt, v);
            sweep_tunnel(DLT_EN10MB, &p, flags_at(&p, v));
        }
    }

    /* The inner header is not the version the protocol number says. */
    struct pb p = {0};
    size_t ip = outer_ip(&p, 4, 41);
    v4_syn(&p);
    ipv4_end(&p, ip);
    struct tw_packet pkt = decode(DLT_RAW, &p);
    assert_int_equal(pkt.anomaly, TW_ANOM_IP_BAD_VERSION);
    assert_int_equal(pkt.l4, TW_L4_NONE);

    /* IPv4 in IPv4: n headers inside the outer one, to the limit and past it. */
    for (int n = TW_MAX_LAYERS; n <= TW_MAX_LAYERS + 1; n++) {
        p.n = 0;
        size_t at[TW_MAX_LAYERS + 1];
        for (int i = 0; i < n; i++)
            at[i] = ipv4(&p, 4, OUT4_SRC, OUT4_DST);
        v4_syn(&p);
        for (int i = n - 1; i >= 0; i--)
            ipv4_end(&p, at[i]);
        pkt = decode(DLT_RAW, &p);
        if (n <= TW_MAX_LAYERS) {
            assert_int_equal(pkt.anomaly, TW_ANOM_NONE);
            assert_v4_syn_tcp(&pkt);
        } else {
            assert_int_equal(pkt.anomaly, TW_ANOM_TOO_MANY_LAYERS);
            assert_int_equal(pkt.l4, TW_L4_NONE);
        }
    }
}

/* The other link types: PPP (with and without HDLC framing), PPPoE without
 * Ethernet, Cisco HDLC, IP over InfiniBand, ARCnet (BSD and Linux headers). */
static void test_other_links(void **state)
{
    (void)state;
    struct {
        int dlt;
        uint8_t hdr[64];
        size_t len;
        int version;
    } cases[] = {
        {DLT_PPP, {0xff, 0x03, 0x00, 0x21}, 4, 4},
        {DLT_PPP, {0x00, 0x57}, 2, 6},
        {DLT_PPP_SERIAL, {0xff, 0x03, 0x00, 0x21}, 4, 4},
        {DLT_PPP_ETHER, {0x11, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x21}, 8, 4},
        {DLT_C_HDLC, {0x0f, 0x00, 0x86, 0xdd}, 4, 6},
        {DLT_IPOIB, {[40] = 0x08, [41] = 0x00}, 44, 4},
        {DLT_ARCNET, {0x01, 0x02, 240}, 3, 4},
        {DLT_ARCNET, {0x01, 0x02, 212, 0x00, 0x00, 0x05}, 6, 4},
        {DLT_ARCNET, {0x01, 0x02, 212, 0xff, 0xff, 0xff, 212, 0x00, 0x00, 0x05}, 10, 4},
        {DLT_ARCNET_LINUX, {0x01, 0x02, 0x00, 0x00, 196, 0x00, 0x00, 0x05}, 8, 6},
        /* 802.11 QoS data from the AP (From DS), LLC/SNAP */
        {DLT_IEEE802_11, {0x88, 0x02, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3,
                          0, 0, 0, 0, 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00}, 34, 4},
        /* plain data between stations in a WDS (four addresses), inside PPI with 4 bytes of fields */
        {DLT_PPI, {0, 0, 12, 0, 105, 0, 0, 0, 9, 9, 9, 9, 0x08, 0x03, 0, 0, 1, 1, 1, 1, 1, 1,
                   2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 0, 0, 4, 4, 4, 4, 4, 4,
                   0xaa, 0xaa, 0x03, 0, 0, 0, 0x86, 0xdd}, 50, 6},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pb p = {0};
        bytes(&p, cases[i].hdr, cases[i].len);
        inner_syn(&p, cases[i].version);
        struct tw_packet pkt = decode(cases[i].dlt, &p);
        assert_inner_syn(&pkt, cases[i].version);
        sweep_tunnel(cases[i].dlt, &p, flags_at(&p, cases[i].version));
        if (cases[i].len > 1)
            assert_int_not_equal(decode_cut(cases[i].dlt, &p, cases[i].len - 1).anomaly,
                                 TW_ANOM_NONE);
    }
    struct pb p = {0};
    bytes(&p, (const uint8_t[]){0x01, 0x02, 241}, 3); /* ARCnet ARP */
    be32(&p, 0);
    assert_int_equal(decode(DLT_ARCNET, &p).anomaly, TW_ANOM_NOT_IP);

    /* 802.11: a protected data frame, and a beacon, are not IP; the source
     * address follows the DS bits. */
    p.n = 0;
    static const uint8_t wlan_hdr[24] = {0x08, 0x42, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2,
                                         2,    2,    2, 2, 3, 3, 3, 3, 3, 3, 0, 0};
    bytes(&p, wlan_hdr, sizeof wlan_hdr);
    zeros(&p, 16);
    struct tw_packet pkt = decode(DLT_IEEE802_11, &p);
    assert_int_equal(pkt.anomaly, TW_ANOM_NOT_IP);
    p.b[0] = 0x80; /* beacon */
    p.b[1] = 0x00;
    assert_int_equal(decode(DLT_IEEE802_11, &p).anomaly, TW_ANOM_NOT_IP);
    p.n = 0;
    bytes(&p, wlan_hdr, sizeof wlan_hdr);
    p.b[1] = 0x02; /* From DS, not protected: the source is address 3 */
    bytes(&p, (const uint8_t[]){0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00}, 8);
    v4_syn(&p);
    pkt = decode(DLT_IEEE802_11, &p);
    assert_inner_syn(&pkt, 4);
    assert_l2_src(&pkt, (const uint8_t[]){3, 3, 3, 3, 3, 3}, 6);
    /* PPI with a header length shorter than itself, and an unknown inner link. */
    p.n = 0;
    bytes(&p, (const uint8_t[]){0, 0, 4, 0, 105, 0, 0, 0}, 8);
    assert_int_equal(decode(DLT_PPI, &p).anomaly, TW_ANOM_LINK_SHORT);
    p.b[2] = 8;
    p.b[4] = 147;
    assert_int_equal(decode(DLT_PPI, &p).anomaly, TW_ANOM_LINK_UNSUPPORTED);
}

/* AH (RFC 4302) between IPv4 and TCP. */
static void test_ipv4_ah(void **state)
{
    (void)state;
    struct pb p = {0};
    size_t ip = ipv4(&p, 51, V4_SRC, V4_DST);
    u8(&p, 6);   /* next: TCP */
    u8(&p, 4);   /* (4 + 2) * 4 = 24 bytes */
    be16(&p, 0);
    be32(&p, 0x100); /* SPI */
    be32(&p, 1);     /* sequence */
    zeros(&p, 12);   /* ICV */
    tcp(&p, SPORT, DPORT, ISN, 0, TW_TCP_SYN, SYN_OPTS, sizeof SYN_OPTS);
    ipv4_end(&p, ip);
    struct tw_packet pkt = decode(DLT_RAW, &p);
    assert_inner_syn(&pkt, 4);
    sweep_tunnel(DLT_RAW, &p, flags_at(&p, 4));
}

static void test_anomaly_names(void **state)
{
    (void)state;
    assert_string_equal(tw_anomaly_name(TW_ANOM_NONE), "none");
    assert_string_equal(tw_anomaly_name(TW_ANOM_IP_FRAGMENT), "ip_later_fragment");
    assert_string_equal(tw_anomaly_name(TW_ANOM_ICMP_QUOTE_SHORT), "icmp_quote_short");
    assert_string_equal(tw_anomaly_name(TW_ANOM_COUNT), "unknown");
    assert_string_equal(tw_anomaly_name((enum tw_anomaly) - 1), "unknown");
    for (int a = 0; a < TW_ANOM_COUNT; a++) {
        const char *name = tw_anomaly_name((enum tw_anomaly)a);
        assert_non_null(name);
        assert_true(strlen(name) > 0);
        for (int b = 0; b < a; b++)
            assert_string_not_equal(name, tw_anomaly_name((enum tw_anomaly)b));
    }
}

static void test_addr_format(void **state)
{
    (void)state;
    struct tw_addr a = {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1}};
    assert_true(tw_addr_is_v4(&a));
    assert_addr(&a, "10.0.0.1");
    struct tw_addr b = {{0}};
    assert_false(tw_addr_is_v4(&b));
    assert_addr(&b, "::");
    struct tw_addr c = {{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0, 0x5e, 0xff, 0xfe, 0, 0, 1}};
    assert_addr(&c, "fe80::200:5eff:fe00:1");
    char small[4] = "xyz";
    tw_addr_format(&a, small, sizeof small);
    assert_string_equal(small, "");
    char exact[16];
    struct tw_addr d = {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 255, 255, 255, 255}};
    tw_addr_format(&d, exact, sizeof exact);
    assert_string_equal(exact, "255.255.255.255");
}

/* tw_addr_format writes IPv6 by hand: the same text as the C library's
 * inet_ntop() (zero runs of every length and place, the dotted forms). */
static void test_addr_format_like_inet_ntop(void **state)
{
    (void)state;
    uint32_t rng = 12345;
    for (int n = 0; n < 200000; n++) {
        struct tw_addr a;
        for (int i = 0; i < 16; i += 2) {
            rng = rng * 1103515245u + 12345u;
            /* mostly zero groups, so that runs of zeros come in every shape */
            unsigned w = (rng >> 16) % 4 ? 0 : (rng >> 8) & 0xffff;
            if (((rng >> 4) & 7) == 0)
                w = (rng >> 20) & 0xf; /* one hex digit */
            a.b[i] = (uint8_t)(w >> 8);
            a.b[i + 1] = (uint8_t)w;
        }
        if (n % 7 == 0) { /* ::ffff:0:0/96 and ::/96 with a value after */
            memset(a.b, 0, 10);
            a.b[10] = a.b[11] = n % 14 ? 0xff : 0;
        }
        if (tw_addr_is_v4(&a))
            continue;
        char want[INET6_ADDRSTRLEN], got[64];
        assert_non_null(inet_ntop(AF_INET6, a.b, want, sizeof want));
        tw_addr_format(&a, got, sizeof got);
        assert_string_equal(got, want);
    }
}

static void test_reset(void **state)
{
    (void)state;
    /* Decode a full SYN, then an ARP frame into the same packet: nothing of
     * the SYN may survive. */
    struct pb syn = {0};
    ether(&syn, 0x0800);
    v4_syn(&syn);
    struct pb arp = {0};
    ether(&arp, 0x0806);
    zeros(&arp, 28);
    struct tw_packet pkt;
    memset(&pkt, 0, sizeof pkt);
    pkt.frame = 9;
    tw_decode_frame(DLT_EN10MB, syn.b, (uint32_t)syn.n, (uint32_t)syn.n, &pkt);
    assert_int_equal(pkt.l4, TW_L4_TCP);
    pkt.frame = 10;
    pkt.ts_ns = -5;
    tw_decode_frame(DLT_RAW, arp.b, (uint32_t)arp.n, 1000, &pkt);
    assert_int_equal(pkt.frame, 10);
    assert_true(pkt.ts_ns == -5);
    assert_int_equal(pkt.caplen, arp.n);
    assert_int_equal(pkt.wirelen, 1000);
    assert_int_equal(pkt.linktype, DLT_RAW);
    assert_true(pkt.is_snapped);
    assert_false(pkt.has_l2_src);
    assert_int_equal(pkt.ip_version, 0);
    assert_int_equal(pkt.l4, TW_L4_NONE);
    assert_int_equal(pkt.ttl, 0);
    assert_false(pkt.has_ip_id);
    static const struct tw_segment zero_seg;
    assert_memory_equal(&pkt.tcp, &zero_seg, sizeof zero_seg);
    static const struct tw_addr zero_addr;
    assert_memory_equal(&pkt.src, &zero_addr, sizeof zero_addr);
    /* An ARP frame read as raw IP: its first nibble is 0. */
    assert_int_equal(pkt.anomaly, TW_ANOM_IP_BAD_VERSION);

    /* No bytes at all. */
    tw_decode_frame(DLT_EN10MB, NULL, 0, 0, &pkt);
    assert_int_equal(pkt.anomaly, TW_ANOM_LINK_SHORT);
    assert_false(pkt.is_snapped);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ether_ipv4_syn),
        cmocka_unit_test(test_ether_vlan),
        cmocka_unit_test(test_ether_qinq),
        cmocka_unit_test(test_ether_vlan_depth),
        cmocka_unit_test(test_ether_not_ip),
        cmocka_unit_test(test_sll),
        cmocka_unit_test(test_sll2),
        cmocka_unit_test(test_null_loop),
        cmocka_unit_test(test_raw),
        cmocka_unit_test(test_link_unsupported),
        cmocka_unit_test(test_ipv4_truncated),
        cmocka_unit_test(test_ipv4_options),
        cmocka_unit_test(test_ipv4_bad_header),
        cmocka_unit_test(test_ether_padding),
        cmocka_unit_test(test_payload_len_snapped),
        cmocka_unit_test(test_ipv4_fragments),
        cmocka_unit_test(test_not_tcp),
        cmocka_unit_test(test_ipv6_hbh_raw),
        cmocka_unit_test(test_ipv6_ext_headers),
        cmocka_unit_test(test_ipv6_lengths),
        cmocka_unit_test(test_tcp_bad_offset),
        cmocka_unit_test(test_tcp_bad_option),
        cmocka_unit_test(test_tcp_unknown_options),
        cmocka_unit_test(test_icmp4_errors),
        cmocka_unit_test(test_icmp4_truncated),
        cmocka_unit_test(test_icmp6_errors),
        cmocka_unit_test(test_mpls),
        cmocka_unit_test(test_pppoe),
        cmocka_unit_test(test_gre),
        cmocka_unit_test(test_vxlan_geneve),
        cmocka_unit_test(test_ip_in_ip),
        cmocka_unit_test(test_other_links),
        cmocka_unit_test(test_ipv4_ah),
        cmocka_unit_test(test_anomaly_names),
        cmocka_unit_test(test_addr_format),
        cmocka_unit_test(test_addr_format_like_inet_ntop),
        cmocka_unit_test(test_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
