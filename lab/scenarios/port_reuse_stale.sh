#!/usr/bin/env bash
# port_reuse_stale: the client connects from port 40001, exchanges 100 bytes
# and aborts (SO_LINGER 0); the router drops that RST, so the server still
# holds the connection ESTABLISHED. The drop rule is removed and 0.5 s later
# the client connects again from port 40001 with a new ISN. The server
# answers the SYN in ESTABLISHED with a challenge ACK (RFC 5961 section 4.2,
# tcp_validate_incoming -> tcp_send_challenge_ack) that acknowledges the old
# connection; the client in SYN-SENT answers with RST seq = that ack, which
# the server accepts (seq == rcv_nxt) and resets the stale connection; the
# client re-sends its SYN a few ms later (it had not yet retransmitted it)
# and the new connection succeeds.
#
# Observed on 6.18: SYN(z) -> challenge ACK ack=x+101 (TcpExtTCPSYNChallenge)
# -> RST seq=x+101 -> labserver reads ECONNRESET on the old connection ->
# SYN(z) re-sent ~9 ms later -> SYN+ACK -> connected.
. "$(dirname "$0")/../lib.sh"
lab_init "${1:-}"
lab_server "$SRV" "$SERVER_PORT" --exit-after-ms 2500
h=$(lab_nft_add "$IPX saddr $CLI tcp sport 40001 tcp flags & rst == rst counter drop comment \"drop the client's RSTs\"")
lab_capture_start
lab_client 1 "$SRV" "$SERVER_PORT" --bind-port 40001 --connect-timeout-ms 2000 --send 100 --linger0
lab_expect ok
sleep 0.2
ip netns exec "$NS_R" nft -a list chain inet lab faults | grep "# handle $h\$" |
    sed 's/^[[:space:]]*/nft_rule_final_state: /' >> "$LAB_OUT/truth.txt"
lab_nft_del "$h"
sleep 0.3
lab_client 2 "$SRV" "$SERVER_PORT" --bind-port 40001 --connect-timeout-ms 2000 --send 100 --hold-ms 100
lab_expect port_reuse_challenge
lab_server_wait
lab_checks() {
    local x=${ATT_ISN[1]} z=${ATT_ISN[2]}
    local nxt
    nxt=$(lab_seq "$x + 101")
    lab_check "client aborted with RST/ACK" "$(lab_n client.pcap "Flags \[R\.\], seq $nxt,")" -eq 1
    lab_check "server never got it" "$(lab_n server.pcap "Flags \[R\.\]")" -eq 0
    lab_check "challenge ACK ack=x+101 reached the client" "$(lab_n client.pcap "Flags \[\.\], ack $nxt,")" -ge 2
    lab_check "client sent RST seq=x+101" "$(lab_n client.pcap "Flags \[R\], seq $nxt,")" -eq 1
    lab_check "server got RST seq=x+101" "$(lab_n server.pcap "Flags \[R\], seq $nxt,")" -eq 1
    lab_check "SYN(z) sent twice" "$(lab_n client.pcap "Flags \[S\], seq $z,")" -eq 2
    lab_check "SYN+ACK for z" "$(lab_n client.pcap "Flags \[S\.\].* ack $(lab_seq "$z + 1"),")" -eq 1
    lab_check "TcpExtTCPAbortOnData=1 on the client (the SO_LINGER 0 abort)" "$(lab_nstat client TcpExtTCPAbortOnData)" -eq 1
    lab_check "TcpExtTCPSYNChallenge=1 on the server" "$(lab_nstat server TcpExtTCPSYNChallenge)" -eq 1
    lab_check "TcpEstabResets=1 on the server" "$(lab_nstat server TcpEstabResets)" -eq 1
    lab_check "labserver read ECONNRESET on the old connection" "$(grep -c 'why=reset' "$LAB_TMP/server.out")" -eq 1
    local rea="Flags \[R\.\], seq $nxt," rec="Flags \[R\], seq $nxt," fz fch
    fz=$(lab_frame client.pcap "Flags \[S\], seq $z,")
    fch=$(lab_frame_after client.pcap "$fz" "> $CLI.40001: Flags \[\.\], ack $nxt,")
    lab_truth ""
    lab_truth "# RSTs"
    lab_rst "$(lab_frame client.pcap "$rea")" none client app_abort false \
        "lost: the client's SO_LINGER-0 abort (RST/ACK seq = x+101, TcpExtTCPAbortOnData on the" \
        "client) was dropped by the router's rule (see nft_rule_final_state), so the server kept" \
        "the connection ESTABLISHED and later answered SYN(z) with a challenge ACK for it; seq =" \
        "the server's rcv_nxt, so it would have been accepted had it arrived"
    lab_rst "$(lab_frame client.pcap "$rec")" "$(lab_frame server.pcap "$rec")" client answer_to_challenge_ack true \
        "bare RST seq = x+101 = the ack of the server's challenge ACK (client frame $fch;" \
        "TcpExtTCPSYNChallenge=1 on the server), sent by the client in SYN-SENT; labserver's" \
        "recv() on the old connection failed with ECONNRESET (server: closed ... why=reset) and" \
        "TcpEstabResets=1 on the server; SYN(z) re-sent $(lab_ms client.pcap "$rec" "Flags \[S\], seq $z,") ms later then completed"
}
lab_finish
