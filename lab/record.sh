#!/usr/bin/env bash
# lab/record.sh NAME [OUTDIR]: runs lab/scenarios/NAME.sh (as root) into OUTDIR
# (default: a temporary directory) and turns the run into the fixture
# tests/fixtures/NAME/: the four captures, truth.txt and a README.md that
# describes the scenario and lists what the kernel did, packet by packet.
# Files the golden tests own (args, expected.*) are left alone.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
name=${1:?usage: lab/record.sh NAME [OUTDIR]}
script=$here/scenarios/$name.sh
[ -f "$script" ] || { echo "record.sh: no scenario $script" >&2; exit 2; }
if [ -n "${2:-}" ]; then
    out=$2
    mkdir -p "$out"
else
    out=$(mktemp -d /tmp/tcpwhy-record.XXXXXX)
    trap 'rm -rf "$out"' EXIT
fi
bash "$script" "$out"

dst=$root/tests/fixtures/$name
mkdir -p "$dst"
ext=pcap
[ -e "$out/client.pcapng" ] && ext=pcapng
captures=(client.$ext server.$ext router-c.$ext router-s.$ext)
rm -f "$dst"/*.pcap "$dst"/*.pcapng
for f in "${captures[@]}" truth.txt; do
    cp "$out/$f" "$dst/$f"
done

# The scenario's own description: the comment block at the top of its
# script, and of the script it runs when it is a variant.
describe() {
    sed -n '2,/^[^#]/p' "$1" | sed -n 's/^# \{0,1\}//p'
}
# A variant runs another scenario's script: follow the chain.
base_of() { sed -n 's/.*exec bash "$(dirname "$0")\/\([a-z0-9_]*\.sh\)".*/\1/p' "$1"; }

dump() {
    # -S absolute sequence numbers; -ttttt: seconds since the first packet.
    tcpdump -nr "$1" -S -ttttt 2>/dev/null | sed 's/^/    /'
}
field() { sed -n "s/^$1=//p" "$dst/truth.txt" | head -1; }

{
    echo "# Fixture \`$name\` (recorded in the lab)"
    echo
    describe "$script"
    cur=$script
    while base=$(base_of "$cur") && [ -n "$base" ]; do
        cur=$here/scenarios/$base
        echo
        echo "Base scenario \`${base%.sh}\`:"
        echo
        describe "$cur"
    done
    echo
    echo "- Recorded with \`sudo lab/record.sh $name\` on Linux $(field kernel)," \
        "$(field recorded_utc), $(field tcpdump), snap length $(field snaplen)," \
        "timestamps in $(field timestamp_precision)seconds."
    if [ -n "$(field middle_capture)" ]; then
        echo "- Topology: client 198.18.1.2 / 2001:db8:1::2 -- m (mc 198.18.1.1, mr 198.18.3.1)" \
            "-- router (rc 198.18.3.2, rs 198.18.2.1) -- server 198.18.2.2 / 2001:db8:2::2," \
            "veth pairs, server port 8080: m is a second router (LAB_MIDDLE=1), so" \
            "\`router-c.$ext\` is a capture between two routers (vantage middle;" \
            "expected_verdict_middle in truth.txt)."
    else
        echo "- Topology: client 198.18.1.2 / 2001:db8:1::2 -- router (rc 198.18.1.1," \
            "rs 198.18.2.1) -- server 198.18.2.2 / 2001:db8:2::2, veth pairs, server port 8080."
    fi
    echo "- Captures ($ext): \`client.$ext\` (client namespace, interface $(field client_iface))," \
        "\`server.$ext\` (server namespace), \`router-c.$ext\` and \`router-s.$ext\`" \
        "(the router's interfaces towards the client and the server). Filter:" \
        "TCP, ICMP and ICMPv6 errors, and UDP port 9; neighbours are static, so no ARP/ND."
    echo "- Heartbeats: each capture starts and ends with a UDP datagram to the router's" \
        "discard port (payload \`start\`, \`end\`; \`tail\` every 0.5 s where the scenario" \
        "keeps the captures running after the last connection), sent from the client and" \
        "the server namespaces: they show the capture was running before the first SYN and" \
        "after the last packet. They are frames of their own (frame 1 is one) and are not TCP."
    if [ "$(field nat)" != none ] && [ -n "$(field nat)" ]; then
        echo "- NAT: the router masquerades the client's network out of rs (nftables" \
            "$(field nat), conntrack at its defaults; the ruleset, conntrack_log and" \
            "conntrack_stat in truth.txt show what it did): the" \
            "server capture shows the client as 198.18.2.1 (or 2001:db8:2::1); \`nat client=..." \
            "server_side=...\` lines in truth.txt map each attempt's endpoints."
    fi
    echo "- Checksums of packets sent by a namespace show as incorrect in tcpdump:" \
        "veth leaves them to checksum offload (CHECKSUM_PARTIAL). That is what" \
        "captures on real hosts look like too; tcpwhy must not care."
    echo "- \`truth.txt\` holds the router's ruleset with its counters (what it" \
        "really dropped or rejected), kernel counters (nstat) per namespace, the" \
        "programs' output and one \`expected_verdict=\` line per attempt."
    echo
    echo "## Attempts and expected verdicts"
    echo
    echo '```'
    grep -E '^(attempt=|expected_verdict|expected_lost=|nat client=)' "$dst/truth.txt"
    echo '```'
    echo
    echo "## RSTs"
    echo
    if grep -q '^rst frame_client=' "$dst/truth.txt"; then
        echo "Every RST of the run (frames are 1-based, as Wireshark numbers them, heartbeats"
        echo "included; \`none\`: that capture does not hold it), who sent it, why, whether its"
        echo "receiver accepted it, and how that was established:"
        echo
        awk '/^rst frame_client=/ { if (n++) print ""; print "- `" $0 "`" }
             /^rst_how: / { sub(/^rst_how: /, ""); print "  " $0 }' "$dst/truth.txt"
    else
        echo "(no RST in this run)"
    fi
    echo
    echo "## What the router did"
    echo
    echo '```'
    grep -E '^(nft_rule_|nft: .*(counter|reject|drop))' "$dst/truth.txt" | sed 's/^nft: *//' || echo "(no fault rule)"
    echo '```'
    echo
    echo "## Packets (tcpdump -nr FILE -S -ttttt)"
    echo
    for f in "${captures[@]}"; do
        echo "- \`$f\`: $(tcpdump -nr "$dst/$f" 2>/dev/null | wc -l) packets"
    done
    echo
    echo "The router's captures hold the same packets as seen on each side of the"
    echo "router (read them for what it dropped); the client and server captures:"
    for f in "${captures[@]:0:2}"; do
        echo
        echo "### $f"
        echo
        if [ "$(tcpdump -nr "$dst/$f" 2>/dev/null | wc -l)" = 0 ]; then
            echo "(no packets)"
        else
            dump "$dst/$f"
        fi
    done
} > "$dst/README.md"
echo "record.sh: wrote $dst" >&2
ls -l "$dst" >&2
