#!/usr/bin/env bash
# synack_lost_once with nanosecond timestamps in all four captures
# (pcap magic 0xa1b23c4d).
LAB_SCENARIO=${LAB_SCENARIO:-synack_lost_once_nano} LAB_NANO=1 exec bash "$(dirname "$0")/synack_lost_once.sh" "$@"
