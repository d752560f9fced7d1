#!/usr/bin/env bash
# eviction_closed_first: one attempt under way among closed connections, for
# the flow table's eviction order (tcpwhy --max-flows 2). The router drops
# every SYN from client port 40000: that client sends SYNs at 0, 1, 2, 3, 4 s
# (tcp_syn_linear_timeouts) and gives up after 5 s (timeout). From 0.3 s on,
# three clean connections from ports 40001 to 40003 each echo 100 bytes and
# close with a FIN from both sides, one after the other, while the first
# client is still between two SYNs. A table of two flows must make room
# twice: the closed connections go first, so the attempt under way keeps its
# flow and is judged a timeout, not judged early.
. "$(dirname "$0")/../lib.sh"
lab_init "${1:-}"
lab_server "$SRV" "$SERVER_PORT" --exit-after-ms 5500
lab_nft_add "$IPX saddr $CLI tcp sport 40000 tcp dport $SERVER_PORT tcp flags & (syn | ack) == syn counter drop comment \"drop port 40000's SYNs\"" >/dev/null
lab_capture_start
lab_client_bg 1 "$SRV" "$SERVER_PORT" --bind-port 40000 --connect-timeout-ms 5000
lab_expect timeout timeout none
sleep 0.3
for n in 1 2 3; do
    lab_client "$((n + 1))" "$SRV" "$SERVER_PORT" --bind-port "4000$n" --connect-timeout-ms 3000 \
        --send 100 --hold-ms 100
    lab_expect ok
done
lab_clients_wait
lab_server_wait
lab_checks() {
    lab_check "port 40000 sent 5 SYNs" "$(lab_n client.pcap "$CLI.40000 > .*Flags \[S\],")" -eq 5
    lab_check "3 FINs from the server" "$(lab_n client.pcap "$SRV.$SERVER_PORT > .*Flags \[F")" -eq 3
    lab_check "3 FINs from the client" "$(lab_n client.pcap "$CLI.4000[1-3] > .*Flags \[F")" -eq 3
}
lab_tail 3
lab_finish
