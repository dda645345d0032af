#!/bin/bash
# t_gr_bird.sh - graceful restart, helper side (RFC 4724), with a real
# BIRD NVA that restarts gracefully (`birdc graceful restart`, then BIRD
# started again with -R): while it is away pharosd keeps its routes,
# marked stale in the loc-RIB, counted in the metrics, and sends no
# withdrawal to the other peer (a pharos-peer monitor); once it is back
# and has sent End-of-RIB, the route it no longer announces is gone and
# the other stays, no longer stale. A BIRD killed with graceful restart
# only "aware" (no families in its capability) loses its routes at once.
#
#   rs  (pharosd, AS 65515)  br0  198.18.1.1/24
#   b1  (BIRD, AS 65001)     eth0 198.18.1.2/24  KEEP + GONE
#   mon (pharos-peer, 65003) eth0 198.18.1.4/24  announces nothing
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_bin bird birdc "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER" jq

RS=198.18.1.1 B1=198.18.1.2 MON=198.18.1.4
API=127.0.0.1:8179
KEEP=198.19.201.0/24 GONE=198.19.202.0/24
HUB=198.18.100.0/24

# bird_conf ROUTES GR: b1's config announcing ROUTES (space separated),
# with `graceful restart GR` (on | aware).
bird_conf() {
	local r="" p
	for p in $1; do r="$r	route $p blackhole;"$'\n'; done
	cat >"$T_DIR/b1.conf" <<CONF
router id $B1;
log "$T_DIR/b1-daemon.log" all;
protocol device { }
protocol static {
	ipv4;
$r}
protocol bgp pharos {
	local $B1 as 65001;
	neighbor $RS as 65515;
	connect delay time 1;
	connect retry time 2;
	hold time 30;
	strict bind on;
	graceful restart $2;
	graceful restart time 60;
	ipv4 { import all; export where source = RTS_STATIC; };
}
CONF
}

birdc_() { nsx b1 birdc -s "$T_DIR/b1.ctl" "$@"; }
bird_established() { birdc_ show protocols pharos | grep -q Established; }

