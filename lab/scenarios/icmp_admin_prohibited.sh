#!/usr/bin/env bash
# icmp_admin_prohibited: the router rejects the SYN with ICMP destination
# unreachable, code 13 (communication administratively prohibited). Linux
# treats it as a hard error for a socket in SYN-SENT (tcp_v4_err,
# icmp_err_convert: EHOSTUNREACH, fatal), so connect() fails at once and no
# SYN is retransmitted. LAB_FAM=6 gives icmp6_admin_prohibited (ICMPv6
# destination unreachable code 1, EACCES).
#
# Observed on 6.18 (the router's error comes back while connect() may still
# hold the socket lock; nstat TcpExtLockDroppedIcmps counts that case):
#  - IPv4, repeatedly: one SYN, the ICMP error 0.3 ms later, connect() fails
#    at once with EHOSTUNREACH, even in runs where LockDroppedIcmps=1.
#  - IPv6, repeatedly: the first ICMPv6 error (LockDroppedIcmps=1) does not
#    abort the connect; the SYN is retransmitted at 1 s, a second error
#    comes back and connect() fails with EACCES. So an icmp_error attempt
#    may hold a retransmitted SYN and several errors.
. "$(dirname "$0")/../lib.sh"
lab_init "${1:-}"
lab_server "$SRV" "$SERVER_PORT" --exit-after-ms 1500
if [ "$LAB_FAM" = 6 ]; then
    how="icmpv6 type admin-prohibited"
else
    how="icmp type admin-prohibited"
fi
lab_nft_add "$IPX saddr $CLI tcp dport $SERVER_PORT counter reject with $how comment \"ICMP admin-prohibited\"" >/dev/null
lab_capture_start
lab_client 1 "$SRV" "$SERVER_PORT" --bind-port 40000 --connect-timeout-ms 3000
lab_expect icmp_error icmp_error none
lab_server_wait
lab_checks() {
    lab_check "client got ICMP admin prohibited" "$(lab_n client.pcap 'ICMP6?.*prohibited')" -ge 1
    lab_check "server saw nothing" "$(lab_n server.pcap .)" -eq 0
}
lab_finish
