#!/bin/bash
# t_rpki_bird.sh - RPKI route origin validation (RFC 6811) against a real
# RTR cache (stayrtr serving a ROA file, RFC 8210) with a BIRD NVA.
#
# b1 announces three prefixes with origin AS 65001: V (a ROA for 65001:
# valid), I (a ROA for 65099 only: invalid) and N (no ROA: not_found).
# With `invalid: deny` I is refused ("rpki invalid") and V is kept with
# rpki valid; an import rule matching rpki not_found adds a large
# community to N. The ROA file then changes (V's ROA moves to 65098, I's
# to 65001): within the refresh time V moves to the refused list and I
# comes in as valid. The cache going away keeps the states and raises an
# event. Restarted with `invalid: tag`, the invalid route stays, tagged
# with the large community 65515:6811:2, and a BIRD client receives it
# with the tag.
#
#   rs (pharosd, AS 65515; stayrtr on 198.18.1.1:8323)  br0  198.18.1.1/24
#   b1 (BIRD, AS 65001)  eth0 198.18.1.2/24
#   b2 (BIRD, AS 65002)  eth0 198.18.1.3/24  (client, announces nothing)
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_bin bird birdc stayrtr "$PHAROSD" "$PHAROSCTL" jq curl /usr/bin/python3

RS=198.18.1.1 B1=198.18.1.2 B2=198.18.1.3
API=127.0.0.1:8179 CACHE=$RS:8323
V=198.19.10.0/24 I=198.19.20.0/24 N=198.19.30.0/24
TOKEN=$T_DIR/token
echo "rpki-test-token" >"$TOKEN"
chmod 600 "$TOKEN"
ROAS=$T_DIR/roas.json

roas() { # ASN-FOR-V ASN-FOR-I
	cat >"$ROAS.tmp" <<JSON
{"metadata": {"generated": 1700000000, "valid": 1700000000},
 "roas": [
  {"prefix": "$V", "maxLength": 24, "asn": "AS$1", "ta": "test"},
  {"prefix": "$I", "maxLength": 24, "asn": "AS$2", "ta": "test"}
 ]}
JSON
	mv "$ROAS.tmp" "$ROAS"
}

bird_conf() { bird_rs_conf "$1" "$2" "$3" "protocol static { ipv4; $4 }"; } # N ADDR ASN "ROUTES"

write_conf() { # MODE
	rm -f "$CONF"
	pharos_conf_begin "$CONF" asn=65515 router_id=$RS listen=$RS hold_time=30 \
		keepalive=10 "rpki={caches: [\"$CACHE\"], invalid: $1, refresh_s: 2, retry_s: 1}"
	pharos_conf_peer "$CONF" b1 nva "$B1" 65001 \
		'import=[{match: {rpki: not_found}, set: {add_large_communities: ["65515:1:3"]}}]'
	pharos_conf_peer "$CONF" b2 nva "$B2" 65002
	pharos_conf_api "$CONF" "$API" "$TOKEN"
}

rpki_of() { route_paths "$1" | jq -r 'select(.peer == "b1") | .rpki'; }
rpki_is() { [ "$(rpki_of "$1")" = "$2" ]; }
refused_rpki() {
	pctl show routes --refused --peer b1 | jq -e --arg p "$1" \
		'any(.routes[]; .prefix == $p and .paths[0].refused_by == "rpki invalid")' >/dev/null
}
not_refused() { ! refused_rpki "$1"; }
event_seen() { nsx rs curl -sf "http://$API/api/v1/events?type=$1" | jq -e '.events | length > 0' >/dev/null; }
b2_route() { nsx b2 birdc -s "$T_DIR/b2.ctl" show route all "$1"; }
b2_has() { b2_route "$1" | grep -q "^$1"; }
b2_has_tag() { b2_route "$1" | grep -q 'BGP.large_community: (65515, 6811, 2)'; }
metric() { metrics_of rs "$API" | awk -v m="$1" 'index($0, m " ") == 1 { print $2 }'; }
metric_is() { [ "$(metric "$1")" = "$2" ]; }
# schema_ok PATH: the reply to GET PATH is valid against docs/openapi.yaml
schema_ok() {
	local code
	code=$(nsx rs curl -s -m 10 -o "$T_DIR/body" -w '%{http_code}' "http://$API$1")
	/usr/bin/python3 "$PHAROS_TOP/tests/tools/openapi_check.py" \
		"$PHAROS_TOP/docs/openapi.yaml" GET "${1%%\?*}" "$code" "$T_DIR/body" \
		application/json
}

CONF=$T_DIR/pharosd.yaml
ns_create rs b1 b2
ns_lan rs br0 b1 b2
ns_addr rs br0 "$RS/24"
ns_addr b1 eth0 "$B1/24"
ns_addr b2 eth0 "$B2/24"

roas 65001 65099
start_in stayrtr rs stayrtr -cache "$ROAS" -bind "$CACHE" -checktime=false \
	-refresh 1 -protocol 1 -metrics.addr 127.0.0.1:9847
write_conf deny
pharosd_start rs "$CONF" "$API"
check_wait "the RTR cache is up (event rpki_cache_up)" 20 event_seen rpki_cache_up

