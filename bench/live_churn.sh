#!/usr/bin/env bash
# bench/live_churn.sh [-d SECONDS] [-n SAMPLE_SECONDS] [-s STREAMS] [OUTDIR]:
# tcpwhy -i under steady connection churn in the lab (issue 9), its memory
# and CPU over time.
#
# Builds the lab's client - router - server namespaces (lab/lib.sh), starts
# labserver on 198.18.2.2:8080 and STREAMS (default 4) labclient loops in the
# client namespace, each connecting, sending 100 bytes, reading the echo and
# closing, 25 ms apart, for SECONDS (default 600). The router fails one in
# eight of them by the client's source port (Linux picks even ephemeral
# ports for connect()): sport & 30 == 0 gets a forged RST (refused), sport &
# 30 == 2 has its SYNs dropped (timeout: the client gives up after 1 s).
# `tcpwhy -i eth0 --format json --stats-interval 10` watches the client's
# interface (default filter); every SAMPLE_SECONDS (default 30) its RSS and
# CPU time are read from /proc and printed as one row, with the stats
# record's live flows and the attempts written so far. The final line has
# the peak RSS, the mean CPU and the verdict counts against what the
# clients saw (connected / ECONNREFUSED / timeout lines).
#
# Root, iproute2, nftables, tcpdump, jq. Traffic stays in the namespaces
# (198.18.0.0/15). Hold the benchmark lock: flock /tmp/tcpwhy-bench.lock ...
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
duration=600 sample=30 streams=4
while getopts d:n:s: o; do
    case $o in
        d) duration=$OPTARG ;;
        n) sample=$OPTARG ;;
        s) streams=$OPTARG ;;
        *) echo "usage: $0 [-d SECONDS] [-n SAMPLE_SECONDS] [-s STREAMS] [OUTDIR]" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
out=${1:-$root/build/bench/live_churn}
export TCPWHY=${TCPWHY:-$root/build/tcpwhy} LAB_BIN=${LAB_BIN:-$root/build/lab/tools}
[ -x "$TCPWHY" ] || { echo "live_churn: build tcpwhy first ($TCPWHY)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "live_churn: must run as root (network namespaces)" >&2; exit 2; }
command -v jq >/dev/null || { echo "live_churn: needs jq" >&2; exit 2; }
export LAB_SCENARIO=live_churn BENCH_DURATION=$duration BENCH_SAMPLE=$sample BENCH_STREAMS=$streams
export BENCH_LIB=$root/lab/lib.sh

bash -s "$out" <<'EOF'
. "$BENCH_LIB"
lab_init "$1"
d=$BENCH_DURATION
lab_server "$SRV" "$SERVER_PORT" --exit-after-ms $(( (d + 30) * 1000 ))
lab_nft_add "$IPX saddr $CLI tcp dport 8080 tcp sport & 30 == 0 tcp flags & (syn | ack) == syn counter reject with tcp reset comment \"refused\"" >/dev/null
lab_nft_add "$IPX saddr $CLI tcp dport 8080 tcp sport & 30 == 2 tcp flags & (syn | ack) == syn counter drop comment \"timeout\"" >/dev/null

lab_tcpwhy "$NS_C" "$LAB_OUT/live.jsonl" "$LAB_OUT/live.err" -i eth0 --format json --stats-interval 10
tw=$LAB_TW_PID
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$tw/stat"; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$tw/status"; }
t0=$(date +%s.%N) c0=$(cpu_ticks)

clients=()
for i in $(seq "$BENCH_STREAMS"); do
    ip netns exec "$NS_C" timeout "$d" "$LABCLIENT" "$SRV" "$SERVER_PORT" --attempts 10000000 \
        --reconnect --retry-delay-ms 25 --connect-timeout-ms 1000 --send 100 \
        > "$LAB_TMP/churn-$i.out" 2>&1 &
    LAB_PIDS+=($!)
    clients+=($!)
done

printf '%8s %10s %8s %10s %12s %11s\n' t_s rss_kib cpu_pct cpu_s flows_live attempts_out
peak=0 prev_t=$t0 prev_c=$c0 rows=0
while :; do
    sleep "$BENCH_SAMPLE"
    now=$(date +%s.%N) c=$(cpu_ticks) rss=$(rss_kib)
    [ "$rss" -gt "$peak" ] && peak=$rss
    flows=$(grep '"type":"stats"' "$LAB_OUT/live.jsonl" | tail -1 | jq -r .flows_live) || true
    n_att=$(grep -c '"type":"attempt"' "$LAB_OUT/live.jsonl") || true
    awk -v t="$now" -v t0="$t0" -v pt="$prev_t" -v c="$c" -v pc="$prev_c" -v c0="$c0" -v hz="$hz" \
        -v rss="$rss" -v fl="${flows:-?}" -v n="$n_att" 'BEGIN {
            printf "%8.0f %10d %8.1f %10.2f %12s %11d\n", t - t0, rss,
                100 * (c - pc) / hz / (t - pt), (c - c0) / hz, fl, n }'
    printf '%s %s %s\n' "$now" "$c" "$rss" >> "$LAB_OUT/samples.txt"
    prev_t=$now prev_c=$c
    rows=$((rows + 1))
    awk -v t="$now" -v t0="$t0" -v d="$d" 'BEGIN { exit !(t - t0 >= d) }' && break
done
for pid in "${clients[@]}"; do wait "$pid" || true; done
sleep 4   # the last verdicts (ok: 3 s after the ACK)
cpu_end=$(cpu_ticks) t_end=$(date +%s.%N)
kill -INT "$tw"
wait "$tw" || true
cat "$LAB_TMP"/churn-*.out > "$LAB_OUT/clients.out"
got() { jq -r --arg v "$1" 'select(.type == "attempt" and .verdict == $v) | .verdict' "$LAB_OUT/live.jsonl" | wc -l; }
sum=$(grep '"type":"summary"' "$LAB_OUT/live.jsonl")
printf 'live_churn: %s s, %s streams: peak RSS %d KiB, mean CPU %.1f %% of one core; ' \
    "$d" "$BENCH_STREAMS" "$peak" "$(awk -v c="$cpu_end" -v c0="$c0" -v hz="$(getconf CLK_TCK)" -v t="$t_end" -v t0="$t0" 'BEGIN { print 100 * (c - c0) / hz / (t - t0) }')"
printf 'clients: %d connected, %d refused, %d timeout; tcpwhy: ok %d, refused %d, timeout %d, other %d; connects %s; capture_drops %s\n' \
    "$(grep -c 'result=connected' "$LAB_OUT/clients.out")" "$(grep -c 'result=ECONNREFUSED' "$LAB_OUT/clients.out")" \
    "$(grep -c 'result=timeout' "$LAB_OUT/clients.out")" "$(got ok)" "$(got refused)" "$(got timeout)" \
    "$(jq -r 'select(.type == "attempt" and (.verdict | test("^(ok|refused|timeout)$") | not)) | .verdict' "$LAB_OUT/live.jsonl" | wc -l)" \
    "$(printf '%s' "$sum" | jq -r .connects)" "$(printf '%s' "$sum" | jq -r .capture_drops)"
EOF
