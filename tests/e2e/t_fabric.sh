#!/bin/bash
# t_fabric.sh - the fabric inside pharosd, end to end: a hub with an NVA
# subnet, a spoke that uses the hub's gateways and one that does not, a
# route table that keeps BGP routes out, UDRs; two pharos-peer NVAs
# announce the same prefix (ECMP) and one announces more, a VPN gateway
# announces a default route (accept_default). Checks effective routes,
# traces (ECMP choice, a drop), versioned deltas with a long poll, 410 for
# a version out of range, the SSE stream, acks (token) and the agents
# list, and pharosctl's human output. Runs in a namespace of its own.
. "$(dirname "$0")/../lib.sh"

need_bin "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER" jq curl
PORT=1791
API=127.0.0.1:18191
CONF=$T_DIR/pharosd.yaml
TOKEN=$T_DIR/api.token
echo "fabric-token-$$" >"$TOKEN"
NVA1=198.18.0.10 NVA2=198.18.0.11 GW=198.18.0.36
ONPREM=198.19.200.0/24 ONPREM_MORE=198.19.200.128/25
UDR_PFX=198.19.100.0/24 INSIDE=198.19.1.128/25
# Another region ("east") with a route server of its own.
API_E=127.0.0.1:18192 NVA_E=198.18.128.10 CONF_E=$T_DIR/pharosd-east.yaml

ns_create rs
pharos_conf_begin "$CONF" asn=65515 router_id=198.18.0.1 listen=127.0.0.1 \
	port=$PORT hold_time=30 keepalive=10
pharos_conf_peer "$CONF" nva-1 nva 127.0.0.2 65001 passive=true
pharos_conf_peer "$CONF" nva-2 nva 127.0.0.3 65002 passive=true
pharos_conf_peer "$CONF" vpn vpn_gateway 127.0.0.4 65003 passive=true accept_default=true
pharos_conf_api "$CONF" "$API" "$TOKEN"
cat >>"$CONF" <<EOF
fabric:
  vnets:
    - name: hub
      hub: true
      region: west
      address_space: [198.18.0.0/24]
      subnets:
        - {name: nva, prefix: 198.18.0.0/27}
        - {name: gateway, prefix: 198.18.0.32/27}
      nics:
        - {name: nva-1, subnet: nva, ip: $NVA1}
        - {name: nva-2, subnet: nva, ip: $NVA2}
    - name: spoke-a
      address_space: [198.19.1.0/24]
      peerings: [{remote: hub, use_remote_gateways: true}]
      subnets:
        - {name: app, prefix: 198.19.1.0/26, route_table: rt-app}
        - {name: db, prefix: 198.19.1.64/26, route_table: rt-db}
      nics:
        - {name: vm-a1, subnet: app, ip: 198.19.1.4}
        - {name: vm-a2, subnet: db, ip: 198.19.1.68}
    - name: spoke-b
      address_space: [198.19.2.0/24]
      peerings: [{remote: hub, use_remote_gateways: false}]
      subnets: [{name: web, prefix: 198.19.2.0/26}]
      nics: [{name: vm-b1, subnet: web, ip: 198.19.2.4}]
    - name: hub-e
      region: east
      address_space: [198.18.128.0/24]
      subnets: [{name: nva, prefix: 198.18.128.0/27}]
      nics: [{name: nva-e, subnet: nva, ip: $NVA_E}]
    - name: spoke-e
      region: east
      address_space: [198.19.50.0/24]
  regions:
    - {name: east, api: "http://$API_E"}
  route_tables:
    rt-app:
      propagate_gateway_routes: true
      routes:
        - {prefix: $UDR_PFX, next_hop_type: VirtualAppliance, next_hop_ip: $NVA2}
        - {prefix: 198.19.99.0/24, next_hop_type: None}
        - {prefix: 198.19.50.0/24, next_hop_type: VirtualAppliance, next_hop_ip: $NVA_E}
    rt-db:
      propagate_gateway_routes: false
      routes: []
