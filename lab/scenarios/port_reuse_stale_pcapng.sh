#!/usr/bin/env bash
# port_reuse_stale with the four captures written as pcapng (converted from
# tcpdump's pcap by lab/tools/pcap2pcapng: SHB with a comment, IDB with
# if_name and if_tsresol=6, EPBs).
LAB_SCENARIO=${LAB_SCENARIO:-port_reuse_stale_pcapng} LAB_PCAPNG=1 exec bash "$(dirname "$0")/port_reuse_stale.sh" "$@"
