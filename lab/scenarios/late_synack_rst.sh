#!/usr/bin/env bash
# late_synack_rst: the router drops SYN+ACKs for the first 1.5 s; the client
# gives up after 1.2 s (SYN at 0 and 1 s) and closes its socket silently. The
# server's next timer-driven SYN+ACK (about 3 s) gets through, finds no
# socket on the client host, and the client kernel answers RST seq = the
# SYN+ACK's ack (tcp_v4_send_reset), which kills the server's request.
. "$(dirname "$0")/../lib.sh"
lab_init "${1:-}"
lab_server "$SRV" "$SERVER_PORT" --exit-after-ms 4000
h=$(lab_nft_add "$IPX saddr $SRV tcp sport $SERVER_PORT tcp flags & (syn | ack) == syn | ack counter drop comment \"drop SYN+ACKs for 1.5 s\"")
lab_capture_start
lab_nft_del_at 1.5 "$h"
lab_client 1 "$SRV" "$SERVER_PORT" --bind-port 40000 --connect-timeout-ms 1200
lab_expect late_synack_rst
lab_server_wait
lab_checks() {
    local x=${ATT_ISN[1]}
    lab_check "one SYN+ACK reached the client" "$(lab_n client.pcap 'Flags \[S\.\]')" -eq 1
    lab_check "client host sent RST seq=x+1" "$(lab_n client.pcap "Flags \[R\], seq $(lab_seq "$x + 1"),")" -eq 1
    lab_check "server got it" "$(lab_n server.pcap "Flags \[R\], seq $(lab_seq "$x + 1"),")" -eq 1
}
lab_finish
