/* Wireshark display filter (--filter): one expression that selects, in the
 * original captures, the evidence packets of every problem attempt (failed
 * or degraded verdict) and the RSTs filed under those attempts.
 *
 * Part of the report stage. Packets are selected by what they carry, not by
 * Wireshark's tcp.stream index (which depends on the whole file): per
 * attempt, both addresses (ip.addr, or ipv6.addr) and both ports, and per
 * packet its flags, raw sequence and acknowledgement numbers, length and
 * TSval. An ICMP error is selected by its type and code and the sequence
 * number it quotes (Wireshark dissects the quoted IP and TCP headers, so the
 * address and port terms match them). Copies of a packet with the same
 * fields (a retransmission without timestamps) are selected with it.
 *
 * RST records arrive before the attempts they belong to are judged, so both
 * are kept (bounded) and the filter is written by finish(). */
#include <stdlib.h>

#include "base/grow.h"
#include <string.h>

#include "report/sink.h"

#define MAX_ATTEMPTS 100000
#define MAX_RSTS 100000

struct pkt {
    uint8_t flags;          /* 0: an ICMP error */
    uint8_t icmp_type, icmp_code;
    bool has_ts;
    uint32_t seq, ack, len, tsval;
};

struct attempt {
    struct tw_flow_key key;
    uint32_t isn;
    bool is_isn_known;
    uint8_t n_pkts;
    struct pkt pkts[TW_MAX_EVIDENCE];
};

struct rst {
    struct tw_flow_key key;
    uint32_t isn;
    struct pkt pkt;
};

struct wsfilter {
    FILE *out;
    struct tw_wsfilter_stats *stats;
    struct attempt *atts;
    size_t n_atts, cap_atts;
    struct rst *rsts;
    size_t n_rsts, cap_rsts;
};


static void wsf_attempt(void *ctx, const struct tw_attempt_record *r)
{
    struct wsfilter *w = ctx;
    if (!tw_report_is_problem(r))
        return;
    if (!tw_grow((void **)&w->atts, &w->cap_atts, w->n_atts, sizeof *w->atts, 64, MAX_ATTEMPTS)) {
        w->stats->n_left_out++;
        return;
    }
    struct attempt *a = &w->atts[w->n_atts++];
    memset(a, 0, sizeof *a);
    a->key = r->key;
    a->isn = r->isn;
    a->is_isn_known = r->is_isn_known;
    for (int i = 0; i < r->diag.n_evidence; i++) {
        const struct tw_evidence *e = &r->diag.evidence[i];
        struct pkt *p = &a->pkts[a->n_pkts++];
        p->flags = e->tcp_flags;
        p->icmp_type = e->icmp_type;
        p->icmp_code = e->icmp_code;
        p->has_ts = e->has_ts;
        p->seq = e->seq;
        p->ack = e->ack;
        p->len = e->payload_len;
        p->tsval = e->tsval;
    }
}

static void wsf_rst(void *ctx, const struct tw_rst_record *r)
{
    struct wsfilter *w = ctx;
    if (!r->is_isn_known)
        return;
    if (!tw_grow((void **)&w->rsts, &w->cap_rsts, w->n_rsts, sizeof *w->rsts, 64, MAX_RSTS))
        return;
    struct rst *s = &w->rsts[w->n_rsts++];
    memset(s, 0, sizeof *s);
    s->key = r->key;
    s->isn = r->isn;
    s->pkt.flags = r->tcp_flags;
    s->pkt.seq = r->seq;
    s->pkt.ack = r->ack;
}

static void wsf_correlation(void *ctx, const struct tw_correlation *c)
{
    (void)ctx;
    (void)c;
}

static void wsf_summary(void *ctx, const struct tw_file_summary *s)
{
    (void)ctx;
    (void)s;
}

static bool same_key(const struct tw_flow_key *a, const struct tw_flow_key *b)
{
    return memcmp(a->client.b, b->client.b, 16) == 0 && memcmp(a->server.b, b->server.b, 16) == 0 &&
           a->client_port == b->client_port && a->server_port == b->server_port;
}

