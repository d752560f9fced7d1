#!/usr/bin/env bash
# timeout_synack_blackhole: the router drops every SYN+ACK. The client sends
# SYNs at 0, 1, 2, 3, 4 s and gives up after 5 s without retrying (its socket
# closes silently in SYN-SENT); the server keeps retransmitting SYN+ACKs.
#
# Observed on 6.18: the server sends a SYN+ACK at 0 s, by timer at 1 s, one
# in answer to each retransmitted SYN (1, 2, 3, 4 s), and by timer at ~6 s:
# 7 SYN+ACKs, all dropped, no RST anywhere.
. "$(dirname "$0")/../lib.sh"
lab_init "${1:-}"
lab_server "$SRV" "$SERVER_PORT" --exit-after-ms 7500
lab_nft_add "$IPX saddr $SRV tcp sport $SERVER_PORT tcp flags & (syn | ack) == syn | ack counter drop comment \"drop all SYN+ACKs\"" >/dev/null
lab_capture_start
lab_client 1 "$SRV" "$SERVER_PORT" --bind-port 40000 --connect-timeout-ms 5000
lab_expect timeout
lab_server_wait
lab_checks() {
    lab_check "client sent 5 SYNs" "$(lab_n client.pcap 'Flags \[S\],')" -eq 5
    lab_check "client got no SYN+ACK" "$(lab_n client.pcap 'Flags \[S\.\]')" -eq 0
    lab_check "server sent SYN+ACKs" "$(lab_n server.pcap 'Flags \[S\.\]')" -ge 5
    lab_check "no RST anywhere" "$(lab_n server.pcap 'Flags \[R')" -eq 0
}
lab_tail 5
lab_finish
