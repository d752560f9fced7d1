# lab/lib.sh: shared helpers of the tcpwhy lab (sourced by lab/scenarios/*.sh).
#
# A scenario builds three network namespaces, client - router - server, joined
# by two veth pairs, injects one fault on the router with nftables, runs
# labclient/labserver, captures at four points with tcpdump and writes what
# really happened into OUTDIR/truth.txt. Everything is named after the
# scenario's PID, so parallel runs never collide, and an EXIT trap tears
# everything down (processes first, then namespaces), even after a failure.
#
# Addresses (only documentation/benchmark ranges, never routed anywhere):
#   client  eth0  198.18.1.2/24  2001:db8:1::2/64
#   router  rc    198.18.1.1/24  2001:db8:1::1/64   (faces the client)
#           rs    198.18.2.1/24  2001:db8:2::1/64   (faces the server)
#   server  eth0  198.18.2.2/24  2001:db8:2::2/64
#
# Environment knobs (all optional):
#   LAB_BIN            directory holding labclient and labserver
#   LAB_CLIENT_IFACE   interface for the client capture (default eth0; "any"
#                      gives Linux cooked v2 / SLL2 frames)
#   LAB_NANO=1         capture with --time-stamp-precision=nano
#   LAB_SNAPLEN        snap length (default 256)
#   LAB_PCAPNG=1       convert the four captures to pcapng at the end
#                      (client.pcapng ...; lab/tools/pcap2pcapng)
#   LAB_NAT=1          the router masquerades the client's network towards
#                      the server (lab_nat_up; truth.txt gets nat lines)
#
# Requires root, iproute2, nftables, tcpdump and a C compiler (or LAB_BIN).

set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_ROOT=$(cd "$LAB_DIR/.." && pwd)

C4=198.18.1.2 R4C=198.18.1.1 R4S=198.18.2.1 S4=198.18.2.2
C6=2001:db8:1::2 R6C=2001:db8:1::1 R6S=2001:db8:2::1 S6=2001:db8:2::2
# LAB_MIDDLE=1: a second router, m, between the client and the router (see
# lab_topology_up); m takes the client's gateway address (R4C/R6C) and joins
# the router over 198.18.3.0/24 and 2001:db8:3::/64.
M4=198.18.3.1 R4M=198.18.3.2 M6=2001:db8:3::1 R6M=2001:db8:3::2
SERVER_PORT=8080

# Capture filter: TCP, ICMP, and ICMPv6 errors (types < 128), which leaves out
# IPv6 neighbour discovery and MLD chatter. Neighbours are static (see below).
# UDP to the discard port is the captures' heartbeat (see lab_heartbeat).
LAB_FILTER='tcp or icmp or (icmp6 and ip6[40] < 128) or (udp and port 9)'

LAB_PIDS=()
LAB_NS=()
LAB_CAP_PIDS=()
LAB_EXPECT=()

lab_log() { printf 'lab[%s]: %s\n' "${LAB_NAME:-?}" "$*" >&2; }
lab_die() { lab_log "error: $*"; exit 1; }

# Appends one line to truth.txt.
lab_truth() { printf '%s\n' "$*" >> "$LAB_OUT/truth.txt"; }

lab_now() { date +%s.%N | cut -c1-17; }

lab_cleanup() {
    local rc=$? pid ns
    trap - EXIT INT TERM
    for pid in "${LAB_CAP_PIDS[@]}" "${LAB_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${LAB_CAP_PIDS[@]}" "${LAB_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    # Anything still inside our own namespaces was started by this run.
    for ns in "${LAB_NS[@]}"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            kill -9 "$pid" 2>/dev/null || true
        done
        ip netns del "$ns" 2>/dev/null || true
    done
    [ -n "${LAB_TMP:-}" ] && rm -rf "$LAB_TMP"
    exit "$rc"
}

# Finds or builds the lab's programs (lab/tools); sets LABCLIENT, LABSERVER,
# PCAP2PCAPNG and LABSYN.
lab_tools() {
    local d t tools=(labclient labserver pcap2pcapng labsyn) is_ok
    for d in "${LAB_BIN:-}" "$LAB_ROOT/build/lab/tools" "$LAB_ROOT/build"; do
        [ -n "$d" ] || continue
        # A build tree counts only when it is complete and newer than the
        # sources (a stale labclient may lack an option a scenario uses).
        is_ok=1
        for t in "${tools[@]}"; do
            [ -x "$d/$t" ] && [ "$d/$t" -nt "$LAB_DIR/tools/$t.c" ] || is_ok=0
        done
        if [ "$is_ok" = 1 ]; then
            LABCLIENT=$d/labclient LABSERVER=$d/labserver PCAP2PCAPNG=$d/pcap2pcapng LABSYN=$d/labsyn
            return
        fi
    done
    local cc=${CC:-cc}
    for t in "${tools[@]}"; do
        "$cc" -std=c11 -O2 -Wall -Wextra -o "$LAB_TMP/$t" "$LAB_DIR/tools/$t.c" ||
            lab_die "cannot build $t with $cc"
    done
    LABCLIENT=$LAB_TMP/labclient LABSERVER=$LAB_TMP/labserver PCAP2PCAPNG=$LAB_TMP/pcap2pcapng
    LABSYN=$LAB_TMP/labsyn
}

lab_check_env() {
    [ "$(id -u)" = 0 ] || lab_die "must run as root"
    local t
    for t in ip nft tcpdump nstat; do
        command -v "$t" >/dev/null || lab_die "missing $t (apt-get install -y iproute2 nftables tcpdump)"
    done
}

