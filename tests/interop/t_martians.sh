#!/bin/bash
# t_martians.sh - route_server.martians: what no peer may announce.
#
#   rs   pharosd (AS 65515)          br0  198.18.1.1/24
#   b1   BIRD (AS 65001)             eth0 198.18.1.2/24
#   raw  pharos-peer (AS 65002)      eth0 198.18.1.3/24
#   mon  pharos-peer (AS 65003)      eth0 198.18.1.4/24, announces nothing
#
# BIRD (static routes) and the raw peer announce the martians of the
# red-team list: 0.0.0.0/1 + 128.0.0.0/1 (a default in disguise, past
# accept_default: false), 127.0.0.0/8, 224.0.0.0/4, 240.0.0.0/4,
# 169.254.169.254/32 and the route server's own /32, each next to one
# ordinary route. pharosd refuses every martian (none in its RIB, none
# sent to the monitor), counts them per peer (a metric, the peer JSON)
# and says so in a martian_refused event; the ordinary routes pass.
# A reload with a configured list that leaves 169.254.0.0/16 out makes the
# refresh bring it back.
#
# BIRD keeps 127.0.0.0/8 and 224.0.0.0/4 to itself; the raw peer sends all.
. "$(dirname "$0")/../lib.sh"
need_bin bird birdc "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER" jq

RS=198.18.1.1 B1=198.18.1.2 RAW=198.18.1.3 MON=198.18.1.4
API=127.0.0.1:8179
G1=198.19.201.0/24 G2=198.19.202.0/24
MARTIANS="0.0.0.0/1 128.0.0.0/1 127.0.0.0/8 224.0.0.0/4 240.0.0.0/4 169.254.169.254/32 $RS/32"

ns_create rs b1 raw mon
ns_lan rs br0 b1 raw mon
ns_addr rs br0 "$RS/24"
ns_addr b1 eth0 "$B1/24"
ns_addr raw eth0 "$RAW/24"
ns_addr mon eth0 "$MON/24"

CONF=$T_DIR/pharosd.yaml
echo "token-$$" >"$T_DIR/token"
pharos_conf_begin "$CONF" asn=65515 router_id=$RS listen=$RS hold_time=30 keepalive=10
pharos_conf_peer "$CONF" b1 nva "$B1" 65001
pharos_conf_peer "$CONF" raw nva "$RAW" 65002 passive=true
pharos_conf_peer "$CONF" mon nva "$MON" 65003 passive=true
pharos_conf_api "$CONF" "$API" "$T_DIR/token"
pharos_conf_vnet "$CONF" hub 198.18.100.0/24
check_match "pharosd -p shows the default martians, the route server's /32 among them" \
	"$(nsx rs "$PHAROSD" -p -c "$CONF" 2>&1 | grep martians)" "127\.0\.0\.0/8.*$RS/32"
pharosd_start rs "$CONF" "$API"

{
	echo "router id $B1;"
	echo "protocol device { }"
	echo "protocol static { ipv4;"
	for p in $MARTIANS $G1; do echo "	route $p blackhole;"; done
	echo "}"
	cat <<CONF
protocol bgp pharos {
	local $B1 as 65001;
	neighbor $RS as 65515;
	connect delay time 1;
	connect retry time 2;
	hold time 30;
	strict bind on;
	ipv4 { import all; export where source = RTS_STATIC; };
}
CONF
} >"$T_DIR/b1.conf"
start_in b1 b1 bird -f -c "$T_DIR/b1.conf" -s "$T_DIR/b1.ctl"
start_in mon mon stdbuf -oL "$PHAROS_PEER" -a 65003 -R 65515 -b "$MON" -o json "$RS"
start_in raw raw "$PHAROS_PEER" -a 65002 -R 65515 -b "$RAW" -o none \
	-A "$(echo $MARTIANS $G2 | tr ' ' ',')" "$RS"

