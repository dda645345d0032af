#!/bin/bash
# flap.sh - many configured peers flapping against pharosd while a stable
# session with a 3 s hold time must never drop (not part of `make test`;
# tests/e2e/t_bounds.sh runs a shorter version).
#
# PEERS configured peers (default 1000) each connect, announce one /24,
# and leave, ROUNDS times (default 5), PARALLEL at a time (default 50).
# Meanwhile a stable peer (hold 3 s, keepalive 1 s) stays connected; the
# sampler reads pharosd's metrics every 0.2 s. At the end it reports:
# sessions established by the flappers, the stable session's drops (must
# be 0), the longest gap between two messages pharosd sent to the stable
# peer (keepalives and updates: what its hold timer sees), the duration,
# pharosd's CPU time and its RSS (start, peak, end). Exit 1 when the
# stable session dropped.
#
#   bench/flap.sh [--peers N] [--rounds R] [--parallel P] [--out DIR]
#
# Uses build/pharosd and build/pharos-peer (PHAROS_BIN to change).
set -u
FLAP_DIR=$(cd "$(dirname "$0")" && pwd)
PHAROS_TOP=$(cd "$FLAP_DIR/.." && pwd)
export PHAROS_TOP
export PHAROS_BIN=${PHAROS_BIN:-$PHAROS_TOP/build}

peers=1000 rounds=5 parallel=50 out=""
while [ $# -gt 0 ]; do
	case $1 in
	--peers) peers=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	--parallel) parallel=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "flap.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
# shellcheck source=../tests/lib.sh
. "$PHAROS_TOP/tests/lib.sh"
need_bin "$PHAROSD" "$PHAROS_PEER" jq curl
[ -n "$out" ] || out=$T_DIR
mkdir -p "$out"

PORT=1796
API=127.0.0.1:18196
RS=198.18.0.1
CONF=$T_DIR/pharosd.yaml
flap_addr() { echo "198.18.$((2 + $1 / 250)).$((1 + $1 % 250))"; }

ns_create rs
{
	echo "addr add $RS/32 dev lo"
	echo "addr add 198.18.0.5/32 dev lo"
	for i in $(seq 1 "$peers"); do echo "addr add $(flap_addr "$i")/32 dev lo"; done
} | ip -n "$(ns rs)" -batch -

pharos_conf_begin "$CONF" asn=65515 router_id=$RS listen=$RS port=$PORT \
	hold_time=30 keepalive=10
pharos_conf_peer "$CONF" stable nva 198.18.0.5 65005 passive=true hold_time=3 keepalive=1
for i in $(seq 1 "$peers"); do
	pharos_conf_peer "$CONF" "flap$i" nva "$(flap_addr "$i")" $((64512 + i)) passive=true
done
pharos_conf_api "$CONF" "$API"
pharosd_start rs "$CONF" "$API"
PID=$(pid_of pharosd)

metrics() { metrics_of rs "$API"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
rss_kb() { proc_kb "$PID" "$1"; }

start_in stable rs "$PHAROS_PEER" -a 65005 -R 65515 -b 198.18.0.5 -H 3 -o none \
	-A 198.19.5.0/24 "$RS" $PORT
wait_until 15 peer_established stable || bail "the stable peer is established"

cat >"$T_DIR/flap-loop.sh" <<'FLAP'
bin=$1 rs=$2 port=$3 n=$4 rounds=$5 par=$6
for r in $(seq 1 "$rounds"); do
	for i in $(seq 1 "$n"); do
		"$bin" -a $((64512 + i)) -R 65515 -b "198.18.$((2 + i / 250)).$((1 + i % 250))" \
			-o none -t 0 -A "198.20.$((i % 250)).0/24" "$rs" "$port" >/dev/null 2>&1 &
		[ $((i % par)) -eq 0 ] && wait
	done
	wait
done
FLAP

flaps0=$(metrics | metric_value pharos_peer_flaps_total stable)
rss0=$(rss_kb VmRSS)
cpu0=$(cpu_ticks)
hz=$(getconf CLK_TCK)
t0=$(date +%s.%N)
start_bg flapper ip netns exec "$(ns rs)" bash "$T_DIR/flap-loop.sh" "$PHAROS_PEER" "$RS" \
	"$PORT" "$peers" "$rounds" "$parallel"
# sampler: the stable peer's sent-message counter (messages_out: keepalives
# and updates) and state, every 0.2 s
gap=0 last_n=-1 last_t=$t0 drops=0 samples=0
while alive flapper; do
	j=$(nsx rs curl -s -m 5 "http://$API/api/v1/peers/stable")
	now=$(date +%s.%N)
	read -r n st < <(jq -r '(.peer // .) | "\(.messages_out) \(.state)"' <<<"$j" 2>/dev/null)
	samples=$((samples + 1))
	if [ -n "$n" ] && [ "$n" != "$last_n" ]; then
		gap=$(awk -v g="$gap" -v a="$last_t" -v b="$now" 'BEGIN { d = b - a; print ((d > g) ? d : g) }')
		last_n=$n last_t=$now
	fi
	[ -n "$st" ] && [ "$st" != established ] && drops=$((drops + 1))
	echo "$now ${n:-} ${st:-} $(rss_kb VmRSS)" >>"$out/flap-samples.txt"
	sleep 0.2
done
t1=$(date +%s.%N)
stop_proc flapper
cpu1=$(cpu_ticks)
m=$(metrics)
fl=$(awk '/^pharos_peer_sessions_established_total\{peer="flap/ { s += $2 } END { print s + 0 }' <<<"$m")
flaps1=$(metric_value pharos_peer_flaps_total stable <<<"$m")
hold_exp=$(grep -ci 'hold timer' "$(log_of stable)")
dur=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
cpu=$(awk -v a="$cpu0" -v b="$cpu1" -v hz="$hz" 'BEGIN { printf "%.1f", (b - a) / hz }')
cpu_pct=$(awk -v c="$cpu" -v d="$dur" 'BEGIN { printf "%.0f", (d > 0 ? 100 * c / d : 0) }')
rss1=$(rss_kb VmRSS)
hwm=$(rss_kb VmHWM)
stable_ok=1
peer_established stable || stable_ok=0
dropped=$((${flaps1:-0} - ${flaps0:-0}))
[ "$drops" -gt 0 ] && [ "$dropped" -eq 0 ] && dropped=$drops
{
	echo "peers=$peers rounds=$rounds parallel=$parallel"
	echo "flap_sessions_established=$fl (of $((peers * rounds)) attempts)"
	echo "stable_drops=$dropped stable_not_established_samples=$drops stable_hold_expiries=$hold_exp stable_up_at_end=$stable_ok"
	echo "stable_max_gap_s=$(printf '%.2f' "$gap") (hold 3 s, keepalive 1 s, sampled every 0.2 s over $samples samples)"
	echo "duration_s=$dur"
	echo "pharosd_cpu_s=$cpu (${cpu_pct}% of one core)"
	echo "pharosd_rss_kb start=$rss0 peak=$hwm end=$rss1"
} | tee "$out/flap-report.txt"
pharosd_stop || echo "pharosd did not exit cleanly" >&2
[ "$dropped" -eq 0 ] && [ "$hold_exp" -eq 0 ] && [ "$stable_ok" = 1 ]
