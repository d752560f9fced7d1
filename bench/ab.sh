#!/usr/bin/env bash
# bench/ab.sh RUNS "BINARY..." [TCPWHY ARGS...]: side-by-side wall and CPU
# times of two or more tcpwhy builds on one file (default build/bench/big.pcap,
# or $AB_FILE), one after another in each round so that a busy machine slows
# them alike; prints each binary's times and medians. How the per-change
# figures in bench/README.md were measured (e.g. a build of the commit before
# a change against a build of the change). Holds the benchmark lock.
#   bench/ab.sh 7 "/tmp/before/tcpwhy build/tcpwhy" --format json --threads 2
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lock=${BENCH_LOCK:-/tmp/tcpwhy-bench.lock}
if [ -z "${BENCH_LOCKED:-}" ]; then
    BENCH_LOCKED=1 exec flock "$lock" "$0" "$@"
fi
[ $# -ge 2 ] || { sed -n '2,8p' "$0" >&2; exit 2; }
runs=$1 bins=$2
shift 2
file=${AB_FILE:-$here/../build/bench/big.pcap}
[ -x /usr/bin/time ] || { echo "ab: needs GNU time" >&2; exit 2; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
cat "$file" > /dev/null # warm the page cache
for ((i = 0; i < runs; i++)); do
    for b in $bins; do
        /usr/bin/time -f "$b %e %U %S" -a -o "$out" "$b" "$@" "$file" > /dev/null 2>&1 || true
    done
done
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
for b in $bins; do
    walls=$(awk -v b="$b" '$1 == b {print $2}' "$out")
    cpus=$(awk -v b="$b" '$1 == b {printf "%.2f\n", $3 + $4}' "$out")
    echo "$b"
    echo "  wall: $(echo $walls)"
    echo "  cpu:  $(echo $cpus)"
    echo "  median wall $(median <<< "$walls") s, cpu $(median <<< "$cpus") s"
done
