#!/bin/bash
# t_refused_bird.sh - routes refused by import policy are kept (with the
# peer's keep_refused, the default) and listed with the rule that refused
# them; after the rule is removed and the configuration reloaded, the
# route enters the loc-RIB although the peer, a BIRD with route refresh
# disabled, cannot be asked to send it again. A second BIRD with
# keep_refused: false is the control: its refused route stays out until
# it is sent again.
#
#   rs (pharosd, AS 65515)  br0  198.18.1.1/24
#   b1 (BIRD, AS 65001)     eth0 198.18.1.2/24  198.19.201.0/24 (65001:666)
#                                               198.19.202.0/24
#   b2 (BIRD, AS 65002)     eth0 198.18.1.3/24  198.19.203.0/24 (65002:666)
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_bin bird birdc "$PHAROSD" "$PHAROSCTL" jq

RS=198.18.1.1 B1=198.18.1.2 B2=198.18.1.3
API=127.0.0.1:8179
P1=198.19.201.0/24 P2=198.19.202.0/24 P3=198.19.203.0/24
TOKEN=$T_DIR/token
echo "refused-test-token" >"$TOKEN"
chmod 600 "$TOKEN"

bird_conf() { # N ADDR ASN "ROUTES" "EXPORT FILTER BODY"
	bird_rs_conf "$1" "$2" "$3" "protocol static { ipv4; $4 }" "$5" "" \
		"enable route refresh off;"
}

write_conf() { # RULES: with the deny rules (1) or without (0)
	rm -f "$CONF"
	pharos_conf_begin "$CONF" asn=65515 router_id=$RS listen=$RS hold_time=30 keepalive=10
	pharos_conf_peer "$CONF" b1 nva "$B1" 65001
	[ "$1" = 1 ] && cat >>"$CONF" <<'YAML'
      import:
        - {match: {prefix: ["198.19.0.0/16 le 24"], community: ["65001:999"]}, action: allow}
        - {match: {community: ["65001:666"]}, action: deny}
YAML
	pharos_conf_peer "$CONF" b2 nva "$B2" 65002 keep_refused=false
	[ "$1" = 1 ] && cat >>"$CONF" <<'YAML'
      import:
        - {match: {community: ["65002:666"]}, action: deny}
YAML
	pharos_conf_api "$CONF" "$API" "$TOKEN"
	pharos_conf_vnet "$CONF" hub 198.18.100.0/24
}

route_present() { route_paths "$1" | grep -q .; }
route_absent() { ! route_present "$1"; }
# no_rr PEER: the peer's OPEN offered no route refresh.
no_rr() {
	pctl show peer "$1" | jq -e '.state == "established" and
		(.capabilities | index("route-refresh") | not)' >/dev/null
}

CONF=$T_DIR/pharosd.yaml
ns_create rs b1 b2
ns_lan rs br0 b1 b2
ns_addr rs br0 "$RS/24"
ns_addr b1 eth0 "$B1/24"
ns_addr b2 eth0 "$B2/24"
write_conf 1
pharosd_start rs "$CONF" "$API"

bird_conf b1 "$B1" 65001 "route $P1 blackhole; route $P2 blackhole;" \
	"if net = $P1 then bgp_community.add((65001,666));"
bird_conf b2 "$B2" 65002 "route $P3 blackhole;" \
	"bgp_community.add((65002,666));"
start_in b1 b1 bird -f -c "$T_DIR/b1.conf" -s "$T_DIR/b1.ctl"
start_in b2 b2 bird -f -c "$T_DIR/b2.conf" -s "$T_DIR/b2.ctl"

check_wait "b1 established" 20 peer_established b1
check_wait "b2 established" 20 peer_established b2
check_wait "b1's clean route is in the loc-RIB" 10 route_present "$P2"
check_wait "b1's routes are both received" 10 peer_field_is b1 prefixes_received 2
check_wait "b2's route is received" 10 peer_field_is b2 prefixes_received 1
check "BIRD offered no route refresh (the peer cannot be asked again)" no_rr b1
check "the community route is not in the loc-RIB" route_absent "$P1"

R=$(pctl show routes --refused)
check_eq "show routes --refused lists both refused routes" \
	"$(jq -c '[.routes[] | .prefix + "@" + .paths[0].peer]' <<<"$R")" \
	"[\"$P1@b1\",\"$P3@b2\"]"
check_eq "... b1's with the rule that refused it and its attributes" \
	"$(jq -c --arg p "$P1" '.routes[] | select(.prefix == $p) | .paths[0] |
		[.refused_by, .rule, .as_path, .communities]' <<<"$R")" \
	'["import rule",2,[65001],["65001:666"]]'
check_eq "... b2's without attributes (keep_refused: false)" \
	"$(jq -c --arg p "$P3" '.routes[] | select(.prefix == $p) | .paths[0] |
		[.refused_by, .rule, has("as_path")]' <<<"$R")" \
	'["import rule",1,false]'
check_eq "--peer b1 keeps b1's" \
	"$(pctl show routes --refused --peer b1 | jq -c '[.routes[].prefix]')" "[\"$P1\"]"
T=$(nsx rs "$PHAROSCTL" -s "http://$API" show routes --refused)
check_match "the table says why" "$T" \
	"198\.19\.201\.0/24 +b1 +$B1 +65001 +65001:666 +import rule +2"

# The deny rules go; a reload re-checks the kept route, no refresh needed.
write_conf 0
R=$(nsx rs "$PHAROSCTL" -s "http://$API" -t "$TOKEN" -j reload)
check_eq "the reload updates both peers" "$(jq -c '.peers.updated' <<<"$R")" '["b1","b2"]'
check_wait "b1's community route enters the loc-RIB" 10 route_present "$P1"
check_eq "... with the attributes it was sent with" \
	"$(route_paths "$P1" | jq -c '[.peer, .communities]')" '["b1",["65001:666"]]'
check_eq "it is no longer listed as refused" \
	"$(pctl show routes --refused --peer b1 | jq '.total')" 0
check_match "pharosd says the kept routes were checked again" \
	"$(cat "$(log_of pharosd)")" 'b1.*1 routes refused before are accepted now'
sleep 2
check "control: b2's route, not kept, stays out until it is sent again" \
	route_absent "$P3"
birdc_() { local n=$1; shift; nsx "$n" birdc -s "$T_DIR/$n.ctl" "$@"; }
birdc_ b2 reload out pharos >/dev/null
check_wait "b2 sends it again (reload out): now it is accepted" 15 route_present "$P3"

check "pharosd exits 0 on SIGTERM" pharosd_stop
check "pharosd stderr has no sanitizer report" sanitizer_clean "$T_DIR/pharosd.log"
t_done
