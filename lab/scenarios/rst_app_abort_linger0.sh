#!/usr/bin/env bash
# rst_app_abort_linger0: an application abort. The client connects from port
# 40000, sends 100 bytes, reads the 100-byte echo, waits 100 ms and closes
# with SO_LINGER {1, 0}: tcp_close -> tcp_disconnect sends RST/ACK with
# seq = snd_nxt (x+101) and ack = rcv_nxt (y+101), no FIN
# (tcp_send_active_reset; Linux counts it as TcpExtTCPAbortOnData). The
# server is idle in ESTABLISHED, accepts the RST (seq == rcv_nxt) and its
# recv() fails with ECONNRESET. No fault on the router.
. "$(dirname "$0")/../lib.sh"
lab_init "${1:-}"
lab_server "$SRV" "$SERVER_PORT" --exit-after-ms 1200
lab_capture_start
lab_client 1 "$SRV" "$SERVER_PORT" --bind-port 40000 --connect-timeout-ms 2000 --send 100 \
    --hold-ms 100 --linger0
lab_expect ok
lab_server_wait
lab_checks() {
    local x=${ATT_ISN[1]} re
    re="$CLI.40000 > .*Flags \[R\.\], seq $(lab_seq "$x + 101"), ack [0-9]+, "
    lab_check "client sent RST/ACK seq=x+101" "$(lab_n client.pcap "$re")" -eq 1
    lab_check "server got it" "$(lab_n server.pcap "$re")" -eq 1
    lab_check "no FIN" "$(lab_n client.pcap 'Flags \[F')" -eq 0
    lab_check "one RST in all" "$(lab_n client.pcap 'Flags \[R')" -eq 1
    lab_check "data both ways" "$(lab_n client.pcap 'length 100')" -eq 2
    lab_check "labserver read ECONNRESET" "$(grep -c 'why=reset' "$LAB_TMP/server.out")" -eq 1
    lab_truth ""
    lab_truth "# RSTs"
    lab_rst "$(lab_frame client.pcap "$re")" "$(lab_frame server.pcap "$re")" client app_abort true \
        "labserver's recv() on the connection failed with ECONNRESET (server: closed ... why=reset);" \
        "seq = x+101 = the server's rcv_nxt; the server sent nothing after it"
}
lab_finish
