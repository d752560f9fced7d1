/* Correlating captures of the same traffic taken at two points.
 *
 * Fifth stage of the pipeline. Each capture is first analysed on its own
 * into a tw_capture_run: every TCP packet noted with the side that sent it
 * and its handshake role, every attempt and RST judged at that capture's
 * vantage. Correlation then:
 *   1. pairs the packets of two runs by a fingerprint that NAT does not
 *      change (sequence and acknowledgement numbers, flags, length, TCP
 *      timestamps, IPv4 ID), so matching survives rewritten addresses and
 *      ports, and retransmissions (new TSval or IP ID) stay apart;
 *   2. decides whether the runs saw the same traffic at all (unrelated
 *      captures are never forced together);
 *   3. works out which point is nearer the client and the clock offset,
 *      from causality alone: a packet cannot arrive before it left;
 *   4. marks each packet matched, lost between the points, or missing from
 *      the capture that should have seen it first (the capture's own loss);
 *   5. merges the two judgments of each attempt into one at vantage both,
 *      with `lost` naming exactly the handshake packets that left one point
 *      and never reached the other.
 * Steps 1 to 4 stream (correlate/window.c): the two captures are read at
 * the same time, each by its own reader (thread) feeding its run, and
 * matched in time order within a sliding window, so memory is bounded by
 * the window and the budget, not by the size of the files. */
#ifndef TW_CORRELATE_CORRELATE_H
#define TW_CORRELATE_CORRELATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "diagnose/diagnose.h"
#include "diagnose/rst.h"
#include "track/attempt.h"

/* For a TCP packet: a 64-bit hash of what a router or a NAT leaves alone
 * (sequence and acknowledgement numbers, flags, payload length, TCP
 * timestamps, IPv4 ID). Addresses, ports, TTL and checksums are left out;
 * a retransmission differs in TSval or IP ID. */
uint64_t tw_packet_fingerprint(const struct tw_packet *p);

typedef struct tw_capture_run tw_capture_run;

tw_capture_run *tw_capture_run_new(const char *file, size_t budget_bytes,
                                   struct tw_error *err) TW_MUST_CHECK;
void tw_capture_run_free(tw_capture_run *run);
/* What correlation adds to explanations is written in the user's language
 * (for the text report) rather than in English (JSON); base/i18n.h. */
void tw_capture_run_set_localized(tw_capture_run *run, bool is_localized);

/* Before its reader starts: tw_correlate() will read the run while it is
 * fed (from another thread), and the reader waits when the run's queue is
 * full. Without this call a run is fed first and read afterwards, and past
 * its budget it stops noting packets. False when out of memory. */
bool tw_capture_run_stream(tw_capture_run *run);
/* The reader has fed everything (call it even when reading failed). */
void tw_capture_run_finish(tw_capture_run *run);

/* Feeding a run: the analyzer's packet observer, and a collecting sink.
 * Records are copied. fp: tw_packet_fingerprint(pkt) for a TCP packet, as
 * the analyzer's reader worked it out (not again per packet here). */
void tw_capture_run_packet(tw_capture_run *run, const struct tw_packet *pkt, uint64_t fp,
                           enum tw_side side, const struct tw_attempt *a);
void tw_capture_run_attempt(tw_capture_run *run, const struct tw_attempt_record *rec);
void tw_capture_run_rst(tw_capture_run *run, const struct tw_rst_record *rec);

/* Records past the run's memory budget were kept on a temporary file: they
 * are written after the others by this call, less the ones folded into the
 * other run's records. The client side's are merged by tw_correlate_merge,
 * the last share of them (all but with a small --memcap) as this call
 * writes them: call it for the client-side run before anything of the
 * server-side run is written. */
void tw_capture_run_replay_spilled(tw_capture_run *run,
                                   void (*attempt)(void *ctx, const struct tw_attempt_record *rec),
                                   void (*rst)(void *ctx, const struct tw_rst_record *rec),
                                   void *ctx);

const char *tw_capture_run_file(const tw_capture_run *run);
/* false when the run stopped noting packets (budget) */
bool tw_capture_run_is_whole(const tw_capture_run *run);
/* Records past the budget that no temporary file could hold (base/tmpfile.h:
 * $TMPDIR missing or full): left out of the output. *first_errno: why the
 * first could not be kept. */
