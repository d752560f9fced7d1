#!/usr/bin/env bash
# ok_v4: three clean IPv4 connections, 100 bytes echoed each, then a FIN close.
# No fault on the router. LAB_FAM=6 gives ok_v6.
. "$(dirname "$0")/../lib.sh"
lab_init "${1:-}"
lab_server "$SRV" "$SERVER_PORT" --exit-after-ms 1500
lab_capture_start
for n in 1 2 3; do
    lab_client "$n" "$SRV" "$SERVER_PORT" --connect-timeout-ms 3000 --send 100 --hold-ms 100
    lab_expect ok
done
lab_server_wait
lab_checks() {
    lab_check "client saw 3 SYN+ACKs" "$(lab_n client.pcap 'Flags \[S\.\]')" -eq 3
    lab_check "no SYN retransmitted" "$(lab_n client.pcap 'Flags \[S\],')" -eq 3
    lab_check "no RST" "$(lab_n client.pcap 'Flags \[R')" -eq 0
}
lab_finish
