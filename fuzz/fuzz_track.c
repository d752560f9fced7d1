/* Fuzz target: the tracker and the rules, fed packet sequences.
 *
 * Decoding is skipped: the input is read as a short header (table limits)
 * and then 12-byte records, each turned into a struct tw_packet as the
 * decoder would hand it over: a TCP segment or an ICMP error between a few
 * endpoints, with sequence numbers, acknowledgments and timestamps taken
 * from small pools of values that make handshakes, retransmissions, new ISNs
 * on the same 4-tuple, challenge ACKs and RSTs likely, and capture times
 * that may go backwards. The packets go through the table, the attempts and
 * the rules the way src/analyze/analyzer.c sends them: lookup, judging the
 * oldest attempt of a full flow, adding, explaining RSTs, expiring; then
 * vantage inference and a flush in which every attempt is judged. */
#include <stdlib.h>
#include <string.h>

#include "diagnose/diagnose.h"
#include "diagnose/rst.h"
#include "fuzz/fuzz.h"
#include "track/hosts.h"
#include "track/table.h"

enum { RECORD = 12 };

struct run {
    struct tw_vantage_votes votes;
    enum tw_vantage vantage;
    int64_t now_ns;
    tw_hosts *hosts;
};

static void judge(struct run *r, const struct tw_flow *flow, int index)
{
    struct tw_judge_input in = {flow, index, r->vantage, r->now_ns, false};
    struct tw_diagnosis d;
    tw_diagnose_attempt(&in, &d);
    if ((unsigned)d.verdict >= TW_VERDICT_COUNT || d.n_evidence > TW_MAX_EVIDENCE)
        abort();
    (void)tw_verdict_name(d.verdict);
}

static void flow_done(void *ctx, struct tw_flow *flow, enum tw_flow_end why)
{
    struct run *r = ctx;
    (void)why;
    for (int i = 0; i < flow->n_attempts; i++) {
        tw_vantage_observe(&r->votes, tw_flow_attempt(flow, i));
        judge(r, flow, i);
    }
}

static const uint32_t seq_pool[16] = {
    0,          1,          1000,       1001,       2000,      2001,      0x7fffffff, 0x80000000,
    0xfffffffe, 0xffffffff, 0xdeadbeef, 0xdeadbef0, 123456789, 123456790, 40000,      40001,
};

static void set_addr(struct tw_addr *a, int version, uint8_t host)
{
    memset(a, 0, sizeof *a);
    if (version == 4) {
        a->b[10] = a->b[11] = 0xff;
        a->b[12] = 198;
        a->b[13] = 18;
        a->b[15] = host;
    } else {
        a->b[0] = 0x20;
        a->b[1] = 0x01;
        a->b[2] = 0x0d;
        a->b[3] = 0xb8;
        a->b[15] = host;
    }
}

