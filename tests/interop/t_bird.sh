#!/bin/bash
# t_bird.sh - interop with BIRD 2 as an NVA: sessions over IPv4 and IPv6
# transport, routes both ways (BIRD's prefixes reach pharosd with the right
# next hop and AS path; pharosd's originated prefixes and the other NVA's
# routes reach BIRD with 65515 first), ECMP with the other NVA, a
# withdrawal via reconfiguration, a capture of what pharosd sent checked
# with tshark, and the shutdown communication BIRD gets when pharosd stops.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_bin bird birdc

# bird_conf FILE all|reduced: BIRD's config; "reduced" drops the second
# prefix of each family (the withdrawal step).
bird_conf() {
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

birdc_() { nsx nva birdc -s "$T_DIR/bird.ctl" "$@"; }

# bird_routes: BIRD's BGP routes as "PREFIX|NEXT_HOP|AS PATH" lines.
bird_routes() {
	{ birdc_ show route all table master4; birdc_ show route all table master6; } | awk '
		function flush() {
			if (pfx != "" && bgp) print pfx "|" nh "|" ap
			nh = ""; ap = ""; bgp = 0
		}
		/^[0-9a-f:.]+\/[0-9]+ / { flush(); pfx = $1; next }
		/^[ \t]+[a-z]+ \[/ { flush(); next }
		/^[ \t]+BGP\.next_hop:/ { nh = $2 }
		/^[ \t]+BGP\.as_path:/ { sub(/^[ \t]+BGP\.as_path:[ \t]*/, ""); ap = $0; bgp = 1 }
		END { flush() }'
}

bird_established() { birdc_ show protocols "$1" | grep -q Established; }

ix_topology
ix_start_pharos bird
bird_conf "$T_DIR/bird.conf" all
start_in bird nva bird -f -c "$T_DIR/bird.conf" -s "$T_DIR/bird.ctl"
ix_start_nva2

ix_check_sessions bird
check_wait "BIRD shows both sessions Established" 10 \
	eval 'bird_established pharos_v4 && bird_established pharos_v6'
ix_check_learned bird
ix_check_ecmp bird
ix_check_received BIRD bird_routes

bird_conf "$T_DIR/bird.conf" reduced
check "birdc configure (withdraw one prefix per family)" \
	eval 'birdc_ configure | grep -q Reconfigur'
ix_check_withdrawn bird
ix_finish
check_wait "BIRD got pharosd's shutdown communication (RFC 8203)" 5 \
	grep -q 'pharos_v4: Received: Administrative shutdown: "pharosd shutting down"' \
	"$T_DIR/bird-daemon.log"
check "BIRD stops cleanly" stop_proc bird
t_done