# lab_init OUTDIR: checks, traps, topology, tools, truth header. The scenario
# name is the script's name unless LAB_SCENARIO says otherwise (variants such
# as *_v6 or *_sll2 run another scenario's script with a knob set). LAB_FAM
# (4 or 6, default 4) selects the address family: it sets CLI, SRV (client and
# server address), IPX (nft's "ip" or "ip6") and SEEN (the router's set).
lab_init() {
    LAB_NAME=${LAB_SCENARIO:-$(basename "$0" .sh)}
    [ -n "${1:-}" ] || lab_die "usage: $0 OUTDIR"
    mkdir -p "$1"
    LAB_OUT=$(cd "$1" && pwd)
    LAB_FAM=${LAB_FAM:-4}
    if [ "$LAB_FAM" = 6 ]; then
        CLI=$C6 SRV=$S6 IPX=ip6 SEEN=seen6
    else
        CLI=$C4 SRV=$S4 IPX=ip SEEN=seen4
    fi
    lab_check_env
    LAB_ID="tw$$r$RANDOM"
    NS_C=${LAB_ID}c NS_R=${LAB_ID}r NS_S=${LAB_ID}s NS_M=${LAB_ID}m
    [ "${LAB_MIDDLE:-0}" = 0 ] || [ "${LAB_NAT:-0}" = 0 ] || lab_die "LAB_MIDDLE with LAB_NAT is not built"
    LAB_TMP=$(mktemp -d /tmp/tcpwhy-lab.XXXXXX)
    trap lab_cleanup EXIT
    trap 'exit 130' INT TERM
    rm -f "$LAB_OUT"/*.pcap "$LAB_OUT"/*.pcapng "$LAB_OUT/truth.txt"
    : > "$LAB_OUT/truth.txt"
    lab_tools
    lab_topology_up
    lab_truth "# tcpwhy lab truth: what the kernel did in scenario $LAB_NAME"
    lab_truth "scenario=$LAB_NAME"
    lab_truth "family=ipv$LAB_FAM"
    lab_truth "kernel=$(uname -r)"
    lab_truth "recorded_utc=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    lab_truth "tcpdump=$(tcpdump --version 2>&1 | head -1)"
    lab_truth "snaplen=${LAB_SNAPLEN:-256}"
    lab_truth "client_iface=${LAB_CLIENT_IFACE:-eth0}"
    lab_truth "timestamp_precision=$([ "${LAB_NANO:-0}" = 1 ] && echo nano || echo micro)"
    lab_truth "nat=$([ "${LAB_NAT:-0}" = 1 ] && echo masquerade || echo none)"
    if [ "${LAB_MIDDLE:-0}" = 1 ]; then
        lab_truth "middle_capture=router-c.pcap (client -- m -- router: rc sees both ends' packets routed once)"
    fi
    local k
    for k in net.ipv4.tcp_syn_linear_timeouts net.ipv4.tcp_syn_retries \
        net.ipv4.tcp_synack_retries net.ipv4.tcp_syncookies \
        net.ipv4.tcp_max_syn_backlog net.core.somaxconn net.ipv4.tcp_tw_reuse; do
        lab_truth "sysctl_default $k=$(ip netns exec "$NS_S" sysctl -n "$k" 2>/dev/null || echo n/a)"
    done
    if [ "${LAB_NAT:-0}" = 1 ]; then lab_nat_up; fi
}

lab_mac() { ip -n "$1" -o link show "$2" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'; }

# lab_veth NS1 DEV1 NS2 DEV2: a veth pair joining NS1 and NS2, both ends up.
lab_veth() {
    ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"
    ip -n "$1" link set "$2" up
    ip -n "$3" link set "$4" up
}

# lab_addrs NS DEV ADDR4 ADDR6: DEV's IPv4 (/24) and IPv6 (/64) addresses.
lab_addrs() {
    ip -n "$1" addr add "$3/24" dev "$2"
    ip -n "$1" addr add "$4/64" dev "$2" nodad
}

# lab_routes NS DEST4 VIA4 DEST6 VIA6: a route for each family.
lab_routes() {
    ip -n "$1" route add "$2" via "$3"
    ip -n "$1" -6 route add "$4" via "$5"
}

# lab_neigh NS DEV MAC ADDR4 ADDR6: static neighbour entries for a host.
lab_neigh() {
    ip -n "$1" neigh replace "$4" lladdr "$3" dev "$2" nud permanent
    ip -n "$1" neigh replace "$5" lladdr "$3" dev "$2" nud permanent
}

lab_topology_up() {
    local ns all=("$NS_C" "$NS_R" "$NS_S")
    [ "${LAB_MIDDLE:-0}" = 0 ] || all+=("$NS_M")
    for ns in "${all[@]}"; do
        ip netns add "$ns"
        LAB_NS+=("$ns")
        ip -n "$ns" link set lo up
        # No DAD and no router solicitations: less IPv6 chatter, no delay.
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
            net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.router_solicitations=0 \
            net.ipv6.conf.default.router_solicitations=0
    done
    if [ "${LAB_MIDDLE:-0}" = 1 ]; then
        lab_middle_up
    else
        lab_veth "$NS_R" rc "$NS_C" eth0
        lab_addrs "$NS_R" rc "$R4C" "$R6C"
    fi
    lab_veth "$NS_R" rs "$NS_S" eth0
    ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
    lab_addrs "$NS_C" eth0 "$C4" "$C6"
    lab_addrs "$NS_R" rs "$R4S" "$R6S"
    lab_addrs "$NS_S" eth0 "$S4" "$S6"
    lab_routes "$NS_C" default "$R4C" default "$R6C"
    lab_routes "$NS_S" default "$R4S" default "$R6S"
    # Static neighbours: no ARP or neighbour discovery in the captures, and no
    # resolution delay in front of the first SYN.
    local mc mrc mrs ms
    mc=$(lab_mac "$NS_C" eth0) mrc=$(lab_mac "$NS_R" rc)
    mrs=$(lab_mac "$NS_R" rs) ms=$(lab_mac "$NS_S" eth0)
    if [ "${LAB_MIDDLE:-0}" = 1 ]; then
        lab_middle_neighbours "$mc" "$mrc"
    else
        lab_neigh "$NS_C" eth0 "$mrc" "$R4C" "$R6C"
        lab_neigh "$NS_R" rc "$mc" "$C4" "$C6"
    fi
    lab_neigh "$NS_R" rs "$ms" "$S4" "$S6"
    lab_neigh "$NS_S" eth0 "$mrs" "$R4S" "$R6S"
    # The router's fault table: every scenario adds its rules to chain fwd.
    ip netns exec "$NS_R" nft -f - <<'EOF'
table inet lab {
    set seen4 { type ipv4_addr . inet_service; flags dynamic; timeout 60s; }
    set seen6 { type ipv6_addr . inet_service; flags dynamic; timeout 60s; }
    chain faults {
        type filter hook forward priority filter; policy accept;
    }
    # The captures' heartbeat (lab_heartbeat, lab_tail): UDP to the router's
    # discard port, swallowed here so that no ICMP port unreachable comes back.
    chain heartbeat {
        type filter hook input priority filter; policy accept;
        udp dport 9 counter drop
    }
}
EOF
}

# lab_middle_up (LAB_MIDDLE=1): client eth0 -- mc [m] mr -- rc [router].
# m is a plain router with the client's gateway address, so the capture on
# the router's rc (router-c.pcap) sees the client's packets after one hop
# (m) and the server's after one (the router): TTLs below the initial ones
# both ways, as at a tap on a link between two routers. The router's fault
# rules (forward hook) stay behind rc, on the server's side of it.
lab_middle_up() {
    lab_veth "$NS_M" mc "$NS_C" eth0
    lab_veth "$NS_R" rc "$NS_M" mr
    ip netns exec "$NS_M" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
    lab_addrs "$NS_M" mc "$R4C" "$R6C"
    lab_addrs "$NS_M" mr "$M4" "$M6"
    lab_addrs "$NS_R" rc "$R4M" "$R6M"
    lab_routes "$NS_M" default "$R4M" default "$R6M"
    lab_routes "$NS_R" 198.18.1.0/24 "$M4" 2001:db8:1::/64 "$M6"
}

# lab_middle_neighbours CLIENT_MAC RC_MAC: static neighbours around m.
lab_middle_neighbours() {
    local mmc mmr
    mmc=$(lab_mac "$NS_M" mc) mmr=$(lab_mac "$NS_M" mr)
    lab_neigh "$NS_C" eth0 "$mmc" "$R4C" "$R6C"
    lab_neigh "$NS_M" mc "$1" "$C4" "$C6"
    lab_neigh "$NS_M" mr "$2" "$R4M" "$R6M"
    lab_neigh "$NS_R" rc "$mmr" "$M4" "$M6"
}

# lab_nat_up: the router masquerades the client's network towards the server
# (LAB_NAT=1): the server sees 198.18.2.1 / 2001:db8:2::1 as the client,
# with the client's port when it is free (masquerade keeps ISNs: it rewrites
# addresses and ports only). Conntrack on the router then follows every
# flow; its TCP tracking (nf_conntrack_tcp_*) is left at the defaults.
lab_nat_up() {
    ip netns exec "$NS_R" nft -f - <<EOF
table inet labct {
    # What conntrack made of each packet, before the fault rules (priority
    # filter) see it; counters only, nothing is dropped here.
    chain watch {
        type filter hook forward priority filter - 10; policy accept;
        tcp flags & (syn | ack) == syn ct state new counter comment "SYN, ct new"
        tcp flags & (syn | ack) == syn ct state established counter comment "SYN, ct established (SYN on a tracked tuple)"
        tcp flags & (syn | ack) == syn | ack ct state established counter comment "SYN+ACK, ct established"
        tcp flags & (syn | rst) == 0 ct direction reply ct state established counter comment "reply ACK/data, ct established"
        tcp flags & rst == rst ct state established counter comment "RST, ct established"
        ct state invalid counter comment "ct invalid (not NATed)"
        ct state untracked counter comment "ct untracked"
    }
}
table ip labnat {
    chain post {
        type nat hook postrouting priority srcnat; policy accept;
        ip saddr 198.18.1.0/24 oif rs counter masquerade
    }
}
table ip6 labnat {
    chain post {
        type nat hook postrouting priority srcnat; policy accept;
        ip6 saddr 2001:db8:1::/64 oif rs counter masquerade
    }
}
EOF
    local k
    for k in tcp_loose tcp_be_liberal tcp_ignore_invalid_rst tcp_timeout_syn_recv tcp_timeout_close; do
        lab_truth "sysctl_default ns=router net.netfilter.nf_conntrack_$k=$(ip netns exec "$NS_R" cat /proc/sys/net/netfilter/nf_conntrack_$k)"
    done
    # The router's conntrack table for port 8080, every 10 ms, each state
    # written once (the countdown field dropped): conntrack_log in truth.txt.
    (
        trap - EXIT
        local prev="" cur
        while :; do
            cur=$(ip netns exec "$NS_R" cat /proc/net/nf_conntrack 2>/dev/null |
                awk '/dport=8080/ { $5 = ""; sub(/ use=[0-9]+/, ""); $1 = $1; print }')
            if [ "$cur" != "$prev" ]; then
                printf '%s\n' "${cur:-(empty)}" | sed "s/^/t=$(lab_now) /" >> "$LAB_TMP/conntrack.log"
                prev=$cur
            fi
            sleep 0.01
        done
    ) &
    LAB_CT_PID=$!
    LAB_PIDS+=($!)
}

# lab_nat_truth: for LAB_NAT=1, the conntrack log and statistics (in
# lab_finish, once the captures are closed).
lab_nat_truth() {
    kill "$LAB_CT_PID" 2>/dev/null || true
    wait "$LAB_CT_PID" 2>/dev/null || true
    lab_truth ""
    lab_truth "# router conntrack entries for port 8080 as they changed (polled every 10 ms;"
    lab_truth "# t= wall clock, comparable with the captures; the countdown field left out)"
    sed 's/^/conntrack_log: /' "$LAB_TMP/conntrack.log" >> "$LAB_OUT/truth.txt" 2>/dev/null || true
    lab_truth "conntrack_stat (/proc/net/stat/nf_conntrack, summed over CPUs): $(lab_ct_stat)"
}

lab_ct_stat() {
    local -a names vals sums=()
    local line i first=1 out=""
    while read -r line; do
        if [ "$first" = 1 ]; then read -ra names <<< "$line"; first=0; continue; fi
        read -ra vals <<< "$line"
        for i in "${!vals[@]}"; do sums[i]=$(( ${sums[i]:-0} + 16#${vals[i]} )); done
    done < <(ip netns exec "$NS_R" cat /proc/net/stat/nf_conntrack)
    for i in "${!names[@]}"; do
        case ${names[i]} in
            invalid|ignore|insert_failed|drop|early_drop) out+="${names[i]}=${sums[i]:-0} " ;;
        esac
    done
    echo "$out"
}

# lab_sysctl NS key=value...: sets a sysctl inside a namespace, recorded.
lab_sysctl() {
    local ns=$1 kv
    shift
    for kv in "$@"; do
        ip netns exec "$ns" sysctl -qw "$kv"
        lab_truth "sysctl_set ns=$( [ "$ns" = "$NS_S" ] && echo server || { [ "$ns" = "$NS_C" ] && echo client || echo router; }) $kv"
    done
}

# lab_nft_add RULE...: adds a rule to the router's forward chain (faults) and prints
# its handle (for lab_nft_del).
lab_nft_add() {
    local out
    out=$(ip netns exec "$NS_R" nft --echo --handle add rule inet lab faults "$@")
    printf '%s\n' "$out" | sed -n 's/.*# handle \([0-9][0-9]*\)$/\1/p' | tail -1
}

lab_nft_del() {
    ip netns exec "$NS_R" nft delete rule inet lab faults handle "$1"
    lab_truth "nft_rule_deleted handle=$1 t=$(lab_now)"
}

# lab_nft_del_at SECONDS HANDLE: deletes a rule SECONDS from now, in the
# background (the rule's counter is read before it goes into truth.txt).
lab_nft_del_at() {
    local s=$1 h=$2
    (
        trap - EXIT
        sleep "$s"
        ip netns exec "$NS_R" nft -a list chain inet lab faults 2>/dev/null |
            grep "# handle $h\$" | sed "s/^[[:space:]]*/nft_rule_final_state: /" >> "$LAB_OUT/truth.txt" || true
        ip netns exec "$NS_R" nft delete rule inet lab faults handle "$h"
        printf 'nft_rule_deleted handle=%s t=%s\n' "$h" "$(lab_now)" >> "$LAB_OUT/truth.txt"
    ) &
    LAB_PIDS+=($!)
}

