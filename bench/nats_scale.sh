#!/bin/bash
# nats_scale.sh - route distribution to many hosts: NATS JetStream
# (fabric.publish) against the HTTP long-poll path.
#
# One network namespace holds pharosd, two NVAs (pharos-peer) announcing
# 198.19.250.0/24, nats-server -js (NATS runs only) and bench/agent_sim.c:
# N simulated agents, agent I following subnet spoke-I/app (N spokes
# peered to the hub with use_remote_gateways, so every spoke receives the
# route). Once every agent holds the route with two next hops, the second
# NVA is killed (SIGKILL: its kernel closes the session) and each agent
# notes when it sees the route with one next hop. Reported: from the kill
# to each agent's update, p50, p99 and max over the agents (and how many
# never saw it); CPU seconds pharosd and nats-server spent from the kill
# to the last update, and their resident memory then (VmRSS) and at peak
# (VmHWM).
#
# Usage: bench/nats_scale.sh [-n AGENTS] [-m nats|http|"nats http"]
#        [-c CONNECTIONS] [-T TIMEOUT_S]
# (root; not part of make test). Binaries from build/.
set -u
N=1000 MODES="nats http" CONNS=50 TIMEOUT=120
while getopts "n:m:c:T:h" o; do
	case $o in
	n) N=$OPTARG ;;
	m) MODES=$OPTARG ;;
	c) CONNS=$OPTARG ;;
	T) TIMEOUT=$OPTARG ;;
	*) sed -n '2,22s/^# \{0,1\}//p' "$0"; exit 2 ;;
	esac
done
TOP=$(cd "$(dirname "$0")/.." && pwd)
export PHAROS_BIN=${PHAROS_BIN:-$TOP/build}
# shellcheck source=../tests/lib.sh
. "$TOP/tests/lib.sh"
NATS_SERVER=${NATS_SERVER:-$(command -v nats-server || echo /usr/sbin/nats-server)}
need_bin "$PHAROSD" "$PHAROS_PEER" "$NATS_SERVER" cc jq curl
ulimit -n "$(ulimit -Hn)" 2>/dev/null

RS=198.18.0.1 N1=198.18.0.2 N2=198.18.0.3 BUS=198.18.0.9
P4=198.19.250.0/24
SIM=$T_DIR/agent_sim
cc -O2 -o "$SIM" "$TOP/bench/agent_sim.c" -lnats -lcurl -ljansson -lpthread ||
	bail "build agent_sim"

ns_create b
for a in $RS $N1 $N2 $BUS; do nsx b ip addr add "$a/32" dev lo; done
for i in $(seq 1 40); do nsx b ip addr add "198.18.2.$i/32" dev lo; done

