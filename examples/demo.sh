#!/bin/bash
# demo.sh - the demonstration of pharos (`make demo`): the three-region
# estate of examples/three-region/ (UK South, West Europe, East US), one
# pharosd per hub and the simulated appliances of examples/sim/ (real BGP
# sessions over loopback, no namespaces needed), narrated in eight steps:
#
#   1. sessions up and routes learned per hub
#   2. effective routes of a spoke VM (ECMP over the NVA pair, default
#      route via the egress firewall pair)
#   3. the packet walk from a UK South VM to a West Europe VM
#   4. an NVA fails: withdrawal, one next hop left, measured convergence
#   5. the ExpressRoute gateway fails: the VPN path takes over, then back
#   6. a misconfigured NVA goes over max_prefixes: Cease, fabric untouched
#   7. a NO_ADVERTISE lab prefix: programmed locally, advertised to no one
#   8. before a change: what-if an NVA goes down (computed, nothing
#      touched), and whether a cross-region flow comes back through the
#      same firewalls (the symmetry check)
#
# Every number printed is measured (clock of this host, API timestamps).
# Each step ends with "  => OK: ..." or "  => FAILED: ..."; the exit status
# is non-zero when a step failed. Every process started here is stopped at
# the end (by PID), unless --keep is given: then everything keeps running
# and the script says how to explore it with pharosctl.
set -u
cd "$(dirname "$0")/.." || exit 1
TOP=$PWD
BIN=${PHAROS_BIN:-$TOP/build}
PHAROSD=$BIN/pharosd
PHAROSCTL=$TOP/build/pharosctl
SIM=$TOP/examples/sim/appliance.sh
export PHAROS_PEER=$TOP/build/pharos-peer
KEEP=0 KEPT=0 # KEPT: the narration ran to the end with --keep
for a in "$@"; do
	case $a in
	--keep) KEEP=1 ;;
	-h | --help)
		sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*) echo "usage: $0 [--keep]" >&2; exit 2 ;;
	esac
done

