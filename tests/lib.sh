#!/bin/bash
# lib.sh - shared helpers for every pharos integration test (tests/*/t_*.sh).
#
# Source it from a test script:   . "$(dirname "$0")/../lib.sh"
#
# It gives a test, in one place, what each of them needs and must get right:
#   - TAP output: ok, not_ok, check, check_eq, check_match, diag, bail and
#     t_done (prints the plan and exits non-zero when anything failed);
#   - wait_until TIMEOUT CMD...: poll instead of sleeping a fixed time;
#   - network namespaces named pharos-$$-NAME, veth pairs and bridges,
#     addresses inside 198.18.0.0/15 and 2001:db8::/32 only;
#   - processes started in the background and stopped by their PID;
#   - a trap that, on any exit, stops every process the test started, its
#     packet captures, and removes its namespaces and scratch directory;
#   - pharosd configuration builders, pharosd start/stop, pharosctl queries;
#   - tshark capture start/stop and a check that every BGP message a given
#     address sent decodes with no malformed-packet error;
#   - a check that a sanitizer build wrote no AddressSanitizer/UBSan report;
#   - the interop scaffolding (ix_*): the shared topology, pharosd config
#     and the checks every tests/interop/t_*.sh runs against its daemon.
#
# Environment: PHAROS_TOP (repository top), PHAROS_BIN (where pharosd is
# taken from: tests/run.sh points it at the sanitizer build; default build/),
# PHAROS_DATA (third-party test data, default tests/data), KEEP=1 keeps the
# scratch directory.

# ------------------------------------------------------------ locations

PHAROS_TOP=${PHAROS_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
PHAROS_BIN=${PHAROS_BIN:-$PHAROS_TOP/build}
PHAROS_DATA=${PHAROS_DATA:-$PHAROS_TOP/tests/data}
PHAROSD=${PHAROSD:-$PHAROS_BIN/pharosd}
PHAROSCTL=${PHAROSCTL:-$PHAROS_TOP/build/pharosctl}
PHAROS_PEER=${PHAROS_PEER:-$PHAROS_TOP/build/pharos-peer}
export PHAROS_TOP PHAROS_BIN PHAROS_DATA
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

T_NAME=$(basename "$0" .sh)
T_NSPFX="pharos-$$-"
T_DIR=$(mktemp -d "/tmp/pharos-$T_NAME.XXXXXX")
chmod 755 "$T_DIR" # daemons that drop privileges read their files here
T_PASS=0
T_FAIL=0
declare -A T_PID=()   # name -> pid of a process this test started
T_PID_ORDER=()        # start order, stopped in reverse
T_ATEXIT=()           # extra cleanup commands, run first
T_CLEANED=0

# ------------------------------------------------------------------ TAP

diag() { printf '# %s\n' "$*"; }

ok() {
	T_PASS=$((T_PASS + 1))
	printf 'ok %d - %s\n' $((T_PASS + T_FAIL)) "$*"
}

not_ok() {
	T_FAIL=$((T_FAIL + 1))
	printf 'not ok %d - %s\n' $((T_PASS + T_FAIL)) "$*"
}

# check DESC CMD... : ok when CMD succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; return 1; fi
}

