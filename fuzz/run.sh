#!/usr/bin/env bash
# Runs one libFuzzer target for a time or a number of executions.
#   fuzz/run.sh BUILD_DIR TARGET SECONDS|-runs=N [libFuzzer options...]
#   e.g. fuzz/run.sh build-fuzz decode 600
#        fuzz/run.sh build-fuzz capture -runs=10000000
# TARGET is decode, capture, track or pair (BUILD_DIR/fuzz/fuzz_TARGET, built with
# -DCMAKE_C_COMPILER=clang -DTCPWHY_FUZZ=ON -DTCPWHY_SANITIZE=ON). The working
# corpus lives in ${TW_FUZZ_WORK:-/tmp/tcpwhy-fuzz}/TARGET, outside the
# repository, and starts from fuzz/seeds, the lab fixtures and, for decode,
# the frames of the seed captures (for pair: the lab's pairs of captures).
# One process, one thread: the machine is shared.
# Crashes are written to the work directory; copy each one into
# tests/robust/crashes/ so that ctest replays it from then on.
set -euo pipefail
[ $# -ge 3 ] || { sed -n '2,14p' "$0" >&2; exit 2; }
build=$1 target=$2 amount=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
bin=$build/fuzz/fuzz_$target
[ -x "$bin" ] || { echo "run.sh: no $bin (configure with -DTCPWHY_FUZZ=ON)" >&2; exit 2; }
work=${TW_FUZZ_WORK:-/tmp/tcpwhy-fuzz}/$target
mkdir -p "$work/corpus" "$work/artifacts"

if [ -z "$(ls -A "$work/corpus")" ] && [ "$target" = pair ]; then
  # fuzz_pair's input: two captures (fuzz/pair_seeds.py), from the lab's pairs
  python3 "$here/pair_seeds.py" "$root/tests/fixtures" "$work/corpus"
elif [ -z "$(ls -A "$work/corpus")" ]; then
  cp "$here"/seeds/*.pcap* "$work/corpus/" 2>/dev/null || true
  for f in "$root"/tests/fixtures/*/*.pcap*; do
    cp "$f" "$work/corpus/$(basename "$(dirname "$f")")-$(basename "$f")"
  done
  if [ "$target" = decode ] && command -v python3 >/dev/null; then
    # fuzz_decode's input: a link-type index byte, 2 bytes of snapped length, the frame.
    python3 - "$work/corpus" "$work/corpus"/*.pcap <<'PY'
import os, struct, sys
index = {1: 0, 113: 1, 276: 2, 101: 4, 228: 5, 229: 6, 0: 7, 108: 8, 9: 9, 50: 10,
         51: 11, 104: 12, 242: 13, 7: 14, 129: 15, 105: 16, 192: 17}
out = sys.argv[1]
for path in sys.argv[2:]:
    data = open(path, 'rb').read()
    if len(data) < 24:
        continue
    for order in ('<', '>'):
        magic = struct.unpack(order + 'I', data[:4])[0]
        if magic in (0xa1b2c3d4, 0xa1b23c4d):
            break
    else:
        continue
    link = struct.unpack(order + 'I', data[20:24])[0] & 0x0fffffff
    if link not in index:
        continue
    at, n = 24, 0
    while at + 16 <= len(data) and n < 8:
        caplen = struct.unpack(order + 'I', data[at + 8:at + 12])[0]
        frame = data[at + 16:at + 16 + caplen]
        at += 16 + caplen
        name = '%s/frame-%s-%d' % (out, os.path.basename(path), n)
        open(name, 'wb').write(bytes([index[link], 0, 0]) + frame)
        n += 1
PY
  fi
fi

case $amount in
  -runs=*) limit=("$amount") ;;
  *) limit=(-max_total_time="$amount") ;;
esac
cd "$work"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
exec "$bin" "${limit[@]}" -print_final_stats=1 -max_len=65536 \
  -artifact_prefix="$work/artifacts/" "$@" "$work/corpus"