# conf PUBLISH: pharosd with N spokes (IPv6 address spaces, so the IPv4
# route is valid in each), publishing to NATS when PUBLISH is 1
conf() {
	local f=$T_DIR/rs.yaml i
	pharos_conf_begin "$f" asn=65515 router_id=$RS listen=$RS hold_time=30 keepalive=10
	pharos_conf_peer "$f" nva1 nva "$N1" 65001 passive=true
	pharos_conf_peer "$f" nva2 nva "$N2" 65002 passive=true
	pharos_conf_api "$f" "$RS:8179"
	{
		echo "fabric:"
		[ "$1" = 1 ] && echo "  publish: {nats: \"nats://$BUS:4222\", name: rs1}"
		echo "  vnets:"
		echo "    - {name: hub, hub: true, address_space: [198.18.100.0/24], subnets: [{name: nva, prefix: 198.18.100.0/26}]}"
		for ((i = 0; i < N; i++)); do
			printf '    - {name: spoke-%d, address_space: ["2001:db8:1:%x::/64"], peerings: [{remote: hub, use_remote_gateways: true}], subnets: [{name: app, prefix: "2001:db8:1:%x::/64"}]}\n' "$i" "$i" "$i"
		done
	} >>"$f"
	echo "$f"
}
ticks() { local l r f; l=$(<"/proc/$1/stat"); r=${l##*) }; read -r -a f <<<"$r"; echo $((f[11] + f[12])); }
kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
secs() { awk -v t="$1" -v c="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / c }'; }
api_up() { nsx b curl -sf -m 2 "http://$RS:8179/api/v1/peers" >/dev/null; }
peer_up() { nsx b curl -sf -m 2 "http://$RS:8179/api/v1/peers/$1" | jq -e '.state == "established"' >/dev/null; }

run_mode() {
	local mode=$1 pub=0 f t0 pd nd c0 n0 c1 n1 lat
	[ "$mode" = nats ] && pub=1
	if [ "$pub" = 1 ]; then
		rm -rf "$T_DIR/js"; mkdir -p "$T_DIR/js"
		start_in nats b "$NATS_SERVER" -a "$BUS" -p 4222 -js -sd "$T_DIR/js"
		wait_until 20 nsx b bash -c "exec 3<>/dev/tcp/$BUS/4222" || bail "nats-server"
	fi
	f=$(conf "$pub")
	start_in pharosd b "$PHAROSD" -c "$f"
	wait_until 60 api_up || bail "pharosd with $N spokes"
	start_in nva1 b "$PHAROS_PEER" -a 65001 -R 65515 -b "$N1" -o none -A "$P4" "$RS"
	start_in nva2 b "$PHAROS_PEER" -a 65002 -R 65515 -b "$N2" -o none -A "$P4" "$RS"
	wait_until 30 eval 'peer_up nva1 && peer_up nva2' || bail "NVA sessions"
	if [ "$mode" = nats ]; then
		start_in sim b "$SIM" -m nats -n "$N" -c "$CONNS" -u "nats://$BUS:4222" \
			-p "$P4" -T "$TIMEOUT"
	else
		start_in sim b "$SIM" -m http -n "$N" -u "http://$RS:8179" -p "$P4" \
			-b 198.18.2. -k 40 -T "$TIMEOUT"
	fi
	wait_until $((TIMEOUT * 3)) grep -q '^ready' "$(log_of sim)" ||
		{ tail -5 "$(log_of sim)"; bail "$N $mode agents hold the route"; }
	pd=$(pid_of pharosd)
	nd=$(pid_of nats)
	c0=$(ticks "$pd"); n0=0; [ -n "$nd" ] && n0=$(ticks "$nd")
	t0=$EPOCHREALTIME
	stop_proc nva2 KILL 5
	wait_until $((TIMEOUT + 10)) grep -q '^done' "$(log_of sim)"
	c1=$(ticks "$pd"); n1=0; [ -n "$nd" ] && n1=$(ticks "$nd")
	lat=$(awk -v t0="$t0" '/^seen/ { printf "%.1f\n", ($2 - t0) * 1000 }' "$(log_of sim)" | sort -n)
	local seen missed
	seen=$(printf '%s\n' "$lat" | grep -c .)
	missed=$(grep -c '^missed' "$(log_of sim)")
	printf '%s\n' "$lat" | awk -v mode="$mode" -v n="$N" -v missed="$missed" \
		-v pc="$(secs $((c1 - c0)))" -v prss="$(kb "$pd" VmRSS)" -v phwm="$(kb "$pd" VmHWM)" \
		-v nc="$(secs $((n1 - n0)))" -v nrss="${nd:+$(kb "$nd" VmRSS)}" -v nhwm="${nd:+$(kb "$nd" VmHWM)}" '
		{ v[NR] = $1 }
		END {
			p50 = v[int((NR - 1) * 0.50) + 1]; p99 = v[int((NR - 1) * 0.99) + 1]
			printf "%-5s agents=%d updated=%d missed=%d p50_ms=%s p99_ms=%s max_ms=%s", mode, n, NR, missed, p50, p99, v[NR]
			printf " pharosd_cpu_s=%s pharosd_rss_mb=%.1f pharosd_hwm_mb=%.1f", pc, prss / 1024, phwm / 1024
			if (nrss != "") printf " nats_cpu_s=%s nats_rss_mb=%.1f nats_hwm_mb=%.1f", nc, nrss / 1024, nhwm / 1024
			printf "\n"
		}'
	[ "$seen" -gt 0 ] || true
	stop_proc sim TERM 5
	stop_proc nva1 TERM 5
	stop_proc pharosd TERM 10
	[ -n "$nd" ] && stop_proc nats TERM 10
	return 0
}

echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
for m in $MODES; do run_mode "$m"; done
