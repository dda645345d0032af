#!/bin/bash
# failover.sh - how long a spoke VM's traffic stops when an NVA fails.
#
# The topology of tests/e2e/t_dataplane.sh (sourced from there): two
# pharosd route servers, two NVAs running BIRD 2, a VM running pharos-agent
# against both route servers, an on-premises host behind the NVAs. Each run
# sends a ping stream (every 10 ms) from the VM to the on-premises host,
# fails the NVA that carries it and measures:
#
#   detect_ms  failure -> the first route server logs the session down
#   kernel_ms  failure -> the VM's kernel route changes (ip -ts monitor)
#   (failure: the moment BIRD is killed, or a link goes down)
#   lost       echo replies lost during the failover
#   gap_ms     the longest time between two echo replies (the outage as
#              the VM saw it; ping -D timestamps)
#
# Modes:
#   crash   BIRD is killed, the NVA stops forwarding; its kernel closes
#           the BGP sessions, so the route servers know at once;
#   link    the NVA's on-premises link fails; BIRD sees it and withdraws
#           the prefix (an UPDATE, the sessions stay up);
#   silent  the NVA drops off the network without a word (links down):
#           with BFD-less BGP only the hold timer notices.
#
# Usage: bench/failover.sh [-n RUNS] [-H HOLD] [-m crash|link|silent|all]
# (root; not part of make test). Default: 5 runs of each mode, hold time
# 3 s on both sides (keepalive 1 s), binaries from build/.
set -u
RUNS=5 MODES="crash link silent" HOLD=3
while getopts "n:H:m:h" o; do
	case $o in
	n) RUNS=$OPTARG ;;
	H) HOLD=$OPTARG ;;
	m) [ "$OPTARG" = all ] || MODES=$OPTARG ;;
	*) sed -n '2,27s/^# \{0,1\}//p' "$0"; exit 2 ;;
	esac
done
export DP_HOLD=$HOLD DP_KEEPALIVE=$(((HOLD + 2) / 3)) STALE=60 DP_SOURCE_ONLY=1
TOP=$(cd "$(dirname "$0")/.." && pwd)
export PHAROS_BIN=${PHAROS_BIN:-$TOP/build}
# shellcheck source=../tests/e2e/t_dataplane.sh
. "$TOP/tests/e2e/t_dataplane.sh"
need_bin "$PHAROSD" "$PHAROSCTL" "$AGENT" bird jq ping

epoch() { date -d "$1" +%s.%N; }
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%d", (b - a) * 1000 }'; }

# first_line_after T0 NAME TEXT: epoch of the first line of the monitor
# (ip -ts monitor) log NAME holding TEXT, stamped at T0 or later.
first_line_after() {
	local ts rest
	while read -r ts rest; do
		[[ " $rest" == *"$3"* ]] || continue
		ts=$(epoch "${ts//[\[\]]/}")
		awk -v a="$1" -v b="$ts" 'BEGIN { exit !(b >= a) }' && { echo "$ts"; return; }
	done <"$(log_of "$2")"
}

# first_session_down T0 NVA: epoch of rs1's "session down" log line for
# NVA, if there is one after T0.
first_session_down() {
	local ts
	ts=$(grep -F "[$2] session down" "$(log_of rs1)" | tail -1 | awk '{print $1}')
	[ -n "$ts" ] && ts=$(epoch "$ts") && awk -v a="$1" -v b="$ts" 'BEGIN { exit !(b >= a) }' &&
		echo "$ts"
}

# ms_or_dash T0 T: milliseconds from T0 to T, or "-" when T is empty.
ms_or_dash() { if [ -n "$2" ]; then ms_between "$1" "$2"; else echo -; fi; }

# reply_gap: the longest time (ms) between two consecutive echo replies.
reply_gap() {
	awk -F'[][]' '/bytes from/ { t = $2; if (p != "" && t - p > g) g = t - p; p = t }
		END { printf "%d", g * 1000 }' "$(log_of ping)"
}

