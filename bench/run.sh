#!/bin/bash
# run.sh - head-to-head benchmark of pharosd against BIRD 2, FRR bgpd,
# OpenBGPD and GoBGP as route servers (`make bench` runs it).
#
# Each run starts one route server in namespace "rs" (198.18.0.1,
# 2001:db8::1 on a veth) and, in namespace "ld" on the other end,
# monitor sessions and the load (pharos-peer testers). It measures:
#   announce  from the start of the testers until monitor A holds every
#             prefix (A's t_full moment: --wait-prefixes, --stats);
#   withdraw  from a SIGUSR1 to every tester (each then withdraws all it
#             announced in UPDATEs: script "wait-signal", "withdraw-all")
#             until monitor B, connected all along, holds zero prefixes
#             (B's t_empty moment: --wait-prefixes N --wait-empty);
#   down      (unless --no-down) the testers re-announce their load, then
#             are stopped at once: their sessions close with a Cease and
#             the server withdraws every route; from the SIGTERM until
#             monitor C holds zero prefixes (C's t_empty);
#   cpu       utime+stime of every process in namespace rs, from the
#             monitors' start to the end of the withdraw phase;
#   memory    VmHWM summed over those processes at that moment.
# Message size: by default (--ext-msg off) the testers and monitors do
# not offer Extended Messages (RFC 8654), so every daemon moves UPDATEs
# of at most 4096 bytes: like for like. With --ext-msg on they offer it
# and BIRD is configured to accept it; pharosd and FRR negotiate it by
# default; OpenBGPD 7.7 and GoBGP 3.10 do not implement it and stay at
# 4096 bytes (the report says so).
# Each cell is the median of --runs runs; ratios are daemon / pharos.
#
# Usage: bench/run.sh [--daemons LIST] [--scenarios LIST] [--scale F]
#                     [--runs R] [--timeout S] [--quiet S] [--no-down]
#                     [--ext-msg off|on]
#                     [--out FILE.md]
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
SCALE=1 RUNS=3 TIMEOUT=300 QUIET=1 DOWN=1 EXTMSG=off
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
	--no-down) DOWN=0 ;;
	--ext-msg) EXTMSG=$2; shift ;;
	--out) OUT=$2; shift ;;
	-h | --help) usage 0 ;;
	*) echo "unknown option $1" >&2; usage 1 >&2 ;;
	esac
	shift
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "bad --runs $RUNS" >&2; exit 1; }
[[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || { echo "bad --timeout $TIMEOUT" >&2; exit 1; }
[[ $EXTMSG =~ ^(on|off)$ ]] || { echo "bad --ext-msg $EXTMSG" >&2; exit 1; }
# what pharos-peer offers (unquoted where used: empty or one word)
BENCH_PEER_EXT=
[ "$EXTMSG" = off ] && BENCH_PEER_EXT=--no-ext-msg
export BENCH_EXTMSG=$EXTMSG
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
	for i in $(seq 1 "$BENCH_MAX_TESTERS") 201 202 203; do
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

# start_monitor NAME AFI OPTS...: a monitor session (NAME is monA, monB
# or monC: its address and AS are those of client 201, 202 or 203) with
# these pharos-peer options; waits until it is established.
start_monitor() {
	local name=$1 afi=$2 id rs=$BENCH_RS4 f=client_addr4 try
	shift 2
	case $name in monA) id=201 ;; monB) id=202 ;; *) id=203 ;; esac
	[ "$afi" = ipv6 ] && rs=$BENCH_RS6 f=client_addr6
	for try in 1 2 3 4 5; do
		alive "$name" || start_ld "$name" "$BENCH_PEER" $BENCH_PEER_EXT -a "$(client_asn $id)" \
			-b "$($f $id)" -o none --stats "$@" "$rs"
		WAIT_STEP=0.05 wait_until 5 _established "$name" && break
	done
	_established "$name" && alive "$name"
}

