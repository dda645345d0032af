#!/bin/bash
# t_route_maps_bird.sh - the route-map actions with BIRD peers:
# as_path_prepend on an export rule, large communities (RFC 8092) matched
# and rewritten on import, aggregates (RFC 4271 9.2.2.2) and prefixes
# originated for chosen peers, each checked in what a BIRD client has.
#
#   rs (pharosd, AS 65515)  br0  198.18.1.1/24
#   b1 (BIRD, AS 65001)     eth0 198.18.1.2/24  announces:
#       198.19.1.0/24, 198.19.2.0/24 (path 65001 65001)  -> aggregate
#           198.19.0.0/20, summary_only, atomic (their paths differ)
#       198.19.17.0/24, 198.19.18.0/24 (path 65001 65009) -> aggregate
#           198.19.16.0/20, as_set: true; the more-specifics go too
#       198.19.40.0/24 with large community 65001:7:7
#   b2 (BIRD, AS 65002)     eth0 198.18.1.3/24  export rule as_path_prepend: 2,
#                                               gets 198.18.200.0/24 (originate)
#   b3 (BIRD, AS 65003)     eth0 198.18.1.4/24  no rules
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_bin bird birdc "$PHAROSD" "$PHAROSCTL" jq

RS=198.18.1.1 B1=198.18.1.2 B2=198.18.1.3 B3=198.18.1.4
API=127.0.0.1:8179

bird_conf() { bird_rs_conf "$@"; } # N ADDR ASN "STATIC PROTOCOLS" "EXPORT FILTER BODY"

CONF=$T_DIR/pharosd.yaml
pharos_conf_begin "$CONF" asn=65515 router_id=$RS listen=$RS hold_time=30 keepalive=10
pharos_conf_peer "$CONF" b1 nva "$B1" 65001 \
	'import=[{match: {large_community: ["65001:7:7"]}, set: {add_large_communities: ["65515:1:1"], remove_large_communities: ["65001:7:7"]}}]'
pharos_conf_peer "$CONF" b2 nva "$B2" 65002 'export=[{set: {as_path_prepend: 2}}]'
pharos_conf_peer "$CONF" b3 nva "$B3" 65003
cat >>"$CONF" <<'YAML'
  aggregates:
    - {prefix: 198.19.0.0/20, summary_only: true}
    - {prefix: 198.19.16.0/20, as_set: true}
  originate:
    - prefix: 198.18.200.0/24
      large_communities: ["65515:9:9"]
      to: [b2]
YAML
pharos_conf_api "$CONF" "$API"

ns_create rs b1 b2 b3
ns_lan rs br0 b1 b2 b3
ns_addr rs br0 "$RS/24"
ns_addr b1 eth0 "$B1/24"
ns_addr b2 eth0 "$B2/24"
ns_addr b3 eth0 "$B3/24"
pharosd_start rs "$CONF" "$API"

check_match "pharosd -p prints the new keys back" \
	"$(nsx rs "$PHAROSD" -p -c "$CONF" 2>&1)" \
	'as_path_prepend: \{asn: 65515, count: 2\}.*' 
bird_conf b1 "$B1" 65001 "
protocol static s1 { ipv4; route 198.19.1.0/24 blackhole; route 198.19.2.0/24 blackhole;
	route 198.19.40.0/24 blackhole; }
protocol static s2 { ipv4; route 198.19.17.0/24 blackhole; route 198.19.18.0/24 blackhole; }" \
	"if net = 198.19.2.0/24 then bgp_path.prepend(65001);
	 if net = 198.19.18.0/24 then bgp_path.prepend(65009);
	 if net = 198.19.40.0/24 then bgp_large_community.add((65001,7,7));"
bird_conf b2 "$B2" 65002 "" ""
bird_conf b3 "$B3" 65003 "" ""
for b in b1 b2 b3; do
	start_in "$b" "$b" bird -f -c "$T_DIR/$b.conf" -s "$T_DIR/$b.ctl"
