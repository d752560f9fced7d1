/* Hand-built packet timelines for the tracker and rule tests.
 *
 * A struct tl is one small capture in the making: a flow table, a client and
 * a server address, the TTLs their packets carry at the capture point, and a
 * frame counter. Each builder (tl_syn, tl_synack, ...) makes one struct
 * tw_packet at a time given in milliseconds after the capture's start, and
 * feeds it through tw_table_lookup() and tw_flow_add() exactly as track() in
 * src/analyze/analyzer.c does, including judging and retiring the oldest
 * attempt of a full flow. It returns the packet's frame number, so tests can
 * assert which frames the evidence names.
 *
 * tl_judge() then runs tw_diagnose_attempt() on an attempt of the current
 * flow with the capture ending at the last packet fed (or at tl->end_ns).
 * Flows that leave the table are copied into tl->ended with the reason. */
#ifndef TW_TESTS_UNIT_TIMELINE_H
#define TW_TESTS_UNIT_TIMELINE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose/diagnose.h"
#include "track/attempt.h"
#include "track/table.h"

/* Capture start: any non-zero epoch time will do. */
#define TL_T0_NS 1700000000000000000LL
#define TL_MS(ms) (TL_T0_NS + (int64_t)((ms)*1e6))
#define TL_MAX_ENDED 64
#define TL_MAX_EARLY 8

struct tl_ended {
    struct tw_flow flow;
    enum tw_flow_end why;
};

struct tl {
    tw_table *table;
    uint64_t n_frames;
    int64_t now_ns; /* latest packet time fed */
    int64_t end_ns; /* capture end for tl_judge(); 0: now_ns */
    struct tw_addr client, server, router;
    uint16_t client_port, server_port;
    uint8_t client_ttl, server_ttl, router_ttl; /* as seen at the capture point */
    struct tw_flow *flow;                       /* flow of the last packet that had one */
    bool last_had_flow;                         /* whether the last packet found or made a flow */
    enum tw_side last_side;
    /* flows that left the table, in order */
    struct tl_ended *ended;
    size_t n_ended;
    /* attempts judged early because their flow was full (as track() does) */
    struct tw_diagnosis early[TL_MAX_EARLY];
    uint32_t early_isn[TL_MAX_EARLY];
    size_t n_early;
    enum tw_vantage vantage; /* used for early judgements */
};

static inline struct tw_addr tl_v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    struct tw_addr x;
    memset(&x, 0, sizeof x);
    x.b[10] = 0xff;
    x.b[11] = 0xff;
    x.b[12] = a;
    x.b[13] = b;
    x.b[14] = c;
    x.b[15] = d;
    return x;
}

static inline struct tw_addr tl_v6(const char *text)
{
    struct tw_addr x;
    assert_int_equal(inet_pton(AF_INET6, text, x.b), 1);
    return x;
}

static inline void tl_done(void *ctx, struct tw_flow *flow, enum tw_flow_end why)
{
    struct tl *t = ctx;
    assert_true(t->n_ended < TL_MAX_ENDED);
    t->ended[t->n_ended].flow = *flow;
    t->ended[t->n_ended].why = why;
    t->n_ended++;
}

/* A capture point between 198.18.1.2:40000 (client) and 198.18.2.3:80
 * (server), at the client by default (client TTL 64 as sent, server's 52). */
static inline struct tl *tl_new_limits(size_t memcap_bytes, int64_t idle_ns, size_t max_flows)
{
    struct tl *t = calloc(1, sizeof *t);
    assert_non_null(t);
    t->ended = calloc(TL_MAX_ENDED, sizeof *t->ended);
    assert_non_null(t->ended);
    struct tw_table_limits lim = {
        .memcap_bytes = memcap_bytes, .idle_ns = idle_ns, .max_flows = max_flows};
    struct tw_error err;
    memset(&err, 0, sizeof err);
    t->table = tw_table_new(&lim, tl_done, t, &err);
    assert_non_null(t->table);
    t->client = tl_v4(198, 18, 1, 2);
    t->server = tl_v4(198, 18, 2, 3);
    t->router = tl_v4(198, 18, 1, 1);
    t->client_port = 40000;
    t->server_port = 80;
    t->client_ttl = 64;
    t->server_ttl = 52;
    t->router_ttl = 255;
    t->vantage = TW_VANTAGE_CLIENT;
    return t;
}

static inline struct tl *tl_new(void) { return tl_new_limits(1 << 20, 60LL * 1000000000, 0); }

static inline void tl_free(struct tl *t)
{
    if (!t)
        return;
    tw_table_free(t->table);
    free(t->ended);
    free(t);
}

