#!/usr/bin/env bash
# refused_v4: nothing listens on the server port; the server kernel answers
# the SYN with RST/ACK (seq 0, ack ISN+1) and connect() fails with
# ECONNREFUSED. LAB_FAM=6 gives refused_v6.
. "$(dirname "$0")/../lib.sh"
lab_init "${1:-}"
lab_capture_start
lab_client 1 "$SRV" "$SERVER_PORT" --bind-port 40000 --connect-timeout-ms 3000
lab_expect refused
lab_checks() {
    local re="Flags \[R\.\], seq 0, ack $(lab_seq "${ATT_ISN[1]} + 1"),"
    lab_check "client got RST/ACK seq 0 ack ISN+1" "$(lab_n client.pcap "$re")" -eq 1
    lab_check "server sent it" "$(lab_n server.pcap "$re")" -eq 1
    lab_check "one SYN" "$(lab_n client.pcap 'Flags \[S\],')" -eq 1
    lab_check "connect() failed with ECONNREFUSED" "$(grep -c 'result=ECONNREFUSED' "$LAB_TMP/client-1.out")" -eq 1
    lab_check "TcpOutRsts=1 on the server" "$(lab_nstat server TcpOutRsts)" -eq 1
    lab_truth ""
    lab_truth "# RSTs"
    lab_rst "$(lab_frame client.pcap "$re")" "$(lab_frame server.pcap "$re")" server no_listener true \
        "connect() failed with ECONNREFUSED (client-1: ... result=ECONNREFUSED); RST/ACK seq 0," \
        "ack = ISN+1 acknowledges the SYN (RFC 9293 3.10.7.3, SYN-SENT); nothing listened on" \
        "port 8080 (TcpOutRsts=1 on the server)"
}
lab_finish