# path_is PREFIX STALE: one path from b1, best, with stale == STALE.
path_is() {
	route_paths "$1" | jq -e -s --argjson st "$2" 'length == 1 and
		.[0].peer == "b1" and .[0].best and ((.[0].stale // false) == $st)' >/dev/null
}
gone() { ! route_paths "$1" | grep -q .; }
gr_field() {
	pctl show peers | jq -r --arg f "$1" '.peers[] | select(.name == "b1") | .graceful_restart[$f]'
}
gr_field_is() { [ "$(gr_field "$1")" = "$2" ]; }
stale_metric() { metrics_of rs "$API" | metric_value pharos_peer_stale_routes b1; }
stale_metric_is() { [ "$(stale_metric)" = "$1" ]; }
# mon_withdrawals PREFIX: how many withdrawals of PREFIX the monitor got.
mon_withdrawals() {
	grep '^{' "$T_DIR/mon.log" | jq -s --arg p "$1" \
		'[.[] | select(.type == "update") | .withdraw[]? | select(. == $p)] | length'
}
mon_has() {
	grep '^{' "$T_DIR/mon.log" | jq -e -s --arg p "$1" \
		'any(.[] | select(.type == "update") | .announce[]?; .prefix == $p)' >/dev/null
}

ns_create rs b1 mon
ns_lan rs br0 b1 mon
ns_addr rs br0 "$RS/24"
ns_addr b1 eth0 "$B1/24"
ns_addr mon eth0 "$MON/24"

CONF=$T_DIR/pharosd.yaml
pharos_conf_begin "$CONF" asn=65515 router_id=$RS listen=$RS hold_time=30 keepalive=10
pharos_conf_peer "$CONF" b1 nva "$B1" 65001
pharos_conf_peer "$CONF" mon nva "$MON" 65003 passive=true
pharos_conf_api "$CONF" "$API"
pharos_conf_vnet "$CONF" hub "$HUB"
pharosd_start rs "$CONF" "$API"

bird_conf "$KEEP $GONE" on
start_in b1 b1 bird -f -c "$T_DIR/b1.conf" -s "$T_DIR/b1.ctl"
start_in mon mon stdbuf -oL "$PHAROS_PEER" -a 65003 -R 65515 -b "$MON" -o json "$RS"

check_wait "b1 (BIRD, graceful restart on) session established" 30 peer_established b1
check_wait "monitor session established" 10 peer_established mon
check_wait "pharosd holds $KEEP from b1, not stale" 15 path_is "$KEEP" false
check_wait "pharosd holds $GONE from b1, not stale" 5 path_is "$GONE" false
check_eq "b1 negotiated graceful restart" "$(gr_field negotiated)" true
check_eq "b1's restart time is the 60 s it advertised" "$(gr_field restart_time)" 60
check_wait "monitor received $KEEP and $GONE" 10 eval 'mon_has "$KEEP" && mon_has "$GONE"'

# --- 1. BIRD restarts gracefully: its routes stay, stale
check "birdc graceful restart" eval 'birdc_ graceful restart >/dev/null'
check_wait "BIRD exited" 10 eval '! alive b1'
stop_proc b1 TERM 1 2>/dev/null
check_wait "pharosd sees b1's session down" 10 eval '! peer_established b1'
check "$KEEP is still in the loc-RIB, marked stale" path_is "$KEEP" true
check "$GONE is still in the loc-RIB, marked stale" path_is "$GONE" true
check_match "pharosctl show routes marks it: b1 (stale)" \
	"$(nsx rs "$PHAROSCTL" -s "http://$API" show routes "$KEEP")" 'b1 \(stale\)'
check_eq "graceful_restart.helping is true" "$(gr_field helping)" true
check_eq "graceful_restart.stale_routes is 2" "$(gr_field stale_routes)" 2
check_eq "pharos_peer_stale_routes{peer=b1} is 2" "$(stale_metric)" 2
check "a graceful_restart event was recorded" \
	eval 'pctl show events | jq -e ".events | any(.[]; .type == \"graceful_restart\" and .peer == \"b1\")" >/dev/null'
sleep 2
check_eq "the monitor got no withdrawal of $KEEP" "$(mon_withdrawals "$KEEP")" 0
check_eq "the monitor got no withdrawal of $GONE" "$(mon_withdrawals "$GONE")" 0

# --- 2. BIRD back with -R, without $GONE: End-of-RIB sweeps it
bird_conf "$KEEP" on
start_in b1 b1 bird -R -f -c "$T_DIR/b1.conf" -s "$T_DIR/b1.ctl"
check_wait "b1 re-established" 30 peer_established b1
check_wait "$GONE is gone after b1's End-of-RIB" 15 gone "$GONE"
check_wait "$KEEP stays, no longer stale" 5 path_is "$KEEP" false
check_wait "graceful_restart.helping is false" 5 gr_field_is helping false
check_eq "graceful_restart.stale_withdrawn is 1" "$(gr_field stale_withdrawn)" 1
check_wait "pharos_peer_stale_routes{peer=b1} is 0" 5 stale_metric_is 0
check_wait "the monitor got the withdrawal of $GONE" 10 eval '[ "$(mon_withdrawals "$GONE")" -ge 1 ]'
check_eq "the monitor never got a withdrawal of $KEEP" "$(mon_withdrawals "$KEEP")" 0

# --- 3. graceful restart only "aware": a killed BIRD loses its routes
bird_conf "$KEEP" aware
check "birdc configure (graceful restart aware)" eval 'birdc_ configure | grep -q Reconfigur'
birdc_ restart pharos >/dev/null
check_wait "b1 re-established (aware)" 30 eval 'peer_established b1 && gr_field_is restarts 1 && route_from "$KEEP" b1'
stop_proc b1 KILL 2 2>/dev/null
check_wait "pharosd sees b1's session down" 10 eval '! peer_established b1'
check_wait "$KEEP is withdrawn at once (no families kept)" 5 gone "$KEEP"
check_wait "the monitor got the withdrawal of $KEEP" 10 eval '[ "$(mon_withdrawals "$KEEP")" -ge 1 ]'

check "pharosd exits 0 on SIGTERM" pharosd_stop
check "pharosd stderr has no sanitizer report" sanitizer_clean "$T_DIR/pharosd.log"
t_done