# lab_cap NS IFACE FILE: starts one capture and waits until it listens
# (lab_cap_with, without extra tcpdump options).
lab_cap() { lab_cap_with "$@"; }

lab_capture_start() {
    lab_cap "$NS_C" "${LAB_CLIENT_IFACE:-eth0}" client.pcap
    lab_cap "$NS_S" eth0 server.pcap
    lab_cap "$NS_R" rc router-c.pcap
    lab_cap "$NS_R" rs router-s.pcap
    sleep 0.2
    lab_heartbeat start
    sleep 0.05
}

# lab_heartbeat WORD: one UDP datagram (payload WORD) from the client and one
# from the server to the router's discard port (the router's input chain
# heartbeat drops them). lab_capture_start sends one when the captures
# listen and lab_finish one before it stops them: a pcap file records no
# start or end time, only its packets, and these mark when each capture was
# running (a server capture that saw no SYN was running all along; a client
# that went quiet did so before the capture ended). Each capture point sees
# its own side's datagram, so frame 1 of client.pcap and server.pcap is one.
lab_heartbeat() {
    local rc rs
    if [ "$LAB_FAM" = 6 ]; then rc=$R6C rs=$R6S; else rc=$R4C rs=$R4S; fi
    # with m in between, through m to the router, so that rc sees it too
    if [ "${LAB_MIDDLE:-0}" = 1 ]; then
        if [ "$LAB_FAM" = 6 ]; then rc=$R6M; else rc=$R4M; fi
    fi
    ip netns exec "$NS_C" bash -c "echo $1 > /dev/udp/$rc/9" 2>/dev/null || true
    ip netns exec "$NS_S" bash -c "echo $1 > /dev/udp/$rs/9" 2>/dev/null || true
}

