#!/bin/bash
# t_nexthop.sh - third-party next hops in the fabric: pharos-peer NVAs
# announce routes whose next hop is inside a VNet (Active), outside every
# VNet (Invalid with a reason, an event and a metric), a load balancer's
# frontend whose health is up (Active; trace follows it to a backend) or
# down (Invalid). A reload with allow_external_next_hops: true makes the
# outside one Active. Runs in a namespace of its own.
. "$(dirname "$0")/../lib.sh"

need_bin "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER" jq curl
PORT=1793
API=127.0.0.1:18193
CONF=$T_DIR/pharosd.yaml
TOKEN=$T_DIR/api.token
echo "nexthop-token-$$" >"$TOKEN"
NVA1=198.18.0.10 NVA2=198.18.0.11 LB_UP=198.18.0.100 LB_DOWN=198.18.0.101
OUTSIDE=198.19.250.9
P_IN=198.19.200.0/24 P_OUT=198.19.201.0/24 P_LB=198.19.202.0/24 P_LBD=198.19.203.0/24

write_conf() { # write_conf ALLOW_EXTERNAL
	pharos_conf_begin "$CONF" asn=65515 router_id=198.18.0.1 listen=127.0.0.1 \
		port=$PORT hold_time=30 keepalive=10
	pharos_conf_peer "$CONF" nva-in nva 127.0.0.2 65001 passive=true
	pharos_conf_peer "$CONF" nva-out nva 127.0.0.3 65002 passive=true
	pharos_conf_peer "$CONF" nva-lb nva 127.0.0.4 65003 passive=true
	pharos_conf_peer "$CONF" nva-lbd nva 127.0.0.5 65004 passive=true
	pharos_conf_api "$CONF" "$API" "$TOKEN"
	cat >>"$CONF" <<EOC
fabric:
  allow_external_next_hops: $1
  load_balancers:
    - {name: ilb-fw, vnet: hub, frontend_ip: $LB_UP, backends: [$NVA1, $NVA2], health: up}
    - {name: ilb-old, vnet: hub, frontend_ip: $LB_DOWN, backends: [$NVA1], health: down}
  vnets:
    - name: hub
      hub: true
      address_space: [198.18.0.0/24]
      subnets: [{name: nva, prefix: 198.18.0.0/25}]
      nics:
        - {name: fw-1, subnet: nva, ip: $NVA1}
        - {name: fw-2, subnet: nva, ip: $NVA2}
    - name: spoke
      address_space: [198.19.1.0/24]
      peerings: [{remote: hub, use_remote_gateways: true}]
      subnets: [{name: app, prefix: 198.19.1.0/26}]
      nics: [{name: vm-1, subnet: app, ip: 198.19.1.4}]
EOC
}

ns_create rs
write_conf false
check "pharosd -p prints the load balancers and allow_external_next_hops" \
	bash -c "'$PHAROSD' -p -c '$CONF' | grep -q 'allow_external_next_hops: false' &&
		'$PHAROSD' -p -c '$CONF' | grep -q 'name: ilb-fw, vnet: hub, frontend_ip: $LB_UP, backends: \[$NVA1, $NVA2\], health: up'"
pharosd_start rs "$CONF" "$API"

# nva NAME ASN BIND NEXT_HOP PREFIX: a pharos-peer NVA announcing PREFIX.
nva() {
	start_in "$1" rs stdbuf -oL "$PHAROS_PEER" -a "$2" -R 65515 -b "$3" \
		-n "$4" -o none -A "$5" 127.0.0.1 $PORT
}
nva nva-in 65001 127.0.0.2 $NVA1 $P_IN
nva nva-out 65002 127.0.0.3 $OUTSIDE $P_OUT
nva nva-lb 65003 127.0.0.4 $LB_UP $P_LB
nva nva-lbd 65004 127.0.0.5 $LB_DOWN $P_LBD
for p in nva-in nva-out nva-lb nva-lbd; do
	check_wait "$p established" 20 peer_established $p
done

