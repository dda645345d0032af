#!/bin/bash
# t_rs_gateways.sh - routing preference by peer kind and branch-to-branch
# (DESIGN 1.2) proven with two real BIRD daemons as an ExpressRoute gateway
# and a VPN gateway, plus a pharos-peer NVA:
#   - both gateways announce aggregate A (ER path length 2, VPN 4) and
#     aggregate B (ER 4, VPN 2);
#   - routing_preference expressroute: ER's path is best for A and B, even
#     where it is the longer one;
#   - branch_to_branch false: the NVA's prefix never reaches the gateways
#     (checked in BIRD's own RIBs, which do hold pharosd's hub prefix);
#   - reload (SIGHUP) with routing_preference aspath and branch_to_branch
#     true: A stays with ER, B moves to VPN (shortest path), and the NVA's
#     prefix now reaches both gateways;
#   - the ER daemon stops: the VPN's paths take over A and B.
#
#   rs  (pharosd, AS 65515)   br0  198.18.1.1/24
#   er  (BIRD, AS 65010)      eth0 198.18.1.2/24  expressroute_gateway
#   vpn (BIRD, AS 65020)      eth0 198.18.1.3/24  vpn_gateway
#   nva (pharos-peer, 65003)  eth0 198.18.1.4/24  nva
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_bin bird birdc "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER" jq

RS=198.18.1.1 ER=198.18.1.2 VPN=198.18.1.3 NVA=198.18.1.4
API=127.0.0.1:8179
AGG_A=198.19.0.0/17 AGG_B=198.19.128.0/17
NVA_PFX=198.18.64.0/24 HUB=198.18.100.0/24
CONF=$T_DIR/pharosd.yaml

# bird_conf NAME ADDR ASN PREPEND_A PREPEND_B: a gateway announcing both
# aggregates, each with the ASN prepended that many extra times.
bird_conf() {
	local n=$1 addr=$2 asn=$3 i f=""
	for ((i = 0; i < $4; i++)); do f="$f if net = $AGG_A then bgp_path.prepend($asn);"; done
	for ((i = 0; i < $5; i++)); do f="$f if net = $AGG_B then bgp_path.prepend($asn);"; done
	cat >"$T_DIR/$n.conf" <<CONF
router id $addr;
log "$T_DIR/$n-daemon.log" all;
protocol device { }
protocol static {
	ipv4;
	route $AGG_A blackhole;
	route $AGG_B blackhole;
}
protocol bgp pharos {
	local $addr as $asn;
	neighbor $RS as 65515;
	connect delay time 1;
	connect retry time 2;
	hold time 30;
	strict bind on;
	ipv4 {
		import all;
		export filter { if source != RTS_STATIC then reject;$f accept; };
	};
}
CONF
}

# write_conf PREFERENCE BRANCH_TO_BRANCH: pharosd's config.
write_conf() {
	pharos_conf_begin "$CONF" asn=65515 router_id=$RS listen=$RS hold_time=30 \
		keepalive=10 routing_preference="$1" branch_to_branch="$2"
	pharos_conf_peer "$CONF" er expressroute_gateway "$ER" 65010
	pharos_conf_peer "$CONF" vpn vpn_gateway "$VPN" 65020
	pharos_conf_peer "$CONF" nva nva "$NVA" 65003 passive=true
	pharos_conf_api "$CONF" "$API"
	pharos_conf_vnet "$CONF" hub "$HUB"
}

birdc_() { local n=$1; shift; nsx "$n" birdc -s "$T_DIR/$n.ctl" "$@"; }
bird_established() { birdc_ "$1" show protocols pharos | grep -q Established; }
# bird_has N PREFIX: BIRD N holds PREFIX learned over BGP from pharosd.
bird_has() { birdc_ "$1" show route "$2" protocol pharos | grep -q "^$2 "; }

best_nh() { route_paths "$1" | jq -r 'select(.best == true) | .next_hop'; }
best_is() { [ "$(best_nh "$1")" = "$2" ]; }
both_best() { best_is "$AGG_A" "$1" && best_is "$AGG_B" "$2"; }
# nva_got PREFIX NH: the NVA's last announcement of PREFIX has next hop NH.
nva_got() {
	[ "$(grep '^{' "$T_DIR/nva.log" | jq -r -s --arg p "$1" '[.[] | select(.type == "update") |
		.announce[]? | select(.prefix == $p) | .next_hop] | last // ""')" = "$2" ]
}
events() { nsx rs curl -sf "http://$API/api/v1/events?type=$1"; }

ns_create rs er vpn nva
ns_lan rs br0 er vpn nva
ns_addr rs br0 "$RS/24"
ns_addr er eth0 "$ER/24"
ns_addr vpn eth0 "$VPN/24"
ns_addr nva eth0 "$NVA/24"

