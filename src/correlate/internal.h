/* What correlate/'s files share. Not for other stages. */
#ifndef TW_CORRELATE_INTERNAL_H
#define TW_CORRELATE_INTERNAL_H

#include <stdio.h>

#include "base/i18n.h"
#include "correlate/correlate.h"

/* Addresses remembered per run: enough to relate a capture that holds no
 * TCP to the hosts of another. */
#define TW_RUN_ADDRS 64

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
    bool is_lost;            /* left this point, never reached the other (set by marking) */
    int64_t match;           /* index in the other run, -1: none */
};

struct tw_capture_run {
    const char *file;
    bool is_localized; /* explanations in the user's language (base/i18n.h) */
    struct tw_seen *seen;
    size_t n_seen, cap_seen, max_seen;
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
    /* past max_records in memory, records go to a temporary file: they are
     * written as they are (unmerged) after the ones in memory */
    size_t max_records;
    FILE *spill_atts, *spill_rsts;
    uint64_t n_spilled_atts, n_spilled_rsts;
};


#endif
