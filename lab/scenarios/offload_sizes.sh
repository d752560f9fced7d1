#!/usr/bin/env bash
# offload_sizes: one clean connection that sends 60 kB. The client's kernel
# hands its NIC (veth, TSO/GSO on) segments of up to 64 kB, and tcpdump on
# the client sees them so; the router's interface towards the server takes
# no segment over 1500 bytes (gso_max_size), so the kernel cuts them there
# into MSS-sized segments, as a real NIC puts them on the wire. The same
# bytes are thus one packet in client.pcap and many in server.pcap: two
# captures of one transfer whose packets do not pair one to one. Correlated,
# none of them is lost or missed by a capture: they are resegmented
# (docs/correlation.md).
. "$(dirname "$0")/../lib.sh"
lab_init "${1:-}"
ip -n "$NS_R" link set dev rs gso_max_size 1500
lab_server "$SRV" "$SERVER_PORT" --exit-after-ms 3000
lab_capture_start
lab_client 1 "$SRV" "$SERVER_PORT" --bind-port 40000 --connect-timeout-ms 3000 --send 60000 --hold-ms 200
lab_expect ok
lab_server_wait
# big_segments CAPTURE: the client's segments in it of more than 1500 bytes
big_segments() {
    tcpdump -nr "$LAB_OUT/$1" 2>/dev/null | grep "$CLI.40000 >" |
        awk '{for (i = 1; i < NF; i++) if ($i == "length" && $(i + 1) + 0 > 1500) n++} END {print n + 0}'
}
lab_checks() {
    lab_check "client sent segments over 1500 bytes (GSO)" "$(big_segments client.pcap)" -gt 0
    lab_check "server got none over 1500 bytes" "$(big_segments server.pcap)" -eq 0
}
lab_finish
