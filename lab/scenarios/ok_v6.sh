#!/usr/bin/env bash
# ok_v6: ok_v4 over IPv6.
LAB_SCENARIO=${LAB_SCENARIO:-ok_v6} LAB_FAM=6 exec bash "$(dirname "$0")/ok_v4.sh" "$@"
