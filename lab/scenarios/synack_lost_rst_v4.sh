#!/usr/bin/env bash
# synack_lost_rst (the seed case). The router drops every SYN+ACK of the first
# attempt. The client gives up after 2.7 s (SYN at 0, 1, 2 s) and, from the
# same source port, tries again with a new ISN z. The server, still in
# SYN-RECEIVED for the old ISN x, answers SYN(z) with a bare ACK ack=x+1
# (tcp_check_req: out-of-window segment -> ACK); the client in SYN-SENT sends
# RST seq=x+1 (tcp_rcv_synsent_state_process: unacceptable ACK -> reset),
# which kills the server's request socket; the client re-sends SYN(z) a few
# ms later and that handshake succeeds because the drop rule is gone by then.
# The retry must come >= 500 ms (net.ipv4.tcp_invalid_ratelimit) after the
# last SYN(x) retransmission, otherwise the server's out-of-window ACK is
# rate limited (see synack_lost_rst_ratelimited, LAB_TIMEOUT_MS=2500).
# LAB_FAM=6 gives synack_lost_rst_v6; LAB_CONNECT=1 adds the logical
# connect's truth line (connect_retry_same_port).
#
# Observed on 6.18: SYN(x) at 0, 1, 2 s, four SYN+ACK(x) dropped (the timer
# one at 1 s plus one answer to each retransmitted SYN); SYN(z) at 2.7 s is
# answered at once by ACK ack=x+1; RST seq=x+1; SYN(z) re-sent ~11 ms later
# (tcp_rcv_synsent_state_process re-arms the SYN timer at TCP_TIMEOUT_MIN
# when the SYN was not yet retransmitted); handshake and 100-byte echo
# complete. The second attempt thus has a retransmitted SYN at both ends
# (ok_after_retrans, a ~10 ms stall).
. "$(dirname "$0")/../lib.sh"
lab_init "${1:-}"
lab_server "$SRV" "$SERVER_PORT" --exit-after-ms 5500
h=$(lab_nft_add "$IPX saddr $SRV tcp sport $SERVER_PORT tcp flags & (syn | ack) == syn | ack counter drop comment \"drop SYN+ACK\"")
lab_capture_start
timeout_ms=${LAB_TIMEOUT_MS:-2700}
# The rule goes 100 ms before the retry; the server's next timer-driven
# SYN+ACK(x) is due only at about 4 s.
lab_nft_del_at "$(awk -v t="$timeout_ms" 'BEGIN { print (t - 100) / 1000 }')" "$h"
lab_client 1 "$SRV" "$SERVER_PORT" --bind-port 40000 --connect-timeout-ms "$timeout_ms" --attempts 2 \
    ${LAB_CONNECT:+--connect-summary} --send 100 --hold-ms 200
lab_expect synack_lost_rst
if [ "$timeout_ms" -ge 2600 ]; then
    # SYN(z) answered at once by ACK(x+1), RST, SYN(z) re-sent ~2 ms later.
    lab_expect ok_after_retrans ok_after_retrans ok_after_retrans
else
    # SYN(z) not answered (rate limit), SYN(z) again 1 s later -> ACK(x+1),
    # RST; SYN(z) only at the client's next SYN timer, 1 s later.
    lab_expect ok_after_retrans ok_after_retrans ok_after_retrans
