#!/bin/bash
# run.sh - head-to-head benchmark of pharosd against BIRD 2, FRR bgpd,
# OpenBGPD and GoBGP as route servers (`make bench` runs it).
#
# Each run starts one route server in namespace "rs" (198.18.0.1,
# 2001:db8::1 on a veth) and, in namespace "ld" on the other end, two
# monitor sessions and the load (pharos-peer testers). It measures:
#   announce  from the start of the testers until monitor A holds every
#             prefix (A leaves then: --wait-prefixes);
#   withdraw  from stopping every tester (their sessions close with a
#             Cease, so the route server withdraws all their routes) until
#             monitor B, connected all along, stops receiving; B must then
#             hold zero prefixes, or the run is "incomplete-...";
#   cpu       utime+stime of every process in namespace rs over the run;
#   memory    VmHWM summed over those processes at the end of the run.
# Each cell is the median of --runs runs; ratios are daemon / pharos.
#
# Usage: bench/run.sh [--daemons LIST] [--scenarios LIST] [--scale F]
#                     [--runs R] [--timeout S] [--quiet S] [--out FILE.md]
set -u
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
PHAROS_TOP=$(cd "$BENCH_DIR/.." && pwd)
export PHAROS_TOP
# shellcheck source=../tests/lib.sh
. "$PHAROS_TOP/tests/lib.sh"
. "$BENCH_DIR/lib/measure.sh"
. "$BENCH_DIR/lib/daemons.sh"
. "$BENCH_DIR/lib/scenarios.sh"
. "$BENCH_DIR/lib/report.sh"

BENCH_CONF=$BENCH_DIR/conf
BENCH_PHAROSD=${BENCH_PHAROSD:-$PHAROS_TOP/build/pharosd}
BENCH_PEER=${BENCH_PEER:-$PHAROS_TOP/build/pharos-peer}
BENCH_RS4=198.18.0.1 BENCH_RS6=2001:db8::1 BENCH_RS_ASN=65515
BENCH_HOLD=180
DAEMONS=$BENCH_DAEMONS_ALL
SCENARIOS=$BENCH_SCENARIOS_ALL
SCALE=1 RUNS=3 TIMEOUT=300 QUIET=1
OUT=$PHAROS_TOP/build/bench/results.md

usage() {
	sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'
	echo "daemons: $BENCH_DAEMONS_ALL"
	echo "scenarios: $BENCH_SCENARIOS_ALL"
	exit "${1:-0}"
}

