/* What correlate/'s files share. Not for other stages. */
#ifndef TW_CORRELATE_INTERNAL_H
#define TW_CORRELATE_INTERNAL_H

#include <pthread.h>
#include <stdio.h>

#include "base/i18n.h"
#include "base/queue.h"
#include "correlate/correlate.h"

/* Addresses remembered per run: enough to relate a capture that holds no
 * TCP to the hosts of another. */
#define TW_RUN_ADDRS 64

/* Packets the reader hands over at a time (one lock per batch). */
#define TW_RUN_BATCH 512

/* One TCP packet as correlation needs it. */
struct tw_seen {
    int64_t ts_ns;
    uint64_t frame;
    uint64_t fp;             /* tw_packet_fingerprint() */
    uint32_t isn;            /* client ISN of the attempt it was filed under */
    uint32_t seq, ack;
    uint32_t payload_len;
    struct tw_addr src;
    uint16_t sport, dport;
    uint8_t side;            /* enum tw_side */
    uint8_t role;            /* enum tw_event_kind it was filed as, or TW_EV_COUNT */
    uint8_t tcp_flags;
    bool has_isn;
    bool is_fp_unique;       /* fp tells it from a retransmission: it has a TSval or an IP ID */
    /* set by the window (window.c) when the packet leaves it unmatched */
    bool is_acked;           /* its receiver acknowledged it in the other capture */
    bool is_retransmitted;   /* a later copy of the same bytes reached the other point */
    bool is_lost;            /* left this point, never reached the other (set by marking) */
    bool is_resegmented;     /* data whose bytes the other capture holds in other segments
                                (TSO/GSO, GRO on a capture host: window.c) */
};

/* The bytes behind s end here (SYN and FIN count one). */
static inline uint32_t tw_seen_end_seq(const struct tw_seen *s)
{
    return s->seq + s->payload_len + ((s->tcp_flags & 0x02) ? 1 : 0) +
           ((s->tcp_flags & 0x01) ? 1 : 0);
}

