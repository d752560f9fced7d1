/* Judging attempts: the fourth stage of the pipeline.
 *
 * tw_diagnose_attempt() reads one attempt's timeline (with its flow, since
 * some failures span attempts on the same 4-tuple) and the capture's vantage,
 * and returns the verdict, the handshake packets inferred lost, the evidence
 * frames and a plain-language explanation. The rules themselves, one per
 * verdict, are in rules.c. */
#ifndef TW_DIAGNOSE_DIAGNOSE_H
#define TW_DIAGNOSE_DIAGNOSE_H

#include <stdbool.h>
#include <stdint.h>

#include "diagnose/verdict.h"
#include "track/attempt.h"

#define TW_MAX_EVIDENCE 16

struct tw_evidence {
    uint64_t frame;
    int64_t ts_ns;
    const char *role;      /* static string: "syn", "synack_retrans", "client_rst", ... */
    const char *file;      /* the capture it is in; NULL: the record's own file */
    /* the packet itself, for ladder diagrams */
    bool is_from_client;
    bool has_ts;
    uint8_t tcp_flags;     /* 0 for an ICMP error */
    uint8_t icmp_type, icmp_code;
    uint32_t seq, ack, payload_len, tsval, tsecr;
    bool is_lost;          /* with two captures: it left one point and never reached the other */
};

struct tw_diagnosis {
    enum tw_verdict verdict;
    unsigned lost;         /* enum tw_lost bits */
    bool rests_on_timestamps; /* a TSecr echo decided the verdict or the loss */
    uint8_t n_evidence;
    struct tw_evidence evidence[TW_MAX_EVIDENCE];
    char why[640]; /* one or two sentences for people (base/i18n.h: which language) */
};

struct tw_judge_input {
    const struct tw_flow *flow;
    int index;                 /* which of flow->attempts */
    enum tw_vantage vantage;
    int64_t capture_end_ns;    /* the latest capture time seen when judging */
    bool is_localized;         /* why in the user's language, not English (base/i18n.h) */
};

/* A judged attempt, as reporters and correlation receive it. */
struct tw_attempt_record {
    const char *file;             /* as given on the command line */
    struct tw_flow_key key;
    bool is_isn_known;
    uint32_t isn;
    enum tw_vantage vantage;
    int64_t first_ns, last_ns;
    int64_t last_syn_ns;          /* the client's last SYN of it (kept events); 0: none */
    uint32_t n_packets;
    bool is_evicted;              /* judged early: the table was full */
    bool is_syn_without_mss;      /* its SYN carried no MSS option: made by hand (rules.c) */
    struct tw_diagnosis diag;
};

void tw_diagnose_attempt(const struct tw_judge_input *in, struct tw_diagnosis *out);

/* How long a completed handshake is watched before its verdict is final. */
#define TW_SETTLE_AFTER_HANDSHAKE_NS (3 * 1000000000LL)

/* Live reporting: d is what tw_diagnose_attempt(in) gave at
 * in->capture_end_ns. Returns the capture time from which no packet that
 * the capture could still show would change that verdict, if none comes
 * before; INT64_MIN when it is final already. A packet of the flow before
 * that time means judging again. */
int64_t tw_diagnose_settled_at(const struct tw_judge_input *in, const struct tw_diagnosis *d);

/* Vantage inference: feed every attempt whose handshake answer was seen,
 * then ask. */
struct tw_vantage_votes {
    double client, server, middle;
    uint64_t n_ttl, n_timing;  /* attempts that gave each kind of signal */
    uint64_t n_syn_initial_ttl, n_syn_seen;
};

void tw_vantage_observe(struct tw_vantage_votes *v, const struct tw_attempt *a);
/* why (may be NULL: not wanted) gets the reasons, for people. */
enum tw_vantage tw_vantage_decide(const struct tw_vantage_votes *v, bool is_localized, char *why,
                                  unsigned long why_size);

#endif
