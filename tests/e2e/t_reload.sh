#!/bin/bash
# t_reload.sh - configuration reload of a running pharosd, with pharos-peer
# NVAs on the loopback of a namespace of the test's own: an added peer
# comes up, a removed one gets Cease/Peer De-configured and its routes go,
# a peer whose ASN changed is reset (Cease/Administrative Reset) and comes
# back with the new ASN, a peer whose import policy alone changed keeps its
# session (no flap, same process) while the policy takes effect; a bad file
# is refused with FILE:LINE:COL errors and changes nothing; a change that
# needs a restart is refused; SIGHUP does what POST /api/v1/reload does.
. "$(dirname "$0")/../lib.sh"

need_bin "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER" jq curl
PORT=1795
API=127.0.0.1:18185
CONF=$T_DIR/pharosd.yaml
TOKEN=$T_DIR/api.token
echo "reload-$$" >"$TOKEN"

# conf FILE [variant]: the config; the variant says what differs.
conf() {
	local f=$1 v=${2:-base}
	pharos_conf_begin "$f" asn=65515 router_id=198.18.0.1 listen=127.0.0.1 \
		port=$PORT hold_time=30 keepalive=10
	if [ "$v" = base ]; then
		pharos_conf_peer "$f" nva-a nva 127.0.0.2 65001 passive=true
		pharos_conf_peer "$f" nva-b nva 127.0.0.3 65002 passive=true
		pharos_conf_peer "$f" nva-c nva 127.0.0.4 65003 passive=true
	else
		pharos_conf_peer "$f" nva-a nva 127.0.0.2 65011 passive=true
		pharos_conf_peer "$f" nva-c nva 127.0.0.4 65003 passive=true \
			'import=[{match: {prefix: [198.19.33.0/24]}, action: deny}]'
		[ "$v" = v2 ] && pharos_conf_peer "$f" nva-d nva 127.0.0.5 65004 passive=true
		[ "$v" = v2x ] && pharos_conf_peer "$f" nva-d nva 127.0.0.5 65004 passive=true \
			'export=[{match: {prefix: [198.19.3.0/24]}, action: deny}]'
	fi
	pharos_conf_api "$f" "$API" "$TOKEN"
}

ns_create rs
conf "$CONF" base
pharosd_start rs "$CONF" "$API"

# peer NAME ASN BIND [pharos-peer options...]: an NVA connecting to pharosd.
peer() {
	local name=$1 asn=$2 bind=$3
	shift 3
	start_in "$name" rs stdbuf -oL "$PHAROS_PEER" -a "$asn" -R 65515 -b "$bind" -o json "$@" 127.0.0.1 $PORT
}
ctl() { nsx rs "$PHAROSCTL" -s "http://$API" -t "$TOKEN" "$@"; }
got_notify() { # NAME CODE SUBCODE: the peer's output holds that NOTIFICATION
	grep '^{' "$(log_of "$1")" | jq -e -s --argjson c "$2" --argjson s "$3" \
		'any(.[]; .type == "notification" and .code == $c and .subcode == $s)' >/dev/null 2>&1
}
no_route() { [ -z "$(route_paths "$1")" ]; }
peer_listed() { pctl show peers | jq -e --arg n "$1" 'any(.peers[]; .name == $n)' >/dev/null; }
not_listed() { ! peer_listed "$1"; }
both_up() { peer_established nva-a && peer_established nva-c; }
quiet_c() { alive nva-c && ! grep -q '"notification"' "$(log_of nva-c)"; }
reloads() { pctl show events | jq --arg r "$1" '[.events[] | select(.type == "reload" and .result == $r)] | length'; }

peer nva-a 65001 127.0.0.2 -A 198.19.1.0/24
peer nva-b 65002 127.0.0.3 -A 198.19.2.0/24
peer nva-c 65003 127.0.0.4 -A 198.19.3.0/24,198.19.33.0/24
for n in nva-a nva-b nva-c; do
	check_wait "$n established" 15 peer_established "$n"
