#!/usr/bin/env bash
# One hostile input, generated on the fly by gen_hostile, analysed by tcpwhy,
# with what must come out of it.
#   hostile.sh TCPWHY GEN_HOSTILE CASE
# syn-flood: TW_FLOOD_SYNS SYNs (default 10,000,000) to random 4-tuples on a
# pipe, with --memcap 16M; the peak RSS must stay under 16 MB plus
# TW_FLOOD_MARGIN_MB (default 40; sanitizer builds need more).
set -u
tcpwhy=$1 gen=$2 case=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ "$case" = syn-flood ]; then
  exec "$gen" syn-flood "${TW_FLOOD_SYNS:-10000000}" $((16 + ${TW_FLOOD_MARGIN_MB:-40})) -- \
       "$tcpwhy" --format json --memcap 16M -
fi

"$gen" "$case" > "$tmp/$case.pcap" || { echo "FAIL: gen_hostile $case"; exit 1; }
(cd "$tmp" && timeout 60 "$tcpwhy" --format json "$case.pcap" > out 2> err)
rc=$?
out=$tmp/out err=$tmp/err
sum=$(grep '"type":"summary"' "$out")
fail() { echo "FAIL: $case: $*"; echo "exit $rc; stderr: $(head -c 300 "$err")"; echo "$sum"; exit 1; }
field() { printf '%s' "$sum" | sed -n 's/.*"'"$1"'":\([a-z0-9]*\).*/\1/p'; }
has() { printf '%s' "$sum" | grep -qF -- "$1"; }
analysed() { [ "$rc" -le 1 ] || fail "exit $rc, not 0 or 1"; [ "$(field complete)" = true ] || fail "not complete"; }
rejected() {
  [ "$rc" = 2 ] || fail "exit $rc, not 2"
  grep -q "$case.pcap: byte [0-9]" "$err" || fail "stderr does not name the file and a byte offset"
  [ "$(field complete)" = false ] || fail "summary not marked incomplete"
}
# Either is fine, as long as a rejection says where.
either() { if [ "$rc" = 2 ]; then rejected; else analysed; fi; }

[ "$rc" -le 2 ] || fail "exit $rc (crash or hang)"
[ -n "$sum" ] || fail "no summary record"
case $case in
  ts-backwards)
    analysed
    [ "$(field packets)" = 6 ] && [ "$(field tcp_syn)" = 2 ] && [ "$(field tcp_synack)" = 2 ] ||
      fail "counts"
    ;;
  snaplen-0|snaplen-huge|caplen-gt-len)
    either
    [ "$rc" = 2 ] || [ "$(field packets)" = 3 ] || fail "expected 3 packets"
    ;;
  pcapng-huge-block)
    rejected
    [ "$(field packets)" = 1 ] && [ "$(field tcp_syn)" = 1 ] || fail "the packet before the bad block is lost"
    ;;
  pcapng-huge-shb|pcapng-huge-idb)
    rejected
    ;;
  unknown-link)
    analysed
    [ "$(field packets)" = 2 ] || fail "packets"
    has '"link_unsupported":2' || fail "frames not counted as link_unsupported"
    grep -q "link type 147" "$err" || fail "no warning naming the link type"
    ;;
  ipv6-ext-chain)
    analysed
    [ "$(field packets)" = 2 ] && [ "$(field tcp_syn)" = 1 ] || fail "counts"
    has '"too_many_layers":1' || fail "the 200-header chain is not too_many_layers"
    ;;
  tcp-opt-len)
    analysed
    [ "$(field tcp_syn)" = 5 ] || fail "every SYN must still count"
    has '"tcp_bad_option":5' || fail "each bad option length must be an anomaly"
    ;;
  icmp-nested)
    analysed
    [ "$(field packets)" = 30 ] && [ "$(field tcp_syn)" = 1 ] || fail "counts"
    has '"icmp_error"' && fail "an ICMP error about an ICMP error was matched to the SYN"
    ;;
  *) fail "no such case" ;;
esac
echo "hostile: $case: ok (exit $rc)"