# _established NAME: the monitor's TCP session is up (then a pause for
# the OPEN exchange).
_established() {
	local a
	a=$(_mon_addr "$1")
	[[ $a == *:* ]] && a="[$a]" # ss wants IPv6 in brackets
	[ -n "$(nsenter --net="/run/netns/$(ns ld)" ss -Htn state established "( src $a )")" ] || return 1
	nap 0.3 # OPEN/KEEPALIVE exchange after the TCP handshake
	return 0
}

_mon_addr() {
	local id
	case $1 in monA) id=201 ;; monB) id=202 ;; *) id=203 ;; esac
	if [ "$SC_AFI" = ipv6 ]; then client_addr6 $id; else client_addr4 $id; fi
}

# run_once SCENARIO DAEMON RUN: one measured run; appends a line to
# $RESULTS: scenario daemon run status announce withdraw cpu mem_kb down.
run_once() {
	local sc=$1 d=$2 r=$3 run conf out status=ok ann=- wd=- cpu=- mem=- down=-
	local c0 expect afi
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
	if ! start_monitor monA "$afi" --wait-prefixes "$expect" ||
		! start_monitor monB "$afi" --wait-prefixes "$expect" --wait-empty; then
		_run_end "$run" "$sc" "$d" "$r" "no-session"; return
	fi
	start_testers "$sc" "$run" "$DOWN" # they begin sending at T_GO
	_announce_phase "$expect"
	status=$W_STATUS ann=$W_SECS
	if [ "$status" = ok ]; then
		_withdraw_phase "$expect"
		status=$W_STATUS wd=$W_SECS
		mem=$(hwm_kb $(rs_pids))
		cpu=$(ticks_s $(($(cpu_ticks $(rs_pids)) - c0)))
	fi
	if [ "$status" = ok ] && [ "$DOWN" = 1 ]; then
		_down_phase "$expect" "$afi"
		status=$W_STATUS down=$W_SECS
	fi
	_run_end "$run" "$sc" "$d" "$r" "$status" "$ann" "$wd" "$cpu" "$mem" "$down"
}

# _quiet_gate QUIET [BASE]: wait until the load namespace has been quiet
# for QUIET seconds (the server has finished with every session, testers
# included, not only with the monitor that measured), then check that no
# tester lost its session. Sets W_STATUS.
_quiet_gate() {
	local i
	W_STATUS=ok
	wait_quiet "${T_PID[monB]:-${T_PID[monC]}}" "$1" "$TIMEOUT" ${2:+"$2"}
	case $? in 1) W_STATUS=timeout ;; 2) W_STATUS=session-dropped ;; esac
	for i in "${TESTERS[@]}"; do
		alive "$i" || W_STATUS=session-dropped
	done
	alive rs || W_STATUS=daemon-died
}

# _announce_phase EXPECT: from T_GO until monitor A holds every prefix
# (its t_full). Sets W_STATUS and W_SECS.
_announce_phase() {
	local t1
	W_SECS=-
	_wait_exit monA $((T_GO + TIMEOUT * 1000000000)) 1
	[ "$W_STATUS" = ok ] || return
	t1=$(_moment "$(log_of monA)" t_full)
	if [ -z "$t1" ] || [ "$(_stat "$(log_of monA)" prefixes_held)" != "$1" ]; then
		W_STATUS=wrong-count
		return
	fi
	W_SECS=$(secs "$T_GO" "$t1")
}

# _withdraw_phase EXPECT: once the server is quiet, SIGUSR1 to every
# tester at once (each sends withdraw-all), until monitor B holds zero
# prefixes (its t_empty). The quiet asked for grows with the load (half
# the announce time, at least --quiet), but not beyond 10 s: with 100
# sessions, keepalive bursts (all sessions came up together) arrive
# more often than a longer silence would allow. Sets W_STATUS and
# W_SECS.
_withdraw_phase() {
	local t2 t3 log
	W_SECS=-
	_quiet_gate "$(awk -v q="$QUIET" -v a="$ann" 'BEGIN { a = a / 2 < 10 ? a / 2 : 10; print (a > q ? a : q) }')"
	alive monB || W_STATUS=session-dropped
	[ "$W_STATUS" = ok ] || return
	_signal_until_empty USR1 monB 1
	[ "$W_STATUS" = ok ] || return
	log=$(log_of monB) t2=$W_T0 t3=$W_T1
	if [ "$(_stat "$log" prefixes_held)" != 0 ] || [ -z "$t3" ]; then
		W_STATUS=incomplete-$(_stat "$log" prefixes_held)-left
	elif [ "$(_stat "$log" prefixes_received)" -lt "$1" ]; then
		W_STATUS=incomplete-$(_stat "$log" prefixes_received)-seen
	else
		W_SECS=$(secs "$t2" "$t3")
	fi
}