/* Spreads a key's bits over a hash table's index (the window's tables). */
static inline uint64_t tw_mix_key(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

/* Packets handed from a run's reader to the window at a time. */
struct tw_run_batch {
    size_t n;
    struct tw_seen v[TW_RUN_BATCH];
};

/* Per side of a run (enum tw_side), what matched. */
struct tw_run_matched {
    uint64_t n, n_data;
};

struct tw_capture_run {
    const char *file;
    bool is_localized; /* explanations in the user's language (base/i18n.h) */
    /* The reader's packets on their way to the window (window.c): a queue
     * of batches (base/queue.h) filled by the reader (tw_capture_run_packet,
     * maybe in another thread) and emptied by tw_correlate(), both in place.
     * Streaming (tw_capture_run_stream), the reader waits when it is full;
     * otherwise it stops noting packets then. */
    tw_queue *queue;
    size_t n_batches;        /* the queue's slots */
    struct tw_run_batch *filling; /* the reader's, not yet pushed; NULL: none */
    uint64_t n_queued;       /* packets pushed (read only once the reader has finished) */
    bool is_stopped;         /* not streaming, the queue full: packets only counted */
    bool is_streaming;
    uint64_t n_noted;        /* TCP packets noted */
    uint64_t n_client_syns;
    /* After tw_correlate(): the packets that left the window unmatched,
     * in frame order (the matched ones are only counted). */
    struct tw_seen *seen;
    size_t n_seen, cap_seen, max_seen;
    struct tw_run_matched matched[2];
    bool is_whole;
    uint64_t n_frames;
    int64_t first_ns, last_ns;
    struct tw_addr addrs[TW_RUN_ADDRS];
    size_t n_addrs;
    struct tw_attempt_record *atts;
    bool *merged;
    size_t n_atts, cap_atts;
    struct tw_rst_record *rsts;
    size_t n_rsts, cap_rsts;
    /* past max_records in memory, records go to a temporary file: merged
     * there (spill.c) and written after the ones in memory */
    size_t max_records;
    size_t budget_bytes;
    FILE *spill_atts, *spill_rsts;
    uint64_t n_spilled_atts, n_spilled_rsts;
    uint64_t n_dropped;      /* records neither memory nor a temporary file held */
    int drop_errno;          /* why the first of them could not be kept */
    uint8_t *spill_merged;   /* a bit per record on file: folded into the other run's */
    struct tw_merge_later *merge_later; /* the client side: its file's merge, done as it is written */
    bool is_server_side;     /* merged as the server side: its records on file are at vantage both */
};

/* The oldest queued batch of run, read in place (n packets, never 0),
 * waiting for the reader when the queue is empty; NULL when the reader has
 * finished and all are out. It stays queued until tw_run_release(). */
const struct tw_seen *tw_run_front(tw_capture_run *run, size_t *n);
/* Gives the front batch back to the reader. */
void tw_run_release(tw_capture_run *run);
/* Takes and gives back every batch until the reader has finished (so that
 * it never waits on a full queue for ever). */
void tw_run_drain(tw_capture_run *run);

/* What the first estimate of the clock offset needs of a packet (window.c):
 * 16 bytes to sort, not the whole tw_seen. */
struct tw_seen_key {
    uint64_t fp;
    int64_t ts_ns;
};

/* Waits until run's queue holds n packets or the reader has finished; then
 * copies the keys of up to n of them, from the front and without taking
 * them, to out. Returns how many. */
size_t tw_run_peek(tw_capture_run *run, struct tw_seen_key *out, size_t n);

/* The front of the queue a window can look at before matching (the first
 * estimate of the clock offset): what fits in the queue, less a batch. */
size_t tw_run_peek_max(const tw_capture_run *run);

/* What the window learnt about the clocks: deltas tB - tA (seconds) of the
 * matched packets, per side that sent them. */
struct tw_delta_stats {
    uint64_t n;
    double min, max;
    double median;           /* exact up to TW_DELTA_SAMPLE matches, then of a sample */
};

/* Matches of a stretch of time (a's clock): the range of deltas per side
 * that sent them (0 client, 1 server), for the drift. */
#define TW_SPANS 64
struct tw_span {
    double min_delta[2], max_delta[2];
    double t_sum_s;          /* of the matches' times, from seg0_ns */
    double t_min_s, t_max_s; /* the first and last match's time, from seg0_ns */
    uint64_t n;
};

struct tw_window_result {
    uint64_t n_matched;
    struct tw_delta_stats delta[2];          /* [side] */
    struct tw_span seg[TW_SPANS];
    size_t n_segments;
    int64_t seg0_ns, seg_len_ns;
    bool has_nat;
    bool is_cut;              /* the window ran out of room: some packets left it early */
    double window_s;          /* the widest the window was */
    uint64_t n_uncompared;    /* walked on a wrong clock: before the offset was found, or
                                 between a clock step and its detection (window.c) */
    uint64_t n_clock_steps;   /* the server side's clock jumped (window.c, steps) */
    double last_step_s;       /* by how much, the last time */
    int64_t last_step_ns;     /* about when (a's clock) */
};

/* Matches a's and b's packets as their readers produce them, in time order,
 * within a sliding window; fills res, each run's unmatched packets (seen)
 * and matched counts. False when out of memory (then nothing matched). */
bool tw_window_match(tw_capture_run *a, tw_capture_run *b, struct tw_window_result *res);

/* ---- merging (loss.c, spill.c) ---------------------------------------------- */

/* The handshake packets lost between the points, by attempt (sorted by ISN). */
struct tw_lost_hs {
    uint32_t isn;
    uint8_t side, role;
};
struct tw_lost_index {
    struct tw_lost_hs *v;
    size_t n;
};

double tw_finite_or_zero(double x);

/* Folds server record sr (NULL: none) into client record cr. */
void tw_merge_attempt(const struct tw_correlation *c, const struct tw_lost_index *ix,
                      struct tw_attempt_record *cr, struct tw_attempt_record *sr);

/* Was the server-side capture running when this client-side attempt's
 * packets could reach it? */
bool tw_server_covers(const struct tw_correlation *c, const struct tw_attempt_record *rec);

/* A RST of run, judged again with the other capture: lost on the way, or
 * forged in the path. */
void tw_correlate_fix_rst(const struct tw_correlation *c, const tw_capture_run *run,
                          struct tw_rst_record *r);

/* Keeps an attempt record on the run's temporary file, packed (spill.c);
 * false when that fails. */
bool tw_spill_attempt(tw_capture_run *run, const struct tw_attempt_record *rec);

/* The records kept on temporary files take part in the merge: the client
 * records without a partner (is_done false, in memory; all on file) meet
 * the server records on file or not yet merged in memory, by ISN, a share
 * of them at a time; the client side's file is rewritten in order, but for
 * the last share, left to the client run's merge_later (which takes ix's
 * entries), and the merged server records on file are marked
 * (spill_merged). False when a temporary file failed (then some records
 * stay unmerged). */
bool tw_merge_spilled(struct tw_correlation *c, struct tw_lost_index *ix, const bool *is_done);

void tw_merge_later_free(struct tw_merge_later *m);

/* The server side's records in memory that no client record was merged
 * with: attempts only the server side saw, at vantage both. Once the last
 * client record has met them (after merge_later, if any). */
void tw_mark_server_only(tw_capture_run *sv);

#endif
