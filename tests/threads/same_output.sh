#!/usr/bin/env bash
# The output does not depend on the thread count: --threads 1, 2 and 3 give
# the same bytes, as JSON and as text, on every fixture capture, on one
# capture made of all the Ethernet fixtures end to end (repeated, so that
# many batches of packets and of records pass between the threads, with
# 4-tuples reused and time going backwards between the parts), and on a
# genpcap capture when ../shared/bench/genpcap.py and python3 are there.
#   same_output.sh TCPWHY FIXTURES_DIR [GENPCAP]
set -u
tcpwhy=$1 fixtures=$2 gen=${3:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 n=0

compare() { # capture [stdin: read it from standard input]
  local t fmt arg=$1
  [ "${2:-}" = stdin ] && arg=-
  for fmt in json text; do
    for t in 1 2 3; do
      "$tcpwhy" --format "$fmt" --threads "$t" "$arg" < "$1" > "$tmp/out.$t" 2> "$tmp/err.$t"
      echo "exit $?" >> "$tmp/out.$t"
    done
    for t in 2 3; do
      if ! cmp -s "$tmp/out.1" "$tmp/out.$t" || ! cmp -s "$tmp/err.1" "$tmp/err.$t"; then
        echo "FAIL: $arg ($1) --format $fmt: --threads $t differs from --threads 1"
        diff "$tmp/out.1" "$tmp/out.$t" | head -5
        fail=1
      fi
    done
  done
  n=$((n + 1))
}

# Classic little-endian microsecond Ethernet pcap: magic d4c3b2a1, link type 1.
is_plain_ether() {
  [ "$(od -An -tx1 -N4 "$1" | tr -d ' ')" = d4c3b2a1 ] &&
    [ "$(od -An -tu4 -j20 -N4 "$1" | tr -d ' ')" = 1 ]
}

joined=$tmp/joined.pcap
for f in "$fixtures"/*/*.pcap "$fixtures"/*/*.pcapng; do
  [ -f "$f" ] || continue
  compare "$f"
  if is_plain_ether "$f"; then
    [ -s "$joined" ] || head -c 24 "$f" > "$joined"
    tail -c +25 "$f" >> "$tmp/records"
  fi
done
[ -s "$tmp/records" ] || { echo "FAIL: no Ethernet fixture to join"; exit 1; }
for i in $(seq 40); do cat "$tmp/records"; done >> "$joined" # ~12 MB: over the 4 MiB below which one thread reads
compare "$joined"
compare "$joined" stdin # libpcap's reader, the same threads

if [ -n "$gen" ] && [ -f "$gen" ] && command -v python3 > /dev/null; then
  python3 "$gen" --conns 3000 --seed 7 --out "$tmp/gen.pcap" > /dev/null 2>&1 &&
    compare "$tmp/gen.pcap"
fi
echo "same_output: $n captures compared"
exit $fail