EOF
pharosd_start rs "$CONF" "$API"

# nva NAME ASN BIND NEXT_HOP ROUTES...: a pharos-peer NVA announcing ROUTES.
nva() {
	local name=$1 asn=$2 bind=$3 nh=$4 a=()
	shift 4
	for r in "$@"; do a+=(-A "$r"); done
	start_in "$name" rs stdbuf -oL "$PHAROS_PEER" -a "$asn" -R 65515 -b "$bind" \
		-n "$nh" -o none "${a[@]}" 127.0.0.1 $PORT
}
api() { nsx rs curl -s --max-time 30 "http://$API$1" "${@:2}"; }
code() { nsx rs curl -s -o "$T_DIR/body.json" -w '%{http_code}' --max-time 30 "http://$API$1" "${@:2}"; }
eff() { pctl show effective-routes "$1"; }
# eff_has NIC JQ-FILTER: some effective route of NIC matches the filter.
eff_has() { eff "$1" | jq -e "any(.routes[]; $2)" >/dev/null 2>&1; }
jqok() { jq -e "$@" >/dev/null 2>&1; }
table_version() { api "/api/v1/fabric/subnets/$1/table" | jq -r .version; }

nva nva-1 65001 127.0.0.2 $NVA1 "$ONPREM,$ONPREM_MORE,$UDR_PFX,$INSIDE"
nva nva-2 65002 127.0.0.3 $NVA2 "$ONPREM"
nva vpn 65003 127.0.0.4 $GW "0.0.0.0/0"
for p in nva-1 nva-2 vpn; do
	check_wait "$p established" 20 peer_established $p
done

# ---------------------------------------------------------- topology
FAB=$(pctl show fabric)
check "GET /api/v1/fabric lists 5 VNets with subnets, NICs, regions and a version" \
	jqok '(.vnets | length) == 5 and .version >= 1 and .region == "west" and
		.regions == [{"name": "east", "api": "http://'$API_E'"}] and
		(.vnets[] | select(.name == "spoke-e") | .remote == true and .receives_bgp == false) and
		(.vnets[] | select(.name == "hub") | .hub == true and (.nics | length) == 2) and
		(.vnets[] | select(.name == "spoke-a") | .peerings[0].remote == "hub" and
		 (.subnets[] | select(.name == "app") | .route_table == "rt-app"))' <<<"$FAB"

