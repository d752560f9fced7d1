#!/usr/bin/env bash
# nat_ok: ok_v4 through a NAT. The router masquerades the client's network
# towards the server (nftables `ip saddr 198.18.1.0/24 oif rs masquerade`,
# LAB_NAT=1), so the server sees every connection coming from the router's
# address 198.18.2.1. Masquerade rewrites addresses and ports only, never
# sequence numbers: an attempt has the same ISN at both ends. truth.txt
# names each attempt by the client's endpoint as seen at the client, with a
# line `nat client=... server_side=...` giving the endpoint the server saw.
#
# Observed on 6.18: masquerade kept each ephemeral source port (it was free
# on 198.18.2.1); conntrack took each SYN as new and nothing as invalid.
LAB_SCENARIO=${LAB_SCENARIO:-nat_ok} LAB_NAT=1 exec bash "$(dirname "$0")/ok_v4.sh" "$@"
