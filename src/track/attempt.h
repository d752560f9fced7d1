/* Connection attempts and their timelines.
 *
 * Third stage of the pipeline. A flow is one 4-tuple seen with a client and a
 * server side; it holds the attempts made on it (spec/verdicts.md: an attempt
 * is one client ISN on one 4-tuple). Each attempt keeps a bounded timeline of
 * the packets that matter for the handshake, in capture order, plus counters
 * for everything else. Rules in diagnose/ read these timelines; nothing here
 * decides a verdict. Plain data, owned by the table (track/table.h). */
#ifndef TW_TRACK_ATTEMPT_H
#define TW_TRACK_ATTEMPT_H

#include <stdbool.h>
#include <stdint.h>

#include "decode/decode.h"

/* Timeline entries kept per attempt; later packets are only counted. */
#define TW_MAX_EVENTS 24
/* Attempts kept per flow; when a new one arrives on a full flow, the oldest is
 * judged early. Three covers "timed out, retried, retried again". */
#define TW_FLOW_ATTEMPTS 3

/* What a packet was to the attempt it was filed under. */
#define TW_EVENT_LIST(X)                                                                           \
    X(SYN, "syn")                   /* client SYN, this attempt's ISN */                           \
    X(SYNACK, "synack")             /* server SYN+ACK acknowledging ISN+1 */                       \
    X(SYNACK_OTHER, "synack_other") /* server SYN+ACK acknowledging something else */              \
    X(ACK, "ack")                   /* client ACK of the SYN+ACK (handshake's third packet) */     \
    X(SERVER_ACK, "server_ack")     /* server ACK without SYN before the handshake completed */    \
    X(CLIENT_DATA, "client_data")   /* first client segment with payload */                        \
    X(SERVER_DATA, "server_data")   /* first server segment with payload */                        \
    X(CLIENT_FIN, "client_fin")                                                                    \
    X(SERVER_FIN, "server_fin")                                                                    \
    X(CLIENT_RST, "client_rst")                                                                    \
    X(SERVER_RST, "server_rst")                                                                    \
    X(ICMP_ERROR, "icmp_error")     /* ICMP/ICMPv6 error quoting this attempt's SYN */

enum tw_event_kind {
#define X(id, name) TW_EV_##id,
    TW_EVENT_LIST(X)
#undef X
        TW_EV_COUNT
};
_Static_assert(TW_EV_COUNT <= 16, "tw_attempt.event_kinds has a bit per kind");

const char *tw_event_name(enum tw_event_kind k);

struct tw_event {
    uint64_t frame;
    int64_t ts_ns;
    uint32_t seq, ack;
    uint32_t tsval, tsecr;
    uint32_t payload_len;
    uint8_t kind;           /* enum tw_event_kind */
    uint8_t tcp_flags;
    uint8_t ttl;
    uint8_t icmp_type, icmp_code;
    bool has_ts;
    bool from_client;
    bool has_ip_id;
    uint16_t ip_id;
};

struct tw_attempt {
    uint32_t isn;           /* client ISN */
    uint32_t server_isn;    /* from the first SYN+ACK that acknowledged isn+1 */
    uint32_t syn_payload;   /* data carried by the SYN (TCP Fast Open, RFC 7413) */
    bool has_syn;           /* false: the capture never showed this attempt's SYN */
    bool has_synack;
    bool saw_fin[2];        /* a FIN from each side (enum tw_side), for tw_flow_is_closed */
    bool is_syn_without_mss; /* its first SYN carried no MSS option (crafted, see rules.c) */
    int64_t first_ns, last_ns;
    uint64_t first_frame;
    uint32_t n_syn, n_synack, n_ack, n_packets;
    uint32_t n_events_dropped;  /* timeline full: counted, not kept */
    uint8_t n_events;
    uint16_t event_kinds;   /* bit k: an event of kind k is among events */
    struct tw_event events[TW_MAX_EVENTS]; /* [0, n_events) hold events, the rest garbage */
};

/* Which side of a flow sent a packet. */
enum tw_side { TW_FROM_CLIENT = 0, TW_FROM_SERVER = 1 };

struct tw_flow_key {
    struct tw_addr client, server;
    uint16_t client_port, server_port;
};

/* What one side of a flow has sent so far: enough to say what a RST answers
 * and whether its receiver would accept it (RFC 5961 section 3.2). */
