#!/bin/bash
# t_session.sh - pharosd sessions end to end on loopback, with pharos-peer
# as the NVAs: IPv4 and IPv6 transport, routes in the API with their
# attributes, NVA-to-NVA export (local ASN prepended, NEXT_HOP unchanged),
# End-of-RIB, withdrawal, disable/enable with a shutdown communication,
# refusal of an unknown address before OPEN, max-prefix with restart, the
# default-route guard, and a clean SIGTERM. Everything runs in a network
# namespace of its own ("rs"), so its loopback is private to the test.
. "$(dirname "$0")/../lib.sh"

need_bin "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER" jq
PORT=1790
API=127.0.0.1:18179
CONF=$T_DIR/pharosd.yaml
TOKEN=$T_DIR/api.token
echo "s3cret-$$" >"$TOKEN"

ns_create rs
pharos_conf_begin "$CONF" asn=65515 router_id=198.18.0.1 listen=127.0.0.1,::1 \
	port=$PORT hold_time=30 keepalive=10 restart_delay=4
pharos_conf_peer "$CONF" nva-a nva 127.0.0.2 65001 passive=true
pharos_conf_peer "$CONF" nva-b nva 127.0.0.3 65002 passive=true
pharos_conf_peer "$CONF" nva-6 nva ::1 65006 passive=true
pharos_conf_peer "$CONF" nva-max nva 127.0.0.4 65004 passive=true max_prefixes=3
pharos_conf_peer "$CONF" nva-def nva 127.0.0.5 65005 passive=true
pharos_conf_peer "$CONF" nva-act nva 127.0.0.6 65007 passive=false port=$((PORT + 2))
pharos_conf_peer "$CONF" nva-md5 nva 127.0.0.7 65008 passive=true password_file=$T_DIR/md5.key
echo "md5-secret-$$" >"$T_DIR/md5.key"
pharos_conf_peer "$CONF" nva-gen nva 127.0.0.8 65009 passive=true max_prefixes=200000
pharos_conf_peer "$CONF" nva-mon nva 127.0.0.10 65010 passive=true
# The lab announces documentation prefixes (2001:db8::/32) over ::1, which
# the default martians refuse when the configuration does not use them:
# give the list without the documentation ranges.
echo "  martians: [0.0.0.0/8, 127.0.0.0/8, 169.254.0.0/16, 224.0.0.0/4, 240.0.0.0/4, fe80::/10, ff00::/8]" >>"$CONF"
pharos_conf_api "$CONF" "$API" "$TOKEN"
pharos_conf_vnet "$CONF" hub 198.18.0.0/24
# An NVA that waits for pharosd to connect (pharosd's peer is active).
start_in nva-act rs stdbuf -oL "$PHAROS_PEER" --listen -a 65007 -R 65515 -o json \
	-A 198.19.30.0/24 127.0.0.6 $((PORT + 2))
pharosd_start rs "$CONF" "$API"

# peer NAME ASN BIND [pharos-peer options...]: an NVA connecting to pharosd.
peer() {
	local name=$1 asn=$2 bind=$3 host=127.0.0.1
	shift 3
	[[ $bind == *:* ]] && host=::1
	start_in "$name" rs stdbuf -oL "$PHAROS_PEER" -a "$asn" -R 65515 -b "$bind" -o json "$@" "$host" $PORT
}
plog() { log_of "$1"; }
got_json() { grep '^{' "$(plog "$1")" | jq -e -s "$2" >/dev/null 2>&1; }
event_seen() { pctl show events | jq -e --arg t "$1" --arg p "$2" \
	'any(.events[]; .type == $t and .peer == $p)' >/dev/null; }
not_established() { ! peer_established "$1"; }
no_paths() { [ -z "$(route_paths "$1")" ]; }
jq_ok() { jq -e "$2" <<<"$1" >/dev/null 2>&1; }
gone() { ! kill -0 "$(pid_of "$1")" 2>/dev/null; }
api_code() { # METHOD PATH [curl args]: the HTTP status of a request
	nsx rs curl -s -o /dev/null -w '%{http_code}' -X "$1" "http://$API$2" "${@:3}"
}

