#!/usr/bin/env bash
# middle_timeout_blackhole: timeout_blackhole with a second router between
# the client and the router (LAB_MIDDLE=1, see middle_synack_lost_rst): the
# middle capture holds only SYNs, routed once, and no answer, so the vantage
# rests on the SYNs' TTL alone.
LAB_SCENARIO=${LAB_SCENARIO:-middle_timeout_blackhole} LAB_MIDDLE=1 exec bash "$(dirname "$0")/timeout_blackhole.sh" "$@"
