#!/usr/bin/env bash
# Truncation at every offset: each capture given is cut at every byte offset
# of its file header and of each record's header (the first 32 bytes after
# every record boundary), and every TW_TRUNC_STRIDE (default 7) bytes inside
# the records' data, and analysed. At a record boundary tcpwhy must read the prefix as a whole
# capture (exit 0 or 1, complete); anywhere else it must exit 2 with a
# message naming the file and a byte offset, and still report everything
# before the cut: the summary counts exactly the whole packet records before
# it, and the attempt records equal those of the prefix cut at the last
# boundary before it.
#   truncate.sh TCPWHY CAPTURE...        (pcap or pcapng)
set -u
tcpwhy=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 runs=0

# Bytes of $1 into the array B.
load() { mapfile -t B < <(od -An -v -tu1 -w1 "$1" | tr -d ' '); }
u32() { # offset, little-endian?
  local o=$1
  if [ "$2" = 1 ]; then echo $(( B[o] | B[o+1] << 8 | B[o+2] << 16 | B[o+3] << 24 ))
  else echo $(( B[o] << 24 | B[o+1] << 16 | B[o+2] << 8 | B[o+3] )); fi
}

# Prints "offset packets" for every record boundary: the end of the file
# header and of each record (pcap), or of each block (pcapng), with the
# number of packet records up to there.
boundaries() {
  local n=${#B[@]} o le len type pk=0
  local magic; magic=$(printf '%02x%02x%02x%02x' "${B[0]}" "${B[1]}" "${B[2]}" "${B[3]}")
  case $magic in
    d4c3b2a1|4d3cb2a1) le=1 ;;
    a1b2c3d4|a1b23c4d) le=0 ;;
    0a0d0d0a) le=pcapng ;;
    *) echo "truncate: not a capture" >&2; return 1 ;;
  esac
  if [ "$le" != pcapng ]; then
    o=24; echo "24 0 1"
    while [ $((o + 16)) -le "$n" ]; do
      len=$(u32 $((o + 8)) $le)
      o=$((o + 16 + len)); [ "$o" -le "$n" ] || break
      pk=$((pk + 1)); echo "$o $pk 1"
    done
    return
  fi
  o=0 idb=0
  while [ $((o + 12)) -le "$n" ]; do
    if [ "$(u32 "$o" 1)" = $((0x0A0D0D0A)) ]; then # section header: its own byte order
      [ "$(u32 $((o + 8)) 1)" = $((0x1A2B3C4D)) ] && le=1 || le=0
    fi
    type=$(u32 "$o" $le); len=$(u32 $((o + 4)) $le)
    o=$((o + len)); [ "$o" -le "$n" ] || break
    case $type in 2|3|6) pk=$((pk + 1)) ;; esac # packet, simple packet, enhanced packet
    [ "$type" = 1 ] && idb=1
    # A section with no interface yet holds no packets; libpcap refuses such a
    # file ("no Interface Description Blocks"), and rejecting it is fine too.
    echo "$o $pk ${idb:-0}"
  done
}

summary_field() { sed -n 's/.*"type":"summary".*"'"$1"'":\([a-z0-9]*\).*/\1/p' "$2"; }

for cap in "$@"; do
  load "$cap"
  size=${#B[@]}
  ext=${cap##*.}
  name=cut.$ext
  declare -A packets_at=() readable_at=()
  while read -r off pk ok; do packets_at[$off]=$pk; readable_at[$off]=$ok; done < <(boundaries)
  [ ${#packets_at[@]} -gt 1 ] || { echo "FAIL: $cap: no records found"; fail=1; continue; }
  last_off=0 last_pk=-1 n_cuts=0
  for ((k = 0; k <= size; k++)); do
    if [ -z "${packets_at[$k]+x}" ] && [ $((k - last_off)) -ge 32 ] && [ "$k" != "$size" ] &&
       [ $((k % ${TW_TRUNC_STRIDE:-7})) != 0 ]; then
      continue
    fi
    n_cuts=$((n_cuts + 1))
    head -c "$k" "$cap" > "$tmp/$name"
    (cd "$tmp" && "$tcpwhy" --format json "$name" > out.$k 2> err.$k)
    rc=$?
    runs=$((runs + 1))
    out=$tmp/out.$k err=$tmp/err.$k
    why=""
    if [ -n "${packets_at[$k]+x}" ]; then
      last_off=$k last_pk=${packets_at[$k]}
      grep -v '"type":"summary"' "$out" > "$tmp/prefix_attempts"
      if [ "${readable_at[$k]}" = 0 ] && [ "$rc" = 2 ] && grep -q "$name: byte [0-9]" "$err"; then
        : # a section header with no interface yet, refused with a message
      else
        [ "$rc" -le 1 ] || why="exit $rc at a record boundary: $(head -c 200 "$err")"
        [ -z "$why" ] && [ "$(summary_field complete "$out")" != true ] && why="not complete at a record boundary"
      fi
    else
      [ "$rc" = 2 ] || why="exit $rc, not 2"
      [ -z "$why" ] && ! grep -q "$name: byte [0-9]" "$err" && why="stderr does not name the file and a byte offset: $(head -c 200 "$err")"
      [ -z "$why" ] && [ "$(summary_field complete "$out")" != false ] && why="summary not marked incomplete"
      if [ -z "$why" ] && [ "$last_pk" -ge 0 ]; then
        grep -v '"type":"summary"' "$out" > "$tmp/attempts"
        cmp -s "$tmp/attempts" "$tmp/prefix_attempts" || why="records differ from those of the prefix cut at byte $last_off"
      fi
    fi
    want=$last_pk; [ "$want" -lt 0 ] && want=0
    got=$(summary_field packets "$out")
    [ -z "$why" ] && [ "$got" != "$want" ] && why="summary says $got packets, $want whole records precede the cut"
    if [ -n "$why" ]; then
      echo "FAIL: $cap cut at byte $k of $size: $why"
      fail=$((fail + 1))
      [ "$fail" -ge 20 ] && { echo "truncate: stopping after 20 failures"; exit 1; }
    fi
    rm -f "$out" "$err"
  done
  echo "truncate: $cap: $n_cuts cuts of $size bytes, ${#packets_at[@]} record boundaries"
  unset packets_at readable_at
done
echo "truncate: $runs runs, $fail failures"
[ "$fail" = 0 ]
