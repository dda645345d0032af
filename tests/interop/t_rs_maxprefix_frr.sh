#!/bin/bash
# t_rs_maxprefix_frr.sh - max_prefixes (DESIGN 1.2) proven with FRR: with
# max_prefixes 3 in pharosd, FRR (zebra + bgpd) announces 4 routes; the
# session is dropped with NOTIFICATION Cease / Maximum Number of Prefixes
# Reached, which FRR itself records as the reason of its last reset;
# pharosd records a max_prefix event and counts the hit in the peer's
# state and in /metrics; after restart_delay (2 s) FRR gets back in (and is
# dropped again while it still sends 4); once FRR withdraws one route the
# session comes back and stays up with 3 prefixes.
#
#   rs  (pharosd, AS 65515)   br0  198.18.1.1/24
#   frr (FRR, AS 65001)       eth0 198.18.1.2/24
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
FRR_BGPD=${FRR_BGPD:-/usr/lib/frr/bgpd}
FRR_ZEBRA=${FRR_ZEBRA:-/usr/lib/frr/zebra}
need_bin "$FRR_BGPD" "$FRR_ZEBRA" vtysh "$PHAROSD" "$PHAROSCTL" jq curl

RS=198.18.1.1 FRR=198.18.1.2
API=127.0.0.1:8179
ROUTES=(198.19.10.0/24 198.19.11.0/24 198.19.12.0/24 198.19.13.0/24)
LIMIT=3
FRR_DIR=$T_DIR/frr
CONF=$T_DIR/pharosd.yaml

frr_conf() {
	local p
	{
		cat <<CONF
frr defaults traditional
hostname frr
log file $FRR_DIR/bgpd.log debugging
debug bgp neighbor-events
!
router bgp 65001
 bgp router-id $FRR
 no bgp ebgp-requires-policy
 no bgp network import-check
 no bgp default ipv4-unicast
 neighbor $RS remote-as 65515
 neighbor $RS update-source $FRR
 neighbor $RS timers connect 1
 address-family ipv4 unicast
CONF
		for p in "${ROUTES[@]}"; do echo "  network $p"; done
		cat <<CONF
  neighbor $RS activate
 exit-address-family
!
CONF
	} >"$1"
}

vty() { nsx frr vtysh --vty_socket "$FRR_DIR" "$@"; }
frr_nbr() { vty -c "show bgp neighbors $RS json" 2>/dev/null | jq -r --arg a "$RS" ".[\$a].$1 // empty"; }
frr_established() { [ "$(frr_nbr bgpState)" = Established ]; }
frr_reset_is_maxpfx() {
	vty -c "show bgp neighbors $RS" 2>/dev/null | grep -q 'Last reset.*Maximum Number of Prefixes Reached'
}
events() { nsx rs curl -sf "http://$API/api/v1/events?type=$1"; }
n_maxpfx_events() { events max_prefix | jq '[.events[] | select(.peer == "frr")] | length'; }
metric_hits() {
	nsx rs curl -sf "http://$API/metrics" |
		awk '/^pharos_peer_max_prefix_hits_total\{.*peer="frr"/ { print $NF }'
}
hits_at_least() { [ "$(peer_field frr max_prefix_hits)" -ge "$1" ] 2>/dev/null; }

ns_create rs frr
ns_lan rs br0 frr
ns_addr rs br0 "$RS/24"
ns_addr frr eth0 "$FRR/24"

pharos_conf_begin "$CONF" asn=65515 router_id=$RS listen=$RS hold_time=30 \
	keepalive=10 restart_delay=2
pharos_conf_peer "$CONF" frr nva "$FRR" 65001 max_prefixes=$LIMIT passive=true
pharos_conf_api "$CONF" "$API"
pharos_conf_vnet "$CONF" hub 198.18.100.0/24
pharosd_start rs "$CONF" "$API"

mkdir -p "$FRR_DIR"
frr_conf "$FRR_DIR/bgpd.conf"
echo "hostname frr" >"$FRR_DIR/zebra.conf"
chown -R frr:frr "$FRR_DIR"
start_in zebra frr "$FRR_ZEBRA" -f "$FRR_DIR/zebra.conf" -i "$FRR_DIR/zebra.pid" \
	--vty_socket "$FRR_DIR" -z "$FRR_DIR/zserv.api"
wait_until 10 test -S "$FRR_DIR/zserv.api" || bail "zebra started"
start_in frr frr "$FRR_BGPD" -f "$FRR_DIR/bgpd.conf" -i "$FRR_DIR/bgpd.pid" \
	--vty_socket "$FRR_DIR" -z "$FRR_DIR/zserv.api"

# --- over the limit: dropped with Cease / max prefix
check_wait "pharosd drops FRR for going over max_prefixes $LIMIT" 30 hits_at_least 1
check_wait "FRR's last reset: Notification received (Cease/Maximum Number of Prefixes Reached)" 10 \
	frr_reset_is_maxpfx
check_match "FRR's JSON names the notification it received" \
	"$(frr_nbr lastNotificationReason) $(frr_nbr lastResetDueTo)" 'Maximum Number of Prefixes Reached'
check_wait "pharosd recorded a max_prefix event for frr" 5 eval '[ "$(n_maxpfx_events)" -ge 1 ]'
check_match "the event gives the limit" "$(events max_prefix)" "more than $LIMIT prefixes"
check_wait "metric pharos_peer_max_prefix_hits_total{peer=\"frr\"} >= 1" 5 \
	eval '[ "$(metric_hits)" -ge 1 ] 2>/dev/null'
check "pharosd's loc-RIB holds none of FRR's routes after the drop" \
	eval "! route_from ${ROUTES[0]} frr"

# --- back after restart_delay, dropped again while still over the limit
check_wait "after restart_delay FRR gets back in and is dropped again" 20 hits_at_least 2
check_wait "a second max_prefix event" 5 eval '[ "$(n_maxpfx_events)" -ge 2 ]'
check "FRR counts at least 2 established connections" \
	eval '[ "$(frr_nbr connectionsEstablished)" -ge 2 ]'

# --- under the limit: the session comes back and stays up
check "vtysh: no network ${ROUTES[3]} (back under the limit)" \
	vty -c "configure terminal" -c "router bgp 65001" -c "address-family ipv4 unicast" \
	-c "no network ${ROUTES[3]}"
check_wait "the session comes back (restart delay with backoff)" 40 peer_established frr
check_wait "pharosd accepts FRR's $LIMIT prefixes" 10 peer_field_is frr prefixes_accepted $LIMIT
hits=$(peer_field frr max_prefix_hits)
check "pharosd holds ${ROUTES[0]} from FRR" route_has "${ROUTES[0]}" frr "$FRR" 65001
check_never "the session stays up (no further drop for 6 s)" 6 eval '! peer_established frr'
check_eq "no further max-prefix hit" "$(peer_field frr max_prefix_hits)" "$hits"
check "FRR reports Established" frr_established

check "pharosd exits 0 on SIGTERM" pharosd_stop
check "pharosd stderr has no sanitizer report" sanitizer_clean "$T_DIR/pharosd.log"
check "FRR bgpd stops cleanly" stop_proc frr
check "zebra stops cleanly" stop_proc zebra
t_done
