#!/usr/bin/env bash
# icmp6_admin_prohibited: icmp_admin_prohibited over IPv6.
LAB_SCENARIO=${LAB_SCENARIO:-icmp6_admin_prohibited} LAB_FAM=6 exec bash "$(dirname "$0")/icmp_admin_prohibited.sh" "$@"