while [ $# -gt 0 ]; do
	case $1 in
	--daemons) DAEMONS=${2//,/ }; shift ;;
	--scenarios) SCENARIOS=${2//,/ }; shift ;;
	--scale) SCALE=$2; shift ;;
	--runs) RUNS=$2; shift ;;
	--timeout) TIMEOUT=$2; shift ;;
	--quiet) QUIET=$2; shift ;;
	--out) OUT=$2; shift ;;
	-h | --help) usage 0 ;;
	*) echo "unknown option $1" >&2; usage 1 >&2 ;;
	esac
	shift
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "bad --runs $RUNS" >&2; exit 1; }
[[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || { echo "bad --timeout $TIMEOUT" >&2; exit 1; }
[[ $SCALE =~ ^[0-9]*\.?[0-9]+$ ]] || { echo "bad --scale $SCALE" >&2; exit 1; }
for s in $SCENARIOS; do scenario_known "$s" || { echo "unknown scenario $s" >&2; exit 1; }; done
for d in $DAEMONS; do daemon_bin "$d" >/dev/null || { echo "unknown daemon $d" >&2; exit 1; }; done
[ -x "$BENCH_PEER" ] || { echo "$BENCH_PEER missing: run make" >&2; exit 1; }
[ -d /run/openbgpd ] || atexit rmdir /run/openbgpd
RESULTS=$T_DIR/results.tsv
: >"$RESULTS"

# ------------------------------------------------------------- topology

# Namespaces rs and ld joined by a veth; the route server on rs0, every
# tester and monitor address on ld0 (same subnet: next hops are direct).
topology() {
	local i
	ns_create rs ld
	ns_veth rs rs0 ld ld0
	ns_addr rs rs0 "$BENCH_RS4/24" "$BENCH_RS6/64"
	# one "ip -batch" instead of hundreds of ip commands
	for i in $(seq 1 "$BENCH_MAX_TESTERS") 201 202; do
		echo "addr add $(client_addr4 "$i")/24 dev ld0"
		echo "addr add $(client_addr6 "$i")/64 dev ld0 nodad"
	done >"$T_DIR/ld-addrs"
	echo "addr add 198.18.0.250/24 dev ld0" >>"$T_DIR/ld-addrs" # MRT calibration
	ip -n "$(ns ld)" -batch "$T_DIR/ld-addrs" || bail "addresses on ld0"
}

# start_ld NAME CMD...: start_bg inside namespace ld, entered with
# nsenter (cheaper than ip netns exec; it execs CMD, so the PID is CMD's).
start_ld() {
	local name=$1
	shift
	start_bg "$name" nsenter --net="/run/netns/$(ns ld)" "$@"
}

client_addr4() { echo "198.18.0.$(($1 < 200 ? $1 + 10 : $1))"; }
client_addr6() { echo "2001:db8::$(($1 < 200 ? $1 + 10 : $1))"; }
client_asn() { echo $((65000 + $1)); }

# --------------------------------------------------------------- one run

# start_monitors AFI EXPECT: monitors A (leaves when it holds EXPECT
# prefixes) and B (stays); waits until both TCP sessions are up.
start_monitors() {
	local afi=$1 n=$2 rs=$BENCH_RS4 f=client_addr4 try
	[ "$afi" = ipv6 ] && rs=$BENCH_RS6 f=client_addr6
	for try in 1 2 3 4 5; do
		alive monA || start_ld monA "$BENCH_PEER" -a "$(client_asn 201)" \
			-b "$($f 201)" -o none --stats --wait-prefixes "$n" "$rs"
		alive monB || start_ld monB "$BENCH_PEER" -a "$(client_asn 202)" \
			-b "$($f 202)" -o none --stats "$rs"
		WAIT_STEP=0.05 wait_until 5 _monitors_up "$($f 201)" "$($f 202)" && break
	done
	_monitors_up "$($f 201)" "$($f 202)" || return 1
	nap 0.3 # OPEN/KEEPALIVE exchange after the TCP handshake
	alive monA && alive monB
}

_monitors_up() {
	local out a=$1 b=$2
	[[ $a == *:* ]] && a="[$a]" b="[$b]" # ss wants IPv6 in brackets
	out=$(nsenter --net="/run/netns/$(ns ld)" ss -Htn state established "( src $a or src $b )")
	[ "$(printf '%s\n' "$out" | grep -c .)" -ge 2 ]
}

# run_once SCENARIO DAEMON RUN: one measured run; appends a line to
# $RESULTS: scenario daemon run status announce withdraw cpu mem_kb.
run_once() {
	local sc=$1 d=$2 r=$3 run conf out status=ok ann=- wd=- cpu=- mem=-
	local t0 t1 c0 expect afi held got
	run=$T_DIR/$sc-$d-$r
	mkdir -p "$run" && chmod 755 "$run"
	scenario_setup "$sc" "$run" || { _result "$sc" "$d" "$r" error; return; }
	expect=$SC_EXPECT afi=$SC_AFI
	conf=$(daemon_conf "$d" "$run" "$afi" "$run/clients" $((expect * 2 + 1000)))
	if ! out=$(daemon_check "$d" "$conf"); then
		printf '%s\n' "$out" | sed 's/^/# /' >&2
		_result "$sc" "$d" "$r" "bad-config"; return
	fi
	daemon_start "$d" "$conf" "$run"
	if ! WAIT_STEP=0.05 wait_until 30 daemon_listening || ! alive rs; then
		_run_end "$run" "$sc" "$d" "$r" "no-start"; return
	fi
	c0=$(cpu_ticks $(rs_pids))
	if ! start_monitors "$afi" "$expect"; then
		_run_end "$run" "$sc" "$d" "$r" "no-session"; return
	fi
	start_testers "$sc" "$run" # they begin sending at T_GO
	t0=$T_GO
	_wait_announced $((t0 + TIMEOUT * 1000000000))
	now
	t1=$NOW status=$W_STATUS
	if [ "$status" = ok ]; then
		ann=$(secs "$t0" "$t1")
		_withdraw_phase "$(awk -v q="$QUIET" -v a="$ann" 'BEGIN { print (a / 2 > q ? a / 2 : q) }')"
		status=$W_STATUS wd=$W_SECS
		mem=$(hwm_kb $(rs_pids))
		cpu=$(ticks_s $(($(cpu_ticks $(rs_pids)) - c0)))
		stop_proc monB INT 5
		# B must have seen every prefix come and go; A held exactly them
		held=$(_stat "$(log_of monB)" prefixes_held)
		got=$(_stat "$(log_of monB)" prefixes_received)
		if [ "$status" = ok ] && [ "$held" != 0 ]; then
			status=incomplete-$held-left wd=-
		elif [ "$status" = ok ] && [ "$got" -lt "$expect" ]; then
			status=incomplete-$got-seen wd=-
		fi
		if [ "$status" = ok ] && [ "$(_stat "$(log_of monA)" prefixes_held)" != "$expect" ]; then
			status=wrong-count
		fi
	fi
	_run_end "$run" "$sc" "$d" "$r" "$status" "$ann" "$wd" "$cpu" "$mem"
}

# _withdraw_phase QUIET: once the load namespace is quiet, stop every
# tester (each session closes with a Cease, the server withdraws its
# routes) and time until the namespace is quiet again. QUIET grows with
# the load (half the announce time, at least --quiet): a server that
# pauses shorter than that is not taken for finished. Sets W_STATUS (ok,
# timeout, session-dropped) and W_SECS (seconds, or -).
_withdraw_phase() {
	local quiet=$1 mon=${T_PID[monB]} i base t2 rc
	W_STATUS=ok W_SECS=-
	wait_quiet "$mon" "$quiet" "$TIMEOUT" # the server is done with A
	for i in "${TESTERS[@]}"; do # a session the server dropped already
		alive "$i" || W_STATUS=session-dropped
	done
	in_octets "$mon"
	base=$OCTETS
	now
	t2=$NOW
	for i in "${TESTERS[@]}"; do kill -TERM "${T_PID[$i]}" 2>/dev/null; done
	[ "$W_STATUS" = ok ] || return
	wait_quiet "$mon" "$quiet" "$TIMEOUT" "${base:-0}"
	rc=$?
	if [ "$rc" -eq 1 ]; then
		W_STATUS=timeout
	elif [ "$rc" -eq 2 ] || ! alive rs; then
		W_STATUS=session-dropped
	else
		W_SECS=$(secs "$t2" "$WQ_LAST")
	fi
}

# _wait_announced DEADLINE_NS: poll until monitor A left holding every
# prefix; sets W_STATUS to ok, timeout, session-dropped or daemon-died.
# (Not in a subshell: stop_proc must reap its own child.)
_wait_announced() {
	local end=$1 n=0 i
	W_STATUS=
	while [ -z "$W_STATUS" ]; do
		if ! alive monA; then
			stop_proc monA
			W_STATUS=session-dropped
			[ "$T_RC" -eq 0 ] && W_STATUS=ok
			return
		fi
		alive rs || W_STATUS=daemon-died
		if [ $((++n % 50)) -eq 0 ]; then
			alive monB || W_STATUS=session-dropped
			for i in "${TESTERS[@]}"; do
				alive "$i" || W_STATUS=session-dropped
			done
		fi
		now
		[ "$NOW" -ge "$end" ] && W_STATUS=timeout
		nap 0.01
	done
}

# _stat LOG FIELD: a field of the --stats line a pharos-peer printed at
# exit (-1 when there is none).
_stat() {
	local v
	v=$(grep '"type":"stats"' "$1" 2>/dev/null | tail -1 | jq -r ".$2 // -1" 2>/dev/null)
	echo "${v:--1}"
}

_result() { # sc d r status [ann wd cpu mem]
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" \
		"${5:--}" "${6:--}" "${7:--}" "${8:--}" >>"$RESULTS"
	printf '# %-4s %-9s run %s: %-15s announce %ss withdraw %ss cpu %ss mem %skB\n' \
		"$1" "$2" "$3" "$4" "${5:--}" "${6:--}" "${7:--}" "${8:--}" >&2
}

# _run_end RUNDIR sc d r status ...: stop everything the run started,
# keep its logs in RUNDIR, record the result.
_run_end() {
	local run=$1 i p
	shift
	for i in "${TESTERS[@]}" monA monB; do # signal all, then reap each
		[ -n "${T_PID[$i]:-}" ] && kill -TERM "${T_PID[$i]}" 2>/dev/null
	done
	for i in "${TESTERS[@]}" monA monB; do stop_proc "$i" TERM 5; done
	stop_proc rs TERM 15
	for p in $(rs_pids); do kill -KILL "$p" 2>/dev/null; done # its children
	shopt -s nullglob
	mv -f -- "$T_DIR"/t[0-9]*.log "$T_DIR"/mon?.log "$T_DIR"/rs.log "$run/" 2>/dev/null
	shopt -u nullglob
	TESTERS=()
	_result "$@"
}

# ------------------------------------------------------------------ main

main() {
	local sc d r
	TESTERS=()
	topology
	[[ " $SCENARIOS " == *" 6 "* ]] && mrt_calibrate
	{
		echo "# pharos benchmark $(date -u '+%Y-%m-%d %H:%M UTC')"
		echo "# scale $SCALE, runs $RUNS, timeout ${TIMEOUT}s"
	} >&2
	for sc in $SCENARIOS; do
		for d in $DAEMONS; do
			if ! command -v "$(daemon_bin "$d")" >/dev/null 2>&1; then
				for r in $(seq 1 "$RUNS"); do _result "$sc" "$d" "$r" missing; done
				continue
			fi
			for r in $(seq 1 "$RUNS"); do run_once "$sc" "$d" "$r"; done
		done
	done
	mkdir -p "$(dirname "$OUT")"
	cp "$RESULTS" "${OUT%.md}.tsv"
	report_text "$RESULTS"
	report_md "$RESULTS" >"$OUT"
	echo "table: $OUT; every run: ${OUT%.md}.tsv"
}

main
