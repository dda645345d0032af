#!/bin/bash
# t_rs_ecmp_bird.sh - route-server decision and withdrawal proven with two
# real BIRD NVAs (DESIGN 1.2): both announce the same prefix with AS paths
# of equal length and pharosd's loc-RIB holds both as one ECMP set (one
# best); one BIRD then prepends its ASN and only the shorter path stays
# ECMP/best; finally that BIRD is killed and its routes leave pharosd's
# loc-RIB and every other peer (a pharos-peer monitor and the surviving
# BIRD), while the shared prefix moves to the survivor.
#
#   rs  (pharosd, AS 65515)  br0  198.18.1.1/24
#   b1  (BIRD, AS 65001)     eth0 198.18.1.2/24  shared + 198.19.201.0/24
#   b2  (BIRD, AS 65002)     eth0 198.18.1.3/24  shared + 198.19.202.0/24
#   mon (pharos-peer, 65003) eth0 198.18.1.4/24  announces nothing
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_bin bird birdc "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER" jq

RS=198.18.1.1 B1=198.18.1.2 B2=198.18.1.3 MON=198.18.1.4
API=127.0.0.1:8179
SHARED=198.19.200.0/24 U1=198.19.201.0/24 U2=198.19.202.0/24
HUB=198.18.100.0/24

# bird_conf N ADDR ASN UNIQUE PREPEND(0|1): BIRD N's config; with PREPEND
# the shared prefix leaves with the ASN prepended once more.
bird_conf() {
	local n=$1 addr=$2 asn=$3 uniq=$4 pre=""
	[ "$5" = 1 ] && pre="if net = $SHARED then bgp_path.prepend($asn);"
	cat >"$T_DIR/$n.conf" <<CONF
router id $addr;
log "$T_DIR/$n-daemon.log" all;
protocol device { }
protocol static {
	ipv4;
	route $SHARED blackhole;
	route $uniq blackhole;
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
		export filter { if source != RTS_STATIC then reject; $pre accept; };
	};
}
CONF
}

birdc_() { local n=$1; shift; nsx "$n" birdc -s "$T_DIR/$n.ctl" "$@"; }
bird_established() { birdc_ "$1" show protocols pharos | grep -q Established; }
# bird_has N PREFIX: BIRD N holds PREFIX learned over BGP.
bird_has() { birdc_ "$1" show route "$2" protocol pharos | grep -q "^$2 "; }
bird_lacks() { ! bird_has "$@"; }

# best_nh PREFIX: next hop of the best path in pharosd's loc-RIB.
best_nh() { route_paths "$1" | jq -r 'select(.best == true) | .next_hop'; }
best_is() { [ "$(best_nh "$1")" = "$2" ]; }

# ecmp_pair PREFIX: two paths, both ECMP, exactly one best.
ecmp_pair() {
	route_paths "$1" | jq -e -s 'length == 2 and all(.[]; .ecmp == true) and
		([.[] | select(.best == true)] | length) == 1' >/dev/null
}

# single_best PREFIX NH: two paths; only the one via NH is ECMP and best.
single_best() {
	route_paths "$1" | jq -e -s --arg nh "$2" 'length == 2 and
		([.[] | select(.ecmp == true)] | length) == 1 and
		([.[] | select(.best == true)] | length) == 1 and
		all(.[]; (.next_hop == $nh) == (.best and .ecmp))' >/dev/null
}

gone() { ! route_paths "$1" | grep -q .; }
only_from() { route_paths "$1" | jq -e -s --arg p "$2" 'length == 1 and .[0].peer == $p and .[0].best' >/dev/null; }

# mon_last PREFIX: the last thing the monitor heard about PREFIX, as
# "announce NH PATH" or "withdraw".
mon_last() {
	grep '^{' "$T_DIR/mon.log" | jq -r -s --arg p "$1" '
		[.[] | select(.type == "update") |
		 ((.announce[]? | select(.prefix == $p) | "announce \(.next_hop) \(.as_path | map(tostring) | join(" "))"),
		  (.withdraw[]? | select(. == $p) | "withdraw"))] | last // ""'
}
mon_last_is() { [ "$(mon_last "$1")" = "$2" ]; }

ns_create rs b1 b2 mon
ns_lan rs br0 b1 b2 mon
ns_addr rs br0 "$RS/24"
ns_addr b1 eth0 "$B1/24"
ns_addr b2 eth0 "$B2/24"
ns_addr mon eth0 "$MON/24"

