#!/bin/bash
# t_addpath_gobgp.sh - ADD-PATH (RFC 7911) send to GoBGP, IPv4 and IPv6:
# two pharos-peer NVAs announce the same IPv4 and IPv6 prefix (equal AS
# paths); GoBGP (add-paths receive on both families; pharosd add_path:
# send) receives both paths of each, with distinct path ids, in its
# adj-RIB-in; when one NVA withdraws, only its path leaves GoBGP.
#
#   rs (pharosd 198.18.1.1, NVAs 127.0.0.2 and .3 on lo)  br0
#   g  (gobgpd, AS 65010)  eth0 198.18.1.5/24
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_bin gobgpd gobgp "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER" jq

RS=198.18.1.1 G=198.18.1.5 API=127.0.0.1:8179
P4=198.19.230.0/24 P6=2001:db8:77::/48
NH4_1=198.18.1.2 NH4_2=198.18.1.3 NH6_1=2001:db8:1::2 NH6_2=2001:db8:1::3

ns_create rs g
ns_lan rs br0 g
ns_addr rs br0 "$RS/24"
ns_addr g eth0 "$G/24"
need_bin tshark
cap_start gobgp rs br0

CONF=$T_DIR/pharosd.yaml
pharos_conf_begin "$CONF" asn=65515 router_id=$RS listen=$RS,127.0.0.1 hold_time=30 keepalive=10 \
	"martians=[0.0.0.0/8]"  # the test's 2001:db8:: prefixes are martians by default
pharos_conf_peer "$CONF" n1 nva 127.0.0.2 65001 passive=true
pharos_conf_peer "$CONF" n2 nva 127.0.0.3 65002 passive=true
pharos_conf_peer "$CONF" gobgp nva "$G" 65010 add_path=send
pharos_conf_peer "$CONF" mon nva 127.0.0.4 65011 passive=true add_path=send
pharos_conf_api "$CONF" "$API"
pharosd_start rs "$CONF" "$API"

cat >"$T_DIR/gobgpd.toml" <<CONF
[global.config]
  as = 65010
  router-id = "$G"
  port = 179
  local-address-list = ["$G"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "$RS"
    peer-as = 65515
  [neighbors.transport.config]
    local-address = "$G"
  [neighbors.timers.config]
    connect-retry = 2
    hold-time = 30
    keepalive-interval = 10
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
    [neighbors.afi-safis.add-paths.config]
      receive = true
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
    [neighbors.afi-safis.add-paths.config]
      receive = true
CONF
start_in gobgpd g gobgpd -f "$T_DIR/gobgpd.toml" --api-hosts="$G:50051" -l info
gcli() { nsx g gobgp -u "$G" -p 50051 "$@"; }

nva() { # nva NAME BIND ASN NH4 NH6
	start_in "$1" rs stdbuf -oL "$PHAROS_PEER" -a "$3" -R 65515 -b "$2" -o none \
		-n "$4" -n "$5" -A "$P4" -A "$P6" 127.0.0.1
}
nva n1 127.0.0.2 65001 $NH4_1 $NH6_1
nva n2 127.0.0.3 65002 $NH4_2 $NH6_2
# a pharos-peer monitor that takes ADD-PATH too
start_in mon rs stdbuf -oL "$PHAROS_PEER" -a 65011 -R 65515 -b 127.0.0.4 -o json --add-path-rx 127.0.0.1
for p in n1 n2 gobgp mon; do check_wait "$p established" 30 peer_established $p; done
caps() { pctl show peers | jq -r --arg n "$1" '.peers[] | select(.name == $n) | .capabilities | join(" ")'; }
check_match "gobgp: ADD-PATH send negotiated for IPv4 and IPv6" "$(caps gobgp)" \
	"add-path-send-ipv4 add-path-send-ipv6"

# gobgp_nh AF PREFIX: the next hops of GoBGP's adj-RIB-in paths, sorted.
gobgp_nh() {
	gcli neighbor "$RS" adj-in -a "$1" -j 2>/dev/null |
		jq -r --arg p "$2" '.[$p][]? | [.attrs[] | select(.nexthop != null) | .nexthop][0] //
			([.attrs[] | select(.type == 14) | .nexthop][0])' | sort | tr '\n' ' '
}
# gobgp_paths AF PREFIX: how many paths GoBGP's adj-RIB-in holds (it keys
# them by path id: two paths from one session need two ids)
gobgp_paths() {
	gcli neighbor "$RS" adj-in -a "$1" -j 2>/dev/null |
		jq -r --arg p "$2" '[.[$p][]?] | length'
}
nh_is() { [ "$(gobgp_nh "$1" "$2")" = "$3" ]; }

check_wait "GoBGP holds both paths of $P4 (next hops $NH4_1 and $NH4_2)" 30 nh_is ipv4 "$P4" "$NH4_1 $NH4_2 "
check_eq "... two paths from the one session" "$(gobgp_paths ipv4 "$P4")" 2
check_wait "GoBGP holds both paths of $P6 (next hops $NH6_1 and $NH6_2)" 20 nh_is ipv6 "$P6" "$NH6_1 $NH6_2 "
check_eq "... two paths from the one session" "$(gobgp_paths ipv6 "$P6")" 2
diag "$(gcli neighbor "$RS" adj-in -a ipv6 2>&1 | head -5)"

# mon_ids PREFIX: the path ids the monitor was last announced, sorted
mon_ids() {
	grep '^{' "$T_DIR/mon.log" | jq -r --arg p "$1" 'select(.type == "update") |
		.announce[]? | select(.prefix == $p) | "\(.path_id)@\(.next_hop)"' | sort -u | tr '\n' ' '
}
# (which path got id 1 depends on which NVA's route came first)
check_wait "pharos-peer --add-path-rx prints both paths of $P4 with their path ids" 10 \
	eval '[ "$(mon_ids "$P4")" = "1@$NH4_1 2@$NH4_2 " ] || [ "$(mon_ids "$P4")" = "1@$NH4_2 2@$NH4_1 " ]'

stop_proc n2 >/dev/null 2>&1
check_wait "n2 gone: GoBGP keeps only n1's path of $P4" 30 nh_is ipv4 "$P4" "$NH4_1 "
check_wait "... and of $P6" 10 nh_is ipv6 "$P6" "$NH6_1 "

cap_stop gobgp
# tshark decodes the UPDATEs with path ids pharosd sent (it learns ADD-PATH
# from the OPENs in the capture) with no malformed-packet warning
cap_check_sent gobgp pharosd "$RS"
check "the capture holds pharosd's UPDATEs with path ids (bgp.nlri_path_id)" \
	eval '[ -n "$(tshark -n -r "$(cap_file gobgp)" -Y "ip.src == $RS && bgp.type == 2" -T fields -e bgp.nlri_path_id 2>/dev/null | tr -d "\n,")" ]'
check "pharosd exits 0 on SIGTERM" pharosd_stop
check "pharosd stderr has no sanitizer report" sanitizer_clean "$T_DIR/pharosd.log"
stop_proc gobgpd >/dev/null 2>&1
stop_proc n1 >/dev/null 2>&1
stop_proc mon >/dev/null 2>&1
t_done
