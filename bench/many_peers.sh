#!/bin/bash
# many_peers.sh - a route server with many NVA sessions: N NVAs
# (pharos-peer) of R routes each plus two full-table peers announcing the
# same F routes, all to one pharosd, and a monitor session that must end
# up holding every distinct prefix (N*R + F).
#
# Every session is established first, with hold time 9 s (keepalives every
# 3 s); then all announce at once (SIGUSR1). Reported: convergence (from
# that signal until the monitor holds every prefix, its own t_full), the
# CPU seconds pharosd spent meanwhile, its resident memory then and at
# peak (VmRSS, VmHWM), and, after a further 30 s (ten keepalive
# intervals), whether every session is still established with no flap:
# a keepalive missed three times in a row would have dropped one.
#
# Usage: bench/many_peers.sh [-n NVAS] [-r ROUTES] [-f FULL] [-T TIMEOUT_S]
# (root; not part of make test). Binaries from build/.
set -u
N=1000 R=1000 F=1000000 TIMEOUT=600
while getopts "n:r:f:T:h" o; do
	case $o in
	n) N=$OPTARG ;;
	r) R=$OPTARG ;;
	f) F=$OPTARG ;;
	T) TIMEOUT=$OPTARG ;;
	*) sed -n '2,16s/^# \{0,1\}//p' "$0"; exit 2 ;;
	esac
done
TOP=$(cd "$(dirname "$0")/.." && pwd)
export PHAROS_BIN=${PHAROS_BIN:-$TOP/build}
# shellcheck source=../tests/lib.sh
. "$TOP/tests/lib.sh"
need_bin "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER" jq curl
ulimit -n "$(ulimit -Hn)" 2>/dev/null

RS=198.18.31.250 MON=198.18.31.251 API=198.18.31.250:8179
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) CPUs, load $(cut -d" " -f1-3 /proc/loadavg)"
TOTAL=$((N * R + F))
# peer I (1..N+2) at 198.18.16.0/20 + I; AS 4200000000 + I
addr_of() { echo "198.18.$((16 + ($1 >> 8))).$(($1 & 255))"; }
# the I-th /24 from 16.0.0.0 (NVAs) and from 64.0.0.0 (the full table)
nth_24() {
	local a=$((($2 << 24) + ($1 << 8)))
	echo "$((a >> 24 & 255)).$((a >> 16 & 255)).$((a >> 8 & 255)).0"
}

ns_create b
{
	echo "addr add $RS/32 dev lo"
	echo "addr add $MON/32 dev lo"
	for ((i = 1; i <= N + 2; i++)); do echo "addr add $(addr_of "$i")/32 dev lo"; done
} >"$T_DIR/addrs"
ip -n "$(ns b)" -batch "$T_DIR/addrs" || bail "addresses"

CONF=$T_DIR/rs.yaml
pharos_conf_begin "$CONF" asn=65515 router_id=$RS listen=$RS hold_time=9 keepalive=3
for ((i = 1; i <= N + 2; i++)); do
	pharos_conf_peer "$CONF" "p$i" nva "$(addr_of "$i")" $((4200000000 + i)) \
		passive=true max_prefixes=$((F + R + 1))
done
pharos_conf_peer "$CONF" mon nva "$MON" 4200100000 passive=true
pharos_conf_api "$CONF" "$API"
pharosd_start b "$CONF" "$API"
pd=$(pid_of pharosd)

start_in mon b "$PHAROS_PEER" -a 4200100000 -b "$MON" -H 9 -o none --stats \
	--wait-prefixes "$TOTAL" "$RS"
for ((i = 1; i <= N + 2; i++)); do
	if ((i <= N)); then
		load="generate $R start $(nth_24 $(((i - 1) * R)) 16)"
	else
		load="generate $F start $(nth_24 0 64)"
	fi
	printf '%s\n' wait-signal "$load" >"$T_DIR/p$i.script"
	start_in "p$i" b "$PHAROS_PEER" -a $((4200000000 + i)) -b "$(addr_of "$i")" -H 9 \
		-o none -f "$T_DIR/p$i.script" "$RS"
done
established() {
	nsx b curl -sf -m 5 "http://$API/api/v1/peers" |
		jq '[.peers[] | select(.state == "established")] | length'
}
wait_until 300 eval '[ "$(established)" = $((N + 3)) ]' ||
	bail "all $((N + 3)) sessions established (got $(established))"

c0=$(cut -d' ' -f14,15 "/proc/$pd/stat" | awk '{ print $1 + $2 }')
t0=$EPOCHREALTIME
for ((i = 1; i <= N + 2; i++)); do kill -USR1 "$(pid_of "p$i")"; done
wait_until "$TIMEOUT" eval '! alive mon' || bail "the monitor holds $TOTAL prefixes"
c1=$(cut -d' ' -f14,15 "/proc/$pd/stat" | awk '{ print $1 + $2 }')
full=$(grep '"type":"stats"' "$(log_of mon)" | tail -1 | jq -r .t_full)
held=$(grep '"type":"stats"' "$(log_of mon)" | tail -1 | jq -r .prefixes_held)
rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$pd/status")
hwm=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$pd/status")

sleep 30 # ten keepalive intervals after the load
peers=$(nsx b curl -sf -m 10 "http://$API/api/v1/peers")
up=$(jq '[.peers[] | select(.name != "mon" and .state == "established")] | length' <<<"$peers")
flaps=$(jq '[.peers[] | select(.name != "mon") | .flaps // 0] | add' <<<"$peers")

awk -v n="$N" -v r="$R" -v f="$F" -v held="$held" -v t0="$t0" -v t1="$full" \
	-v cpu="$(((c1 - c0)))" -v hz="$(getconf CLK_TCK)" -v rss="$rss" -v hwm="$hwm" \
	-v up="$up" -v flaps="$flaps" 'BEGIN {
	printf "nvas=%d routes_each=%d full_table=%d x2 monitor_held=%d\n", n, r, f, held
	printf "convergence_s=%.2f pharosd_cpu_s=%.2f pharosd_rss_mb=%.0f pharosd_hwm_mb=%.0f\n",
		t1 - t0, cpu / hz, rss / 1024, hwm / 1024
	printf "after_30s: established=%d/%d flaps=%d\n", up, n + 2, flaps
}'
exit 0