# ---------------------------------------------------------- sessions
peer nva-b 65002 127.0.0.3
printf 'announce 198.19.1.0/24 community 65001:100 large 65001:1:2 med 50\nannounce 198.19.2.0/24 path 65010\nsleep 4000\nwithdraw 198.19.2.0/24\n' >"$T_DIR/a.script"
check_wait "nva-b (IPv4 transport) established" 15 peer_established nva-b
peer nva-6 65006 ::1 -A "2001:db8:100::/48"
check_wait "nva-6 (IPv6 transport ::1) established" 15 peer_established nva-6
check_wait "nva-6's IPv6 route is in the RIB with next hop ::1" 10 \
	route_has 2001:db8:100::/48 nva-6 ::1 "65006"

check_wait "pharosd connects to nva-act (an active peer) and establishes" 15 peer_established nva-act
check_wait "nva-act's route is learned" 10 route_has 198.19.30.0/24 nva-act 127.0.0.6 "65007"
stop_proc nva-act
check_wait "nva-act's session goes down when it closes" 10 not_established nva-act
start_in nva-act rs stdbuf -oL "$PHAROS_PEER" --listen -a 65007 -R 65515 -o json \
	-A 198.19.30.0/24 127.0.0.6 $((PORT + 2))
check_wait "pharosd reconnects to nva-act (connect retry with backoff)" 20 peer_established nva-act
check_eq "nva-act counted one flap" "$(peer_field nva-act flaps)" 1
# A second connection from nva-act's address while its session is up: a
# collision with an established session (RFC 4271 6.8), the newcomer loses.
nsx rs timeout 10 "$PHAROS_PEER" -a 65007 -b 127.0.0.6 -o json 127.0.0.1 $PORT \
	>"$T_DIR/collide.out" 2>&1
check_eq "a colliding connection from nva-act's address is closed (exit 2)" "$?" 2
check "it got Cease (6) / Connection Collision Resolution (7)" \
	jq -e -s 'any(.[]; .type == "notification" and .code == 6 and .subcode == 7)' \
	< <(grep '^{' "$T_DIR/collide.out")
check "nva-act's established session is untouched" \
	bash -c '[ "$1" = established ] && [ "$2" = 1 ]' _ "$(peer_field nva-act state)" "$(peer_field nva-act flaps)"

# ------------------------------------------------------------- TCP MD5
# The kernel drops a SYN without the signature a listener expects from that
# address and counts it (TcpExt TCPMD5NotFound of the namespace): the
# control that the attempt reached pharosd's socket.
md5_notfound() {
	nsx rs awk '$1 == "TcpExt:" { if (!h) { for (i = 2; i <= NF; i++) k[i] = $i; h = 1 }
		else for (i = 2; i <= NF; i++) if (k[i] == "TCPMD5NotFound") print $i }' /proc/net/netstat
}
md5_dropped_since() { [ "$(md5_notfound)" -gt "$1" ]; }
md50=$(md5_notfound)
start_in md5-none rs stdbuf -oL "$PHAROS_PEER" -a 65008 -b 127.0.0.7 -o json -t 0 127.0.0.1 $PORT
check_wait "a connection without the TCP MD5 password reaches pharosd's host and is dropped (TCPMD5NotFound > $md50)" \
	10 md5_dropped_since "${md50:-0}"
check "without the TCP MD5 password nva-md5 cannot connect" \
	bash -c '! grep -q "\"state\":\"established\"" "$1" && [ "$2" != established ]' _ \
	"$(plog md5-none)" "$(peer_field nva-md5 state)"
stop_proc md5-none
peer nva-md5 65008 127.0.0.7 -P "$T_DIR/md5.key"
check_wait "with the TCP MD5 password (RFC 2385) nva-md5 establishes" 15 peer_established nva-md5

