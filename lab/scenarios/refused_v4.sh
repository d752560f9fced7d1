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
    lab_check "client got RST/ACK seq 0" "$(lab_n client.pcap 'Flags \[R\.\], seq 0, ack')" -eq 1
    lab_check "server sent it" "$(lab_n server.pcap 'Flags \[R\.\], seq 0, ack')" -eq 1
    lab_check "one SYN" "$(lab_n client.pcap 'Flags \[S\],')" -eq 1
}
lab_finish