check_wait "b1 (BIRD) established" 30 peer_established b1
check_wait "raw (pharos-peer) established" 15 peer_established raw
check_wait "the ordinary route from BIRD is accepted" 15 route_has "$G1" b1 "$B1" 65001
check_wait "the ordinary route from the raw peer is accepted" 15 route_has "$G2" raw "$RAW" 65002
mon_has() { grep '^{' "$T_DIR/mon.log" | jq -e -s --arg p "$1" \
	'[.[] | select(.type == "update") | .announce[]? | select(.prefix == $p)] | length > 0' >/dev/null; }
check_wait "the monitor receives both ordinary routes" 15 eval 'mon_has $G1 && mon_has $G2'
for p in $MARTIANS; do
	check "$p is in no RIB entry" eval '! route_paths $p | grep -q .'
	check "$p never reached the monitor" eval '! mon_has $p'
done
# BIRD keeps some martians to itself (its static protocol drops what it
# deems invalid); count those it did export.
birdc_() { local n=$1; shift; nsx "$n" birdc -s "$T_DIR/$n.ctl" "$@"; }
bird_sent=()
for p in $MARTIANS; do
	birdc_ b1 show route "$p" export pharos | grep -q "^$p " && bird_sent+=("$p")
done
diag "BIRD exports these martians: ${bird_sent[*]}"
check "BIRD exports at least the /1 halves and the route server's /32" \
	eval '[[ " ${bird_sent[*]} " == *" 0.0.0.0/1 "* && " ${bird_sent[*]} " == *" 128.0.0.0/1 "* && " ${bird_sent[*]} " == *" $RS/32 "* ]]'
m=$(metrics_of rs "$API")
check_eq "pharos_peer_martians_refused_total for BIRD counts each martian it sent" \
	"$(printf '%s\n' "$m" | metric_value pharos_peer_martians_refused_total b1)" "${#bird_sent[@]}"
check_eq "and for the raw peer its 7" \
	"$(printf '%s\n' "$m" | metric_value pharos_peer_martians_refused_total raw)" 7
check_match "routes refused by reason carry martian" "$m" \
	'pharos_peer_routes_refused_total\{peer="raw".*reason="martian"\} 7'
check_eq "the peer JSON says martians_refused 7 (raw)" \
	"$(pctl show peers | jq -r '[.. | objects | select(.name? == "raw")][0].martians_refused')" 7
ev=$(pctl show events)
check_match "a martian_refused event names BIRD's peer" "$ev" '"martian_refused".*"b1"|"b1".*"martian_refused"'
check_match "a martian_refused event names the raw peer" "$ev" '"martian_refused".*"raw"|"raw".*"martian_refused"'
check_match "the event gives a reason (a martian range or a default in disguise)" \
	"$ev" 'inside martian range|default route in disguise'

# A configured list replaces the defaults: without 169.254.0.0/16 (and
# without the route server's /32), a reload lets BIRD's
# 169.254.169.254/32 in.
sed -i "s|^  peers:|  martians: [0.0.0.0/8, 127.0.0.0/8, 224.0.0.0/4, 240.0.0.0/4]\n  peers:|" "$CONF"
check_match "pharosd -p prints the configured list as given" \
	"$(nsx rs "$PHAROSD" -p -c "$CONF" 2>&1 | grep martians)" \
	"martians: \[0\.0\.0\.0/8, 127\.0\.0\.0/8, 224\.0\.0\.0/4, 240\.0\.0\.0/4\]"
check "reload with the new list" eval 'PHAROS_TOKEN=token-$$ pctl reload >/dev/null'
check_wait "after the route refresh 169.254.169.254/32 from BIRD is accepted" 15 \
	route_has 169.254.169.254/32 b1 "$B1" 65001
check "240.0.0.0/4 is still refused" eval '! route_paths 240.0.0.0/4 | grep -q .'
check "0.0.0.0/1 is still refused (shorter than /8)" eval '! route_paths 0.0.0.0/1 | grep -q .'
t_done
