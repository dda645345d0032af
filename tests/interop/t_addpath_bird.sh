#!/bin/bash
# t_addpath_bird.sh - ADD-PATH (RFC 7911) with real BIRDs, both ways.
#   receive: BIRD tx (add paths tx) announces two paths of $PTX (two
#     static protocols, MED 10 and 20); pharosd (add_path: receive) keeps
#     them apart in its adj-RIB-in: two paths from one peer, distinct
#     path_id, both in the ECMP set.
#   send: BIRD NVAs b1 and b2 announce $SHARED with equal AS-path
#     lengths; BIRD client c (add paths rx; pharosd add_path: send)
#     receives both paths of the ECMP set, as BIRD's own table shows
#     (birdc: two routes from the one session); when b2 stops, only b2's
#     path is withdrawn (by path id) and b1's stays.
#
#   rs  (pharosd, AS 65515)  br0  198.18.1.1/24
#   b1  (BIRD, AS 65001)     eth0 198.18.1.2/24  $SHARED
#   b2  (BIRD, AS 65002)     eth0 198.18.1.3/24  $SHARED
#   tx  (BIRD, AS 65003)     eth0 198.18.1.4/24  $PTX twice (add paths tx)
#   c   (BIRD, AS 65010)     eth0 198.18.1.5/24  client (add paths rx)
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_bin bird birdc "$PHAROSD" "$PHAROSCTL" jq

RS=198.18.1.1 B1=198.18.1.2 B2=198.18.1.3 TX=198.18.1.4 C=198.18.1.5
API=127.0.0.1:8179
SHARED=198.19.200.0/24 PTX=198.19.210.0/24
HUB=198.18.100.0/24

# bird_conf N ADDR ASN CHANNEL-OPTIONS STATIC-PROTOCOLS
bird_conf() { bird_rs_conf "$1" "$2" "$3" "$5" "" "$4"; }

birdc_() { local n=$1; shift; nsx "$n" birdc -s "$T_DIR/$n.ctl" "$@"; }
bird_established() { birdc_ "$1" show protocols pharos | grep -q Established; }
# bird_paths N PREFIX: how many routes BIRD N holds for PREFIX from pharosd.
bird_paths() { birdc_ "$1" show route "$2" protocol pharos | grep -c "\[pharos " || true; }
bird_paths_is() { [ "$(bird_paths "$1" "$2")" = "$3" ]; }
# bird_nh N PREFIX: the next hops BIRD N has for PREFIX, sorted, one line.
bird_nh() { birdc_ "$1" show route "$2" protocol pharos | awk '$1 == "via" { print $2 }' | sort | tr '\n' ' '; }

ns_create rs b1 b2 tx c
ns_lan rs br0 b1 b2 tx c
ns_addr rs br0 "$RS/24"
for n in b1:$B1 b2:$B2 tx:$TX c:$C; do ns_addr "${n%%:*}" eth0 "${n#*:}/24"; done

CONF=$T_DIR/pharosd.yaml
pharos_conf_begin "$CONF" asn=65515 router_id=$RS listen=$RS hold_time=30 keepalive=10
pharos_conf_peer "$CONF" b1 nva "$B1" 65001
pharos_conf_peer "$CONF" b2 nva "$B2" 65002
pharos_conf_peer "$CONF" tx nva "$TX" 65003 add_path=receive
pharos_conf_peer "$CONF" c nva "$C" 65010 add_path=send add_path_max=4
pharos_conf_api "$CONF" "$API"
mkdir -p "$T_DIR/mrt"
printf '  mrt_dir: %s\n  mrt_updates: true\n' "$T_DIR/mrt" >>"$CONF"
pharos_conf_vnet "$CONF" hub "$HUB"
pharosd_start rs "$CONF" "$API"

bird_conf b1 "$B1" 65001 "" "protocol static { ipv4; route $SHARED blackhole; }"
bird_conf b2 "$B2" 65002 "" "protocol static { ipv4; route $SHARED blackhole; }"
bird_conf tx "$TX" 65003 "add paths tx;" \
	"protocol static s1 { ipv4; route $PTX blackhole { bgp_med = 10; }; }