# ------------------------------------------------------------ routes
peer nva-a 65001 127.0.0.2 -f "$T_DIR/a.script"
check_wait "nva-a (IPv4 transport) established" 15 peer_established nva-a
check_wait "198.19.1.0/24 from nva-a appears in show routes" 10 route_from 198.19.1.0/24 nva-a
p=$(route_paths 198.19.1.0/24 | head -1)
check_eq "its next hop is nva-a's address" "$(jq -r .next_hop <<<"$p")" 127.0.0.2
check_eq "its AS path is [65001]" "$(jq -c .as_path <<<"$p")" "[65001]"
check_eq "its communities" "$(jq -c .communities <<<"$p")" '["65001:100"]'
check_eq "its large communities" "$(jq -c .large_communities <<<"$p")" '["65001:1:2"]'
check_eq "its MED" "$(jq -r .med <<<"$p")" 50
check_eq "its origin" "$(jq -r .origin <<<"$p")" igp
check_eq "it is the best path" "$(jq -r .best <<<"$p")" true
check_wait "198.19.2.0/24 (path 65001 65010) appears" 10 route_has 198.19.2.0/24 nva-a 127.0.0.2 "65001 65010"
check_match "pharosctl shows the route in a table with the best mark" \
	"$(nsx rs "$PHAROSCTL" -s "http://$API" show routes 198.19.1.0/24)" '^\*  *198\.19\.1\.0/24 +127\.0\.0\.2 +nva-a'

# ------------------------------------------------- NVA to NVA export
check_wait "nva-b receives 198.19.1.0/24 with 65515 prepended and the next hop unchanged" 10 \
	peer_got "$(plog nva-b)" 198.19.1.0/24 127.0.0.2 "65515 65001"
check "nva-b receives the hub address space originated by pharosd" \
	got_json nva-b 'any(.[] | select(.type == "update") | .announce[]?; .prefix == "198.18.0.0/24" and .as_path == [65515])'
check "nva-b receives End-of-RIB for IPv4" got_json nva-b 'any(.[]; .type == "eor" and .afi == "ipv4")'
check_wait "198.19.2.0/24 is withdrawn from the RIB after nva-a withdraws it" 15 no_paths 198.19.2.0/24
check_wait "nva-b receives the withdrawal of 198.19.2.0/24" 10 \
	got_json nva-b 'any(.[] | select(.type == "update") | .withdraw[]?; . == "198.19.2.0/24")'
check_eq "nva-a: prefixes_received 1 after the withdrawal" "$(peer_field nva-a prefixes_received)" 1
check_eq "nva-a: prefixes_accepted 1" "$(peer_field nva-a prefixes_accepted)" 1
check "nva-a's adj-out holds the hub space and not its own route" \
	jq_ok "$(pctl show adj-out nva-a)" 'any(.routes[]; .prefix == "198.18.0.0/24") and all(.routes[]; .prefix != "198.19.1.0/24")'
check "nva-b's adj-out holds nva-a's route" \
	jq_ok "$(pctl show adj-out nva-b)" 'any(.routes[]; .prefix == "198.19.1.0/24" and .as_path == [65515, 65001])'
check "nva-a's adj-in holds 198.19.1.0/24" \
	jq_ok "$(pctl show adj-in nva-a)" 'any(.routes[]; .prefix == "198.19.1.0/24")'


# ------------------------------------------------- unknown address
flaps_b=$(peer_field nva-b flaps)
nsx rs timeout 10 "$PHAROS_PEER" -a 65099 -b 127.0.0.9 -o json 127.0.0.1 $PORT >"$T_DIR/stranger.out" 2>&1
rc=$?
check "a peer from an unconfigured address (127.0.0.9) fails (exit $rc)" [ "$rc" -ne 0 ]
check "it never receives an OPEN" bash -c "! grep -q '\"type\":\"open\"' '$T_DIR/stranger.out'"
check_wait "pharosd logs the refused address" 5 grep -q 'refused connection from 127.0.0.9' "$(log_of pharosd)"
check_eq "the refusal is counted" "$(pctl show status | jq .refused_connections)" 1
check "a peer_refused event is kept" jq_ok "$(pctl show events)" 'any(.events[]; .type == "peer_refused")'
check "nva-b is untouched (still established, no flap)" \
	bash -c "[ \"\$1\" = established ] && [ \"\$2\" = \"$flaps_b\" ]" _ "$(peer_field nva-b state)" "$(peer_field nva-b flaps)"