# ---------------------------------------------------------- effective routes
ecmp_ok() { eff_has vm-a1 ".prefix == \"$ONPREM\" and .state == \"Active\" and
	.source == \"VirtualNetworkGateway\" and .next_hop_type == \"VirtualNetworkGateway\" and
	.next_hop_ips == [\"$NVA1\", \"$NVA2\"]"; }
check_wait "vm-a1: $ONPREM is one Active BGP route with both NVAs as next hops (ECMP)" 15 ecmp_ok
check_wait "vm-a1: the more specific $ONPREM_MORE goes to nva-1 only" 10 \
	eff_has vm-a1 ".prefix == \"$ONPREM_MORE\" and .state == \"Active\" and .next_hop_ips == [\"$NVA1\"]"
check_wait "vm-a1: the default route from the VPN gateway (accept_default) is Active" 10 \
	eff_has vm-a1 '.prefix == "0.0.0.0/0" and .source == "VirtualNetworkGateway" and .state == "Active" and .next_hop_ips == ["'$GW'"]'
check "vm-a1: the system 0.0.0.0/0 -> Internet is Invalid, overridden by BGP" \
	eff_has vm-a1 '.prefix == "0.0.0.0/0" and .source == "Default" and .next_hop_type == "Internet" and .state == "Invalid" and (.reason | length) > 0'
check "vm-a1: the UDR on $UDR_PFX (VirtualAppliance $NVA2) is Active" \
	eff_has vm-a1 ".prefix == \"$UDR_PFX\" and .source == \"User\" and .state == \"Active\" and .next_hop_ips == [\"$NVA2\"]"
check "vm-a1: the BGP route on $UDR_PFX is Invalid (UDR beats BGP)" \
	eff_has vm-a1 ".prefix == \"$UDR_PFX\" and .source == \"VirtualNetworkGateway\" and .state == \"Invalid\""
check "vm-a1: a BGP route inside the VNet's space ($INSIDE) is shown Invalid with a reason" \
	eff_has vm-a1 ".prefix == \"$INSIDE\" and .source == \"VirtualNetworkGateway\" and .state == \"Invalid\" and (.reason | length) > 0"
check "vm-a1: system routes VnetLocal and VNetPeering are there" \
	eff_has vm-a1 '.prefix == "198.19.1.0/24" and .next_hop_type == "VnetLocal"'
check "vm-a1: the effective-routes reply names NIC, VNet, subnet and version" \
	jqok '.nic == "vm-a1" and .vnet == "spoke-a" and .subnet == "app" and .version >= 1' \
	<<<"$(eff vm-a1)"
no_bgp() { ! eff_has "$1" '.source == "VirtualNetworkGateway"' && eff_has "$1" '.source == "Default"'; }
check "vm-b1 (spoke without use_remote_gateways) has no BGP route" no_bgp vm-b1
check "vm-a2 (route table with propagate_gateway_routes: false) has no BGP route" no_bgp vm-a2
check "nva-1 (hub subnet) has the BGP routes" eff_has nva-1 ".prefix == \"$ONPREM\" and .state == \"Active\""
check_eq "an unknown NIC answers 404" "$(code /api/v1/fabric/nics/nope/effective-routes)" 404
check "the subnet table of spoke-a/app equals vm-a1's routes" \
	test "$(api /api/v1/fabric/subnets/spoke-a/app/table | jq -c .routes)" = "$(eff vm-a1 | jq -c .routes)"

# ---------------------------------------------------------- traces
TR=$(pctl trace vm-a1 198.19.200.7)
check "trace vm-a1 -> on-prem: ECMP over both NVAs at the first hop, one chosen" \
	jqok '.hops[0].at == "vm-a1" and (.hops[0].ecmp | length) == 2 and
		(.hops[0].chosen as $c | .hops[0].ecmp | index($c)) != null' <<<"$TR"
CHOSEN=$(jq -r '.hops[0].chosen' <<<"$TR")
WANT_AT=nva-1; [ "$CHOSEN" = "$NVA2" ] && WANT_AT=nva-2
check "trace vm-a1 -> on-prem: second hop is the chosen NVA ($WANT_AT), leaves the fabric there" \
	jqok --arg at "$WANT_AT" '.hops[1].at == $at and .result == "left-fabric"' <<<"$TR"
check "trace vm-a1 -> 198.19.99.5 is dropped by the UDR to None" \
	jqok '.result == "dropped" and .hops[0].route.next_hop_type == "None"' \
	<<<"$(pctl trace vm-a1 198.19.99.5)"
check "trace vm-a1 -> nva-1's address is delivered over the peering with the hub" \
	jqok '.result == "delivered" and .hops[-1].at == "nva-1" and .hops[0].route.next_hop_type == "VNetPeering"' \
	<<<"$(pctl trace vm-a1 $NVA1)"
check "trace vm-b1 -> on-prem: no BGP route in spoke-b, it leaves to the Internet" \
	jqok '.result == "left-fabric" and .hops[0].route.next_hop_type == "Internet"' \
	<<<"$(pctl trace vm-b1 198.19.200.7)"
check "trace from_ip=$NVA1 walks from nva-1" \
	jqok '.hops[0].at == "nva-1" and .result == "left-fabric"' \
	<<<"$(api "/api/v1/fabric/trace?from_ip=$NVA1&dst=198.19.200.7")"
check_eq "trace without dst answers 400" "$(code '/api/v1/fabric/trace?nic=vm-a1')" 400

# ---------------------------------------------------------- across regions
pharos_conf_begin "$CONF_E" asn=65515 router_id=198.18.128.1 listen=127.0.0.1 port=$((PORT + 1))
pharos_conf_api "$CONF_E" "$API_E"
cat >>"$CONF_E" <<EOF
fabric:
  vnets:
    - name: hub-e
      hub: true
      region: east
      address_space: [198.18.128.0/24]
      subnets: [{name: nva, prefix: 198.18.128.0/27}]
      nics: [{name: nva-e, subnet: nva, ip: $NVA_E}]
    - name: spoke-e
      region: east
      address_space: [198.19.50.0/24]
      peerings: [{remote: hub-e, use_remote_gateways: true}]
      subnets: [{name: app, prefix: 198.19.50.0/26}]
      nics: [{name: vm-e1, subnet: app, ip: 198.19.50.4}]
EOF
start_in pharosd-east rs "$PHAROSD" -c "$CONF_E"
east_up() { nsx rs curl -sf "http://$API_E/api/v1/fabric" >/dev/null; }
check_wait "the east region's pharosd answers on $API_E" 15 east_up
check "trace vm-a1 -> spoke-e leaves the region at nva-e" \
	jqok --arg ip "$NVA_E" '.result == "left-region" and .next_region == "east" and .exit_ip == $ip' \
	<<<"$(pctl trace vm-a1 198.19.50.4 | head -1)"
TXT=$(nsx rs "$PHAROSCTL" -s "http://$API" trace vm-a1 198.19.50.4)
check_match "pharosctl trace continues in region east" "$TXT" "continues in region east at $NVA_E"
check_match "pharosctl trace across regions ends delivered to vm-e1" "$TXT" '^result: delivered: delivered to vm-e1'
check_match "pharosctl trace across regions: one hop list (vm-a1, nva-e, vm-e1)" \
	"$(grep -E '^ *[0-9]+  ' <<<"$TXT" | awk '{print $1 ":" $2}' | tr '\n' ' ')" '^1:vm-a1 2:nva-e 3:vm-e1 $'
check_eq "pharosctl -j trace across regions prints one JSON reply per region" \
	"$(pctl trace vm-a1 198.19.50.4 | jq -r .region | tr '\n' ' ')" "west east "
stop_proc pharosd-east
check_eq "the east pharosd exits 0" "$T_RC" 0
check "the east pharosd's stderr has no sanitizer report" sanitizer_clean "$T_DIR/pharosd-east.log"

# ---------------------------------------------------------- pharosctl text
TXT=$(nsx rs "$PHAROSCTL" -s "http://$API" show effective-routes vm-a1)
check_match "pharosctl show effective-routes: header" "$TXT" 'SOURCE +STATE +PREFIX +NEXT-HOP-TYPE +NEXT-HOP-IPS +REASON'
check_match "pharosctl show effective-routes: the ECMP route with both next hops" "$TXT" \
	"VirtualNetworkGateway +Active +$ONPREM +VirtualNetworkGateway +$NVA1 $NVA2"
check_match "pharosctl show effective-routes: the Invalid BGP route with its reason" "$TXT" \
	"VirtualNetworkGateway +Invalid +$INSIDE +VirtualNetworkGateway +$NVA1 +[a-zA-Z]"
TXT=$(nsx rs "$PHAROSCTL" -s "http://$API" trace vm-a1 198.19.200.7)
check_match "pharosctl trace: hop by hop with the ECMP choice" "$TXT" "ECMP: $NVA1 $NVA2; chosen $CHOSEN"
check_match "pharosctl trace: the final result" "$TXT" '^result: left-fabric: '
check_match "pharosctl trace (drop): result and reason" \
	"$(nsx rs "$PHAROSCTL" -s "http://$API" trace vm-a1 198.19.99.5)" '^result: dropped: .*None'
check_match "pharosctl show fabric: VNets, subnets, NICs, version" \
	"$(nsx rs "$PHAROSCTL" -s "http://$API" show fabric)" 'fabric version [0-9]+'
check_match "pharosctl show subnet spoke-a/app: version and table" \
	"$(nsx rs "$PHAROSCTL" -s "http://$API" show subnet spoke-a/app)" "subnet spoke-a/app +version [0-9]+"

# ---------------------------------------------------------- deltas
V=$(table_version spoke-a/app)
check_match "spoke-a/app has a table version" "$V" '^[0-9]+$'
# held_is N M: pharosd holds N long polls and has M streams open
held_is() {
	local m
	m=$(metrics_of rs "$API")
	[ "$(metric_value pharos_api_long_polls_held <<<"$m")" = "$1" ] &&
		[ "$(metric_value pharos_api_streams_open <<<"$m")" = "$2" ]
}
check "before the long poll pharosd holds none (control)" held_is 0 0
start_in poll rs curl -s --max-time 40 -o "$T_DIR/poll.json" \
	"http://$API/api/v1/fabric/subnets/spoke-a/app/deltas?after=$V&wait=30"
start_in sse rs curl -s -N --max-time 40 -o "$T_DIR/sse.txt" \
	"http://$API/api/v1/fabric/subnets/spoke-a/app/stream?after=$V"
check_wait "pharosd holds the long poll and the stream (pharos_api_long_polls_held 1, streams 1)" 10 \
	held_is 1 1
check "a long poll with nothing newer is held (no answer yet)" \
	bash -c 'kill -0 "$1" && ! [ -s "$2" ]' _ "$(pid_of poll)" "$T_DIR/poll.json"
check_eq "other requests are answered while it is held" "$(code /api/v1/fabric/subnets/spoke-b/web/table)" 200
stop_proc nva-2
poll_done() { ! alive poll; }
check_wait "the long poll answers when nva-2's withdrawal reaches the fabric" 15 poll_done
check "deltas after $V: version $((V + 1)), the ECMP route changed to nva-1 alone" \
	jqok --argjson v "$V" --arg p "$ONPREM" --arg nh "$NVA1" '.version == $v + 1 and
		all(.deltas[]; .version == $v + 1) and
		any(.deltas[]; .op == "change" and .route.prefix == $p and .route.next_hop_ips == [$nh])' \
	"$T_DIR/poll.json"
sse_got() { grep -q '^event: delta' "$T_DIR/sse.txt" 2>/dev/null; }
check_wait "the SSE stream sends the delta as an event" 10 sse_got
check "the SSE event's data is the deltas object of version $((V + 1))" \
	jqok --argjson v "$V" '.version == $v + 1 and (.deltas | length) >= 1' \
	<<<"$(grep -m1 '^data: ' "$T_DIR/sse.txt" | sed 's/^data: //')"
stop_proc sse
check "deltas with wait=0 return the same change at once" \
	jqok --argjson v "$V" '.version == $v + 1 and (.deltas | length) >= 1' \
	<<<"$(api "/api/v1/fabric/subnets/spoke-a/app/deltas?after=$V")"
START=$(date +%s%N)
R=$(api "/api/v1/fabric/subnets/spoke-a/app/deltas?after=$((V + 1))&wait=1")
EL=$((($(date +%s%N) - START) / 1000000))
check "a long poll with no change answers after the wait with no deltas (${EL} ms)" \
	jqok --argjson v "$V" --argjson el "$EL" '.version == $v + 1 and .deltas == [] and $el >= 900' <<<"$R"
check_eq "deltas after a version older than the log: 410" "$(code '/api/v1/fabric/subnets/spoke-a/app/deltas?after=0')" 410
check "the 410 says 'version too old' and gives the current version" \
	jqok --argjson v "$V" '.error == "version too old" and .version == $v + 1' "$T_DIR/body.json"
check_eq "deltas after a version newer than the current one: 410" \
	"$(code "/api/v1/fabric/subnets/spoke-a/app/deltas?after=$((V + 100))")" 410
check_eq "deltas of an unknown subnet: 404" "$(code '/api/v1/fabric/subnets/spoke-a/nope/deltas?after=1')" 404
check_match "a stream after a too-old version says resync" \
	"$(nsx rs curl -s -N --max-time 5 "http://$API/api/v1/fabric/subnets/spoke-a/app/stream?after=0")" '^event: resync'
check "vm-a1 now has $ONPREM via nva-1 only" \
	eff_has vm-a1 ".prefix == \"$ONPREM\" and .next_hop_ips == [\"$NVA1\"]"

# ---------------------------------------------------------- ack, agents
ACK='{"agent":"host-a1","version":'$((V + 1))'}'
check_eq "ack without a token: 401" \
	"$(code /api/v1/fabric/subnets/spoke-a/app/ack -X POST -d "$ACK")" 401
check_eq "ack with a wrong token: 401" \
	"$(code /api/v1/fabric/subnets/spoke-a/app/ack -X POST -d "$ACK" -H 'Authorization: Bearer nope')" 401
check_eq "ack with the token: 200" \
	"$(code /api/v1/fabric/subnets/spoke-a/app/ack -X POST -d "$ACK" -H "Authorization: Bearer $(cat "$TOKEN")")" 200
check_eq "ack with a bad body: 400" \
	"$(code /api/v1/fabric/subnets/spoke-a/app/ack -X POST -d '{"agent":1}' -H "Authorization: Bearer $(cat "$TOKEN")")" 400
check "GET /api/v1/fabric/agents lists the ack" \
	jqok --argjson v "$((V + 1))" 'any(.agents[]; .agent == "host-a1" and .vnet == "spoke-a" and
		.subnet == "app" and .version == $v and .healthy and .failed == 0 and
		(.acked_at | test("^[0-9-]{10}T[0-9:]{8}\\.[0-9]{3}Z$")))' \
	<<<"$(pctl show agents)"
