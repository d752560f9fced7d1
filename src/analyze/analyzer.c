/* The pipeline driver for one capture.
 *
 * A file of 4 MiB or more is read and decoded in a thread of its own
 * (reader.c) and its records formatted and written in another
 * (report/thread.c), unless --threads 1: this thread tracks and judges,
 * and the records come out in the order it emits them, so the output is
 * the same for any number of threads. Flows are not sharded over threads:
 * the vantage votes, the host cache and the eviction order are one per
 * capture, and the verdicts depend on them.
 *
 * Frames are decoded and filed into flows as they are read. A flow leaves the
 * table when it has been idle for idle_ns, when the table needs its room, or
 * at the end of the capture; its attempts are then judged and reported. At
 * the end the vantage is decided from every attempt still in the table before
 * any of them is judged, and those records are sorted by their first packet,
 * so the output does not depend on the table's internal order.
 *
 * Live (-i), an attempt is reported as soon as its verdict is final, not
 * when its flow leaves the table: every TICK_NS of wall clock the flows that
 * had packets, or whose due time has come, are judged again (at most
 * SETTLE_VISITS_PER_TICK flows per tick), and the attempts whose verdict
 * tw_diagnose_settled_at() calls final are reported at once. The clock is
 * then the later of the last packet's time and the wall clock, so that a
 * timeout is decided on a quiet link too. The table remembers how many of a
 * flow's attempts were reported, so none is reported twice; the flow stays
 * to explain its later RSTs and leaves the table as offline. */
#include "analyze/analyzer.h"

#include "analyze/reader.h"

#include <pcap/pcap.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/grow.h"
#include "base/i18n.h"
#include "capture/capture.h"
#include "decode/decode.h"
#include "diagnose/connect.h"
#include "diagnose/diagnose.h"
#include "diagnose/rst.h"
#include "report/thread.h"
#include "track/hosts.h"
#include "track/table.h"

struct pending {
    int64_t first_ns;
    const struct tw_flow *flow;
    int index;
};

struct run {
    const struct tw_analyze_options *opt;
    struct tw_sink *sink;
    struct tw_file_summary sum;
    struct tw_analyze_result *res;
    struct tw_vantage_votes votes;
    tw_hosts *hosts;
    enum tw_vantage vantage;
    int64_t now_ns;               /* latest capture time seen */
    bool is_at_end;
    /* the attempts still open at the end of the capture, to be judged in
     * order of their first packet (a small entry each, not a record) */
    struct pending *pending;
    size_t n_pending, cap_pending;
    bool is_judged_at_end;        /* they were: flushing the table judges nothing */
    /* live */
    tw_table *table;
    tw_capture *cap;
    int64_t next_tick_ns, next_stats_ns;  /* wall clock */
    struct tw_attempt_brief *open;        /* attempts not reported yet (tell_open) */
    size_t n_open, cap_open;
    bool is_open_listed;                  /* all of them fitted */
};

/* Live: how often flows are settled, and how much work one tick may do. */
#define TICK_NS 200000000LL
#define SETTLE_VISITS_PER_TICK 16384
#define EXPIRE_CALLS_PER_TICK 16

/* The vantage from the votes so far; with is_explained, also its reasons
 * (a formatted sentence), wanted only where they are shown (summary, live
 * stats): deciding runs once per finished flow. */
static void decide_vantage(struct run *r, bool is_explained)
{
    if (r->opt->vantage >= 0) {
        r->vantage = (enum tw_vantage)r->opt->vantage;
        r->sum.is_vantage_given = true;
        snprintf(r->sum.vantage_why, sizeof r->sum.vantage_why, "--vantage");
        return;
    }
    r->vantage = tw_vantage_decide(&r->votes, r->opt->is_localized,
                                   is_explained ? r->sum.vantage_why : NULL,
                                   sizeof r->sum.vantage_why);
}

static void emit(struct run *r, const struct tw_attempt_record *rec)
{
    r->sum.attempts++;
    r->sum.verdicts[rec->diag.verdict]++;
    r->sum.syn_without_mss += rec->is_syn_without_mss;
    r->res->n_attempts++;
    if (tw_verdict_is_failure(rec->diag.verdict))
        r->res->n_failed++;
    r->sink->attempt(r->sink->ctx, rec);
}

