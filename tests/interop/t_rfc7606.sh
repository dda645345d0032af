#!/bin/bash
# t_rfc7606.sh - the RFC 7606 catalogue over real BGP sessions. A scripted
# sender (pharos-peer --file with raw messages) first announces a prefix
# cleanly, then sends a malformed UPDATE for it; each case is checked for
# the outcome the RFC asks for:
#   treat-as-withdraw  the prefix leaves pharosd's loc-RIB, the session
#                      stays up, the witness peer sees the withdrawal;
#   attribute discard  the route stays, the bad attribute is gone;
#   session reset      the sender receives the NOTIFICATION with the right
#                      code/subcode (its JSON output) and its routes go;
# and, for every case, an update_error event naming the sender and the
# error (GET /api/v1/events), while a witness peer stays established with
# its route and uptime untouched. One pharosd on the loopback of the
# test's own namespace serves every case; the sender reconnects after
# each reset.
. "$(dirname "$0")/../lib.sh"

need_bin "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER" jq curl
PORT=1794
API=127.0.0.1:18194
CONF=$T_DIR/pharosd.yaml
M=FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF

ns_create rs
pharos_conf_begin "$CONF" asn=65515 router_id=198.18.0.1 listen=127.0.0.1 \
	port=$PORT hold_time=30 keepalive=10
pharos_conf_peer "$CONF" witness nva 127.0.0.2 65001 passive=true
pharos_conf_peer "$CONF" sender nva 127.0.0.3 65003 passive=true
pharos_conf_peer "$CONF" sender2 nva 127.0.0.4 65004 passive=true
# The cases announce documentation prefixes (2001:db8::/32) over the
# loopback, which the default martians refuse when the configuration does
# not use them: give the list without the documentation ranges.
echo "  martians: [0.0.0.0/8, 127.0.0.0/8, 169.254.0.0/16, 224.0.0.0/4, 240.0.0.0/4, fe80::/10, ff00::/8]" >>"$CONF"
pharos_conf_api "$CONF" "$API"
pharosd_start rs "$CONF" "$API"

start_in witness rs stdbuf -oL "$PHAROS_PEER" -a 65001 -R 65515 -b 127.0.0.2 -o json \
	-A 198.19.1.0/24 127.0.0.1 $PORT
check_wait "the witness peer is established" 15 peer_established witness
check_wait "pharosd holds the witness's route" 10 route_from 198.19.1.0/24 witness
WLOG=$(log_of witness)

