/* Explaining a RST: who sent it, why, and whether its receiver accepts it.
 *
 * Called for every RST as it is read, with the flow it belongs to (the
 * sides' state and the attempt it was filed under, updated with the RST) and
 * what is known of the hosts. Judges only from what came before the RST, so
 * records stream out in capture order. The causes are a contract
 * (documented in docs/rst.md); their identifiers never change. */
#ifndef TW_DIAGNOSE_RST_H
#define TW_DIAGNOSE_RST_H

#include <stdbool.h>
#include <stdint.h>

#include "diagnose/verdict.h"
#include "track/attempt.h"
#include "track/hosts.h"

#define TW_RST_CAUSE_LIST(X)                                                                       \
    X(NO_LISTENER, "no_listener", N_("answer to a SYN: nothing listens on the port"))              \
    X(STALE_ACK, "answer_to_stale_ack",                                                            \
      N_("the client reset the server's ACK for an older attempt (its SYN+ACKs were lost)"))       \
    X(CHALLENGE_ACK, "answer_to_challenge_ack",                                                    \
      N_("the client reset a challenge ACK for a connection the server still held"))               \
    X(LATE_SYNACK, "late_synack", N_("the client rejected a SYN+ACK that came after it gave up"))  \
    X(APP_ABORT, "app_abort",                                                                      \
      N_("the application aborted the connection (SO_LINGER 0, close with unread data, killed)"))  \
    X(DATA_AFTER_CLOSE, "data_after_close", N_("data arrived after the application closed"))       \
    X(NO_CONNECTION, "no_connection",                                                              \
      N_("a segment for a connection the host no longer has (reboot, timeout, NAT expiry)"))       \
    X(TIME_WAIT, "time_wait", N_("a segment for a connection already closed (TIME-WAIT)"))         \
    X(KEEPALIVE_TIMEOUT, "keepalive_timeout", N_("keepalive probes went unanswered"))              \
    X(MIDDLEBOX, "middlebox", N_("forged by a box in the path, not by the endpoint"))              \
    X(UNKNOWN, "unknown", N_("no signature matched"))

enum tw_rst_cause {
#define X(id, name, help) TW_RST_##id,
    TW_RST_CAUSE_LIST(X)
#undef X
        TW_RST_CAUSE_COUNT
};

/* The names are identifiers (JSON "sender"); N_() marks them for the text
 * report, which shows them translated. */
#define TW_RST_SENDER_LIST(X)                                                                      \
    X(CLIENT, N_("client"))                                                                        \
    X(SERVER, N_("server"))                                                                        \
    X(MIDDLE, N_("middle"))                                                                        \
    X(UNKNOWN, N_("unknown"))

enum tw_rst_sender {
#define X(id, name) TW_SENDER_##id,
    TW_RST_SENDER_LIST(X)
#undef X
        TW_SENDER_COUNT
};

enum tw_accepted { TW_ACCEPTED_UNKNOWN = 0, TW_ACCEPTED_YES, TW_ACCEPTED_NO };

struct tw_rst_input {
    const struct tw_flow *flow;      /* after the RST was added */
    const struct tw_attempt *attempt; /* the attempt the RST was filed under */
    const struct tw_packet *pkt;     /* the RST */
    enum tw_side side;               /* which end it claims to come from */
    const tw_hosts *hosts;
    bool is_localized; /* why in the user's language (base/i18n.h) */
};

struct tw_rst_result {
    enum tw_rst_sender sender;
    enum tw_rst_cause cause;
    enum tw_accepted accepted;
    char why[512];                   /* the reasoning, for people */
};

/* One RST, explained as it was read. */
struct tw_rst_record {
    const char *file;
    struct tw_flow_key key;       /* the connection it belongs to */
    uint64_t frame;
    int64_t ts_ns;
    struct tw_addr src;           /* the address it came from */
    bool is_isn_known;            /* the attempt it was filed under */
    uint32_t isn;
    uint32_t seq, ack;
    uint8_t tcp_flags, ttl;
    struct tw_rst_result res;
};

void tw_rst_explain(const struct tw_rst_input *in, struct tw_rst_result *out);

const char *tw_rst_cause_name(enum tw_rst_cause c);
const char *tw_rst_cause_help(enum tw_rst_cause c);
const char *tw_rst_sender_name(enum tw_rst_sender s);

#endif
