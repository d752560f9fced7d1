#!/usr/bin/env bash
# bench/bench.sh [medium|big|flood|all|pair|pair-gb]: speed and memory of
# tcpwhy against tcpdump on ../shared/bench/genpcap.py workloads, printed as
# figures. Files are generated under build/bench/ (never committed). Page
# cache warm, median of 3 runs (RUNS=n for another count), run side by side
# in one go since the machine is shared.
# pair, pair-gb: two capture points correlated against one analysed alone
# (see pair() below; ~260 MB and ~1 GB a file).
# Needs: python3 (genpcap), tcpdump, GNU time (/usr/bin/time, package "time"),
# a C compiler (pair). Never run two benchmarks at once on this 2-core
# machine: flock /tmp/tcpwhy-bench.lock bench/bench.sh pair
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

runs=${RUNS:-3}

# median wall time (s), max peak RSS (KiB) and median CPU time (user + system,
# s) of $runs runs of a command
measure() {
    local i t m u s times=() mems=() cpus=()
    for ((i = 0; i < runs; i++)); do
        /usr/bin/time -f "%e %M %U %S" -o "$out/time.txt" "$@" > /dev/null 2>&1 || true
        read -r t m u s < <(tail -1 "$out/time.txt")
        times+=("$t")
        mems+=("$m")
        cpus+=("$(echo "$u + $s" | bc -l)")
    done
    local mid=$(((runs + 1) / 2))
    printf '%s %s %s\n' "$(printf '%s\n' "${times[@]}" | sort -g | sed -n "${mid}p")" \
        "$(printf '%s\n' "${mems[@]}" | sort -g | tail -1)" \
        "$(printf '%s\n' "${cpus[@]}" | sort -g | sed -n "${mid}p")"
}

run() { # name
    local f=$out/$1.pcap size packets
    size=$(stat -c %s "$f")
    packets=$(tcpdump -r "$f" -w /dev/null --count 2>/dev/null | awk '{print $1}' || echo '?')
    cat "$f" > /dev/null # warm the page cache
    read -r td_t td_m _ < <(measure tcpdump -r "$f" -w /dev/null)
    read -r j_t j_m _ < <(measure "$tcpwhy" --format json "$f")
    read -r x_t x_m _ < <(measure "$tcpwhy" "$f")
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

# Two capture points: genpcap writes the server side's capture;
# bench/derive_pair.c derives the client side's from it (clock 2.5 s behind
# and drifting 100 ppm, 5 ms each way, client addresses behind a NAT, 0.5 %
# of the TCP packets dropped, all deterministic). Prints one capture alone
# against both correlated (time, peak RSS, ratio; target under 2) and the
# correlation's loss records against the known drops.
pair() { # name
    local server=$out/$1.pcap client=$out/$1_client.pcap
    cc -O2 -o "$out/derive_pair" "$here/derive_pair.c"
    "$out/derive_pair" "$server" "$client" 2.5 0.005 100 5 > "$out/$1.drops"
    cat "$server" "$client" > /dev/null # warm the page cache
    read -r s_t s_m s_c < <(measure "$tcpwhy" --format json "$server")
    read -r p_t p_m p_c < <(measure "$tcpwhy" --format json "$client" "$server")
    echo "$1 pair: $(stat -c %s "$server") + $(stat -c %s "$client") bytes; median of $runs runs;" \
        "load average $(cut -d' ' -f1 /proc/loadavg)"
    printf '  %-40s %8s s wall %8s s CPU %8s KiB\n' "tcpwhy --format json SERVER (alone)" \
        "$s_t" "$s_c" "$s_m"
    printf '  %-40s %8s s wall %8s s CPU %8s KiB\n' "tcpwhy --format json CLIENT SERVER" \
        "$p_t" "$p_c" "$p_m"
    printf '  %-40s %8.2f wall (target < 2), %.2f CPU\n' "pair / single" \
        "$(echo "$p_t / $s_t" | bc -l)" "$(echo "$p_c / $s_c" | bc -l)"
    "$tcpwhy" --format json "$client" "$server" > "$out/$1.pair.jsonl" || true
    python3 - "$out/$1.drops" "$out/$1.pair.jsonl" <<'PY'
import json, sys
drops = dict(kv.split("=") for kv in open(sys.argv[1]).read().split())
rec = {}
for line in open(sys.argv[2]):
    o = json.loads(line)
    if o["type"] in ("pairing", "clock"):
        rec[o["type"]] = o
    elif o["type"] == "loss":
        rec[o["direction"]] = o
p, c = rec["pairing"], rec.get("clock", {})
c2s, s2c = rec["client_to_server"], rec["server_to_client"]
print(f"  pairing: client side {p['client_side']}, {p['matched_packets']} matched, "
      f"nat {p['nat']}, partial {p['partial']}")
print(f"  clock: offset {c.get('offset_s')} s in [{c.get('low_s')}, {c.get('high_s')}], "
      f"drift {c.get('drift_ppm')} ppm (made: 2.5 s at the start, -100 ppm)")
found_c2s = c2s["capture_missing"]
found_s2c = s2c["lost"] + s2c["capture_missing_downstream"]
print(f"  {drops['dropped_c2s']} client packets dropped: client_to_server capture_missing "
      f"{found_c2s} (lost {c2s['lost']})")
print(f"  {drops['dropped_s2c']} server packets dropped: server_to_client lost {s2c['lost']} + "
      f"capture_missing_downstream {s2c['capture_missing_downstream']} = {found_s2c}")
ok = found_c2s == int(drops["dropped_c2s"]) and found_s2c == int(drops["dropped_s2c"])
print("  loss counts " + ("match the drops" if ok else "DIFFER from the drops"))
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
    pair)
        make_file medium --conns 30000 --seed 1 --truth "$out/medium.csv"
        pair medium ;;
    pair-gb)
        make_file pair_gb --conns 115000 --seed 2
        pair pair_gb ;;
    medium|big|flood|all) ;;
    *) sed -n '2,11p' "$0" >&2; exit 2 ;;
esac
