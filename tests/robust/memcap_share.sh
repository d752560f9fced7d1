#!/usr/bin/env bash
# The reporters' tables come out of --memcap (cli/main.c): a reporter that
# keeps aggregate tables (--aggregates here; the text report and --html do
# too) leaves the flow table less of the same budget, so under a SYN flood
# fewer flows are tracked at once than without it, at the same --memcap.
#   memcap_share.sh TCPWHY GEN_HOSTILE
set -u
tcpwhy=$1 gen=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() { # name [tcpwhy option]
  "$gen" syn-flood 300000 1000 -- sh -c "\"\$0\" --format json $2 --memcap 16M - > \"\$1\"" \
    "$tcpwhy" "$tmp/$1.jsonl" > /dev/null || { echo "FAIL: tcpwhy on the flood ($1)"; exit 1; }
}
peak_of() { grep '"type":"summary"' "$tmp/$1.jsonl" | sed -n 's/.*"peak":\([0-9]*\).*/\1/p'; }
run plain ""
run agg --aggregates
plain=$(peak_of plain) agg=$(peak_of agg)
echo "flows at once under --memcap 16M: $plain without aggregate tables, $agg with"
[ -n "$plain" ] && [ -n "$agg" ] || { echo "FAIL: no peak in the summary"; exit 1; }
[ "$agg" -lt "$plain" ] || { echo "FAIL: the aggregate tables did not come out of --memcap"; exit 1; }
