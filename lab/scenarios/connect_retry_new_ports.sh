#!/usr/bin/env bash
# connect_retry_new_ports: an application that, like Nginx/OpenResty
# (proxy_connect_timeout, a Lua cosocket timeout), gives up a connect after
# its own timeout of 1.2 s and retries from a NEW source port (40001, 40002,
# 40003; labclient --new-port-per-attempt), up to 3 attempts: one logical
# connect made of three attempts. The router drops the server's SYN+ACKs
# until 2.3 s, so the first two attempts time out in the application (SYN at
# 0 and 1 s each; the client closes the connecting socket silently) and the
# third, at 2.4 s, completes at once. The server's request sockets for the
# first two attempts live on: their next timer-driven SYN+ACKs (about 3 s
# and 4.2 s, after the rule is gone) reach a client host that has no socket
# for those ports, which answers each with a bare RST seq = the SYN+ACK's
# ack (late_synack_rst), killing the request (TcpExtEmbryonicRsts=2).
# truth.txt has the usual lines per attempt and one `connect` line for the
# logical connect (labclient --connect-summary: first connect() to success).
#
# Observed on 6.18: per failed attempt SYN at 0 and 1 s, SYN+ACKs dropped
# (the first, the timer one at 1 s and the answer to the retransmitted SYN);
# attempt 3 at 2.4 s: SYN, SYN+ACK, ACK, 100-byte echo, FIN close; late
# SYN+ACK of attempt 1 at about 3 s and of attempt 2 at about 4.2 s, each
# answered by the client host's RST; the connect took 2.4 s (3 attempts).
. "$(dirname "$0")/../lib.sh"
lab_init "${1:-}"
app_timeout_ms=1200
lab_server "$SRV" "$SERVER_PORT" --exit-after-ms 5000
h=$(lab_nft_add "$IPX saddr $SRV tcp sport $SERVER_PORT tcp flags & (syn | ack) == syn | ack counter drop comment \"drop SYN+ACKs for 2.3 s\"")
lab_capture_start
# The rule goes after attempt 2's last SYN (about 2.2 s), before attempt 3
# (2.4 s); attempt 1's request sends its next SYN+ACK only at about 3 s.
lab_nft_del_at 2.3 "$h"
lab_client 1 "$SRV" "$SERVER_PORT" --bind-port 40001 --new-port-per-attempt --attempts 3 \
    --connect-timeout-ms "$app_timeout_ms" --connect-summary --send 100 --hold-ms 200
lab_expect late_synack_rst
lab_expect late_synack_rst
lab_expect ok
lab_server_wait
lab_checks() {
    local x1=${ATT_ISN[1]} x2=${ATT_ISN[2]} x3=${ATT_ISN[3]} p x re1 re2
    for p in 1 2 3; do
        lab_check "attempt $p from port 4000$p" "$(lab_n client.pcap "$CLI.4000$p > $SRV.$SERVER_PORT: Flags \[S\], seq ${ATT_ISN[p]},")" -ge 1
    done
    lab_check "attempt 1: SYN sent twice" "$(lab_n client.pcap "Flags \[S\], seq $x1,")" -eq 2
    lab_check "attempt 2: SYN sent twice" "$(lab_n client.pcap "Flags \[S\], seq $x2,")" -eq 2
    lab_check "attempt 3: SYN sent once" "$(lab_n client.pcap "Flags \[S\], seq $x3,")" -eq 1
    lab_check "labclient: timeout, timeout, connected" \
        "$(grep -cE '^attempt=[12] .*result=timeout$|^attempt=3 .*result=connected$' "$LAB_TMP/client-1.out")" -eq 3
    for x in "$x1" "$x2"; do
        lab_check "one late SYN+ACK(ack $(lab_seq "$x + 1")) reached the client" \
            "$(lab_n client.pcap "Flags \[S\.\].* ack $(lab_seq "$x + 1"),")" -eq 1
        lab_check "client host answered RST seq=$(lab_seq "$x + 1")" \
            "$(lab_n client.pcap "Flags \[R\], seq $(lab_seq "$x + 1"),")" -eq 1
        lab_check "server got RST seq=$(lab_seq "$x + 1")" \
            "$(lab_n server.pcap "Flags \[R\], seq $(lab_seq "$x + 1"),")" -eq 1
    done
    lab_check "the requests died: TcpExtEmbryonicRsts=2" "$(lab_nstat server TcpExtEmbryonicRsts)" -eq 2
    lab_check "100 bytes echoed on attempt 3" "$(grep -c '^data .*sent=100 received=100 result=ok' "$LAB_TMP/client-1.out")" -eq 1
    lab_truth ""
    lab_truth "# logical connects (labclient --connect-summary): what the application saw"
    lab_connect_truth 1
    lab_truth ""
    lab_truth "# RSTs"
    re1="Flags \[R\], seq $(lab_seq "$x1 + 1"),"
    re2="Flags \[R\], seq $(lab_seq "$x2 + 1"),"
    lab_rst "$(lab_frame client.pcap "$re1")" "$(lab_frame server.pcap "$re1")" client late_synack true \
        "bare RST seq = x1+1 = the ack of attempt 1's late SYN+ACK (client frame" \
        "$(lab_frame client.pcap "Flags \[S\.\].* ack $(lab_seq "$x1 + 1"),")), sent by the client host" \
        "after the application gave up on port 40001 (no socket left); with the other RST," \
        "TcpExtEmbryonicRsts=2 on the server"
    lab_rst "$(lab_frame client.pcap "$re2")" "$(lab_frame server.pcap "$re2")" client late_synack true \
        "bare RST seq = x2+1 = the ack of attempt 2's late SYN+ACK (client frame" \
        "$(lab_frame client.pcap "Flags \[S\.\].* ack $(lab_seq "$x2 + 1"),")), sent by the client host" \
        "after the application gave up on port 40002 (no socket left); with the other RST," \
        "TcpExtEmbryonicRsts=2 on the server"
}
lab_finish
