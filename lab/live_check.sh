#!/usr/bin/env bash
# lab/live_check.sh TCPWHY [OUTDIR]: live mode (issues 9 and 10) in the lab.
#
# Five `tcpwhy -i ... --format json` watch one run at once, each beside a
# tcpdump capture of the same interface:
#   client      the client's eth0, default filter, -Z nobody, --stats-interval 2
#   client_all  the client's eth0, --no-default-filter, -B 16384
#   router_c    the router's rc (towards the client)
#   router_s    the router's rs (towards the server)
#   router_any  the router's "any" (every packet twice: in on one side, out
#               on the other)
# while the client makes:
#   port 9999  nothing listens: refused       (decidable at the RST)
#   port 9998  refused twice, from 40004 then 40005 0.3 s later: one connect
#              of two attempts (decidable 3 s after the second RST)
#   port 8080  labserver, 100 bytes echoed: ok (decidable 3 s after the ACK)
#   port 8081  the router drops every SYN, connect timeout 2.5 s: timeout
#              (SYNs at 0, 1, 2 s; decidable once quiet for twice the last
#              gap, at about 4 s); router_s and the server never see it
# Each line a watcher writes is stamped with the wall clock as it arrives.
# Then the watchers get SIGINT and the captures are closed, and for each
# watcher the check is that (1) `tcpwhy --format json CAPTURE` (offline, the
# same traffic) gives the same attempts (client endpoint, ISN) with the same
# verdicts, and the same connect records (ports, verdicts, outcome), (2)
# each live attempt and connect record arrived no earlier than it was
# decidable and at most 1 s after (decidable: computed from the offline
# records with the rules' own delays), (3) the summary carries
# capture_drops. And: `client` ran as nobody once the interface was open
# (/proc/PID/status) and still reported; `client_all`'s ring (its socket
# mapping in /proc/PID/maps) is at least the 16384 KiB -B asked for while
# `client`'s is smaller, and it counted the UDP datagrams the default filter
# leaves out; `router_c` infers vantage client (docs/verdicts.md) and
# `router_any` counts duplicates. Exit 0 pass, 1 fail, 77 skipped (not
# root, no namespaces, no jq). Takes about 13 s.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
skip() { echo "live_check: SKIP: $*"; exit 77; }
[ $# -ge 1 ] || { echo "usage: $0 TCPWHY [OUTDIR]" >&2; exit 2; }
[ "$(id -u)" = 0 ] || skip "not root (the lab creates network namespaces)"
for t in ip nft tcpdump nstat jq; do
    command -v "$t" >/dev/null || skip "$t not installed"
done
getent passwd nobody >/dev/null || skip "no user nobody (-Z)"
probe=twlive$$
ip netns add "$probe" 2>/dev/null || skip "ip netns unavailable"
ip netns del "$probe"
TCPWHY=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
[ -x "$TCPWHY" ] || { echo "live_check: no tcpwhy at $1" >&2; exit 2; }
out=${2:-}
if [ -z "$out" ]; then
    out=$(mktemp -d /tmp/tcpwhy-live.XXXXXX)
    [ "${LAB_KEEP:-0}" = 1 ] || trap 'rm -rf "$out"' EXIT
fi
export LAB_SCENARIO=live_check LAB_DIR_HERE=$here
WATCHERS="client client_all router_c router_s router_any"

# The scenario runs in a child shell (lib.sh's traps and set -e stay there);
# it writes the live output and the captures into $out.
bash -s "$out" "$TCPWHY" <<'EOF'
. "$LAB_DIR_HERE/lib.sh"
lab_init "$1"
TCPWHY=$2
lab_server "$SRV" "$SERVER_PORT" --exit-after-ms 9000
lab_nft_add "$IPX saddr $CLI tcp dport 8081 tcp flags & (syn | ack) == syn counter drop comment \"drop SYNs to 8081\"" >/dev/null
lab_cap "$NS_R" any router-any.pcap
lab_capture_start

# watch NAME NS ARGS...: tcpwhy live, a reader stamping each line on arrival
declare -A live_pid reader_pid
watch() {
    local name=$1 ns=$2
    shift 2
    mkfifo "$LAB_TMP/$name.fifo"
    ( trap - EXIT; while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done \
        < "$LAB_TMP/$name.fifo" > "$LAB_OUT/$name.stamped" ) &
    reader_pid[$name]=$!
    lab_tcpwhy "$ns" "$LAB_TMP/$name.fifo" "$LAB_OUT/$name.err" "$@"
    live_pid[$name]=$LAB_TW_PID
}
watch client "$NS_C" -i eth0 --format json --stats-interval 2 -Z nobody
watch client_all "$NS_C" -i eth0 --format json --no-default-filter -B 16384
watch router_c "$NS_R" -i rc --format json
watch router_s "$NS_R" -i rs --format json
watch router_any "$NS_R" -i any --format json
ring_kib() { # the packet ring: the process's socket mapping
    grep 'socket:' "/proc/$1/maps" | awk '{ split($1, a, "-"); print a[1], a[2] }' |
        while read -r a b; do echo $(( (0x$b - 0x$a) / 1024 )); done | head -1
}
{
    echo "start $EPOCHREALTIME"
    echo "client_uid $(awk '/^Uid:/ { print $2, $3 }' "/proc/${live_pid[client]}/status")"
    echo "client_ring_kib $(ring_kib "${live_pid[client]}")"
    echo "client_all_ring_kib $(ring_kib "${live_pid[client_all]}")"
} > "$LAB_OUT/live.times"
# UDP the default filter leaves out, while the watchers run
for _ in 1 2 3; do lab_heartbeat live; done

lab_client_bg t "$SRV" 8081 --bind-port 40003 --connect-timeout-ms 2500
lab_client r "$SRV" 9999 --bind-port 40001 --connect-timeout-ms 2000
lab_client_bg c "$SRV" 9998 --bind-port 40004 --new-port-per-attempt --attempts 2 \
    --retry-delay-ms 300 --connect-summary
lab_client o "$SRV" "$SERVER_PORT" --bind-port 40002 --connect-timeout-ms 2000 --send 100 --hold-ms 100
lab_clients_wait
# the last verdict (ok, 3 s after its ACK; timeout, about 4 s after its
# first SYN; the connect, 3 s after its second RST) is due about 4 s from
# the start: wait for it, with a margin
sleep 3.5
echo "stop $EPOCHREALTIME" >> "$LAB_OUT/live.times"
for name in "${!live_pid[@]}"; do kill -INT "${live_pid[$name]}"; done
for name in "${!live_pid[@]}"; do
    wait "${live_pid[$name]}" && rc=0 || rc=$?
    echo "live_rc $name $rc" >> "$LAB_OUT/live.times"
    wait "${reader_pid[$name]}" || true
done
lab_expect_port 40003 timeout
lab_expect_port 40001 refused
lab_expect_port 40004 refused
lab_expect_port 40005 refused
lab_expect_port 40002 ok
lab_checks() {
    lab_connect_truth c
}
lab_finish
EOF
rc=$?
[ "$rc" = 0 ] || { echo "live_check: FAIL: the scenario did not run (exit $rc)"; exit 1; }

fail=0
bad() { echo "live_check: FAIL: $*"; fail=1; }
times=$out/live.times
# JSON time to epoch seconds, with its fraction
jq_time='def t: sub("\\.(?<f>[0-9]+)Z$"; "Z") as $s | ($s | fromdateiso8601) +
            ((capture("\\.(?<f>[0-9]+)Z$").f) as $f | ($f | tonumber) / pow(10; $f | length));'

# check_watcher NAME CAPTURE: the live records of watcher NAME against the
# offline analysis of CAPTURE (the same interface, captured by tcpdump).
check_watcher() {
    local name=$1 cap=$2 stamped=$out/$1.stamped n_off n_live line late
    grep -q "^live_rc $name 1\$" "$times" ||
        bad "$name: exit status $(sed -n "s/^live_rc $name //p" "$times") (1 expected: attempts failed)"
    [ -s "$out/$name.err" ] && ! grep -qv 'listening on' "$out/$name.err" || bad "$name: stderr: $(cat "$out/$name.err")"
    "$TCPWHY" --format json "$cap" > "$out/$name.offline.jsonl"
    # "key verdict decidable_s" per offline attempt and connect record.
    # Decidable: a RST or ICMP error at once (its time); a completed
    # handshake 3 s after its last SYN, SYN+ACK or ACK; a timeout once quiet
    # for more than twice its last SYN gap (at least 1 s): rules.c,
    # tw_diagnose_settled_at and outcome_known. A connect 3 s after its end
    # (the ACK of its last attempt, or its last packet when it failed):
    # connect.c, tw_connect_is_final.
    jq -r "$jq_time"'
        if .type == "attempt" then
            [.evidence[] | select(.role | test("^(syn|syn_retrans|synack|synack_retrans|ack)$")) | .ts | t] as $hs |
            [.evidence[] | select(.role | test("^syn")) | select(.role | test("synack") | not) | .ts | t] as $syns |
            (if .verdict == "ok" or .verdict == "ok_after_retrans" then ($hs | max) + 3
             elif .verdict == "timeout" then
                ($syns | length) as $n |
                (if $n > 1 then ([($syns[$n-1] - $syns[$n-2]), 1] | max) else 1 end) as $gap |
                ($syns | max) + 2 * $gap
             else ([.evidence[].ts | t] | max) end) as $due |
            "attempt:\(.client):\(.client_isn) \(.verdict) \($due)"
        elif .type == "connect" then
            "connect:\(.client):\(.client_ports | map(tostring) | join(",")) \(.outcome):\(.verdicts | join(",")) \((.start | t) + .duration_s + 3)"
        else empty end' "$out/$name.offline.jsonl" > "$out/$name.offline.due" ||
        bad "$name: cannot read the offline records"
    # "arrival key verdict" per live attempt and connect record
    sed -n 's/^\([0-9.]*\) \({"type":"\(attempt\|connect\)".*\)/\1 \2/p' "$stamped" |
        while read -r at json; do
            printf '%s %s\n' "$at" "$(printf '%s' "$json" | jq -r '
                if .type == "attempt" then "attempt:\(.client):\(.client_isn) \(.verdict)"
                else "connect:\(.client):\(.client_ports | map(tostring) | join(",")) \(.outcome):\(.verdicts | join(","))" end')"
        done > "$out/$name.arrived"
    n_off=$(wc -l < "$out/$name.offline.due")
    n_live=$(wc -l < "$out/$name.arrived")
    [ "$n_off" -ge 3 ] || bad "$name: offline analysis gave $n_off records, at least 3 expected"
    [ "$n_live" = "$n_off" ] || bad "$name: live run wrote $n_live attempt and connect records, offline $n_off"
    while read -r key verdict due; do
        line=$(awk -v k="$key" '$2 == k' "$out/$name.arrived")
        if [ -z "$line" ]; then bad "$name: $key ($verdict offline): no live record"; continue; fi
        set -- $line
        [ "$3" = "$verdict" ] || bad "$name: $key: live $3, offline $verdict"
        late=$(awk -v a="$1" -v d="$due" 'BEGIN { printf "%.3f", a - d }')
        echo "live_check: $name ${key%%:*} ${key#*:} $verdict: written $late s after it was decidable"
        awk -v l="$late" 'BEGIN { exit !(l >= -0.05 && l <= 1.0) }' ||
            bad "$name: $key $verdict: written $late s after it was decidable (0 to 1 s expected)"
    done < "$out/$name.offline.due"
    grep '"type":"summary"' "$stamped" | grep -q '"capture_drops":0' || bad "$name: no capture_drops (0) in the summary record"
}
summary() { grep '"type":"summary"' "$out/$1.stamped" | sed 's/^[0-9.]* //' | jq -r ".$2"; }

check_watcher client "$out/client.pcap"
check_watcher client_all "$out/client.pcap"
check_watcher router_c "$out/router-c.pcap"
check_watcher router_s "$out/router-s.pcap"
check_watcher router_any "$out/router-any.pcap"
# a connect of two attempts, written as soon as it was final (issue 10)
grep -q '^connect:198.18.1.2:40004,40005 failed:refused,refused ' "$out/client.offline.due" ||
    bad "client: no connect 40004,40005 failed:refused,refused offline"
grep -q '"type":"stats"' "$out/client.stamped" || bad "client: no stats record (--stats-interval 2)"
# the flow table's counters, as the man page lists them
grep '"type":"stats"' "$out/client.stamped" | tail -n 1 |
    grep -Eq '"flows_live":[0-9]+,"flows_peak":[0-9]+,"flows_capacity":[0-9]+,"flows_unsettled":[0-9]+,"evicted":[0-9]+,"released":[0-9]+,"expired":[0-9]+' ||
    bad "client: the stats record lacks the flow table's counters"
# failures per server while the capture runs, not only at the end: the
# refused attempt to port 9999 is written within about a second
stop_at=$(sed -n 's/^stop //p' "$times")
sf_at=$(grep '"type":"server_failures"' "$out/client.stamped" | grep -m1 ':9999"' | cut -d' ' -f1)
if [ -z "$sf_at" ]; then
    bad "client: no server_failures record for port 9999"
else
    awk -v a="$sf_at" -v s="$stop_at" 'BEGIN { exit !(a < s) }' ||
        bad "client: the server_failures record for port 9999 came at the end ($sf_at), not live (stop $stop_at)"
    echo "live_check: client: failures at port 9999 written $(awk -v a="$sf_at" -v s="$stop_at" 'BEGIN { printf "%.1f", s - a }') s before the capture stopped"
fi
# -Z nobody: the process gave up root once the interface was open
nobody=$(id -u nobody)
grep -q "^client_uid $nobody $nobody\$" "$times" ||
    bad "client: -Z nobody: uid $(sed -n 's/^client_uid //p' "$times"), $nobody expected"
# -B 16384: a ring of at least that size; the default is smaller
ring_all=$(sed -n 's/^client_all_ring_kib //p' "$times")
ring_def=$(sed -n 's/^client_ring_kib //p' "$times")
[ "${ring_all:-0}" -ge 16384 ] && [ "${ring_def:-0}" -gt 0 ] && [ "$ring_def" -lt 16384 ] ||
    bad "-B 16384: packet ring $ring_all KiB (at least 16384 expected), $ring_def KiB without -B"
# --no-default-filter: the UDP the default filter leaves out is counted
p_all=$(summary client_all packets) p_def=$(summary client packets)
[ $((p_all - p_def)) -ge 3 ] ||
    bad "--no-default-filter counted $p_all packets, the default filter $p_def (3 UDP datagrams more expected)"
echo "live_check: packets counted on the client's eth0: $p_def with the default filter, $p_all with --no-default-filter"
for w in $WATCHERS; do
    echo "live_check: $w: vantage $(summary "$w" vantage) ($(summary "$w" vantage_why)), duplicates $(summary "$w" duplicates)"
done
[ "$(summary router_c vantage)" = client ] || bad "router_c: vantage $(summary router_c vantage), client expected (docs/verdicts.md)"
[ "$(summary router_any duplicates)" -gt 0 ] || bad "router_any: no duplicates counted"
[ "$fail" = 0 ] && echo "live_check: PASS (5 watchers: verdicts and connects as offline, each within 1 s)"
exit "$fail"
