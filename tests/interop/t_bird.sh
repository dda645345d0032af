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
ix_bird_conf "$T_DIR/bird.conf" all
start_in bird nva bird -f -c "$T_DIR/bird.conf" -s "$T_DIR/bird.ctl"
ix_start_nva2

ix_check_sessions bird
check_wait "BIRD shows both sessions Established" 10 \
	eval 'bird_established pharos_v4 && bird_established pharos_v6'
ix_check_learned bird
ix_check_ecmp bird
ix_check_received BIRD bird_routes

ix_bird_conf "$T_DIR/bird.conf" reduced
check "birdc configure (withdraw one prefix per family)" \
	eval 'birdc_ configure | grep -q Reconfigur'
ix_check_withdrawn bird
ix_finish
check_wait "BIRD got pharosd's shutdown communication (RFC 8203)" 5 \
	grep -q 'pharos_v4: Received: Administrative shutdown: "pharosd shutting down"' \
	"$T_DIR/bird-daemon.log"
check "BIRD stops cleanly" stop_proc bird
t_done
