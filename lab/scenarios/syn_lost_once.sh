#!/usr/bin/env bash
# syn_lost_once: the router drops the client's first SYN; the client
# retransmits it after 1 s and the handshake completes. The server sees a
# single SYN, so from there it looks like a clean handshake.
. "$(dirname "$0")/../lib.sh"
lab_init "${1:-}"
lab_server "$SRV" "$SERVER_PORT" --exit-after-ms 2500
lab_nft_add "$IPX saddr $CLI tcp dport $SERVER_PORT tcp flags & (syn | ack) == syn $IPX saddr . tcp sport != @$SEEN add @$SEEN { $IPX saddr . tcp sport } counter drop comment \"drop first SYN per flow\"" >/dev/null
lab_capture_start
lab_client 1 "$SRV" "$SERVER_PORT" --bind-port 40000 --connect-timeout-ms 3000 --send 100 --hold-ms 100
lab_expect ok_after_retrans ok_after_retrans ok
lab_server_wait
lab_checks() {
    lab_check "client sent SYN twice" "$(lab_n client.pcap 'Flags \[S\],')" -eq 2
    lab_check "server saw one SYN" "$(lab_n server.pcap 'Flags \[S\],')" -eq 1
    lab_check "one SYN+ACK" "$(lab_n server.pcap 'Flags \[S\.\]')" -eq 1
}
lab_finish
