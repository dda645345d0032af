#!/bin/bash
# t_dataplane.sh - the data plane end to end: packets from a spoke VM reach
# an on-premises host through two NVAs running BIRD 2, along the multipath
# route that pharos-agent installs from two pharosd route servers; then the
# agent restarts, an NVA dies, one route server stops, both stop, and
# everything comes back.
#
#                 hub LAN (bridge br0 in namespace "hub"), 198.18.1.0/24
#   rs1  pharosd #1 (AS 65515)  .1       rs2  pharosd #2 (AS 65515)  .2
#   nva1 BIRD AS 65001          .11      nva2 BIRD AS 65002          .12
#   vm   pharos-agent, spoke-a/app .20   (no default route: only what the
#                                          agent installs leads anywhere)
#
#   nva1 eth1 198.18.2.1/30 ---- p1 198.18.2.2/30 \
#                                                  onprem: 198.18.64.10/32
#   nva2 eth1 198.18.2.5/30 ---- p2 198.18.2.6/30 /  on lo, in 198.18.64.0/24
#
# Both NVAs forward (ip_forward=1), reach the on-premises prefix
# 198.18.64.0/24 by a kernel route over their own link, and announce it
# with BIRD to both pharosd instances. The VM's table gets one route for it
# with two nexthops (proto 200).
#
# Return traffic: the on-premises host has one multipath route back to the
# hub LAN via both NVAs, over two point-to-point links instead of a shared
# LAN, with net.ipv4.conf.all.ignore_routes_with_linkdown=1. An NVA that
# dies takes its link down with it (here: its end is set down), the host's
# end loses carrier and the kernel stops using that nexthop at once, so
# replies always leave through a live NVA without NAT, VRRP or a routing
# daemon on the host. The forward direction is what pharos programs.
#
# The same topology drives bench/failover.sh, which sources this file with
# DP_SOURCE_ONLY=1 to get the functions below without running the test.
# shellcheck source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

AGENT=${PHAROS_AGENT:-$PHAROS_BIN/pharos-agent}
DP_RS=(rs1 rs2)
DP_NVA=(nva1 nva2)
declare -A DP_ADDR=([rs1]=198.18.1.1 [rs2]=198.18.1.2 [nva1]=198.18.1.11
	[nva2]=198.18.1.12 [vm]=198.18.1.20)
declare -A DP_ASN=([nva1]=65001 [nva2]=65002)
declare -A DP_LINK=([nva1]=198.18.2.1 [nva2]=198.18.2.5)   # NVA end
declare -A DP_PEND=([nva1]=198.18.2.2 [nva2]=198.18.2.6)   # on-prem end
declare -A DP_PORT=([nva1]=p1 [nva2]=p2)                   # on-prem iface
DP_HUBNET=198.18.1.0/24
ONPREM=198.18.64.0/24 ONPREM_HOST=198.18.64.10
API_PORT=8179 PROTO=200 STALE=${STALE:-6}
FOREIGN=198.19.99.0/24
DP_HOLD=${DP_HOLD:-9} DP_KEEPALIVE=${DP_KEEPALIVE:-3}

# ------------------------------------------------------------- topology

dp_topology() {
	local n
	ns_create hub "${DP_RS[@]}" "${DP_NVA[@]}" vm onprem
	ns_lan hub br0 "${DP_RS[@]}" "${DP_NVA[@]}" vm
	for n in "${DP_RS[@]}" "${DP_NVA[@]}" vm; do
		ns_addr "$n" eth0 "${DP_ADDR[$n]}/24"
	done
	nsx onprem sysctl -qw net.ipv4.conf.all.ignore_routes_with_linkdown=1 >/dev/null
	for n in "${DP_NVA[@]}"; do
		ns_forwarding "$n"
		ns_veth "$n" eth1 onprem "${DP_PORT[$n]}"
		ns_addr "$n" eth1 "${DP_LINK[$n]}/30"
		ns_addr onprem "${DP_PORT[$n]}" "${DP_PEND[$n]}/30"
		ip -n "$(ns "$n")" route add "$ONPREM" via "${DP_PEND[$n]}" ||
			bail "$n routes $ONPREM to the on-premises host"
	done
	ns_addr onprem lo "$ONPREM_HOST/32"
	ip -n "$(ns onprem)" route add "$DP_HUBNET" \
		nexthop via "${DP_LINK[nva1]}" dev p1 nexthop via "${DP_LINK[nva2]}" dev p2 ||
		bail "on-premises host routes the hub back via both NVAs"
}

