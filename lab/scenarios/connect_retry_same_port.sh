#!/usr/bin/env bash
# connect_retry_same_port: the seed case (synack_lost_rst_v4) seen as one
# logical connect: labclient --connect-summary, and one more truth line per
# logical connect,
#   connect client=IP server=IP:PORT attempts=N first_isn=ISN start=EPOCH
#       end=EPOCH outcome=connected|failed app_timeout_ms=N
# (first connect() to success, as labclient saw it): 2 attempts, about
# 2.71 s, connected.
LAB_SCENARIO=${LAB_SCENARIO:-connect_retry_same_port} LAB_CONNECT=1 \
    exec bash "$(dirname "$0")/synack_lost_rst_v4.sh" "$@"
