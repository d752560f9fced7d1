#!/usr/bin/env bash
# lab/lost_check.sh DIR...: truth.txt's expected_lost= lines of recorded lab
# runs (fixtures) against lab_lost (lib.sh), which derives them from the
# router's two captures: the handshake packets the fault removed. A fixture
# recorded before lab_finish wrote expected_lost itself must read the same
# when recorded again. Prints one line per mismatch and "N attempts agree";
# exit 0 all agree, 1 a mismatch, 77 without tcpdump.
command -v tcpdump >/dev/null || { echo "lost_check: SKIP: no tcpdump"; exit 77; }
. "$(dirname "$0")/lib.sh"
set +e
n_ok=0 n_bad=0
for dir in "$@"; do
    grep -q '^expected_lost=' "$dir/truth.txt" 2>/dev/null || continue
    LAB_OUT=$dir ext=pcap
    [ -e "$dir/router-c.pcapng" ] && ext=pcapng
    while read -r isn port want; do
        got=$(lab_lost "$isn" "$port" "$ext")
        if [ "$got" = "$want" ]; then
            n_ok=$((n_ok + 1))
        else
            n_bad=$((n_bad + 1))
            echo "lost_check: $(basename "$dir") isn $isn: truth [$want], router captures [$got]"
        fi
    done < <(awk '/^attempt=/ { for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
                                p = f["server"]; sub(/.*:/, "", p); k = f["client_isn"] " " p }
                  /^expected_lost=/ { sub(/^expected_lost=/, ""); print k, $0 }' "$dir/truth.txt")
done
echo "lost_check: $n_ok attempts agree, $n_bad differ"
[ "$n_bad" = 0 ]