# lab_tail SECONDS: keeps the captures going for SECONDS with a heartbeat (a
# UDP datagram to the router's discard port every 0.5 s from the client and
# the server). A pcap file records no end time, only its last packet; real
# captures hold other traffic after a connection gives up, and without it
# the silence that makes a timeout a timeout would not be in the file.
lab_tail() {
    local n=$(( $1 * 2 )) i
    for i in $(seq "$n"); do
        lab_heartbeat tail
        sleep 0.5
    done
    lab_truth "tail_seconds=$1 (UDP heartbeat to the router's discard port)"
}

# Stops the captures with SIGINT (tcpdump flushes and closes the file).
# --immediate-mode matters: with TPACKET_V3 blocks, packets of the last
# block timeout would otherwise be lost at SIGINT.
lab_capture_stop() {
    local pid
    sleep 0.3
    for pid in "${LAB_CAP_PIDS[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
    for pid in "${LAB_CAP_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    LAB_CAP_PIDS=()
}

# lab_server ARGS...: starts labserver in the server namespace (address and
# port come first in ARGS) and waits until it listens.
lab_server() {
    ip netns exec "$NS_S" "$LABSERVER" "$@" > "$LAB_TMP/server.out" 2>&1 &
    LAB_SERVER_PID=$!
    LAB_PIDS+=($!)
    local i
    for i in $(seq 100); do
        grep -q '^listening' "$LAB_TMP/server.out" && return 0
        sleep 0.05
    done
    cat "$LAB_TMP/server.out" >&2
    lab_die "labserver did not start"
}

