#!/usr/bin/env bash
# lab/verdicts.sh TCPWHY DIR...: checks tcpwhy's verdicts on the client and
# server captures of lab runs (or recorded fixtures) against what the kernel
# really did, as truth.txt records it: for every attempt (client endpoint and
# ISN), expected_verdict_client / expected_verdict_server for each capture
# alone ("none": that capture must hold no record of it), and
# expected_verdict_middle for the middle capture of a LAB_MIDDLE run (also
# inferred as vantage middle), expected_verdict (and expected_lost, when given) for both captures
# correlated, together with every RST's
# "rst frame_client=.. frame_server=.. sender=.. cause=.. accepted=.." line. Prints one line per capture checked and
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
    # LAB_MIDDLE runs: the router's rc capture lies between two routers, and
    # must be inferred as such (vantage middle) with expected_verdict_middle
    mcap=""
    grep -q '^middle_capture=' "$truth" && mcap=$(ls "$dir" | grep -E "^router-c\.pcap(ng)?$" | head -1)
    # each capture alone (its own vantage), then both together (vantage both,
    # which must give what really happened: expected_verdict)
    for side in client server middle both; do
        case $side in
            middle) [ -n "$mcap" ] || continue; caps=("$dir/$mcap"); label=$mcap; key=_middle ;;
            client) [ -n "$ccap" ] || continue; caps=("$dir/$ccap"); label=$ccap; key=_client ;;
            server) [ -n "$scap" ] || continue; caps=("$dir/$scap"); label=$scap; key=_server ;;
            both) [ -n "$ccap" ] && [ -n "$scap" ] || continue
                  caps=("$dir/$ccap" "$dir/$scap"); label="$ccap+$scap"; key="" ;;
        esac
        cap=$label
        # "client isn verdict" per attempt record (the JSON keys come in a fixed order)
        got=$("$tcpwhy" --format json "${caps[@]}" 2>/dev/null |
            sed -n 's/.*"type":"attempt","client":"\([^"]*\)".*"client_isn":\([0-9]*\),"verdict":"\([a-z_]*\)".*/\1 \2 \3/p')
        # Behind a NAT the server capture names the client by the router's
        # address: truth's "nat client=A server_side=B" lines map A to B.
        want=$(awk -v key="$key" '
            NR == FNR { if (/^nat client=/) { split($2, a, "="); split($3, b, "="); nat[a[2]] = b[2] }
                        next }
            /^attempt=/ { for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
                          ep = f["client"]
                          if (key == "_server" && (ep in nat)) ep = nat[ep]
                          k = ep " " f["client_isn"] }
            $0 ~ "^expected_verdict" key "=" { split($0, kv, "="); print k " " kv[2] }' "$truth" "$truth")
        bad=""
        if [ "$side" = middle ]; then
            vantage=$("$tcpwhy" --format json "${caps[@]}" 2>/dev/null |
                sed -n 's/.*"type":"summary".*"vantage":"\([a-z]*\)".*/\1/p')
            [ "$vantage" = middle ] || bad="$bad vantage inferred ${vantage:-nothing}, not middle;"
        fi
        while read -r ep isn verdict; do
            [ -n "$ep" ] || continue
            actual=$(printf '%s\n' "$got" | awk -v ep="$ep" -v isn="$isn" '$1 == ep && $2 == isn { print $3 }')
            if [ "$verdict" = none ]; then
                [ -z "$actual" ] || bad="$bad $ep/$isn: expected no record, got $actual;"
            elif [ "$actual" != "$verdict" ]; then
                bad="$bad $ep/$isn: expected $verdict, got ${actual:-nothing};"
            fi
        done <<< "$want"
        # Every RST of the run, with both captures together: who sent it, why,
        # and whether its receiver accepted it.
        if [ "$side" = both ]; then
            rsts=$("$tcpwhy" --format json "${caps[@]}" 2>/dev/null |
                sed -n 's/.*"type":"rst",.*"frame":\([0-9]*\),"file":"\([^"]*\)".*"sender":"\([a-z]*\)","cause":"\([a-z_]*\)","accepted":\([a-z]*\).*/\2 \1 \3 \4 \5/p')
            while read -r _ fc fs who cause acc; do
                fc=${fc#frame_client=} fs=${fs#frame_server=} who=${who#sender=}
                cause=${cause#cause=} acc=${acc#accepted=}
                if [ "$fc" != none ]; then file="$dir/$ccap" frame=$fc; else file="$dir/$scap" frame=$fs; fi
                actual=$(printf '%s\n' "$rsts" | awk -v f="$file" -v n="$frame" '$1 == f && $2 == n { print $3, $4, $5 }')
                [ "$actual" = "$who $cause $acc" ] ||
                    bad="$bad RST $(basename "$file") frame $frame: expected $who $cause accepted=$acc, got ${actual:-nothing};"
            done < <(grep -E '^rst frame_client=' "$truth")
        fi
        # With both captures, `lost` must name exactly the handshake packets
        # that left one point and never reached the other (truth:
        # expected_lost=, empty for none; attempts named as above).
        if [ "$side" = both ] && grep -q '^expected_lost=' "$truth"; then
            gotlost=$("$tcpwhy" --format json "${caps[@]}" 2>/dev/null |
                sed -n 's/.*"type":"attempt","client":"\([^"]*\)".*"client_isn":\([0-9]*\),"verdict":"[a-z_]*","lost":\[\([^]]*\)\].*/\1 \2 \3/p' | tr -d '"')
            wantlost=$(awk '
                /^attempt=/ { for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
                              k = f["client"] " " f["client_isn"] }
                /^expected_lost=/ { split($0, kv, "="); print k " " kv[2] }' "$truth")
            while read -r ep isn lost; do
                [ -n "$ep" ] || continue
                actual=$(printf '%s\n' "$gotlost" | awk -v ep="$ep" -v isn="$isn" '$1 == ep && $2 == isn { print $3; exit }')
                [ "$actual" = "$lost" ] || bad="$bad $ep/$isn: expected lost [${lost}], got [${actual}];"
            done <<< "$wantlost"
        fi
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