static void judge(struct run *r, const struct tw_flow *flow, int index, struct tw_attempt_record *rec)
{
    const struct tw_attempt *a = tw_flow_attempt(flow, index);
    /* the diagnosis clears its own fields (tw_diagnose_attempt) */
    memset(rec, 0, offsetof(struct tw_attempt_record, diag));
    rec->file = r->sum.file;
    rec->key = flow->key;
    rec->is_isn_known = a->has_syn;
    rec->isn = a->isn;
    rec->vantage = r->vantage;
    rec->first_ns = a->first_ns;
    rec->last_ns = a->last_ns;
    rec->is_syn_without_mss = a->is_syn_without_mss;
    rec->last_syn_ns = tw_attempt_last_syn_ns(a);
    rec->n_packets = a->n_packets;
    rec->is_evicted = flow->is_evicted;
    struct tw_judge_input in = {flow, index, r->vantage, r->now_ns, r->opt->is_localized};
    tw_diagnose_attempt(&in, &rec->diag);
}


static void flow_done(void *ctx, struct tw_flow *flow, enum tw_flow_end why)
{
    struct run *r = ctx;
    int n_reported = tw_table_n_reported(r->table, flow); /* live: already out */
    if (!r->is_at_end && r->opt->vantage < 0) {
        for (int i = n_reported; i < flow->n_attempts; i++)
            tw_vantage_observe(&r->votes, tw_flow_attempt(flow, i));
        decide_vantage(r, false);
    }
    if (why == TW_END_CAPTURE && r->is_judged_at_end)
        return;
    for (int i = n_reported; i < flow->n_attempts; i++) {
        struct tw_attempt_record rec;
        judge(r, flow, i, &rec);
        emit(r, &rec);
    }
}

static void observe_flow(void *ctx, const struct tw_flow *flow)
{
    struct run *r = ctx;
    for (int i = tw_table_n_reported(r->table, flow); i < flow->n_attempts; i++)
        tw_vantage_observe(&r->votes, tw_flow_attempt(flow, i));
}

static int addr_cmp(const struct tw_flow_key *a, const struct tw_flow_key *b)
{
    int c = memcmp(a->client.b, b->client.b, 16);
    if (!c)
        c = (a->client_port > b->client_port) - (a->client_port < b->client_port);
    if (!c)
        c = memcmp(a->server.b, b->server.b, 16);
    if (!c)
        c = (a->server_port > b->server_port) - (a->server_port < b->server_port);
    return c;
}

static int by_first_packet(const void *pa, const void *pb)
{
    const struct pending *a = pa, *b = pb;
    if (a->first_ns != b->first_ns)
        return a->first_ns < b->first_ns ? -1 : 1;
    int c = addr_cmp(&a->flow->key, &b->flow->key);
    return c ? c : (a->index > b->index) - (a->index < b->index);
}

static void note_pending(void *ctx, const struct tw_flow *flow)
{
    struct run *r = ctx;
    for (int i = tw_table_n_reported(r->table, flow); i < flow->n_attempts; i++) {
        if (!tw_grow((void **)&r->pending, &r->cap_pending, r->n_pending, sizeof *r->pending,
                     1024, SIZE_MAX)) {
            r->is_judged_at_end = false; /* out of memory: judged as flushed instead */
            return;
        }
        r->pending[r->n_pending++] =
            (struct pending){tw_flow_attempt(flow, i)->first_ns, flow, i};
    }
}

static void count_frame(struct run *r, const struct tw_packet *pkt)
{
    r->sum.anomalies[pkt->anomaly]++;
    r->sum.snapped += pkt->is_snapped;
    if (pkt->l4 != TW_L4_TCP)
        return;
    uint8_t f = pkt->tcp.flags;
    if ((f & (TW_TCP_SYN | TW_TCP_ACK)) == TW_TCP_SYN)
        r->sum.tcp_syn++;
    else if ((f & (TW_TCP_SYN | TW_TCP_ACK)) == (TW_TCP_SYN | TW_TCP_ACK))
        r->sum.tcp_synack++;
    if (f & TW_TCP_RST)
        r->sum.tcp_rst++;
}

static void explain_rst(struct run *r, const struct tw_flow *flow, const struct tw_attempt *a,
                        const struct tw_packet *pkt, enum tw_side side)
{
    struct tw_rst_record rec;
    memset(&rec, 0, sizeof rec);
    rec.file = r->sum.file;
    rec.key = flow->key;
    rec.frame = pkt->frame;
    rec.ts_ns = pkt->ts_ns;
    rec.src = pkt->src;
    rec.is_isn_known = a->has_syn;
    rec.isn = a->isn;
    rec.seq = pkt->tcp.seq;
    rec.ack = pkt->tcp.ack;
    rec.tcp_flags = pkt->tcp.flags;
    rec.ttl = pkt->ttl;
    struct tw_rst_input in = {flow, a, pkt, side, r->hosts, r->opt->is_localized};
    tw_rst_explain(&in, &rec.res);
    r->sum.rst_causes[rec.res.cause]++;
    r->sum.rst_senders[rec.res.sender]++;
    r->sink->rst(r->sink->ctx, &rec);
}

