#!/usr/bin/env bash
# synack_lost_rst over IPv6: see synack_lost_rst_v4.sh.
LAB_SCENARIO=${LAB_SCENARIO:-synack_lost_rst_v6} LAB_FAM=6 exec bash "$(dirname "$0")/synack_lost_rst_v4.sh" "$@"
