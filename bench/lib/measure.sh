#!/bin/bash
# measure.sh - what the benchmark reads about a run without disturbing it:
# wall-clock time, CPU seconds and peak memory of every process inside the
# route server's namespace (the daemon and all its children), and the
# moment the load namespace stops receiving (its IpExt InOctets counter
# stops growing: the route server has nothing more to send to the
# monitor). Sourced by bench/run.sh.

BENCH_TCK=$(getconf CLK_TCK)

# The polling loops below run no program and open no subshell: on a
# loaded 2-core machine every fork costs tens of milliseconds, which
# would show up in the timings.

# now: set NOW to the wall clock in nanoseconds.
now() { NOW=${EPOCHREALTIME/./}000; }

# nap SECONDS: sleep (read with a timeout on a pipe that never delivers).
exec {NAP_FD}<> <(:)
nap() { read -r -t "$1" -u "$NAP_FD"; }

# rs_pids: the processes in the route server's namespace.
rs_pids() { ip netns pids "$(ns rs)" 2>/dev/null; }

# cpu_ticks PID...: utime+stime of these processes, in clock ticks.
cpu_ticks() {
	local pid line rest sum=0 f
	for pid in "$@"; do
		[ -r "/proc/$pid/stat" ] || continue
		line=$(<"/proc/$pid/stat") || continue
		rest=${line##*) }   # fields from 3 (state) on
		read -r -a f <<<"$rest"
		sum=$((sum + f[11] + f[12]))  # fields 14 and 15
	done
	echo "$sum"
}

# hwm_kb PID...: sum of VmHWM (peak resident set) of these processes.
hwm_kb() {
	local pid k v u sum=0
	for pid in "$@"; do
		while read -r k v u; do
			[ "$k" = VmHWM: ] && sum=$((sum + v))
		done <"/proc/$pid/status" 2>/dev/null
	done
	echo "$sum"
}

# in_octets PID: set OCTETS to the IP bytes received so far by the
# network namespace of process PID (IpExt InOctets + Ip6InOctets); empty
# when PID is gone.
in_octets() {
	local -a names vals
	local i
	OCTETS=
	while read -r -a names && read -r -a vals; do
		[ "${names[0]}" = IpExt: ] || continue
		for i in "${!names[@]}"; do
			[ "${names[$i]}" = InOctets ] && OCTETS=${vals[$i]}
		done
	done <"/proc/$1/net/netstat" 2>/dev/null
	[ -n "$OCTETS" ] || return 0
	while read -r names vals; do # IPv6 is counted apart
		[ "$names" = Ip6InOctets ] && OCTETS=$((OCTETS + vals))
	done <"/proc/$1/net/snmp6" 2>/dev/null
}

# wait_quiet PID QUIET TIMEOUT [BASE]: wait until the namespace of PID (a
# monitor in ld) has received nothing but keepalive-sized packets (under
# 128 bytes per poll) for QUIET seconds, or TIMEOUT seconds pass. With
# BASE (its InOctets taken before the event being timed) it must first
# receive more; a namespace already quiet counts otherwise. Sets WQ_LAST
# to the time (ns) it last saw new bytes; returns 1 on timeout, 2 when
# PID is gone.
wait_quiet() {
	local pid=$1 quiet_ns t_end prev moved=1
	quiet_ns=$(awk -v q="$2" 'BEGIN { printf "%.0f", q * 1e9 }')
	now
	t_end=$((NOW + $3 * 1000000000)) WQ_LAST=$NOW
	prev=${4:-}
	[ -n "$prev" ] && moved=0
	while :; do
		in_octets "$pid"
		now
		[ -n "$OCTETS" ] || return 2
		[ -n "$prev" ] || prev=$OCTETS
		if [ "$OCTETS" -ne "$prev" ]; then
			if [ $((OCTETS - prev)) -ge 128 ]; then
				moved=1 WQ_LAST=$NOW
			fi
			prev=$OCTETS
		elif [ "$moved" = 1 ] && [ $((NOW - WQ_LAST)) -ge "$quiet_ns" ]; then
			return 0
		fi
		[ "$NOW" -ge "$t_end" ] && return 1
		nap 0.005
	done
}

# secs NS_FROM NS_TO: the interval in seconds, 3 decimals.
# The moments come from different processes: a tester stamps its first
# UPDATE after the write returned, so at a tiny load a monitor can report
# the end a few microseconds "before" it. Below zero is below what the
# clocks resolve: it reads 0.000, never -0.000.
secs() { awk -v a="$1" -v b="$2" 'BEGIN { d = (b - a) / 1e9; if (d < 0) d = 0; printf "%.3f", d }'; }

# ticks_s TICKS: clock ticks as seconds, 2 decimals.
ticks_s() { awk -v t="$1" -v h="$BENCH_TCK" 'BEGIN { printf "%.2f", t / h }'; }