# check_eq DESC GOT WANT
check_eq() {
	if [ "$2" == "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		diag "  got:  '$2'"
		diag "  want: '$3'"
		return 1
	fi
}

# check_match DESC TEXT REGEX (extended regular expression, grep -E)
check_match() {
	if printf '%s\n' "$2" | grep -qE -- "$3"; then
		ok "$1"
	else
		not_ok "$1"
		diag "  text does not match /$3/:"
		printf '%s\n' "$2" | head -20 | sed 's/^/#    /'
		return 1
	fi
}

# check_wait DESC TIMEOUT CMD... : ok when CMD succeeds within TIMEOUT s.
check_wait() {
	local desc=$1 t=$2
	shift 2
	if wait_until "$t" "$@"; then ok "$desc"; else not_ok "$desc (after ${t}s)"; return 1; fi
}

# check_never DESC SECONDS CMD... : ok when CMD never succeeds for SECONDS.
check_never() {
	local desc=$1 t=$2
	shift 2
	if wait_until "$t" "$@"; then not_ok "$desc"; return 1; else ok "$desc"; fi
}

# bail DESC: a failure the rest of the test cannot go on after.
bail() {
	not_ok "$*"
	diag "giving up: $*"
	t_done
}

# t_done: print the plan, clean up (trap), exit 1 if anything failed.
t_done() {
	printf '1..%d\n' $((T_PASS + T_FAIL))
	diag "$T_NAME: $T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ] && exit 0
	exit 1
}

# ------------------------------------------------------------ utilities

# wait_until TIMEOUT CMD... : run CMD every WAIT_STEP (0.2) s until it
# succeeds (return 0) or TIMEOUT seconds pass (return 1).
wait_until() {
	local t=$1 end
	shift
	end=$(($(date +%s%N) + ${t%.*} * 1000000000))
	while :; do
		"$@" && return 0
		[ "$(date +%s%N)" -ge "$end" ] && return 1
		sleep "${WAIT_STEP:-0.2}"
	done
}

# need_bin PROG... : bail out when a program the test relies on is missing.
need_bin() {
	local p
	for p in "$@"; do
		[ -x "$p" ] || command -v "$p" >/dev/null 2>&1 || bail "required program $p is present"
	done
}

# atexit CMD...: run a cleanup command (eval'ed) before the standard cleanup.
atexit() { T_ATEXIT+=("$*"); }

# ----------------------------------------------------------- processes

# start_bg NAME CMD... : start the program CMD (not a shell function) in
# the background with stdout and stderr in $T_DIR/NAME.log; remember its
# PID under NAME. Must not be called in a subshell (no $(start_bg ...)):
# the PID would be lost to the cleanup.
start_bg() {
	local name=$1
	shift
	"$@" >"$T_DIR/$name.log" 2>&1 </dev/null &
	track_pid "$name" $!
}

# start_in NAME NS CMD... : start_bg inside namespace NS (ip netns exec
# execs CMD, so the PID remembered is the program's own).
start_in() {
	local name=$1 n=$2
	shift 2
	start_bg "$name" ip netns exec "$T_NSPFX$n" "$@"
}

# track_pid NAME PID: stop PID on exit (e.g. a daemon that wrote a pidfile).
track_pid() {
	T_PID[$1]=$2
	T_PID_ORDER+=("$1")
}

pid_of() { echo "${T_PID[$1]:-}"; }
log_of() { echo "$T_DIR/$1.log"; }

# alive NAME: the process is still running.
alive() {
	local pid=${T_PID[$1]:-}
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

_gone() { ! kill -0 "$1" 2>/dev/null; }

# stop_proc NAME [SIGNAL [TIMEOUT]]: signal the process (TERM by default),
# wait up to TIMEOUT (5) s, then KILL. Sets T_RC to its exit status when it
# was our child (else 0). Returns 0 when it ended before the KILL.
stop_proc() {
	local name=$1 sig=${2:-TERM} t=${3:-5} pid rc=0
	pid=${T_PID[$name]:-}
	T_RC=0
	[ -n "$pid" ] || return 0
	unset "T_PID[$name]"
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; T_RC=$?; return 0; }
	kill -"$sig" "$pid" 2>/dev/null
	if ! WAIT_STEP=0.1 wait_until "$t" _gone "$pid"; then
		kill -KILL "$pid" 2>/dev/null
		rc=1
	fi
	wait "$pid" 2>/dev/null
	T_RC=$?
	return $rc
}

# bird_rs_conf NAME ADDR ASN STATIC [EXPORT] [CHANNEL] [SESSION]: write
# $T_DIR/NAME.conf for a BIRD speaker at ADDR (AS ASN) with one IPv4
# session "pharos" to the route server at $RS (AS 65515). STATIC goes in
# verbatim (its static protocols); the session exports static routes
# only, EXPORT adds statements to that filter before its accept, CHANNEL
# adds ipv4 channel options and SESSION session options.
bird_rs_conf() {
	cat >"$T_DIR/$1.conf" <<CONF
router id $2;
log "$T_DIR/$1-daemon.log" all;
protocol device { }
$4
protocol bgp pharos {
	local $2 as $3;
	neighbor $RS as 65515;
	connect delay time 1;
	connect retry time 2;
	hold time 30;
	strict bind on;
	${7:-}
	ipv4 {
		import all;
		export filter { if source != RTS_STATIC then reject; ${5:-} accept; };
		${6:-}
	};
}
CONF
}

# ----------------------------------------------------------- namespaces

# ns NAME: the full name of the test's namespace NAME.
ns() { echo "$T_NSPFX$1"; }

# ns_create NAME...: create namespaces with lo up (and 127.0.0.1, ::1).
ns_create() {
	local n
	for n in "$@"; do
		ip netns add "$T_NSPFX$n" || bail "create namespace $n"
		ip -n "$T_NSPFX$n" link set dev lo up
		ip netns exec "$T_NSPFX$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 >/dev/null
	done
}

# nsx NAME CMD...: run CMD inside namespace NAME.
nsx() {
	local n=$1
	shift
	ip netns exec "$T_NSPFX$n" "$@"
}

# metrics_of NS API: the /metrics text of the pharosd whose API listens
# on API, fetched from namespace NS; empty when it does not answer in 5 s.
metrics_of() { nsx "$1" curl -s -m 5 "http://$2/metrics"; }

# metric_value NAME [PEER]: from /metrics text on stdin, the value of the
# series NAME (NAME{peer="PEER",...} with PEER); empty when absent.
metric_value() {
	if [ -n "${2:-}" ]; then
		awk -v m="$1{peer=\"$2\"" 'index($0, m) == 1 { print $2; exit }'
	else
		awk -v m="$1" '$1 == m { print $2; exit }'
	fi
}

# proc_kb PID KEY: a field of /proc/PID/status in kB (VmRSS, VmHWM).
proc_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null; }

