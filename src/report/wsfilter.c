/* Wireshark display filter (--filter): per input capture, one expression
 * that selects there the packets -w writes from it (report/pcap_out.c):
 * those of every problem attempt (failed or degraded verdict) as that
 * capture saw it, its evidence packets and the RSTs filed under it.
 *
 * Part of the report stage. Packets are selected by what they carry, not by
 * Wireshark's tcp.stream index (which depends on the whole file): per
 * attempt, both addresses (ip.addr, or ipv6.addr) and both ports, and then
 * the attempt's time range in that capture (frame.time_epoch, to the
 * nanosecond), or per evidence packet its flags, raw sequence and
 * acknowledgement numbers, length and TSval. An ICMP error is selected by
 * its type and code and the sequence number it quotes (Wireshark dissects
 * the quoted IP and TCP headers, so the address and port terms match them).
 * Copies of an evidence packet with the same fields (a retransmission
 * without timestamps) are selected with it.
 *
 * An attempt merged from two captures is selected in the other capture
 * under the addresses and ports that capture saw (NAT), taken from its own
 * record (the sink's folded()): the folded record that shares an evidence
 * frame and the ISN with the merged one.
 *
 * RST and folded records arrive apart from the attempts they belong to, so
 * all are kept (bounded) and the filters are written by finish(). */
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "report/sink.h"

#define MAX_ATTEMPTS 100000
#define MAX_RSTS 100000

struct pkt {
    size_t input;
    uint64_t frame;
    uint8_t flags;          /* 0: an ICMP error */
    uint8_t icmp_type, icmp_code;
    bool has_ts;
    uint32_t seq, ack, len, tsval;
};

struct attempt {
    struct tw_attempt_view v;
    bool is_folded;         /* another capture's view of a merged attempt */
    uint8_t n_pkts;
    struct pkt pkts[TW_MAX_EVIDENCE];
};

struct rst {
    size_t input;
    struct tw_flow_key key;
    uint32_t isn;
    struct pkt pkt;
};

struct wsfilter {
    FILE *out;
    struct tw_wsfilter_stats *stats;
    char *const *inputs;
    size_t n_inputs;
    size_t only;            /* the one input to print, or n_inputs: all */
    struct attempt *atts;
    size_t n_atts, cap_atts;
    struct rst *rsts;
    size_t n_rsts, cap_rsts;
};

/* The input named file, or n_inputs. */
static size_t input_of(const struct wsfilter *w, const char *file)
{
    return tw_input_index(w->inputs, w->n_inputs, file);
}

