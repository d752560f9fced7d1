#!/usr/bin/env bash
# refused_v6: refused_v4 over IPv6.
LAB_SCENARIO=${LAB_SCENARIO:-refused_v6} LAB_FAM=6 exec bash "$(dirname "$0")/refused_v4.sh" "$@"
