#!/bin/bash
# t_events.sh - the operator events of DESIGN 1.4 that no other test
# covers: "new default route" when a peer with accept_default sends one,
# and "route-count jump" when an established peer's accepted count moves
# by api.route_jump_threshold or more within the watch window (the first
# table of a new session is not a jump).
. "$(dirname "$0")/../lib.sh"

need_bin "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER" jq curl
PORT=1791
API=127.0.0.1:18181
CONF=$T_DIR/pharosd.yaml

ns_create rs
pharos_conf_begin "$CONF" asn=65515 router_id=198.18.0.1 listen=127.0.0.1 \
	port=$PORT hold_time=30 keepalive=10
pharos_conf_peer "$CONF" nva-def nva 127.0.0.2 65001 passive=true accept_default=true
pharos_conf_peer "$CONF" nva-big nva 127.0.0.3 65002 passive=true
pharos_conf_api "$CONF" "$API"
echo "  route_jump_threshold: 50" >>"$CONF"
pharos_conf_vnet "$CONF" hub 198.18.0.0/24
pharosd_start rs "$CONF" "$API"

events() { nsx rs curl -sf "http://$API/api/v1/events?type=$1"; }

# nva-big: a first table of 60 routes (no jump: the session is new), then,
# after the window, 60 more at once (a jump of 60 >= 50).
first=$(for i in $(seq 0 59); do printf '198.19.%d.0/24,' "$i"; done)
more=$(for i in $(seq 100 159); do printf '198.19.%d.0/24,' "$i"; done)
cat >"$T_DIR/big.script" <<EOF2
announce ${first%,}
sleep 12000
announce ${more%,}
EOF2
start_in nva-def rs "$PHAROS_PEER" -a 65001 -R 65515 -b 127.0.0.2 -o none \
	-A "0.0.0.0/0,198.18.200.0/24" 127.0.0.1 $PORT
start_in nva-big rs "$PHAROS_PEER" -a 65002 -R 65515 -b 127.0.0.3 -o none \
	-f "$T_DIR/big.script" 127.0.0.1 $PORT

check_wait "nva-def established" 15 peer_established nva-def
check_wait "nva-def's default route is accepted" 10 peer_field_is nva-def prefixes_accepted 2
_defev() { events default_route | jq -e '.events[] | select(.peer == "nva-def")' >/dev/null; }
check_wait "a default_route event names nva-def" 10 _defev
check_match "the event says which route" "$(events default_route)" '0\.0\.0\.0/0'

check_wait "nva-big's first table is accepted" 15 peer_field_is nva-big prefixes_accepted 60
check_eq "the first table of a session is no jump" \
	"$(events route_count_jump | jq '.events | length')" 0
check_wait "nva-big's second batch is accepted" 25 peer_field_is nva-big prefixes_accepted 120
_jump() { events route_count_jump | jq -e '.events[] | select(.peer == "nva-big")' >/dev/null; }
check_wait "a route_count_jump event names nva-big" 10 _jump
check_match "the jump event gives the counts" "$(events route_count_jump)" '"from": *60.*"to": *120'
check_eq "nva-def made no jump event" \
	"$(events route_count_jump | jq '[.events[] | select(.peer == "nva-def")] | length')" 0
check "pharosd exits 0 on SIGTERM" pharosd_stop
check "pharosd stderr has no sanitizer report" sanitizer_clean "$T_DIR/pharosd.log"
t_done