static void pkt_clause(char *buf, size_t size, const struct pkt *p, bool is_v6)
{
    if (!p->flags) {
        /* Wireshark 4.0 gives the quoted TCP header of an ICMPv4 error only
         * tcp.seq (absolute there), of an ICMPv6 error tcp.seq_raw */
        snprintf(buf, size, "(%s.type==%u && %s.code==%u && (tcp.seq_raw==%lu || tcp.seq==%lu))",
                 is_v6 ? "icmpv6" : "icmp", p->icmp_type, is_v6 ? "icmpv6" : "icmp", p->icmp_code,
                 (unsigned long)p->seq, (unsigned long)p->seq);
        return;
    }
    int n = snprintf(buf, size, "(tcp.flags==0x%03x && tcp.seq_raw==%lu", p->flags,
                     (unsigned long)p->seq);
    if (n > 0 && (size_t)n < size && (p->flags & TW_TCP_ACK))
        n += snprintf(buf + n, size - (size_t)n, " && tcp.ack_raw==%lu", (unsigned long)p->ack);
    /* a RST record carries no length or timestamp: it matches any */
    if (n > 0 && (size_t)n < size && !((p->flags & TW_TCP_RST) && !p->len && !p->has_ts))
        n += snprintf(buf + n, size - (size_t)n, " && tcp.len==%lu", (unsigned long)p->len);
    if (n > 0 && (size_t)n < size && p->has_ts)
        n += snprintf(buf + n, size - (size_t)n, " && tcp.options.timestamp.tsval==%lu",
                      (unsigned long)p->tsval);
    if (n > 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, ")");
}

/* Adds clause to the list unless it is there already; returns the count. */
static int add_clause(char (*list)[160], int n, int max, const char *clause)
{
    for (int i = 0; i < n; i++)
        if (strcmp(list[i], clause) == 0)
            return n;
    if (n == max)
        return n;
    snprintf(list[n], sizeof list[n], "%s", clause);
    return n + 1;
}

#define MAX_CLAUSES (TW_MAX_EVIDENCE + 8)

static void print_attempt(struct wsfilter *w, const struct attempt *a, bool is_first)
{
    char clauses[MAX_CLAUSES][160];
    int n = 0;
    bool is_v6 = !tw_addr_is_v4(&a->key.client);
    for (int i = 0; i < a->n_pkts; i++) {
        char buf[160];
        pkt_clause(buf, sizeof buf, &a->pkts[i], is_v6);
        n = add_clause(clauses, n, MAX_CLAUSES, buf);
    }
    for (size_t i = 0; a->is_isn_known && i < w->n_rsts; i++) {
        if (w->rsts[i].isn != a->isn || !same_key(&w->rsts[i].key, &a->key))
            continue;
        char buf[160];
        pkt_clause(buf, sizeof buf, &w->rsts[i].pkt, is_v6);
        n = add_clause(clauses, n, MAX_CLAUSES, buf);
    }
    if (!n)
        return;
    char c[64], s[64];
    tw_addr_format(&a->key.client, c, sizeof c);
    tw_addr_format(&a->key.server, s, sizeof s);
    const char *ip = is_v6 ? "ipv6.addr" : "ip.addr";
    fprintf(w->out, "%s(%s==%s && %s==%s && tcp.port==%u && tcp.port==%u && (", is_first ? "" : " || ",
            ip, c, ip, s, a->key.client_port, a->key.server_port);
    for (int i = 0; i < n; i++)
        fprintf(w->out, "%s%s", i ? " || " : "", clauses[i]);
    fputs("))", w->out);
    w->stats->n_attempts++;
}

static void wsf_finish(void *ctx)
{
    struct wsfilter *w = ctx;
    bool is_first = true;
    for (size_t i = 0; i < w->n_atts; i++) {
        /* the same attempt reported by two runs (not merged): once */
        bool is_dup = false;
        for (size_t j = 0; j < i && !is_dup; j++)
            is_dup = w->atts[j].is_isn_known && w->atts[j].isn == w->atts[i].isn &&
                     w->atts[i].is_isn_known && same_key(&w->atts[j].key, &w->atts[i].key) &&
                     w->atts[j].n_pkts == w->atts[i].n_pkts &&
                     memcmp(w->atts[j].pkts, w->atts[i].pkts,
                            w->atts[i].n_pkts * sizeof w->atts[i].pkts[0]) == 0;
        if (is_dup)
            continue;
        unsigned long long before = w->stats->n_attempts;
        print_attempt(w, &w->atts[i], is_first);
        if (w->stats->n_attempts != before)
            is_first = false;
    }
    /* Nothing to select: a filter that matches no frame, not an empty one
     * (which Wireshark reads as "everything"). */
    fputs(is_first ? "frame.number==0\n" : "\n", w->out);
    fflush(w->out);
}

static void wsf_free(void *ctx)
{
    struct wsfilter *w = ctx;
    if (w) {
        free(w->atts);
        free(w->rsts);
    }
    free(w);
}

bool tw_report_wsfilter(struct tw_sink *sink, FILE *out, struct tw_wsfilter_stats *stats)
{
    struct wsfilter *w = calloc(1, sizeof *w);
    if (!w)
        return false;
    memset(stats, 0, sizeof *stats);
    w->out = out;
    w->stats = stats;
    memset(sink, 0, sizeof *sink);
    sink->ctx = w;
    sink->attempt = wsf_attempt;
    sink->rst = wsf_rst;
    sink->correlation = wsf_correlation;
    sink->summary = wsf_summary;
    sink->finish = wsf_finish;
    sink->free = wsf_free;
    return true;
}
