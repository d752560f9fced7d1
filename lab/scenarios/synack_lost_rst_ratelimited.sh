#!/usr/bin/env bash
# synack_lost_rst where the retry comes too soon: the client gives up after
# 2.5 s, only ~450 ms after its last SYN(x) retransmission, which already made
# the server send a SYN+ACK (and so set the request's last_oow_ack_time).
# tcp_check_req rate-limits the out-of-window ACK for SYN(z)
# (net.ipv4.tcp_invalid_ratelimit = 500 ms, TcpExtTCPACKSkippedSynRecv), so
# the first SYN(z) gets no answer; the retransmitted SYN(z) 1 s later gets the
# ACK ack=x+1, the client RSTs, and since SYN(z) was already retransmitted the
# client re-sends it only at its next SYN timer (another ~1 s).
#
# Observed on 6.18: first SYN(z) unanswered (TcpExtTCPACKSkippedSynRecv=1 at
# the server), SYN(z) again at +1 s -> ACK ack=x+1 -> RST seq=x+1, SYN(z) a
# third time at +2 s -> SYN+ACK -> connected.
LAB_SCENARIO=${LAB_SCENARIO:-synack_lost_rst_ratelimited} LAB_TIMEOUT_MS=2500 exec bash "$(dirname "$0")/synack_lost_rst_v4.sh" "$@"