/* What the host cache learns from a packet: its sender's TTL, and the
 * handshake round trip when this is an attempt's first SYN+ACK. */
static void note_host(struct run *r, const struct tw_attempt *a, const struct tw_packet *pkt)
{
    /* Handshake packets are enough to know a host's TTL, and noting only
     * them keeps the cache off the per-packet path. */
    if (pkt->l4 != TW_L4_TCP || (pkt->tcp.flags & (TW_TCP_RST | TW_TCP_SYN)) != TW_TCP_SYN)
        return;
    tw_hosts_note_ttl(r->hosts, &pkt->src, pkt->ttl);
    bool is_synack = (pkt->tcp.flags & (TW_TCP_SYN | TW_TCP_ACK)) == (TW_TCP_SYN | TW_TCP_ACK);
    if (!is_synack || a->n_synack != 1)
        return;
    const struct tw_event *syn = NULL;
    for (int i = 0; i < a->n_events; i++)
        if (a->events[i].kind == TW_EV_SYN)
            syn = &a->events[i];
    if (syn)
        tw_hosts_note_rtt(r->hosts, &pkt->src, pkt->ts_ns - syn->ts_ns);
}

/* Returned by track() for a packet left out as a mirrored copy. */
static const struct tw_attempt mirrored_copy;

/* A copy from a mirrored (SPAN) port or a capture on both sides of a box:
 * the same packet (fingerprint: what a router leaves alone) as the flow's
 * previous packet, less than 1 ms later. No TCP sends a packet twice that
 * fast with nothing in between: Linux's timer SYN+ACK and its answer to a
 * retransmitted SYN go out together, but with that SYN between them. The
 * copy is counted and left out, so it is not taken for a retransmission. */
#define MIRROR_WINDOW_NS 1000000LL

static bool is_mirrored_copy(struct tw_flow *flow, const struct tw_packet *pkt, uint64_t fp)
{
    if (pkt->l4 != TW_L4_TCP)
        return false;
    bool is_copy = flow->n_attempts && fp == flow->last_fp &&
                   pkt->ts_ns - flow->last_ns < MIRROR_WINDOW_NS && pkt->ts_ns >= flow->last_ns;
    flow->last_fp = fp;
    return is_copy;
}

/* Files pkt into its flow; returns the attempt it went to (NULL: none) and
 * which side sent it. */
static const struct tw_attempt *track(struct run *r, tw_table *table, const struct tw_packet *pkt,
                                      const struct tw_packet_sums *sums, enum tw_side *sent_by)
{
    if (!sums->has_hash)
        return NULL;
    enum tw_side side;
    uint64_t fp = sums->fp;
    struct tw_flow *flow = tw_table_lookup_hashed(table, pkt, sums->hash, &side);
    if (!flow)
        return NULL;
    if (is_mirrored_copy(flow, pkt, fp)) {
        r->sum.duplicates++;
        return &mirrored_copy;
    }
    if (flow->n_attempts == TW_FLOW_ATTEMPTS && tw_flow_opens_attempt(flow, pkt, side)) {
        /* Judge the oldest attempt while its successors are still there to
         * give it context, then make room. */
        struct tw_attempt_record rec;
        if (tw_table_n_reported(table, flow) == 0) {
            if (r->opt->vantage < 0) {
                tw_vantage_observe(&r->votes, tw_flow_attempt(flow, 0));
                decide_vantage(r, false);
            }
            judge(r, flow, 0, &rec);
            emit(r, &rec);
        }
        tw_flow_retire_oldest(flow);
        tw_table_retired_oldest(table, flow);
    }
    uint32_t gaps_before = flow->n_capture_gaps;
    uint64_t gap_bytes_before = flow->capture_gap_bytes;
    const struct tw_attempt *a = tw_flow_add(flow, pkt, side);
    tw_table_note_closed(table, flow);
    r->sum.capture_gaps += flow->n_capture_gaps - gaps_before;
    r->sum.capture_gap_bytes += flow->capture_gap_bytes - gap_bytes_before;
    if (pkt->l4 == TW_L4_TCP && (pkt->tcp.flags & TW_TCP_RST))
        explain_rst(r, flow, a, pkt, side);
    note_host(r, a, pkt);
    *sent_by = side;
    return a;
}