/* One 12-byte record as a packet. */
static void make_packet(const uint8_t *b, uint64_t frame, int64_t *ts_ns, struct tw_packet *pkt)
{
    memset(pkt, 0, sizeof *pkt);
    pkt->frame = frame;
    /* b[4..5]: time step in ms; the top bit steps backwards. */
    int64_t step_ms = (int64_t)(((b[4] & 0x7f) << 8) | b[5]);
    *ts_ns += (b[4] & 0x80 ? -step_ms : step_ms) * 1000000;
    pkt->ts_ns = *ts_ns;
    pkt->caplen = pkt->wirelen = 60;
    pkt->linktype = 1;
    int version = b[0] & 0x20 ? 6 : 4;
    pkt->ip_version = (uint8_t)version;
    uint8_t client = (uint8_t)(1 + (b[0] & 3)), server = (uint8_t)(100 + ((b[0] >> 2) & 3));
    bool from_server = b[0] & 0x10;
    set_addr(&pkt->src, version, from_server ? server : client);
    set_addr(&pkt->dst, version, from_server ? client : server);
    pkt->ttl = b[6];
    pkt->has_ip_id = version == 4;
    pkt->ip_id = (uint16_t)(frame * 7);
    uint16_t cport = (uint16_t)(40000 + (b[9] & 3)), sport = (b[9] & 4) ? 443 : 80;
    pkt->anomaly = (enum tw_anomaly)(b[11] % TW_ANOM_COUNT);
    pkt->is_snapped = b[11] & 0x80;
    switch (b[0] >> 6) {
    case 0:
    case 1: {
        struct tw_segment *s = &pkt->tcp;
        pkt->l4 = TW_L4_TCP;
        s->sport = from_server ? sport : cport;
        s->dport = from_server ? cport : sport;
        s->flags = b[1];
        s->seq = seq_pool[b[2] & 15] + (b[2] >> 4);
        s->ack = seq_pool[b[3] & 15] + (b[3] >> 4);
        s->window = (uint16_t)(b[7] << 8);
        s->payload_len = b[7] & 0x0f ? b[7] : 0;
        s->has_mss = b[8] & 1;
        s->mss = 1460;
        s->has_wscale = b[8] & 2;
        s->wscale = b[8] >> 4;
        s->has_sack_ok = b[8] & 4;
        s->has_ts = b[8] & 8;
        s->tsval = seq_pool[b[10] & 15];
        s->tsecr = seq_pool[b[10] >> 4];
        break;
    }
    case 2: { /* an ICMP error quoting a segment of the client's, sent by a router or the server */
        struct tw_icmp_error *e = &pkt->icmp;
        pkt->l4 = TW_L4_ICMP_ERROR;
        set_addr(&pkt->src, version, (b[9] & 8) ? server : 250);
        set_addr(&pkt->dst, version, client);
        e->type = b[10] & 0x0f;
        e->code = b[10] >> 4;
        e->quoted_ip_version = (uint8_t)version;
        set_addr(&e->quoted_src, version, client);
        set_addr(&e->quoted_dst, version, server);
        e->quoted_proto = b[1] & 1 ? 17 : 6;
        e->quoted_sport = cport;
        e->quoted_dport = sport;
        e->has_quoted_seq = b[1] & 2;
        e->quoted_seq = seq_pool[b[2] & 15] + (b[2] >> 4);
        break;
    }
    default:
        pkt->l4 = (b[1] & 1) ? TW_L4_OTHER : TW_L4_NONE;
        break;
    }
}

int TW_FUZZ_ENTRY(track)(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    struct run r;
    memset(&r, 0, sizeof r);
    r.vantage = data[0] < 0xc0 ? (enum tw_vantage)(data[0] % 3) : TW_VANTAGE_MIDDLE;
    struct tw_error err;
    memset(&err, 0, sizeof err);
    /* A table of 1 to 16 flows, idle after 1 to 256 s. */
    struct tw_table_limits lim = {1u << 20, (int64_t)(1 + data[2]) * 1000000000,
                                  1 + (data[1] & 15)};
    tw_table *t = tw_table_new(&lim, flow_done, &r, &err);
    r.hosts = tw_hosts_new(&err);
    if (!t || !r.hosts)
        abort();
    int64_t ts_ns = 1700000000LL * 1000000000;
    uint64_t frame = 0;
    for (size_t at = 3; at + RECORD <= size; at += RECORD) {
        struct tw_packet pkt;
        make_packet(data + at, ++frame, &ts_ns, &pkt);
        if (pkt.ts_ns > r.now_ns)
            r.now_ns = pkt.ts_ns;
        enum tw_side side;
        struct tw_flow *flow = tw_table_lookup(t, &pkt, &side);
        if (flow) {
            if (flow->n_attempts == TW_FLOW_ATTEMPTS && tw_flow_opens_attempt(flow, &pkt, side)) {
                judge(&r, flow, 0);
                tw_flow_retire_oldest(flow);
            }
            struct tw_attempt *a = tw_flow_add(flow, &pkt, side);
            if (!a || flow->n_attempts > TW_FLOW_ATTEMPTS || a->n_events > TW_MAX_EVENTS)
                abort();
            if (pkt.l4 == TW_L4_TCP && pkt.ttl && !(pkt.tcp.flags & TW_TCP_RST))
                tw_hosts_note_ttl(r.hosts, &pkt.src, pkt.ttl);
            if (pkt.l4 == TW_L4_TCP && (pkt.tcp.flags & TW_TCP_RST)) {
                struct tw_rst_input in = {flow, a, &pkt, side, r.hosts, false};
                struct tw_rst_result res;
                tw_rst_explain(&in, &res);
                (void)tw_rst_cause_name(res.cause);
            }
        }
        tw_table_expire(t, r.now_ns);
    }
    char why[256];
    r.vantage = tw_vantage_decide(&r.votes, false, why, sizeof why);
    tw_table_flush(t);
    tw_table_free(t);
    tw_hosts_free(r.hosts);
    return 0;
}