protocol static s2 { ipv4; route $PTX blackhole { bgp_med = 20; }; }"
bird_conf c "$C" 65010 "add paths rx;" ""
for n in b1 b2 tx c; do
	start_in "$n" "$n" bird -f -c "$T_DIR/$n.conf" -s "$T_DIR/$n.ctl"
done
for n in b1 b2 tx c; do
	check_wait "$n (BIRD) session established" 30 peer_established $n
done
check_wait "all BIRDs report Established" 10 eval \
	'bird_established b1 && bird_established b2 && bird_established tx && bird_established c'
caps() { pctl show peers | jq -r --arg n "$1" '.peers[] | select(.name == $n) | .capabilities | join(" ")'; }
check_match "tx: ADD-PATH receive negotiated for IPv4" "$(caps tx)" "add-path-receive-ipv4"
check_match "c: ADD-PATH send negotiated for IPv4" "$(caps c)" "add-path-send-ipv4"

# --- receive: two paths of one prefix from one peer stay apart
two_from_tx() {
	route_paths "$PTX" | jq -e -s 'length == 2 and all(.[]; .peer == "tx" and .ecmp) and
		(map(.path_id) | unique | length) == 2 and all(.[]; .path_id > 0) and
		(map(.med) | sort) == [10, 20]' >/dev/null
}
check_wait "pharosd holds two paths of $PTX from tx, with distinct path ids (MED 10 and 20)" 20 two_from_tx
check_eq "tx's prefixes_accepted counts both paths" \
	"$(peer_field tx prefixes_accepted)" 2
# the MRT update log marks tx's UPDATEs as ADD-PATH (RFC 8050): bgpdump
# reads both announcements of $PTX (with the MEDs), not garbage
mrt_ptx() {
	nsx rs true # the files are written by pharosd in the background
	for f in "$T_DIR"/mrt/updates.*; do [ -f "$f" ] && bgpdump -m "$f" 2>/dev/null; done |
		awk -F'|' -v p="$PTX" '$3 == "A" && $5 == "65003" && $6 == p { print $12 }' | sort -u | tr '\n' ' '
}
if command -v bgpdump >/dev/null; then
	check_wait "bgpdump reads tx's two announcements of $PTX from the MRT update log (MED 10 and 20)" 20 \
		eval '[ "$(mrt_ptx)" = "10 20 " ]'
fi

# --- send: the client sees both equal paths of $SHARED
check_wait "pharosd holds $SHARED from b1 and b2 (ECMP)" 20 eval \
	"route_paths $SHARED | jq -e -s 'length == 2 and all(.[]; .ecmp)' >/dev/null"
check_wait "BIRD client c (add paths rx) holds two routes for $SHARED" 20 bird_paths_is c "$SHARED" 2
check_eq "... via b1 and b2 (next hops unchanged)" "$(bird_nh c "$SHARED")" "$B1 $B2 "
check_wait "c also holds both paths of $PTX (same next hop, two path ids)" 10 bird_paths_is c "$PTX" 2
diag "$(birdc_ c show route all "$SHARED")"

# --- per-path withdraw: b2 stops, only its path leaves the client
birdc_ b2 disable pharos >/dev/null
check_wait "pharosd sees b2 down" 20 eval '! peer_established b2'
check_wait "c keeps one route for $SHARED" 15 bird_paths_is c "$SHARED" 1
check_eq "... the one via b1" "$(bird_nh c "$SHARED")" "$B1 "
birdc_ b2 enable pharos >/dev/null
check_wait "b2 back: c holds two routes for $SHARED again" 30 bird_paths_is c "$SHARED" 2

check "pharosd exits 0 on SIGTERM" pharosd_stop
check "pharosd stderr has no sanitizer report" sanitizer_clean "$T_DIR/pharosd.log"
for n in b1 b2 tx c; do stop_proc "$n" >/dev/null 2>&1; done
t_done
