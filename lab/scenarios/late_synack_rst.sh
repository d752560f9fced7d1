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
    lab_check "the server's request died: TcpExtEmbryonicRsts=1" "$(lab_nstat server TcpExtEmbryonicRsts)" -eq 1
    local re="Flags \[R\], seq $(lab_seq "$x + 1"),"
    lab_truth ""
    lab_truth "# RSTs"
    lab_rst "$(lab_frame client.pcap "$re")" "$(lab_frame server.pcap "$re")" client late_synack true \
        "bare RST seq = x+1 = the late SYN+ACK's ack (client frame $(lab_frame client.pcap 'Flags \[S\.\]'))," \
        "sent by the client host after the application gave up and closed the connecting socket" \
        "(no socket left, tcp_v4_send_reset); the server's request socket died on it:" \
        "TcpExtEmbryonicRsts=1 on the server (the capture ends before the next SYN+ACK" \
        "retransmission would have been due, so the counter is the evidence)"
}
lab_finish
