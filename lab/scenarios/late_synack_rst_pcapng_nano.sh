#!/usr/bin/env bash
# late_synack_rst captured with nanosecond timestamps and written as pcapng
# (IDB option if_tsresol=9).
LAB_SCENARIO=${LAB_SCENARIO:-late_synack_rst_pcapng_nano} LAB_PCAPNG=1 LAB_NANO=1 exec bash "$(dirname "$0")/late_synack_rst.sh" "$@"
