#!/usr/bin/env bash
# bench/bench.sh [medium|big|flood|all]: speed and memory of tcpwhy against
# tcpdump on ../shared/bench/genpcap.py workloads, printed as figures.
# Files are generated under build/bench/ (never committed). Page cache warm,
# median of 3 runs, run side by side in one go since the machine is shared.
# Needs: python3 (genpcap), tcpdump, GNU time (/usr/bin/time, package "time").
# Never run two benchmarks at once on this 2-core machine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
tcpwhy=${TCPWHY:-$root/build/tcpwhy}
gen=${GENPCAP:-$root/../shared/bench/genpcap.py}
out=$root/build/bench
mkdir -p "$out"
what=${1:-medium}
[ -x "$tcpwhy" ] || { echo "bench: build tcpwhy first ($tcpwhy)" >&2; exit 2; }
[ -f "$gen" ] || { echo "bench: no genpcap.py at $gen" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench: needs GNU time (apt-get install time)" >&2; exit 2; }

make_file() { # name args...
    local name=$1
    shift
    [ -s "$out/$name.pcap" ] || python3 "$gen" "$@" --out "$out/$name.pcap" >&2
}

# median wall time (s) and max peak RSS (KiB) of 3 runs of a command
measure() {
    local i t m times=() mems=()
    for i in 1 2 3; do
        /usr/bin/time -f "%e %M" -o "$out/time.txt" "$@" > /dev/null 2>&1 || true
        read -r t m < <(tail -1 "$out/time.txt")
        times+=("$t")
        mems+=("$m")
    done
    printf '%s %s\n' "$(printf '%s\n' "${times[@]}" | sort -g | sed -n 2p)" \
        "$(printf '%s\n' "${mems[@]}" | sort -g | tail -1)"
}

run() { # name
    local f=$out/$1.pcap size packets
    size=$(stat -c %s "$f")
    packets=$(tcpdump -r "$f" -w /dev/null --count 2>/dev/null | awk '{print $1}' || echo '?')
    cat "$f" > /dev/null # warm the page cache
    read -r td_t td_m < <(measure tcpdump -r "$f" -w /dev/null)
    read -r j_t j_m < <(measure "$tcpwhy" --format json "$f")
    read -r x_t x_m < <(measure "$tcpwhy" "$f")
    echo "$1: $size bytes, $packets packets"
    printf '  %-44s %8s s %8s KiB\n' "tcpdump -r FILE -w /dev/null" "$td_t" "$td_m"
    printf '  %-44s %8s s %8s KiB  ratio %.2f\n' "tcpwhy --format json FILE" "$j_t" "$j_m" \
        "$(echo "$j_t / $td_t" | bc -l 2>/dev/null || echo 0)"
    printf '  %-44s %8s s %8s KiB  ratio %.2f\n' "tcpwhy FILE (text)" "$x_t" "$x_m" \
        "$(echo "$x_t / $td_t" | bc -l 2>/dev/null || echo 0)"
    printf '  %-44s %8.0f packets/s, %.0f ns/packet\n' "tcpwhy --format json throughput" \
        "$(echo "$packets / $j_t" | bc -l 2>/dev/null || echo 0)" \
        "$(echo "$j_t * 1000000000 / $packets" | bc -l 2>/dev/null || echo 0)"
}

# verdicts against genpcap's truth, per connection
agree() { # name
    local f=$out/$1.pcap csv=$out/$1.csv
    [ -s "$csv" ] || return 0
    "$tcpwhy" --format json "$f" > "$out/$1.jsonl" || true
    python3 - "$csv" "$out/$1.jsonl" <<'PY'
import csv, ipaddress, json, sys, collections
# genpcap's tap sees SYNs the server never answers: at that vantage it is
# the server ignoring them (or a timeout; unknown when the capture ends early)
want = {"ok": {"ok"}, "syn_timeout": {"timeout", "unknown", "server_ignored_syn"},
        "synack_lost_retx": {"ok_after_retrans"},
        "synack_lost_newisn_rst": {"synack_lost_rst"},
        "refused_rst": {"refused"}, "icmp_unreach": {"icmp_error"}}
truth = {}
for r in csv.DictReader(open(sys.argv[1])):
    ip = ipaddress.ip_address(r["client"])
    key = f"[{ip}]:{r['cport']}" if ip.version == 6 else f"{ip}:{r['cport']}"
    truth[key] = r["kind"]
first = {}
for line in open(sys.argv[2]):
    o = json.loads(line)
    if o.get("type") == "attempt" and o["client"] not in first:
        first[o["client"]] = o["verdict"]
good, bad = 0, collections.Counter()
for key, kind in truth.items():
    if first.get(key) in want.get(kind, set()):
        good += 1
    else:
        bad[(kind, first.get(key))] += 1
print(f"  verdicts agree with genpcap's truth for {good} of {len(truth)} connections"
      f" ({100.0 * good / max(1, len(truth)):.2f} %)")
for (kind, got), n in bad.most_common(5):
    print(f"    {n} x truth {kind}, tcpwhy said {got}")
PY
}

echo "machine: $(nproc) cores, $(uname -r); tcpwhy $("$tcpwhy" --version | awk '{print $2}')"
case $what in
    medium|all)
        make_file medium --conns 30000 --seed 1 --truth "$out/medium.csv"
        run medium; agree medium ;;&
    big|all)
        make_file big --conns 150000 --seed 2 --truth "$out/big.csv"
        run big; agree big ;;&
    flood|all)
        make_file flood --syn-flood 2000000 --seed 3
        run flood
        "$tcpwhy" --format json "$out/flood.pcap" | tail -1 |
            sed 's/.*"peak":\([0-9]*\),"evicted":\([0-9]*\).*/  flood: peak flows \1, judged early (evicted) \2/' ;;
    medium|big|flood|all) ;;
    *) sed -n '2,8p' "$0" >&2; exit 2 ;;
esac
