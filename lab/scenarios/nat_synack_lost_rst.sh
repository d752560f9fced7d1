#!/usr/bin/env bash
# nat_synack_lost_rst: the seed case (synack_lost_rst_v4) through a NAT. The
# router masquerades the client's network (LAB_NAT=1, see nat_ok) and drops
# the SYN+ACKs of the first attempt in its forward chain, i.e. after
# conntrack and the reverse NAT (prerouting) have seen them, so the
# router's conntrack entry for the first attempt reaches SYN_RECV while the
# client never hears of it. The server sees the client as 198.18.2.1:40000
# (masquerade keeps a free port and every ISN). The router's conntrack
# entries are polled into truth.txt (conntrack_log) and chain labct/watch
# counts what conntrack made of each packet.
#
# Observed on 6.18 (nf_conntrack defaults: tcp_loose=1, be_liberal=0,
# ignore_invalid_rst=0): conntrack does not get in the way, and nothing is
# marked invalid. SYN(x) creates the entry (ct state new, one masquerade);
# the first SYN+ACK moves it to SYN_RECV before the fault rule drops it.
# The SYN(x) retransmissions and SYN(z), a new ISN on the same tuple, are
# SYNs in SYN_RECV: conntrack ignores them for its state machine
# (TCP_CONNTRACK_IGNORE; state unchanged, ct state established, the
# /proc/net/stat `ignore` column stays 0: it counts something else) but
# lets them through, translated by the existing entry. The server's ACK
# ack=x+1 is in window for the tracked connection x and is translated back
# to 198.18.1.2:40000; the client's RST seq=x+1 is in window too and moves
# the entry to CLOSE; the re-sent SYN(z) a few ms later meets the CLOSE
# entry, which conntrack deletes and re-creates (ct state new, a second
# masquerade, same port), and the second handshake completes. Both
# captures hold the same packets as without NAT, with 198.18.2.1 for
# 198.18.1.2 on the server side. The RST and the re-sent SYN(z) came
# 11-16 ms apart in repeated runs.
LAB_SCENARIO=${LAB_SCENARIO:-nat_synack_lost_rst} LAB_NAT=1 exec bash "$(dirname "$0")/synack_lost_rst_v4.sh" "$@"