CONF=$T_DIR/pharosd.yaml
pharos_conf_begin "$CONF" asn=65515 router_id=$RS listen=$RS hold_time=30 keepalive=10
pharos_conf_peer "$CONF" b1 nva "$B1" 65001
pharos_conf_peer "$CONF" b2 nva "$B2" 65002
pharos_conf_peer "$CONF" mon nva "$MON" 65003 passive=true
pharos_conf_api "$CONF" "$API"
pharos_conf_vnet "$CONF" hub "$HUB"
pharosd_start rs "$CONF" "$API"

bird_conf b1 "$B1" 65001 "$U1" 0
bird_conf b2 "$B2" 65002 "$U2" 0
start_in b1 b1 bird -f -c "$T_DIR/b1.conf" -s "$T_DIR/b1.ctl"
start_in b2 b2 bird -f -c "$T_DIR/b2.conf" -s "$T_DIR/b2.ctl"
start_in mon mon stdbuf -oL "$PHAROS_PEER" -a 65003 -R 65515 -b "$MON" -o json "$RS"

check_wait "b1 (BIRD) session established" 30 peer_established b1
check_wait "b2 (BIRD) session established" 20 peer_established b2
check_wait "monitor (pharos-peer) session established" 10 peer_established mon
check_wait "both BIRDs report Established" 10 eval 'bird_established b1 && bird_established b2'

# --- 1. equal AS-path lengths: one ECMP set of two, one best
check_wait "pharosd holds $SHARED from b1 (path 65001)" 15 route_has "$SHARED" b1 "$B1" 65001
check_wait "pharosd holds $SHARED from b2 (path 65002)" 10 route_has "$SHARED" b2 "$B2" 65002
check "both paths of $SHARED are ECMP members, exactly one best" ecmp_pair "$SHARED"
check_eq "loc-RIB reports an ECMP set of 2 for $SHARED" \
	"$(pctl show routes "$SHARED" | jq -r --arg p "$SHARED" '.routes[] | select(.prefix == $p) | .ecmp_paths')" 2
check_wait "monitor received $U1 from b1 via pharosd" 10 mon_last_is "$U1" "announce $B1 65515 65001"
check_wait "monitor received $U2 from b2 via pharosd" 10 mon_last_is "$U2" "announce $B2 65515 65002"
check_wait "b2 (BIRD) received b1's $U1 via pharosd" 10 bird_has b2 "$U1"
check_wait "b1 (BIRD) received b2's $U2 via pharosd" 10 bird_has b1 "$U2"

# --- 2. b2 prepends its ASN: b1's shorter path alone is ECMP and best
bird_conf b2 "$B2" 65002 "$U2" 1
check "birdc configure on b2 (prepend 65002 to $SHARED)" \
	eval 'birdc_ b2 configure | grep -q Reconfigur'
check_wait "pharosd holds $SHARED from b2 with path 65002 65002" 15 \
	route_has "$SHARED" b2 "$B2" "65002 65002"
check "only b1's shorter path of $SHARED is ECMP and best" single_best "$SHARED" "$B1"
check_eq "loc-RIB reports an ECMP set of 1 for $SHARED" \
	"$(pctl show routes "$SHARED" | jq -r --arg p "$SHARED" '.routes[] | select(.prefix == $p) | .ecmp_paths')" 1
check_wait "monitor's $SHARED is b1's path" 10 mon_last_is "$SHARED" "announce $B1 65515 65001"

# --- 3. kill b1: its routes leave pharosd and every other peer
b1_pid=$(pid_of b1)
stop_proc b1 KILL 5 2>/dev/null
check "b1 (BIRD, pid $b1_pid) was killed (SIGKILL, no NOTIFICATION)" eval '! kill -0 '"$b1_pid"' 2>/dev/null'
check_wait "pharosd sees b1's session down" 45 eval '! peer_established b1'
check_wait "b1's $U1 is gone from pharosd's loc-RIB" 10 gone "$U1"
check_wait "$SHARED now has b2's path alone, best" 10 only_from "$SHARED" b2
check "b2's path of $SHARED is the one left (next hop $B2)" best_is "$SHARED" "$B2"
check_wait "monitor received the withdrawal of $U1" 10 mon_last_is "$U1" withdraw
check_wait "monitor's $SHARED moved to b2 (path 65515 65002 65002)" 10 \
	mon_last_is "$SHARED" "announce $B2 65515 65002 65002"
check "monitor still holds $U2 from b2" mon_last_is "$U2" "announce $B2 65515 65002"
check_wait "b2 (BIRD) no longer holds $U1" 10 bird_lacks b2 "$U1"
check "b2 stayed established throughout" peer_established b2

check "pharosd exits 0 on SIGTERM" pharosd_stop
check "pharosd stderr has no sanitizer report" sanitizer_clean "$T_DIR/pharosd.log"
check "b2 (BIRD) stops cleanly" stop_proc b2
t_done
