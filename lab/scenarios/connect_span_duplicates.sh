#!/usr/bin/env bash
# connect_span_duplicates: a "mirrored" capture that holds every packet
# twice within microseconds, as a SPAN or mirror port copying both the
# ingress and the egress of a device does. Besides the usual four captures,
# tcpdump runs on "any" in the ROUTER namespace (router-any.pcap, Linux
# cooked v2): every forwarded packet shows once as it comes in on one
# interface (rc or rs, direction In) and once as it leaves on the other
# (Out), a few microseconds apart. Three clean connections (ports
# 40001-40003, 100 bytes echoed, FIN close) and one refused one (port
# 40004 to port 8081, where nothing listens: RST/ACK). No fault on the
# router. The heartbeats go to the router itself and are not forwarded, so
# they show once. truth.txt records `duplicates=N`: the packets
# router-any.pcap holds twice (a pair: same tcpdump line apart from the
# interface and direction, one copy In on one interface and one Out on the
# other, less than 1 ms apart), counted from `tcpdump -nr`.
#
# The two copies are not byte-identical: the router decrements the TTL (hop
# limit) and rewrites the Ethernet addresses (SLL2 keeps the source MAC), so
# the IP header checksum differs too; the TCP segment (ports, sequence
# numbers, options, payload) and the IP id are the same.
#
# Observed on 6.18: 3 x (SYN, SYN+ACK, ACK, 100 bytes each way and their
# ACKs, FIN, FIN, ACK) and SYN, RST/ACK for the refused one, every one of
# them twice in router-any.pcap, the copies a few to about 50 microseconds
# apart (In, then Out). tcpdump -r names the interfaces after whatever has
# their index where the file is read (SLL2 records only the index).
. "$(dirname "$0")/../lib.sh"
lab_init "${1:-}"
lab_server "$SRV" "$SERVER_PORT" --exit-after-ms 1500
lab_cap "$NS_R" any router-any.pcap
lab_capture_start
for p in 1 2 3; do
    lab_client "$p" "$SRV" "$SERVER_PORT" --bind-port "4000$p" --connect-timeout-ms 2000 --send 100 --hold-ms 100
    lab_expect ok
done
lab_client 4 "$SRV" 8081 --bind-port 40004 --connect-timeout-ms 2000
lab_expect refused
lab_server_wait
# lab_dups FILE: "PAIRS SINGLES MAX_GAP_US" for a capture on "any": a pair is
# two packets with the same tcpdump line (-n -S) apart from the time, the
# interface and the direction, one In and one Out on different interfaces,
# less than 1 ms apart.
lab_dups() {
    tcpdump -nr "$LAB_OUT/$1" -S -tt 2>/dev/null | awk '
        { t = $1; ifc = $2; dir = $3; k = $0; sub(/^[^ ]+ +[^ ]+ +[^ ]+ +/, "", k)
          if ((k in pt) && pifc[k] != ifc && pdir[k] != dir && t - pt[k] < 0.001) {
              g = (t - pt[k]) * 1e6; if (g > max) max = g
              pairs++; delete pt[k]; single--
          } else { pt[k] = t; pifc[k] = ifc; pdir[k] = dir; single++ }
        }
        END { printf "%d %d %.0f\n", pairs, single, max }'
}
lab_checks() {
    local d p
    for p in 1 2 3; do
        lab_check "client $p: connected, 100 bytes echoed" \
            "$(grep -c '^data .*sent=100 received=100 result=ok' "$LAB_TMP/client-$p.out")" -eq 1
    done
    lab_check "client 4: ECONNREFUSED" "$(grep -c '^attempt=1 .*result=ECONNREFUSED' "$LAB_TMP/client-4.out")" -eq 1
    lab_check "router-any.pcap is Linux cooked v2" \
        "$(tcpdump -nr "$LAB_OUT/router-any.pcap" 2>&1 >/dev/null | grep -c 'LINUX_SLL2')" -eq 1
    set -- $(lab_dups router-any.pcap)
    d=$1
    lab_check "every TCP packet of server.pcap is twice in router-any.pcap" "$d" -eq "$(lab_n server.pcap .)"
    lab_check "router-c.pcap holds as many TCP packets" "$(lab_n router-c.pcap .)" -eq "$d"
    lab_check "the packets seen once are the 4 heartbeats" "$2" -eq 4
    lab_truth ""
    lab_truth "# the mirrored capture: router-any.pcap (tcpdump -i any in the router"
    lab_truth "# namespace, Linux cooked v2): each forwarded packet In on one interface"
    lab_truth "# and Out on the other; the copies differ in TTL/hop limit and MACs"
    lab_truth "capture router-any.pcap $(tcpdump -nr "$LAB_OUT/router-any.pcap" 2>&1 >/dev/null | sed -n 's/.*link-type \([^ ]*\).*/\1/p' | head -1) $(tcpdump -nr "$LAB_OUT/router-any.pcap" 2>/dev/null | wc -l)"
    lab_truth "duplicates=$d"
    lab_truth "duplicates_singles=$2 (the heartbeats, addressed to the router)"
    lab_truth "duplicates_max_gap_us=$3"
    lab_truth "duplicates_first_pair: frames $(tcpdump -#nr "$LAB_OUT/router-any.pcap" -S 2>/dev/null | awk '/Flags \[S\]/ { print $1 }' | head -2 | paste -sd' ' -) (the first SYN, In on rc and Out on rs)"
    lab_truth ""
    lab_truth "# RSTs"
    local re="Flags \[R\.\], seq 0, ack [0-9]+"
    lab_rst "$(lab_frame client.pcap "$re")" "$(lab_frame server.pcap "$re")" server no_listener true \
        "RST/ACK seq 0 ack = the SYN's ISN + 1 from port 8081 where nothing listens;" \
        "labclient: ECONNREFUSED (client-4); also twice in router-any.pcap (frames" \
        "$(lab_frame router-any.pcap "$re") and $(lab_frame router-any.pcap "$re" 2))"
}
lab_finish