# ------------------------------------------------------------- pharosd

# dp_rs_conf NAME: the config of route server NAME (same peers and fabric
# for both instances, only the local address differs).
dp_rs_conf() {
	local f=$T_DIR/$1.yaml a=${DP_ADDR[$1]} n
	pharos_conf_begin "$f" asn=65515 router_id="$a" listen="$a" \
		hold_time="$DP_HOLD" keepalive="$DP_KEEPALIVE" max_paths=8
	for n in "${DP_NVA[@]}"; do
		pharos_conf_peer "$f" "$n" nva "${DP_ADDR[$n]}" "${DP_ASN[$n]}" passive=true \
			hold_time="$DP_HOLD" keepalive="$DP_KEEPALIVE"
	done
	pharos_conf_api "$f" "$a:$API_PORT" "$T_DIR/token"
	pharos_conf_hub_spoke "$f" vm1 # the NVAs' addresses are outside the VNets
}

# rsctl NAME ARGS...: pharosctl -j against route server NAME.
rsctl() {
	local n=$1
	shift
	nsx "$n" "$PHAROSCTL" -s "http://${DP_ADDR[$n]}:$API_PORT" -j "$@"
}

_rs_up_or_dead() { ! alive "$1" || rsctl "$1" show peers >/dev/null 2>&1; }

# dp_rs_start NAME: write the config, check it, start pharosd, wait for it.
dp_rs_start() {
	[ -s "$T_DIR/token" ] || echo "dataplane-test-token" >"$T_DIR/token"
	dp_rs_conf "$1"
	nsx "$1" "$PHAROSD" -n -c "$T_DIR/$1.yaml" >"$T_DIR/$1-check.out" 2>&1 ||
		{ sed 's/^/# /' "$T_DIR/$1-check.out"; bail "pharosd $1 accepts its config"; }
	start_in "$1" "$1" "$PHAROSD" -c "$T_DIR/$1.yaml"
	wait_until 15 _rs_up_or_dead "$1"
	if ! alive "$1" || ! rsctl "$1" show peers >/dev/null 2>&1; then
		bail "pharosd $1 started and answers"
	fi
}

# rs_peer_up RS PEER: route server RS has an established session with PEER.
rs_peer_up() {
	[ "$(rsctl "$1" show peers 2>/dev/null |
		jq -r --arg n "$2" '.peers[] | select(.name == $n) | .state')" = established ]
}

# rs_paths RS: the number of paths route server RS holds for ONPREM.
rs_paths() {
	rsctl "$1" show routes "$ONPREM" 2>/dev/null |
		jq --arg p "$ONPREM" '[.routes[]? | select(.prefix == $p) | .paths[]] | length'
}
rs_paths_is() { [ "$(rs_paths "$1")" = "$2" ]; }

# ----------------------------------------------------------------- BIRD

# dp_bird_conf NVA: announce ONPREM (reached over the NVA's own link) to
# both route servers; nothing goes to the kernel (the NVA's forwarding
# route is a static kernel route set up with the topology).
dp_bird_conf() {
	local n=$1 r f=$T_DIR/bird-$1.conf
	{
		cat <<EOF
router id ${DP_ADDR[$n]};
log "$T_DIR/bird-$n-daemon.log" all;
protocol device { }
protocol static onprem {
	ipv4;
	route $ONPREM via ${DP_PEND[$n]};
}
template bgp pharos_tpl {
	local ${DP_ADDR[$n]} as ${DP_ASN[$n]};
	connect delay time 1;
	connect retry time 1;
	hold time $DP_HOLD;
	keepalive time $DP_KEEPALIVE;
	ipv4 { import all; export where source = RTS_STATIC; };
}
EOF
		for r in "${DP_RS[@]}"; do
			echo "protocol bgp to_$r from pharos_tpl { neighbor ${DP_ADDR[$r]} as 65515; }"
		done
	} >"$f"
}