# _down_phase EXPECT AFI: monitor C connects, a second SIGUSR1 makes the
# testers announce their load again; once the server is quiet and C
# holds every prefix, SIGTERM to every tester (Cease), until C holds
# zero prefixes (its t_empty). Sets W_STATUS and W_SECS.
_down_phase() {
	local t4 t5 i log
	W_SECS=-
	if ! start_monitor monC "$2" --wait-prefixes "$1" --wait-empty; then
		W_STATUS=no-session
		return
	fi
	for i in "${TESTERS[@]}"; do kill -USR1 "${T_PID[$i]}" 2>/dev/null; done
	now
	_wait_full monC $((NOW + TIMEOUT * 1000000000))
	[ "$W_STATUS" = ok ] || return
	_quiet_gate "$QUIET"
	alive monC || W_STATUS=session-dropped
	[ "$W_STATUS" = ok ] || return
	_signal_until_empty TERM monC 0
	[ "$W_STATUS" = ok ] || return
	log=$(log_of monC) t4=$W_T0 t5=$W_T1
	if [ -z "$(_moment "$log" t_full)" ] || [ -z "$t5" ]; then
		W_STATUS=incomplete-$(_stat "$log" prefixes_held)-left
	else
		W_SECS=$(secs "$t4" "$t5")
	fi
}

# _signal_until_empty SIG MONITOR CHECK_TESTERS: send SIG to every tester
# at once, then wait until MONITOR (--wait-empty) exits. W_T0 is the
# moment of the signal, W_T1 the monitor's t_empty (empty if it has
# none); sets W_STATUS as _wait_exit does.
_signal_until_empty() {
	local i
	now
	W_T0=$NOW W_T1=
	for i in "${TESTERS[@]}"; do kill -"$1" "${T_PID[$i]}" 2>/dev/null; done
	_wait_exit "$2" $((W_T0 + TIMEOUT * 1000000000)) "$3"
	[ "$W_STATUS" = ok ] && W_T1=$(_moment "$(log_of "$2")" t_empty)
}

# _wait_full NAME DEADLINE_NS: poll until monitor NAME (--wait-prefixes
# N --wait-empty --stats) printed its interim stats line: it holds every
# prefix. With -o none its log stays empty until then. Sets W_STATUS.
_wait_full() {
	local log
	log=$(log_of "$1")
	W_STATUS=
	while [ -z "$W_STATUS" ]; do
		if [ -s "$log" ] && grep -q '"t_full":[0-9]' "$log"; then
			W_STATUS=ok
			return
		fi
		alive "$1" || W_STATUS=session-dropped
		alive rs || W_STATUS=daemon-died
		now
		[ "$NOW" -ge "$2" ] && W_STATUS=timeout
		if [ -s "$log" ]; then nap 0.05; else nap 0.01; fi
	done
}