fi
lab_server_wait
lab_checks() {
    local x=${ATT_ISN[1]} z=${ATT_ISN[2]}
    lab_check "SYN(x) sent 3 times" "$(lab_n client.pcap "Flags \[S\], seq $x,")" -eq 3
    lab_check "no SYN+ACK for x reached the client" \
        "$(lab_n client.pcap "Flags \[S\.\].* ack $(lab_seq "$x + 1"),")" -eq 0
    lab_check "server sent SYN+ACKs for x" \
        "$(lab_n server.pcap "Flags \[S\.\].* ack $(lab_seq "$x + 1"),")" -ge 2
    lab_check "bare ACK ack=x+1 reached the client" \
        "$(lab_n client.pcap "Flags \[\.\], ack $(lab_seq "$x + 1"),")" -eq 1
    lab_check "client sent RST seq=x+1" "$(lab_n client.pcap "Flags \[R\], seq $(lab_seq "$x + 1"),")" -eq 1
    lab_check "server got RST seq=x+1" "$(lab_n server.pcap "Flags \[R\], seq $(lab_seq "$x + 1"),")" -eq 1
    lab_check "SYN+ACK for z reached the client" \
        "$(lab_n client.pcap "Flags \[S\.\].* ack $(lab_seq "$z + 1"),")" -eq 1
    if [ "$timeout_ms" -ge 2600 ]; then
        lab_check "SYN(z) sent twice (re-sent after the RST)" "$(lab_n client.pcap "Flags \[S\], seq $z,")" -eq 2
    else
        lab_check "SYN(z) sent 3 times (first one not answered)" "$(lab_n client.pcap "Flags \[S\], seq $z,")" -eq 3
    fi
    local rre are gap next
    rre="Flags \[R\], seq $(lab_seq "$x + 1"),"
    are="Flags \[\.\], ack $(lab_seq "$x + 1"),"
    lab_check "the server's request for x died: TcpExtEmbryonicRsts=1" \
        "$(grep -c '^nstat_server: TcpExtEmbryonicRsts=1$' "$LAB_OUT/truth.txt")" -eq 1
    lab_check "no SYN+ACK for x after the RST" \
        "$(tcpdump -nr "$LAB_OUT/server.pcap" -S 2>/dev/null | sed "1,/$rre/d" | grep -cE "Flags \[S\.\].* ack $(lab_seq "$x + 1"),")" -eq 0
    gap=$(lab_ms client.pcap "$rre" "Flags \[S\], seq $z,")
    if [ "$timeout_ms" -ge 2600 ]; then
        next="SYN(z) re-sent $gap ms later (TCP_TIMEOUT_MIN) got a SYN+ACK for z"
    else
        next="the next SYN(z), $gap ms later (its SYN timer; it had already been retransmitted), got a SYN+ACK for z"
    fi
    if [ "${LAB_NAT:-0}" = 1 ]; then
        local nat=$R4S
        [ "$LAB_FAM" = 6 ] && nat=$R6S
        lab_check "the server saw the client as $nat port 40000" \
            "$(lab_n server.pcap "$nat.40000 > $SRV.$SERVER_PORT: Flags \[S\], seq $x,")" -eq 3
        lab_check "conntrack marked nothing invalid" "$(lab_ct_count "ct invalid")" -eq 0
        lab_check "conntrack: SYN(x) and the re-sent SYN(z) each began an entry" "$(lab_ct_count "SYN, ct new")" -eq 2
        lab_check "conntrack: SYN(x) retransmissions and the first SYN(z) on a tracked tuple" \
            "$(lab_ct_count "SYN, ct established")" -eq 3
        lab_check "masquerade translated 2 connections: SYN(x), and SYN(z) after the RST closed the entry" \
            "$(lab_ct_count masquerade)" -eq 2
        lab_check "the stale ACK reached the client translated back" "$(lab_n client.pcap "> $CLI.40000: $are")" -eq 1
    fi
    lab_truth ""
    lab_truth "# RSTs"
    lab_rst "$(lab_frame client.pcap "$rre")" "$(lab_frame server.pcap "$rre")" client answer_to_stale_ack true \
        "bare RST seq = x+1 = the ack of the server's ACK for the old request (client frame" \
        "$(lab_frame client.pcap "$are")), sent by the client in SYN-SENT for z; the server's request socket" \
        "for x died: TcpExtEmbryonicRsts=1 on the server, no SYN+ACK(x) after it, and $next"
    if [ -n "${LAB_CONNECT:-}" ]; then
        lab_truth ""
        lab_truth "# logical connects (labclient --connect-summary): what the application saw"
        lab_connect_truth 1
    fi
}
lab_finish