done
check_wait "b1 established" 20 peer_established b1
check_wait "b2 established" 20 peer_established b2
check_wait "b3 established" 20 peer_established b3
check_wait "b1's five routes are accepted" 15 peer_field_is b1 prefixes_accepted 5

route_all() { nsx "$1" birdc -s "$T_DIR/$1.ctl" show route all "$2"; }
has() { route_all "$1" "$2" | grep -q "^$2 "; }
hasnt() { ! has "$1" "$2"; }
path_is() { route_all "$1" "$2" | grep -q "BGP.as_path: $3\$"; }

# as_path_prepend: 2 on b2's export rule
check_wait "b2 gets 198.19.17.0/24 with 65515 three times in its AS path" 20 \
	path_is b2 198.19.17.0/24 "65515 65515 65515 65001"
check_wait "b3 (no rule) gets it with 65515 once" 20 path_is b3 198.19.17.0/24 "65515 65001"

# large communities on import
check_eq "the import rule swapped the large community" \
	"$(route_paths 198.19.40.0/24 | jq -c '.large_communities')" '["65515:1:1"]'
check_wait "b3 receives the rewritten large community" 15 bash -c \
	"ip netns exec $(ns b3) birdc -s $T_DIR/b3.ctl show route all 198.19.40.0/24 | grep -q 'BGP.large_community: (65515, 1, 1)\$'"

# aggregate, summary_only, paths differ: ATOMIC_AGGREGATE + AGGREGATOR
check_wait "b3 gets the aggregate 198.19.0.0/20" 20 has b3 198.19.0.0/20
A=$(route_all b3 198.19.0.0/20)
check_match "... with ATOMIC_AGGREGATE (the contributors' paths differ)" "$A" 'BGP.atomic_aggr'
check_match "... and AGGREGATOR: this route server" "$A" 'BGP.aggregator: 198.18.1.1 AS65515'
check_match "... and our ASN alone as its path" "$A" 'BGP.as_path: 65515$'
check "summary_only: b3 does not get 198.19.1.0/24" hasnt b3 198.19.1.0/24
check "... nor 198.19.2.0/24" hasnt b3 198.19.2.0/24
check "the more-specifics are in pharosd's loc-RIB all the same" \
	test -n "$(route_paths 198.19.1.0/24)"

# aggregate with as_set: AS_SET of the contributors' ASNs
check_wait "b3 gets 198.19.16.0/20 with an AS_SET" 20 \
	path_is b3 198.19.16.0/20 "65515 {65001 65009}"
A=$(route_all b3 198.19.16.0/20)
check_match "... and AGGREGATOR" "$A" 'BGP.aggregator: 198.18.1.1 AS65515'
check "... without ATOMIC_AGGREGATE (the AS_SET keeps the path)" \
	bash -c "! grep -q atomic_aggr <<<'$A'"

# originate: only to b2
check_wait "b2 gets the originated 198.18.200.0/24" 20 has b2 198.18.200.0/24
check_match "... with its large community" "$(route_all b2 198.18.200.0/24)" \
	'BGP.large_community: \(65515, 9, 9\)'
check "b3, not in 'to', does not get it" hasnt b3 198.18.200.0/24
check "b1 does not get it" hasnt b1 198.18.200.0/24

# the contributors of the as_set aggregate go away: so does the aggregate
nsx b1 birdc -s "$T_DIR/b1.ctl" disable s2 >/dev/null
check_wait "with no more-specific left, 198.19.16.0/20 is withdrawn" 20 hasnt b3 198.19.16.0/20
check "the other aggregate stays" has b3 198.19.0.0/20
nsx b1 birdc -s "$T_DIR/b1.ctl" enable s2 >/dev/null
check_wait "... and comes back with them" 20 has b3 198.19.16.0/20

check "pharosd exits 0 on SIGTERM" pharosd_stop
check "pharosd stderr has no sanitizer report" sanitizer_clean "$T_DIR/pharosd.log"
t_done
