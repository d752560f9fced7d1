#!/usr/bin/env bash
# rst_forged_by_router: the router answers the SYN itself with
# "reject with tcp reset" (nf_send_reset: RST/ACK, seq 0, ack ISN+1, TTL from
# the router), so the server never sees the SYN while the client gets
# ECONNREFUSED as if nothing listened.
#
# Observed on 6.18: the forged RST/ACK reaches the client with TTL 64 and IP
# id 0 (sent by the router itself, not forwarded), where a server's RST
# would arrive with TTL 63.
. "$(dirname "$0")/../lib.sh"
lab_init "${1:-}"
lab_server "$SRV" "$SERVER_PORT" --exit-after-ms 1500
lab_nft_add "$IPX saddr $CLI tcp dport $SERVER_PORT tcp flags & (syn | ack) == syn counter reject with tcp reset comment \"forge RST for SYNs\"" >/dev/null
lab_capture_start
lab_client 1 "$SRV" "$SERVER_PORT" --bind-port 40000 --connect-timeout-ms 3000
lab_expect refused refused none
lab_server_wait
lab_checks() {
    local re="Flags \[R\.\], seq 0, ack $(lab_seq "${ATT_ISN[1]} + 1"),"
    lab_check "client got RST/ACK seq 0 ack ISN+1" "$(lab_n client.pcap "$re")" -eq 1
    lab_check "server saw nothing" "$(lab_n server.pcap .)" -eq 0
    lab_check "it came with TTL 64 and IP id 0 (the router's own packet)" \
        "$(tcpdump -nr "$LAB_OUT/client.pcap" -v "src host $SRV and tcp[tcpflags] & tcp-rst != 0" 2>/dev/null | grep -c 'ttl 64, id 0,')" -eq 1
    lab_check "connect() failed with ECONNREFUSED" "$(grep -c 'result=ECONNREFUSED' "$LAB_TMP/client-1.out")" -eq 1
    lab_check "labserver listened all along" "$(grep -c '^listening' "$LAB_TMP/server.out")" -eq 1
    lab_truth ""
    lab_truth "# RSTs"
    lab_rst "$(lab_frame client.pcap "$re")" none middle middlebox true \
        "connect() failed with ECONNREFUSED (client-1: ... result=ECONNREFUSED); RST/ACK seq 0," \
        "ack = ISN+1; forged by the router's \"reject with tcp reset\" rule (counter 1), TTL 64 and" \
        "IP id 0 at the client where the server's packets would arrive with TTL 63; the server" \
        "captured nothing and labserver listened all along"
}
lab_finish
