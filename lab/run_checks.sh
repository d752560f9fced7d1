#!/usr/bin/env bash
# lab/run_checks.sh [SCENARIO...]: runs lab scenarios (default: all of
# lab/scenarios) into a temporary directory and checks each one: the script
# succeeded (it checks itself that it saw as many attempts as it expected),
# the four captures exist, and the client capture holds packets.
# Needs root and network namespaces; otherwise it skips with exit code 77
# (CTest: SKIP_RETURN_CODE 77). LAB_JOBS scenarios run at once (default 2);
# LAB_KEEP=1 keeps the output directory. With TCPWHY=path/to/tcpwhy, also
# checks tcpwhy's verdicts on every capture against truth.txt.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)

skip() { echo "lab: SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "not root (the lab creates network namespaces)"
for t in ip nft tcpdump nstat; do
    command -v "$t" >/dev/null || skip "$t not installed (apt-get install -y iproute2 nftables tcpdump)"
done
probe=twprobe$$
ip netns add "$probe" 2>/dev/null || skip "ip netns unavailable (no permission for network namespaces)"
if ! ip -n "$probe" link add p0 type veth peer name p1 2>/dev/null ||
    ! ip netns exec "$probe" nft add table inet probe 2>/dev/null; then
    ip netns del "$probe"
    skip "veth or nftables unavailable in a network namespace"
fi
ip netns del "$probe"

if [ $# -gt 0 ]; then
    names=("$@")
else
    names=()
    for f in "$here"/scenarios/*.sh; do names+=("$(basename "$f" .sh)"); done
fi
out=$(mktemp -d /tmp/tcpwhy-labcheck.XXXXXX)
[ "${LAB_KEEP:-0}" = 1 ] || trap 'rm -rf "$out"' EXIT
jobs_max=${LAB_JOBS:-2}

run_one() {
    local n=$1 rc=0 f
    timeout 30 bash "$here/scenarios/$n.sh" "$out/$n" > "$out/$n.log" 2>&1 || rc=$?
    # A scenario whose own checks fail saw the kernel race (they depend on
    # timers and scheduling, e.g. rst_time_wait's reconnect within 0.1 ms):
    # run it once more before calling it failed. tcpwhy's verdicts are
    # checked only on a run whose kernel did what the scenario expects.
    if [ "$rc" != 0 ]; then
        mv "$out/$n.log" "$out/$n.first.log"
        rm -rf "${out:?}/$n"
        rc=0
        timeout 30 bash "$here/scenarios/$n.sh" "$out/$n" > "$out/$n.log" 2>&1 || rc=$?
        [ "$rc" = 0 ] || { echo "(second run; the first is in $n.first.log)" >> "$out/$n.log"; }
    fi
    if [ "$rc" = 0 ]; then
        local ext=pcap
        [ -e "$out/$n/client.pcapng" ] && ext=pcapng
        for f in client.$ext server.$ext router-c.$ext router-s.$ext truth.txt; do
            [ -s "$out/$n/$f" ] || { echo "missing or empty $f" >> "$out/$n.log"; rc=1; }
        done
        [ "$(tcpdump -nr "$out/$n/client.$ext" 2>/dev/null | wc -l)" -gt 0 ] ||
            { echo "client.pcap holds no packet" >> "$out/$n.log"; rc=1; }
        grep -q '^expected_verdict=' "$out/$n/truth.txt" ||
            { echo "truth.txt has no expected_verdict" >> "$out/$n.log"; rc=1; }
    fi
    echo "$rc" > "$out/$n.rc"
}

for n in "${names[@]}"; do
    [ -f "$here/scenarios/$n.sh" ] || { echo "lab: no scenario $n" >&2; exit 2; }
    while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do sleep 0.2; done
    run_one "$n" &
done
wait

pass=0 fail=0
for n in "${names[@]}"; do
    if [ "$(cat "$out/$n.rc" 2>/dev/null)" = 0 ]; then
        pass=$((pass + 1))
        echo "lab: PASS $n ($(grep -c '^expected_verdict=' "$out/$n/truth.txt") attempts:" \
            "$(sed -n 's/^expected_verdict=//p' "$out/$n/truth.txt" | tr '\n' ' '))"
    else
        fail=$((fail + 1))
        echo "lab: FAIL $n"
        sed 's/^/    /' "$out/$n.log"
    fi
done
# With TCPWHY set, tcpwhy's verdicts on the fresh captures must match what
# the kernel did (lab/verdicts.sh).
if [ -n "${TCPWHY:-}" ]; then
    for n in "${names[@]}"; do
        [ "$(cat "$out/$n.rc" 2>/dev/null)" = 0 ] || continue
        if ! "$here/verdicts.sh" "$TCPWHY" "$out/$n" > "$out/$n.verdicts" 2>&1; then
            pass=$((pass - 1)) fail=$((fail + 1))
            echo "lab: FAIL $n: tcpwhy's verdicts differ from the kernel's truth"
            grep -v ': ok ' "$out/$n.verdicts" | sed 's/^/    /'
        fi
    done
fi
[ "${LAB_KEEP:-0}" = 1 ] && echo "lab: output kept in $out"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