bird_conf b1 "$B1" 65001 "route $V blackhole; route $I blackhole; route $N blackhole;"
bird_conf b2 "$B2" 65002 ""
start_in b1 b1 bird -f -c "$T_DIR/b1.conf" -s "$T_DIR/b1.ctl"
start_in b2 b2 bird -f -c "$T_DIR/b2.conf" -s "$T_DIR/b2.ctl"
check_wait "b1 established" 20 peer_established b1
check_wait "b2 established" 20 peer_established b2
check_wait "deny: b1's three routes are received" 15 peer_field_is b1 prefixes_received 3

check_wait "the valid route is kept with rpki valid" 10 rpki_is "$V" valid
check_eq "the route without a ROA is kept with rpki not_found, and the rule matching it added its large community" \
	"$(route_paths "$N" | jq -c '[.rpki, .large_communities]')" '["not_found",["65515:1:3"]]'
check "the rule did not touch the valid route" \
	test "$(route_paths "$V" | jq -c '.large_communities')" = "[]"
check_eq "the origin-invalid route is not in the loc-RIB" "$(route_paths "$I")" ""
check "it is in the refused list, refused_by rpki invalid" refused_rpki "$I"
check "GET /api/v1/routes with rpki states is valid against openapi.yaml" \
	schema_ok /api/v1/routes
check "... and the refused list with 'rpki invalid'" schema_ok /api/v1/routes/refused
T=$(nsx rs "$PHAROSCTL" -s "http://$API" show routes)
check_match "pharosctl's table has the RPKI column" "$T" \
	"198\.19\.10\.0/24 +$B1 +b1 .* valid "
M=$(metrics_of rs "$API")
check_match "metrics count the routes by state" "$M" 'pharos_rpki_routes\{state="valid"\} 1'
check_match "... and the refusal by reason" "$M" \
	'pharos_peer_routes_refused_total\{peer="b1".*reason="rpki_invalid"\} 1'
check_match "... and the cache as up" "$M" "pharos_rpki_cache_up\\{cache=\"$CACHE\"\\} 1"
check_wait "b2 receives the valid route" 15 b2_has "$V"
check "b2 never gets the invalid one" bash -c "! ip netns exec $(ns b2) birdc -s $T_DIR/b2.ctl show route $I | grep -q $I"

# The ROA file changes: V's ROA now names 65098, I's names 65001.
roas 65098 65001
check_wait "revalidation: the route that became valid enters the loc-RIB (refresh 2 s)" \
	20 rpki_is "$I" valid
check_wait "... and leaves the refused list" 5 not_refused "$I"
check_wait "the route that became invalid is refused" 10 refused_rpki "$V"
check_eq "... and is gone from the loc-RIB" "$(route_paths "$V")" ""
check_wait "b2 gets the newly valid route" 15 b2_has "$I"
check_wait "pharosd logged the revalidation" 10 grep -q 'rpki: .*changed state' "$(log_of pharosd)"

# The cache goes away: the states stay (until expire_s) and an event says so.
stop_proc stayrtr
check_wait "the cache's loss raises rpki_cache_down" 20 event_seen rpki_cache_down
check "the states are kept" rpki_is "$I" valid
check "the rpki events are valid against openapi.yaml" schema_ok /api/v1/events
check_wait "metrics show the cache down" 10 metric_is "pharos_rpki_cache_up{cache=\"$CACHE\"}" 0

# Changing rpki needs a restart: a reload says so.
write_conf tag
R=$(nsx rs "$PHAROSCTL" -s "http://$API" -t "$TOKEN" -j reload 2>&1)
check_match "a reload that changes rpki is refused with the reason" "$R" \
	'route_server.rpki changed: restart pharosd'

# invalid: tag, with the ROAs of the start again.
roas 65001 65099
start_in stayrtr rs stayrtr -cache "$ROAS" -bind "$CACHE" -checktime=false \
	-refresh 1 -protocol 1 -metrics.addr 127.0.0.1:9847
check "pharosd stops (deny run)" pharosd_stop
cp "$(log_of pharosd)" "$T_DIR/pharosd-deny.log" # kept with KEEP=1
pharosd_start rs "$CONF" "$API"
check_wait "tag: b1 established again" 30 peer_established b1
check_wait "tag: the invalid route is kept with rpki invalid" 20 rpki_is "$I" invalid
check_eq "... with the tag large community" \
	"$(route_paths "$I" | jq -c '.large_communities')" '["65515:6811:2"]'
check "... and not in the refused list" not_refused "$I"
check_wait "a BIRD client receives it with the tag" 20 b2_has_tag "$I"
check "the valid route carries no tag" \
	test "$(route_paths "$V" | jq -c '[.rpki, .large_communities]')" = '["valid",[]]'
# I's ROA moves to 65001: the tag goes.
roas 65001 65001
check_wait "tag: revalidation takes the tag away when the route becomes valid" 20 \
	rpki_is "$I" valid
check_eq "... from the route's communities" \
	"$(route_paths "$I" | jq -c '.large_communities')" '[]'
check_wait "... and the BIRD client's copy" 20 bash -c \
	"ip netns exec $(ns b2) birdc -s $T_DIR/b2.ctl show route all $I | grep -q 'BGP.as_path' && ! ip netns exec $(ns b2) birdc -s $T_DIR/b2.ctl show route all $I | grep -q '6811'"

check "pharosd exits 0 on SIGTERM" pharosd_stop
check "pharosd stderr has no sanitizer report" sanitizer_clean "$T_DIR/pharosd.log"
t_done