REGIONS=(uksouth westeurope eastus)
declare -A CONF=([uksouth]=uk-south [westeurope]=west-europe [eastus]=east-us)
declare -A API=([uksouth]=http://127.0.0.11:18190
	[westeurope]=http://127.0.0.21:18190 [eastus]=http://127.0.0.31:18190)
NIC=vm-uks-app1            # the spoke VM the story follows
SUBNET=spoke-uks-app/app   # its subnet
DST_NIC=vm-we-app1 DST_IP=198.18.73.4 # a West Europe spoke VM
AGG=198.18.0.0/15 ONPREM=198.19.0.0/18 LAB=198.18.48.0/24
NVA1=198.18.1.4 NVA2=198.18.1.5 FW1=198.18.1.36 FW2=198.18.1.37
ER_NH=198.18.2.4 VPN_NH=198.18.2.12

for b in "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER"; do
	[ -x "$b" ] || { echo "demo: $b is missing (run make)" >&2; exit 1; }
done
for b in curl jq; do
	command -v $b >/dev/null || { echo "demo: $b is needed" >&2; exit 1; }
done
# DEMO_DIR=PATH keeps the logs and appliance outputs there (tests read
# them); by default they go to a scratch directory removed at the end.
if [ -n "${DEMO_DIR:-}" ]; then
	DIR=$DEMO_DIR
	mkdir -p "$DIR" || exit 1
else
	DIR=$(mktemp -d /tmp/pharos-demo.XXXXXX)
fi
declare -A PID=()  # process name -> PID
ORDER=()           # start order, stopped in reverse
FAILED=0 PASSED=0

# ------------------------------------------------------------ processes

stop_pid() { # PID: TERM, wait up to 5 s, then KILL
	local p=$1
	kill -TERM "$p" 2>/dev/null || { wait "$p" 2>/dev/null; return 0; }
	for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	return 0
}

cleanup() {
	local i n
	[ "$KEEP" = 1 ] && [ "$KEPT" = 1 ] && return
	for ((i = ${#ORDER[@]} - 1; i >= 0; i--)); do
		n=${ORDER[$i]}
		[ -n "${PID[$n]:-}" ] && stop_pid "${PID[$n]}"
	done
	[ -z "${DEMO_DIR:-}" ] && rm -rf "$DIR"
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

track() { # NAME PID
	[ -z "${PID[$1]+set}" ] && ORDER+=("$1")
	PID[$1]=$2
}

start_rs() { # REGION
	local r=$1 conf=$TOP/examples/three-region/${CONF[$1]}.yaml
	"$PHAROSD" -n -c "$conf" >"$DIR/check-$r.out" 2>&1 ||
		{ cat "$DIR/check-$r.out" >&2; return 1; }
	"$PHAROSD" -c "$conf" >"$DIR/pharosd-$r.log" 2>&1 &
	track "pharosd-$r" $!
}

start_app() { # NAME: one simulated appliance, its JSON output in DIR
	stdbuf -oL "$SIM" "$1" -o json >"$DIR/$1.json" 2>"$DIR/$1.err" &
	track "$1" $!
}

# fail_app NAME: the appliance crashes (SIGKILL, no NOTIFICATION).
fail_app() {
	kill -KILL "${PID[$1]}" 2>/dev/null
	wait "${PID[$1]}" 2>/dev/null
	PID[$1]=""
}

# ----------------------------------------------------------- helpers

ctl() { local r=$1; shift; "$PHAROSCTL" -s "${API[$r]}" "$@"; }
api() { curl -sf --max-time "${3:-5}" "${API[$1]}/api/v1/$2"; }
now_ms() { date +%s%3N; }
iso_ms() { date -d "$1" +%s%3N; } # API timestamp -> ms since the epoch
step() { printf '\n=== Step %s\n' "$*"; }
say() { printf '  %s\n' "$*"; }
indent() { sed 's/^/    /'; }
ok() { PASSED=$((PASSED + 1)); printf '  => OK: %s\n' "$*"; }
failed() { FAILED=$((FAILED + 1)); printf '  => FAILED: %s\n' "$*"; }

# wait_for SECONDS CMD...: run CMD every 0.1 s until it succeeds.
wait_for() {
	local end=$(($(now_ms) + $1 * 1000))
	shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(now_ms)" -ge "$end" ] && return 1
		sleep 0.1
	done
}

api_up() { ctl "$1" -j show peers; }

# The subnet's effective routes (JSON) and one route's next hops.
table() { api uksouth "fabric/subnets/$SUBNET/table"; }
nh_of() { # PREFIX -> "A B" (the Active route's next hops, sorted)
	table | jq -r --arg p "$1" '[.routes[] | select(.prefix == $p and
		.state == "Active")][0].next_hop_ips // [] | sort | join(" ")'
}
nh_is() { [ "$(nh_of "$1")" = "$2" ]; }
table_version() { table | jq -r .version; }

# long_poll VERSION: wait (up to 10 s) for the subnet table to move past
# VERSION; prints the deltas JSON.
long_poll() { api uksouth "fabric/subnets/$SUBNET/deltas?after=$1&wait=10" 15; }

# poll_start VERSION: hold a long poll on the subnet's deltas in the
# background before a failure, so that the moment pharosd commits the next
# version is measured without the cost of starting a client after it.
poll_start() {
	rm -f "$DIR/poll.json" "$DIR/poll.end"
	(
		long_poll "$1" >"$DIR/poll.json"
		now_ms >"$DIR/poll.end"
	) &
	track poll $!
	sleep 0.2 # the request reaches pharosd and is held there
}

# poll_end: wait for the long poll started by poll_start.
poll_end() {
	[ -n "${PID[poll]:-}" ] && wait "${PID[poll]}" 2>/dev/null
	PID[poll]=""
}

# converge PREFIX "NEXT HOPS" T0 (after poll_end): follow the deltas until
# PREFIX has exactly those next hops in the subnet's table; prints the
# milliseconds from T0 to the version that did it (nothing after 10 s).
# The deltas seen are left in DIR/deltas.json.
converge() {
	local t v d end=$(($(now_ms) + 10000))
	t=$(cat "$DIR/poll.end" 2>/dev/null)
	cp "$DIR/poll.json" "$DIR/deltas.json" 2>/dev/null || : >"$DIR/deltas.json"
	v=$(jq -r '.version // empty' "$DIR/poll.json" 2>/dev/null)
	[ -n "$v" ] || v=$(table_version)
	while ! nh_is "$1" "$2"; do
		[ "$(now_ms)" -ge "$end" ] && return 1
		d=$(long_poll "$v") || { sleep 0.1; continue; }
		t=$(now_ms)
		printf '%s\n' "$d" >>"$DIR/deltas.json"
		v=$(jq -r .version <<<"$d")
	done
	[ -n "$t" ] && echo $((t - $3))
}

# show_deltas: the deltas DIR/deltas.json holds, one line each.
show_deltas() {
	jq -r '(.deltas // .changes)[] | "v\(.version) \(.op) \(.route.prefix) -> \(.route.next_hop_type) [\(.route.next_hop_ips | join(" "))]"' \
		"$DIR/deltas.json" 2>/dev/null | indent
}

# event_ms REGION TYPE PEER: time (ms) of the last such event.
event_ms() {
	local t
	t=$(ctl "$1" -j show events | jq -r --arg t "$2" --arg p "$3" \
		'[.events[] | select(.type == $t and .peer == $p)] | last | .time // empty')
	[ -n "$t" ] && iso_ms "$t"
}

# ------------------------------------------------------------- steps

# Step 1: every session of every hub up, and what each hub learned.
step1_sessions() {
	local r n t0 ms last=0 total=0 up=0 routes summary=""
	step "1: sessions up and routes learned per hub"
	t0=$(now_ms)
	for n in $("$SIM" --list); do start_app "$n"; done
	for r in "${REGIONS[@]}"; do
		wait_for 15 all_up "$r"
		n=$("$SIM" --list "$r" | wc -l)
		total=$((total + n))
		up=$((up + $(n_up "$r")))
		ms=$(last_event_ms "$r" session_up) && [ "$ms" -gt "$last" ] && last=$ms
	done
	for r in "${REGIONS[@]}"; do
		wait_for 5 settled "$r"
		routes=$(ctl "$r" -j show routes | jq '.routes | length')
		say "$r (${API[$r]}): $(n_up "$r") sessions established, $routes prefixes in the loc-RIB"
		summary="$summary $r $routes,"
	done
	say "(the lab NVA nva-uks-lab is not running yet: it joins in step 6)"
	say ""
	say "UK South route server (pharosctl show peers, show routes):"
	ctl uksouth show peers | indent
	ctl uksouth show routes | indent
	if [ "$up" -eq "$total" ] && [ "$last" -gt 0 ]; then
		ok "$up/$total sessions established, the last $((last - t0)) ms after the appliances started; prefixes:${summary%,}"
	else
		failed "only $up/$total sessions established"
	fi
}

# n_up REGION: how many sessions are established; all_up: all of the
# region's running appliances (the lab NVA only joins in step 6).
n_up() {
	ctl "$1" -j show peers | jq '[.peers[] | select(.state == "established")] | length'
}
all_up() { [ "$(n_up "$1")" -eq "$("$SIM" --list "$1" | wc -l)" ]; }

# last_event_ms REGION TYPE: time (ms) of the last event of that type.
last_event_ms() {
	local t
	t=$(ctl "$1" -j show events | jq -r --arg t "$2" \
		'[.events[] | select(.type == $t)] | last | .time // empty')
	[ -n "$t" ] && iso_ms "$t"
}

# settled REGION: every established peer's routes are in the loc-RIB
# (the expected counts: UK South 7 prefixes, the other hubs 5).
settled() {
	local want=5
	[ "$1" = uksouth ] && want=7
	[ "$(ctl "$1" -j show routes | jq '.routes | length')" -ge "$want" ]
}

# Step 2: the effective routes of a spoke VM in UK South.
step2_effective_routes() {
	local agg dflt onp
	step "2: effective routes of $NIC (spoke-uks-app, subnet app)"
	wait_for 5 nh_is "$AGG" "$NVA1 $NVA2"
	wait_for 5 nh_is 0.0.0.0/0 "$FW1 $FW2"
	say "pharosctl show effective-routes $NIC:"
	ctl uksouth show effective-routes "$NIC" 2>&1 | indent
	agg=$(nh_of "$AGG") dflt=$(nh_of 0.0.0.0/0) onp=$(nh_of "$ONPREM")
	say "private aggregate $AGG -> [$agg]; default 0.0.0.0/0 -> [$dflt]; on-premises $ONPREM -> [$onp]"
	if [ "$agg" = "$NVA1 $NVA2" ] && [ "$dflt" = "$FW1 $FW2" ] && [ "$onp" = "$ER_NH" ]; then
		ok "$AGG has 2 ECMP next hops $NVA1 $NVA2 (NVA pair); 0.0.0.0/0 has 2 next hops $FW1 $FW2 (firewall pair); $ONPREM via ExpressRoute $ER_NH"
	else
		failed "$AGG -> [$agg] (want $NVA1 $NVA2), 0.0.0.0/0 -> [$dflt] (want $FW1 $FW2), $ONPREM -> [$onp] (want $ER_NH)"
	fi
}

# Step 3: UK South VM -> West Europe VM, hop by hop, across the regions.
step3_trace() {
	local j first last path n res1 res2 exit_ip
	step "3: packet walk $NIC (UK South) -> $DST_NIC $DST_IP (West Europe)"
	say "pharosctl trace $NIC $DST_IP (it follows the walk into the next region's route server):"
	ctl uksouth trace "$NIC" "$DST_IP" 2>&1 | indent
	# -j: one JSON reply per region crossed
	j=$(ctl uksouth -j trace "$NIC" "$DST_IP" 2>/dev/null | jq -c . 2>/dev/null)
	n=$(grep -c . <<<"$j")
	first=$(head -1 <<<"$j") last=$(tail -1 <<<"$j")
	res1=$(jq -r '"\(.region) \(.result)"' <<<"$first" 2>/dev/null)
	res2=$(jq -r '"\(.region) \(.result)"' <<<"$last" 2>/dev/null)
	exit_ip=$(jq -r '.exit_ip // empty' <<<"$first" 2>/dev/null)
	path=$(jq -r -s '[.[] | "[\(.region)]", (.hops[] | .at // .ip)] | join(" -> ")' <<<"$j" 2>/dev/null)
	say "path: $path"
	if [ "$n" -ge 2 ] && [ "$res1" = "uksouth left-region" ] &&
		[ "$res2" = "westeurope delivered" ] &&
		jq -e --arg n "$DST_NIC" '.hops | last | .at == $n' <<<"$last" >/dev/null 2>&1 &&
		jq -e '[.hops[0].ecmp // [] | length] == [2]' <<<"$first" >/dev/null 2>&1; then
		ok "$path: ECMP over the UK South NVA pair, leaves uksouth via $exit_ip, delivered in westeurope to $DST_NIC ($n regions' route servers asked)"
	else
		failed "trace across regions: ${res1:-no answer} then ${res2:-no answer} ($n replies)"
	fi
}

# Step 4: one NVA of the pair fails; the spoke keeps one next hop.
step4_nva_failure() {
	local v0 v1 t0 ms down back after
	step "4: NVA nva-uks-1 ($NVA1) fails"
	wait_for 5 nh_is "$AGG" "$NVA1 $NVA2"
	v0=$(table_version)
	say "before: $AGG -> [$(nh_of "$AGG")], table of $SUBNET at version $v0"
	poll_start "$v0"
	t0=$(now_ms)
	fail_app nva-uks-1
	say "nva-uks-1 killed (SIGKILL: the appliance crashes, no NOTIFICATION)"
	poll_end
	ms=$(converge "$AGG" "$NVA2" "$t0")
	after=$(nh_of "$AGG") v1=$(table_version)
	down=$(event_ms uksouth session_down nva-uks-1)
	[ -n "$down" ] && say "pharosd saw the session go down $((down - t0)) ms after the failure (event session_down)"
	say "deltas of $SUBNET after version $v0 (long poll):"
	show_deltas
	say "after: $AGG -> [$after], version $v1; $(ctl uksouth -j show routes "$AGG" |
		jq -r '.routes[0].paths | length') path(s) left in the loc-RIB"
	poll_start "$v1"
	t0=$(now_ms)
	start_app nva-uks-1
	poll_end
	back=$(converge "$AGG" "$NVA1 $NVA2" "$t0")
	say "nva-uks-1 restarted: the ECMP pair is back ${back:+after $back ms}"
	if [ -n "$ms" ] && [ "$after" = "$NVA2" ] && [ -n "$back" ]; then
		ok "nva-uks-1 down: $AGG went from 2 ECMP next hops to 1 ($NVA2); fabric reprogrammed $ms ms after the failure (version $v0 -> $v1); back to 2 next hops $back ms after its restart"
	else
		failed "after the failure $AGG -> [$after] (want $NVA2)${ms:+ after $ms ms}; restart ${back:-did not restore the pair}"
	fi
}

best_path() { # REGION PREFIX: the best path's AS path and next hop
	ctl "$1" -j show routes "$2" |
		jq -r '.routes[0].paths[] | select(.best) | "\(.as_path_text) via \(.next_hop) (\(.peer))"'
}

# Step 5: the ExpressRoute gateway fails; the VPN path takes over.
step5_expressroute_failure() {
	local t0 down up via_vpn via_er bp
	step "5: the ExpressRoute gateway ergw-uks fails, then returns"
	wait_for 5 nh_is "$ONPREM" "$ER_NH"
	say "before: $ONPREM best path $(best_path uksouth "$ONPREM")"
	poll_start "$(table_version)"
	t0=$(now_ms)
	fail_app ergw-uks
	poll_end
	down=$(converge "$ONPREM" "$VPN_NH" "$t0")
	via_vpn=$(nh_of "$ONPREM") bp=$(best_path uksouth "$ONPREM")
	say "ergw-uks killed: $ONPREM best path $bp"
	say "in $NIC's effective routes: $ONPREM -> [$via_vpn] ${down:+after $down ms}; deltas:"
	show_deltas
	poll_start "$(table_version)"
	t0=$(now_ms)
	start_app ergw-uks
	poll_end
	up=$(converge "$ONPREM" "$ER_NH" "$t0")
	via_er=$(nh_of "$ONPREM")
	say "ergw-uks back: $ONPREM best path $(best_path uksouth "$ONPREM"), next hop [$via_er] ${up:+after $up ms}"
	if [ "$via_vpn" = "$VPN_NH" ] && [ -n "$down" ] && [ "$via_er" = "$ER_NH" ] &&
		[ -n "$up" ] && [[ $bp == "65515 65200 65201 65201 65001 via $VPN_NH"* || $bp == "65200 65201 65201 65001 via $VPN_NH"* ]]; then
		ok "ER down: $ONPREM via VPN $VPN_NH (AS path ${bp%% via*}) $down ms after the failure; ER back: via $ER_NH again $up ms after its restart"
	else
		failed "ER down: $ONPREM -> [$via_vpn] (want $VPN_NH); ER back: [$via_er] (want $ER_NH)"
	fi
}

# Step 6: a misconfigured NVA floods more prefixes than it may send.
step6_max_prefix() {
	local before after v0 v1 rc n code sub hits ev lim
	step "6: the lab NVA nva-uks-lab, limited to 64 prefixes, floods 100"
	before=$(table | jq -c .routes) v0=$(table_version)
	lim=$(ctl uksouth -j show peer nva-uks-lab | jq -r '.max_prefixes // (.peers[0].max_prefixes)')
	start_app nva-uks-lab
	wait_for 10 grep -q '"type":"notification"' "$DIR/nva-uks-lab.json"
	wait_for 5 bash -c "! kill -0 ${PID[nva-uks-lab]}"
	wait "${PID[nva-uks-lab]}" 2>/dev/null
	rc=$?
	PID[nva-uks-lab]=""
	n=$(grep '"type":"notification"' "$DIR/nva-uks-lab.json" | head -1)
	code=$(jq -r .code <<<"$n" 2>/dev/null) sub=$(jq -r .subcode <<<"$n" 2>/dev/null)
	say "nva-uks-lab received: $(jq -r '"NOTIFICATION \(.code)/\(.subcode) \(.reason)"' <<<"$n" 2>/dev/null) (pharos-peer exit status $rc)"
	hits=$(ctl uksouth -j show peers | jq -r '.peers[] | select(.name == "nva-uks-lab") |
		"\(.state) \(.max_prefix_hits) \(.last_error)"')
	say "pharosd: nva-uks-lab state, max-prefix hits, last error: $hits"
	ev=$(ctl uksouth -j show events | jq -r '[.events[] | select(.type == "max_prefix")] | last |
		"\(.time) \(.type) \(.peer): \(.reason)"')
	say "event: $ev"
	after=$(table | jq -c .routes) v1=$(table_version)
	say "$SUBNET table: version $v0 before, $v1 after; $(jq length <<<"$before") routes before, $(jq length <<<"$after") after"
	if [ "$code" = 6 ] && [ "$sub" = 1 ] && [ "${hits%% *}" != established ] &&
		[ -n "$before" ] && [ "$before" = "$after" ]; then
		ok "nva-uks-lab went over max_prefixes ${lim:-64}: Cease/max prefix (NOTIFICATION 6/1), session dropped; fabric untouched (same table content, version $v0 -> $v1)"
	else
		failed "NOTIFICATION ${code:-none}/${sub:-none} (want 6/1), peer '$hits', table $([ "$before" = "$after" ] && echo unchanged || echo changed)"
	fi
}

# Step 7: a lab prefix tagged NO_ADVERTISE stays inside the fabric.
step7_no_advertise() {
	local comm eff peers p n=0 leaks="" got=""
	step "7: the lab prefix $LAB carries NO_ADVERTISE"
	comm=$(ctl uksouth -j show routes "$LAB" | jq -r '[.routes[0].paths[].communities[]] | join(" ")')
	eff=$(nh_of "$LAB")
	say "loc-RIB: $LAB from nva-uks-2, communities [$comm]"
	say "effective route of $NIC: $(table | jq -r --arg p "$LAB" '.routes[] | select(.prefix == $p) |
		"\(.prefix) \(.source) \(.state) \(.next_hop_type) [\(.next_hop_ips | join(" "))]"')"
	peers=$(ctl uksouth -j show peers | jq -r '.peers[].name')
	for p in $peers; do
		n=$((n + 1))
		ctl uksouth -j show adj-out "$p" | jq -e --arg x "$LAB" 'any(.routes[]; .prefix == $x)' \
			>/dev/null 2>&1 && leaks="$leaks $p"
	done
	for p in $("$SIM" --list uksouth); do
		grep '^{' "$DIR/$p.json" 2>/dev/null | jq -e -s --arg x "$LAB" \
			'any(.[] | select(.type == "update") | .announce[]?; .prefix == $x)' \
			>/dev/null 2>&1 && got="$got $p"
	done
	say "adj-out of the $n UK South peers holding $LAB: ${leaks:-none}; appliances that received it: ${got:-none}"
	if [[ " $comm " == *" 65535:65282 "* || " $comm " == *" no-advertise "* ]] &&
		[ "$eff" = "$NVA2" ] && [ -z "$leaks" ] && [ -z "$got" ] && [ "$n" -gt 0 ]; then
		ok "$LAB (NO_ADVERTISE) is programmed in $NIC's effective routes via $NVA2 and absent from all $n adj-outs"
	else
		failed "$LAB communities [$comm], effective next hops [$eff] (want $NVA2), in adj-out of:${leaks:- none}, received by:${got:- none}"
	fi
}

# Step 8: what-if before a change, and the symmetry of a flow.
step8_assurance() {
	local w v0 v1 peers0 peers1 out verdict
	step "8: what if nva-uks-2 went down? and does $NIC -> $DST_IP come back the same way?"
	wait_for 10 nh_is "$AGG" "$NVA1 $NVA2"
	v0=$(table_version)
	peers0=$(ctl uksouth -j show peers | jq -c '[.peers[] | {name, state, flaps}]')
	w=$(ctl uksouth -j whatif peer-down nva-uks-2)
	ctl uksouth whatif peer-down nva-uks-2 | grep -E "^(subnet $SUBNET|  changed  $AGG |[0-9]+ subnets|no prefix|prefixes)" | indent
	v1=$(table_version)
	peers1=$(ctl uksouth -j show peers | jq -c '[.peers[] | {name, state, flaps}]')
	out=$(ctl uksouth check symmetry "$NIC" "$DST_IP")
	printf '%s\n' "$out" | indent
	verdict=$(sed -n 's/^verdict: \([a-z_]*\):.*/\1/p' <<<"$out")
	if [ -n "$w" ] && jq -e --arg s "$SUBNET" --arg p "$AGG" --arg n "$NVA1" '.subnets[] |
		select(.subnet == $s) | .changed[] | select(.prefix == $p) |
		(.before.next_hop_ips | length) == 2 and .after.next_hop_ips == [$n]' <<<"$w" >/dev/null &&
		[ "$v0" = "$v1" ] && [ "$peers0" = "$peers1" ] && [ "$verdict" = at_risk ]; then
		ok "what-if: $AGG in $SUBNET would go from 2 next hops to 1 ($NVA1), nothing touched (fabric version $v0, sessions unchanged); symmetry: at_risk (ECMP over the stateful NVA pairs, no stickiness)"
	else
		failed "what-if or symmetry not as expected (version $v0 -> $v1, verdict '${verdict:-none}')"
	fi
}

printf 'pharos demonstration: three regions, three route servers, %s appliances\n' \
	"$("$SIM" --list | wc -l)"
T_START=$(now_ms)
for r in "${REGIONS[@]}"; do
	if api_up "$r" >/dev/null 2>&1; then
		echo "demo: a route server already answers on ${API[$r]} (another demo running?)" >&2
		exit 1
	fi
done
for r in "${REGIONS[@]}"; do
	start_rs "$r" || { echo "demo: ${CONF[$r]}.yaml does not load" >&2; exit 1; }
done
for r in "${REGIONS[@]}"; do
	wait_for 10 api_up "$r" || {
		echo "demo: pharosd ($r) did not start" >&2
		tail "$DIR/pharosd-$r.log" >&2
		exit 1
	}
done

step1_sessions
step2_effective_routes
step3_trace
step4_nva_failure
step5_expressroute_failure
step6_max_prefix
step7_no_advertise
step8_assurance

printf '\n=== Summary\n  %d of 8 steps OK, %d failed, in %s s\n' "$PASSED" "$FAILED" \
	"$(awk -v ms=$(($(now_ms) - T_START)) 'BEGIN { printf "%.1f", ms / 1000 }')"

if [ "$KEEP" = 1 ]; then
	KEPT=1
	cat <<EOT

Everything keeps running (--keep). The three route servers' APIs:
  UK South     ${API[uksouth]}
  West Europe  ${API[westeurope]}
  East US      ${API[eastus]}
Explore, for example:
  $PHAROSCTL -s ${API[uksouth]} show peers
  $PHAROSCTL -s ${API[uksouth]} show routes
  $PHAROSCTL -s ${API[uksouth]} show fabric
  $PHAROSCTL -s ${API[uksouth]} show effective-routes $NIC
  $PHAROSCTL -s ${API[uksouth]} trace $NIC $DST_IP
  $PHAROSCTL -s ${API[westeurope]} show effective-routes $DST_NIC
  $PHAROSCTL -s ${API[uksouth]} show adj-out nva-uks-1
  $PHAROSCTL -s ${API[uksouth]} show events
  $PHAROSCTL -s ${API[uksouth]} whatif peer-down nva-uks-2
  $PHAROSCTL -s ${API[uksouth]} check symmetry --all
  curl ${API[uksouth]}/metrics
Logs and appliance outputs: $DIR
Stop it all with:  kill $(for n in "${ORDER[@]}"; do echo "${PID[$n]}"; done | xargs)
EOT
fi
[ "$FAILED" -eq 0 ]