/* TTLs as each vantage sees them: a host's own packets carry an initial TTL
 * (64), packets that crossed routers less. */
static inline void tl_at_client(struct tl *t)
{
    t->client_ttl = 64;
    t->server_ttl = 52;
    t->vantage = TW_VANTAGE_CLIENT;
}

static inline void tl_at_server(struct tl *t)
{
    t->client_ttl = 52;
    t->server_ttl = 64;
    t->vantage = TW_VANTAGE_SERVER;
}

static inline void tl_at_middle(struct tl *t)
{
    t->client_ttl = 60;
    t->server_ttl = 56;
    t->vantage = TW_VANTAGE_MIDDLE;
}

/* Feeds pkt as track() in analyzer.c does; returns its frame number. */
static inline uint64_t tl_feed(struct tl *t, struct tw_packet *pkt)
{
    pkt->frame = ++t->n_frames;
    if (pkt->ts_ns > t->now_ns)
        t->now_ns = pkt->ts_ns;
    enum tw_side side = TW_FROM_CLIENT;
    struct tw_flow *flow = tw_table_lookup(t->table, pkt, &side);
    t->last_had_flow = flow != NULL;
    if (!flow)
        return pkt->frame;
    t->flow = flow;
    t->last_side = side;
    if (flow->n_attempts == TW_FLOW_ATTEMPTS && tw_flow_opens_attempt(flow, pkt, side)) {
        assert_true(t->n_early < TL_MAX_EARLY);
        struct tw_judge_input in = {flow, 0, t->vantage, t->now_ns, false};
        tw_diagnose_attempt(&in, &t->early[t->n_early]);
        t->early_isn[t->n_early] = tw_flow_attempt(flow, 0)->isn;
        t->n_early++;
        tw_flow_retire_oldest(flow);
    }
    tw_flow_add(flow, pkt, side);
    return pkt->frame;
}

static inline struct tw_packet tl_tcp_packet(const struct tl *t, double t_ms, bool from_client,
                                             uint8_t flags, uint32_t seq, uint32_t ack)
{
    struct tw_packet p;
    memset(&p, 0, sizeof p);
    p.ts_ns = TL_MS(t_ms);
    p.ip_version = tw_addr_is_v4(&t->client) ? 4 : 6;
    p.src = from_client ? t->client : t->server;
    p.dst = from_client ? t->server : t->client;
    p.ttl = from_client ? t->client_ttl : t->server_ttl;
    p.has_ip_id = p.ip_version == 4;
    p.l4 = TW_L4_TCP;
    p.tcp.sport = from_client ? t->client_port : t->server_port;
    p.tcp.dport = from_client ? t->server_port : t->client_port;
    p.tcp.seq = seq;
    p.tcp.ack = ack;
    p.tcp.flags = flags;
    p.tcp.window = 64240;
    return p;
}

/* The general builder: tsval 0 means "no timestamp option". */
static inline uint64_t tl_send(struct tl *t, double t_ms, bool from_client, uint8_t flags,
                               uint32_t seq, uint32_t ack, uint32_t payload_len, uint32_t tsval,
                               uint32_t tsecr)
{
    struct tw_packet p = tl_tcp_packet(t, t_ms, from_client, flags, seq, ack);
    p.tcp.payload_len = payload_len;
    p.tcp.has_ts = tsval != 0;
    p.tcp.tsval = tsval;
    p.tcp.tsecr = tsecr;
    return tl_feed(t, &p);
}

/* Client SYN with ISN isn. */
static inline uint64_t tl_syn(struct tl *t, double t_ms, uint32_t isn, uint32_t tsval)
{
    return tl_send(t, t_ms, true, TW_TCP_SYN, isn, 0, 0, tsval, 0);
}

/* Server SYN+ACK with its ISN sisn, acknowledging ack. */
static inline uint64_t tl_synack(struct tl *t, double t_ms, uint32_t sisn, uint32_t ack,
                                 uint32_t tsval, uint32_t tsecr)
{
    return tl_send(t, t_ms, false, TW_TCP_SYN | TW_TCP_ACK, sisn, ack, 0, tsval, tsecr);
}

/* Client bare ACK. */
static inline uint64_t tl_ack(struct tl *t, double t_ms, uint32_t seq, uint32_t ack, uint32_t tsval,
                              uint32_t tsecr)
{
    return tl_send(t, t_ms, true, TW_TCP_ACK, seq, ack, 0, tsval, tsecr);
}

/* Server bare ACK (challenge ACK, or SYN-RECEIVED's answer to a stray SYN). */
static inline uint64_t tl_server_ack(struct tl *t, double t_ms, uint32_t seq, uint32_t ack)
{
    return tl_send(t, t_ms, false, TW_TCP_ACK, seq, ack, 0, 0, 0);
}

