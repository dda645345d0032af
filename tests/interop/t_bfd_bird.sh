#!/bin/bash
# t_bfd_bird.sh - BFD (RFC 5880, multihop RFC 5883) with a real BIRD NVA:
# BIRD runs BFD at 100 ms x 3 on its multihop BGP session to pharosd
# (hold time 90 s); pharosd shows the BFD session up with the negotiated
# intervals. Then every packet of the NVA is dropped (nftables inside
# its namespace): BFD notices long before the 90 s hold time, pharosd
# takes the BGP session down (Cease, BFD Down) and the NVA's route leaves
# the loc-RIB. When packets flow again, BFD and BGP come back. Last, the
# nva-silent drill does the same from pharosd's side (its own nftables
# table drops the NVA's packets) and records the timeline.
#
#   rs  (pharosd, AS 65515)  br0  198.18.1.1/24
#   b1  (BIRD, AS 65001)     eth0 198.18.1.2/24  ROUTE
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_bin bird birdc nft "$PHAROSD" "$PHAROSCTL" jq

RS=198.18.1.1 B1=198.18.1.2
API=127.0.0.1:8179
ROUTE=198.19.201.0/24
HUB=198.18.100.0/24

cat >"$T_DIR/b1.conf" <<CONF
router id $B1;
log "$T_DIR/b1-daemon.log" all;
protocol device { }
protocol static { ipv4; route $ROUTE blackhole; }
protocol bfd {
	multihop { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; };
}
protocol bgp pharos {
	local $B1 as 65001;
	neighbor $RS as 65515;
	multihop;
	connect delay time 1;
	connect retry time 2;
	error wait time 1, 5;	# BIRD's own back-off after an error (BFD down)
	hold time 90;
	strict bind on;
	bfd on;
	ipv4 { import all; export where source = RTS_STATIC; };
}
CONF

birdc_() { nsx b1 birdc -s "$T_DIR/b1.ctl" "$@"; }
bfd_field() {
	pctl show peers | jq -r --arg f "$1" '.peers[] | select(.name == "b1") | .bfd[$f]'
}
bfd_field_is() { [ "$(bfd_field "$1")" = "$2" ]; }
gone() { ! route_paths "$1" | grep -q .; }

ns_create rs b1
ns_lan rs br0 b1
ns_addr rs br0 "$RS/24"
ns_addr b1 eth0 "$B1/24"

CONF=$T_DIR/pharosd.yaml
pharos_conf_begin "$CONF" asn=65515 router_id=$RS listen=$RS hold_time=90 keepalive=30
pharos_conf_peer "$CONF" b1 nva "$B1" 65001 \
	"bfd={min_rx_ms: 100, min_tx_ms: 100, multiplier: 3}"
TOKEN=$T_DIR/api.token
echo "bfd-$$" >"$TOKEN"
pharos_conf_api "$CONF" "$API" "$TOKEN"
pharos_conf_vnet "$CONF" hub "$HUB"
pharosd_start rs "$CONF" "$API"
start_in b1 b1 bird -f -c "$T_DIR/b1.conf" -s "$T_DIR/b1.ctl"

check_wait "b1 (BIRD) session established (hold 90 s)" 30 peer_established b1
check_eq "negotiated hold time is 90 s" "$(peer_field b1 hold_time)" 90
check_wait "pharosd's BFD session with b1 is up" 15 bfd_field_is state up
check_eq "BFD runs multihop (UDP 4784)" "$(bfd_field multihop)" true
check_wait "transmit interval negotiated down to 100 ms" 5 bfd_field_is tx_interval_ms 100
check_wait "detection time is 3 x 100 ms" 5 bfd_field_is detect_time_ms 300
check_wait "BIRD shows its BFD session Up" 5 \
	eval 'birdc_ show bfd sessions | grep -q " Up "'
check_wait "pharosd holds $ROUTE from b1" 10 route_from "$ROUTE" b1
check_eq "pharos_peer_bfd_state{peer=b1} is 3 (up)" \
	"$(metrics_of rs "$API" | metric_value pharos_peer_bfd_state b1)" 3