uint64_t tw_capture_run_n_dropped(const tw_capture_run *run, int *first_errno);
size_t tw_capture_run_n_attempts(const tw_capture_run *run);
struct tw_attempt_record *tw_capture_run_attempt_at(tw_capture_run *run, size_t i);
size_t tw_capture_run_n_rsts(const tw_capture_run *run);
struct tw_rst_record *tw_capture_run_rst_at(tw_capture_run *run, size_t i);

/* Per direction of travel: what left the upstream point and what became of it. */
struct tw_direction_loss {
    uint64_t seen_upstream;      /* packets the upstream capture holds, inside the overlap */
    uint64_t matched;
    uint64_t lost;               /* left the upstream point, never reached the downstream one */
    uint64_t lost_syn, lost_synack, lost_ack, lost_data, lost_rst;
    uint64_t missing_upstream;   /* reached downstream, absent upstream: the capture's loss */
    uint64_t missing_downstream; /* absent downstream, yet its receiver acknowledged it there:
                                    the downstream capture's loss, not the network's */
    uint64_t resegmented;        /* data with no copy downstream, its bytes there in other
                                    segments (TSO/GSO or GRO on a capture host): delivered */
    uint64_t resegmented_downstream; /* the same, downstream packets whose bytes upstream holds */
    uint64_t data_upstream;      /* data segments seen upstream (for a loss rate) */
    /* the endpoint that sent most of the lost packets (as the upstream capture names it) */
    struct tw_addr top_src;
    uint16_t top_port;
    uint64_t top_count;
};

struct tw_correlation {
    tw_capture_run *client_run, *server_run; /* nearer the client / nearer the server */
    bool is_related;
    char why[400];               /* why related (or not), and why this orientation */
    uint64_t n_matched;
    uint64_t n_client_packets, n_server_packets;
    bool is_partial;             /* a run stopped noting packets, the window ran out of room,
                                    or records on a temporary file could not be merged:
                                    part only */
    uint64_t n_uncompared;       /* packets walked on a wrong clock (before the offset was
                                    found, or after a clock step), left out of the comparison */
    uint64_t n_clock_steps;      /* the server side's clock jumped; the offset is after the last */
    double last_step_s;          /* by how much, the last time */
    int64_t last_step_ns;        /* about when (client-side clock) */
    /* the server-side capture's clock minus the client-side capture's */
    double offset_s, offset_low_s, offset_high_s;
    bool is_offset_consistent;   /* low <= high: the bounds hold for every packet */
    bool has_drift;              /* both halves of the captures bounded the offset */
    double drift_ppm;            /* how fast the offset changes: (s per s) x 1e6 */
    double delay_c2s_s, delay_s2c_s; /* median one-way delay per direction */
    int64_t overlap_start_ns, overlap_end_ns; /* client-side clock */
    bool has_nat;                /* matched packets whose addresses or ports differ */
    double window_s;             /* the matching window's widest half-width */
    struct tw_direction_loss c2s, s2c;
};

/* Correlates runs a and b (in any order); fills c. Returns c->is_related.
 * Reads the runs' packets as they come (see tw_capture_run_stream) until
 * both readers have finished: once per pair of runs. */
bool tw_correlate(tw_capture_run *a, tw_capture_run *b, struct tw_correlation *c);

/* After tw_correlate() said related: rewrites the runs' judgments in place.
 * Every attempt judged in both runs becomes one record at vantage both in
 * the client-side run (verdict merged, lost from the matching, evidence from
 * both files) and is marked merged in the server-side run; RSTs that one
 * side claims to have sent but its own capture does not hold become forged
 * (sender middle). Emit the client-side run, then the server-side one, with
 * tw_capture_run_attempt_at(), tw_correlate_is_merged() and
 * tw_capture_run_replay_spilled() (which finishes the merge of the records
 * on file: the server side's marks are final after the client side's
 * replay). */
void tw_correlate_merge(struct tw_correlation *c);

/* True when attempt i of run was folded into the other run's record. */
bool tw_correlate_is_merged(const tw_capture_run *run, size_t i);

#endif