# dp_bird_start NVA: BIRD in the NVA's namespace, in the foreground (its
# PID is the one remembered under "bird-NVA").
dp_bird_start() {
	dp_bird_conf "$1"
	start_in "bird-$1" "$1" bird -f -c "$T_DIR/bird-$1.conf" -s "$T_DIR/bird-$1.ctl"
}

# dp_nva_fail NVA: the appliance dies: it stops forwarding, BIRD is killed
# (SIGKILL, by PID; the kernel still closes its TCP sessions, so the route
# servers hear of it at once) and its on-premises link goes down.
dp_nva_fail() {
	dp_nva_noforward "$1"
	dp_nva_crash "$1"
}

# dp_nva_noforward NVA: the NVA drops every packet it should forward (BIRD
# does not notice).
dp_nva_noforward() { nsx "$1" sysctl -qw net.ipv4.ip_forward=0 >/dev/null; }

# dp_nva_crash NVA: BIRD killed, then the on-premises link down. BIRD goes
# first: alive, it would see the link go and withdraw the route itself.
dp_nva_crash() {
	{
		kill -KILL "$(pid_of "bird-$1")"
		ip -n "$(ns "$1")" link set dev eth1 down
		stop_proc "bird-$1" KILL 5
	} 2>/dev/null # no "Killed" notice from the shell
}

# dp_nva_silent NVA: the appliance drops off the network without a word
# (both links down, BIRD left running but cut off): the route servers only
# notice when their hold timer expires.
dp_nva_silent() {
	ip -n "$(ns "$1")" link set dev eth0 down
	ip -n "$(ns "$1")" link set dev eth1 down
}

# dp_nva_restore NVA: links up, forwarding on, BIRD (re)started.
dp_nva_restore() {
	ip -n "$(ns "$1")" link set dev eth0 up
	ip -n "$(ns "$1")" link set dev eth1 up
	ip -n "$(ns "$1")" route replace "$ONPREM" via "${DP_PEND[$1]}"
	ns_forwarding "$1"
	alive "bird-$1" && stop_proc "bird-$1" KILL 5
	dp_bird_start "$1"
}

# ------------------------------------------------------------ the agent

dp_agent_start() {
	local s=() r
	for r in "${DP_RS[@]}"; do s+=(-s "http://${DP_ADDR[$r]}:$API_PORT"); done
	start_in agent vm "$AGENT" "${s[@]}" --subnet spoke-a/app \
		--stale-time "$STALE" --wait 5 -t "$T_DIR/token" --name vm1
}

# vm_route: the VM's route for ONPREM with protocol 200, on one line.
vm_route() { nsx vm ip -o route show "$ONPREM" proto "$PROTO" 2>/dev/null | tr -s ' \t' ' '; }
# vm_nh: its sorted next hops, space-terminated ("198.18.1.11 198.18.1.12 ").
vm_nh() { vm_route | grep -oE 'via [0-9.]+' | awk '{print $2}' | sort | tr '\n' ' '; }
vm_nh_is() { [ "$(vm_nh)" == "$1" ]; }
# vm_owned: every route the agent owns in the VM's main table, sorted.
vm_owned() { nsx vm ip -o route show proto "$PROTO" 2>/dev/null | tr -s ' \t' ' ' | sort; }
# nva_rx NVA: packets received on the NVA's hub interface so far.
nva_rx() { ip -n "$(ns "$1")" -j -s link show dev eth0 | jq '.[0].stats64.rx.packets'; }
# vm_flow_nva: the NVA that carries the VM's pings to ONPREM_HOST (the one
# whose hub interface received a burst of 20 of them), empty if none did.
vm_flow_nva() {
	local n
	declare -A before=()
	for n in "${DP_NVA[@]}"; do before[$n]=$(nva_rx "$n"); done
	nsx vm ping -n -q -c 20 -i 0.01 -W 1 "$ONPREM_HOST" >/dev/null 2>&1
	for n in "${DP_NVA[@]}"; do
		[ $(($(nva_rx "$n") - before[$n])) -ge 20 ] && echo "$n"
	done
}

[ "${DP_SOURCE_ONLY:-0}" = 1 ] && return 0

# ================================================================= test

need_bin "$PHAROSD" "$PHAROSCTL" "$AGENT" bird birdc jq curl ping python3