check_match "pharosctl show agents" "$(nsx rs "$PHAROSCTL" -s "http://$API" show agents)" "host-a1 +spoke-a/app +$((V + 1)) +0 +0 +ok"
# An agent whose ack says some routes failed is shown unhealthy, with why.
ACKF="{\"agent\":\"host-a2\",\"version\":$((V + 1)),\"failed\":3,\"error\":\"RTNETLINK answers: No such device\"}"
check_eq "an ack with failures: 200" \
	"$(code /api/v1/fabric/subnets/spoke-a/app/ack -X POST -d "$ACKF" -H "Authorization: Bearer $(cat "$TOKEN")")" 200
check "GET /api/v1/fabric/agents marks it unhealthy with its failures" \
	jqok 'any(.agents[]; .agent == "host-a2" and (.healthy | not) and .failed == 3 and
		.error == "RTNETLINK answers: No such device")' <<<"$(pctl show agents)"
check_match "pharosctl show agents says so" "$(nsx rs "$PHAROSCTL" -s "http://$API" show agents)" \
	"host-a2 +spoke-a/app +$((V + 1)) +0 +3 +unhealthy.*"$'\n'".*1 unhealthy"

# ---------------------------------------------------------- shutdown
start_in poll2 rs curl -s --max-time 30 -o /dev/null -w '%{http_code}' \
	"http://$API/api/v1/fabric/subnets/spoke-a/app/deltas?after=$((V + 1))&wait=30"
polls_held() { [ "$(metrics_of rs "$API" | metric_value pharos_api_long_polls_held)" = "$1" ]; }
check_wait "a long poll is held before the shutdown (pharos_api_long_polls_held 1)" 10 polls_held 1
check "pharosd exits 0 on SIGTERM with a long poll held" pharosd_stop
poll2_done() { ! alive poll2; }
check_wait "the held long poll was answered or closed at the shutdown, not left to time out" 5 poll2_done
check "pharosd stderr has no sanitizer report" sanitizer_clean "$T_DIR/pharosd.log"
t_done
