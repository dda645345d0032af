#!/bin/bash
# daemons.sh - the route servers under benchmark: how to configure, start,
# recognise as ready and name each of them (pharosd, BIRD 2, FRR bgpd,
# OpenBGPD, GoBGP). Sourced by bench/run.sh after tests/lib.sh.
#
# Each daemon runs in the foreground inside namespace "rs" under the name
# "rs" (tests/lib.sh start_in), so its PID is known and every process it
# forks stays in that namespace, where bench/lib/measure.sh sums them.
# Configs are rendered from bench/conf/DAEMON.{head,peer,tail}: @KEY@
# placeholders, one .peer block per client (testers and monitors).

BENCH_DAEMONS_ALL="pharos bird frr openbgpd gobgp"
FRR_BGPD=${FRR_BGPD:-/usr/lib/frr/bgpd}

# daemon_bin DAEMON: the program that must exist for DAEMON.
daemon_bin() {
	case $1 in
	pharos) echo "$BENCH_PHAROSD" ;;
	bird) echo bird ;;
	frr) echo "$FRR_BGPD" ;;
	openbgpd) echo bgpd ;;
	gobgp) echo gobgpd ;;
	*) return 1 ;;
	esac
}

# daemon_version DAEMON: one line naming the version under test.
daemon_version() {
	case $1 in
	pharos) echo "pharosd $(git -C "$PHAROS_TOP" describe --always --dirty 2>/dev/null || echo unknown)" ;;
	bird) bird --version 2>&1 | head -1 ;;
	frr) echo "FRR $("$FRR_BGPD" --version 2>&1 | head -1 | awk '{print $3}')" ;;
	openbgpd) bgpd -V 2>&1 | head -1 ;;
	gobgp) gobgpd --version 2>&1 | head -1 ;;
	esac
}

# _render TEMPLATE OUT KEY=VALUE...: substitute @KEY@ placeholders.
_render() {
	local tpl=$1 out=$2 kv sed_args=()
	shift 2
	[ -f "$tpl" ] || [[ $tpl == *.tail ]] || { echo "# $tpl missing" >&2; return 1; }
	[ -f "$tpl" ] || return 0
	for kv in "$@"; do
		sed_args+=(-e "s|@${kv%%=*}@|${kv#*=}|g")
	done
	sed "${sed_args[@]}" "$tpl" >>"$out"
}

# daemon_conf DAEMON RUNDIR AFI CLIENTS_FILE MAXPFX: write the daemon's
# config into RUNDIR and print its path. CLIENTS_FILE lines: NAME ADDR ASN.
daemon_conf() {
	local d=$1 run=$2 afi=$3 clients=$4 maxpfx=$5 ext out rs
	local name addr asn common
	case $d in
	pharos) ext=yaml ;; gobgp) ext=toml ;; *) ext=conf ;;
	esac
	out=$run/$d.$ext
	rs=$BENCH_RS4
	[ "$afi" = ipv6 ] && rs=$BENCH_RS6
	common=(RS="$rs" RID="$BENCH_RS4" RS_ASN="$BENCH_RS_ASN" RUN="$run"
		AFI="$afi" HOLD="$BENCH_HOLD" KEEPALIVE=$((BENCH_HOLD / 3))
		EXTMSG="${BENCH_EXTMSG:-off}")
	: >"$out"
	_render "$BENCH_CONF/$d.head" "$out" "${common[@]}"
	# one block per client, substituted in one pass
	awk -v tpl="$BENCH_CONF/$d.peer" -v maxpfx="$maxpfx" '
		BEGIN { while ((getline l < tpl) > 0) if (l !~ /^[#!] [a-z]+\.peer:/) t = t l "\n" }
		{ b = t; gsub(/@NAME@/, $1, b); gsub(/@ADDR@/, $2, b)
		  gsub(/@ASN@/, $3, b); gsub(/@MAXPFX@/, maxpfx, b); printf "%s", b }' \
		"$clients" >"$run/$d.peers"
	_render "$run/$d.peers" "$out" "${common[@]}"
	_render "$BENCH_CONF/$d.tail" "$out" "${common[@]}"
	chmod 644 "$out"
	[ "$d" = openbgpd ] && chmod 600 "$out"
	echo "$out"
}

# daemon_check DAEMON CONF: the daemon accepts its config (when it has a
# check mode). Prints the complaint on failure.
daemon_check() {
	case $1 in
	pharos) nsx rs "$BENCH_PHAROSD" -n -c "$2" 2>&1 ;;
	bird) nsx rs bird -p -c "$2" 2>&1 ;;
	openbgpd) nsx rs bgpd -n -f "$2" 2>&1 ;;
	*) return 0 ;;
	esac
}

# daemon_start DAEMON CONF RUNDIR: start it in namespace rs as process "rs".
daemon_start() {
	local d=$1 conf=$2 run=$3
	case $d in
	pharos) start_in rs rs "$BENCH_PHAROSD" -c "$conf" ;;
	bird) start_in rs rs bird -f -c "$conf" -s "$run/bird.ctl" ;;
	frr)
		chown frr:frr "$run" 2>/dev/null
		start_in rs rs "$FRR_BGPD" -f "$conf" -i "$run/bgpd.pid" \
			--vty_socket "$run" -Z -P 0 ;;
	openbgpd)
		mkdir -p /run/openbgpd # the engines' chroot
		start_in rs rs bgpd -d -f "$conf" ;;
	gobgp)
		start_in rs rs gobgpd -f "$conf" -l warn \
			--api-hosts="$BENCH_RS4:50051" ;;
	esac
}

# daemon_listening: something in namespace rs listens on TCP port 179.
daemon_listening() {
	[ -n "$(nsx rs ss -Hltn 'sport = :179' 2>/dev/null)" ]
}
