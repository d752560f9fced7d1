#!/usr/bin/env bash
# middle_ok_v6: ok_v6 with a second router between the client and the
# router (LAB_MIDDLE=1, see middle_synack_lost_rst): router-c.pcap holds
# IPv6 handshakes whose hop limits are below the initial ones both ways.
LAB_SCENARIO=${LAB_SCENARIO:-middle_ok_v6} LAB_MIDDLE=1 exec bash "$(dirname "$0")/ok_v6.sh" "$@"
