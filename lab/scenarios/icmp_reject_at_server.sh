#!/usr/bin/env bash
# icmp_reject_at_server: a host firewall on the server (nftables input
# chain in the server's namespace) rejects the SYN with ICMP destination
# unreachable, code 13 (administratively prohibited). Unlike
# icmp_admin_prohibited, where the router answers, the server's own capture
# holds the SYN and the ICMP error it sent: icmp_error at the server
# vantage too. The client's connect() fails at once (EHOSTUNREACH).
. "$(dirname "$0")/../lib.sh"
lab_init "${1:-}"
lab_server "$SRV" "$SERVER_PORT" --exit-after-ms 1500
ip netns exec "$NS_S" nft add table inet hostfw
ip netns exec "$NS_S" nft add chain inet hostfw input '{ type filter hook input priority 0; }'
ip netns exec "$NS_S" nft add rule inet hostfw input tcp dport "$SERVER_PORT" counter \
    reject with icmp type admin-prohibited
lab_truth "server_nft: inet hostfw input: tcp dport $SERVER_PORT reject with icmp type admin-prohibited"
lab_capture_start
lab_client 1 "$SRV" "$SERVER_PORT" --bind-port 40000 --connect-timeout-ms 3000
lab_expect icmp_error icmp_error icmp_error
lab_server_wait
lab_checks() {
    lab_check "client got ICMP admin prohibited" "$(lab_n client.pcap 'ICMP.*prohibited')" -ge 1
    lab_check "server saw the SYN" "$(lab_n server.pcap 'Flags \[S\],')" -ge 1
    lab_check "server sent the ICMP error" "$(lab_n server.pcap 'ICMP.*prohibited')" -ge 1
}
lab_finish
