#!/usr/bin/env bash
# timeout_blackhole: the router drops every SYN. The client sends SYNs at
# 0, 1, 2, 3, 4 s (tcp_syn_linear_timeouts) and gives up after 5 s. The
# server never sees anything (no attempt in server.pcap).
. "$(dirname "$0")/../lib.sh"
lab_init "${1:-}"
lab_server "$SRV" "$SERVER_PORT" --exit-after-ms 5500
lab_nft_add "$IPX saddr $CLI tcp dport $SERVER_PORT tcp flags & (syn | ack) == syn counter drop comment \"drop all SYNs\"" >/dev/null
lab_capture_start
lab_client 1 "$SRV" "$SERVER_PORT" --bind-port 40000 --connect-timeout-ms 5000
lab_expect timeout timeout none
lab_server_wait
lab_checks() {
    lab_check "client sent 5 SYNs" "$(lab_n client.pcap 'Flags \[S\],')" -eq 5
    lab_check "server saw nothing" "$(lab_n server.pcap .)" -eq 0
}
lab_tail 3
lab_finish
