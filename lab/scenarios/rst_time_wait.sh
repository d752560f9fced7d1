#!/usr/bin/env bash
# rst_time_wait: a SYN refused by a timewait socket. labserver closes each
# connection right after accept (FIN). The client (port 40000) reads EOF
# and aborts with SO_LINGER 0; the router drops that RST (only the first
# RST of the flow), as if the client had crashed or its RST were lost. The
# server's socket is orphaned and its FIN was acknowledged, so Linux holds
# the 4-tuple in a timewait socket in the FIN-WAIT-2 substate (for
# tcp_fin_timeout, 60 s). The client reconnects at once from port 40000 with
# a new ISN z. Linux's ISN clock advances one per 64 ns, so z - x is
# Δt/64 (tens of thousands after a millisecond or so), inside the old
# connection's receive window: tcp_timewait_state_process (FIN-WAIT-2
# substate: an in-window SYN at or after rcv_nxt -> TCP_TW_RST) answers
# with RST/ACK seq 0, ack z+1 (tcp_v4_send_reset) and kills the timewait
# socket. At the client it looks exactly like "nothing listens": connect()
# fails with ECONNREFUSED although labserver listens all along.
#
# labclient --ack-eof makes the client ACK the FIN at once: Linux delays
# the ACK of a FIN (tcp_fin enters pingpong mode), and a SYN(z) that
# overtakes it meets the full socket in FIN-WAIT-1, which answers with a
# challenge ACK (ack x+1) instead (port_reuse_challenge, no time_wait RST).
# A SYN landing outside the window also gets an ACK, and a SYN to a socket
# in the real TIME-WAIT substate is accepted as a new connection when a
# listener exists, or ACKed: neither is a RST.
#
# Observed on 6.18: FIN at 0.2-0.3 ms, ACK, RST/ACK (dropped), SYN(z)
# with z - x of a few thousand (4700 to 11000 in repeated runs; isn_gap),
# RST/ACK seq 0 ack z+1 from the server within 10-40 us (no TCP options,
# window 0, like a no-listener RST), ECONNREFUSED; TcpExtTW=1 on the server
# (a timewait socket was created).
. "$(dirname "$0")/../lib.sh"
lab_init "${1:-}"
lab_server "$SRV" "$SERVER_PORT" --close-after-ms 0 --exit-after-ms 1200
lab_nft_add "$IPX saddr $CLI tcp sport 40000 tcp flags & rst == rst $IPX saddr . tcp sport != @$SEEN add @$SEEN { $IPX saddr . tcp sport } counter drop comment \"drop the client's first RST\"" >/dev/null
lab_capture_start
lab_client 1 "$SRV" "$SERVER_PORT" --bind-port 40000 --connect-timeout-ms 2000 --attempts 2 \
    --reconnect --wait-ms 1000 --ack-eof --linger0
lab_expect ok
lab_expect refused
lab_server_wait
lab_checks() {
    local x=${ATT_ISN[1]} z=${ATT_ISN[2]} re rea
    lab_truth "isn_gap z-x=$(lab_seq "$z - $x") (the server's receive window was about 64 KB)"
    lab_check "server sent FIN first" "$(lab_n server.pcap "$SRV.$SERVER_PORT > $CLI.40000: Flags \[F\.\]")" -eq 1
    rea="$CLI.40000 > $SRV.$SERVER_PORT: Flags \[R\.\], seq $(lab_seq "$x + 1"), "
    lab_check "client aborted with RST/ACK seq=x+1" "$(lab_n client.pcap "$rea")" -eq 1
    lab_check "the router dropped it" "$(lab_n server.pcap "$rea")" -eq 0
    lab_check "new ISN z is in the old window: 0 < z-x-1 < 65535" \
        "$(( $(lab_seq "$z - $x - 1") > 0 && $(lab_seq "$z - $x - 1") < 65535 ))" -eq 1
    re="$SRV.$SERVER_PORT > $CLI.40000: Flags \[R\.\], seq 0, ack $(lab_seq "$z + 1"), "
    lab_check "server host answered SYN(z) with RST/ACK seq 0 ack z+1" "$(lab_n server.pcap "$re")" -eq 1
    lab_check "client got it" "$(lab_n client.pcap "$re")" -eq 1
    lab_check "no SYN+ACK for z" "$(lab_n client.pcap "Flags \[S\.\].* ack $(lab_seq "$z + 1"),")" -eq 0
    lab_check "labclient attempt 2: ECONNREFUSED" "$(grep -c 'attempt=2 .*result=ECONNREFUSED' "$LAB_TMP/client-1.out")" -eq 1
    lab_check "labserver listened all along (accepted 1, exited at the end)" \
        "$(grep -c '^accepted' "$LAB_TMP/server.out")" -eq 1
    lab_truth ""
    lab_truth "# RSTs"
    lab_rst "$(lab_frame client.pcap "$rea")" none client app_abort false \
        "lost: dropped by the router (its rule counted 1 packet), never reached the server, whose" \
        "timewait socket stayed (it answered SYN(z) as one); seq = x+1 = the server's rcv_nxt, so" \
        "it would have been accepted had it arrived"
    lab_rst "$(lab_frame client.pcap "$re")" "$(lab_frame server.pcap "$re")" server time_wait true \
        "connect() of attempt 2 failed with ECONNREFUSED (client-1: attempt=2 ... result=ECONNREFUSED);" \
        "ack = z+1 acknowledges the SYN"
}
lab_finish
