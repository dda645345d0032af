#!/bin/bash
# t_bad_input.sh - pharosd against malformed input from a configured peer
# (pharos-peer --raw-open / --raw): bad OPENs, bad headers, an unknown
# message type, a malformed UPDATE attribute (treat-as-withdraw), routes
# whose next hop cannot be one (loopback, class E, broadcast, multicast,
# unspecified, the route server's own address: treat-as-withdraw at
# import, RFC 7606 7.3), and a connection from an unknown address. Each must get the right NOTIFICATION
# (or refusal), be logged with the peer and the reason, and never disturb
# another established session. Runs on the loopback of its own namespace.
. "$(dirname "$0")/../lib.sh"

need_bin "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER" jq
PORT=1791
API=127.0.0.1:18180
CONF=$T_DIR/pharosd.yaml
M=ffffffffffffffffffffffffffffffff # header marker

ns_create rs
# Non-loopback addresses on lo for the next-hop peer (loopback next hops
# are only refused on sessions that are not themselves over loopback).
nsx rs ip addr add 198.18.0.1/32 dev lo
nsx rs ip addr add 198.18.0.5/32 dev lo
pharos_conf_begin "$CONF" asn=65515 router_id=198.18.0.1 listen=127.0.0.1,198.18.0.1 \
	port=$PORT hold_time=30 keepalive=10
pharos_conf_peer "$CONF" good nva 127.0.0.2 65001 passive=true
pharos_conf_peer "$CONF" bad nva 127.0.0.3 65003 passive=true
pharos_conf_peer "$CONF" nhpeer nva 198.18.0.5 65005 passive=true
# The lab announces documentation prefixes (2001:db8::/32) over the
# loopback, which the default martians refuse when the configuration does
# not use them: give the list without the documentation ranges.
echo "  martians: [0.0.0.0/8, 127.0.0.0/8, 169.254.0.0/16, 224.0.0.0/4, 240.0.0.0/4, fe80::/10, ff00::/8]" >>"$CONF"
pharos_conf_api "$CONF" "$API"
pharos_conf_vnet "$CONF" hub 198.18.0.0/24
pharosd_start rs "$CONF" "$API"
PLOG=$(log_of pharosd)

start_in good rs stdbuf -oL "$PHAROS_PEER" -a 65001 -R 65515 -b 127.0.0.2 -o json \
	-A 198.19.1.0/24 127.0.0.1 $PORT
check_wait "the good peer is established" 15 peer_established good
up0=$(peer_field good uptime_s)

n=0
# bad_case DESC CODE SUBCODE LOGRE pharos-peer-args...: run the bad peer
# once; it must exit 2 with NOTIFICATION CODE/SUBCODE, and pharosd must log
# it for peer "bad" (LOGRE: extended regex after "[bad] ").
bad_case() {
	local desc=$1 code=$2 sub=$3 re=$4 out rc
	shift 4
	n=$((n + 1))
	out=$T_DIR/bad$n.out
	nsx rs timeout 20 "$PHAROS_PEER" -a 65003 -b 127.0.0.3 -i 198.18.0.3 -o json "$@" \
		127.0.0.1 $PORT >"$out" 2>&1
	rc=$?
	check_eq "$desc: pharos-peer exits 2 (closed by NOTIFICATION)" "$rc" 2
	check "$desc: NOTIFICATION $code/$sub received" \
		jq -e -s --argjson c "$code" --argjson s "$sub" \
		'any(.[]; .type == "notification" and .code == $c and .subcode == $s)' \
		< <(grep '^{' "$out")
	check_wait "$desc: logged with the peer and the reason" 5 \
		grep -qE "\[bad\] $re" "$PLOG"
}

# ------------------------------------------------------------ OPEN
bad_case "bad version 3" 2 1 'sending NOTIFICATION 2/1 .*[Vv]ersion' \
	--raw-open "${M}001d0103fdeb005ac612000300"
check "bad version: the NOTIFICATION carries our version (data 0004)" \
	grep -qE '\[bad\] sending NOTIFICATION 2/1 .*\(data 0004\)' "$PLOG"
