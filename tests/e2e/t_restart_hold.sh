#!/bin/bash
# t_restart_hold.sh - what pharosd publishes waits for its peers (issue
# 15, issue 20 item 11), with two pharos-peer NVAs and a pharos-agent
# installing spoke-a/app's routes into a kernel table:
#   1. route_server.persist_routes_s: both NVAs are lost at once; the
#      loc-RIB empties but the fabric (effective routes, the agent's
#      table) keeps the NVAs' routes; the first End-of-RIB of a returning
#      NVA ends persistence and the fabric follows the RIB again (the
#      prefix only the absent NVA had goes). Then both are lost again and
#      the window runs out: the routes go.
#   2. startup hold-down (route_server.startup_hold_s): pharosd is killed
#      (SIGKILL) and started again; the NVAs come back 2 s later. Until
#      both sent End-of-RIB the subnet tables answer 503, so the agent
#      keeps what it installed: sampled every 200 ms, its route never
#      leaves the kernel table.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
AGENT=${PHAROS_AGENT:-$PHAROS_BIN/pharos-agent}
need_bin "$PHAROSD" "$PHAROS_PEER" "$AGENT" jq curl

RS=198.18.1.1 N1=198.18.1.2 N2=198.18.1.3 VM=198.18.1.10
API=$RS:8179
P1=198.19.251.0/24 P2=198.19.252.0/24
TABLE=100 PROTO=200 PERSIST=6

ns_create rs nva1 nva2 vm
ns_lan rs br0 nva1 nva2 vm
ns_addr rs br0 "$RS/24"
ns_addr nva1 eth0 "$N1/24"
ns_addr nva2 eth0 "$N2/24"
ns_addr vm eth0 "$VM/24"

CONF=$T_DIR/pharosd.yaml
pharos_conf_begin "$CONF" asn=65515 router_id=$RS listen=$RS hold_time=30 \
	keepalive=10 persist_routes_s=$PERSIST startup_hold_s=30
pharos_conf_peer "$CONF" nva1 nva "$N1" 65001 passive=true
pharos_conf_peer "$CONF" nva2 nva "$N2" 65002 passive=true
pharos_conf_api "$CONF" "$API"
pharos_conf_hub_spoke "$CONF" # the NVAs' addresses are outside the VNets

# nva N ADDR ASN PREFIX...: (re)start pharos-peer NVA N announcing the
# prefixes, then End-of-RIB, then staying.
nva() {
	local n=$1 addr=$2 asn=$3 p
	shift 3
	: >"$T_DIR/$n.script"
	for p in "$@"; do echo "announce $p" >>"$T_DIR/$n.script"; done
	printf 'eor ipv4\nwait-signal\n' >>"$T_DIR/$n.script"
	start_in "$n" "$n" "$PHAROS_PEER" -a "$asn" -R 65515 -b "$addr" -o none \
		-f "$T_DIR/$n.script" "$RS"
}
owned() { nsx vm ip -o -4 route show table "$TABLE" proto "$PROTO" 2>/dev/null; }
agent_has() { owned | grep -q "^$1 "; }
eff_has() {
	pctl show effective-routes vm-a1 | jq -e --arg p "$1" \
		'any(.routes[]; .prefix == $p and .source == "VirtualNetworkGateway")' >/dev/null
}
gone() { ! route_paths "$1" | grep -q .; }
event_seen() {
	pctl show events | jq -e --arg t "$1" 'any(.events[]; .type == $t)' >/dev/null
}

# --- start: the hold-down ends on both End-of-RIBs
pharosd_start rs "$CONF" "$API"
check_eq "the subnet table answers 503 during the startup hold-down" \
	"$(nsx rs curl -s -o /dev/null -w '%{http_code}' "http://$API/api/v1/fabric/subnets/spoke-a/app/table")" 503
nva nva1 "$N1" 65001 "$P1"
nva nva2 "$N2" 65002 "$P1" "$P2"
check_wait "both NVAs established" 20 eval 'peer_established nva1 && peer_established nva2'
check_wait "the hold-down ends on both End-of-RIBs" 10 \
	grep -q "startup hold-down over: every peer sent End-of-RIB" "$(log_of pharosd)"
