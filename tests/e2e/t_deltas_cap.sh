#!/bin/bash
# t_deltas_cap.sh - a subnet's changes are listed up to 10,000 route
# changes; beyond, the deltas answer (and the event stream) tells the
# follower to fetch the table instead of building one huge answer.
#
#   rs  pharosd (hub + spoke-a/app taking BGP routes: pharos_conf_hub_spoke),
#       NVAs (pharos-peer) on loopback
#
# 1. nva-1 announces 12,000 /24s: deltas after the version before them
#    answer 410 "too many changes", with the current version; the table
#    lists every route; deltas after that version: 200 and empty.
# 2. nva-2 announces 300 more: listed as deltas (under the bound).
# 3. the stream from the old version: an `event: resync`, not a delta.
. "$(dirname "$0")/../lib.sh"

need_bin "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER" jq curl
PORT=1795
API=127.0.0.1:18195
CONF=$T_DIR/pharosd.yaml
TOKEN=$T_DIR/api.token
N=12000
echo "deltas-cap-token-$$" >"$TOKEN"

ns_create rs
pharos_conf_begin "$CONF" asn=65515 router_id=198.18.0.1 listen=127.0.0.1 \
	port=$PORT hold_time=30 keepalive=10
pharos_conf_peer "$CONF" nva-1 nva 127.0.0.2 65001 passive=true max_prefixes=100000
pharos_conf_peer "$CONF" nva-2 nva 127.0.0.3 65002 passive=true
pharos_conf_api "$CONF" "$API" "$TOKEN"
pharos_conf_hub_spoke "$CONF" ""
pharosd_start rs "$CONF" "$API"

api() { nsx rs curl -s --max-time 30 "http://$API$1" "${@:2}"; }
code() { nsx rs curl -s -o "$T_DIR/body.json" -w '%{http_code}' --max-time 30 "http://$API$1" "${@:2}"; }
SUB=/api/v1/fabric/subnets/spoke-a/app
table_n() { api "$SUB/table" | jq '[.routes[] | select(.source == "VirtualNetworkGateway")] | length'; }
version() { api /api/v1/fabric | jq -r .version; }
accepted() { [ "$(peer_field "$1" prefixes_accepted)" = "$2" ]; }

V0=$(version)
start_in nva-1 rs "$PHAROS_PEER" -a 65001 -R 65515 -b 127.0.0.2 -n 198.18.0.10 \
	-o none -g "$N" 127.0.0.1 $PORT
check_wait "nva-1 established with its $N routes accepted" 30 accepted nva-1 "$N"
check_wait "spoke-a/app's table lists all $N BGP routes" 20 eval '[ "$(table_n)" = "$N" ]'
V1=$(version)
check_eq "deltas after the version before the $N routes: 410" "$(code "$SUB/deltas?after=$V0")" 410
check "the 410 says to fetch the table and gives the current version" \
	jq -e --argjson v "$V1" '.error == "too many changes: fetch the table" and .version == $v' \
	"$T_DIR/body.json"
check_eq "deltas after the current version: 200" "$(code "$SUB/deltas?after=$V1")" 200
check "... and lists nothing" jq -e '.deltas == []' "$T_DIR/body.json"

start_in nva-2 rs "$PHAROS_PEER" -a 65002 -R 65515 -b 127.0.0.3 -n 198.18.0.11 \
	-o none -g 300 --gen-start 100.64.0.0 127.0.0.1 $PORT
check_wait "nva-2 established with its 300 routes accepted" 30 accepted nva-2 300
check_wait "spoke-a/app's table lists $((N + 300)) BGP routes" 20 \
	eval '[ "$(table_n)" = "$((N + 300))" ]'
check_eq "deltas after $V1 (300 new routes): 200" "$(code "$SUB/deltas?after=$V1")" 200
check "... listing the 300 additions" \
	jq -e '[.deltas[] | select(.op == "add")] | length == 300' "$T_DIR/body.json"

api "$SUB/stream?after=$V0" --max-time 3 >"$T_DIR/stream.txt" 2>/dev/null
check "the stream from the old version sends a resync, not the $N changes" \
	eval 'grep -q "^event: resync" "$T_DIR/stream.txt" && ! grep -q "^event: delta" "$T_DIR/stream.txt"'
t_done
