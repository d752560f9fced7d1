#!/usr/bin/env bash
# crafted_syn: SYNs made by hand, as hping or scapy send them. labsyn (a raw
# socket in the client namespace) sends 3 SYNs from port 40000, 200 ms
# apart, each a bare 20-byte TCP header (no options, so no MSS) with a new
# random ISN: 3 attempts on one 4-tuple, none of them retransmitted. The
# router drops every SYN from port 40000, so nothing answers: 3 timeouts.
# The kernel's own SYNs (every other scenario) always carry an MSS option.
# LAB_FAM=6 gives crafted_syn_v6.
. "$(dirname "$0")/../lib.sh"
lab_init "${1:-}"
lab_nft_add "$IPX saddr $CLI tcp sport 40000 tcp dport $SERVER_PORT tcp flags & (syn | ack) == syn counter drop comment \"drop port 40000's SYNs\"" >/dev/null
lab_capture_start
echo "labsyn $CLI $SRV $SERVER_PORT 40000 3 200" > "$LAB_TMP/client-1.cmd"
ip netns exec "$NS_C" "$LABSYN" "$CLI" "$SRV" "$SERVER_PORT" 40000 3 200 > "$LAB_TMP/client-1.out" 2>&1 ||
    lab_die "labsyn failed: $(cat "$LAB_TMP/client-1.out")"
for n in 1 2 3; do
    lab_expect timeout timeout none
done
lab_checks() {
    lab_check "3 SYNs from port 40000" "$(lab_n client.pcap "$CLI.40000 > .*Flags \[S\],")" -eq 3
    lab_check "none with options" "$(lab_n client.pcap "$CLI.40000 > .*Flags \[S\],.*options")" -eq 0
    lab_check "server saw nothing" "$(lab_n server.pcap .)" -eq 0
}
lab_tail 3
lab_finish
