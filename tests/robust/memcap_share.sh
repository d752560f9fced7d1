#!/usr/bin/env bash
# The reporters' tables come out of --memcap (cli/main.c): a reporter that
# keeps aggregate tables (--aggregates here; the text report and --html do
# too) leaves the flow table less of the same budget, so under a SYN flood
# fewer flows are tracked at once than without it, at the same --memcap.
# The connects' eighth of it (report/connects.c) holds briefs of a few
# thousand of the 300,000 attempts: the rest go to a temporary file and
# still count, while the failures per server, past their share, say they
# are partial.
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
sum=$(grep '"type":"summary"' "$tmp/plain.jsonl")
case $sum in *'"connects":300000,'*) ;; *) echo "FAIL: not every attempt counted as a connect"; exit 1 ;; esac
case $sum in *'"connects_partial"'*) echo "FAIL: connects partial"; exit 1 ;; esac
case $sum in *'"server_failures_partial":true'*) ;; *) echo "FAIL: failures per server past their share not said partial"; exit 1 ;; esac