/* ---- live ----------------------------------------------------------------- */

static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* tw_flow_settle_fn: reports the flow's attempts whose verdict is final, in
 * order; returns when to look again. An attempt is judged with the vantage
 * known so far, and its vantage signals are counted only once it is
 * reported, so that each attempt counts once, as offline. */
static int64_t settle_flow(void *ctx, struct tw_flow *flow, int *n_reported)
{
    struct run *r = ctx;
    while (*n_reported < flow->n_attempts) {
        int i = *n_reported;
        struct tw_attempt_record rec;
        judge(r, flow, i, &rec);
        struct tw_judge_input in = {flow, i, r->vantage, r->now_ns, r->opt->is_localized};
        int64_t at = tw_diagnose_settled_at(&in, &rec.diag);
        if (at > r->now_ns)
            return at;
        if (r->opt->vantage < 0) {
            enum tw_vantage before = r->vantage;
            tw_vantage_observe(&r->votes, tw_flow_attempt(flow, i));
            decide_vantage(r, false);
            if (r->vantage != before)
                judge(r, flow, i, &rec);
        }
        emit(r, &rec);
        (*n_reported)++;
    }
    return INT64_MAX; /* all out: again only when a packet comes */
}

static void note_open(void *ctx, const struct tw_flow *flow, int index)
{
    struct run *r = ctx;
    if (!tw_grow((void **)&r->open, &r->cap_open, r->n_open, sizeof *r->open, 256, SIZE_MAX)) {
        r->is_open_listed = false;
        return;
    }
    struct tw_attempt_brief *b = &r->open[r->n_open++];
    memset(b, 0, sizeof *b);
    b->client = flow->key.client;
    b->server = flow->key.server;
    b->client_port = flow->key.client_port;
    b->server_port = flow->key.server_port;
    b->first_ns = tw_flow_attempt(flow, index)->first_ns;
}

/* Tells the sink which attempts are still open, for what spans several
 * attempts (connects). */
static void tell_open(struct run *r)
{
    r->n_open = 0;
    r->is_open_listed = true;
    tw_table_foreach_unreported(r->table, note_open, r);
    tw_attempt_briefs_sort(r->open, r->n_open);
    r->sink->settled(r->sink->ctx, r->now_ns, r->is_open_listed ? r->open : NULL, r->n_open);
}

static void fill_live_counters(struct run *r)
{
    struct tw_capture_counters cc;
    r->sum.is_live = true;
    r->sum.has_capture_counters = tw_capture_stats(r->cap, &cc);
    r->sum.capture_received = cc.received;
    r->sum.capture_drops = cc.dropped;
    r->sum.capture_ifdrops = cc.if_dropped;
    r->sum.table = *tw_table_stats(r->table);
    r->sum.unsettled = tw_table_n_unsettled(r->table);
}

/* Timed work while reading live, at most once per TICK_NS: settle flows,
 * expire idle ones (the link may be quiet), and the periodic stats. */
static void live_tick(struct run *r)
{
    int64_t wall = wall_ns();
    if (wall < r->next_tick_ns)
        return;
    r->next_tick_ns = wall + TICK_NS;
    if (wall > r->now_ns)
        r->now_ns = wall;
    tw_table_settle(r->table, r->now_ns, SETTLE_VISITS_PER_TICK, settle_flow, r);
    if (r->sink->settled)
        tell_open(r);
    for (int k = 0; k < EXPIRE_CALLS_PER_TICK; k++)
        tw_table_expire(r->table, r->now_ns);
    if (r->opt->on_stats && r->opt->stats_interval_ns > 0 && wall >= r->next_stats_ns) {
        r->next_stats_ns = wall + r->opt->stats_interval_ns;
        fill_live_counters(r);
        decide_vantage(r, true);
        r->sum.vantage = r->vantage;
        r->opt->on_stats(r->opt->hook_ctx, &r->sum);
    }
}

