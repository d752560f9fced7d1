#!/usr/bin/env bash
# lab/verdicts.sh TCPWHY DIR...: checks tcpwhy's verdicts on the client and
# server captures of lab runs (or recorded fixtures) against what the kernel
# really did, as truth.txt records it: for every attempt (client endpoint and
# ISN), expected_verdict_client / expected_verdict_server ("none": that
# capture must hold no record of it). Prints one line per capture checked and
# ends with "N passed, N failed".
set -u
tcpwhy=$1
shift
pass=0 fail=0
for dir in "$@"; do
    truth="$dir/truth.txt"
    [ -f "$truth" ] || { echo "verdicts: no truth.txt in $dir"; fail=$((fail + 1)); continue; }
    for side in client server; do
        cap=$(ls "$dir" | grep -E "^$side\.pcap(ng)?$" | head -1)
        [ -n "$cap" ] || continue
        # "client isn verdict" per attempt record (the JSON keys come in a fixed order)
        got=$("$tcpwhy" --format json "$dir/$cap" 2>/dev/null |
            sed -n 's/.*"type":"attempt","client":"\([^"]*\)".*"client_isn":\([0-9]*\),"verdict":"\([a-z_]*\)".*/\1 \2 \3/p')
        want=$(awk -v side="$side" '
            /^attempt=/ { for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
                          key = f["client"] " " f["client_isn"] }
            $0 ~ "^expected_verdict_" side "=" { split($0, kv, "="); print key " " kv[2] }' "$truth")
        bad=""
        while read -r ep isn verdict; do
            [ -n "$ep" ] || continue
            actual=$(printf '%s\n' "$got" | awk -v ep="$ep" -v isn="$isn" '$1 == ep && $2 == isn { print $3 }')
            if [ "$verdict" = none ]; then
                [ -z "$actual" ] || bad="$bad $ep/$isn: expected no record, got $actual;"
            elif [ "$actual" != "$verdict" ]; then
                bad="$bad $ep/$isn: expected $verdict, got ${actual:-nothing};"
            fi
        done <<< "$want"
        if [ -z "$bad" ]; then
            pass=$((pass + 1))
            echo "verdicts: ok $(basename "$dir")/$cap"
        else
            fail=$((fail + 1))
            echo "verdicts: FAIL $(basename "$dir")/$cap:$bad"
        fi
    done
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
