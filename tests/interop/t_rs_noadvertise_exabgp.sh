#!/bin/bash
# t_rs_noadvertise_exabgp.sh - RFC 1997 well-known communities and default
# route refusal (DESIGN 1.2) proven with ExaBGP: it announces a route with
# NO_ADVERTISE, one with NO_EXPORT, a normal route and 0.0.0.0/0 (its peer
# has no accept_default). Both community routes are in pharosd's loc-RIB,
# yet neither a pharos-peer monitor nor a BIRD NVA receives them (while the
# normal route does reach both, proving they listen), and no adj-out of
# pharosd holds them. The default route is refused: counted on the peer,
# logged on pharosd's stderr and recorded as a default_refused event.
#
#   rs   (pharosd, AS 65515)   br0  198.18.1.1/24
#   exa  (ExaBGP, AS 65001)    eth0 198.18.1.2/24
#   mon  (pharos-peer, 65003)  eth0 198.18.1.3/24
#   bird (BIRD, AS 65004)      eth0 198.18.1.4/24
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_bin exabgp bird birdc "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER" jq curl

RS=198.18.1.1 EXA=198.18.1.2 MON=198.18.1.3 BIRD=198.18.1.4
API=127.0.0.1:8179
NOADV=198.19.1.0/24 NOEXP=198.19.2.0/24 NORMAL=198.19.3.0/24 DEF=0.0.0.0/0
CONF=$T_DIR/pharosd.yaml

exa_conf() {
	cat >"$1" <<CONF
neighbor $RS {
	router-id $EXA;
	local-address $EXA;
	local-as 65001;
	peer-as 65515;
	hold-time 30;
	family { ipv4 unicast; }
	static {
		route $NOADV next-hop self community [ no-advertise ];
		route $NOEXP next-hop self community [ no-export ];
		route $NORMAL next-hop self;
		route $DEF next-hop self;
	}
}
CONF
}

bird_conf() {
	cat >"$1" <<CONF
router id $BIRD;
log "$T_DIR/bird-daemon.log" all;
protocol device { }
protocol bgp pharos {
	local $BIRD as 65004;
	neighbor $RS as 65515;
	connect delay time 1;
	connect retry time 2;
	hold time 30;
	strict bind on;
	ipv4 { import all; export none; };
}
CONF
}

birdc_() { nsx bird birdc -s "$T_DIR/bird.ctl" "$@"; }
bird_established() { birdc_ show protocols pharos | grep -q Established; }
bird_has() { birdc_ show route "$1" protocol pharos | grep -q "^$1 "; }
# mon_heard PREFIX: the monitor got any announcement of PREFIX.
mon_heard() {
	grep '^{' "$T_DIR/mon.log" | jq -e -s --arg p "$1" \
		'any(.[] | select(.type == "update") | .announce[]?; .prefix == $p)' >/dev/null
}
# adj_out_has PEER PREFIX
adj_out_has() {
	pctl show adj-out "$1" | jq -e --arg p "$2" 'any(.routes[]?; .prefix == $p)' >/dev/null
}
events() { nsx rs curl -sf "http://$API/api/v1/events?type=$1"; }
comms_of() { route_paths "$1" | jq -c '.communities'; }

ns_create rs exa mon bird
ns_lan rs br0 exa mon bird
ns_addr rs br0 "$RS/24"
ns_addr exa eth0 "$EXA/24"
ns_addr mon eth0 "$MON/24"
ns_addr bird eth0 "$BIRD/24"

pharos_conf_begin "$CONF" asn=65515 router_id=$RS listen=$RS hold_time=30 keepalive=10
pharos_conf_peer "$CONF" exa nva "$EXA" 65001
pharos_conf_peer "$CONF" mon nva "$MON" 65003 passive=true
pharos_conf_peer "$CONF" bird nva "$BIRD" 65004
pharos_conf_api "$CONF" "$API"
pharos_conf_vnet "$CONF" hub 198.18.100.0/24
pharosd_start rs "$CONF" "$API"

