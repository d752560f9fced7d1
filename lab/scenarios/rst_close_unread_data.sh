#!/usr/bin/env bash
# rst_close_unread_data: the server closes a connection with unread data.
# labserver --no-read accepts but never reads; the client sends 100 bytes
# and waits for an echo that never comes; 300 ms after accept labserver
# close()s the socket with the 100 bytes still in its receive queue. Linux
# (tcp_close: data_was_unread, RFC 2525 section 2.17) then sends RST/ACK
# instead of FIN, seq = snd_nxt (y+1, the server never sent data), ack =
# rcv_nxt (x+101), and counts TcpExtTCPAbortOnClose. The client accepts it
# (seq == its rcv_nxt): its recv() fails with ECONNRESET. No router fault.
. "$(dirname "$0")/../lib.sh"
lab_init "${1:-}"
lab_server "$SRV" "$SERVER_PORT" --no-read --close-after-ms 300 --exit-after-ms 1000
lab_capture_start
lab_client 1 "$SRV" "$SERVER_PORT" --bind-port 40000 --connect-timeout-ms 2000 --send 100 \
    --read-timeout-ms 1500
lab_expect ok
lab_server_wait
lab_checks() {
    local x=${ATT_ISN[1]} re
    re="$SRV.$SERVER_PORT > $CLI.40000: Flags \[R\.\], seq [0-9]+, ack $(lab_seq "$x + 101"), "
    lab_check "server sent RST/ACK ack=x+101" "$(lab_n server.pcap "$re")" -eq 1
    lab_check "client got it" "$(lab_n client.pcap "$re")" -eq 1
    lab_check "no FIN" "$(lab_n client.pcap 'Flags \[F')" -eq 0
    lab_check "one RST in all" "$(lab_n client.pcap 'Flags \[R')" -eq 1
    lab_check "the server sent no data" "$(lab_n server.pcap "$SRV.$SERVER_PORT > .*length [1-9]")" -eq 0
    lab_check "labserver closed with 100 bytes unread" "$(grep -c 'unread=100 why=timer' "$LAB_TMP/server.out")" -eq 1
    lab_check "labclient read ECONNRESET" "$(grep -c 'result=ECONNRESET' "$LAB_TMP/client-1.out")" -eq 1
    lab_truth ""
    lab_truth "# RSTs"
    lab_rst "$(lab_frame client.pcap "$re")" "$(lab_frame server.pcap "$re")" server app_abort true \
        "labclient's recv() failed with ECONNRESET (client-1: data ... result=ECONNRESET)," \
        "TcpEstabResets=1 on the client; seq = y+1 = the client's rcv_nxt." \
        "Server: TcpExtTCPAbortOnClose=1 (close() with unread data)"
}
lab_finish
