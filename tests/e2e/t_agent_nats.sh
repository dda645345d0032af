#!/bin/bash
# t_agent_nats.sh - route distribution through NATS JetStream: pharosd
# publishes, pharos-agent --nats installs, in network namespaces.
#
#   bus  nats-server -js (store in the test's directory)  198.18.1.20
#   rs1  pharosd, publishes as rs1                         198.18.1.1
#   rs2  pharosd, publishes as rs2 (the hub's second)      198.18.1.4
#   nva1 pharos-peer AS 65001 (a session with each rs)     198.18.1.2
#   nva2 pharos-peer AS 65002                              198.18.1.3
#   vm   pharos-agent --nats (spoke-a/app, table 100)      198.18.1.10
#
# rs1 starts before nats-server: it serves BGP and its API meanwhile, then
# connects by itself. Both NVAs announce 198.19.250.0/24 to rs1: the
# agent, which talks to no route server, installs it from the bus as one
# multipath route; nva2's death reaches its kernel. nats-server is killed
# (nva2 dies meanwhile) and restarted: both sides reconnect by themselves
# and the change reaches the kernel. pharosd stopped (SIGTERM: its
# sessions are closed, it publishes nothing more): the bus keeps the last
# table and the route stays. A fresh agent on an emptied table, with pharosd still
# down, installs the route from the bus alone. Then two pharosd publish
# for the same hub (rs2 also learns 198.19.251.0/24): the agent holds the
# union, and rs2 stopping changes nothing in the kernel.
. "$(dirname "$0")/../lib.sh"

AGENT=${PHAROS_AGENT:-$PHAROS_BIN/pharos-agent}
NATS_SERVER=${NATS_SERVER:-$(command -v nats-server || echo /usr/sbin/nats-server)}
need_bin "$PHAROSD" "$PHAROS_PEER" "$AGENT" "$NATS_SERVER" jq curl promtool

RS1=198.18.1.1 RS2=198.18.1.4 BUS=198.18.1.20
N1=198.18.1.2 N2=198.18.1.3 VM=198.18.1.10
P4=198.19.250.0/24 P5=198.19.251.0/24
TABLE=100 PROTO=200 STALE=60
NATS_URL=nats://$BUS:4222

ns_create bus rs1 rs2 nva1 nva2 vm
ns_lan bus br0 rs1 rs2 nva1 nva2 vm
ns_addr bus br0 "$BUS/24"
ns_addr rs1 eth0 "$RS1/24"
ns_addr rs2 eth0 "$RS2/24"
ns_addr nva1 eth0 "$N1/24"
ns_addr nva2 eth0 "$N2/24"
ns_addr vm eth0 "$VM/24"


