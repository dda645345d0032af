#!/bin/bash
# t_agent.sh - pharos-agent against the real pharosd, in network namespaces.
#
#   rs   pharosd (AS 65515), BGP and API   br0 198.18.1.1/24  2001:db8:1::1/64
#   nva1 pharos-peer AS 65001               eth0 198.18.1.2/24  2001:db8:1::2/64
#   nva2 pharos-peer AS 65002               eth0 198.18.1.3/24  2001:db8:1::3/64
#   vm   pharos-agent (spoke-a/app)         eth0 198.18.1.10/24 2001:db8:1::10/64
#
# Both NVAs announce 198.19.250.0/24 and 2001:db8:250::/48, so pharosd holds
# an ECMP set of two; the spoke (peered to the hub with use_remote_gateways)
# receives it as one effective route with two next hops, which the agent
# installs in table 100 as one multipath route. nva2 later withdraws the
# IPv4 prefix: the route drops to one next hop. A route added by hand
# (proto static) in the same table must survive everything; a restarted
# agent (now also given a second route server that is down) must find its
# routes, duplicate nothing and change nothing; with pharosd gone the
# routes stay for the stale time, then go.
. "$(dirname "$0")/../lib.sh"

AGENT=${PHAROS_AGENT:-$PHAROS_BIN/pharos-agent}
need_bin "$PHAROSD" "$PHAROS_PEER" "$AGENT" jq curl

RS4=198.18.1.1 RS6=2001:db8:1::1
N1=198.18.1.2 N1_6=2001:db8:1::2
N2=198.18.1.3 N2_6=2001:db8:1::3
VM=198.18.1.10 VM6=2001:db8:1::10
API=$RS4:8179
P4=198.19.250.0/24 P6=2001:db8:250::/48
TABLE=100 PROTO=200 STALE=6
FOREIGN=198.19.99.0/24

ns_create rs nva1 nva2 vm
ns_lan rs br0 nva1 nva2 vm
ns_addr rs br0 "$RS4/24" "$RS6/64"
ns_addr nva1 eth0 "$N1/24" "$N1_6/64"
ns_addr nva2 eth0 "$N2/24" "$N2_6/64"
ns_addr vm eth0 "$VM/24" "$VM6/64"

CONF=$T_DIR/pharosd.yaml
echo "agent-test-token" >"$T_DIR/token"
pharos_conf_begin "$CONF" asn=65515 router_id=$RS4 listen=$RS4,$RS6 \
	hold_time=30 keepalive=10 max_paths=8
pharos_conf_peer "$CONF" nva1 nva "$N1" 65001 passive=true
pharos_conf_peer "$CONF" nva2 nva "$N2" 65002 passive=true
pharos_conf_peer "$CONF" nva1-v6 nva "$N1_6" 65001 passive=true
pharos_conf_peer "$CONF" nva2-v6 nva "$N2_6" 65002 passive=true
pharos_conf_api "$CONF" "$API" "$T_DIR/token"
cat >>"$CONF" <<EOF
fabric:
  allow_external_next_hops: true   # the NVAs' own addresses are outside the modelled VNets
  vnets:
    - name: hub
      hub: true
      address_space: [198.18.100.0/24, 2001:db8:a00::/48]
      subnets: [{name: nva, prefix: 198.18.100.0/26}]
    - name: spoke-a
      address_space: [198.19.1.0/24, 2001:db8:b00::/48]
      peerings: [{remote: hub, use_remote_gateways: true}]
      subnets: [{name: app, prefix: 198.19.1.0/26}]
      nics: [{name: vm-a1, subnet: app, ip: 198.19.1.4}]
EOF
pharosd_start rs "$CONF" "$API"

# nva1 announces both prefixes (one session per family) and stays; nva2
# too, but its IPv4 session withdraws its prefix after a while (a script,
# over the live session).
cat >"$T_DIR/nva2.script" <<EOF
announce $P4
sleep 20000
withdraw $P4
EOF
start_in nva1 nva1 "$PHAROS_PEER" -a 65001 -R 65515 -b "$N1" -o none \
	-A "$P4" "$RS4"
start_in nva1-v6 nva1 "$PHAROS_PEER" -a 65001 -R 65515 -b "$N1_6" -o none \
	-A "$P6" "$RS6"
check_wait "nva1 sessions established" 30 eval 'peer_established nva1 && peer_established nva1-v6'

# what the agent owns in table 100, one line per route (next hops joined)
owned() {
	nsx vm ip -o "$@" route show table "$TABLE" proto "$PROTO" 2>/dev/null | tr -s ' \t' ' '
}
owned_all() { owned -4; owned -6; }
foreign_there() {
	nsx vm ip route show table "$TABLE" "$FOREIGN" proto static | grep -q "via 198.18.1.5"
}
# nh_of FAMILY PREFIX: the sorted next hops of the owned route on PREFIX
nh_of() {
	owned "$1" | grep -F "$2 " | grep -oE 'via [0-9a-f:.]+' | awk '{print $2}' | sort | tr '\n' ' '
}
nh_is() { [ "$(nh_of "$1" "$2")" == "$3" ]; }

nsx vm ip route add "$FOREIGN" via 198.18.1.5 proto static table "$TABLE" ||
	bail "add a foreign route by hand"

