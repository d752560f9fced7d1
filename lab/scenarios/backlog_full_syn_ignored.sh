#!/usr/bin/env bash
# backlog_full_syn_ignored: labserver listens with backlog 1 and never
# accepts, so its accept queue holds at most 2 connections
# (sk_acceptq_is_full is "queued > backlog"). No fault on the router.
#  t=0     port 40001 connects: queued (1).
#  t=0.2   port 40002 connects with --delay-ack: its kernel holds the
#          handshake ACK for ~200 ms (TCP_DELACK_MAX), so the server keeps a
#          request in SYN-RECEIVED meanwhile.
#  t=0.25  port 40003 connects: queued (2, now full).
#  t=0.4   40002's ACK arrives at a full queue: dropped (tcp_v4_syn_recv_sock
#          -> exit_overflow, TcpExtListenOverflows); the request stays, marked
#          acked, and the server retransmits SYN+ACK (~1 s, ~3 s); the client,
#          ESTABLISHED on its side, ACKs each one, dropped again:
#          accept_queue_full.
#  t=0.5   port 40004 sends SYNs: tcp_conn_request drops them while the accept
#          queue is full (ListenOverflows + ListenDrops), never an answer; the
#          client gives up after 3.5 s: server_ignored_syn (timeout at the
#          client).
# labserver exits after 5.5 s; closing the listener resets what it queued.
#
# Observed on 6.18: as described; TcpExtListenOverflows counts every
# dropped packet (40004's 4 SYNs, 40002's 3 ACKs and its 2 FINs). When the
# server exits, queued connections 40001 and 40003 get RST/ACK, and 40002's
# next FIN retransmission meets no listener and gets a bare RST.
. "$(dirname "$0")/../lib.sh"
lab_init "${1:-}"
lab_server "$SRV" "$SERVER_PORT" --backlog 1 --no-accept --exit-after-ms 5500
lab_capture_start
lab_client_bg 1 "$SRV" "$SERVER_PORT" --bind-port 40001 --connect-timeout-ms 3000 --hold-ms 4800
sleep 0.2
lab_client_bg 2 "$SRV" "$SERVER_PORT" --bind-port 40002 --connect-timeout-ms 3000 --hold-ms 4500 \
    --delay-ack
