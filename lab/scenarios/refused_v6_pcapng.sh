#!/usr/bin/env bash
# refused_v6 written as pcapng.
LAB_SCENARIO=${LAB_SCENARIO:-refused_v6_pcapng} LAB_PCAPNG=1 exec bash "$(dirname "$0")/refused_v6.sh" "$@"