# ------------------------------------------------------------- builders
hexlen() { printf '%04X' $((${#1} / 2)); }
# upd ATTRS NLRI [WITHDRAWN]: a whole UPDATE message in hex
upd() {
	local a=$1 n=${2:-} w=${3:-} body
	body=$(hexlen "$w")$w$(hexlen "$a")$a$n
	printf '%s%04X02%s' "$M" $((19 + ${#body} / 2)) "$body"
}
# attr FLAGS CODE VALUE: one attribute (extended length when FLAGS says so)
attr() {
	if (( 0x$1 & 0x10 )); then printf '%s%s%s%s' "$1" "$2" "$(hexlen "$3")" "$3"
	else printf '%s%s%02X%s' "$1" "$2" $((${#3} / 2)) "$3"; fi
}
ORIGIN=$(attr 40 01 00)
ASP=$(attr 40 02 02010000FDEB)       # SEQ 65003 (4-octet)
NH=$(attr 40 03 7F000003)            # 127.0.0.3
BASE=$ORIGIN$ASP$NH
nlri() { printf '18C613%02X' "$1"; } # 198.19.N.0/24
pfx() { echo "198.19.$1.0/24"; }
# MP_REACH IPv6 unicast, next hop 2001:db8::3, NLRI 2001:db8:N::/48
mpr6() { attr 80 0E "000201""10""20010DB8000000000000000000000003""00""3020010DB800$(printf '%02X' "$1")"; }
p6() { printf '2001:db8:%x::/48' "$1"; }

# ---------------------------------------------------------- expectations
path_of() { route_paths "$1" | jq -c --arg p "$2" 'select(.peer == $p)'; }
gone() { ! route_from "$1" "$2"; }
not_established() { ! peer_established "$1"; }
# witness_saw PREFIX: the witness received an announcement of PREFIX
witness_saw() { grep '^{' "$WLOG" | jq -e -s --arg p "$1" \
	'any(.[] | select(.type == "update") | .announce[]?; .prefix == $p)' >/dev/null; }
# events_json: the update_error events; events_for PEER: their reasons
events_json() { nsx rs curl -s -m 5 "http://$API/api/v1/events?type=update_error&limit=1000"; }
events_for() { events_json | jq -r --arg p "$1" '.events[] | select(.peer == $p) | .reason'; }
event_has() { events_for "$1" | grep -qiE -- "$2"; }

diag "elapsed ${SECONDS}s"
# --------------------------------------------- treat-as-withdraw, discard
# name|prefix index|malformed attributes|NLRI kind|error regex
TAW_CASES=(
	"ORIGIN value 3|10|$(attr 40 01 03)$ASP$NH|v4|ORIGIN"
	"ORIGIN length 2|11|$(attr 40 01 0000)$ASP$NH|v4|Attribute Length"
	"ORIGIN flags optional|12|$(attr C0 01 00)$ASP$NH|v4|Attribute Flags"
	"AS_PATH segment overrun|13|$ORIGIN$(attr 40 02 02020000FDEB)$NH|v4|AS_PATH"
	"AS_PATH segment type 5|14|$ORIGIN$(attr 40 02 05010000FDEB)$NH|v4|AS_PATH"
	"AS_PATH confederation segment from eBGP|15|$ORIGIN$(attr 40 02 03010000FDE802010000FDEB)$NH|v4|AS_PATH"
	"AS_PATH flags optional|16|$ORIGIN$(attr C0 02 02010000FDEB)$NH|v4|Attribute Flags"
	"NEXT_HOP length 5|17|$ORIGIN$ASP$(attr 40 03 7F00000300)|v4|Attribute Length"
	"NEXT_HOP 0.0.0.0|18|$ORIGIN$ASP$(attr 40 03 00000000)|v4|NEXT_HOP"
	"NEXT_HOP multicast|19|$ORIGIN$ASP$(attr 40 03 E0000001)|v4|NEXT_HOP"
	"NEXT_HOP flags optional|20|$ORIGIN$ASP$(attr 80 03 7F000003)|v4|Attribute Flags"
	"MED length 3|21|$BASE$(attr 80 04 000000)|v4|Attribute Length"
	"COMMUNITIES length 5|22|$BASE$(attr C0 08 FDEB000100)|v4|Attribute Length"
	"COMMUNITIES length 0|23|$BASE$(attr C0 08 '')|v4|Attribute Length"
	"COMMUNITIES flags well-known|24|$BASE$(attr 40 08 FDEB0001)|v4|Attribute Flags"
	"EXT_COMMUNITIES length 7|25|$BASE$(attr C0 10 0002FDEB000000)|v4|Attribute Length"
	"LARGE_COMMUNITIES length 13|26|$BASE$(attr C0 20 0000FDEB000000010000000200)|v4|Attribute Length"
	"LARGE_COMMUNITIES length 0|27|$BASE$(attr C0 20 '')|v4|Attribute Length"
	"ORIGIN missing|28|$ASP$NH|v4|Missing Well-known"
	"AS_PATH missing|29|$ORIGIN$NH|v4|Missing Well-known"
	"NEXT_HOP missing|30|$ORIGIN$ASP|v4|Missing Well-known"
	"attribute overruns the list|31|$BASE""C0080A0000|v4|Malformed Attribute List"
	"ORIGIN missing with MP_REACH|32|$ASP|v6|Missing Well-known"
)
# name|prefix index|clean extra attributes|malformed extra attributes|jq check on the kept path|error regex
DISCARD_CASES=(
	"AGGREGATOR length 6|40|$(attr C0 07 0000FDEB7F000003)|$(attr C0 07 FDEB7F000003)|.aggregator == null|AGGREGATOR"
	"AGGREGATOR flags well-known|41|$(attr C0 07 0000FDEB7F000003)|$(attr 40 07 0000FDEB7F000003)|.aggregator == null|AGGREGATOR"
	"ATOMIC_AGGREGATE length 1|42|$(attr 40 06 '')|$(attr 40 06 00)|.atomic_aggregate == false|ATOMIC_AGGREGATE"
	"LOCAL_PREF from an eBGP peer|43||$(attr 40 05 00000190)|.local_pref == 100|LOCAL_PREF"
	"duplicate COMMUNITIES (first kept)|44|$(attr C0 08 FDEB0001)|$(attr C0 08 FDEB0001)$(attr C0 08 FDEB0002)|.communities == [\"65003:1\"]|COMMUNITIES"
	"duplicate ORIGIN (first kept)|45||$(attr 40 01 02)|.origin == \"igp\"|ORIGIN"
)

script=$T_DIR/sender.script
: >"$script"
for c in "${TAW_CASES[@]}"; do
	IFS='|' read -r name i bad kind re <<<"$c"
	if [ "$kind" = v6 ]; then
		echo "raw $(upd "$ORIGIN$ASP$(mpr6 "$i")")"
		echo "sleep 250"
		echo "raw $(upd "$bad$(mpr6 "$i")")"
	else
		echo "raw $(upd "$BASE" "$(nlri "$i")")"
		echo "sleep 250"
		echo "raw $(upd "$bad" "$(nlri "$i")")"
	fi
	echo "sleep 50"
done >>"$script"
for c in "${DISCARD_CASES[@]}"; do
	IFS='|' read -r name i clean bad jqc re <<<"$c"
	echo "raw $(upd "$BASE$clean" "$(nlri "$i")")"
	echo "sleep 250"
	echo "raw $(upd "$BASE$bad" "$(nlri "$i")")"
	echo "sleep 50"
done >>"$script"
echo "raw $(upd "$BASE" "$(nlri 99)")" >>"$script" # the end marker

wup0=$(peer_field witness uptime_s)
# Every event carries seq; the sender's cases are matched to the events
# after this mark, one each, in the order the script sent them.
seq0=$(nsx rs curl -s -m 5 "http://$API/api/v1/events?limit=1000" | jq '[.events[].seq] | max // 0')
start_in sender rs stdbuf -oL "$PHAROS_PEER" -a 65003 -R 65515 -b 127.0.0.3 -o json \
	-f "$script" 127.0.0.1 $PORT
check_wait "the sender is established" 15 peer_established sender
nsteps=$(( ${#TAW_CASES[@]} + ${#DISCARD_CASES[@]} ))
check_wait "the sender's script ran ($nsteps cases)" $((nsteps + 20)) route_from "$(pfx 99)" sender

diag "elapsed ${SECONDS}s: script done"
# The script is over: check every case against one snapshot of the
# loc-RIB and of the events.
pctl show routes >"$T_DIR/routes.json"
events_json >"$T_DIR/events.json"
snap_paths() { jq -c --arg p "$1" --arg peer "$2" \
	'.routes[]? | select(.prefix == $p) | .paths[] | select(.peer == $peer)' "$T_DIR/routes.json"; }
snap_gone() { [ -z "$(snap_paths "$1" "$2")" ]; }
# the sender's update_error reasons after the mark, in seq order
mapfile -t SEV < <(jq -r --arg p sender --argjson s "$seq0" \
	'[.events[] | select(.peer == $p and .seq > $s)] | sort_by(.seq) | .[].reason' \
	"$T_DIR/events.json")
check_eq "one update_error event per malformed UPDATE ($nsteps)" "${#SEV[@]}" "$nsteps"
# case_event K REGEX: the K-th (from 0) event after the mark matches REGEX
case_event() {
	printf '%s\n' "${SEV[$1]:-}" | grep -qiE -- "$2" && return 0
	diag "  event $1: ${SEV[$1]:-none}"
	return 1
}
ci=0
for c in "${TAW_CASES[@]}"; do
	IFS='|' read -r name i bad kind re <<<"$c"
	if [ "$kind" = v6 ]; then p=$(p6 "$i"); else p=$(pfx "$i"); fi
	check "$name: announced cleanly first (the witness got $p)" witness_saw "$p"
	check "$name: treat-as-withdraw, $p left the loc-RIB" snap_gone "$p" sender
	check "$name: its own event (#$((ci + 1))) says treat-as-withdraw and $re" \
		case_event $ci "treat-as-withdraw.*$re"
	ci=$((ci + 1))
done
check "every treat-as-withdraw case kept the session established" peer_established sender
ups=$(peer_field sender uptime_s)
for c in "${DISCARD_CASES[@]}"; do
	IFS='|' read -r name i clean bad jqc re <<<"$c"
	p=$(pfx "$i")
	check "$name: announced cleanly first (the witness got $p)" witness_saw "$p"
	got=$(snap_paths "$p" sender)
	if [ -n "$got" ] && printf '%s' "$got" | jq -e "$jqc" >/dev/null; then
		ok "$name: attribute discard, $p kept without it"
	else
		not_ok "$name: attribute discard, $p kept without it"
		diag "  path: $got"
	fi
	check "$name: its own event (#$((ci + 1))) says discard and $re" case_event $ci "discard.*$re"
	ci=$((ci + 1))
done
check_eq "the sender's session was never reset (no NOTIFICATION received)" \
	"$(grep -c '"type":"notification"' "$(log_of sender)")" 0
stop_proc sender
check_wait "the sender's routes went with its session" 10 gone "$(pfx 99)" sender

diag "elapsed ${SECONDS}s"
# -------------------------------------------------- AS4_* on a 2-octet peer
# AS_PATH 65004 23456 with AS4_PATH 65004 400000 (merged), then a broken
# AS4_PATH or AS4_AGGREGATOR: discarded, the AS_PATH alone remains.
ASP2=$(attr 40 02 0202FDEC5BA0)
NH4=$(attr 40 03 7F000004)
AS4P=$(attr C0 11 02020000FDEC00061A80)
AGG2=$(attr C0 07 5BA07F000004)
script2=$T_DIR/sender2.script
{
	echo "raw $(upd "$ORIGIN$ASP2$NH4$AS4P" "$(nlri 50)")"
	echo "sleep 400"
	echo "raw $(upd "$ORIGIN$ASP2$NH4$(attr C0 11 02030000FDEC00061A80)" "$(nlri 50)")"
	echo "sleep 100"
	echo "raw $(upd "$ORIGIN$ASP2$NH4$AGG2$(attr C0 12 00061A807F000004)" "$(nlri 51)")"
	echo "sleep 400"
	echo "raw $(upd "$ORIGIN$ASP2$NH4$AGG2$(attr C0 12 061A807F000004)" "$(nlri 51)")"
	echo "sleep 100"
	echo "raw $(upd "$ORIGIN$ASP2$NH4" "$(nlri 98)")"
} >"$script2"
start_in sender2 rs stdbuf -oL "$PHAROS_PEER" -2 -a 65004 -R 65515 -b 127.0.0.4 -o json \
	-f "$script2" 127.0.0.1 $PORT
check_wait "the 2-octet sender is established" 15 peer_established sender2
check_wait "the 2-octet sender's script ran" 15 route_from "$(pfx 98)" sender2
check "AS4_PATH malformed: announced cleanly first (path 65004 400000 seen)" \
	peer_got "$WLOG" "$(pfx 50)" 127.0.0.4 "65515 65004 400000"
check "AS4_PATH malformed: attribute discard, path is 65004 23456" \
	route_has "$(pfx 50)" sender2 127.0.0.4 "65004 23456"
check "AS4_PATH malformed: event names sender2 and AS4_PATH" event_has sender2 "discard.*AS4_PATH"
check "AS4_AGGREGATOR length 7: route kept with the 2-octet AGGREGATOR" \
	jq -e '.aggregator.asn == 23456' <<<"$(path_of "$(pfx 51)" sender2)"
check "AS4_AGGREGATOR length 7: event names sender2 and AS4_AGGREGATOR" \
	event_has sender2 "discard.*AS4_AGGREGATOR"
check "the 2-octet sender was never reset" peer_established sender2
stop_proc sender2

diag "elapsed ${SECONDS}s"
# ------------------------------------------------------------ session reset
# name|malformed message (after a clean announce of 198.19.60+k.0/24)|code|subcode
RESET_CASES=(
	"MP_REACH too short|$(upd "$BASE$(attr 80 0E 000201)")|3|9"
	"MP_REACH NLRI overrun|$(upd "$ORIGIN$ASP$(attr 80 0E 0002011020010DB8000000000000000000000003004020010DB8)")|3|9"
	"MP_REACH next hop length 12|$(upd "$ORIGIN$ASP$(attr 80 0E 0002010C20010DB800000000000000000030200DB8)")|3|9"
	"MP_REACH flags well-known|$(upd "$ORIGIN$ASP$(attr 40 0E 0002011020010DB8000000000000000000000003003020010DB800AA)")|3|4"
	"MP_UNREACH NLRI overrun|$(upd "$(attr 80 0F 000201402001)")|3|9"
	"MP_REACH twice|$(upd "$ORIGIN$ASP$(mpr6 70)$(mpr6 71)")|3|1"
	"NLRI prefix length 33|$(upd "$BASE" 21C6133C01)|3|10"
	"NLRI overrun|$(upd "$BASE" 18C613)|3|10"
	"unknown well-known attribute|$(upd "$BASE$(attr 40 63 00)" "$(nlri 80)")|3|2"
	"withdrawn routes length overrun|${M}001702""0010""0000|3|1"
)
k=0
for c in "${RESET_CASES[@]}"; do
	IFS='|' read -r name bad code sub <<<"$c"
	k=$((k + 1))
	p=$(pfx $((60 + k)))
	sc=$T_DIR/reset$k.script
	printf 'raw %s\nwait-prefixes 1\nsleep 300\nraw %s\n' \
		"$(upd "$BASE" "$(nlri $((60 + k)))")" "$bad" >"$sc"
	nev=$(events_for sender | grep -c 'session reset')
	wait_until 10 not_established sender || true
	diag "elapsed ${SECONDS}s: reset case $k"
	start_in reset$k rs stdbuf -oL "$PHAROS_PEER" -a 65003 -R 65515 -b 127.0.0.3 -o json \
		-t 10 -f "$sc" 127.0.0.1 $PORT
	if ! wait_until 15 grep -q '"type":"notification"' "$(log_of reset$k)"; then
		not_ok "$name: the sender received a NOTIFICATION"
		continue
	fi
	n=$(grep '"type":"notification"' "$(log_of reset$k)" | head -1)
	check_eq "$name: session reset with NOTIFICATION $code/$sub" \
		"$(jq -r '"\(.code)/\(.subcode)"' <<<"$n")" "$code/$sub"
	check "$name: the clean announcement had reached the witness first" witness_saw "$p"
	check_wait "$name: $p left the loc-RIB with the session" 5 gone "$p" sender
	check_wait "$name: event names the sender and the reset" 5 \
		test "$(events_for sender | grep -c 'session reset')" -gt "$nev"
	stop_proc reset$k
done

diag "elapsed ${SECONDS}s"
# ------------------------------------------------------------- the witness
check "the witness is still established" peer_established witness
wup1=$(peer_field witness uptime_s)
check "the witness's session never restarted (uptime $wup0 -> $wup1 s)" test "$wup1" -ge "$wup0"
check_eq "the witness's flap count is 0" "$(pctl show peers | jq -r '.peers[] | select(.name=="witness") | .flaps // 0')" 0
check "pharosd still holds the witness's route" route_has 198.19.1.0/24 witness 127.0.0.2 65001
check_eq "the witness received no NOTIFICATION" \
	"$(grep -c '"type":"notification"' "$WLOG")" 0
check "pharosd exits 0 on SIGTERM" pharosd_stop
check "pharosd stderr has no sanitizer report" sanitizer_clean "$(log_of pharosd)"
t_done