static void keep_attempt(struct wsfilter *w, const struct tw_attempt_record *r, bool is_folded)
{
    size_t own = input_of(w, r->file);
    if (own == w->n_inputs)
        return;
    if (!tw_grow((void **)&w->atts, &w->cap_atts, w->n_atts, sizeof *w->atts, 64, MAX_ATTEMPTS)) {
        if (!is_folded)
            w->stats->n_left_out++;
        return;
    }
    struct attempt *a = &w->atts[w->n_atts++];
    memset(a, 0, sizeof *a);
    tw_attempt_view_of(&a->v, own, r);
    a->is_folded = is_folded;
    for (int i = 0; i < r->diag.n_evidence; i++) {
        const struct tw_evidence *e = &r->diag.evidence[i];
        size_t in = e->file ? input_of(w, e->file) : own;
        if (in == w->n_inputs || (is_folded && in != own))
            continue;
        struct pkt *p = &a->pkts[a->n_pkts++];
        p->input = in;
        p->frame = e->frame;
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

static void wsf_attempt(void *ctx, const struct tw_attempt_record *r)
{
    if (tw_report_is_problem(r))
        keep_attempt(ctx, r, false);
}

static void wsf_folded(void *ctx, const struct tw_attempt_record *r) { keep_attempt(ctx, r, true); }

static void wsf_rst(void *ctx, const struct tw_rst_record *r)
{
    struct wsfilter *w = ctx;
    size_t in = input_of(w, r->file);
    if (!r->is_isn_known || in == w->n_inputs)
        return;
    if (!tw_grow((void **)&w->rsts, &w->cap_rsts, w->n_rsts, sizeof *w->rsts, 64, MAX_RSTS))
        return;
    struct rst *s = &w->rsts[w->n_rsts++];
    memset(s, 0, sizeof *s);
    s->input = in;
    s->key = r->key;
    s->isn = r->isn;
    s->pkt.input = in;
    s->pkt.frame = r->frame;
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
    return tw_addr_cmp(&a->client, &b->client) == 0 && tw_addr_cmp(&a->server, &b->server) == 0 &&
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

#define MAX_CLAUSES (2 * TW_MAX_EVIDENCE + 8)

static void add_pkts(char (*list)[160], int *n, const struct attempt *a, size_t input, bool is_v6)
{
    for (int i = 0; a && i < a->n_pkts; i++) {
        if (a->pkts[i].input != input)
            continue;
        char buf[160];
        pkt_clause(buf, sizeof buf, &a->pkts[i], is_v6);
        *n = add_clause(list, *n, MAX_CLAUSES, buf);
    }
}

static void print_time(FILE *out, int64_t ns)
{
    fprintf(out, "%lld.%09lld", (long long)(ns / 1000000000), (long long)(ns % 1000000000));
}

/* One attempt as capture `input` saw it: view's 4-tuple, time range (when
 * has_range) and evidence there, the evidence `extra` (the merged record
 * when view is folded) names there, and the RSTs filed under view. */
static bool print_view(struct wsfilter *w, const struct attempt *view, const struct attempt *extra,
                       size_t input, bool has_range, bool is_first)
{
    char clauses[MAX_CLAUSES][160];
    int n = 0;
    bool is_v6 = !tw_addr_is_v4(&view->v.key.client);
    add_pkts(clauses, &n, view, input, is_v6);
    add_pkts(clauses, &n, extra, input, is_v6);
    for (size_t i = 0; view->v.is_isn_known && i < w->n_rsts; i++) {
        const struct rst *r = &w->rsts[i];
        if (r->input != input || r->isn != view->v.isn || !same_key(&r->key, &view->v.key))
            continue;
        char buf[160];
        pkt_clause(buf, sizeof buf, &r->pkt, is_v6);
        n = add_clause(clauses, n, MAX_CLAUSES, buf);
    }
    if (!n && !has_range)
        return false;
    char c[64], s[64];
    tw_addr_format(&view->v.key.client, c, sizeof c);
    tw_addr_format(&view->v.key.server, s, sizeof s);
    const char *ip = is_v6 ? "ipv6.addr" : "ip.addr";
    fprintf(w->out, "%s(%s==%s && %s==%s && tcp.port==%u && tcp.port==%u && (",
            is_first ? "" : " || ", ip, c, ip, s, view->v.key.client_port, view->v.key.server_port);
    if (has_range) {
        fputs("(frame.time_epoch >= ", w->out);
        print_time(w->out, view->v.first_ns);
        fputs(" && frame.time_epoch <= ", w->out);
        print_time(w->out, view->v.last_ns);
        fputs(")", w->out);
    }
    for (int i = 0; i < n; i++)
        fprintf(w->out, "%s%s", i || has_range ? " || " : "", clauses[i]);
    fputs("))", w->out);
    return true;
}

static int by_input_isn(const void *pa, const void *pb)
{
    const struct attempt *a = *(const struct attempt *const *)pa;
    const struct attempt *b = *(const struct attempt *const *)pb;
    if (a->v.input != b->v.input)
        return a->v.input < b->v.input ? -1 : 1;
    return (a->v.isn > b->v.isn) - (a->v.isn < b->v.isn);
}

/* The folded record in input that is a's other view: same ISN, and an
 * evidence frame in common. folded is sorted by (input, ISN). */
static const struct attempt *find_folded(const struct attempt **folded, size_t n_folded,
                                         const struct attempt *a, size_t input)
{
    struct attempt want;
    want.v.input = input;
    want.v.isn = a->v.isn;
    const struct attempt *key = &want;
    size_t lo = 0, hi = n_folded;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (by_input_isn(&folded[mid], &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t k = lo; k < n_folded && by_input_isn(&folded[k], &key) == 0; k++)
        for (int i = 0; i < a->n_pkts; i++)
            for (int j = 0; j < folded[k]->n_pkts; j++)
                if (a->pkts[i].input == input && a->pkts[i].frame == folded[k]->pkts[j].frame)
                    return folded[k];
    return NULL;
}

static bool has_pkts_in(const struct attempt *a, size_t input)
{
    for (int i = 0; i < a->n_pkts; i++)
        if (a->pkts[i].input == input)
            return true;
    return false;
}

/* The same attempt reported by two runs of one input (not merged): once. */
static bool is_repeat(const struct wsfilter *w, size_t i)
{
    const struct attempt *a = &w->atts[i];
    for (size_t j = 0; j < i; j++) {
        const struct attempt *b = &w->atts[j];
        if (!b->is_folded && b->v.input == a->v.input && b->v.is_isn_known && a->v.is_isn_known &&
            b->v.isn == a->v.isn && same_key(&b->v.key, &a->v.key) && b->n_pkts == a->n_pkts &&
            memcmp(b->pkts, a->pkts, a->n_pkts * sizeof a->pkts[0]) == 0)
            return true;
    }
    return false;
}

static void print_input(struct wsfilter *w, size_t input, const struct attempt **folded,
                        size_t n_folded)
{
    bool is_first = true;
    for (size_t i = 0; i < w->n_atts; i++) {
        const struct attempt *a = &w->atts[i];
        if (a->is_folded || is_repeat(w, i))
            continue;
        bool is_printed;
        if (a->v.input == input) {
            is_printed = print_view(w, a, NULL, input, true, is_first);
        } else if (has_pkts_in(a, input)) {
            const struct attempt *f =
                a->v.is_isn_known ? find_folded(folded, n_folded, a, input) : NULL;
            /* without the other capture's view: its evidence, under a's 4-tuple */
            is_printed = f ? print_view(w, f, a, input, true, is_first)
                           : print_view(w, a, NULL, input, false, is_first);
        } else {
            continue;
        }
        if (is_printed) {
            is_first = false;
            w->stats->n_attempts++;
        }
    }
    /* Nothing to select: a filter that matches no frame, not an empty one
     * (which Wireshark reads as "everything"). */
    if (is_first)
        fputs("frame.number==0", w->out);
}

static void wsf_finish(void *ctx)
{
    struct wsfilter *w = ctx;
    size_t n_folded = 0;
    const struct attempt **folded = malloc((w->n_atts + 1) * sizeof *folded);
    for (size_t i = 0; folded && i < w->n_atts; i++)
        if (w->atts[i].is_folded && w->atts[i].v.is_isn_known)
            folded[n_folded++] = &w->atts[i];
    if (n_folded)
        qsort(folded, n_folded, sizeof *folded, by_input_isn);
    for (size_t i = 0; i < w->n_inputs; i++) {
        if (w->only < w->n_inputs && i != w->only)
            continue;
        /* several inputs: each filter on a line of its own, after its file */
        if (w->only == w->n_inputs && w->n_inputs > 1)
            fprintf(w->out, "%s\t", w->inputs[i]);
        print_input(w, i, folded, n_folded);
        fputc('\n', w->out);
    }
    free(folded);
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

bool tw_report_wsfilter(struct tw_sink *sink, FILE *out, struct tw_wsfilter_stats *stats,
                        char *const *inputs, size_t n_inputs, const char *only)
{
    struct wsfilter *w = calloc(1, sizeof *w);
    if (!w)
        return false;
    memset(stats, 0, sizeof *stats);
    w->out = out;
    w->stats = stats;
    w->inputs = inputs;
    w->n_inputs = n_inputs;
    w->only = input_of(w, only);
    memset(sink, 0, sizeof *sink);
    sink->ctx = w;
    sink->attempt = wsf_attempt;
    sink->folded = wsf_folded;
    sink->rst = wsf_rst;
    sink->correlation = wsf_correlation;
    sink->summary = wsf_summary;
    sink->finish = wsf_finish;
    sink->free = wsf_free;
    return true;
}
