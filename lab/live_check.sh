#!/usr/bin/env bash
# lab/live_check.sh TCPWHY [OUTDIR]: live mode (issue 9) in the lab.
#
# Runs `tcpwhy -i eth0 --format json` inside the client namespace (default
# filter) while the client makes three connections, the usual tcpdump
# captures running alongside:
#   port 9999  nothing listens: refused       (decidable at the RST)
#   port 8080  labserver, 100 bytes echoed: ok (decidable 3 s after the ACK)
#   port 8081  the router drops every SYN, connect timeout 2.5 s: timeout
#              (SYNs at 0, 1, 2 s; decidable once quiet for twice the last
#              gap, at about 4 s)
# Each line tcpwhy writes is stamped with the wall clock as it arrives. Then
# tcpwhy is stopped with SIGINT and the captures are closed, and the check
# is that (1) `tcpwhy --format json client.pcap` (offline, the same traffic)
# gives the same attempts (client endpoint, ISN) with the same verdicts as
# the live run, (2) each live verdict line arrived no earlier than its
# verdict was decidable and at most 1 s after (decidable: computed from the
# offline record's evidence timestamps with the rules' own delays), and (3)
# the summary record carries capture_drops. Exit 0 pass, 1 fail, 77 skipped
# (not root, no namespaces, no jq). Takes about 12 s.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
skip() { echo "live_check: SKIP: $*"; exit 77; }
[ $# -ge 1 ] || { echo "usage: $0 TCPWHY [OUTDIR]" >&2; exit 2; }
[ "$(id -u)" = 0 ] || skip "not root (the lab creates network namespaces)"
for t in ip nft tcpdump nstat jq; do
    command -v "$t" >/dev/null || skip "$t not installed"
done
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

# The scenario runs in a child shell (lib.sh's traps and set -e stay there);
# it writes the live output and the captures into $out.
bash -s "$out" "$TCPWHY" <<'EOF'
. "$LAB_DIR_HERE/lib.sh"
lab_init "$1"
TCPWHY=$2
lab_server "$SRV" "$SERVER_PORT" --exit-after-ms 9000
lab_nft_add "$IPX saddr $CLI tcp dport 8081 tcp flags & (syn | ack) == syn counter drop comment \"drop SYNs to 8081\"" >/dev/null
lab_capture_start

# tcpwhy live in the client namespace; a reader stamps each line on arrival
mkfifo "$LAB_TMP/live.fifo"
( trap - EXIT; while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done \
    < "$LAB_TMP/live.fifo" > "$LAB_OUT/live.stamped" ) &
reader=$!
lab_tcpwhy "$NS_C" "$LAB_TMP/live.fifo" "$LAB_OUT/live.err" -i eth0 --format json --stats-interval 2
live=$LAB_TW_PID
echo "start $EPOCHREALTIME" > "$LAB_OUT/live.times"

lab_client_bg t "$SRV" 8081 --bind-port 40003 --connect-timeout-ms 2500
lab_client r "$SRV" 9999 --bind-port 40001 --connect-timeout-ms 2000
lab_client o "$SRV" "$SERVER_PORT" --bind-port 40002 --connect-timeout-ms 2000 --send 100 --hold-ms 100
lab_clients_wait
# the last verdict (ok, 3 s after its ACK; timeout, about 4 s after its
# first SYN) is due about 4 s from the start: wait for it, with a margin
sleep 3.5
echo "stop $EPOCHREALTIME" >> "$LAB_OUT/live.times"
kill -INT "$live"
wait "$live" && live_rc=0 || live_rc=$?
echo "live_rc $live_rc" >> "$LAB_OUT/live.times"
wait "$reader" || true
lab_expect_port 40003 timeout
lab_expect_port 40001 refused
lab_expect_port 40002 ok
lab_finish
EOF
rc=$?
[ "$rc" = 0 ] || { echo "live_check: FAIL: the scenario did not run (exit $rc)"; exit 1; }

fail=0
bad() { echo "live_check: FAIL: $*"; fail=1; }
stamped=$out/live.stamped
grep -q '^live_rc 1$' "$out/live.times" || bad "tcpwhy -i exit status: $(sed -n 's/^live_rc //p' "$out/live.times") (1 expected: two attempts failed)"
[ -s "$out/live.err" ] && ! grep -qv 'listening on' "$out/live.err" || bad "stderr: $(cat "$out/live.err")"

# offline: the same traffic from the capture tcpdump wrote
"$TCPWHY" --format json "$out/client.pcap" > "$out/offline.jsonl"
# "client isn verdict decidable_s" per offline attempt. Decidable: a RST or
# ICMP error at once (its time); a completed handshake 3 s after its last
# SYN, SYN+ACK or ACK; a timeout once quiet for more than twice its last
# SYN gap (at least 1 s): rules.c, tw_diagnose_settled_at and outcome_known.
jq -r 'def t: sub("\\.(?<f>[0-9]+)Z$"; "Z") as $s | ($s | fromdateiso8601) +
            ((capture("\\.(?<f>[0-9]+)Z$").f) as $f | ($f | tonumber) / pow(10; $f | length));
    select(.type == "attempt") |
    [.evidence[] | select(.role | test("^(syn|syn_retrans|synack|synack_retrans|ack)$")) | .ts | t] as $hs |
    [.evidence[] | select(.role | test("^syn")) | select(.role | test("synack") | not) | .ts | t] as $syns |
    (if .verdict == "ok" or .verdict == "ok_after_retrans" then ($hs | max) + 3
     elif .verdict == "timeout" then
        ($syns | length) as $n |
        (if $n > 1 then ([($syns[$n-1] - $syns[$n-2]), 1] | max) else 1 end) as $gap |
        ($syns | max) + 2 * $gap
     else ([.evidence[].ts | t] | max) end) as $due |
    "\(.client) \(.client_isn) \(.verdict) \($due)"' "$out/offline.jsonl" > "$out/offline.due" ||
    bad "cannot read the offline records"
# "arrival client isn verdict" per live attempt line
sed -n 's/^\([0-9.]*\) \({"type":"attempt".*\)/\1 \2/p' "$stamped" |
    while read -r at json; do
        printf '%s %s\n' "$at" "$(printf '%s' "$json" | jq -r '"\(.client) \(.client_isn) \(.verdict)"')"
    done > "$out/live.arrived"
n_off=$(wc -l < "$out/offline.due")
n_live=$(wc -l < "$out/live.arrived")
[ "$n_off" = 3 ] || bad "offline analysis gave $n_off attempts, 3 expected"
[ "$n_live" = "$n_off" ] || bad "live run wrote $n_live attempt records, offline $n_off"
while read -r client isn verdict due; do
    line=$(awk -v c="$client" -v i="$isn" '$2 == c && $3 == i' "$out/live.arrived")
    if [ -z "$line" ]; then bad "$client isn $isn ($verdict offline): no live record"; continue; fi
    set -- $line
    [ "$4" = "$verdict" ] || bad "$client isn $isn: live $4, offline $verdict"
    late=$(awk -v a="$1" -v d="$due" 'BEGIN { printf "%.3f", a - d }')
    echo "live_check: $client $verdict: written $late s after it was decidable"
    awk -v l="$late" 'BEGIN { exit !(l >= -0.05 && l <= 1.0) }' ||
        bad "$client $verdict: written $late s after it was decidable (0 to 1 s expected)"
done < "$out/offline.due"
grep '"type":"summary"' "$stamped" | grep -q '"capture_drops":0' || bad "no capture_drops (0) in the summary record"
grep -q '"type":"stats"' "$stamped" || bad "no stats record (--stats-interval 2)"
[ "$fail" = 0 ] && echo "live_check: PASS ($n_live attempts, verdicts as offline, each within 1 s)"
exit "$fail"