lab_server_wait() { wait "$LAB_SERVER_PID" 2>/dev/null || true; }

# lab_client TAG ARGS...: runs labclient in the client namespace, in the
# foreground; its output is kept as client-TAG.
lab_client() {
    local tag=$1
    shift
    echo "labclient $*" > "$LAB_TMP/client-$tag.cmd"
    ip netns exec "$NS_C" "$LABCLIENT" "$@" > "$LAB_TMP/client-$tag.out" 2>&1 || true
}

# lab_client_bg TAG ARGS...: same, in the background (lab_clients_wait).
lab_client_bg() {
    local tag=$1
    shift
    echo "labclient $*" > "$LAB_TMP/client-$tag.cmd"
    ip netns exec "$NS_C" "$LABCLIENT" "$@" > "$LAB_TMP/client-$tag.out" 2>&1 &
    LAB_CLIENT_PIDS+=($!)
    LAB_PIDS+=($!)
}

lab_clients_wait() {
    local pid
    for pid in "${LAB_CLIENT_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    LAB_CLIENT_PIDS=()
}

# lab_expect VERDICT [CLIENT_VIEW [SERVER_VIEW]]: the verdict of the next
# attempt (in order of first SYN at the client). CLIENT_VIEW and SERVER_VIEW
# are what a capture at only that point can show (default: VERDICT).
lab_expect() { LAB_EXPECT+=("$1|${2:-$1}|${3:-${2:-$1}}"); }

# lab_expect_port PORT VERDICT [CLIENT_VIEW [SERVER_VIEW]]: the same for the
# attempt from client port PORT, when the order of attempts is a race.
declare -A LAB_EXPECT_PORT=()
lab_expect_port() {
    LAB_EXPECT_PORT[$1]="$2|${3:-$2}|${4:-${3:-$2}}"
    LAB_EXPECT+=("port $1")
}

# Prints "client server isn syn_count" per attempt found in a capture, in
# order of the first SYN (a SYN is Flags [S]; a new ISN is a new attempt).
lab_attempts() {
    tcpdump -nr "$1" -S -tt 'tcp' 2>/dev/null | awk '
        {
            for (i = 1; i <= NF; i++) if ($i == "IP" || $i == "IP6") break
            if (i > NF) next
            src = $(i + 1); dst = $(i + 3); sub(/:$/, "", dst)
            if ($(i + 4) != "Flags" || $(i + 5) != "[S],") next
            seq = $(i + 7); sub(/,$/, "", seq)
            src = fmt(src); dst = fmt(dst)
            key = src " " dst " " seq
            if (!(key in n)) order[++k] = key
            n[key]++
        }
        END { for (j = 1; j <= k; j++) print order[j], n[order[j]] }
        # tcpdump writes addr.port; the spec writes addr:port, IPv6 in brackets
        function fmt(a,   p) {
            p = a; sub(/.*\./, "", p); sub(/\.[0-9]+$/, "", a)
            return (a ~ /:/) ? "[" a "]:" p : a ":" p
        }'
}

# lab_lost ISN SERVER_PORT [EXT]: the handshake packets of the attempt with
# client ISN that entered the router and never left it, read from
# router-c.EXT and router-s.EXT (default pcap) in LAB_OUT: a SYN (seq ISN) or
# the client's handshake ACK (length 0, ack = the server's ISN + 1, to
# SERVER_PORT) seen more often towards the client than towards the server, a
# SYN+ACK (ack ISN + 1) more often towards the server than towards the
# client. Masquerade keeps sequence numbers, so this holds with NAT. Prints
# them in the contract's order, comma-separated ("" for none): the fault's
# own count, for expected_lost=.
lab_lost() {
    local isn=$1 port=$2 ext=${3:-pcap} a sisn out=""
    a=$(lab_seq "$isn + 1")
    lab_more router-c router-s "Flags \[S\], seq $isn," && out+=",syn"
    lab_more router-s router-c "Flags \[S\.\], seq [0-9]+, ack $a," && out+=",synack"
    sisn=$({ tcpdump -nr "$LAB_OUT/router-s.$ext" -S tcp; tcpdump -nr "$LAB_OUT/router-c.$ext" -S tcp; } 2>/dev/null |
        sed -n "s/.*Flags \[S\.\], seq \([0-9]*\), ack $a,.*/\1/p" | head -1)
    if [ -n "$sisn" ]; then
        lab_more router-c router-s "\.$port: Flags \[\.\], ack $(lab_seq "$sisn + 1"), .*length 0\$" && out+=",ack"
    fi
    echo "${out#,}"
}

# lab_more A B ERE: capture A.EXT holds more packets matching ERE than B.EXT
# (for lab_lost; ext from its caller).
lab_more() { [ "$(lab_n "$1.$ext" "$3")" -gt "$(lab_n "$2.$ext" "$3")" ]; }

# lab_n FILE ERE: how many packets of capture FILE (in LAB_OUT) match ERE in
# tcpdump's one-line output (-n -S: absolute sequence numbers).
lab_n() { tcpdump -nr "$LAB_OUT/$1" -S 'not (udp port 9)' 2>/dev/null | grep -cE "$2" || true; }

# lab_seq N: N modulo 2^32 (sequence arithmetic for lab_check patterns).
lab_seq() { echo $(( ($1) & 0xffffffff )); }