# conf RS NAME: pharosd's configuration for route server NAME at RS
conf() {
	local f=$T_DIR/$2.yaml
	echo "agent-test-token" >"$T_DIR/token"
	pharos_conf_begin "$f" asn=65515 router_id="$1" listen="$1" \
		hold_time=30 keepalive=10 max_paths=8
	pharos_conf_peer "$f" nva1 nva "$N1" 65001 passive=true
	pharos_conf_peer "$f" nva2 nva "$N2" 65002 passive=true
	pharos_conf_api "$f" "$1:8179" "$T_DIR/token"
	# the NVAs' LAN is outside the VNets
	pharos_conf_hub_spoke "$f" vm-a1 \
		"publish: {nats: \"$NATS_URL\", name: $2, heartbeat_s: 1, state_interval_ms: 500}"
	echo "$f"
}
# rs_start NAME ADDR: pharosd NAME in namespace NAME, API on ADDR:8179
rs_start() {
	local f
	f=$(conf "$2" "$1")
	nsx "$1" "$PHAROSD" -n -c "$f" >"$T_DIR/$1-check.out" 2>&1 ||
		{ sed 's/^/# /' "$T_DIR/$1-check.out"; bail "pharosd accepts the publish config"; }
	start_in "$1" "$1" "$PHAROSD" -c "$f"
	wait_until 15 api_up "$1" "$2" || bail "pharosd $1 started"
}
api_up() { nsx "$1" curl -sf -m 2 "http://$2:8179/api/v1/peers" >/dev/null; }
# peer_up RS_NS RS_ADDR PEER: the session is established
peer_up() {
	nsx "$1" curl -sf -m 2 "http://$2:8179/api/v1/peers/$3" |
		jq -e '.state == "established"' >/dev/null
}
# nva NAME NS ASN SRC RS PREFIX...: a pharos-peer announcing PREFIXes
nva() {
	local name=$1 n=$2 asn=$3 src=$4 rs=$5 a=()
	shift 5
	for p in "$@"; do a+=(-A "$p"); done
	start_in "$name" "$n" "$PHAROS_PEER" -a "$asn" -R 65515 -b "$src" -o none \
		"${a[@]}" "$rs"
}
owned() { nsx vm ip -o -4 route show table "$TABLE" proto "$PROTO" 2>/dev/null | tr -s ' \t' ' '; }
nh_of() {
	owned | grep -F "$1 " | grep -oE 'via [0-9.]+' | awk '{print $2}' | sort | tr '\n' ' '
}
nh_is() { [ "$(nh_of "$1")" == "$2" ]; }
start_agent() {
	start_in "$1" vm "$AGENT" --nats "$NATS_URL" --subnet spoke-a/app \
		--table "$TABLE" --stale-time "$STALE" --name vm-a1 \
		-M "$T_DIR/$1.prom"
}
# agent_listed RS_NS RS_ADDR: pharosd lists vm-a1 (acked over the bus)
agent_listed() {
	nsx "$1" curl -sf -m 2 "http://$2:8179/api/v1/fabric/agents" | jq -e \
		'[.agents[] | select(.agent == "vm-a1" and .subnet == "app" and .version > 0)] | length == 1' >/dev/null
}

# bus_metric RS_NS RS_ADDR NAME: a pharos_bus_* value of that pharosd
bus_metric() {
	nsx "$1" curl -sf -m 2 "http://$2:8179/metrics" | awk -v m="$3" '$1 == m { print $2 }'
}

# pharosd starts before NATS: it must serve BGP and its API regardless
rs_start rs1 "$RS1"
nva nva1 nva1 65001 "$N1" "$RS1" "$P4"
nva nva2 nva2 65002 "$N2" "$RS1" "$P4"
check_wait "both NVAs established with rs1 while NATS is absent" 30 \
	eval 'peer_up rs1 $RS1 nva1 && peer_up rs1 $RS1 nva2'
check_eq "rs1 reports no bus connection" "$(bus_metric rs1 "$RS1" pharos_bus_connected)" 0

mkdir -p "$T_DIR/js"
start_in nats bus "$NATS_SERVER" -a "$BUS" -p 4222 -js -sd "$T_DIR/js"
check_wait "nats-server with JetStream listens in its namespace" 20 \
	nsx vm bash -c "exec 3<>/dev/tcp/$BUS/4222"
check_wait "rs1 connects by itself and sets up the streams" 20 \
	eval '[ "$(bus_metric rs1 "$RS1" pharos_bus_ready)" = 1 ]'
check "rs1 says so in an event (bus_up)" grep -q '"type":"bus_up"' "$(log_of rs1)"
start_agent agent
check_wait "the agent installs $P4 from the bus as a 2-way multipath route" 30 \
	nh_is "$P4" "$N1 $N2 " || diag "$(tail -5 "$(log_of agent)")"
check "the route is a kernel multipath route (two nexthop entries)" \
	eval 'nsx vm ip route show table $TABLE $P4 proto $PROTO | grep -c nexthop | grep -qx 2'
check "the agent has no route server address: it talks to the bus only" \
	eval '! grep -q "http://" "$(log_of agent)"'
check_wait "rs1 lists the bus-connected agent (its ack came over the bus)" 15 \
	agent_listed rs1 "$RS1"
check "rs1 counts the table messages it published" eval \
	'nsx rs1 curl -sf "http://$RS1:8179/metrics" | grep -qE "^pharos_bus_published_total\{kind=\"state\"\} [1-9]"'
nsx rs1 curl -sf "http://$RS1:8179/metrics" >"$T_DIR/metrics.txt"
check "the bus metrics pass promtool check metrics" eval \
	'promtool check metrics <"$T_DIR/metrics.txt" >"$T_DIR/promtool.out" 2>&1 && [ ! -s "$T_DIR/promtool.out" ]'

