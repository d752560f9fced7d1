#!/usr/bin/env bash
# rst_no_connection: the server host loses the connection's state while the
# client still holds it (as after a reboot, a crash of the host, or a NAT or
# load balancer forgetting the flow). The client connects from port 40000,
# exchanges 100 bytes and goes idle. At 0.3 s the router starts dropping the
# server's RSTs and the script destroys the server's socket with `ss -K`
# (SOCK_DESTROY -> tcp_abort: the kernel sends a RST, which the router
# drops, and labserver's recv() fails with ECONNABORTED); the listener stays.
# The drop rule goes at 0.5 s. At 0.8 s the client, unaware, sends 100 more
# bytes; the server host has no socket for the 4-tuple, so the segment
# reaches the listener, which answers the ACK-bearing segment with a RST
# whose seq is the segment's ack (tcp_v4_send_reset; no ACK flag). The
# client accepts it (seq == rcv_nxt): recv() fails with ECONNRESET.
. "$(dirname "$0")/../lib.sh"
lab_init "${1:-}"
lab_server "$SRV" "$SERVER_PORT" --exit-after-ms 1600
lab_capture_start
lab_client_bg 1 "$SRV" "$SERVER_PORT" --bind-port 40000 --connect-timeout-ms 2000 --send 100 \
    --then-delay-ms 800 --then-send 100 --read-timeout-ms 500
sleep 0.3
h=$(lab_nft_add "$IPX saddr $SRV tcp sport $SERVER_PORT tcp flags & rst == rst counter drop comment \"drop the server's RST from ss -K\"")
lab_ss before_kill
lab_truth "ss_kill t=$(lab_now): ss -K dst $CLI dport = :40000 in the server namespace"
ip netns exec "$NS_S" ss -tanK dst "$CLI" dport = :40000 | sed 's/^/ss_kill: /' >> "$LAB_OUT/truth.txt"
lab_ss after_kill
sleep 0.2
ip netns exec "$NS_R" nft -a list chain inet lab faults | grep "# handle $h\$" |
    sed 's/^[[:space:]]*/nft_rule_final_state: /' >> "$LAB_OUT/truth.txt"
lab_nft_del "$h"
lab_clients_wait
lab_expect ok
lab_server_wait
lab_checks() {
    local x=${ATT_ISN[1]} re rek
    # the client's second segment: seq x+101, 100 bytes
    lab_check "client sent 100 more bytes at x+101" \
        "$(lab_n client.pcap "$CLI.40000 > .*seq $(lab_seq "$x + 101"):$(lab_seq "$x + 201"),")" -eq 1
    re="$SRV.$SERVER_PORT > $CLI.40000: Flags \[R\], seq [0-9]+, "
    rek="$SRV.$SERVER_PORT > $CLI.40000: Flags \[R\.\], seq [0-9]+, ack $(lab_seq "$x + 101"), "
    lab_check "server sent the ss -K RST/ACK" "$(lab_n server.pcap "$rek")" -eq 1
    lab_check "the router dropped it" "$(lab_n client.pcap "$rek")" -eq 0
    lab_check "server host answered the data with a bare RST" "$(lab_n server.pcap "$re")" -eq 1
    lab_check "client got it" "$(lab_n client.pcap "$re")" -eq 1
    lab_check "it is the last TCP packet of the client capture" \
        "$(tcpdump -nr "$LAB_OUT/client.pcap" -S 'not (udp port 9)' 2>/dev/null | tail -1 | grep -cE "$re")" -eq 1
    lab_check "labclient read ECONNRESET" "$(grep -c 'then_wait .*result=ECONNRESET' "$LAB_TMP/client-1.out")" -eq 1
    lab_truth ""
    lab_truth "# RSTs"
    lab_rst none "$(lab_frame server.pcap "$rek")" server app_abort false \
        "lost: sent by tcp_abort (ss -K) and dropped by the router (the rule's counter), it never" \
        "reached the client, whose connection stayed ESTABLISHED (ss_client after_kill); its" \
        "seq = the client's rcv_nxt, so it would have been accepted had it arrived"
    lab_rst "$(lab_frame client.pcap "$re")" "$(lab_frame server.pcap "$re")" server no_connection true \
        "labclient's recv() after the second send failed with ECONNRESET (client-1: then_wait" \
        "... result=ECONNRESET); seq = the data segment's ack = the client's rcv_nxt"
}
lab_finish
