#!/bin/bash
# scenarios.sh - the benchmark's loads: how many testers, what each of
# them announces (pharos-peer --generate or --mrt options), and how many
# distinct prefixes the monitors must end up holding. Sourced by
# bench/run.sh, which defines client_addr4/6, client_asn, SCALE, BENCH_PEER.
#
#   1    1 peer x 1,000,000 IPv4 /24s, packed (as many per UPDATE as fit)
#   1v6  1 peer x 1,000,000 IPv6 /48s, packed
#   2    10 peers x 100,000 distinct /24s each
#   3    8 peers x the same 100,000 /24s (best-path contest)
#   4    100 peers x 10,000 distinct /24s each
#   5    1 peer x 500,000 /24s, 4 per UPDATE, every UPDATE its own attributes
#   6    4 peers replaying the same real table (RouteViews RIB, first MB)
#
# --scale multiplies the prefix counts of 1-5 (not the number of peers);
# scenario 6 replays the whole file whatever the scale.

BENCH_SCENARIOS_ALL="1 1v6 2 3 4 5 6"
BENCH_MAX_TESTERS=100
BENCH_MRT=${BENCH_MRT:-$PHAROS_DATA/routeviews/rib.20140523.0600_firstMB.bz2}
BENCH_MRT_PEERS=4

scenario_known() { [[ " $BENCH_SCENARIOS_ALL " == *" $1 "* ]]; }

# scenario_desc SCENARIO: one line for the report.
scenario_desc() {
	case $1 in
	1) echo "1 peer x 1M IPv4, packed" ;;
	1v6) echo "1 peer x 1M IPv6, packed" ;;
	2) echo "10 peers x 100k distinct" ;;
	3) echo "8 peers x same 100k" ;;
	4) echo "100 peers x 10k" ;;
	5) echo "1 peer x 500k, 4/UPDATE, distinct attrs" ;;
	6) echo "$BENCH_MRT_PEERS peers x RouteViews table" ;;
	esac
}

# scaled N: N times SCALE, at least 1.
scaled() { awk -v n="$1" -v s="$SCALE" 'BEGIN { v = int(n * s + 0.5); print (v < 1 ? 1 : v) }'; }

# v4_nth_24 I: the I-th /24 from 16.0.0.0, as an address.
v4_nth_24() {
	local a=$(((16 << 24) + ($1 << 8)))
	echo "$((a >> 24 & 255)).$((a >> 16 & 255)).$((a >> 8 & 255)).0"
}

# scenario_setup SCENARIO RUNDIR: write RUNDIR/clients (NAME ADDR ASN of
# every session the route server must accept) and RUNDIR/testers (NAME
# ADDR ASN then the pharos-peer script command of its load: generate ...
# or mrt ...); set SC_EXPECT (distinct prefixes the monitors must hold)
# and SC_AFI (ipv4 or ipv6).
scenario_setup() {
	local sc=$1 run=$2 peers n i opts same=0
	SC_AFI=ipv4
	case $sc in
	1) peers=1 n=$(scaled 1000000) ;;
	1v6) peers=1 n=$(scaled 1000000) SC_AFI=ipv6 ;;
	2) peers=10 n=$(scaled 100000) ;;
	3) peers=8 n=$(scaled 100000) same=1 ;;
	4) peers=100 n=$(scaled 10000) ;;
	5) peers=1 n=$(scaled 500000) ;;
	6) peers=$BENCH_MRT_PEERS n=$(mrt_prefixes) same=1
		[ "$n" -gt 0 ] 2>/dev/null || return 1 ;;
	*) return 1 ;;
	esac
	: >"$run/testers"
	for i in $(seq 1 "$peers"); do
		case $sc in
		1v6) opts="generate $n start v6" ;;
		5) opts="generate $n per-update 4 distinct-attrs" ;;
		6) opts="mrt $BENCH_MRT" ;;
		*) opts="generate $n start $(v4_nth_24 $(((1 - same) * (i - 1) * n)))" ;;
		esac
		echo "t$i $(_sc_addr "$i") $(client_asn "$i") $opts" >>"$run/testers"
	done
	SC_EXPECT=$((same ? n : n * peers))
	{
		cut -d' ' -f1-3 "$run/testers"
		echo "monA $(_sc_addr 201) $(client_asn 201)"
		echo "monB $(_sc_addr 202) $(client_asn 202)"
		echo "monC $(_sc_addr 203) $(client_asn 203)"
	} >"$run/clients"
}