# Tables are coalesced: nva1 comes back with a burst of BURST prefixes,
# one UPDATE every 25 ms, each its own fabric version. rs1 publishes a
# delta per version but a table at most every state_interval_ms (500
# here) per subnet, and always the last one: the agent ends on rs1's
# final version with every prefix of the burst. Two subnets receive the
# routes: without coalescing, two tables a version.
BURST=80
{
	echo "announce $P4"
	for i in $(seq 128 $((128 + BURST - 1))); do
		echo "sleep 25"
		echo "announce 198.18.$i.0/24"
	done
} >"$T_DIR/burst.script"
burst_owned() { owned | awk -F'[ ./]' '$1 == 198 && $2 == 18 && $3 >= 128' | wc -l; }
acked_version() {
	nsx rs1 curl -sf -m 2 "http://$RS1:8179/api/v1/fabric/agents" |
		jq -r '[.agents[] | select(.agent == "vm-a1" and .subnet == "app") | .version] | max // 0'
}
fabric_version() { bus_metric rs1 "$RS1" pharos_fabric_version; }
published() { # KIND: rs1's pharos_bus_published_total{kind=KIND}
	nsx rs1 curl -sf -m 2 "http://$RS1:8179/metrics" |
		awk -v k="pharos_bus_published_total{kind=\"$1\"}" '$1 == k { print $2 }'
}
stop_proc nva1 TERM 5
check_wait "nva1 gone: $P4 via nva2 only" 30 nh_is "$P4" "$N2 "
v0=$(fabric_version) s0=$(published state) d0=$(published delta)
start_in nva1 nva1 "$PHAROS_PEER" -a 65001 -R 65515 -b "$N1" -o none \
	-f "$T_DIR/burst.script" "$RS1"
check_wait "the agent installs all $BURST prefixes of nva1's burst" 15 \
	eval '[ "$(burst_owned)" -eq $BURST ] && nh_is "$P4" "$N1 $N2 "'
check_wait "the agent acknowledges rs1's final version (the last table was published)" 15 \
	eval '[ "$(acked_version)" = "$(fabric_version)" ]'
v1=$(fabric_version) s1=$(published state) d1=$(published delta)
commits=$((v1 - v0)) tables=$((s1 - s0))
diag "burst: $commits fabric versions, $tables tables published"
check "the burst made at least $BURST fabric versions" [ "$commits" -ge "$BURST" ]
check "far fewer tables than versions ($tables tables for $commits versions, two subnets)" \
	[ $((tables * 2)) -lt "$commits" ]
check "yet a delta for every version ($((d1 - d0)) deltas, two subnets)" \
	[ $((d1 - d0)) -ge "$commits" ]

check "nva2 dies (SIGKILL)" stop_proc nva2 KILL 5
check_wait "nva2's death reaches the agent's kernel: $P4 via nva1 only" 30 \
	nh_is "$P4" "$N1 "
nva nva2 nva2 65002 "$N2" "$RS1" "$P4"
check_wait "nva2 back: 2-way again" 30 nh_is "$P4" "$N1 $N2 "

# nats-server goes away and comes back (same store): both clients
# reconnect by themselves; the agent catches up on what it missed.
downs() { grep -c '"event":"server-down","agent":"vm-a1","server":"nats:rs1"' "$(log_of agent)"; }
before=$(owned | sort)
check "nats-server stopped" stop_proc nats KILL 5
check_wait "rs1 sees the connection lost (metric)" 15 \
	eval '[ "$(bus_metric rs1 "$RS1" pharos_bus_connected)" = 0 ]'
check "rs1 says so in an event (bus_down)" grep -q '"type":"bus_down"' "$(log_of rs1)"
check_wait "the agent says so too (bus-down)" 15 grep -q '"event":"bus-down"' "$(log_of agent)"
check "nva2 dies while the bus is down" stop_proc nva2 KILL 5
check_eq "the kernel keeps its routes while the bus is down" "$(owned | sort)" "$before"
start_in nats bus "$NATS_SERVER" -a "$BUS" -p 4222 -js -sd "$T_DIR/js"
check_wait "rs1 reconnects and sets up the streams again" 30 \
	eval '[ "$(bus_metric rs1 "$RS1" pharos_bus_ready)" = 1 ]'
