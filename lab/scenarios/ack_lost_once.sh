#!/usr/bin/env bash
# ack_lost_once: the router drops the client's handshake ACK (the first pure
# ACK of the flow). The client is ESTABLISHED and waits 1.5 s before sending,
# so the server, still in SYN-RECEIVED, retransmits its SYN+ACK after 1 s;
# the client answers the duplicate SYN+ACK with another ACK, which completes
# the handshake at the server; then the data flows.
#
# Observed on 6.18: SYN, SYN+ACK, ACK (dropped), SYN+ACK again at 1.0 s,
# ACK again (reaches the server, which now creates the connection), data at
# 1.5 s. At the client this looks like one duplicate SYN+ACK after its ACK,
# the same as the start of accept_queue_full; only the server capture (ACK
# never received) tells them apart.
. "$(dirname "$0")/../lib.sh"
lab_init "${1:-}"
lab_server "$SRV" "$SERVER_PORT" --exit-after-ms 3000
lab_nft_add "$IPX saddr $CLI tcp dport $SERVER_PORT tcp flags == ack $IPX saddr . tcp sport != @$SEEN add @$SEEN { $IPX saddr . tcp sport } counter drop comment \"drop first pure ACK per flow\"" >/dev/null
lab_capture_start
lab_client 1 "$SRV" "$SERVER_PORT" --bind-port 40000 --connect-timeout-ms 3000 --send-delay-ms 1500 \
    --send 100 --hold-ms 100
lab_expect ok_after_retrans
lab_server_wait
lab_checks() {
    lab_check "one SYN" "$(lab_n client.pcap 'Flags \[S\],')" -eq 1
    lab_check "server sent SYN+ACK twice" "$(lab_n server.pcap 'Flags \[S\.\]')" -eq 2
    lab_check "client got both SYN+ACKs" "$(lab_n client.pcap 'Flags \[S\.\]')" -eq 2
    lab_check "client sent 2 bare ACKs before data" \
        "$(tcpdump -nr "$LAB_OUT/client.pcap" 2>/dev/null | sed '/length 100/,$d' | grep -c "$CLI.40000 > .*Flags \[\.\]")" -eq 2
    lab_check "server got only the second" \
        "$(tcpdump -nr "$LAB_OUT/server.pcap" 2>/dev/null | sed '/length 100/,$d' | grep -c "$CLI.40000 > .*Flags \[\.\]")" -eq 1
}
lab_finish
