#!/usr/bin/env bash
# synack_lost_rst_v4 with the client capture taken on "any" (Linux cooked
# capture v2, LINKTYPE_LINUX_SLL2, direction "Out"/"In" in each record).
# SLL2 records the interface by index: tcpdump -r names it after whatever
# interface has that index where the file is read (here "ifb0"), not eth0.
LAB_SCENARIO=${LAB_SCENARIO:-synack_lost_rst_v4_sll2} LAB_CLIENT_IFACE=any exec bash "$(dirname "$0")/synack_lost_rst_v4.sh" "$@"