# down_ms T0 N: milliseconds from T0 (epoch seconds) to the Nth "session
# down" line of pharosd's log (its own timestamp).
down_ms() {
	local ts
	ts=$(grep '\[b1\] session down' "$(log_of pharosd)" | sed -n "${2}p" | cut -d' ' -f1)
	[ -n "$ts" ] || return 1
	awk -v a="$1" -v b="$(date -d "$ts" +%s.%N)" 'BEGIN { printf "%.0f", (b - a) * 1000 }'
}

# --- the NVA goes silent: every packet to and from it is dropped; then
# packets flow again. BFD_RUNS=N repeats the cycle (bench/bfd_silent.sh).
for run in $(seq 1 "${BFD_RUNS:-1}"); do
	nsx b1 nft -f - <<NFT
table inet silent {
	chain in { type filter hook input priority 0; iifname "eth0" drop; }
	chain out { type filter hook output priority 0; oifname "eth0" drop; }
}
NFT
	t0=$(date +%s.%N)
	check_wait "run $run: pharosd's BFD session goes down" 5 bfd_field_is state down
	check_wait "run $run: b1's route leaves the loc-RIB" 5 gone "$ROUTE"
	check "run $run: the BGP session is down, long before the 90 s hold time" \
		eval '! peer_established b1'
	diag "run $run: BGP session down $(down_ms "$t0" "$run") ms after the drop (hold time 90 s)"
	if [ "$run" = 1 ]; then
		check_match "last_error says BFD Down" "$(peer_field b1 last_error)" "BFD Down"
		check_eq "bfd.downs is 1" "$(bfd_field downs)" 1
		check "a bfd_down event was recorded" \
			eval 'pctl show events | jq -e ".events | any(.[]; .type == \"bfd_down\" and .peer == \"b1\")" >/dev/null'
	fi
	nsx b1 nft delete table inet silent
	check_wait "run $run: BFD comes back up" 20 bfd_field_is state up
	check_wait "run $run: the BGP session comes back" 40 peer_established b1
	check_wait "run $run: $ROUTE is back from b1" 10 route_from "$ROUTE" b1
done

# --- the nva-silent drill: pharosd silences b1 itself for 3 s
ctl() { nsx rs "$PHAROSCTL" -s "http://$API" -t "$TOKEN" "$@"; }
out=$(ctl -j drill nva-silent b1 --restore-after 3 --wait 2>&1)
drill=$(printf '%s' "$out" | jq -c 'select(.id?)' 2>/dev/null | tail -1)
[ -n "$drill" ] || drill=$(ctl -j show drills | jq -c '.drills[0]')
check_eq "the nva-silent drill is done" "$(printf '%s' "$drill" | jq -r .state)" done
check_eq "its type is nva-silent" "$(printf '%s' "$drill" | jq -r .type)" nva-silent
ms_of() { printf '%s' "$drill" | jq -r --arg p "$1" '.timeline[] | select(.phase == $p) | .ms'; }
down_ms=$(ms_of session_down)
check "the session went down while silenced, before the restore at 3 s (${down_ms} ms; hold time 90 s)" \
	eval '[ -n "$down_ms" ] && [ "$down_ms" -ge 0 ] && [ "$down_ms" -lt 3000 ]'
check "the timeline has the session back up" eval '[ "$(ms_of session_up)" -gt 0 ]'
check_match "last_error says BFD Down" "$(peer_field b1 last_error)" "BFD Down"
check "pharosd's nftables table is gone after the drill" \
	eval '! nsx rs nft list tables | grep -q pharos_drill'
check_wait "$ROUTE is back from b1 after the drill" 10 route_from "$ROUTE" b1

check "pharosd exits 0 on SIGTERM" pharosd_stop
check "pharosd stderr has no sanitizer report" sanitizer_clean "$T_DIR/pharosd.log"
t_done
