#!/usr/bin/env bash
# synack_lost_once: the router drops the first SYN+ACK of the connection (the
# dynamic set remembers the flow), so both ends time out after 1 s: the client
# retransmits its SYN and the server its SYN+ACK; the second SYN+ACK gets
# through and the handshake completes.
#
# Observed on 6.18: at 1 s the server sends two SYN+ACKs back to back (its
# timer, and its answer to the retransmitted SYN); the client ACKs both, so
# the client capture shows a duplicate SYN+ACK after its own ACK, microseconds
# apart: the client-side signature of accept_queue_full, but followed at once
# by a normal data exchange.
. "$(dirname "$0")/../lib.sh"
lab_init "${1:-}"
lab_server "$SRV" "$SERVER_PORT" --exit-after-ms 2500
lab_nft_add "$IPX saddr $SRV tcp sport $SERVER_PORT tcp flags & (syn | ack) == syn | ack $IPX daddr . tcp dport != @$SEEN add @$SEEN { $IPX daddr . tcp dport } counter drop comment \"drop first SYN+ACK per flow\"" >/dev/null
lab_capture_start
lab_client 1 "$SRV" "$SERVER_PORT" --bind-port 40000 --connect-timeout-ms 3000 --send 100 --hold-ms 100
lab_expect ok_after_retrans
lab_server_wait
lab_checks() {
    lab_check "client sent SYN twice" "$(lab_n client.pcap 'Flags \[S\],')" -eq 2
    lab_check "server sent SYN+ACK at least twice" "$(lab_n server.pcap 'Flags \[S\.\]')" -ge 2
    lab_check "client got a SYN+ACK" "$(lab_n client.pcap 'Flags \[S\.\]')" -ge 1
    lab_check "data echoed" "$(lab_n client.pcap 'length 100')" -eq 2
}
lab_finish
