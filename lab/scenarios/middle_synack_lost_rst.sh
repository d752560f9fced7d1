#!/usr/bin/env bash
# middle_synack_lost_rst: the seed case (synack_lost_rst_v4) with a second
# router, m, between the client and the router (LAB_MIDDLE=1): the router's
# capture on rc, router-c.pcap, is then a capture on a link between two
# routers, where the client's packets have crossed one hop (m) and the
# server's one (the router). Neither end's packets carry an initial TTL
# there, which is what tcpwhy reads as vantage `middle`. The router drops
# the SYN+ACKs behind rc (forward hook), so the middle capture sees what
# the client sees.
LAB_SCENARIO=${LAB_SCENARIO:-middle_synack_lost_rst} LAB_MIDDLE=1 exec bash "$(dirname "$0")/synack_lost_rst_v4.sh" "$@"