struct tw_side_state {
    bool has_seq;            /* a segment from this side was seen */
    bool has_ack;            /* ...with the ACK flag */
    bool offered_wscale;     /* its SYN or SYN+ACK carried window scale */
    bool sent_fin, sent_data;
    uint8_t wscale;
    uint8_t ttl;             /* of its last packet other than a RST; 0: none yet */
    uint8_t l2_src_len;      /* link-layer source of that packet (0: not known) */
    uint8_t l2_src[8];
    uint16_t n_probes;       /* keepalive probes since the other side last spoke */
    uint16_t n_probes_since_data; /* keepalive probes since it last sent data */
    int64_t last_probe_ns, probe_gap_ns, last_data_ns;
    uint32_t snd_nxt;        /* highest seq + length (+1 for SYN and FIN) it sent */
    uint32_t last_ack;       /* ack field of its last ACK: its RCV.NXT */
    uint32_t window_bytes;   /* its last advertised receive window, scaled */
    uint32_t last_payload;   /* payload of its last segment */
    uint8_t last_flags;      /* flags of its last segment */
    uint64_t last_frame;
    int64_t last_ns;
};

struct tw_flow {
    struct tw_flow_key key;
    int64_t first_ns, last_ns;
    struct tw_side_state sides[2]; /* indexed by enum tw_side */
    uint64_t last_fp;       /* fingerprint of its last TCP packet (mirrored copies) */
    uint32_t n_capture_gaps; /* holes: stretches acknowledged that the capture does not hold */
    uint64_t capture_gap_bytes;
    uint8_t n_attempts;
    bool is_evicted;        /* judged early because the table was full */
    /* Attempts oldest first: the first here, the others in `later`, room
     * the owner keeps apart (TW_FLOW_ATTEMPTS - 1 of them). Few flows hold
     * more than one attempt, so the table never writes most of that room,
     * and memory it never writes costs neither the kernel's zeroing nor
     * RSS. Reach them through tw_flow_attempt(). */
    struct tw_attempt *later;
    struct tw_attempt first;
};

/* Whether a's timeline holds an event of this kind. */
static inline bool tw_attempt_has_event(const struct tw_attempt *a, enum tw_event_kind kind)
{
    return (a->event_kinds >> kind) & 1u;
}

/* Attempt i (0: the oldest) of flow, i < TW_FLOW_ATTEMPTS. Takes a const
 * flow and returns a mutable attempt, as strchr does. */
static inline struct tw_attempt *tw_flow_attempt(const struct tw_flow *flow, int i)
{
    return i == 0 ? (struct tw_attempt *)&flow->first : &flow->later[i - 1];
}

/* True when pkt would open a new attempt on flow (a client SYN with an ISN
 * the flow has not seen, or the first packet of a flow whose SYN was never
 * seen). When the flow is full the caller judges and retires the oldest
 * attempt (tw_flow_retire_oldest) before adding pkt. */
bool tw_flow_opens_attempt(const struct tw_flow *flow, const struct tw_packet *pkt,
                           enum tw_side side);

/* Drops the oldest attempt and shifts the others down. */
void tw_flow_retire_oldest(struct tw_flow *flow);

/* Files pkt (a TCP segment, or an ICMP error quoting this flow) into the
 * right attempt of flow, creating an attempt when tw_flow_opens_attempt()
 * says so, and updates the sender's tw_side_state. The flow must have room
 * for a new attempt (see above). Returns the attempt pkt was filed under. */
struct tw_attempt *tw_flow_add(struct tw_flow *flow, const struct tw_packet *pkt,
                               enum tw_side side);

/* True when ack acknowledges this attempt's SYN: ISN+1, or further when the
 * SYN carried data that the server took (TCP Fast Open, RFC 7413 section
 * 4.2; a server that declines the data acknowledges ISN+1 only). */
static inline bool tw_attempt_acks_syn(const struct tw_attempt *a, uint32_t ack)
{
    return a->has_syn && (uint32_t)(ack - (a->isn + 1)) <= a->syn_payload;
}

/* Both sides sent a FIN in the flow's newest attempt: the connection is
 * over unless a new SYN opens another. */
bool tw_flow_is_closed(const struct tw_flow *flow);

/* Time of the client's last SYN among a's events; 0 when it has none. */
int64_t tw_attempt_last_syn_ns(const struct tw_attempt *a);

/* ack acknowledges at least one byte of the client's first data segment in
 * a: an ACK of a's own data, never a challenge ACK (which answers a SYN with
 * another connection's numbers before this one sent any; RFC 5961 section 4). */
bool tw_attempt_acks_client_data(const struct tw_attempt *a, uint32_t ack);

/* The handshake's third packet was seen, or data flowed both ways, or the
 * server acknowledged the client's data (it had the connection
 * synchronized, whatever the capture shows of the handshake: a split
 * handshake, where the server answers the SYN with a SYN and the client with
 * a SYN+ACK, RFC 9293 section 3.5's simultaneous open). */
bool tw_attempt_completed(const struct tw_attempt *a);

/* "198.18.1.2:40000" or "[2001:db8::2]:40000" */
void tw_endpoint_format(const struct tw_addr *a, uint16_t port, char *buf, unsigned long size);

#endif
