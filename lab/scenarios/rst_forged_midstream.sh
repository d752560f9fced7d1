#!/usr/bin/env bash
# rst_forged_midstream: a middlebox resets an established connection. The
# client connects from port 40000 and 100 bytes are echoed; 300 ms later it
# sends 200 bytes. The router matches that segment by its size (IP length >
# 200: only this segment is that long), drops it and answers with "reject
# with tcp reset" (nf_send_reset): a RST to the client, seq = the segment's
# ack, no ACK flag, window 0, no TCP options, sent by the router itself (TTL
# 64 at the client, where the server's packets arrive with 63; IP id 0). The
# client accepts it (seq == rcv_nxt): recv() fails with ECONNRESET and its
# socket is gone. The server never saw the 200 bytes nor the RST and keeps
# the connection ESTABLISHED; when labserver exits at 1.3 s it closes it
# with a FIN, which the client host, without a socket, answers with a RST
# (seq = the FIN's ack) that the server accepts.
. "$(dirname "$0")/../lib.sh"
lab_init "${1:-}"
lab_server "$SRV" "$SERVER_PORT" --exit-after-ms 1300
lab_nft_add "$IPX saddr $CLI tcp dport $SERVER_PORT $IPX length > 200 counter reject with tcp reset comment \"forge a RST for the 200-byte segment\"" >/dev/null
lab_capture_start
lab_client 1 "$SRV" "$SERVER_PORT" --bind-port 40000 --connect-timeout-ms 2000 --send 100 \
    --then-delay-ms 300 --then-send 200 --read-timeout-ms 500
lab_ss after_client
lab_expect ok
lab_server_wait
sleep 0.2
lab_ss after_server
lab_checks() {
    local x=${ATT_ISN[1]} re re2
    lab_check "client sent 200 bytes at x+101" \
        "$(lab_n client.pcap "$CLI.40000 > .*seq $(lab_seq "$x + 101"):$(lab_seq "$x + 301"),")" -eq 1
    lab_check "the server never got them" "$(lab_n server.pcap "length 200")" -eq 0
    re="$SRV.$SERVER_PORT > $CLI.40000: Flags \[R\], seq [0-9]+, "
    lab_check "client got a RST" "$(lab_n client.pcap "$re")" -eq 1
    lab_check "the server never sent it" "$(lab_n server.pcap "$re")" -eq 0
    lab_check "the forged RST has TTL 64" \
        "$(tcpdump -nr "$LAB_OUT/client.pcap" -v "src host $SRV and tcp[tcpflags] & tcp-rst != 0" 2>/dev/null | grep -c 'ttl 64, id 0,')" -eq 1
    lab_check "the server's own packets arrive with TTL 63" \
        "$(tcpdump -nr "$LAB_OUT/client.pcap" -v "src host $SRV and tcp[tcpflags] & tcp-rst == 0" 2>/dev/null | grep -c 'ttl 64')" -eq 0
    lab_check "labclient read ECONNRESET" "$(grep -c 'then_wait .*result=ECONNRESET' "$LAB_TMP/client-1.out")" -eq 1
    lab_check "server FIN at exit reached the client" "$(lab_n client.pcap "$SRV.$SERVER_PORT > $CLI.40000: Flags \[F\.\]")" -eq 1
    re2="$CLI.40000 > $SRV.$SERVER_PORT: Flags \[R\], seq $(lab_seq "$x + 101"), "
    lab_check "client host answered the FIN with RST seq=x+101" "$(lab_n client.pcap "$re2")" -eq 1
    lab_check "server got it" "$(lab_n server.pcap "$re2")" -eq 1
    lab_check "server did not retransmit its FIN" "$(lab_n server.pcap "Flags \[F")" -eq 1
    lab_truth ""
    lab_truth "# RSTs"
    lab_rst "$(lab_frame client.pcap "$re")" none middle middlebox true \
        "labclient's recv() after the 200-byte send failed with ECONNRESET (client-1: then_wait" \
        "... result=ECONNRESET) and the client answered the server's later FIN as a host without" \
        "a socket; seq = the 200-byte segment's ack = the client's rcv_nxt; the router's reject" \
        "rule counted 1 packet; not in server.pcap"
    lab_rst "$(lab_frame client.pcap "$re2")" "$(lab_frame server.pcap "$re2")" client no_connection true \
        "the server did not retransmit its FIN and its socket was gone right after (ss_server" \
        "after_server: only what is listed there); seq = the FIN's ack = the server's rcv_nxt"
}
lab_finish