# _wait_exit NAME DEADLINE_NS CHECK_TESTERS: poll until monitor NAME
# exits; sets W_STATUS to ok (it exited 0: its wait was met), timeout,
# session-dropped or daemon-died. With CHECK_TESTERS 1 a tester that
# died also ends the wait. (Not in a subshell: stop_proc must reap its
# own child.)
_wait_exit() {
	local name=$1 end=$2 testers=$3 n=0 i
	W_STATUS=
	while [ -z "$W_STATUS" ]; do
		if ! alive "$name"; then
			stop_proc "$name"
			W_STATUS=session-dropped
			[ "$T_RC" -eq 0 ] && W_STATUS=ok
			return
		fi
		alive rs || W_STATUS=daemon-died
		if [ $((++n % 50)) -eq 0 ]; then
			for i in monA monB monC; do # a monitor that should be there
				[ -n "${T_PID[$i]:-}" ] && ! alive "$i" && [ "$i" != "$name" ] &&
					W_STATUS=session-dropped
			done
			for i in "${TESTERS[@]}"; do
				[ "$testers" = 1 ] && ! alive "$i" && W_STATUS=session-dropped
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

# _moment LOG FIELD: a CLOCK_REALTIME moment of the --stats line, in ns
# (read as text: a JSON number loses the nanoseconds); empty when null.
_moment() {
	grep '"type":"stats"' "$1" 2>/dev/null | tail -1 |
		sed -n "s/.*\"$2\":\([0-9]*\)\.\([0-9]\{9\}\).*/\1\2/p"
}

_result() { # sc d r status [ann wd cpu mem down maxupd]
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" \
		"${5:--}" "${6:--}" "${7:--}" "${8:--}" "${9:--}" "${10:--}" >>"$RESULTS"
	printf '# %-4s %-9s run %s: %-15s announce %ss withdraw %ss down %ss cpu %ss mem %skB largest UPDATE %sB\n' \
		"$1" "$2" "$3" "$4" "${5:--}" "${6:--}" "${9:--}" "${7:--}" "${8:--}" "${10:--}" >&2
}

# _largest_update RUN: the largest UPDATE (bytes) the server sent to
# monitor A or B in this run, as they measured it; "-" when unknown.
_largest_update() {
	local f v best=-
	for f in "$1/monA.log" "$1/monB.log"; do
		v=$(_stat "$f" largest_update_received)
		[ "$v" -gt 0 ] 2>/dev/null && { [ "$best" = - ] || [ "$v" -gt "$best" ]; } && best=$v
	done
	echo "$best"
}

# _run_end RUNDIR sc d r status ...: stop everything the run started,
# keep its logs in RUNDIR, record the result.
_run_end() {
	local run=$1 i p
	shift
	for i in "${TESTERS[@]}" monA monB monC; do # signal all, then reap each
		[ -n "${T_PID[$i]:-}" ] && kill -TERM "${T_PID[$i]}" 2>/dev/null
	done
	for i in "${TESTERS[@]}" monA monB monC; do stop_proc "$i" TERM 5; done
	stop_proc rs TERM 15
	for p in $(rs_pids); do kill -KILL "$p" 2>/dev/null; done # its children
	shopt -s nullglob
	mv -f -- "$T_DIR"/t[0-9]*.log "$T_DIR"/mon?.log "$T_DIR"/rs.log "$run/" 2>/dev/null
	shopt -u nullglob
	TESTERS=()
	# announce begins at the first UPDATE any tester wrote, if that was
	# before T_GO (a tester's sleep is shortened by the session setup it
	# allows for; at a small load the whole phase could end before T_GO)
	if [ "${4:-}" = ok ] && [ -n "${5:-}" ] && [ "$5" != - ]; then
		local t0 t1
		t0=$(_announce_start "$run")
		t1=$(_moment "$run/monA.log" t_full)
		[ -n "$t1" ] && set -- "$1" "$2" "$3" "$4" "$(secs "$t0" "$t1")" "${@:6}"
	fi
	_result "$1" "$2" "$3" "$4" "${5:--}" "${6:--}" "${7:--}" "${8:--}" "${9:--}" \
		"$(_largest_update "$run")"
}

# _announce_start RUN: the earliest t_first_tx of the run's testers, or
# T_GO when none was earlier.
_announce_start() {
	local f t best=$T_GO
	shopt -s nullglob
	for f in "$1"/t[0-9]*.log; do
		t=$(_moment "$f" t_first_tx)
		[ -n "$t" ] && [ "$t" -lt "$best" ] && best=$t
	done
	shopt -u nullglob
	echo "$best"
}

# ------------------------------------------------------------------ main

main() {
	local sc d r
	TESTERS=()
	topology
	[[ " $SCENARIOS " == *" 6 "* ]] && mrt_calibrate
	{
		echo "# pharos benchmark $(date -u '+%Y-%m-%d %H:%M UTC')"
		echo "# scale $SCALE, runs $RUNS, timeout ${TIMEOUT}s, extended messages $EXTMSG"
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