/* Everything done with one decoded packet, in capture order. */
static void take_packet(struct run *r, tw_table *table, const struct tw_packet *pkt,
                        const struct tw_packet_sums *sums)
{
    r->sum.packets++;
    if (r->sum.packets == 1 || pkt->ts_ns < r->sum.first_ns)
        r->sum.first_ns = pkt->ts_ns;
    if (pkt->ts_ns > r->now_ns)
        r->now_ns = pkt->ts_ns;
    r->sum.last_ns = r->now_ns;
    count_frame(r, pkt);
    enum tw_side side = TW_FROM_CLIENT;
    const struct tw_attempt *a = track(r, table, pkt, sums, &side);
    if (r->opt->run && a != &mirrored_copy)
        tw_capture_run_packet(r->opt->run, pkt, sums->fp, side, a);
    tw_table_expire(table, r->now_ns);
}

/* Frame by frame: live (timed work between packets), or a file whose frames
 * someone watches as they are read (on_frame: live -w's tests) */
static void read_frames(struct run *r, tw_capture *cap, tw_table *table, struct tw_error *err)
{
    const struct tw_analyze_options *opt = r->opt;
    struct tw_packet pkt;
    for (;;) {
        bool is_idle = false;
        const struct tw_frame *fr = tw_capture_next_wait(cap, &is_idle, err);
        if (!fr) {
            if (!is_idle)
                break;              /* the end, an error, or tw_capture_break() */
            live_tick(r);           /* live, nothing came: timed work */
            if (opt->stop_flag && *opt->stop_flag)
                break;
            continue;
        }
        if (opt->on_frame)
            opt->on_frame(opt->frame_ctx, fr);
        tw_reader_decode(fr, &pkt);
        struct tw_packet_sums sums = tw_packet_sums_of(tw_table_seed(table), &pkt);
        take_packet(r, table, &pkt, &sums);
        if (opt->progress)
            tw_progress_update_lane(opt->progress, opt->progress_lane, tw_capture_bytes_read(cap),
                                    fr->number);
        if (opt->live)
            live_tick(r);
        if (opt->stop_flag && *opt->stop_flag)
            break;
    }
}

/* A file smaller than this is read in one thread: handing work between
 * threads costs a few wake-ups, which on a busy machine take longer than
 * reading it all. */
#define THREADS_MIN_BYTES (4u << 20)