# one_run MODE RUN: fail the NVA carrying the VM's flow, print a table row.
one_run() {
	local mode=$1 run=$2 a b t0 tk td tx rx
	wait_until 60 vm_nh_is "$both_nh" || bail "route via both NVAs before run $run"
	wait_until 10 pingok || bail "the VM reaches the on-premises host before run $run"
	a=$(vm_flow_nva)
	[ "$(echo "$a" | wc -w)" = 1 ] || bail "the VM's pings go through one NVA (got '$a')"
	if [ "$a" = nva1 ]; then b=nva2; else b=nva1; fi
	start_in mon vm ip -ts monitor route
	start_in ping vm ping -n -D -i 0.01 "$ONPREM_HOST"
	start_in monl "$a" ip -ts monitor link
	sleep 1
	[ "$mode" = crash ] && dp_nva_noforward "$a"
	t0=$(date +%s.%N)
	case $mode in
	crash) dp_nva_crash "$a" ;;
	link) ip -n "$(ns "$a")" link set dev eth1 down ;;
	*) dp_nva_silent "$a" ;;
	esac
	WAIT_STEP=0.02 wait_until $((HOLD * 3 + 20)) vm_nh_is "${DP_ADDR[$b]} " ||
		bail "$mode run $run: the route drops to $b"
	sleep 1
	stop_proc ping INT 5
	stop_proc mon TERM 5
	stop_proc monl TERM 5
	# "ip link set down" takes a while: the link fails when the kernel says
	case $mode in
	link) t0=$(first_line_after "$t0" monl " eth1@") ;;
	silent) t0=$(first_line_after "$t0" monl " eth0@") ;;
	esac
	[ -n "$t0" ] || bail "$mode run $run: the link event was seen"
	tk=$(first_line_after "$t0" mon " $ONPREM ")
	td=$(first_session_down "$t0" "$a")
	read -r tx rx < <(awk '/packets transmitted/ { print $1, $4 }' "$(log_of ping)")
	printf '%-7s %4s %4s %6s %10s %10s %6s %8s\n' "$mode" "$HOLD" "$run" "$a" \
		"$(ms_or_dash "$t0" "$td")" "$(ms_or_dash "$t0" "$tk")" \
		"$((tx - rx))" "$(reply_gap)" | tee -a "$T_DIR/rows"
	dp_nva_restore "$a"
}

# summary: min / median / max of kernel_ms and gap_ms, per mode.
summary() {
	echo
	printf '%-7s %4s %22s %22s\n' mode runs "kernel_ms min/med/max" "gap_ms min/med/max"
	for m in $MODES; do
		awk -v m="$m" '$1 == m { print $6 }' "$T_DIR/rows" | sort -n >"$T_DIR/k"
		awk -v m="$m" '$1 == m { print $8 }' "$T_DIR/rows" | sort -n >"$T_DIR/l"
		printf '%-7s %4s %22s %22s\n' "$m" "$(wc -l <"$T_DIR/k")" \
			"$(awk '{ v[NR] = $1 } END { print v[1] "/" v[int((NR + 1) / 2)] "/" v[NR] }' "$T_DIR/k")" \
			"$(awk '{ v[NR] = $1 } END { print v[1] "/" v[int((NR + 1) / 2)] "/" v[NR] }' "$T_DIR/l")"
	done
}

both_nh="${DP_ADDR[nva1]} ${DP_ADDR[nva2]} "
pingok() { nsx vm ping -n -q -c 1 -W 1 "$ONPREM_HOST" >/dev/null 2>&1; }

dp_topology
dp_rs_start rs1
dp_rs_start rs2
dp_bird_start nva1
dp_bird_start nva2
dp_agent_start
echo "# pharosd: $PHAROSD; BGP hold time $HOLD s, keepalive $DP_KEEPALIVE s; ping -i 0.01 from the VM"
printf '%-7s %4s %4s %6s %10s %10s %6s %8s\n' mode hold run failed detect_ms kernel_ms lost gap_ms
: >"$T_DIR/rows"
for m in $MODES; do
	for ((i = 1; i <= RUNS; i++)); do one_run "$m" "$i"; done
done
summary
