#!/usr/bin/env bash
# rst_server_killed: the server process is killed (SIGKILL) with two
# connections open. labserver --no-read never reads. Port 40001 sent 100
# bytes that sit unread in the server's receive queue; port 40002 sent
# nothing. At 0.4 s the script kills labserver; the kernel closes its file
# descriptors like close(): for 40001, with unread data, tcp_close sends
# RST/ACK (seq = snd_nxt y+1, ack = rcv_nxt x+101; TcpExtTCPAbortOnClose)
# and labclient's recv() fails with ECONNRESET; for 40002, nothing unread,
# an ordinary FIN, which labclient sees as EOF and answers with its own FIN.
# The listener closes silently. No router fault.
. "$(dirname "$0")/../lib.sh"
lab_init "${1:-}"
lab_server "$SRV" "$SERVER_PORT" --no-read --exit-after-ms 5000
lab_capture_start
lab_client_bg 1 "$SRV" "$SERVER_PORT" --bind-port 40001 --connect-timeout-ms 2000 --send 100 \
    --read-timeout-ms 1500
sleep 0.1
lab_client_bg 2 "$SRV" "$SERVER_PORT" --bind-port 40002 --connect-timeout-ms 2000 --wait-ms 1500
sleep 0.3
lab_ss before_kill
lab_server_kill KILL
lab_clients_wait
lab_ss after_clients
lab_expect ok
lab_expect ok
lab_checks() {
    local x=${ATT_ISN[1]} re re2
    re="$SRV.$SERVER_PORT > $CLI.40001: Flags \[R\.\], seq [0-9]+, ack $(lab_seq "$x + 101"), "
    re2="$SRV.$SERVER_PORT > $CLI.40002: Flags \[F\.\]"
    lab_check "server sent RST/ACK to 40001, ack=x+101" "$(lab_n server.pcap "$re")" -eq 1
    lab_check "client got it" "$(lab_n client.pcap "$re")" -eq 1
    lab_check "no FIN from the server to 40001" "$(lab_n server.pcap "> $CLI.40001: Flags \[F")" -eq 0
    lab_check "FIN from the server to 40002 (nothing unread)" "$(lab_n server.pcap "$re2")" -eq 1
    lab_check "no RST on 40002" "$(lab_n client.pcap "40002.*Flags \[R")" -eq 0
    lab_check "labclient 1 read ECONNRESET" "$(grep -c 'result=ECONNRESET' "$LAB_TMP/client-1.out")" -eq 1
    lab_check "labclient 2 read EOF" "$(grep -c 'wait .*result=eof' "$LAB_TMP/client-2.out")" -eq 1
    lab_truth ""
    lab_truth "# RSTs (40002 was closed with FIN: no RST on it)"
    lab_truth "kill_result: 40001 (100 bytes unread) -> RST/ACK frame_server=$(lab_frame server.pcap "$re");" \
        "40002 (nothing unread) -> FIN frame_server=$(lab_frame server.pcap "$re2")"
    lab_rst "$(lab_frame client.pcap "$re")" "$(lab_frame server.pcap "$re")" server app_abort true \
        "labclient 1's recv() failed with ECONNRESET (client-1: data ... result=ECONNRESET);" \
        "seq = y+1 = the client's rcv_nxt. Sent by the kernel when SIGKILL closed labserver's" \
        "descriptor with 100 bytes unread (TcpExtTCPAbortOnClose on the server)"
}
lab_finish