int tw_analyze_threads(int n_threads)
{
    if (n_threads > 0)
        return n_threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* --threads, or one per core; 1 for a small file (the output is the same). */
static int n_threads(const struct tw_analyze_options *opt, const tw_capture *cap)
{
    uint64_t size = tw_capture_file_bytes(cap);
    if (size && size < THREADS_MIN_BYTES)
        return 1;
    return tw_analyze_threads(opt->n_threads);
}

/* Packets ahead whose bucket, then flow, are fetched into the cache. */
#define PREFETCH_BUCKET_AHEAD 8
#define PREFETCH_FLOW_AHEAD 4

/* A file: batches of decoded packets, read in a thread of their own when
 * more than one thread may run. */
static void read_file(struct run *r, tw_capture *cap, tw_table *table, struct tw_error *err)
{
    const struct tw_analyze_options *opt = r->opt;
    tw_reader *rd = tw_reader_start(cap, n_threads(opt, cap) > 1, opt->stop_flag,
                                    tw_table_seed(table), err);
    if (!rd)
        return;
    const struct tw_packet_batch *b;
    while ((b = tw_reader_next(rd)) != NULL) {
        for (size_t i = 0; i < b->n; i++) {
            size_t k = i + PREFETCH_BUCKET_AHEAD;
            if (k < b->n && b->sums[k].has_hash)
                tw_table_prefetch_bucket(table, b->sums[k].hash);
            k = i + PREFETCH_FLOW_AHEAD;
            if (k < b->n && b->sums[k].has_hash)
                tw_table_prefetch_flow(table, b->sums[k].hash);
            if (k < b->n) /* written on the reader's core: not in this one's cache */
                for (size_t at = 0; at < sizeof b->pkts[k]; at += 64)
                    __builtin_prefetch((const char *)&b->pkts[k] + at);
            take_packet(r, table, &b->pkts[i], &b->sums[i]);
        }
        if (opt->progress)
            tw_progress_update_lane(opt->progress, opt->progress_lane, b->bytes_read,
                                    b->pkts[b->n - 1].frame);
        if (opt->stop_flag && *opt->stop_flag)
            break;
    }
    tw_reader_finish(rd, err);
}

enum tw_status tw_analyze_file(const char *path, const struct tw_analyze_options *opt,
                               struct tw_sink *sink, struct tw_analyze_result *res,
                               struct tw_error *err)
{
    struct run r;
    memset(&r, 0, sizeof r);
    r.opt = opt;
    r.sink = sink;
    r.res = res;
    r.sum.file = path;
    r.sum.is_complete = true;
    decide_vantage(&r, true);

    res->warning[0] = '\0';
    tw_capture *cap = opt->live ? tw_capture_open_live(opt->live, opt->bpf_filter, err)
                                : tw_capture_open_file(path, opt->bpf_filter, err);
    if (cap && opt->live && opt->on_open && opt->on_open(opt->hook_ctx, err) != TW_OK) {
        tw_capture_free(cap);
        cap = NULL;
    }
    if (!cap) {
        /* Scripts still get one summary per input, saying it was not read. */
        r.sum.is_complete = false;
        tw_error_format(err, opt->is_localized, r.sum.error, sizeof r.sum.error);
        r.sum.vantage = r.vantage;
        sink->summary(sink->ctx, &r.sum);
        return err->status;
    }
    /* --memcap is the budget of the whole analysis: three quarters for the
     * flow table, the rest for what grows with it (the attempts judged at
     * the end, the reporters' buffers; see tw_report_connects). */
    struct tw_table_limits lim = {opt->memcap_bytes / 4 * 3, opt->idle_ns, opt->max_flows};
    tw_table *table = tw_table_new(&lim, flow_done, &r, err);
    r.table = table;
    if (table && opt->live)
        tw_table_incremental(table);
    r.cap = cap;
    if (opt->live) {
        r.next_tick_ns = wall_ns() + TICK_NS;
        r.next_stats_ns = wall_ns() + opt->stats_interval_ns;
    }
    r.hosts = table ? tw_hosts_new(err) : NULL;
    if (!r.hosts) {
        tw_table_free(table);
        tw_capture_free(cap);
        return err->status;
    }
    /* With threads to spare, a file's records are formatted and written
     * beside the analysis. Not when correlating: the collector's run is
     * the analysis's too. */
    struct tw_sink threaded;
    bool is_threaded = !opt->live && !opt->run && n_threads(opt, cap) > 1 &&
                       tw_report_thread(&threaded, sink);
    if (is_threaded)
        r.sink = sink = &threaded;
    r.sum.linktype = tw_capture_linktype(cap);
    if (opt->progress)
        tw_progress_begin(opt->progress, path, N_("reading"), tw_capture_file_bytes(cap));

    if (opt->live || opt->on_frame)
        read_frames(&r, cap, table, err);
    else
        read_file(&r, cap, table, err);
    if (opt->progress)
        tw_progress_end(opt->progress);
    enum tw_status st = err->status;
    if (st != TW_OK) {
        r.sum.is_complete = false;
        tw_error_format(err, opt->is_localized, r.sum.error, sizeof r.sum.error);
    }

    r.is_at_end = true;
    if (opt->vantage < 0) {
        tw_table_foreach(table, observe_flow, &r);
        decide_vantage(&r, false);
    }
    /* Judge what is still open in order of first packet, then clear the
     * table (which judges nothing more unless noting ran out of memory). */
    r.is_judged_at_end = true;
    tw_table_foreach(table, note_pending, &r);
    if (r.is_judged_at_end) {
        if (r.n_pending)
            qsort(r.pending, r.n_pending, sizeof r.pending[0], by_first_packet);
        for (size_t i = 0; i < r.n_pending; i++) {
            struct tw_attempt_record rec;
            judge(&r, r.pending[i].flow, r.pending[i].index, &rec);
            emit(&r, &rec);
        }
    }
    tw_table_flush(table);
    free(r.pending);
    free(r.open);
    decide_vantage(&r, true);
    r.sum.vantage = r.vantage;
    uint64_t n_unsupported = r.sum.anomalies[TW_ANOM_LINK_UNSUPPORTED];
    if (n_unsupported) {
        const char *name = pcap_datalink_val_to_name(r.sum.linktype);
        snprintf(res->warning, sizeof res->warning,
                 _("%s: link type %d (%s) is not one tcpwhy decodes; %llu frames counted and "
                   "skipped"),
                 path, r.sum.linktype, name ? name : "unknown", (unsigned long long)n_unsupported);
    }
    r.sum.table = *tw_table_stats(table);
    if (opt->live) {
        struct tw_table_stats ts = r.sum.table;
        fill_live_counters(&r);
        r.sum.table = ts;
        r.sum.unsettled = 0;
    }
    sink->summary(sink->ctx, &r.sum);
    if (is_threaded)
        threaded.free(threaded.ctx);
    tw_table_free(table);
    tw_hosts_free(r.hosts);
    tw_capture_free(cap);
    return st;
}