# start_agent [URL...]: the agent on pharosd's API (and any more servers)
start_agent() {
	local extra=() u
	for u in "$@"; do extra+=(-s "$u"); done
	start_in agent vm "$AGENT" -s "http://$API" "${extra[@]}" --subnet spoke-a/app \
		--table "$TABLE" --stale-time "$STALE" --wait 5 \
		-t "$T_DIR/token" --name vm-a1 -M "$T_DIR/agent.prom"
}
start_agent
check_wait "agent installs $P4 via nva1" 20 nh_is -4 "$P4" "$N1 " ||
	bail "pharos-agent follows pharosd's fabric API for spoke-a/app"
check_wait "agent installs $P6 via nva1 (IPv6)" 10 nh_is -6 "$P6" "$N1_6 "
check "agent installs the spoke's None system route 10.0.0.0/8 as a blackhole" \
	eval 'owned -4 | grep -q "^blackhole 10.0.0.0/8 "'
check "agent leaves VnetLocal/VNetPeering/Internet routes to the host" \
	eval '! owned -4 | grep -qE "^(default|198\.19\.1\.0/24|198\.18\.100\.0/24) "'

start_in nva2 nva2 "$PHAROS_PEER" -a 65002 -R 65515 -b "$N2" -o none \
	-f "$T_DIR/nva2.script" "$RS4"
start_in nva2-v6 nva2 "$PHAROS_PEER" -a 65002 -R 65515 -b "$N2_6" -o none \
	-A "$P6" "$RS6"
check_wait "one multipath route for $P4 via both NVAs" 15 nh_is -4 "$P4" "$N1 $N2 "
check_wait "one multipath route for $P6 via both NVAs (IPv6)" 10 nh_is -6 "$P6" "$N1_6 $N2_6 "
check_eq "exactly one route for $P4 (both next hops in it)" \
	"$(owned -4 | grep -cF "$P4 ")" 1
check "the route is a kernel multipath route (two nexthop entries)" \
	eval 'nsx vm ip route show table $TABLE $P4 proto $PROTO | grep -c nexthop | grep -qx 2'
# agent_acked: pharosd lists agent vm-a1 with a version acknowledged
agent_acked() {
	local out
	out=$(nsx vm curl -sf "http://$API/api/v1/fabric/agents") || return 1
	[ -n "$out" ] && printf '%s' "$out" | jq -e \
		'[.. | objects | select(.agent? == "vm-a1" and (.version // 0) > 0)] | length > 0' >/dev/null
}
check_wait "the agent acknowledged a version to pharosd" 5 agent_acked

check_wait "nva2 withdraws $P4: the route drops to one next hop" 30 nh_is -4 "$P4" "$N1 "
check "the IPv6 route keeps both next hops" nh_is -6 "$P6" "$N1_6 $N2_6 "
check "the foreign (proto static) route survived" foreign_there

before=$(owned_all | sort)
check_match "table $TABLE holds the agent's routes before the restart" "$before" "^$P4 "
check "agent exits on SIGTERM" stop_proc agent TERM 5
cp "$(log_of agent)" "$T_DIR/agent-first.log"
check "the agent followed every change by deltas (no resync needed)" \
	eval '! grep -q "\"event\":\"resync\"" "$T_DIR/agent-first.log"'
check "the agent applied several versions (table, then deltas)" \
	eval '[ "$(grep -c "\"event\":\"applied\"" "$T_DIR/agent-first.log")" -ge 3 ]'
check "the first agent's stderr has no sanitizer report" sanitizer_clean "$T_DIR/agent-first.log"
check_eq "routes stay while the agent is down" "$(owned_all | sort)" "$before"
# again, now with a second route server that does not answer: the union
# with a server that is down changes nothing
start_agent "http://$RS4:8180"
check_wait "restarted agent applied pharosd's table" 15 \
	grep -q '"event":"applied"' "$(log_of agent)"
sleep 1
check_eq "restart duplicates nothing and changes nothing" "$(owned_all | sort)" "$before"
check "the restarted agent changed no route" \
	eval '! grep -qE "\"op\":\"(add|replace|remove)\"" "$(log_of agent)"'
check "the foreign route survived the restart" foreign_there
check_wait "the second (absent) server is reported unreachable" 5 \
	grep -q "http://$RS4:8180: " "$(log_of agent)"
check_eq "routes unchanged with one of two servers down" "$(owned_all | sort)" "$before"

# pharosd dies (SIGKILL: a crash, a host reboot, an upgrade gone wrong):
# the agent must keep what it installed for the stale time. (A SIGTERM
# makes pharosd close its BGP sessions first, which withdraws the NVAs'
# routes from the fabric before the API goes away; that is a withdrawal,
# not a lost route server.)
check "pharosd killed (SIGKILL)" stop_proc pharosd KILL 5
t_stop=$(date +%s)
check_wait "agent reports pharosd down, routes kept as stale" 10 \
	grep -q '"event":"server-down".*"stale":true' "$(log_of agent)"
sleep 2
check_eq "routes stay within the stale time" "$(owned_all | sort)" "$before"
check_wait "after the stale time ($STALE s) the routes are removed" $((STALE + 8)) \
	eval '[ -z "$(owned_all)" ]'
elapsed=$(($(date +%s) - t_stop))
check "routes were removed no sooner than the stale time (${elapsed}s)" test "$elapsed" -ge "$STALE"
check "the foreign route survived everything" foreign_there
check "the agent is still running (reconnecting)" alive agent
check "agent writes its metrics file" grep -q '^pharos_agent_versions_applied_total [1-9]' "$T_DIR/agent.prom"
check "agent exits on SIGTERM" stop_proc agent TERM 5
check "agent stderr has no sanitizer report" sanitizer_clean "$(log_of agent)"
check "pharosd stderr has no sanitizer report" sanitizer_clean "$(log_of pharosd)"
t_done