# ------------------------------------------------------ default route
peer nva-def 65005 127.0.0.5 -A "0.0.0.0/0" -A "198.19.5.0/24"
check_wait "nva-def's 198.19.5.0/24 is accepted" 15 route_from 198.19.5.0/24 nva-def
check "its default route is refused (accept_default false)" no_paths 0.0.0.0/0
check_eq "default_routes_refused is 1" "$(peer_field nva-def default_routes_refused)" 1
check_eq "prefixes_received 2, accepted 1" "$(peer_field nva-def prefixes_received)/$(peer_field nva-def prefixes_accepted)" 2/1
check "a default_refused event names nva-def" event_seen default_refused nva-def
check "pharosd logs the refused default route" grep -q '\[nva-def\] default route 0.0.0.0/0 refused' "$(log_of pharosd)"

# -------------------------------------------------------- max prefix
peer nva-max 65004 127.0.0.4 -A "198.19.10.0/24,198.19.11.0/24,198.19.12.0/24,198.19.13.0/24"
check_wait "nva-max exceeding 3 prefixes is dropped (pharos-peer exits)" 15 gone nva-max
check_eq "nva-max is idle during the restart delay" "$(peer_field nva-max state)" idle
stop_proc nva-max
check_eq "pharos-peer exits 2 (closed by NOTIFICATION)" "$T_RC" 2
check "it got Cease (6) / Maximum Number of Prefixes Reached (1)" \
	got_json nva-max 'any(.[]; .type == "notification" and .code == 6 and .subcode == 1)'
check_eq "max_prefix_hits is 1" "$(peer_field nva-max max_prefix_hits)" 1
check_eq "its routes are flushed" "$(peer_field nva-max prefixes_accepted)" 0
check "a max_prefix event names nva-max" event_seen max_prefix nva-max
check "/metrics counts the max-prefix hit" \
	grep -q '^pharos_peer_max_prefix_hits_total{peer="nva-max",address="127.0.0.4",kind="nva"} 1$' \
	< <(nsx rs curl -s "http://$API/metrics")
check_wait "after the restart delay it accepts the session again" 10 peer_field_is nva-max state active
peer nva-max 65004 127.0.0.4 -A "198.19.10.0/24,198.19.11.0/24"
check_wait "nva-max re-establishes under its limit" 15 peer_established nva-max
check_wait "and its 2 prefixes are accepted" 10 peer_field_is nva-max prefixes_accepted 2

# ------------------------------------------------- disable / enable
check_eq "disable without a token is refused (401)" "$(api_code POST /api/v1/peers/nva-b/disable)" 401
check_eq "disable with a wrong token is refused (401)" \
	"$(api_code POST /api/v1/peers/nva-b/disable -H 'Authorization: Bearer nope')" 401
check_eq "an unknown peer is a 404" "$(api_code GET /api/v1/peers/nope)" 404
out=$(nsx rs "$PHAROSCTL" -s "http://$API" -t "$TOKEN" peer disable nva-b "maintenance window" 2>&1)
check "pharosctl peer disable nva-b succeeds" [ $? -eq 0 ]
check_wait "nva-b's pharos-peer exits" 10 gone nva-b
stop_proc nva-b
check_eq "it exits 2 (NOTIFICATION)" "$T_RC" 2
check "it got Cease (6) / Administrative Shutdown (2)" \
	got_json nva-b 'any(.[]; .type == "notification" and .code == 6 and .subcode == 2)'