both_nh="${DP_ADDR[nva1]} ${DP_ADDR[nva2]} "
pingok() { nsx vm ping -n -q -c 1 -W 1 "$ONPREM_HOST" >/dev/null 2>&1; }
ping_ttl() { nsx vm ping -n -c 1 -W 2 "$ONPREM_HOST" 2>&1 | grep -oE 'ttl=[0-9]+'; }
# tcp_fetch: an HTTP GET over TCP from the VM to the on-premises host
tcp_fetch() { nsx vm curl -sf --max-time 3 "http://$ONPREM_HOST:8080/hello.txt" 2>/dev/null; }
tcp_ok() { [ "$(tcp_fetch)" = "$HELLO" ]; }
foreign_there() { nsx vm ip route show "$FOREIGN" proto static | grep -q "via 198.18.1.5"; }
owned_changed() { [ "$(vm_owned)" != "$SNAP" ]; }
agent_acked_by() {
	nsx vm curl -sf "http://${DP_ADDR[$1]}:$API_PORT/api/v1/fabric/agents" 2>/dev/null |
		jq -e '[.. | objects | select(.agent? == "vm1" and (.version // 0) > 0)] | length > 0' >/dev/null
}

dp_topology
check "the VM has no route to $ONPREM before the agent runs" \
	eval '! nsx vm ip route get $ONPREM_HOST >/dev/null 2>&1'

# a TCP service on the on-premises host
mkdir -p "$T_DIR/www"
HELLO="hello from on-premises $$"
echo "$HELLO" >"$T_DIR/www/hello.txt"
start_in web onprem python3 -m http.server --bind "$ONPREM_HOST" --directory "$T_DIR/www" 8080
wait_until 10 tcp_open onprem "$ONPREM_HOST" 8080 || bail "HTTP server on the on-premises host listens"

dp_rs_start rs1
dp_rs_start rs2
dp_bird_start nva1
dp_bird_start nva2
for r in "${DP_RS[@]}"; do
	for n in "${DP_NVA[@]}"; do
		check_wait "$r: BGP session with $n (BIRD) established" 30 rs_peer_up "$r" "$n"
	done
	check_wait "$r holds $ONPREM from both NVAs (ECMP)" 15 rs_paths_is "$r" 2
done

nsx vm ip route add "$FOREIGN" via 198.18.1.5 proto static || bail "add a foreign route by hand"
dp_agent_start
check_wait "the VM's kernel gets $ONPREM via both NVAs" 20 vm_nh_is "$both_nh" ||
	bail "pharos-agent installs the route from both route servers"
check_eq "one route for $ONPREM (proto $PROTO), not two" \
	"$(nsx vm ip route show "$ONPREM" | grep -c "proto $PROTO")" 1
check_eq "it is a multipath route with two nexthops" \
	"$(nsx vm ip route show "$ONPREM" proto "$PROTO" | grep -c nexthop)" 2
check_wait "the VM pings the on-premises host" 10 pingok
check_eq "the replies crossed one router (an NVA): ttl 63" "$(ping_ttl)" "ttl=63"
check "a TCP connection (HTTP) from the VM to the on-premises host works" tcp_ok
check_wait "the agent acknowledged a version to rs1" 10 agent_acked_by rs1
check_wait "the agent acknowledged a version to rs2" 10 agent_acked_by rs2

# --- agent restart: it adopts its routes, duplicates and changes nothing
SNAP=$(vm_owned)
check "agent exits on SIGTERM" stop_proc agent TERM 5
cp "$(log_of agent)" "$T_DIR/agent-first.log"
check "the agent's stderr has no sanitizer report" sanitizer_clean "$T_DIR/agent-first.log"
check_eq "routes stay while the agent is down" "$(vm_owned)" "$SNAP"
check "traffic flows while the agent is down" pingok
dp_agent_start
check_wait "the restarted agent applied the route servers' tables" 15 \
	grep -q '"event":"applied"' "$(log_of agent)"
sleep 1
check_eq "after the restart the same routes, nothing duplicated" "$(vm_owned)" "$SNAP"
check "the restarted agent added, replaced and removed nothing" \
	eval '! grep -qE "\"op\":\"(add|replace|remove)\"" "$(log_of agent)"'
