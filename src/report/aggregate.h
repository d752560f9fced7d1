/* Aggregates: one capture's attempts and RSTs summed up where failures
 * concentrate and when (issue 10).
 *
 * Part of the report stage, shared by the reporters that sum a capture up:
 * the text report's "failures by server / client subnet / worst minutes",
 * the JSON aggregate records (--aggregates) and the HTML report. Counts are
 * kept per server endpoint, per client subnet (/24 for IPv4, /64 for IPv6),
 * per minute (UTC) and per RST sender, in bounded tables: a key that finds
 * no room is counted in an "others" row, never dropped. A timeline of
 * attempts per verdict uses at most TW_TIMELINE_BINS bins whose width grows
 * (1 ms, 2 ms, 10 ms ... 1 day) until the capture's span fits, so its shape
 * does not depend on the order attempts arrive in. */
#ifndef TW_REPORT_AGGREGATE_H
#define TW_REPORT_AGGREGATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diagnose/diagnose.h"
#include "diagnose/rst.h"

/* The groupings, with their JSON names (the "by" of an aggregate record). */
#define TW_AGG_BY_LIST(X)                                                                          \
    X(SERVER, "server")                                                                            \
    X(CLIENT_SUBNET, "client_subnet")                                                              \
    X(MINUTE, "minute")                                                                            \
    X(RST_SENDER, "rst_sender")

enum tw_agg_by {
#define X(id, name) TW_AGG_##id,
    TW_AGG_BY_LIST(X)
#undef X
        TW_AGG_BY_COUNT
};

const char *tw_agg_by_name(enum tw_agg_by by);

#define TW_AGG_LOST_KINDS 4

struct tw_agg_row {
    bool is_others;               /* the keys that found no room in the table */
    struct tw_addr addr;          /* server, subnet's first address, or RST sender */
    uint16_t port;                /* server only */
    int prefix_bits;              /* client subnet only: 24 or 64 */
    int64_t minute;               /* minute only: minutes since the epoch (UTC) */
    enum tw_rst_sender role;      /* RST sender only */
    uint64_t attempts, failed;    /* failed: tw_verdict_is_failure() */
    uint64_t verdicts[TW_VERDICT_COUNT];
    uint64_t lost[TW_AGG_LOST_KINDS]; /* attempts that lost a SYN, SYN+ACK, ACK, unknown
                                         (the bits of enum tw_lost, in order) */
    int64_t first_ns;             /* first attempt (or RST) */
    int64_t first_failure_ns, last_failure_ns; /* 0 when none failed */
    uint64_t rsts;                /* RST sender only */
    uint64_t rst_causes[TW_RST_CAUSE_COUNT];
};

#define TW_TIMELINE_BINS 120
struct tw_agg_timeline {
    int64_t bin_ns;               /* 0 before the first attempt */
    int64_t first_bin;            /* bins[0] starts at first_bin * bin_ns */
    int n_bins;
    uint64_t verdicts[TW_TIMELINE_BINS][TW_VERDICT_COUNT];
};

typedef struct tw_aggregate tw_aggregate;

/* NULL when out of memory. */
tw_aggregate *tw_aggregate_new(void);
/* What one aggregate may come to hold in memory, every table full: the
 * part of --memcap a reporter that keeps one takes from the analysis. */
size_t tw_aggregate_max_bytes(void);
void tw_aggregate_free(tw_aggregate *agg);
void tw_aggregate_attempt(tw_aggregate *agg, const struct tw_attempt_record *r);
void tw_aggregate_rst(tw_aggregate *agg, const struct tw_rst_record *r);
/* Forgets everything (the next file starts afresh). */
void tw_aggregate_reset(tw_aggregate *agg);
/* The rows of one grouping: minutes in time order, the others with the most
 * failed attempts (RST senders: the most RSTs) first, ties by key; the
 * others row last. *rows is borrowed until the next call on agg. */
size_t tw_aggregate_rows(tw_aggregate *agg, enum tw_agg_by by, const struct tw_agg_row **rows);
const struct tw_agg_timeline *tw_aggregate_timeline(const tw_aggregate *agg);

#endif