# lab_check DESCRIPTION ACTUAL OP EXPECTED: a test(1) comparison (-eq, -ge,
# ...) recorded in truth.txt; a failed check fails the scenario. Scenarios
# call it from a function lab_checks, which lab_finish runs once the
# captures are closed and ATT_ISN[1..n] holds the attempts' client ISNs.
LAB_FAILED=0
lab_check() {
    local r=ok
    [ "$2" "$3" "$4" ] || { r=FAIL; LAB_FAILED=1; lab_log "check failed: $1 ($2 $3 $4)"; }
    lab_truth "check $r: $1 ($2 $3 $4)"
}

# Prints the TCP/ICMP packets of a capture, one per line, for truth and README.
lab_dump() { tcpdump -nr "$1" -S -tt -v 2>/dev/null | sed 's/^/    /'; }

# lab_finish: stops captures, writes counters, program output and the
# expected verdicts into truth.txt, and checks the attempt count.
lab_finish() {
    lab_heartbeat end
    lab_capture_stop
    local f ns tag
    if [ "${LAB_NAT:-0}" = 1 ]; then lab_nat_truth; fi
    lab_truth ""
    lab_truth "# router ruleset at the end, with counters (rules deleted during the run are"
    lab_truth "# listed above as nft_rule_final_state / nft_rule_deleted)"
    ip netns exec "$NS_R" nft list ruleset | sed 's/^/nft: /' >> "$LAB_OUT/truth.txt"
    lab_truth ""
    lab_truth "# kernel counters (nstat -as, non-zero only) per namespace"
    for ns in client:"$NS_C" router:"$NS_R" server:"$NS_S"; do
        NSTAT_HISTORY=$LAB_TMP/nstat.hist ip netns exec "${ns#*:}" nstat -as 2>/dev/null |
            grep -E '^(Tcp|Icmp|IpForw|IpOutNoRoutes|Ip6OutNoRoutes|IpExtInNoRoutes)' |
            grep -Ev '^Icmp6(In|Out)(RouterSolicits|NeighborSolicits|NeighborAdvertisements|MLDv2Reports|Type13[3-6]|Type143)' | awk -v w="${ns%%:*}" '{ print "nstat_" w ": " $1 "=" $2 }' >> "$LAB_OUT/truth.txt"
    done
    lab_truth ""
    lab_truth "# program output"
    for f in "$LAB_TMP"/client-*.cmd; do
        [ -e "$f" ] || continue
        tag=$(basename "$f" .cmd)
        lab_truth "$tag.cmd: $(sed "s|$LAB_TMP/||; s|$LAB_ROOT/||g" "$f")"
        sed "s/^/$tag: /" "$LAB_TMP/$tag.out" >> "$LAB_OUT/truth.txt"
    done
    [ -e "$LAB_TMP/server.out" ] && sed 's/^/server: /' "$LAB_TMP/server.out" >> "$LAB_OUT/truth.txt"
    lab_truth ""
    lab_truth "# captures: file link-type packets"
    for f in client.pcap server.pcap router-c.pcap router-s.pcap; do
        lab_truth "capture $f $(tcpdump -nr "$LAB_OUT/$f" 2>&1 >/dev/null | sed -n 's/.*link-type \([^ ]*\).*/\1/p' | head -1) $(tcpdump -nr "$LAB_OUT/$f" 2>/dev/null | wc -l)"
    done
    lab_truth ""
    lab_truth "# attempts (one client ISN on one 4-tuple), in order of the first SYN at"
    lab_truth "# the client; expected_verdict is what really happened, _client and"
    lab_truth "# _server what a capture at only that point can show (none: that"
    lab_truth "# capture holds no packet of the attempt)"
    local i=0 line exp ok=1
    local -a atts
    mapfile -t atts < <(lab_attempts "$LAB_OUT/client.pcap")
    for line in "${atts[@]}"; do
        set -- $line
        exp=${LAB_EXPECT_PORT[${1##*:}]:-${LAB_EXPECT[$i]:-unknown|unknown|unknown}}
        i=$((i + 1))
        lab_truth "attempt=$i client=$1 server=$2 client_isn=$3 syns_sent=$4"
        lab_truth "expected_verdict=${exp%%|*}"
        exp=${exp#*|}
        lab_truth "expected_verdict_client=${exp%%|*}"
        lab_truth "expected_verdict_server=${exp#*|}"
        # m drops nothing and the router's faults are behind rc: the middle
        # capture shows what the client's shows
        [ "${LAB_MIDDLE:-0}" = 0 ] || lab_truth "expected_verdict_middle=${exp%%|*}"
        lab_truth "expected_lost=$(lab_lost "$3" "${2##*:}")"
        if [ "${LAB_NAT:-0}" = 1 ]; then
            # masquerade keeps the ISN: the server capture's SYN with this ISN
            # names the client as the server saw it
            lab_truth "nat client=$1 server_side=$(lab_attempts "$LAB_OUT/server.pcap" |
                awk -v isn="$3" '$3 == isn { print $1; exit }' | grep . || echo none)"
        fi
    done
    lab_truth "attempts_seen=$i attempts_expected=${#LAB_EXPECT[@]}"
    ATT_ISN=("")
    for line in "${atts[@]}"; do
        set -- $line
        ATT_ISN+=("$3")
    done
    if declare -F lab_checks >/dev/null; then
        lab_truth ""
        lab_truth "# checks of the captures against what the scenario is meant to show"
        lab_checks
    fi
    [ "$LAB_FAILED" = 0 ] || ok=0
    [ "$i" = "${#LAB_EXPECT[@]}" ] || { ok=0; lab_log "attempts seen $i != expected ${#LAB_EXPECT[@]}"; }
    for f in client.pcap server.pcap router-c.pcap router-s.pcap; do
        [ -s "$LAB_OUT/$f" ] || { ok=0; lab_log "empty capture $f"; }
    done
    [ "$ok" = 1 ] || lab_die "scenario $LAB_NAME did not behave as expected (see $LAB_OUT/truth.txt)"
    if [ "${LAB_PCAPNG:-0}" = 1 ]; then
        lab_truth ""
        lab_truth "format=pcapng (the capture lines above describe tcpdump's pcap, rewritten by lab/tools/pcap2pcapng into CAPTURE.pcapng: one SHB, one IDB with if_name and if_tsresol, EPBs)"
        local spec
        for spec in client:"${LAB_CLIENT_IFACE:-eth0}" server:eth0 router-c:rc router-s:rs; do
            f=${spec%%:*}
            "$PCAP2PCAPNG" "$LAB_OUT/$f.pcap" "$LAB_OUT/$f.pcapng" "${spec#*:}" \
                "tcpwhy lab scenario $LAB_NAME, capture point $f, Linux $(uname -r)" ||
                lab_die "pcap2pcapng failed on $f.pcap"
            rm -f "$LAB_OUT/$f.pcap"
        done
    fi
    lab_log "done: $LAB_OUT"
}

# ---- RST scenarios (lab/scenarios/rst_*.sh) ---------------------------------

# lab_frame FILE ERE [NTH]: the 1-based frame number (as Wireshark counts,
# every frame of the file) of the NTH packet (default 1) of capture FILE (in
# LAB_OUT) whose tcpdump line (-n -S) matches ERE; "none" when there is none.
lab_frame() {
    local n
    n=$(tcpdump -#nr "$LAB_OUT/$1" -S 2>/dev/null | grep -E "$2" | sed -n "${3:-1}p" | awk '{ print $1 }')
    echo "${n:-none}"
}

# lab_frame_after FILE FRAME ERE: the first frame after FRAME in capture FILE
# whose tcpdump line (-n -S) matches ERE; "none" when there is none.
lab_frame_after() {
    local n
    n=$(tcpdump -#nr "$LAB_OUT/$1" -S 2>/dev/null | awk -v f="$2" '$1 > f + 0' | grep -E "$3" | head -1 | awk '{ print $1 }')
    echo "${n:-none}"
}

# lab_nstat WHO COUNTER: the value of a kernel counter in the namespace WHO
# (client, router, server) as lab_finish recorded it in truth.txt (0 when
# absent); for lab_checks.
lab_nstat() {
    local v
    v=$(sed -n "s/^nstat_$1: $2=//p" "$LAB_OUT/truth.txt" | head -1)
    echo "${v:-0}"
}

# lab_ms FILE ERE1 ERE2: milliseconds (rounded) from the first packet of
# capture FILE matching ERE1 to the first later one matching ERE2; "?" when
# there is none.
lab_ms() {
    tcpdump -nr "$LAB_OUT/$1" -S -tt 'not (udp port 9)' 2>/dev/null | awk -v a="$2" -v b="$3" '
        t0 == "" && $0 ~ a { t0 = $1; next }
        t0 != "" && $0 ~ b { printf "%d\n", ($1 - t0) * 1000 + 0.5; found = 1; exit }
        END { if (!found) print "?" }'
}

# lab_ct_count TEXT: the packet counter of the rule of the router's NAT watch
# chain (LAB_NAT=1) whose comment starts with TEXT; lab_ct_count masquerade:
# how many connections the IPv4 and IPv6 masquerade rules translated (NAT
# rules see only the first packet of each conntrack entry).
lab_ct_count() {
    if [ "$1" = masquerade ]; then
        ip netns exec "$NS_R" nft list ruleset 2>/dev/null |
            awk '/masquerade/ { for (i = 1; i < NF; i++) if ($i == "packets") n += $(i + 1) } END { print n + 0 }'
        return
    fi
    ip netns exec "$NS_R" nft list chain inet labct watch 2>/dev/null |
        awk -v t="comment \"$1" 'index($0, t) { for (i = 1; i < NF; i++) if ($i == "packets") { print $(i + 1); exit } }'
}

# lab_rst FRAME_CLIENT FRAME_SERVER SENDER CAUSE ACCEPTED HOW...: one RST of
# the run, for truth.txt: its frame in client.pcap and server.pcap ("none"
# when that capture does not hold it), who sent it (client, server, middle),
# why (no_listener, answer_to_stale_ack, answer_to_challenge_ack,
# late_synack, app_abort, data_after_close, no_connection, time_wait,
# keepalive_timeout, middlebox, unknown), whether the receiving TCP accepted
# it (true/false) and, as rst_how:, how that was determined. Call from
# lab_checks (the captures are closed then).
lab_rst() {
    local fc=$1 fs=$2 who=$3 cause=$4 acc=$5
    shift 5
    lab_truth "rst frame_client=$fc frame_server=$fs sender=$who cause=$cause accepted=$acc"
    lab_truth "rst_how: $*"
}

# lab_ss TAG: the TCP sockets of the client and server namespaces right now
# (ss -tan, listeners included), into truth.txt as ss_client/ss_server TAG:.
lab_ss() {
    local w ns
    for w in client:"$NS_C" server:"$NS_S"; do
        ns=${w#*:}
        ip netns exec "$ns" ss -tanH 2>/dev/null | awk -v p="ss_${w%%:*} $1:" '{ $1 = $1; print p, $0 }' >> "$LAB_OUT/truth.txt"
        lab_truth "ss_${w%%:*} $1: end (t=$(lab_now))"
    done
}

# lab_server_kill SIGNAL: sends SIGNAL to labserver (ip netns exec execs it,
# so LAB_SERVER_PID is labserver itself), waits for it, records when.
lab_server_kill() {
    lab_truth "server_killed signal=$1 t=$(lab_now)"
    kill -s "$1" "$LAB_SERVER_PID" 2>/dev/null || true
    wait "$LAB_SERVER_PID" 2>/dev/null || true
}

# ---- Connects, not packets (lab/scenarios/connect_*.sh) --------------------

# lab_wait_for FILE ERE: waits up to 5 s for a line of FILE matching ERE
# (a program saying it is ready); false when none came.
lab_wait_for() {
    local i
    for i in $(seq 100); do
        grep -qE "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

# lab_cap_with NS IFACE FILE TCPDUMP_OPTION...: lab_cap with more tcpdump
# options after the usual ones (a later -s or -B wins), e.g. a tiny capture
# buffer; tcpdump's stderr stays in LAB_TMP/FILE.err (lab_cap_dropped).
lab_cap_with() {
    local ns=$1 ifc=$2 file=$3
    shift 3
    local opts=(-n -i "$ifc" -s "${LAB_SNAPLEN:-256}" --immediate-mode -U -Z root -w "$LAB_OUT/$file")
    [ "${LAB_NANO:-0}" = 1 ] && opts+=(--time-stamp-precision=nano)
    opts+=("$@")
    echo "tcpdump ${opts[*]}" > "$LAB_TMP/$file.cmd"
    ip netns exec "$ns" tcpdump "${opts[@]}" "$LAB_FILTER" 2> "$LAB_TMP/$file.err" &
    LAB_CAP_PIDS+=($!)
    lab_wait_for "$LAB_TMP/$file.err" 'listening on' && return 0
    cat "$LAB_TMP/$file.err" >&2
    lab_die "tcpdump on $ns/$ifc did not start"
}

# lab_cap_dropped FILE: "N packets dropped by kernel" as tcpdump printed it
# when capture FILE stopped (after lab_capture_stop; "?" when absent).
lab_cap_dropped() {
    local n
    n=$(sed -n 's/^\([0-9][0-9]*\) packets\{0,1\} dropped by kernel$/\1/p' "$LAB_TMP/$1.err" | tail -1)
    echo "${n:-?}"
}

# lab_cap_stats FILE: tcpdump's closing statistics of capture FILE on one
# line ("N packets captured, N packets received by filter, ...").
lab_cap_stats() {
    grep -E 'packets? (captured|received by filter|dropped by kernel)' "$LAB_TMP/$1.err" | paste -sd, - | sed 's/,/, /g'
}

# lab_connect_truth TAG: one line per logical connect of client TAG (run with
# --connect-summary): what the application experienced, from its first
# connect() to the first success or the last failure, with the ISN of the
# first attempt's first SYN in client.pcap. Call from lab_checks.
#   connect client=IP server=IP:PORT attempts=N first_isn=ISN start=EPOCH
#       end=EPOCH outcome=connected|failed app_timeout_ms=N
lab_connect_truth() {
    local out=$LAB_TMP/client-$1.out line local remote isn ip
    line=$(grep -m1 '^attempt=1 local=' "$out") || { lab_log "client-$1: no attempt 1"; LAB_FAILED=1; return; }
    local=$(printf '%s\n' "$line" | sed -n 's/.* local=\([^ ]*\) .*/\1/p')
    remote=$(printf '%s\n' "$line" | sed -n 's/.* remote=\([^ ]*\) .*/\1/p')
    isn=$(lab_attempts "$LAB_OUT/client.pcap" | awk -v c="$local" -v s="$remote" '$1 == c && $2 == s { print $3; exit }')
    ip=${local%:*} ip=${ip#[} ip=${ip%]}
    line=$(grep -m1 '^connect t_start=' "$out") || { lab_log "client-$1: no connect line"; LAB_FAILED=1; return; }
    printf '%s\n' "$line" | awk -v ip="$ip" -v srv="$remote" -v isn="${isn:-none}" '{
            for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
            printf "connect client=%s server=%s attempts=%s first_isn=%s start=%s end=%s outcome=%s app_timeout_ms=%s\n",
                ip, srv, f["attempts"], isn, f["t_start"], f["t_end"], f["result"], f["timeout_ms"]
        }' >> "$LAB_OUT/truth.txt"
}

# lab_missing HAS LACKS: the TCP packets of capture HAS (in LAB_OUT) that
# capture LACKS does not hold, compared by tcpdump's line without the time
# (-n -S: addresses, flags, sequence numbers, options, length; valid between
# captures of the same packets without NAT), as a multiset. Prints "TOTAL
# C2S C2S_DATA S2C S2C_DATA" (client-to-server and server-to-client packets,
# and how many of them carry payload).
lab_missing() {
    local a=$LAB_OUT/$1 b=$LAB_OUT/$2
    {
        tcpdump -nr "$a" -S -tt tcp 2>/dev/null | cut -d' ' -f2- | sed 's/^/A /'
        tcpdump -nr "$b" -S -tt tcp 2>/dev/null | cut -d' ' -f2- | sed 's/^/B /'
    } | awk -v cli="$CLI" '
        { k = substr($0, 3); if ($1 == "A") na[k]++; else nb[k]++ }
        END {
            for (k in na) {
                m = na[k] - nb[k]
                if (m <= 0) continue
                split(k, f, " ")
                c2s = index(f[2], cli ".") == 1
                data = k !~ /length 0$/
                t += m
                if (c2s) { c += m; cd += data * m } else { s += m; sd += data * m }
            }
            print t + 0, c + 0, cd + 0, s + 0, sd + 0
        }'
}

# ---- tcpwhy live (lab/live_check.sh, bench/live_churn.sh) -------------------

# lab_tcpwhy NS OUT ERR ARGS...: starts "$TCPWHY ARGS..." in namespace NS
# (standard output to OUT, a file or fifo; standard error to ERR) and waits
# until it says it listens. LAB_TW_PID is tcpwhy itself (ip netns exec
# execs it), for /proc and for signals.
lab_tcpwhy() {
    local ns=$1 o=$2 e=$3
    shift 3
    : > "$e" # not an old run's "listening on"
    ip netns exec "$ns" "$TCPWHY" "$@" > "$o" 2> "$e" &
    LAB_TW_PID=$!
    LAB_PIDS+=("$LAB_TW_PID")
    lab_wait_for "$e" 'listening on' && return 0
    cat "$e" >&2
    lab_die "tcpwhy $* did not start"
}