eff() { pctl show effective-routes vm-1; }
eff_has() { eff | jq -e "any(.routes[]; $1)" >/dev/null 2>&1; }
bgp() { echo ".prefix == \"$1\" and .source == \"VirtualNetworkGateway\" and .next_hop_ips == [\"$2\"]"; }

check_wait "$P_IN via $NVA1 (inside the hub) is Active" 15 \
	eff_has "$(bgp $P_IN $NVA1) and .state == \"Active\""
check_wait "$P_OUT via $OUTSIDE (outside every VNet) is Invalid with its reason" 15 \
	eff_has "$(bgp $P_OUT $OUTSIDE) and .state == \"Invalid\" and
		.reason == \"not installed: next hop outside every VNet address space\""
check_wait "$P_LB via load balancer ilb-fw (health up) is Active" 15 \
	eff_has "$(bgp $P_LB $LB_UP) and .state == \"Active\""
check_wait "$P_LBD via load balancer ilb-old (health down) is Invalid with its reason" 15 \
	eff_has "$(bgp $P_LBD $LB_DOWN) and .state == \"Invalid\" and
		.reason == \"not installed: next hop is a load balancer whose health is down\""
HUMAN=$(nsx rs "$PHAROSCTL" -s "http://$API" show effective-routes vm-1)
check_match "pharosctl show effective-routes shows $P_OUT Invalid with the reason" \
	"$HUMAN" "Invalid +$P_OUT +VirtualNetworkGateway +$OUTSIDE +not installed: next hop outside every VNet"
check_match "... and $P_IN Active" "$HUMAN" "Active +$P_IN +VirtualNetworkGateway +$NVA1"

ev_has() { pctl show events | jq -e --arg p "$1" --arg n "$2" \
	'any(.events[]; .type == "next_hop_invalid" and .prefix == $p and .next_hop == $n and (.reason | length) > 0)' >/dev/null; }
check_wait "a next_hop_invalid event names $P_OUT and $OUTSIDE" 10 ev_has $P_OUT $OUTSIDE
check "a next_hop_invalid event names $P_LBD and $LB_DOWN" ev_has $P_LBD $LB_DOWN
check_eq "pharos_fabric_invalid_next_hops is 2" \
	"$(metrics_of rs "$API" | metric_value pharos_fabric_invalid_next_hops)" 2

# a trace to the load balancer's prefix goes on to one of its backends
TR=$(pctl trace vm-1 198.19.202.7)
diag "$TR"
check "trace vm-1 -> $P_LB: the first hop's note names ilb-fw and the backend the flow hash picks" \
	jq -e '.hops[0].chosen == "'$LB_UP'" and (.hops[0].note | test("load balancer ilb-fw .*picks backend 198.18.0.1[01] of 2"))' <<<"$TR"
check "trace vm-1 -> $P_LB: the second hop is that backend (fw-1 or fw-2) and the walk leaves there" \
	jq -e '(.hops[1].at == "fw-1" or .hops[1].at == "fw-2") and .result == "left-fabric"' <<<"$TR"
TRD=$(pctl trace vm-1 198.19.201.7)
check "trace vm-1 -> $P_OUT: the Invalid route is not used (Internet via the system route)" \
	jq -e '.hops[0].route.prefix == "0.0.0.0/0" and .hops[0].route.next_hop_type == "Internet"' <<<"$TRD"

# allow_external_next_hops: true (reload) makes the outside next hop Active
write_conf true
check "reload with allow_external_next_hops: true" pctl -t "$TOKEN" reload
check_wait "$P_OUT via $OUTSIDE is Active once external next hops are allowed" 15 \
	eff_has "$(bgp $P_OUT $OUTSIDE) and .state == \"Active\""
check "$P_LBD (load balancer down) stays Invalid" \
	eff_has "$(bgp $P_LBD $LB_DOWN) and .state == \"Invalid\""
check_eq "pharos_fabric_invalid_next_hops is 1" \
	"$(metrics_of rs "$API" | metric_value pharos_fabric_invalid_next_hops)" 1

check "pharosd exits 0 on SIGTERM" pharosd_stop
check "pharosd stderr has no sanitizer report" sanitizer_clean "$T_DIR/pharosd.log"
t_done
