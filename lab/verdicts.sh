#!/usr/bin/env bash
# lab/verdicts.sh TCPWHY DIR...: checks tcpwhy's verdicts on the client and
# server captures of lab runs (or recorded fixtures) against what the kernel
# really did, as truth.txt records it: for every attempt (client endpoint and
# ISN), expected_verdict_client / expected_verdict_server for each capture
# alone ("none": that capture must hold no record of it), and
# expected_verdict for both captures correlated. Prints one line per capture checked and
# ends with "N passed, N failed".
set -u
tcpwhy=$1
shift
pass=0 fail=0
for dir in "$@"; do
    truth="$dir/truth.txt"
    [ -f "$truth" ] || { echo "verdicts: no truth.txt in $dir"; fail=$((fail + 1)); continue; }
    ccap=$(ls "$dir" | grep -E "^client\.pcap(ng)?$" | head -1)
    scap=$(ls "$dir" | grep -E "^server\.pcap(ng)?$" | head -1)
    # each capture alone (its own vantage), then both together (vantage both,
    # which must give what really happened: expected_verdict)
    for side in client server both; do
        case $side in
            client) [ -n "$ccap" ] || continue; caps=("$dir/$ccap"); label=$ccap; key=_client ;;
            server) [ -n "$scap" ] || continue; caps=("$dir/$scap"); label=$scap; key=_server ;;
            both) [ -n "$ccap" ] && [ -n "$scap" ] || continue
                  caps=("$dir/$ccap" "$dir/$scap"); label="$ccap+$scap"; key="" ;;
        esac
        cap=$label
        # "client isn verdict" per attempt record (the JSON keys come in a fixed order)
        got=$("$tcpwhy" --format json "${caps[@]}" 2>/dev/null |
            sed -n 's/.*"type":"attempt","client":"\([^"]*\)".*"client_isn":\([0-9]*\),"verdict":"\([a-z_]*\)".*/\1 \2 \3/p')
        want=$(awk -v key="$key" '
            /^attempt=/ { for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
                          k = f["client"] " " f["client_isn"] }
            $0 ~ "^expected_verdict" key "=" { split($0, kv, "="); print k " " kv[2] }' "$truth")
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
