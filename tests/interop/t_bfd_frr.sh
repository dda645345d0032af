#!/bin/bash
# t_bfd_frr.sh - BFD (multihop, RFC 5883) with FRR's bfdd: FRR (zebra,
# bgpd, bfdd) peers with pharosd over eBGP multihop with `neighbor bfd`
# and a 100 ms x 3 profile, BGP hold time 90 s. Both sides show the BFD
# session up; every packet of FRR is then dropped (nftables in its
# namespace) and pharosd takes the session and FRR's route down long
# before the hold time; with packets flowing again, BFD and BGP return.
#
#   rs  (pharosd, AS 65515)  br0  198.18.1.1/24
#   frr (FRR, AS 65001)      eth0 198.18.1.2/24  ROUTE
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
FRR_BIN=${FRR_BIN:-/usr/lib/frr}
need_bin "$FRR_BIN/bgpd" "$FRR_BIN/zebra" "$FRR_BIN/bfdd" vtysh nft "$PHAROSD" "$PHAROSCTL" jq

RS=198.18.1.1 FRR=198.18.1.2
API=127.0.0.1:8179
ROUTE=198.19.210.0/24
FRR_DIR=$T_DIR/frr
mkdir -p "$FRR_DIR"

cat >"$FRR_DIR/bgpd.conf" <<CONF
frr defaults traditional
hostname frr
log file $FRR_DIR/bgpd.log debugging
!
router bgp 65001
 bgp router-id $FRR
 no bgp ebgp-requires-policy
 no bgp network import-check
 no bgp default ipv4-unicast
 timers bgp 30 90
 neighbor $RS remote-as 65515
 neighbor $RS update-source $FRR
 neighbor $RS ebgp-multihop 2
 neighbor $RS timers connect 1
 neighbor $RS bfd
 neighbor $RS bfd profile fast
 address-family ipv4 unicast
  network $ROUTE
  neighbor $RS activate
 exit-address-family
!
CONF
cat >"$FRR_DIR/bfdd.conf" <<CONF
hostname frr
log file $FRR_DIR/bfdd.log debugging
!
bfd
 profile fast
  receive-interval 100
  transmit-interval 100
  detect-multiplier 3
 !
!
CONF
echo "hostname frr" >"$FRR_DIR/zebra.conf"
chown -R frr:frr "$FRR_DIR"

vty() { nsx frr vtysh --vty_socket "$FRR_DIR" "$@"; }
frr_bfd_up() { vty -c "show bfd peers" 2>/dev/null | grep -q "Status: up"; }
bfd_field() {
	pctl show peers | jq -r --arg f "$1" '.peers[] | select(.name == "frr") | .bfd[$f]'
}
bfd_field_is() { [ "$(bfd_field "$1")" = "$2" ]; }
gone() { ! route_paths "$1" | grep -q .; }

ns_create rs frr
ns_lan rs br0 frr
ns_addr rs br0 "$RS/24"
ns_addr frr eth0 "$FRR/24"

CONF=$T_DIR/pharosd.yaml
pharos_conf_begin "$CONF" asn=65515 router_id=$RS listen=$RS hold_time=90 keepalive=30
pharos_conf_peer "$CONF" frr nva "$FRR" 65001 passive=true \
	"bfd={min_rx_ms: 100, min_tx_ms: 100, multiplier: 3}"
pharos_conf_api "$CONF" "$API"
pharosd_start rs "$CONF" "$API"

start_in zebra frr "$FRR_BIN/zebra" -f "$FRR_DIR/zebra.conf" -i "$FRR_DIR/zebra.pid" \
	--vty_socket "$FRR_DIR" -z "$FRR_DIR/zserv.api"
sleep 1
start_in bfdd frr "$FRR_BIN/bfdd" -f "$FRR_DIR/bfdd.conf" -i "$FRR_DIR/bfdd.pid" \
	--vty_socket "$FRR_DIR" -z "$FRR_DIR/zserv.api" --bfdctl "$FRR_DIR/bfdd.sock"
start_in frr frr "$FRR_BIN/bgpd" -f "$FRR_DIR/bgpd.conf" -i "$FRR_DIR/bgpd.pid" \
	--vty_socket "$FRR_DIR" -z "$FRR_DIR/zserv.api"

check_wait "FRR session established (hold 90 s)" 40 peer_established frr
check_wait "pharosd's BFD session with FRR is up" 20 bfd_field_is state up
check_eq "BFD runs multihop" "$(bfd_field multihop)" true
check_wait "transmit interval 100 ms, detection time 300 ms" 5 \
	eval 'bfd_field_is tx_interval_ms 100 && bfd_field_is detect_time_ms 300'
check_wait "FRR's bfdd shows the peer up" 10 frr_bfd_up
check_wait "pharosd holds $ROUTE from FRR" 10 route_from "$ROUTE" frr

nsx frr nft -f - <<NFT
table inet silent {
	chain in { type filter hook input priority 0; iifname "eth0" drop; }
	chain out { type filter hook output priority 0; oifname "eth0" drop; }
}
NFT
check_wait "pharosd's BFD session goes down" 5 bfd_field_is state down
check_wait "FRR's route leaves the loc-RIB" 5 gone "$ROUTE"
check "the BGP session is down, long before the 90 s hold time" eval '! peer_established frr'
check_match "last_error says BFD Down" "$(peer_field frr last_error)" "BFD Down"

nsx frr nft delete table inet silent
check_wait "BFD comes back up" 20 bfd_field_is state up
check_wait "the BGP session comes back" 60 peer_established frr
check_wait "$ROUTE is back from FRR" 10 route_from "$ROUTE" frr

check "pharosd exits 0 on SIGTERM" pharosd_stop
check "pharosd stderr has no sanitizer report" sanitizer_clean "$T_DIR/pharosd.log"
t_done