_sc_addr() {
	if [ "$SC_AFI" = ipv6 ]; then client_addr6 "$1"; else client_addr4 "$1"; fi
}

# start_testers SCENARIO RUNDIR DOWN: start every tester of
# RUNDIR/testers; names in TESTERS. Each runs a script:
#   sleep MS        hold the load until one common moment, T_GO (ns), by
#                   which every session is up (starting 100 processes
#                   takes a while on a loaded machine: timing starts there)
#   LOAD            generate ... or mrt ... (announce)
#   wait-signal     until the harness sends SIGUSR1 (withdraw phase)
#   withdraw-all    withdraw every prefix announced, in UPDATEs
# and, with DOWN 1, "wait-signal" and LOAD again (the re-announce before
# the session-teardown phase). A tester stays connected until stopped.
start_testers() {
	local rs=$BENCH_RS4 name addr asn load n ms
	[ "$SC_AFI" = ipv6 ] && rs=$BENCH_RS6
	n=$(wc -l <"$2/testers")
	now
	T_GO=$((NOW + 300000000 + n * 60000000))
	while read -r name addr asn load; do
		now
		ms=$(((T_GO - NOW) / 1000000 - 20)) # less the session setup
		[ "$ms" -lt 0 ] && ms=0
		printf '%s\n' "sleep $ms" "$load" wait-signal withdraw-all >"$2/$name.script"
		[ "$3" = 1 ] && printf '%s\n' wait-signal "$load" >>"$2/$name.script"
		start_ld "$name" "$BENCH_PEER" $BENCH_PEER_EXT -a "$asn" -b "$addr" -o none --stats \
			-f "$2/$name.script" "$rs"
		TESTERS+=("$name")
	done <"$2/testers"
}

# mrt_calibrate: count the distinct prefixes of the MRT file as
# pharos-peer replays it, by replaying it once to a listening pharos-peer
# in namespace ld (198.18.0.250); the count is cached for the whole
# benchmark. Not in a subshell (it starts and reaps a process).
mrt_calibrate() {
	local cache=$T_DIR/mrt.count
	if [ ! -r "$BENCH_MRT" ]; then
		echo "# $BENCH_MRT not readable" >&2
		echo 0 >"$cache"
		return 1
	fi
	# decompress once, so the testers spend their time on BGP, not bzip2
	case $BENCH_MRT in
	*.bz2) bzip2 -dc "$BENCH_MRT" >"$T_DIR/table.mrt" 2>/dev/null ;; # a cut file: ends early
	*.gz) gzip -dc "$BENCH_MRT" >"$T_DIR/table.mrt" 2>/dev/null ;;
	*) cp "$BENCH_MRT" "$T_DIR/table.mrt" ;;
	esac
	BENCH_MRT=$T_DIR/table.mrt
	start_in mrt-sink ld "$BENCH_PEER" $BENCH_PEER_EXT --listen -a 65300 -o none --stats \
		198.18.0.250 1179
	wait_until 5 eval '[ -n "$(nsx ld ss -Hltn "sport = :1179")" ]'
	nsx ld "$BENCH_PEER" $BENCH_PEER_EXT -a 65301 -b "$(client_addr4 1)" -o none -t 0 \
		-m "$BENCH_MRT" 198.18.0.250 1179 >/dev/null 2>&1
	wait_until 30 eval '! alive mrt-sink'
	stop_proc mrt-sink
	_stat "$(log_of mrt-sink)" prefixes_held >"$cache"
}

# mrt_prefixes: the count mrt_calibrate found (0 when unknown).
mrt_prefixes() { cat "$T_DIR/mrt.count" 2>/dev/null || echo 0; }