sleep 0.05
lab_client_bg 3 "$SRV" "$SERVER_PORT" --bind-port 40003 --connect-timeout-ms 3000 --hold-ms 4400
sleep 0.25
lab_client_bg 4 "$SRV" "$SERVER_PORT" --bind-port 40004 --connect-timeout-ms 3500
lab_clients_wait
lab_server_wait
lab_truth "nstat_server_listen: $(NSTAT_HISTORY=$LAB_TMP/nstat.hist ip netns exec "$NS_S" nstat -asz TcpExtListenOverflows TcpExtListenDrops | grep -v '^#' | awk '{ printf "%s=%s ", $1, $2 }')"
lab_expect ok
lab_expect accept_queue_full
lab_expect ok
lab_expect server_ignored_syn timeout server_ignored_syn
lab_checks() {
    lab_check "SYN+ACK to 40002 retransmitted" "$(lab_n server.pcap "> $CLI.40002: Flags \[S\.\]")" -ge 2
    lab_check "40002 ACKed before the retransmission" \
        "$(tcpdump -nr "$LAB_OUT/server.pcap" 'tcp port 40002' 2>/dev/null | sed -n '3p' | grep -c "$CLI.40002 > .*Flags \[\.\]")" -eq 1
    lab_check "40004 SYNs reached the server" "$(lab_n server.pcap "$CLI.40004 > .*Flags \[S\],")" -ge 3
    lab_check "server never answered 40004" "$(lab_n server.pcap "> $CLI.40004:")" -eq 0
    lab_check "one SYN+ACK each for 40001 and 40003" "$(lab_n server.pcap "> $CLI.4000[13]: Flags \[S\.\]")" -eq 2
    # The RSTs when labserver exits (see the header).
    local r1 r3 r2 f1 f3 a3 f2 c
    r1="$SRV.$SERVER_PORT > $CLI.40001: Flags \[R\.\]"
    r3="$SRV.$SERVER_PORT > $CLI.40003: Flags \[R\.\]"
    r2="$SRV.$SERVER_PORT > $CLI.40002: Flags \[R\],"
    for c in client server; do
        lab_check "$c.pcap: one RST/ACK each to 40001 and 40003, one bare RST to 40002, no other RST" \
            "$(lab_n $c.pcap "$r1") $(lab_n $c.pcap "$r3") $(lab_n $c.pcap "$r2") $(lab_n $c.pcap 'Flags \[R')" = "1 1 1 3"
    done
    f1=$(lab_frame client.pcap "$CLI.40001 > $SRV.$SERVER_PORT: Flags \[F\.\]")
    f3=$(lab_frame client.pcap "$CLI.40003 > $SRV.$SERVER_PORT: Flags \[F\.\]")
    a3=$(lab_frame_after client.pcap "$f3" "$SRV.$SERVER_PORT > $CLI.40003: Flags \[\.\]")
    # 40002's last FIN before the RST to it
    f2=$(tcpdump -#nr "$LAB_OUT/client.pcap" -S 2>/dev/null | awk -v r="$(lab_frame client.pcap "$r2")" '$1 + 0 < r + 0' |
        grep -E "$CLI.40002 > $SRV.$SERVER_PORT: Flags \[F\.\]" | tail -1 | awk '{ print $1 }')
    lab_check "both FINs (40001, 40003) came before the RSTs" \
        "$(( f1 < $(lab_frame client.pcap "$r1") && f3 < $(lab_frame client.pcap "$r3") ))" -eq 1
    lab_check "TcpExtTW=2 on the client (40001, 40003)" "$(lab_nstat client TcpExtTW)" -eq 2
    lab_check "TcpEstabResets=2 on the server" "$(lab_nstat server TcpEstabResets)" -eq 2
    lab_check "nothing from 40002 after the RST" \
        "$(tcpdump -#nr "$LAB_OUT/client.pcap" -S 2>/dev/null | awk -v r="$(lab_frame client.pcap "$r2")" '$1 + 0 > r + 0' | grep -c "$CLI.40002 >")" -eq 0
    lab_truth ""
    lab_truth "# RSTs"
    lab_rst "$(lab_frame client.pcap "$r1")" "$(lab_frame server.pcap "$r1")" server app_abort true \
        "labserver exited without ever accepting: closing the listener aborted the queued child" \
        "for 40001 (inet_csk_listen_stop -> tcp_disconnect: RST/ACK with TCP options," \
        "TcpEstabResets on the server). 40001 had already closed (its FIN, client frame $f1, was" \
        "ACKed), so a FIN-WAIT-2 timewait socket (TcpExtTW=2 on the client: 40001 and 40003)" \
        "received it; seq = the server's snd_nxt = that socket's rcv_nxt, which Linux accepts" \
        "there (tcp_timewait_state_process: in-window RST kills it). Inferred from the sequence" \
        "numbers: the client application was gone and a timewait socket sends nothing either way"
    lab_rst "$(lab_frame client.pcap "$r3")" "$(lab_frame server.pcap "$r3")" server app_abort true \
        "as the RST to 40001, for 40003 (its FIN, client frame $f3, was ACKed in client frame $a3);" \
        "seq = that timewait socket's rcv_nxt; inferred from the sequence numbers"
    lab_rst "$(lab_frame client.pcap "$r2")" "$(lab_frame server.pcap "$r2")" server no_connection true \
        "40002's FIN retransmission (client frame $f2) arrived after the listener had closed; its" \
        "connection only ever existed as an acked request that the full accept queue never took," \
        "and it went with the listener, so the host had no socket and answered with a bare RST," \
        "seq = the FIN's ack (tcp_v4_send_reset); 40002 (FIN-WAIT-1, seq == its rcv_nxt) stopped" \
        "retransmitting its FIN: nothing more from 40002 in the rest of the capture (lab_tail)"
}
lab_tail 3
lab_finish
