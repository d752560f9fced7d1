/* The bounded flow table.
 *
 * Holds the flows being tracked, within a memory budget fixed at creation:
 * all flows come from one pool allocated up front, so nothing allocates
 * while packets are read and no input can make memory grow. Flows are found
 * through a hash of the 4-tuple keyed with a per-run seed (so crafted
 * addresses cannot pile into one bucket), the same both ways round (one
 * bucket walk finds a flow from either side's packet), and kept on a list
 * ordered by last activity: expiry and eviction take the least recently
 * active flow, so what is reported never depends on the seed.
 *
 * A flow leaves the table through the caller's done() callback, which gets
 * the flow and why it left; the flow's memory is reused after it returns. */
#ifndef TW_TRACK_TABLE_H
#define TW_TRACK_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "track/attempt.h"

typedef struct tw_table tw_table;

enum tw_flow_end {
    TW_END_CAPTURE = 0, /* end of the capture */
    TW_END_IDLE,        /* quiet for longer than idle_ns */
    TW_END_EVICTED,     /* the table was full and this flow, still under way, was the oldest */
    TW_END_RELEASED,    /* the table was full and this flow, closed, was the oldest closed one */
    TW_END_REORIENTED,     /* its sides were guessed (no SYN seen) and a SYN came from the
                           side taken for the server: a new flow starts, the right way round */
};

typedef void (*tw_flow_done_fn)(void *ctx, struct tw_flow *flow, enum tw_flow_end why);

struct tw_table_limits {
    size_t memcap_bytes; /* budget for the whole table */
    int64_t idle_ns;     /* a flow quiet this long (capture time) is finished */
    size_t max_flows;    /* 0: as many as memcap_bytes holds; else at most this many */
};

struct tw_table_stats {
    uint64_t live, peak, evicted, expired;
    uint64_t released;   /* closed flows finished to make room (not judged early) */
    size_t capacity;     /* flows the budget holds */
};

tw_table *tw_table_new(const struct tw_table_limits *lim, tw_flow_done_fn done, void *ctx,
                       struct tw_error *err) TW_MUST_CHECK;
void tw_table_free(tw_table *t);

/* The flow pkt belongs to, and which side sent it. A TCP segment with no flow
 * gets a new one (evicting the oldest if the table is full); the client is
 * the SYN's sender, the SYN+ACK's receiver, or else the side with the higher
 * port. An ICMP error is matched through the TCP header it quotes and never
 * creates a flow. Returns NULL for anything else. */
struct tw_flow *tw_table_lookup(tw_table *t, const struct tw_packet *pkt, enum tw_side *side);

/* The same with pkt's flow hash h already worked out (tw_flow_hash with
 * tw_table_seed(t), which returned true), as a reader thread does ahead:
 * it is not worked out twice. */
struct tw_flow *tw_table_lookup_hashed(tw_table *t, const struct tw_packet *pkt, uint64_t h,
                                       enum tw_side *side);

/* After a packet was filed into flow (tw_flow_add): keeps the closed flows
 * (tw_flow_is_closed) in order of last activity. When the table is full, the
 * least recently active closed flow makes room (TW_END_RELEASED); only when
 * none is closed does the least recently active flow go, judged early
 * (TW_END_EVICTED). */
void tw_table_note_closed(tw_table *t, const struct tw_flow *flow);

/* Prefetching, for speed only (a flow is a few KiB among many thousands:
 * a lookup otherwise waits for memory). tw_flow_hash() gives the hash pkt's
 * flow is filed under in a table of this seed (tw_table_seed), false when
 * pkt belongs to no flow: a pure function, so that another thread can work
 * it out ahead. A few packets before its lookup, tw_table_prefetch_bucket()
 * asks for the bucket of hash h; a few packets later
 * tw_table_prefetch_flow() reads it and asks for the flow it leads to.
 * Neither changes anything. */
uint64_t tw_table_seed(const tw_table *t);
bool tw_flow_hash(uint64_t seed, const struct tw_packet *pkt, uint64_t *h);
void tw_table_prefetch_bucket(const tw_table *t, uint64_t h);
void tw_table_prefetch_flow(const tw_table *t, uint64_t h);

/* Finishes a few flows idle at now_ns (bounded work per call). */
void tw_table_expire(tw_table *t, int64_t now_ns);

/* Calls fn for every live flow without finishing it. */
void tw_table_foreach(tw_table *t, void (*fn)(void *ctx, const struct tw_flow *flow), void *ctx);

/* Finishes every flow, least recently active first. */
void tw_table_flush(tw_table *t);

const struct tw_table_stats *tw_table_stats(const tw_table *t);

/* ---- Reporting while the capture runs (live mode) ---------------------------
 *
 * After tw_table_incremental(), every flow that gets a packet is put on a list of
 * flows to settle (once; at the end if it was not on it). tw_table_settle()
 * walks that list from the front, a bounded number of flows per call, and
 * calls settle() on each flow whose due time has come. settle() reports the
 * attempts it can (oldest first, from *n_reported on), raises *n_reported
 * accordingly, and returns the capture time at which the flow is to be
 * looked at again, or INT64_MAX for "only when a packet arrives": the flow
 * then leaves the list. The table keeps n_reported for each flow, so that
 * whoever reports a flow later (done(), or the caller retiring an attempt)
 * can skip the attempts reported already. A flow stays in the table after
 * being reported (its later packets, RSTs in particular, still need it)
 * and leaves it as usual, by expiry, eviction or the end of the capture. */
void tw_table_incremental(tw_table *t);

typedef int64_t (*tw_flow_settle_fn)(void *ctx, struct tw_flow *flow, int *n_reported);

/* Visits at most max_visits flows of the list; returns how many it visited. */
size_t tw_table_settle(tw_table *t, int64_t now_ns, size_t max_visits, tw_flow_settle_fn settle,
                       void *ctx);

/* Attempts of flow (a flow of t, oldest first) already reported: 0 unless
 * incremental. */
int tw_table_n_reported(const tw_table *t, const struct tw_flow *flow);

/* Call after tw_flow_retire_oldest(flow): its attempts moved down by one. */
void tw_table_retired_oldest(tw_table *t, const struct tw_flow *flow);

/* Calls fn for every attempt not reported yet (every such attempt's flow is
 * on the settle list; O(flows on it)). */
void tw_table_foreach_unreported(const tw_table *t,
                                 void (*fn)(void *ctx, const struct tw_flow *flow, int index),
                                 void *ctx);

/* Flows on the settle list now. */
size_t tw_table_n_unsettled(const tw_table *t);

#endif
