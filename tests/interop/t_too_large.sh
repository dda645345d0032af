#!/bin/bash
# t_too_large.sh - a route whose UPDATE cannot fit a peer's message size.
#
#   rs   pharosd (AS 65515)                      br0  198.18.1.1/24
#   src  pharos-peer (AS 65002, extended msgs)   eth0 198.18.1.3/24
#   b1   BIRD (AS 65001, no extended messages)   eth0 198.18.1.2/24
#   mon  pharos-peer (AS 65003, extended msgs)   eth0 198.18.1.4/24
#
# src announces P with a short AS path: BIRD and the monitor get it. Then
# src re-announces P with a 1,020-AS path: one UPDATE of it is ~4.1 KB,
# over the 4,096 bytes of a peer without extended messages. BIRD must not
# keep the old route: pharosd withdraws P from it, counts it
# (pharos_peer_routes_too_large_total), says so (route_too_large event),
# and BIRD's adj-RIB-out no longer lists P; the monitor, which has
# extended messages, gets the long path. A short path again reaches BIRD.
. "$(dirname "$0")/../lib.sh"
need_bin bird birdc "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER" jq

RS=198.18.1.1 B1=198.18.1.2 SRC=198.18.1.3 MON=198.18.1.4
API=127.0.0.1:8179 P=198.19.77.0/24

ns_create rs b1 src mon
ns_lan rs br0 b1 src mon
ns_addr rs br0 "$RS/24"
ns_addr b1 eth0 "$B1/24"
ns_addr src eth0 "$SRC/24"
ns_addr mon eth0 "$MON/24"

CONF=$T_DIR/pharosd.yaml
pharos_conf_begin "$CONF" asn=65515 router_id=$RS listen=$RS hold_time=30 keepalive=10
pharos_conf_peer "$CONF" b1 nva "$B1" 65001
pharos_conf_peer "$CONF" src nva "$SRC" 65002 passive=true
pharos_conf_peer "$CONF" mon nva "$MON" 65003 passive=true
pharos_conf_api "$CONF" "$API"
pharos_conf_vnet "$CONF" hub 198.18.100.0/24
pharosd_start rs "$CONF" "$API"

cat >"$T_DIR/b1.conf" <<CONF
router id $B1;
protocol device { }
protocol bgp pharos {
	local $B1 as 65001;
	neighbor $RS as 65515;
	connect delay time 1;
	connect retry time 2;
	hold time 30;
	strict bind on;
	ipv4 { import all; export none; };
}
CONF
start_in b1 b1 bird -f -c "$T_DIR/b1.conf" -s "$T_DIR/b1.ctl"
birdc_() { local n=$1; shift; nsx "$n" birdc -s "$T_DIR/$n.ctl" "$@"; }
bird_path_len() { # the AS path length of BIRD's route for P, empty when none
	birdc_ b1 show route "$P" all protocol pharos | awk '/BGP.as_path:/ {print NF - 1; exit}'
}
long=$(printf "7 %.0s" $(seq 1019)) # 1,019 ASNs after src's own (short words: the script reads lines of up to 4 KiB)
cat >"$T_DIR/src.script" <<EOF
announce $P path 65100
wait-file $T_DIR/go-long
announce $P path $long
wait-file $T_DIR/go-short
announce $P path 65100 65101
EOF
start_in src src "$PHAROS_PEER" -a 65002 -R 65515 -b "$SRC" -o none -f "$T_DIR/src.script" "$RS"
start_in mon mon stdbuf -oL "$PHAROS_PEER" -a 65003 -R 65515 -b "$MON" -o json "$RS"

check_wait "b1 (BIRD) established" 30 peer_established b1
check_wait "src and the monitor established" 15 eval 'peer_established src && peer_established mon'
check "BIRD did not negotiate extended messages" \
	eval '! pctl show peers | jq -e ".. | objects | select(.name? == \"b1\") | .. | strings | select(test(\"ext\"))" >/dev/null'
check_wait "BIRD holds $P with the short path (65515 65002 65100)" 20 \
	eval '[ "$(bird_path_len)" = 3 ]'

touch "$T_DIR/go-long"
check_wait "pharosd holds the long path from src" 15 \
	eval 'route_paths $P | jq -e ".as_path | length == 1020" >/dev/null'
check_wait "BIRD no longer holds $P (withdrawn, not left stale)" 15 \
	eval '[ -z "$(bird_path_len)" ]'
mon_path_len() {
	grep '^{' "$T_DIR/mon.log" | jq -r -s --arg p "$P" '[.[] | select(.type == "update") |
		.announce[]? | select(.prefix == $p) | .as_path | length] | last // 0'
}
check_wait "the monitor (extended messages) receives the 1,021-AS path" 10 \
	eval '[ "$(mon_path_len)" = 1021 ]'
adj_has() { pctl show adj-out "$1" 2>/dev/null | grep -q "\"$P\"" ||
	nsx rs curl -s -m 5 "http://$API/api/v1/peers/$1/adj-out" | grep -q "\"$P\""; }
check "BIRD's adj-RIB-out does not claim $P" eval '! adj_has b1'
check "the monitor's adj-RIB-out has $P" adj_has mon
m=$(metrics_of rs "$API")
check_eq "pharos_peer_routes_too_large_total counts it for BIRD" \
	"$(printf '%s\n' "$m" | metric_value pharos_peer_routes_too_large_total b1)" 1
check_eq "and nothing for the monitor" \
	"$(printf '%s\n' "$m" | metric_value pharos_peer_routes_too_large_total mon)" 0
check_match "a route_too_large event names BIRD's peer and $P" "$(pctl show events)" \
	"route_too_large"
check_eq "the peer JSON says routes_too_large 1" \
	"$(pctl show peers | jq -r '[.. | objects | select(.name? == "b1")][0].routes_too_large')" 1

touch "$T_DIR/go-short"
check_wait "a short path again reaches BIRD" 15 eval '[ "$(bird_path_len)" = 4 ]'
check "BIRD's adj-RIB-out lists $P again" adj_has b1
check "the session with BIRD stayed up throughout" eval '[ "$(peer_field b1 flaps)" = 0 ]'
t_done