check "it printed the shutdown communication" grep -q 'maintenance window' "$(plog nva-b)"
check_eq "nva-b is idle" "$(peer_field nva-b state)" idle
check "nva-a stays established" peer_established nva-a
lines0=$(wc -l <"$(log_of pharosd)")
peer nva-b 65002 127.0.0.3
check_wait "while disabled, nva-b's connection is refused with Cease (6) / Connection Rejected (5)" 10 \
	got_json nva-b 'any(.[]; .type == "notification" and .code == 6 and .subcode == 5)'
check "pharosd logged why: the peer is disabled" \
	bash -c 'tail -n +$(($1 + 1)) "$2" | grep -q "incoming connection rejected: peer disabled"' _ \
	"$lines0" "$(log_of pharosd)"
check "while disabled, nva-b cannot establish" \
	bash -c '! grep -q "\"state\":\"established\"" "$1" && [ "$2" != established ]' _ \
	"$(plog nva-b)" "$(peer_field nva-b state)"
stop_proc nva-b
nsx rs "$PHAROSCTL" -s "http://$API" -t "$TOKEN" peer enable nva-b >/dev/null 2>&1
check "pharosctl peer enable nva-b succeeds" [ $? -eq 0 ]
: >"$(plog nva-b)"
peer nva-b 65002 127.0.0.3
check_wait "nva-b re-establishes after enable" 15 peer_established nva-b
check_wait "and receives nva-a's route again" 10 peer_got "$(plog nva-b)" 198.19.1.0/24 127.0.0.2 "65515 65001"

n_ann() { grep -c '"prefix":"198.19.1.0/24"' "$(plog nva-b)"; }
n0=$(n_ann)
nsx rs "$PHAROSCTL" -s "http://$API" -t "$TOKEN" peer refresh nva-b >/dev/null 2>&1
check "pharosctl peer refresh nva-b succeeds" [ $? -eq 0 ]
check_wait "nva-b receives nva-a's route once more after the refresh" 10 bash -c '[ "$(grep -c "\"prefix\":\"198.19.1.0/24\"" "$1")" -gt "$2" ]' _ "$(plog nva-b)" "$n0"
check "nva-b stays established after the refresh" peer_established nva-b

# ------------------------------------------------- a bulk transfer
# 100,000 prefixes from one NVA must all reach another (export in bounded
# slices, output queues with backpressure) while the API keeps answering.
base=$(pctl show status | jq '.rib.prefixes_v4 + .rib.prefixes_v6 + 1')
want=$((base + 100000))
start_in nva-mon rs "$PHAROS_PEER" -a 65010 -R 65515 -b 127.0.0.10 -o none --stats \
	--wait-prefixes $want 127.0.0.1 $PORT
check_wait "nva-mon established" 15 peer_established nva-mon
start_in nva-gen rs "$PHAROS_PEER" -a 65009 -R 65515 -b 127.0.0.8 -o none -g 100000 127.0.0.1 $PORT
check_wait "nva-mon receives all $want prefixes (100,000 from nva-gen)" 90 gone nva-mon
stop_proc nva-mon
check_eq "nva-mon exits 0 with every prefix held" "$T_RC" 0
check "nva-mon's stats say $want prefixes held" \
	jq -e -s --argjson w "$want" 'any(.[]; .type == "stats" and .prefixes_held == $w)' \
	< <(grep '^{' "$(plog nva-mon)")
check_eq "pharosd holds nva-gen's 100,000 prefixes" "$(peer_field nva-gen prefixes_accepted)" 100000
stop_proc nva-gen

# ------------------------------------------------------------ SIGTERM
pharosd_stop
check_eq "pharosd exits 0 on SIGTERM" "$T_RC" 0
check "nva-b got Cease/Administrative Shutdown 'pharosd shutting down'" \
	got_json nva-b 'any(.[]; .type == "notification" and .code == 6 and .subcode == 2 and (.reason | test("pharosd shutting down")))'
check "pharosd logged the RIB size and memory per route" grep -qE 'stopped: RIB [0-9]+ prefixes.*bytes per route' "$(log_of pharosd)"
check "pharosd's stderr has no sanitizer report" sanitizer_clean "$(log_of pharosd)"
t_done
