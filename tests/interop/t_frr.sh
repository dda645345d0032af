#!/bin/bash
# t_frr.sh - interop with FRRouting (zebra + bgpd) as an NVA: sessions
# over IPv4 and IPv6 transport, routes both ways checked on both sides
# (pharosctl and vtysh), a withdrawal with "no network", and a capture of
# what pharosd sent checked with tshark.
#
# zebra runs beside bgpd (in the NVA's own namespace, with its own sockets):
# without it bgpd knows no interface and treats any IPv6 UPDATE carrying a
# link-local next hop as a withdrawal, which would hide real behaviour.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
FRR_BGPD=${FRR_BGPD:-/usr/lib/frr/bgpd}
FRR_ZEBRA=${FRR_ZEBRA:-/usr/lib/frr/zebra}
need_bin "$FRR_BGPD" "$FRR_ZEBRA" vtysh

FRR_DIR=$T_DIR/frr

# frr_conf FILE: bgpd's config (bgpd runs as user frr: the directory and
# file are made readable and writable by it).
frr_conf() {
	local p
	{
		cat <<CONF
frr defaults traditional
hostname nva
log file $FRR_DIR/bgpd.log debugging
debug bgp updates
debug bgp neighbor-events
!
router bgp $IX_D_ASN
 bgp router-id $IX_D4
 no bgp ebgp-requires-policy
 no bgp network import-check
 no bgp default ipv4-unicast
 neighbor $IX_RS4 remote-as $IX_RS_ASN
 neighbor $IX_RS4 update-source $IX_D4
 neighbor $IX_RS4 disable-connected-check
 neighbor $IX_RS4 timers connect 2
 neighbor $IX_RS6 remote-as $IX_RS_ASN
 neighbor $IX_RS6 update-source $IX_D6
 neighbor $IX_RS6 disable-connected-check
 neighbor $IX_RS6 timers connect 2
 address-family ipv4 unicast
CONF
		for p in "${IX_D4_ROUTES[@]}"; do echo "  network $p"; done
		cat <<CONF
  neighbor $IX_RS4 activate
 exit-address-family
 address-family ipv6 unicast
CONF
		for p in "${IX_D6_ROUTES[@]}"; do echo "  network $p"; done
		cat <<CONF
  neighbor $IX_RS6 activate
 exit-address-family
!
CONF
	} >"$1"
}

vty() { nsx nva vtysh --vty_socket "$FRR_DIR" "$@"; }

# frr_routes: bgpd's received routes as "PREFIX|NEXT_HOP|AS PATH" lines.
frr_routes() {
	local af
	for af in ipv4 ipv6; do
		vty -c "show bgp $af unicast json" | jq -r '
			.routes // {} | to_entries[] | .key as $p | .value[] |
			select(.path != "") |
			"\($p)|\(.nexthops[0].ip)|\(.path)"'
	done
}

# frr_established ADDR
frr_established() {
	[ "$(vty -c "show bgp neighbors $1 json" 2>/dev/null | jq -r --arg a "$1" '.[$a].bgpState')" = Established ]
}

ix_topology
ix_start_pharos frr
mkdir -p "$FRR_DIR"
frr_conf "$FRR_DIR/bgpd.conf"
echo "hostname nva" >"$FRR_DIR/zebra.conf"
chown -R frr:frr "$FRR_DIR"
start_in zebra nva "$FRR_ZEBRA" -f "$FRR_DIR/zebra.conf" -i "$FRR_DIR/zebra.pid" \
	--vty_socket "$FRR_DIR" -z "$FRR_DIR/zserv.api"
wait_until 10 test -S "$FRR_DIR/zserv.api" || bail "zebra started"
start_in frr nva "$FRR_BGPD" -f "$FRR_DIR/bgpd.conf" -i "$FRR_DIR/bgpd.pid" \
	--vty_socket "$FRR_DIR" -z "$FRR_DIR/zserv.api"
ix_start_nva2

ix_check_sessions frr
check_wait "FRR shows both sessions Established" 10 \
	eval 'frr_established $IX_RS4 && frr_established $IX_RS6'
ix_check_learned frr
ix_check_ecmp frr
ix_check_received FRR frr_routes

check "vtysh: no network (withdraw one prefix per family)" \
	vty -c "configure terminal" -c "router bgp $IX_D_ASN" \
	-c "address-family ipv4 unicast" -c "no network ${IX_D4_ROUTES[1]}" -c "exit-address-family" \
	-c "address-family ipv6 unicast" -c "no network ${IX_D6_ROUTES[1]}"
ix_check_withdrawn frr
ix_finish
check "FRR bgpd stops cleanly" stop_proc frr
check "zebra stops cleanly" stop_proc zebra
t_done
