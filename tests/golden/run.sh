#!/usr/bin/env bash
# Runs one golden fixture: tcpwhy with the fixture's args, inside its folder
# (so file names in the output are bare), compared with expected.jsonl (or
# expected.txt), expected.exit (0 if absent) and expected.stderr (empty if
# absent). The folder's stdin.pcap, if any, is tcpwhy's standard input.
#
#   run.sh [--tcpwhy PATH] [--update] NAME...
#   TCPWHY_UPDATE=1 ctest -L golden      rewrites the expected files
#
# After --update, read `git diff tests/fixtures` and say in the commit why the
# output changed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
fixtures="$here/../fixtures"
tcpwhy=""
update=${TCPWHY_UPDATE:-0}
names=()
while [ $# -gt 0 ]; do
  case "$1" in
    --tcpwhy) tcpwhy=$2; shift 2 ;;
    --update) update=1; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) names+=("$1"); shift ;;
  esac
done
if [ -z "$tcpwhy" ]; then
  tcpwhy=$(cd "$here/../.." && pwd)/build/tcpwhy
fi
[ -x "$tcpwhy" ] || { echo "run.sh: no tcpwhy binary at $tcpwhy (build first, or pass --tcpwhy)" >&2; exit 2; }
[ ${#names[@]} -gt 0 ] || { echo "run.sh: name a fixture" >&2; exit 2; }

# The same output whatever the caller's locale: English unless a fixture's
# args say --lang (LANGUAGE would override LC_ALL, so it goes too).
unset LANGUAGE
export LC_ALL=C.UTF-8

fail=0
for name in "${names[@]}"; do
  dir="$fixtures/$name"
  [ -f "$dir/args" ] || { echo "run.sh: $dir/args missing" >&2; fail=1; continue; }
  out=$(mktemp) err=$(mktemp)
  # args holds the command line, one shell word per whitespace-separated token
  read -r -a args < "$dir/args"
  # a fixture's stdin.pcap, if any, is fed on standard input (for '-')
  stdin=/dev/null
  [ -f "$dir/stdin.pcap" ] && stdin="$dir/stdin.pcap"
  (cd "$dir" && "$tcpwhy" "${args[@]}" >"$out" 2>"$err" <"$stdin")
  status=$?
  expected_out="$dir/expected.jsonl"
  case " ${args[*]} " in *" --format json "*) ;; *) expected_out="$dir/expected.txt" ;; esac
  if [ "$update" = 1 ]; then
    cp "$out" "$expected_out"
    echo "$status" > "$dir/expected.exit"
    if [ -s "$err" ]; then cp "$err" "$dir/expected.stderr"; else rm -f "$dir/expected.stderr"; fi
    echo "updated $name"
  else
    want_status=0
    [ -f "$dir/expected.exit" ] && want_status=$(cat "$dir/expected.exit")
    want_err=/dev/null
    [ -f "$dir/expected.stderr" ] && want_err="$dir/expected.stderr"
    bad=0
    if ! diff -u "$expected_out" "$out"; then bad=1; fi
    if ! diff -u "$want_err" "$err"; then bad=1; fi
    if [ "$status" != "$want_status" ]; then
      echo "$name: exit status $status, expected $want_status"; bad=1
    fi
    if [ $bad = 1 ]; then
      echo "FAIL $name: command: (cd $dir && $tcpwhy ${args[*]})"
      echo "     to accept the new output: $0 --update $name"
      fail=1
    else
      echo "ok $name"
    fi
  fi
  rm -f "$out" "$err"
done
exit $fail
