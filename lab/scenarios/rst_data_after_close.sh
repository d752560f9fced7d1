#!/usr/bin/env bash
# rst_data_after_close: the client keeps sending after the server closed.
# The client connects from port 40000, 100 bytes are echoed; 300 ms after
# accept labserver close()s its socket with nothing unread: FIN. The
# client's kernel ACKs the FIN and labclient reads EOF, but does not close;
# 200 ms later it sends 100 more bytes. The server's socket is orphaned (no
# process holds it) and the FIN was acknowledged, so Linux already replaced
# it by a timewait socket in the FIN-WAIT-2 substate (tcp_fin_timeout 60 s
# is not longer than TCP_TIMEWAIT_LEN); new data there
# (tcp_timewait_state_process -> TCP_TW_RST) is answered with a RST, seq =
# the data's ack, no ACK flag (RFC 9293 / RFC 1122 4.2.2.13: data after the
# receiving side was closed). The client, in CLOSE-WAIT, accepts it: its
# socket error becomes EPIPE. No router fault.
. "$(dirname "$0")/../lib.sh"
lab_init "${1:-}"
lab_server "$SRV" "$SERVER_PORT" --close-after-ms 300 --exit-after-ms 1200
lab_capture_start
lab_client 1 "$SRV" "$SERVER_PORT" --bind-port 40000 --connect-timeout-ms 2000 --send 100 \
    --wait-ms 1000 --then-delay-ms 200 --then-send 100 --read-timeout-ms 500
lab_expect ok
lab_server_wait
lab_checks() {
    local x=${ATT_ISN[1]} re
    lab_check "server sent FIN" "$(lab_n server.pcap "$SRV.$SERVER_PORT > $CLI.40000: Flags \[F\.\]")" -eq 1
    lab_check "client ACKed it before sending more" \
        "$(tcpdump -nr "$LAB_OUT/client.pcap" -S 2>/dev/null | grep -A1 'Flags \[F\.\]' | sed -n 2p | grep -cE "$CLI.40000 > .*Flags \[\.\], ack")" -eq 1
    lab_check "client sent 100 bytes after the FIN" \
        "$(lab_n client.pcap "$CLI.40000 > .*seq $(lab_seq "$x + 101"):$(lab_seq "$x + 201"),")" -eq 1
    re="$SRV.$SERVER_PORT > $CLI.40000: Flags \[R\], seq [0-9]+, "
    lab_check "server answered with a RST" "$(lab_n server.pcap "$re")" -eq 1
    lab_check "client got it" "$(lab_n client.pcap "$re")" -eq 1
    lab_check "no FIN from the client (its close() came after the RST)" "$(lab_n client.pcap "$CLI.40000 > .*Flags \[F")" -eq 0
    lab_check "labclient saw EOF, then EPIPE" "$(grep -c 'then_wait .*result=EPIPE' "$LAB_TMP/client-1.out")" -eq 1
    lab_truth ""
    lab_truth "# RSTs"
    lab_rst "$(lab_frame client.pcap "$re")" "$(lab_frame server.pcap "$re")" server data_after_close true \
        "the client socket (CLOSE-WAIT) got error EPIPE right after it (client-1: then_wait ..." \
        "result=EPIPE; tcp_reset sets EPIPE in CLOSE-WAIT), its close() right after sent no" \
        "FIN (the socket was already closed), TcpEstabResets=1 on the client; seq = the data's" \
        "ack = the client's rcv_nxt. Server: TcpExtTW=1 and no TcpExtTCPAbortOnData (the timewait" \
        "socket answered, not the full socket)"
}
lab_finish
