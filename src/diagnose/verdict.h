/* The closed sets of diagnose/: verdicts, lost-packet names, vantages.
 * Each is written once, as an X-macro list; enums, JSON names and help text
 * all come from these lists. The verdict rows are those of
 * ../shared/spec/verdicts.md and their names are a contract. */
#ifndef TW_DIAGNOSE_VERDICT_H
#define TW_DIAGNOSE_VERDICT_H

#include "base/i18n.h"

#define TW_VERDICT_LIST(X)                                                                         \
    X(OK, "ok", N_("handshake completed, nothing retransmitted"))                                  \
    X(OK_AFTER_RETRANS, "ok_after_retrans",                                                        \
      N_("completed after a handshake packet was retransmitted (a 1 s or longer stall)"))          \
    X(TIMEOUT, "timeout", N_("never completed and no rejection was seen"))                         \
    X(SYNACK_LOST_RST, "synack_lost_rst",                                                          \
      N_("SYN+ACKs lost; the client retried on the same 4-tuple and reset the server's ACK"))      \
    X(PORT_REUSE_CHALLENGE, "port_reuse_challenge",                                                \
      N_("the SYN hit a 4-tuple the server still held; it answered with a challenge ACK"))         \
    X(REFUSED, "refused", N_("a RST answered the SYN"))                                            \
    X(ICMP_ERROR, "icmp_error", N_("an ICMP error quoting the SYN answered it"))                   \
    X(SERVER_IGNORED_SYN, "server_ignored_syn",                                                    \
      N_("the SYN reached the server, which never answered"))                                      \
    X(ACCEPT_QUEUE_FULL, "accept_queue_full",                                                      \
      N_("the server dropped the client's ACK (accept queue full) and kept retransmitting "        \
         "SYN+ACK"))                                                                               \
    X(LATE_SYNACK_RST, "late_synack_rst",                                                          \
      N_("a SYN+ACK reached a client that had already given up; the client reset it"))             \
    X(UNKNOWN, "unknown", N_("the capture does not hold the SYN, or not enough to decide"))

enum tw_verdict {
#define X(id, name, help) TW_VERDICT_##id,
    TW_VERDICT_LIST(X)
#undef X
        TW_VERDICT_COUNT
};

#define TW_VANTAGE_LIST(X)                                                                         \
    X(CLIENT, "client")                                                                            \
    X(SERVER, "server")                                                                            \
    X(MIDDLE, "middle")                                                                            \
    X(BOTH, "both")

enum tw_vantage {
#define X(id, name) TW_VANTAGE_##id,
    TW_VANTAGE_LIST(X)
#undef X
        TW_VANTAGE_COUNT
};

/* Handshake packets inferred lost: bits of tw_diagnosis.lost. */
enum tw_lost {
    TW_LOST_SYN = 1,
    TW_LOST_SYNACK = 2,
    TW_LOST_ACK = 4,
    TW_LOST_UNKNOWN = 8, /* loss is certain, which packet is not */
};

const char *tw_verdict_name(enum tw_verdict v);
const char *tw_verdict_help(enum tw_verdict v);
const char *tw_vantage_name(enum tw_vantage v);
/* -1 when name is not a vantage */
int tw_vantage_parse(const char *name);
/* True for verdicts that mean the attempt failed (the connection was not
 * made, or was made only after a reset); ok_after_retrans is degraded, not
 * failed. */
int tw_verdict_is_failure(enum tw_verdict v);

#endif