done
check_wait "nva-c's 198.19.33.0/24 is accepted before the reload" 10 route_from 198.19.33.0/24 nva-c
check_wait "nva-b's 198.19.2.0/24 is in the RIB" 10 route_from 198.19.2.0/24 nva-b
up_c=$(peer_field nva-c uptime_s)
flaps_c=$(peer_field nva-c flaps)

# ------------------------------------------------- a bad file first
cp "$CONF" "$T_DIR/good.yaml"
conf "$CONF" v2
sed -i 's/asn: 65004/asn: sixty-five/' "$CONF"
bad_line=$(grep -n 'asn: sixty-five' "$CONF" | cut -d: -f1)
code=$(nsx rs curl -s -o "$T_DIR/bad.json" -w '%{http_code}' -X POST \
	-H "Authorization: Bearer $(cat "$TOKEN")" "http://$API/api/v1/reload")
check_eq "a reload of a bad file answers 400" "$code" 400
check "the reply names the error as FILE:LINE:COL" \
	jq -e --arg re "pharosd\\.yaml:$bad_line:[0-9]+: " 'any(.errors[]; test($re))' "$T_DIR/bad.json"
check_eq "its result is failed" "$(jq -r .result "$T_DIR/bad.json")" failed
out=$(ctl reload 2>&1)
check_eq "pharosctl reload exits 1 on a bad file" "$?" 1
check_match "pharosctl prints the FILE:LINE:COL error" "$out" "pharosd\\.yaml:$bad_line:[0-9]+: "
check "nva-b is still configured and established" peer_established nva-b
check_eq "nva-c did not flap" "$(peer_field nva-c flaps)" "$flaps_c"
check "nva-c's 198.19.33.0/24 is still accepted (running config kept)" route_from 198.19.33.0/24 nva-c
reloads_at_least() { test "$(reloads "$1")" -ge "$2"; } # evaluated at every poll
check_wait "a reload event with result failed is kept" 5 reloads_at_least failed 1
code=$(nsx rs curl -s -o /dev/null -w '%{http_code}' -X POST "http://$API/api/v1/reload")
check_eq "a reload without the token is refused (401)" "$code" 401

# ----------------------------------------- a change that needs a restart
conf "$CONF" v2
sed -i 's/^  asn: 65515/  asn: 65516/' "$CONF"
out=$(ctl reload 2>&1)
check_eq "changing the local ASN is refused" "$?" 1
check_match "with a clear reason" "$out" "asn changed: restart pharosd"
check "and nothing changed (nva-b still established)" peer_established nva-b

# --------------------------------------------------- a good reload
conf "$CONF" v2
out=$(ctl -j reload)
check_eq "the reload succeeds" "$(jq -r .result <<<"$out")" ok
check_eq "nva-a is reset (ASN changed)" "$(jq -c .peers.reset <<<"$out")" '["nva-a"]'
check_eq "nva-b is removed" "$(jq -c .peers.removed <<<"$out")" '["nva-b"]'
check_eq "nva-d is added" "$(jq -c .peers.added <<<"$out")" '["nva-d"]'
check_eq "nva-c keeps its session (policy only)" "$(jq -c .peers.updated <<<"$out")" '["nva-c"]'
check_wait "nva-b got Cease (6) / Peer De-configured (3)" 10 got_notify nva-b 6 3
check_wait "nva-b's routes are withdrawn" 10 no_route 198.19.2.0/24
check "nva-b is no longer listed" not_listed nva-b
check_wait "nva-a got Cease (6) / Administrative Reset (4)" 10 got_notify nva-a 6 4
check_wait "nva-a's old routes are gone" 10 no_route 198.19.1.0/24
peer nva-a2 65011 127.0.0.2 -A 198.19.1.0/24
check_wait "nva-a comes back with its new ASN 65011" 15 peer_established nva-a
check_wait "and its route has AS path 65011" 10 route_has 198.19.1.0/24 nva-a 127.0.0.2 65011
peer nva-d 65004 127.0.0.5 -A 198.19.4.0/24
check_wait "the added peer nva-d comes up" 15 peer_established nva-d
check_wait "nva-d's route is learned" 10 route_from 198.19.4.0/24 nva-d
check_wait "nva-c's 198.19.33.0/24 is now refused by its import policy" 10 no_route 198.19.33.0/24
check "nva-c's 198.19.3.0/24 stays" route_from 198.19.3.0/24 nva-c
check "nva-c is still established" peer_established nva-c
check_eq "nva-c did not flap" "$(peer_field nva-c flaps)" "$flaps_c"
check "nva-c's uptime went on (>= $up_c s before)" test "$(peer_field nva-c uptime_s)" -ge "$up_c"
check "nva-c's pharos-peer never got a NOTIFICATION" quiet_c
check "nva-d receives nva-c's route (export to the added peer)" \
	wait_until 10 peer_got "$(log_of nva-d)" 198.19.3.0/24 127.0.0.4 "65515 65003"