bad_case "hold time 1" 2 6 'sending NOTIFICATION 2/6 .*[Hh]old' \
	--raw-open "${M}001d0104fdeb0001c612000300"
bad_case "wrong peer ASN 65099" 2 2 'sending NOTIFICATION 2/2 .*65099' \
	--raw-open "${M}001d0104fe4b005ac612000300"
bad_case "zero BGP identifier" 2 3 'sending NOTIFICATION 2/3 .*[Ii]dentifier' \
	--raw-open "${M}001d0104fdeb005a0000000000"

# ---------------------------------------------------------- header
bad_case "bad marker" 1 1 'sending NOTIFICATION 1/1 .*marker' \
	--raw "00000000000000000000000000000000001304"
bad_case "too long KEEPALIVE (20 bytes)" 1 2 'sending NOTIFICATION 1/2 .*length 20.*\(data 0014\)' \
	--raw "${M}00140400"
bad_case "unknown message type 9" 1 3 'sending NOTIFICATION 1/3 .*type 9.*\(data 09\)' \
	--raw "${M}001309"
check_eq "the bad peer counted its notifications" "$(peer_field bad notifications_out)" "$n"

# --------------------------------------------- malformed attribute
# UPDATE with ORIGIN 5 (invalid), AS_PATH 65003, NEXT_HOP 127.0.0.3 and
# NLRI 198.19.7.0/24: RFC 7606 treat-as-withdraw, the session stays.
UPD="${M}002f02""0000""0014""40010105""40020602010000fdeb""4003047f000003""18c61307"
nsx rs timeout 20 stdbuf -oL "$PHAROS_PEER" -a 65003 -b 127.0.0.3 -i 198.18.0.3 -o json \
	-t 3 --raw "$UPD" 127.0.0.1 $PORT >"$T_DIR/taw.out" 2>&1 &
TAW=$!
track_pid taw $TAW
check_wait "malformed attribute: the session is established" 10 peer_established bad
check_wait "malformed attribute: pharosd logs treat-as-withdraw for the peer" 10 \
	grep -qE '\[bad\] malformed UPDATE .*treat-as-withdraw' "$PLOG"
check "malformed attribute: an update_error event names the peer" \
	jq -e 'any(.events[]; .type == "update_error" and .peer == "bad")' < <(pctl show events)
check "malformed attribute: 198.19.7.0/24 is not in the RIB" \
	bash -c '[ -z "$1" ]' _ "$(route_paths 198.19.7.0/24)"
check "malformed attribute: the session is still established" peer_established bad
check "malformed attribute: no NOTIFICATION was sent" \
	bash -c "! grep -q '\"type\":\"notification\"' '$T_DIR/taw.out'"
stop_proc taw TERM 10
check_eq "malformed attribute: treat_as_withdraw counted" "$(peer_field bad treat_as_withdraw)" 1

# ---------------------------------------------- semantically bad next hop
# nhpeer (198.18.0.5 -> 198.18.0.1) first announces 198.19.40.0/24
# cleanly, then every bad next hop (the last one re-announces .40 with a
# loopback next hop), waits for the go file, then announces two of the
# refused prefixes again with a good next hop.
BAD_NH=(
	"198.19.30.0/24|127.0.0.1"
	"198.19.31.0/24|240.0.0.1"
	"198.19.32.0/24|255.255.255.255"
	"198.19.33.0/24|198.18.0.1"
	"198.19.34.0/24|0.0.0.0"
	"198.19.35.0/24|224.0.0.5"
	"2001:db8:30::/48|::1"
	"2001:db8:31::/48|ff02::1"
	"2001:db8:32::/48|::"
	"198.19.40.0/24|127.0.0.9"
)
NHS=$T_DIR/nh.script
{
	echo "announce 198.19.40.0/24 nh 198.18.0.5"
	echo "wait-prefixes 1"
	echo "sleep 300"
	for c in "${BAD_NH[@]}"; do echo "announce ${c%%|*} nh ${c#*|}"; done
	echo "wait-file $T_DIR/nh.go"
	echo "announce 198.19.30.0/24 nh 198.18.0.5"
	echo "announce 2001:db8:30::/48 nh 2001:db8::5"
} >"$NHS"
start_in nhpeer rs stdbuf -oL "$PHAROS_PEER" -a 65005 -R 65515 -b 198.18.0.5 -o json \
	-t 600 -f "$NHS" 198.18.0.1 $PORT