# ns_forwarding NAME: enable IPv4 and IPv6 forwarding in namespace NAME.
ns_forwarding() {
	nsx "$1" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 >/dev/null
}

# ns_veth NS1 IF1 NS2 IF2: a veth pair between two namespaces, both ends up.
# The pair is created directly inside the namespaces, so interface names
# never collide with anything outside them.
ns_veth() {
	ip link add "$2" netns "$T_NSPFX$1" type veth peer name "$4" netns "$T_NSPFX$3" ||
		bail "veth $1/$2 - $3/$4"
	ip -n "$T_NSPFX$1" link set dev "$2" up
	ip -n "$T_NSPFX$3" link set dev "$4" up
}

# ns_bridge NS BR: a bridge inside namespace NS, up.
ns_bridge() {
	ip -n "$T_NSPFX$1" link add "$2" type bridge || bail "bridge $1/$2"
	ip -n "$T_NSPFX$1" link set dev "$2" type bridge stp_state 0 forward_delay 0 2>/dev/null
	ip -n "$T_NSPFX$1" link set dev "$2" up
}

# ns_bridge_port NS BR IF: enslave IF (in NS) to bridge BR.
ns_bridge_port() {
	ip -n "$T_NSPFX$1" link set dev "$3" master "$2" || bail "enslave $1/$3 to $2"
	ip -n "$T_NSPFX$1" link set dev "$3" up
}

# ns_addr NS IF ADDR/LEN...: add addresses (IPv6 without DAD delay).
ns_addr() {
	local n=$1 dev=$2 a
	shift 2
	for a in "$@"; do
		if [[ $a == *:* ]]; then
			ip -n "$T_NSPFX$n" addr add "$a" dev "$dev" nodad || bail "address $a on $n/$dev"
		else
			ip -n "$T_NSPFX$n" addr add "$a" dev "$dev" || bail "address $a on $n/$dev"
		fi
	done
}

# ns_lan HUB BR NAME...: a LAN on bridge BR inside namespace HUB; each NAME
# gets a veth "eth0" whose other end (NAME) is a port of the bridge. Give
# addresses with ns_addr NAME eth0 ... and ns_addr HUB BR ... .
ns_lan() {
	local hub=$1 br=$2 n
	shift 2
	ns_bridge "$hub" "$br"
	for n in "$@"; do
		ns_veth "$n" eth0 "$hub" "$n"
		ns_bridge_port "$hub" "$br" "$n"
	done
}

# tcp_open NS ADDR PORT: a TCP connection from NS to ADDR:PORT succeeds
# (e.g. wait until a daemon listens).
tcp_open() {
	nsx "$1" timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$2" "$3" 2>/dev/null
}

