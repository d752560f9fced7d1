#!/usr/bin/env bash
# nat_synack_lost_rst over IPv6: the router masquerades 2001:db8:1::/64 out
# of rs (`ip6 saddr 2001:db8:1::/64 oif rs masquerade` in an ip6 nat table),
# so the server sees the client as [2001:db8:2::1]:40000.
#
# Observed on 6.18: the same as over IPv4 (no invalid packet, two
# masquerade translations); the 10 ms conntrack poll may miss the short
# CLOSE state between the RST and the re-sent SYN(z).
LAB_SCENARIO=${LAB_SCENARIO:-nat_synack_lost_rst_v6} LAB_FAM=6 exec bash "$(dirname "$0")/nat_synack_lost_rst.sh" "$@"
