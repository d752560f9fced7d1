#!/usr/bin/env bash
# bench/bench.sh [quick|sizes|big|flood|others|all]: speed and memory of
# tcpwhy on ../shared/bench/genpcap.py workloads, against tcpdump, a plain
# read of the file, tcptrace and tshark, printed as figures.
#   quick   the 262 MB file: times, ratios, memory, truth
#   sizes   ns per packet from 50 MB to 1.3 GB (--threads 1 and default)
#   big     big.pcap (1.3 GB): times, ratios, memory, truth
#   flood   2 M unanswered SYNs: memory, and attempts judged early
#   others  tcptrace and tshark beside tcpwhy on the 50 MB file
#   pair, pair-gb   two capture points correlated against one capture alone
#           (~260 MB and ~1 GB a file; see pair() below; not part of all)
#   all     everything (default)
# Files are generated once under build/bench/ (never committed). Every timing
# is the median wall time of 3 runs, the tools run side by side in each round
# (one after another, page cache warm), so a busy machine slows all alike;
# ratios are of medians. The whole run holds the benchmark lock
# ($BENCH_LOCK, default /tmp/tcpwhy-bench.lock): never two benchmarks at once.
# Needs: python3, cc, tcpdump, GNU time (/usr/bin/time); tcptrace and tshark
# for "others" (skipped when absent).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
tcpwhy=${TCPWHY:-$root/build/tcpwhy}
gen=${GENPCAP:-$root/../shared/bench/genpcap.py}
out=$root/build/bench
lock=${BENCH_LOCK:-/tmp/tcpwhy-bench.lock}
runs=${BENCH_RUNS:-3}
what=${1:-all}
case $what in quick|sizes|big|flood|others|all|pair|pair-gb) ;; *) sed -n '2,21p' "$0" >&2; exit 2 ;; esac
mkdir -p "$out"
[ -x "$tcpwhy" ] || { echo "bench: build tcpwhy first ($tcpwhy)" >&2; exit 2; }
[ -f "$gen" ] || { echo "bench: no genpcap.py at $gen" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench: needs GNU time (apt-get install time)" >&2; exit 2; }
if [ -z "${BENCH_LOCKED:-}" ]; then
    BENCH_LOCKED=1 exec flock "$lock" "$0" "$@"
fi
mmapread=$out/mmapread
[ "$mmapread" -nt "$here/mmapread.c" ] || cc -O2 -o "$mmapread" "$here/mmapread.c"

make_file() { # name genpcap-args...
    local name=$1
    shift
    [ -s "$out/$name.pcap" ] || python3 "$gen" "$@" --out "$out/$name.pcap" >&2
}

# Runs each command (a string; FILE is appended) $runs times, round-robin;
# sets T[cmd] to the median wall time (s), C[cmd] to the median CPU time
# (user + system, all threads; less disturbed by a busy machine than the
# wall time) and M[cmd] to the peak RSS (KiB).
declare -A T C M
median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
measure() { # file cmd...
    local f=$1 c i
    shift
    declare -A times=() cpus=()
    for c in "$@"; do M[$c]=0; done
    cat "$f" > /dev/null # warm the page cache
    for ((i = 0; i < runs; i++)); do
        for c in "$@"; do
            /usr/bin/time -f "%e %M %U %S" -o "$out/time.txt" $c "$f" > /dev/null 2>&1 || true
            read -r t m u s < <(tail -1 "$out/time.txt")
            times[$c]+="$t "
            cpus[$c]+="$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}') "
            [ "${M[$c]:-0}" -ge "$m" ] || M[$c]=$m
        done
    done
    for c in "$@"; do
        T[$c]=$(printf '%s\n' ${times[$c]} | median)
        C[$c]=$(printf '%s\n' ${cpus[$c]} | median)
    done
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
packets_of() { # exit 1 only says that attempts failed
    { "$tcpwhy" --format json --threads 1 "$1" || true; } | tail -1 | sed 's/.*"packets":\([0-9]*\).*/\1/'
}

# verdicts against genpcap's truth, per connection
agree() { # name
    local f=$out/$1.pcap csv=$out/$1.csv
    [ -s "$csv" ] || return 0
    "$tcpwhy" --format json "$f" > "$out/$1.jsonl" || true
    python3 - "$csv" "$out/$1.jsonl" <<'PY'
import csv, ipaddress, json, sys, collections
# genpcap's tap sees SYNs the server never answers: at that vantage it is
# the server ignoring them (or a timeout; unknown when the capture ends
# before the client would have given up, never because the table was full:
# an evicted attempt judged early is a wrong answer)
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
        first[o["client"]] = "evicted" if o.get("evicted") else o["verdict"]
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

# The same output whatever the thread count.
same_output() { # name
    local f=$out/$1.pcap
    "$tcpwhy" --format json --threads 1 "$f" > "$out/$1.t1.jsonl" || true
    "$tcpwhy" --format json --threads 2 "$f" > "$out/$1.t2.jsonl" || true
    if cmp -s "$out/$1.t1.jsonl" "$out/$1.t2.jsonl"; then
        echo "  output of --threads 1 and --threads 2: identical"
    else
        echo "  output of --threads 1 and --threads 2: DIFFERENT"
    fi
}

full() { # name: every figure for one file
    local f=$out/$1.pcap n
    n=$(packets_of "$f")
    local td="tcpdump -w /dev/null -r" cat="cat" mm="$mmapread"
    local t1="$tcpwhy --format json --threads 1" t2="$tcpwhy --format json --threads 2"
    local tx="$tcpwhy --threads 2" tp="$out/via-libpcap"
    # the same through libpcap's reader (standard input is never mapped)
    printf '#!/bin/sh\nexec "%s" --format json --threads 1 - < "$1"\n' "$tcpwhy" > "$tp"
    chmod +x "$tp"
    measure "$f" "$td" "$cat" "$mm" "$tp" "$t1" "$t2" "$tx"
    echo "$1: $(stat -c %s "$f") bytes, $n packets (medians of $runs: wall s, CPU s; peak RSS)"
    printf '  %-44s %7s s %6s cpu %9s KiB\n' "tcpdump -r FILE -w /dev/null" "${T[$td]}" "${C[$td]}" "${M[$td]}"
    printf '  %-44s %7s s %6s cpu   (%s x tcpdump)\n' "cat FILE > /dev/null" "${T[$cat]}" "${C[$cat]}" "$(ratio "${T[$cat]}" "${T[$td]}")"
    printf '  %-44s %7s s %6s cpu   (%s x tcpdump)\n' "mmap read (bench/mmapread.c)" "${T[$mm]}" "${C[$mm]}" "$(ratio "${T[$mm]}" "${T[$td]}")"
    local c name
    for c in "$tp" "$t1" "$t2" "$tx"; do
        name="${c#"$tcpwhy" } FILE"
        [ "$c" = "$tp" ] && name="--format json --threads 1 - < FILE (libpcap)"
        printf '  %-44s %7s s %6s cpu %9s KiB  %s x tcpdump, %s x mmap read, %.0f ns/packet\n' \
            "$name" "${T[$c]}" "${C[$c]}" "${M[$c]}" "$(ratio "${T[$c]}" "${T[$td]}")" \
            "$(ratio "${T[$c]}" "${T[$mm]}")" "$(awk -v t="${T[$c]}" -v n="$n" 'BEGIN {print t * 1e9 / n}')"
    done
    echo "  --threads 2 is $(ratio "${T[$t1]}" "${T[$t2]}") x as fast as --threads 1 (json, wall)"
    echo "  CPU: tcpwhy --threads 1 $(ratio "${C[$t1]}" "${C[$td]}") x tcpdump's, $(ratio "${C[$t1]}" "${C[$mm]}") x the mmap read's"
    same_output "$1"
    agree "$1"
}

sizes() {
    local t1="$tcpwhy --format json --threads 1" t2="$tcpwhy --format json --threads 2"
    echo "cost per packet by size (median of $runs; wall, and CPU of --threads 1):"
    printf '  %-8s %14s %10s %16s %16s %16s\n' file bytes packets "ns/pkt --thr 1" "ns/pkt --thr 2" "cpu ns/pkt thr 1"
    local name n
    for name in small medium m500 big; do
        n=$(packets_of "$out/$name.pcap")
        measure "$out/$name.pcap" "$t1" "$t2"
        printf '  %-8s %14s %10s %16.0f %16.0f %16.0f\n' "$name" "$(stat -c %s "$out/$name.pcap")" "$n" \
            "$(awk -v t="${T[$t1]}" -v n="$n" 'BEGIN {print t * 1e9 / n}')" \
            "$(awk -v t="${T[$t2]}" -v n="$n" 'BEGIN {print t * 1e9 / n}')" \
            "$(awk -v t="${C[$t1]}" -v n="$n" 'BEGIN {print t * 1e9 / n}')"
    done
}

flood() {
    local f=$out/flood.pcap c="$tcpwhy --format json"
    measure "$f" "$c"
    echo "flood: $(stat -c %s "$f") bytes, 2,000,000 unanswered SYNs to one port"
    printf '  %-44s %7s s %6s cpu %9s KiB\n' "tcpwhy --format json FILE" "${T[$c]}" "${C[$c]}" "${M[$c]}"
    { "$tcpwhy" --format json "$f" || true; } | tail -1 |
        sed 's/.*"peak":\([0-9]*\),"evicted":\([0-9]*\).*/  flows at most \1 at once; attempts judged early (memcap full): \2/'
    { "$tcpwhy" "$f" 2>&1 || true; } | grep -i "early" | head -3 | sed 's/^ */  text summary: /' || true
}

others() {
    local f=$out/small.pcap
    local td="tcpdump -w /dev/null -r" tw="$tcpwhy --format json" ttr="tcptrace -n"
    local tsh="tshark -n -q -z conv,tcp -r"
    local cmds=("$td" "$tw")
    command -v tcptrace > /dev/null && cmds+=("$ttr")
    command -v tshark > /dev/null && cmds+=("$tsh")
    measure "$f" "${cmds[@]}"
    echo "other tools on small.pcap ($(stat -c %s "$f") bytes), median of $runs:"
    local c
    for c in "${cmds[@]}"; do
        printf '  %-44s %7s s %6s cpu %9s KiB  %s x tcpdump (wall), %s x (CPU)\n' \
            "${c/#$tcpwhy/tcpwhy} FILE" "${T[$c]}" "${C[$c]}" "${M[$c]}" \
            "$(ratio "${T[$c]}" "${T[$td]}")" "$(ratio "${C[$c]}" "${C[$td]}")"
    done
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
    cat "$client" > /dev/null # warm the page cache (measure warms the server's)
    local one="$tcpwhy --format json" two="$tcpwhy --format json $client"
    # the floor: both files analysed alone at the same time, two processes,
    # nothing correlated (what a pair costs before its correlation)
    local apart=$out/$1.apart
    printf '#!/bin/sh\n"%s" --format json "%s" > /dev/null & "%s" --format json "$1" > /dev/null; wait\n' \
        "$tcpwhy" "$client" "$tcpwhy" > "$apart"
    chmod +x "$apart"
    measure "$server" "$one" "$two" "$apart"
    local s_t=${T[$one]} s_m=${M[$one]} s_c=${C[$one]} p_t=${T[$two]} p_m=${M[$two]} p_c=${C[$two]}
    echo "$1 pair: $(stat -L -c %s "$server") + $(stat -L -c %s "$client") bytes; median of $runs runs;" \
        "load average $(cut -d' ' -f1 /proc/loadavg)"
    printf '  %-40s %8s s wall %8s s CPU %8s KiB\n' "tcpwhy --format json SERVER (alone)" \
        "$s_t" "$s_c" "$s_m"
    printf '  %-40s %8s s wall %8s s CPU %8s KiB\n' "tcpwhy --format json CLIENT SERVER" \
        "$p_t" "$p_c" "$p_m"
    printf '  %-40s %8s s wall %8s s CPU\n' "both alone at once, nothing correlated" \
        "${T[$apart]}" "${C[$apart]}"
    printf '  %-40s %8s wall (target < 2), %s CPU\n' "pair / single" \
        "$(ratio "$p_t" "$s_t")" "$(ratio "$p_c" "$s_c")"
    printf '  %-40s %8s wall, %s CPU\n' "both alone at once / single (the floor)" \
        "$(ratio "${T[$apart]}" "$s_t")" "$(ratio "${C[$apart]}" "$s_c")"
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

echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/ {print $2}') GB RAM, Linux $(uname -r); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "tcpwhy $("$tcpwhy" --version | awk '{print $2}') ($(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')); $(tcpdump --version 2>&1 | head -1)"
make_file small --conns 6000 --seed 4 --truth "$out/small.csv"
make_file medium --conns 30000 --seed 1 --truth "$out/medium.csv"
case $what in sizes|big|all) make_file m500 --conns 60000 --seed 5 --truth "$out/m500.csv"
    make_file big --conns 150000 --seed 2 --truth "$out/big.csv" ;; esac
case $what in flood|all) make_file flood --syn-flood 2000000 --seed 3 ;; esac
case $what in quick) full medium ;; esac
case $what in big|all) full big ;; esac
case $what in sizes|all) sizes ;; esac
case $what in flood|all) flood ;; esac
case $what in others|all) others ;; esac
case $what in pair) pair medium ;; esac
case $what in pair-gb) make_file pair_gb --conns 115000 --seed 2; pair pair_gb ;; esac
