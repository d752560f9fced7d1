#!/usr/bin/env bash
# crafted_syn_v6: crafted_syn over IPv6.
LAB_SCENARIO=${LAB_SCENARIO:-crafted_syn_v6} LAB_FAM=6 exec bash "$(dirname "$0")/crafted_syn.sh" "$@"