check_wait "the agent catches up on the change it missed: $P4 via nva1 only" 30 \
	nh_is "$P4" "$N1 "
nva nva2 nva2 65002 "$N2" "$RS1" "$P4"
check_wait "nva2 back, over the reconnected bus: 2-way again" 30 nh_is "$P4" "$N1 $N2 "

ups() { grep -c '"event":"server-up","agent":"vm-a1","server":"nats:rs1"' "$(log_of agent)"; }
check_wait "the agent hears rs1's heartbeats (rs1 up)" 10 eval '[ "$(ups)" -gt "$(downs)" ]'
before=$(owned | sort)
n_down=$(downs)
check "pharosd stopped (SIGTERM: it closes its BGP sessions)" \
	stop_proc rs1 TERM 10
check_wait "the agent sees rs1's heartbeats stop (routes kept as stale)" 15 \
	eval '[ "$(downs)" -gt "$n_down" ] && grep "\"server-down\"" "$(log_of agent)" | tail -1 | grep -q "\"stale\":true"'
check_eq "the route stays with pharosd stopped" "$(owned | sort)" "$before"
check "the agent exits on SIGTERM" stop_proc agent TERM 5
check "the first agent's stderr has no sanitizer report" sanitizer_clean "$(log_of agent)"

nsx vm ip route flush table "$TABLE" proto "$PROTO"
check_eq "the table is emptied of the agent's routes" "$(owned)" ""
start_agent agent2
check_wait "a fresh agent, pharosd still stopped, installs $P4 from the bus alone" 30 \
	nh_is "$P4" "$N1 $N2 " || diag "$(tail -5 "$(log_of agent2)")"
check_eq "the fresh agent rebuilt exactly the table of before" "$(owned | sort)" "$before"

# Two route servers for the hub: rs2 also learns $P5 from nva1.
stop_proc nva1 TERM 5
stop_proc nva2 TERM 5
rs_start rs2 "$RS2"
nva nva1b nva1 65001 "$N1" "$RS2" "$P4" "$P5"
nva nva2b nva2 65002 "$N2" "$RS2" "$P4"
rs_start rs1 "$RS1"
nva nva1 nva1 65001 "$N1" "$RS1" "$P4"
nva nva2 nva2 65002 "$N2" "$RS1" "$P4"
check_wait "every NVA session with rs1 and rs2 is established" 30 eval \
	'peer_up rs1 $RS1 nva1 && peer_up rs1 $RS1 nva2 && peer_up rs2 $RS2 nva1 && peer_up rs2 $RS2 nva2'
check_wait "the agent holds the union: $P5 (rs2 only) via nva1" 30 nh_is "$P5" "$N1 "
check_wait "and $P4 via both NVAs" 10 nh_is "$P4" "$N1 $N2 "
check_wait "the agent hears both route servers" 10 eval \
	'grep -q "\"server-up\",\"agent\":\"vm-a1\",\"server\":\"nats:rs2\"" "$(log_of agent2)"'
check_wait "both route servers list the agent" 15 \
	eval 'agent_listed rs1 $RS1 && agent_listed rs2 $RS2'
union=$(owned | sort)
check "rs2 stopped" stop_proc rs2 TERM 10
check_wait "the agent sees rs2's heartbeats stop" 15 \
	grep -q '"event":"server-down","agent":"vm-a1","server":"nats:rs2"' "$(log_of agent2)"
sleep 1
check_eq "one route server stopping changes nothing in the kernel" "$(owned | sort)" "$union"
check "the agent is still running" alive agent2
check "agent2 exits on SIGTERM" stop_proc agent2 TERM 5
check "agent2's stderr has no sanitizer report" sanitizer_clean "$(log_of agent2)"
check "rs1 exits cleanly" stop_proc rs1 TERM 10
check "pharosd stderr has no sanitizer report" eval \
	'sanitizer_clean "$(log_of rs1)" && sanitizer_clean "$(log_of rs2)"'
t_done