/* Client RST without ACK (the answer to an unacceptable ACK: seq = its ack). */
static inline uint64_t tl_client_rst(struct tl *t, double t_ms, uint32_t seq)
{
    return tl_send(t, t_ms, true, TW_TCP_RST, seq, 0, 0, 0, 0);
}

/* Server RST/ACK acknowledging ack (a refused SYN: ack = isn+1). */
static inline uint64_t tl_server_rstack(struct tl *t, double t_ms, uint32_t ack)
{
    return tl_send(t, t_ms, false, TW_TCP_RST | TW_TCP_ACK, 0, ack, 0, 0, 0);
}

/* A data segment (PSH/ACK) from either side. */
static inline uint64_t tl_data(struct tl *t, double t_ms, bool from_client, uint32_t seq,
                               uint32_t ack, uint32_t len)
{
    return tl_send(t, t_ms, from_client, TW_TCP_ACK | TW_TCP_PSH, seq, ack, len, 0, 0);
}

/* An ICMP (or ICMPv6, by the flow's family) error from the router back to
 * the client, quoting the client's segment with sequence number quoted_seq. */
static inline uint64_t tl_icmp(struct tl *t, double t_ms, uint8_t type, uint8_t code,
                               uint32_t quoted_seq)
{
    struct tw_packet p;
    memset(&p, 0, sizeof p);
    p.ts_ns = TL_MS(t_ms);
    bool v4 = tw_addr_is_v4(&t->client);
    p.ip_version = v4 ? 4 : 6;
    p.src = t->router;
    p.dst = t->client;
    p.ttl = t->router_ttl;
    p.l4 = TW_L4_ICMP_ERROR;
    p.icmp.type = type;
    p.icmp.code = code;
    p.icmp.quoted_ip_version = p.ip_version;
    p.icmp.quoted_src = t->client;
    p.icmp.quoted_dst = t->server;
    p.icmp.quoted_proto = 6;
    p.icmp.quoted_sport = t->client_port;
    p.icmp.quoted_dport = t->server_port;
    p.icmp.has_quoted_seq = true;
    p.icmp.quoted_seq = quoted_seq;
    return tl_feed(t, &p);
}

/* The capture ends at t_ms (for the quiet-time rule); by default it ends
 * with the last packet fed. */
static inline void tl_end_at(struct tl *t, double t_ms) { t->end_ns = TL_MS(t_ms); }

static inline void tl_judge(struct tl *t, int index, enum tw_vantage vantage,
                            struct tw_diagnosis *d)
{
    assert_non_null(t->flow);
    assert_true(index < t->flow->n_attempts);
    struct tw_judge_input in = {t->flow, index, vantage, t->end_ns ? t->end_ns : t->now_ns, false};
    tw_diagnose_attempt(&in, d);
}

/* A test that documents a known bug starts with this: it is skipped (cmocka's
 * skip()) so the suite stays green, unless TW_UNIT_RUN_BUGS is set in the
 * environment, which shows the bug still there. */
#define tl_skip_bug()                                                                              \
    do {                                                                                           \
        if (!getenv("TW_UNIT_RUN_BUGS"))                                                           \
            skip();                                                                                \
    } while (0)

/* ---- assertions ----------------------------------------------------------- */

#define tl_assert_verdict(d, v)                                                                    \
    do {                                                                                           \
        if ((d)->verdict != (v))                                                                   \
            fail_msg("verdict %s, expected %s (why: %s)", tw_verdict_name((d)->verdict),           \
                     tw_verdict_name(v), (d)->why);                                                \
    } while (0)

#define tl_assert_why(d, phrase)                                                                   \
    do {                                                                                           \
        if (!strstr((d)->why, (phrase)))                                                           \
            fail_msg("why lacks \"%s\": %s", (phrase), (d)->why);                                  \
    } while (0)

/* The role the evidence gives frame, or NULL when frame is not evidence. */
static inline const char *tl_role(const struct tw_diagnosis *d, uint64_t frame)
{
    for (int i = 0; i < d->n_evidence; i++)
        if (d->evidence[i].frame == frame)
            return d->evidence[i].role;
    return NULL;
}

#define tl_assert_role(d, frame, role)                                                             \
    do {                                                                                           \
        const char *got_ = tl_role((d), (frame));                                                  \
        if (!got_ || strcmp(got_, (role)) != 0)                                                    \
            fail_msg("frame %llu has role %s, expected %s", (unsigned long long)(frame),           \
                     got_ ? got_ : "(not evidence)", (role));                                      \
    } while (0)

#endif