check "the foreign (proto static) route survived the restart" foreign_there

# --- an NVA dies: the one carrying the VM's flow, so that it matters
A=$(vm_flow_nva)
[ "$(echo "$A" | wc -w)" = 1 ] || bail "the VM's pings go through one NVA (got '$A')"
if [ "$A" = nva1 ]; then B=nva2; else B=nva1; fi
diag "the flow VM -> $ONPREM_HOST goes through $A; $A fails, $B survives"
dp_nva_fail "$A"
check_wait "$A dies: the route drops to the survivor $B" 20 vm_nh_is "${DP_ADDR[$B]} "
check_match "the route is now a plain route via $B, proto $PROTO" \
	"$(nsx vm ip -o route show "$ONPREM" | tr -s ' \t' ' ')" \
	"^$ONPREM via ${DP_ADDR[$B]} dev eth0 proto $PROTO"
check_wait "traffic continues: the VM pings the on-premises host via $B" 10 pingok
check "TCP continues via $B" tcp_ok
check_eq "the VM's pings now cross $B (its hub interface counts them)" "$(vm_flow_nva)" "$B"
ip -n "$(ns "$A")" link set dev eth0 down # nothing reaches the dead NVA any more
check "with $A gone from the LAN too, traffic still flows" pingok
check "both route servers dropped $A's path" eval 'rs_paths_is rs1 1 && rs_paths_is rs2 1'

# --- one route server stops: the other one still holds the route
SNAP=$(vm_owned)
check "rs1 stops on SIGTERM (exit status 0)" eval 'stop_proc rs1 TERM 10 && [ "$T_RC" -eq 0 ]'
check "rs1's stderr has no sanitizer report" sanitizer_clean "$(log_of rs1)"
check_wait "the agent reports rs1 down" 10 \
	grep -q '"event":"server-down".*198.18.1.1:' "$(log_of agent)"
check_never "with rs1 down no route leaves the VM's kernel (5 s)" 5 owned_changed
check "traffic still flows with one route server" pingok

# --- both stop: the routes stay for the stale time, then go. A SIGTERM
# closes rs2's BGP sessions, but the fabric keeps its last version through
# the shutdown: to the agent this is a lost server, not a withdrawal.
check "rs2 stops on SIGTERM (exit status 0)" eval 'stop_proc rs2 TERM 10 && [ "$T_RC" -eq 0 ]'
t_stop=$(date +%s%N)
check_wait "the agent reports rs2 down, routes kept as stale" 10 \
	grep -q '"event":"server-down".*198.18.1.2:.*"stale":true' "$(log_of agent)"
check_never "no route leaves within the stale time" $((STALE - 2)) owned_changed
check "traffic still flows on the stale routes" pingok
check_wait "after the stale time ($STALE s) the routes are removed" $((STALE + 8)) \
	eval '[ -z "$(vm_owned)" ]'
elapsed=$((($(date +%s%N) - t_stop) / 1000000))
check "routes were removed no sooner than the stale time (${elapsed} ms)" \
	test "$elapsed" -ge $((STALE * 1000 - 500))
check "the VM no longer reaches the on-premises host" eval '! pingok'
check "the foreign route survived everything" foreign_there
check "the agent is still running (reconnecting)" alive agent

# --- everything comes back; a fresh agent reconciles from scratch
dp_rs_start rs1
dp_rs_start rs2
dp_nva_restore "$A"
check "agent exits on SIGTERM" stop_proc agent TERM 5
dp_agent_start
check_wait "back to one multipath route via both NVAs" 40 vm_nh_is "$both_nh"
check_eq "one route for $ONPREM, not two" "$(nsx vm ip route show "$ONPREM" | grep -c "proto $PROTO")" 1
check_wait "the VM pings the on-premises host again" 10 pingok
check "TCP works again" tcp_ok
check "the foreign route is still there" foreign_there

check "agent exits on SIGTERM" stop_proc agent TERM 5
check "agent stderr has no sanitizer report" sanitizer_clean "$(log_of agent)"
for r in "${DP_RS[@]}"; do
	check "$r stops" stop_proc "$r" TERM 10
	check "$r's stderr has no sanitizer report" sanitizer_clean "$(log_of "$r")"
done
t_done
