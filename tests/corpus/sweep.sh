#!/usr/bin/env bash
# Corpus sweep: every third-party capture in ../shared/corpus must be
# analysed (exit 0 or 1) or rejected cleanly (exit 2 with a message naming
# the file), within a time limit, never crash or hang.
#   sweep.sh TCPWHY [CORPUS_DIR]
# Skips (exit 77) when the corpus is absent.
set -u
tcpwhy=$1
corpus=${2:-$(cd "$(dirname "$0")/../.." && pwd)/../shared/corpus}
[ -d "$corpus" ] || { echo "sweep: SKIP: no corpus at $corpus"; exit 77; }
n=0 analysed=0 rejected=0 bad=0
err=$(mktemp)
trap 'rm -f "$err"' EXIT
while IFS= read -r -d '' f; do
  case "$f" in *.md) continue ;; esac
  n=$((n + 1))
  timeout 20 "$tcpwhy" --format json "$f" >/dev/null 2>"$err"
  rc=$?
  case $rc in
    0|1) analysed=$((analysed + 1)) ;;
    2) if grep -qF -- "$f" "$err"; then rejected=$((rejected + 1))
       else echo "FAIL (exit 2 without naming the file): $f: $(head -c 300 "$err")"; bad=$((bad + 1)); fi ;;
    124) echo "FAIL (hang, killed after 20 s): $f"; bad=$((bad + 1)) ;;
    *) echo "FAIL (exit $rc): $f: $(head -c 300 "$err")"; bad=$((bad + 1)) ;;
  esac
done < <(find "$corpus" -type f -print0 | sort -z)
echo "sweep: $n files: $analysed analysed, $rejected rejected cleanly, $bad failed"
[ "$n" -gt 0 ] || { echo "sweep: corpus is empty"; exit 1; }
[ "$bad" = 0 ]