check_wait "bad next hop: the session is established" 10 peer_established nhpeer
check_wait "bad next hop: every one counted as treat-as-withdraw" 10 \
	peer_field_is nhpeer treat_as_withdraw ${#BAD_NH[@]}
pctl show events >"$T_DIR/nh-events.json"
for c in "${BAD_NH[@]}"; do
	p=${c%%|*} nh=${c#*|}
	check "bad next hop $nh: $p is not in the RIB" \
		bash -c '[ -z "$1" ]' _ "$(route_paths "$p")"
	check "bad next hop $nh: an update_error event names the peer and $nh" \
		jq -e --arg nh "$nh" 'any(.events[]; .type == "update_error" and
			.peer == "nhpeer" and (.reason | contains("treat-as-withdraw")) and
			(.reason | contains(" \($nh) ") or endswith(" \($nh)") or contains(" \($nh):")))' \
		"$T_DIR/nh-events.json"
done
check "bad next hop: pharosd logged the refused next hop" \
	grep -qE '\[nhpeer\] invalid NEXT_HOP 127\.0\.0\.1 .*treat-as-withdraw' "$PLOG"
check "bad next hop: the IPv6 one too" \
	grep -qE '\[nhpeer\] invalid MP_REACH next hop ff02::1 .*treat-as-withdraw' "$PLOG"
check_wait "bad next hop: the good peer saw 198.19.40.0/24 withdrawn" 10 \
	peer_withdrew "$(log_of good)" 198.19.40.0/24
check "bad next hop: the session is still established" peer_established nhpeer
check "bad next hop: no NOTIFICATION was sent" \
	bash -c "! grep -q '\"type\":\"notification\"' '$(log_of nhpeer)'"
check "bad next hop: the good peer never saw a refused route" \
	bash -c "! grep '^{' '$(log_of good)' | grep -qE '198\.19\.3[0-5]\.0/24|2001:db8:3[0-2]::/48'"
touch "$T_DIR/nh.go"
check_wait "a later good announcement of 198.19.30.0/24 is accepted" 10 \
	route_has 198.19.30.0/24 nhpeer 198.18.0.5 65005
check_wait "a later good announcement of 2001:db8:30::/48 is accepted" 10 \
	route_has 2001:db8:30::/48 nhpeer 2001:db8::5 65005
check_wait "the good peer receives 198.19.30.0/24" 10 \
	peer_got "$(log_of good)" 198.19.30.0/24 198.18.0.5 "65515 65005"
check_eq "bad next hop: no further treat-as-withdraw" \
	"$(peer_field nhpeer treat_as_withdraw)" ${#BAD_NH[@]}
stop_proc nhpeer TERM 10

# ------------------------------------------------- unknown address
nsx rs timeout 10 "$PHAROS_PEER" -a 65099 -b 127.0.0.9 -o json 127.0.0.1 $PORT \
	>"$T_DIR/stranger.out" 2>&1
check "unknown address 127.0.0.9: pharos-peer fails" [ $? -ne 0 ]
check "unknown address: no OPEN was received" \
	bash -c "! grep -q '\"type\":\"open\"' '$T_DIR/stranger.out'"
check_wait "unknown address: refusal logged with the address" 5 \
	grep -q 'refused connection from 127.0.0.9: not a configured peer' "$PLOG"

# ------------------------------------------- the good session held
check "the good session is still established" peer_established good
check_eq "the good session never flapped" "$(peer_field good flaps)" 0
up1=$(peer_field good uptime_s)
check "its uptime kept growing ($up0 -> $up1)" [ "$up1" -ge "$up0" ]
check "its route is still in the RIB" route_from 198.19.1.0/24 good
check "the good pharos-peer is still running" alive good

pharosd_stop
check_eq "pharosd exits 0 on SIGTERM" "$T_RC" 0
check "pharosd's stderr has no sanitizer report" sanitizer_clean "$PLOG"
t_done