check_wait "a reload event with result ok is kept" 5 reloads_at_least ok 1

# ------------------------------------------- an export policy change
flaps_d=$(peer_field nva-d flaps)
conf "$CONF" v2x
out=$(ctl -j reload)
check_eq "an export-only change keeps nva-d's session" "$(jq -c .peers.updated <<<"$out")" '["nva-d"]'
check_wait "nva-d receives the withdrawal of the now-denied 198.19.3.0/24" 10 \
	peer_withdrew "$(log_of nva-d)" 198.19.3.0/24
check_eq "nva-d did not flap" "$(peer_field nva-d flaps)" "$flaps_d"
check "nva-d's adj-out still holds nva-a's route, not nva-c's" \
	jq -e 'any(.routes[]; .prefix == "198.19.1.0/24") and all(.routes[]; .prefix != "198.19.3.0/24")' \
	< <(pctl show adj-out nva-d)

# ---------------------------------------------------------- SIGHUP
conf "$CONF" v3 # nva-d removed again
kill -HUP "$(pid_of pharosd)"
check_wait "SIGHUP: nva-d gets Cease / Peer De-configured" 10 got_notify nva-d 6 3
check_wait "SIGHUP: nva-d is no longer listed" 5 not_listed nva-d
check_wait "SIGHUP: nva-d's route is withdrawn" 10 no_route 198.19.4.0/24
check_eq "SIGHUP: a third reload event with result ok" "$(reloads ok)" 3
echo "route_server: {asn: [}" >"$CONF"
# Earlier steps left failed reloads and their log lines: count from here.
failed0=$(reloads failed)
ok0=$(reloads ok)
lines0=$(wc -l <"$(log_of pharosd)")
log_since_mark() { tail -n +$((lines0 + 1)) "$(log_of pharosd)"; }
kill -HUP "$(pid_of pharosd)"
check_wait "SIGHUP with a bad file: one more reload event with result failed" 5 \
	reloads_at_least failed $((failed0 + 1))
check_eq "SIGHUP with a bad file: exactly one failed reload since the mark" \
	"$(reloads failed)" $((failed0 + 1))
check_eq "SIGHUP with a bad file: no reload with result ok since the mark" "$(reloads ok)" "$ok0"
check_match "SIGHUP with a bad file: the error is logged as FILE:LINE:COL after the mark" \
	"$(log_since_mark)" "reload: .*pharosd\.yaml:[0-9]+:[0-9]+: "
check "nva-a and nva-c are untouched" both_up
check_eq "nva-c still has not flapped" "$(peer_field nva-c flaps)" "$flaps_c"

check "pharosd stops cleanly" pharosd_stop
check "no sanitizer report" sanitizer_clean "$(log_of pharosd)"
t_done