_ns_delete_all() {
	local n p
	for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$T_NSPFX"); do
		# whatever still runs in our namespaces was started by this test
		for p in $(ip netns pids "$n" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		ip netns delete "$n" 2>/dev/null
	done
}

# -------------------------------------------------------------- cleanup

t_cleanup() {
	local i name
	[ "$T_CLEANED" = 1 ] && return
	T_CLEANED=1
	for i in "${T_ATEXIT[@]}"; do eval "$i" >/dev/null 2>&1; done
	for ((i = ${#T_PID_ORDER[@]} - 1; i >= 0; i--)); do
		name=${T_PID_ORDER[$i]}
		[ -n "${T_PID[$name]:-}" ] && stop_proc "$name" TERM 3 >/dev/null 2>&1
	done
	_ns_delete_all
	if [ "${KEEP:-0}" = 1 ]; then
		echo "# kept $T_DIR" >&2
	else
		rm -rf "$T_DIR"
	fi
}

# On failure, show the tail of every log so the TAP log says why.
_t_exit() {
	local rc=$? f
	if [ "$rc" -ne 0 ] || [ "$T_FAIL" -ne 0 ]; then
		for f in "$T_DIR"/*.log; do
			[ -s "$f" ] || continue
			diag "---- tail of $(basename "$f")"
			tail -n "${LOG_TAIL:-25}" "$f" | sed 's/^/#   /'
		done
	fi
	t_cleanup
	exit "$rc"
}
trap _t_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --------------------------------------------------- pharosd configuration

# pharos_conf_begin FILE [key=value...]: start a config with the
# route_server section. Keys: asn router_id listen (comma list) port
# hold_time keepalive branch_to_branch routing_preference transparent_as
# compare_med max_paths restart_delay startup_hold_s persist_routes_s.
# startup_hold_s is 0 unless given: a test's peers are where it says at
# once (tests of the startup hold-down set it).
pharos_conf_begin() {
	local f=$1 kv k v
	shift
	{
		echo "route_server:"
		[[ " $* " == *" startup_hold_s="* ]] || echo "  startup_hold_s: 0"
		for kv in "$@"; do
			k=${kv%%=*} v=${kv#*=}
			if [ "$k" = listen ]; then
				echo "  listen: [${v//,/, }]"
			else
				echo "  $k: $v"
			fi
		done
		echo "  peers:"
	} >"$f"
}

# pharos_conf_peer FILE NAME KIND ADDRESS ASN [key=value...]: one peer.
# Keys: password_file max_prefixes accept_default passive port multihop
# hold_time keepalive, import=YAML export=YAML (flow style, e.g. "[]").
pharos_conf_peer() {
	local f=$1 kv
	{
		echo "    - name: $2"
		echo "      kind: $3"
		echo "      address: $4"
		echo "      asn: $5"
		shift 5
		for kv in "$@"; do echo "      ${kv%%=*}: ${kv#*=}"; done
	} >>"$f"
}

# pharos_conf_api FILE LISTEN [TOKEN_FILE]
pharos_conf_api() {
	{
		echo "api:"
		echo "  listen: $2"
		[ -n "${3:-}" ] && echo "  token_file: $3"
	} >>"$1"
	return 0
}

# pharos_conf_vnet FILE NAME PREFIX...: a hub VNet with these address
# spaces (what pharosd originates to every peer).
# pharos_conf_hub_spoke FILE [NIC] [LINE...]: append the small fabric most
# tests use: a hub VNet 198.18.100.0/24 (subnet nva) and spoke-a
# 198.19.1.0/24 (subnet app) peered with use_remote_gateways, so app takes
# the BGP routes; next hops outside the VNets allowed (the NVAs sit on the
# test's own LAN). NIC (default vm-a1; "" for none) is 198.19.1.4 in app.
# Each LINE goes under fabric: first (e.g. a publish: line).
pharos_conf_hub_spoke() {
	local f=$1 nic=${2-vm-a1} l
	shift
	if [ $# -gt 0 ]; then shift; fi
	{
		echo "fabric:"
		for l in "$@"; do echo "  $l"; done
		echo "  allow_external_next_hops: true"
		echo "  vnets:"
		echo "    - name: hub"
		echo "      hub: true"
		echo "      address_space: [198.18.100.0/24]"
		echo "      subnets: [{name: nva, prefix: 198.18.100.0/26}]"
		echo "    - name: spoke-a"
		echo "      address_space: [198.19.1.0/24]"
		echo "      peerings: [{remote: hub, use_remote_gateways: true}]"
		echo "      subnets: [{name: app, prefix: 198.19.1.0/26}]"
		if [ -n "$nic" ]; then
			echo "      nics: [{name: $nic, subnet: app, ip: 198.19.1.4}]"
		fi
	} >>"$f"
}

pharos_conf_vnet() {
	local f=$1 name=$2 sp
	shift 2
	grep -q '^fabric:' "$f" || printf 'fabric:\n  vnets:\n' >>"$f"
	sp=$(printf '%s, ' "$@")
	{
		echo "    - name: $name"
		echo "      hub: true"
		echo "      address_space: [${sp%, }]"
	} >>"$f"
}

# ------------------------------------------------------ pharosd, pharosctl

# pharosd_start NS CONF API_ADDR:PORT: start pharosd inside NS (process
# name "pharosd", log $T_DIR/pharosd.log) and wait until its API answers.
# Later pharosctl calls (pctl) go to that API.
pharosd_start() {
	PHAROS_NS=$1
	PHAROS_API=$3
	nsx "$1" "$PHAROSD" -n -c "$2" >"$T_DIR/pharosd-check.out" 2>&1 ||
		{ sed 's/^/# /' "$T_DIR/pharosd-check.out"; bail "pharosd accepts the generated config"; }
	start_in pharosd "$1" "$PHAROSD" -c "$2"
	wait_until 15 _pharosd_up_or_dead
	alive pharosd || bail "pharosd started (it exited early)"
	pctl show peers >/dev/null 2>&1 || bail "pharosd started and its API answers on $3"
}

_pharosd_up_or_dead() {
	! alive pharosd || pctl show peers >/dev/null 2>&1
}

# pharosd_stop: SIGTERM; returns 0 when pharosd exited with status 0.
pharosd_stop() {
	stop_proc pharosd TERM 10 && [ "$T_RC" -eq 0 ]
}

# pctl ARGS...: pharosctl -j against the running pharosd's API.
pctl() {
	nsx "$PHAROS_NS" "$PHAROSCTL" -s "http://$PHAROS_API" -j "$@"
}

# peer_field NAME FIELD: one field of a peer from "show peers".
peer_field() {
	pctl show peers 2>/dev/null |
		jq -r --arg n "$1" --arg f "$2" '.peers[] | select(.name == $n) | .[$f]'
}

# peer_field_is NAME FIELD VALUE
peer_field_is() { [ "$(peer_field "$1" "$2")" = "$3" ]; }

# peer_established NAME
peer_established() { [ "$(peer_field "$1" state)" = established ]; }

# route_paths PREFIX: the paths of PREFIX, one compact JSON object a line.
route_paths() {
	pctl show routes "$1" 2>/dev/null |
		jq -c --arg p "$1" '.routes[]? | select(.prefix == $p) | .paths[]'
}

# route_has PREFIX PEER NEXT_HOP "ASN ASN...": pharosd holds PREFIX from
# PEER with exactly that next hop and AS path.
route_has() {
	local want
	want=$(printf '%s' "$4" | jq -R -c 'split(" ") | map(select(length > 0) | tonumber)')
	route_paths "$1" | jq -e -s --arg peer "$2" --arg nh "$3" --argjson ap "$want" \
		'any(.[]; .peer == $peer and .next_hop == $nh and .as_path == $ap)' >/dev/null
}

# route_from PREFIX PEER: pharosd holds PREFIX from PEER (any attributes).
route_from() {
	route_paths "$1" | jq -e -s --arg peer "$2" 'any(.[]; .peer == $peer)' >/dev/null
}

# peer_got LOG PREFIX NEXT_HOP "ASN...": a pharos-peer -o json output LOG
# holds an announcement of PREFIX with that next hop and AS path.
peer_got() {
	local ap
	ap=$(printf '%s' "$4" | jq -R -c 'split(" ") | map(select(length > 0) | tonumber)')
	grep '^{' "$1" | jq -e -s --arg p "$2" --arg nh "$3" --argjson ap "$ap" \
		'any(.[] | select(.type == "update") | .announce[]?;
		     .prefix == $p and .next_hop == $nh and .as_path == $ap)' >/dev/null
}

# peer_withdrew LOG PREFIX: a pharos-peer -o json output LOG holds a
# withdrawal of PREFIX.
peer_withdrew() {
	grep '^{' "$1" | jq -e -s --arg p "$2" \
		'any(.[] | select(.type == "update") | .withdraw[]?; . == $p)' >/dev/null
}

# ------------------------------------------------------------- sanitizer

# sanitizer_clean LOGFILE: no AddressSanitizer/LeakSanitizer/UBSan report.
sanitizer_clean() {
	! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|UndefinedBehaviorSanitizer' "$1"
}

# ----------------------------------------------------------------- tshark

# cap_start NAME NS [IFACE [FILTER]]: capture BGP (tcp port 179 by default)
# inside namespace NS on IFACE (default "any") into $T_DIR/NAME.pcapng.
cap_start() {
	local name=$1 n=$2 ifc=${3:-any} filt=${4:-tcp port 179}
	start_in "cap-$name" "$n" tshark -q -n -i "$ifc" -f "$filt" -w "$T_DIR/$name.pcapng"
	wait_until 10 grep -q 'Capturing on' "$T_DIR/cap-$name.log" ||
		bail "tshark capture $name started"
}

# cap_stop NAME: stop the capture (SIGINT so tshark flushes its file).
cap_stop() {
	sleep 0.3 # let the last segments reach the capture
	stop_proc "cap-$1" INT 10
}

# cap_file NAME
cap_file() { echo "$T_DIR/$1.pcapng"; }

# _cap_src_filter ADDR...: display filter matching packets from ADDRs.
_cap_src_filter() {
	local a f=""
	for a in "$@"; do
		if [[ $a == *:* ]]; then f="$f || ipv6.src == $a"; else f="$f || ip.src == $a"; fi
	done
	echo "(${f# || })"
}

# cap_bgp_fields FILE DISPLAY_FILTER [tshark args]: one line per BGP packet:
# frame number, BGP message types, expert groups, expert severities.
cap_bgp_fields() {
	local file=$1 filt=$2
	shift 2
	tshark -n -r "$file" "$@" -Y "$filt" -T fields -E separator='|' \
		-e frame.number -e bgp.type -e _ws.expert.group -e _ws.expert.severity \
		-e _ws.expert.message 2>/dev/null
}

# cap_malformed FILE DISPLAY_FILTER [tshark args]: print the frames whose
# decoding raised a malformed-packet (group 0x07000000) or error-severity
# (0x00800000) expert item. Empty output = clean.
cap_malformed() {
	cap_bgp_fields "$@" | awk -F'|' '
		$3 ~ /(^|,)117440512(,|$)/ || $4 ~ /(^|,)8388608(,|$)/ { print }'
}

# cap_check_sent NAME WHO ADDR...: TAP checks on capture NAME: BGP messages
# sent from ADDRs (WHO names the sender in the messages) exist, decode with
# no malformed/error expert item, and include OPEN, UPDATE and KEEPALIVE.
cap_check_sent() {
	local file=$T_DIR/$1.pcapng who=$2 filt fields bad t types
	shift 2
	filt="bgp && $(_cap_src_filter "$@")"
	fields=$(cap_bgp_fields "$file" "$filt")
	check "capture holds BGP messages from $who" test -n "$fields"
	bad=$(cap_malformed "$file" "$filt")
	if [ -z "$bad" ]; then
		ok "every BGP message from $who decodes without malformed/error expert info"
	else
		not_ok "every BGP message from $who decodes without malformed/error expert info"
		printf '%s\n' "$bad" | head -10 | sed 's/^/#   frame|types|groups|severities|msg: /'
	fi
	types=$(printf '%s\n' "$fields" | cut -d'|' -f2 | tr ',' '\n' | sort -u | tr '\n' ' ')
	for t in 1:OPEN 2:UPDATE 4:KEEPALIVE; do
		check "capture holds a ${t#*:} from $who" grep -qw "${t%%:*}" <<<"$types"
	done
}

# ------------------------------------------------------ interop scaffolding
#
# The interop tests (tests/interop/t_*.sh) share one topology: a LAN on a
# bridge inside the route server's namespace "rs", like the subnet of a hub
# where NVAs and the route server sit side by side:
#
#   rs   (pharosd)           br0  198.18.1.1/24  2001:db8:1::1/64
#   nva  (daemon under test) eth0 198.18.1.2/24  2001:db8:1::2/64  AS 65001
#   nva2 (pharos-peer)       eth0 198.18.1.3/24  2001:db8:1::3/64  AS 65003
#
# pharosd (AS 65515) has two peers for the daemon under test, NAME-v4 and
# NAME-v6 (IPv4 and IPv6 transport), and one for the second NVA; it
# originates the hub's address spaces. The daemon announces IX_D4_ROUTES and
# IX_D6_ROUTES and later withdraws the second prefix of each; the second
# NVA announces IX_P4_ROUTE, IX_P6_ROUTE and IX_ECMP4, the third prefix of
# IX_D4_ROUTES, so that pharosd holds two equal paths for it (ECMP).

IX_RS4=198.18.1.1 IX_RS6=2001:db8:1::1
IX_D4=198.18.1.2 IX_D6=2001:db8:1::2
IX_P4=198.18.1.3 IX_P6=2001:db8:1::3
IX_RS_ASN=65515 IX_D_ASN=65001 IX_P_ASN=65003
IX_API=127.0.0.1:8179
IX_HUB4=198.18.100.0/24 IX_HUB6=2001:db8:a00::/48
IX_ECMP4=198.19.250.0/24
IX_D4_ROUTES=(198.19.128.0/24 198.19.129.0/24 "$IX_ECMP4")
IX_D6_ROUTES=(2001:db8:100::/48 2001:db8:101::/48)
IX_P4_ROUTE=198.19.200.0/24 IX_P6_ROUTE=2001:db8:300::/48

# ix_bird_conf FILE all|reduced: BIRD as the ix_ topology's NVA, announcing
# IX_D4_ROUTES and IX_D6_ROUTES over an IPv4 and an IPv6 session;
# "reduced" drops the second prefix of each family (the withdrawal step).
ix_bird_conf() {
	local r4="" r6="" i
	for i in "${!IX_D4_ROUTES[@]}"; do
		[ "$2" = reduced ] && [ "$i" = 1 ] && continue
		r4="$r4	route ${IX_D4_ROUTES[$i]} blackhole;"$'\n'
	done
	for i in "${!IX_D6_ROUTES[@]}"; do
		[ "$2" = reduced ] && [ "$i" = 1 ] && continue
		r6="$r6	route ${IX_D6_ROUTES[$i]} blackhole;"$'\n'
	done
	cat >"$1" <<CONF
router id $IX_D4;
log "$T_DIR/bird-daemon.log" all;
protocol device { }
protocol static static4 {
	ipv4;
$r4}
protocol static static6 {
	ipv6;
$r6}
template bgp pharos_tpl {
	local as $IX_D_ASN;
	connect delay time 1;
	connect retry time 2;
	hold time 30;
	strict bind on;
}
protocol bgp pharos_v4 from pharos_tpl {
	local $IX_D4 as $IX_D_ASN;
	neighbor $IX_RS4 as $IX_RS_ASN;
	ipv4 { import all; export where source = RTS_STATIC; };
}
protocol bgp pharos_v6 from pharos_tpl {
	local $IX_D6 as $IX_D_ASN;
	neighbor $IX_RS6 as $IX_RS_ASN;
	ipv6 { import all; export where source = RTS_STATIC; };
}
CONF
}

# ix_topology: namespaces rs, nva, nva2 on one bridge, addressed as above.
ix_topology() {
	ns_create rs nva nva2
	ns_lan rs br0 nva nva2
	ns_addr rs br0 "$IX_RS4/24" "$IX_RS6/64"
	ns_addr nva eth0 "$IX_D4/24" "$IX_D6/64"
	ns_addr nva2 eth0 "$IX_P4/24" "$IX_P6/64"
}

# ix_pharos_conf FILE NAME [key=value...]: pharosd config for the topology;
# extra key=value pairs go to both peers of the daemon under test, and the
# words of $IX_RS_EXTRA (key=value) to the route_server section.
ix_pharos_conf() {
	local f=$1 name=$2
	shift 2
	# shellcheck disable=SC2086 # IX_RS_EXTRA is a list of words
	pharos_conf_begin "$f" asn=$IX_RS_ASN router_id=$IX_RS4 \
		listen=$IX_RS4,$IX_RS6 hold_time=30 keepalive=10 ${IX_RS_EXTRA:-}
	pharos_conf_peer "$f" "$name-v4" nva "$IX_D4" "$IX_D_ASN" "$@"
	pharos_conf_peer "$f" "$name-v6" nva "$IX_D6" "$IX_D_ASN" "$@"
	pharos_conf_peer "$f" nva2 nva "$IX_P4" "$IX_P_ASN" passive=true
	pharos_conf_api "$f" "$IX_API"
	pharos_conf_vnet "$f" hub "$IX_HUB4" "$IX_HUB6"
}

# ix_start_pharos NAME [key=value...]: capture "rs" on br0, then pharosd.
ix_start_pharos() {
	need_bin "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER" tshark jq
	ix_pharos_conf "$T_DIR/pharosd.yaml" "$@"
	cap_start rs rs br0
	pharosd_start rs "$T_DIR/pharosd.yaml" "$IX_API"
}

# ix_start_nva2: the second NVA (pharos-peer) announcing IX_P4/IX_P6.
ix_start_nva2() {
	# line-buffered: the JSON lines are read while it runs
	start_in nva2 nva2 stdbuf -oL "$PHAROS_PEER" -a "$IX_P_ASN" -R "$IX_RS_ASN" -b "$IX_P4" -o json \
		-A "$IX_P4_ROUTE,$IX_ECMP4" -A "$IX_P6_ROUTE nh $IX_P6" "$IX_RS4"
}

# ix_check_sessions NAME: both sessions of the daemon and nva2 establish.
ix_check_sessions() {
	check_wait "$1: IPv4 session with pharosd established" 30 peer_established "$1-v4"
	check_wait "$1: IPv6 session with pharosd established" 20 peer_established "$1-v6"
	check_wait "nva2 (pharos-peer) session established" 10 peer_established nva2
}

# ix_check_learned NAME: pharosd accepted the daemon's prefixes with the
# daemon's address as next hop and AS path [IX_D_ASN].
ix_check_learned() {
	local p
	for p in "${IX_D4_ROUTES[@]}"; do
		check_wait "pharosd holds $p from $1 (next hop $IX_D4, path $IX_D_ASN)" 15 \
			route_has "$p" "$1-v4" "$IX_D4" "$IX_D_ASN"
	done
	for p in "${IX_D6_ROUTES[@]}"; do
		check_wait "pharosd holds $p from $1 (next hop $IX_D6, path $IX_D_ASN)" 15 \
			route_has "$p" "$1-v6" "$IX_D6" "$IX_D_ASN"
	done
	check_wait "pharosd holds $IX_P4_ROUTE from nva2" 10 \
		route_has "$IX_P4_ROUTE" nva2 "$IX_P4" "$IX_P_ASN"
	check_wait "pharosd counts ${#IX_D4_ROUTES[@]} prefixes accepted from $1-v4" 5 \
		peer_field_is "$1-v4" prefixes_accepted "${#IX_D4_ROUTES[@]}"
	check_wait "pharosd counts ${#IX_D6_ROUTES[@]} prefixes accepted from $1-v6" 5 \
		peer_field_is "$1-v6" prefixes_accepted "${#IX_D6_ROUTES[@]}"
}

# ix_check_ecmp NAME: IX_ECMP4 from the daemon and from nva2 (AS paths of
# the same length, same kind of peer) form one ECMP set of two paths with
# exactly one of them marked best.
ix_check_ecmp() {
	check_wait "pharosd holds $IX_ECMP4 from $1 and from nva2" 10 \
		_ix_from_both "$IX_ECMP4" "$1-v4" nva2
	check "both paths of $IX_ECMP4 are ECMP members, one is best" _ix_ecmp_pair "$IX_ECMP4"
}

_ix_from_both() { route_from "$1" "$2" && route_from "$1" "$3"; }

_ix_ecmp_pair() {
	route_paths "$1" | jq -e -s 'length == 2 and all(.[]; .ecmp == true) and
		([.[] | select(.best == true)] | length) == 1' >/dev/null
}

# ix_expected: the routes the daemon must receive, "PREFIX|NEXT_HOP|PATH".
ix_expected() {
	echo "$IX_HUB4|$IX_RS4|$IX_RS_ASN"
	echo "$IX_HUB6|$IX_RS6|$IX_RS_ASN"
	echo "$IX_P4_ROUTE|$IX_P4|$IX_RS_ASN $IX_P_ASN"
	echo "$IX_P6_ROUTE|$IX_P6|$IX_RS_ASN $IX_P_ASN"
}

# ix_check_received NAME FUNC: FUNC prints the daemon's received routes as
# "PREFIX|NEXT_HOP|AS PATH" lines (its own CLI's view); each expected
# route must show up there with pharosd's ASN first in the AS path.
ix_check_received() {
	local name=$1 fn=$2 line
	while IFS= read -r line; do
		check_wait "$name received ${line%%|*} (next hop, path: ${line#*|})" 20 \
			_ix_has_line "$fn" "$line"
	done < <(ix_expected)
}

_ix_has_line() {
	"$1" >"$T_DIR/received.txt" 2>/dev/null
	grep -qxF -- "$2" "$T_DIR/received.txt"
}

_ix_gone() { ! route_from "$1" "$2"; }

# ix_check_withdrawn NAME: after the daemon withdrew the second prefix of
# each family, pharosd dropped them and kept the first ones.
ix_check_withdrawn() {
	check_wait "pharosd dropped ${IX_D4_ROUTES[1]} after $1 withdrew it" 15 \
		_ix_gone "${IX_D4_ROUTES[1]}" "$1-v4"
	check_wait "pharosd dropped ${IX_D6_ROUTES[1]} after $1 withdrew it" 15 \
		_ix_gone "${IX_D6_ROUTES[1]}" "$1-v6"
	check_wait "nva2 received the withdrawal of ${IX_D4_ROUTES[1]} via pharosd" 5 \
		peer_withdrew "$T_DIR/nva2.log" "${IX_D4_ROUTES[1]}"
	check "pharosd still holds ${IX_D4_ROUTES[0]} from $1" \
		route_has "${IX_D4_ROUTES[0]}" "$1-v4" "$IX_D4" "$IX_D_ASN"
	check "pharosd still holds ${IX_D6_ROUTES[0]} from $1" \
		route_has "${IX_D6_ROUTES[0]}" "$1-v6" "$IX_D6" "$IX_D_ASN"
}

# ix_finish: nva2 saw the daemon's routes re-advertised (NVA to NVA), then
# stop pharosd; check the capture and pharosd's stderr.
ix_finish() {
	check_wait "nva2 received ${IX_D4_ROUTES[0]} via pharosd (next hop $IX_D4, path $IX_RS_ASN $IX_D_ASN)" 5 \
		peer_got "$T_DIR/nva2.log" "${IX_D4_ROUTES[0]}" "$IX_D4" "$IX_RS_ASN $IX_D_ASN"
	check "pharosd exits 0 on SIGTERM" pharosd_stop
	cap_stop rs
	cap_check_sent rs pharosd "$IX_RS4" "$IX_RS6"
	check "pharosd stderr has no sanitizer report" sanitizer_clean "$T_DIR/pharosd.log"
}
