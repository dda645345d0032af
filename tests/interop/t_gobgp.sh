#!/bin/bash
# t_gobgp.sh - interop with GoBGP as an NVA: sessions over IPv4 and IPv6
# transport, routes both ways checked on both sides (pharosctl and the
# gobgp CLI), a withdrawal with "global rib del", the maximum-prefix guard
# (GoBGP goes over the limit: pharosd drops the session and its routes, and
# takes it back after the restart delay once GoBGP is under the limit
# again), and a capture of what pharosd sent checked with tshark.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_bin gobgpd gobgp

GOBGP_API=$IX_D4:50051

# gobgp_conf FILE: gobgpd's TOML config, one neighbor per transport.
gobgp_conf() {
	cat >"$1" <<CONF
[global.config]
  as = $IX_D_ASN
  router-id = "$IX_D4"
  port = 179
  local-address-list = ["$IX_D4", "$IX_D6"]

[[neighbors]]
  [neighbors.config]
    neighbor-address = "$IX_RS4"
    peer-as = $IX_RS_ASN
  [neighbors.transport.config]
    local-address = "$IX_D4"
  [neighbors.timers.config]
    connect-retry = 2
    hold-time = 30
    keepalive-interval = 10
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"

[[neighbors]]
  [neighbors.config]
    neighbor-address = "$IX_RS6"
    peer-as = $IX_RS_ASN
  [neighbors.transport.config]
    local-address = "$IX_D6"
  [neighbors.timers.config]
    connect-retry = 2
    hold-time = 30
    keepalive-interval = 10
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
CONF
}

gcli() { nsx nva gobgp -u "${GOBGP_API%:*}" -p "${GOBGP_API##*:}" "$@"; }

# gobgp_routes: routes learned from peers as "PREFIX|NEXT_HOP|AS PATH".
gobgp_routes() {
	local af
	for af in ipv4 ipv6; do
		gcli global rib -a "$af" -j | jq -r '
			to_entries[] | .key as $p | .value[] |
			([.attrs[] | select(.type == 2) | .as_paths[]?.asns[]] | map(tostring) | join(" ")) as $ap |
			select($ap != "") |
			([.attrs[] | select(.nexthop != null) | .nexthop][0]) as $nh |
			"\($p)|\($nh)|\($ap)"'
	done
}

# gobgp_established ADDR
gobgp_established() {
	gcli neighbor "$1" -j 2>/dev/null | jq -e '.state.session_state == 6 or
		.state.session_state == "established" or .state.session_state == "ESTABLISHED"' >/dev/null
}

# The maximum-prefix step: the limit on both of GoBGP's peers, and the
# prefixes GoBGP adds to go over it.
MAXPFX=10
MAXPFX_EXTRA=(198.19.160.0/24 198.19.161.0/24 198.19.162.0/24 198.19.163.0/24
	198.19.164.0/24 198.19.165.0/24 198.19.166.0/24 198.19.167.0/24 198.19.168.0/24)

_not_established() { ! peer_established "$1"; }
_max_hits() { [ "$(peer_field "$1" max_prefix_hits)" -ge 1 ] 2>/dev/null; }

ix_topology
# shellcheck disable=SC2034 # read by ix_pharos_conf in lib.sh
IX_RS_EXTRA="restart_delay=2"
ix_start_pharos gobgp max_prefixes=$MAXPFX
gobgp_conf "$T_DIR/gobgpd.toml"
start_in gobgp nva gobgpd -f "$T_DIR/gobgpd.toml" --api-hosts="$GOBGP_API" -l info
wait_until 10 eval 'gcli global >/dev/null 2>&1' || bail "gobgpd started and its API answers"
for p in "${IX_D4_ROUTES[@]}"; do gcli global rib add "$p" -a ipv4 || not_ok "gobgp global rib add $p"; done
for p in "${IX_D6_ROUTES[@]}"; do gcli global rib add "$p" -a ipv6 || not_ok "gobgp global rib add $p"; done
ix_start_nva2

ix_check_sessions gobgp
check_wait "GoBGP shows both sessions established" 10 \
	eval 'gobgp_established $IX_RS4 && gobgp_established $IX_RS6'
ix_check_learned gobgp
ix_check_ecmp gobgp
ix_check_received GoBGP gobgp_routes

check "gobgp global rib del (withdraw one prefix per family)" \
	eval 'gcli global rib del "${IX_D4_ROUTES[1]}" -a ipv4 && gcli global rib del "${IX_D6_ROUTES[1]}" -a ipv6'
ix_check_withdrawn gobgp

# Maximum prefixes: 2 held + 9 more = 11 > 10.
for p in "${MAXPFX_EXTRA[@]}"; do gcli global rib add "$p" -a ipv4 || not_ok "gobgp global rib add $p"; done
check_wait "over $MAXPFX prefixes, pharosd drops gobgp-v4" 15 _not_established gobgp-v4
check_wait "the drop is counted as a max-prefix hit" 5 _max_hits gobgp-v4
check "pharosd logged NOTIFICATION Cease/Maximum Number of Prefixes Reached (6/1)" \
	grep -qE '\[gobgp-v4\] sending NOTIFICATION 6/1' "$T_DIR/pharosd.log"
check_wait "pharosd flushed gobgp-v4's routes" 5 _ix_gone "${IX_D4_ROUTES[0]}" gobgp-v4
check "the IPv6 session (under its own limit) stayed up" peer_established gobgp-v6
for p in "${MAXPFX_EXTRA[@]}"; do gcli global rib del "$p" -a ipv4 || not_ok "gobgp global rib del $p"; done
check_wait "back under the limit, the session comes back after the restart delay" 40 \
	peer_established gobgp-v4
check_wait "pharosd holds ${IX_D4_ROUTES[0]} from gobgp-v4 again" 15 \
	route_has "${IX_D4_ROUTES[0]}" gobgp-v4 "$IX_D4" "$IX_D_ASN"
ix_finish
check "gobgpd stops cleanly" stop_proc gobgp
t_done