start_in agent vm "$AGENT" -s "http://$API" --subnet spoke-a/app --table "$TABLE" \
	--stale-time 60 --wait 5 --name vm-a1
check_wait "agent installs $P1 and $P2" 20 eval 'agent_has "$P1" && agent_has "$P2"'

# --- 1. persistence: both NVAs lost at once
stop_proc nva1 KILL 2
stop_proc nva2 KILL 2
check_wait "both sessions down" 10 eval '! peer_established nva1 && ! peer_established nva2'
check_wait "the loc-RIB no longer holds $P1 and $P2" 5 eval 'gone "$P1" && gone "$P2"'
check "a routes_persisted event was recorded" event_seen routes_persisted
check "vm-a1's effective routes still hold $P1 and $P2" eval 'eff_has "$P1" && eff_has "$P2"'
sleep 2
check "the agent still holds $P1 and $P2" eval 'agent_has "$P1" && agent_has "$P2"'
nva nva1 "$N1" 65001 "$P1"
check_wait "nva1 back; its End-of-RIB ends persistence" 10 event_seen routes_persist_end
check_wait "the fabric follows the RIB: $P2 (nva2 only) goes from the agent" 20 \
	eval '! agent_has "$P2"'
check "$P1 stayed in the agent's table" agent_has "$P1"
nva nva2 "$N2" 65002 "$P1" "$P2"
check_wait "nva2 back: agent installs $P2 again" 20 agent_has "$P2"

stop_proc nva1 KILL 2
stop_proc nva2 KILL 2
check_wait "both sessions down again" 10 eval '! peer_established nva1 && ! peer_established nva2'
sleep 2
check "within persist_routes_s ($PERSIST s) the agent keeps $P1" agent_has "$P1"
check_wait "after persist_routes_s the routes go from the agent" $((PERSIST + 15)) \
	eval '! agent_has "$P1" && ! agent_has "$P2"'

# --- 2. pharosd killed and restarted: the agent keeps its routes
nva nva1 "$N1" 65001 "$P1"
nva nva2 "$N2" 65002 "$P1" "$P2"
check_wait "agent installs $P1 and $P2 again" 30 eval 'agent_has "$P1" && agent_has "$P2"'
rm -f "$T_DIR/watch.stop"
( while [ ! -e "$T_DIR/watch.stop" ]; do
	if agent_has "$P1"; then echo ok; else echo MISSING; fi
	sleep 0.2
  done >"$T_DIR/watch" ) &
watch_pid=$!
mark=$(wc -l <"$(log_of agent)")
since_kill() { tail -n +$((mark + 1)) "$(log_of agent)"; }
stop_proc pharosd KILL 5
stop_proc nva1 KILL 2
stop_proc nva2 KILL 2
pharosd_start rs "$CONF" "$API"
sleep 2
nva nva1 "$N1" 65001 "$P1"
nva nva2 "$N2" 65002 "$P1" "$P2"
check_wait "restarted pharosd: both NVAs back" 20 eval 'peer_established nva1 && peer_established nva2'
check_wait "the hold-down ends on both End-of-RIBs" 10 \
	grep -q "startup hold-down over: every peer sent End-of-RIB" "$(log_of pharosd)"
check_wait "the agent follows the restarted pharosd (server-up, a table applied)" 40 \
	eval 'since_kill | grep -q "\"event\":\"server-up\"" && since_kill | grep -A99 "\"event\":\"server-up\"" | grep -q "\"event\":\"applied\""'
check "the agent removed no route after the restart" \
	eval '! since_kill | grep "\"event\":\"applied\"" | grep -qv "\"removed\":0"'
sleep 1
touch "$T_DIR/watch.stop"
wait "$watch_pid"
check "$P1 never left the agent's table ($(wc -l <"$T_DIR/watch") samples)" \
	eval '! grep -q MISSING "$T_DIR/watch" && [ "$(wc -l <"$T_DIR/watch")" -gt 10 ]'
check "$P2 is in the agent's table" agent_has "$P2"

check "pharosd exits 0 on SIGTERM" pharosd_stop
check "pharosd stderr has no sanitizer report" sanitizer_clean "$T_DIR/pharosd.log"
t_done
