#!/usr/bin/env bash
# rst_keepalive_timeout: keepalive gives up. The client connects from port
# 40000 with SO_KEEPALIVE, TCP_KEEPIDLE 1 s, TCP_KEEPINTVL 1 s, TCP_KEEPCNT 2,
# exchanges 100 bytes and waits. At 0.3 s the router starts dropping every
# packet from the server. The client's keepalive probes (an ACK with
# seq = snd_nxt - 1, no data) go out 1 s and 2 s after the last data; the
# server answers each with an ACK that the router drops. One interval after
# the second probe, tcp_keepalive_timer sees probes_out >= TCP_KEEPCNT and
# sends RST/ACK (tcp_send_active_reset, seq = snd_nxt, ack = rcv_nxt;
# TcpExtTCPKeepAlive counts the probes) and reports ETIMEDOUT to the
# application. The server, idle in ESTABLISHED, accepts the RST (seq ==
# rcv_nxt): labserver's recv() fails with ECONNRESET.
. "$(dirname "$0")/../lib.sh"
lab_init "${1:-}"
lab_server "$SRV" "$SERVER_PORT" --exit-after-ms 4200
lab_capture_start
lab_client_bg 1 "$SRV" "$SERVER_PORT" --bind-port 40000 --connect-timeout-ms 2000 --send 100 \
    --keepalive 1:1:2 --wait-ms 5000
sleep 0.3
lab_nft_add "$IPX saddr $SRV counter drop comment \"drop everything from the server after the exchange\"" >/dev/null
lab_truth "nft_rule_added t=$(lab_now): drop everything from the server"
lab_clients_wait
lab_expect ok
lab_server_wait
lab_checks() {
    local x=${ATT_ISN[1]} re
    # tcpdump prints no seq for a segment without data: a probe (seq x+100)
    # shows as a pure ACK; the client sent 4 (handshake, echo, 2 probes)
    lab_check "two keepalive probes" \
        "$(lab_n client.pcap "$CLI.40000 > .*Flags \[\.\], ack [0-9]+, .*length 0")" -eq 4
    lab_check "server answered both (ACK of the data, then 2; dropped by the router)" \
        "$(lab_n server.pcap "$SRV.$SERVER_PORT > .*Flags \[\.\], ack $(lab_seq "$x + 101"), .*length 0")" -eq 3
    lab_check "TcpExtTCPKeepAlive=2 on the client" \
        "$(NSTAT_HISTORY=$LAB_TMP/nstat.ka ip netns exec "$NS_C" nstat -asz TcpExtTCPKeepAlive | awk '$1 == "TcpExtTCPKeepAlive" { print $2 }')" -eq 2
    lab_check "nothing from the server reached the client after the echo" \
        "$(lab_n client.pcap "$SRV.$SERVER_PORT > ")" -eq 3
    re="$CLI.40000 > $SRV.$SERVER_PORT: Flags \[R\.\], seq $(lab_seq "$x + 101"), "
    lab_check "client sent RST/ACK seq=x+101" "$(lab_n client.pcap "$re")" -eq 1
    lab_check "server got it" "$(lab_n server.pcap "$re")" -eq 1
    lab_check "labclient got ETIMEDOUT" "$(grep -c 'wait .*result=ETIMEDOUT' "$LAB_TMP/client-1.out")" -eq 1
    lab_check "labserver read ECONNRESET" "$(grep -c 'why=reset' "$LAB_TMP/server.out")" -eq 1
    lab_truth ""
    lab_truth "# RSTs"
    lab_rst "$(lab_frame client.pcap "$re")" "$(lab_frame server.pcap "$re")" client keepalive_timeout true \
        "labserver's recv() failed with ECONNRESET (server: closed ... why=reset) and the server" \
        "sent nothing more (server.pcap); seq = x+101 = the server's rcv_nxt. The client's" \
        "application got ETIMEDOUT (client-1: wait ... result=ETIMEDOUT)"
}
lab_finish