# the listeners first, so that they are there when ExaBGP's routes arrive
bird_conf "$T_DIR/bird.conf"
start_in bird bird bird -f -c "$T_DIR/bird.conf" -s "$T_DIR/bird.ctl"
start_in mon mon stdbuf -oL "$PHAROS_PEER" -a 65003 -R 65515 -b "$MON" -o json "$RS"
check_wait "monitor (pharos-peer) session established" 15 peer_established mon
check_wait "BIRD NVA session established" 30 peer_established bird
check_wait "BIRD reports Established" 10 bird_established

exa_conf "$T_DIR/exabgp.conf"
start_in exabgp exa env exabgp.daemon.user=root exabgp.daemon.drop=false \
	exabgp.log.destination="$T_DIR/exabgp-daemon.log" exabgp.api.cli=false \
	exabgp "$T_DIR/exabgp.conf"
check_wait "ExaBGP session established" 30 peer_established exa

# --- the community routes are in the loc-RIB
check_wait "pharosd's loc-RIB holds $NOADV (no-advertise) from ExaBGP" 15 \
	route_has "$NOADV" exa "$EXA" 65001
check_wait "pharosd's loc-RIB holds $NOEXP (no-export) from ExaBGP" 5 \
	route_has "$NOEXP" exa "$EXA" 65001
check_match "$NOADV carries NO_ADVERTISE (65535:65282)" "$(comms_of "$NOADV")" '65535:65282|no-advertise|NO_ADVERTISE'
check_match "$NOEXP carries NO_EXPORT (65535:65281)" "$(comms_of "$NOEXP")" '65535:65281|no-export|NO_EXPORT'
check_wait "pharosd's loc-RIB holds the normal $NORMAL from ExaBGP" 5 \
	route_has "$NORMAL" exa "$EXA" 65001

# --- the normal route reaches both listeners; the community routes never do
check_wait "monitor received the normal $NORMAL (path 65515 65001)" 10 \
	peer_got "$T_DIR/mon.log" "$NORMAL" "$EXA" "65515 65001"
check_wait "BIRD received the normal $NORMAL" 10 bird_has "$NORMAL"
check_never "monitor never receives $NOADV (no-advertise)" 3 mon_heard "$NOADV"
check_never "monitor never receives $NOEXP (no-export)" 1 mon_heard "$NOEXP"
check_never "BIRD never receives $NOADV (no-advertise)" 1 bird_has "$NOADV"
check_never "BIRD never receives $NOEXP (no-export)" 1 bird_has "$NOEXP"
check "adj-out of mon holds the normal $NORMAL (control)" adj_out_has mon "$NORMAL"
check "adj-out of bird holds the normal $NORMAL (control)" adj_out_has bird "$NORMAL"
for p in exa mon bird; do
	check "adj-out of $p lacks $NOADV" eval "! adj_out_has $p $NOADV"
	check "adj-out of $p lacks $NOEXP" eval "! adj_out_has $p $NOEXP"
done

# --- the default route is refused: counted, logged, an event
check "pharosd's loc-RIB lacks $DEF" eval "! route_paths $DEF | grep -q ."
check "the monitor never received $DEF" eval "! mon_heard $DEF"
refused=$(pctl show peer exa | jq '[.. | objects | select(has("default_routes_refused")) | .default_routes_refused] | first')
check "exa's default_routes_refused counts the refusal (got $refused)" eval '[ "$refused" -ge 1 ] 2>/dev/null'
check_eq "exa's accepted prefixes: the three non-default routes" "$(peer_field exa prefixes_accepted)" 3
check "pharosd's stderr logs the refusal" grep -q "default route $DEF refused" "$T_DIR/pharosd.log"
check_match "a default_refused event names exa and the route" \
	"$(events default_refused | jq -c '.events[] | select(.peer == "exa")')" '0\.0\.0\.0/0'

check "pharosd exits 0 on SIGTERM" pharosd_stop
check "pharosd stderr has no sanitizer report" sanitizer_clean "$T_DIR/pharosd.log"
check "ExaBGP stops cleanly" stop_proc exabgp
check "BIRD stops cleanly" stop_proc bird
t_done