write_conf expressroute false
pharosd_start rs "$CONF" "$API"
bird_conf er "$ER" 65010 1 3
bird_conf vpn "$VPN" 65020 3 1
start_in er er bird -f -c "$T_DIR/er.conf" -s "$T_DIR/er.ctl"
start_in vpn vpn bird -f -c "$T_DIR/vpn.conf" -s "$T_DIR/vpn.ctl"
start_in nva nva stdbuf -oL "$PHAROS_PEER" -a 65003 -R 65515 -b "$NVA" -o json -A "$NVA_PFX" "$RS"

check_wait "ER gateway (BIRD) session established" 30 peer_established er
check_wait "VPN gateway (BIRD) session established" 20 peer_established vpn
check_wait "NVA (pharos-peer) session established" 10 peer_established nva
check_wait "both BIRDs report Established" 10 eval 'bird_established er && bird_established vpn'
check_wait "pharosd holds $AGG_A from ER (path length 2)" 15 route_has "$AGG_A" er "$ER" "65010 65010"
check_wait "pharosd holds $AGG_A from VPN (path length 4)" 10 route_has "$AGG_A" vpn "$VPN" "65020 65020 65020 65020"
check_wait "pharosd holds $AGG_B from ER (path length 4)" 10 route_has "$AGG_B" er "$ER" "65010 65010 65010 65010"
check_wait "pharosd holds $AGG_B from VPN (path length 2)" 10 route_has "$AGG_B" vpn "$VPN" "65020 65020"
check_wait "pharosd holds the NVA's $NVA_PFX" 10 route_has "$NVA_PFX" nva "$NVA" 65003

# --- routing_preference expressroute, branch_to_branch false
check "expressroute preference: ER best for $AGG_A (shorter)" best_is "$AGG_A" "$ER"
check "expressroute preference: ER best for $AGG_B (longer path, still preferred)" best_is "$AGG_B" "$ER"
check "the VPN's shorter $AGG_B path is not ECMP beside ER's" \
	eval "! route_paths $AGG_B | jq -e 'select(.next_hop == \"$VPN\") | .ecmp' >/dev/null"
check_wait "the NVA received $AGG_A and $AGG_B via ER" 10 eval "nva_got $AGG_A $ER && nva_got $AGG_B $ER"
check_wait "ER gateway received pharosd's hub prefix $HUB (control)" 10 bird_has er "$HUB"
check_wait "VPN gateway received pharosd's hub prefix $HUB (control)" 10 bird_has vpn "$HUB"
check_never "branch_to_branch false: ER gateway never receives the NVA's $NVA_PFX" 3 bird_has er "$NVA_PFX"
check_never "branch_to_branch false: VPN gateway never receives the NVA's $NVA_PFX" 1 bird_has vpn "$NVA_PFX"
check_eq "pharosd's adj-out for ER lacks $NVA_PFX" \
	"$(pctl show adj-out er | jq --arg p "$NVA_PFX" '[.routes[]? | select(.prefix == $p)] | length')" 0
flaps_before=$(peer_field er flaps)

# --- reload: routing_preference aspath, branch_to_branch true
write_conf aspath true
check "SIGHUP to pharosd (reload)" kill -HUP "$(pid_of pharosd)"
check_wait "a reload event was recorded" 10 eval 'events reload | jq -e ".events | length > 0" >/dev/null'
check_wait "aspath preference: VPN best for $AGG_B (shortest path)" 15 best_is "$AGG_B" "$VPN"
check "aspath preference: ER still best for $AGG_A (shortest path)" best_is "$AGG_A" "$ER"
check_wait "the NVA's $AGG_B moved to the VPN's next hop" 10 nva_got "$AGG_B" "$VPN"
check_wait "branch_to_branch true: ER gateway receives the NVA's $NVA_PFX" 15 bird_has er "$NVA_PFX"
check_wait "branch_to_branch true: VPN gateway receives the NVA's $NVA_PFX" 10 bird_has vpn "$NVA_PFX"
check_eq "the reload did not reset ER's session" "$(peer_field er flaps)" "$flaps_before"

# --- ER stops: the VPN's paths take over
check "ER gateway (BIRD) stops" stop_proc er
check_wait "pharosd sees ER's session down" 15 eval '! peer_established er'
check_wait "VPN best for $AGG_A and $AGG_B once ER is gone" 10 both_best "$VPN" "$VPN"
check "no path from ER is left for $AGG_A" eval "! route_from $AGG_A er"
check_wait "the NVA's $AGG_A moved to the VPN's next hop" 10 nva_got "$AGG_A" "$VPN"

check "pharosd exits 0 on SIGTERM" pharosd_stop
check "pharosd stderr has no sanitizer report" sanitizer_clean "$T_DIR/pharosd.log"
check "VPN gateway (BIRD) stops cleanly" stop_proc vpn
t_done
