#!/bin/bash
# t_openapi.sh - docs/openapi.yaml against live replies: pharosd with two
# NVAs (pharos-peer), a hub and a spoke, an agent's ack and a drill; every
# GET endpoint, and the POST ones that are safe (peer disable, enable,
# refresh, clear, reload and reload?check=1, ack, drills), is called and
# its reply validated against the schema of its path and status (one TAP
# line each; a field that no schema names fails too, so every field sent
# is described) with tests/tools/openapi_check.py (Debian's python3-jsonschema
# under /usr/bin/python3). Negative controls: replies altered to break the
# schema (a missing required field, a wrong type, a second spelling of a
# capability, a time without milliseconds) must fail.
. "$(dirname "$0")/../lib.sh"

need_bin "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER" jq curl /usr/bin/python3
PORT=1797
API=127.0.0.1:18197
CONF=$T_DIR/pharosd.yaml
TOKEN=$T_DIR/api.token
SPEC=$PHAROS_TOP/docs/openapi.yaml
CHECK=$PHAROS_TOP/tests/tools/openapi_check.py
echo "openapi-$$" >"$TOKEN"
export OPENAPI_SEEN=$T_DIR/seen
: >"$OPENAPI_SEEN"

check "the document is OpenAPI 3.1, its schemas valid, every \$ref resolves" \
	/usr/bin/python3 "$CHECK" "$SPEC" --lint
check "every field the document names is described in docs/api.md" \
	/usr/bin/python3 "$CHECK" "$SPEC" --docs "$PHAROS_TOP/docs/api.md"

ns_create rs
pharos_conf_begin "$CONF" asn=65515 router_id=198.18.0.1 listen=127.0.0.1 \
	port=$PORT hold_time=30 keepalive=10
pharos_conf_peer "$CONF" nva-1 nva 127.0.0.2 65001 passive=true
pharos_conf_peer "$CONF" nva-2 nva 127.0.0.3 65002 passive=true stateful=true
# a scheduled drill that is always skipped: nva-1 alone has 198.19.6.0/24
cat >>"$CONF" <<EOF2
  state_dir: $T_DIR/state
  drills:
    - {name: skip-me, kind: peer-down, target: nva-1, every_s: 5}
EOF2
pharos_conf_api "$CONF" "$API" "$TOKEN"
cat >>"$CONF" <<'EOF2'
fabric:
  allow_external_next_hops: true   # the NVAs' own addresses are outside the modelled VNets
  vnets:
    - name: hub
      address_space: [198.18.0.0/24]
      subnets: [{name: nva, prefix: 198.18.0.0/26}]
      nics: [{name: nva-nic, subnet: nva, ip: 198.18.0.10}]
    - name: spoke
      address_space: [198.18.8.0/24]
      peerings: [{remote: hub, use_remote_gateways: true}]
      subnets: [{name: app, prefix: 198.18.8.0/26}]
      nics: [{name: vm-1, subnet: app, ip: 198.18.8.4}]
EOF2
pharosd_start rs "$CONF" "$API"

# NVAs that reconnect whenever their session ends (clear, disable, drill).
cat >"$T_DIR/nva.sh" <<'EOF2'
#!/bin/bash
trap 'kill $child 2>/dev/null; exit 0' TERM INT
while :; do
	"$@" &
	child=$!
	wait $child
	sleep 0.3
done
EOF2
chmod +x "$T_DIR/nva.sh"
printf 'announce 198.19.5.0/24,198.19.6.0/24 community 65001:100\neor ipv4\n' >"$T_DIR/n1.script"
printf 'announce 198.19.5.0/24,198.19.7.0/24\nannounce 0.0.0.0/0\neor ipv4\n' >"$T_DIR/n2.script"
start_in nva-1 rs "$T_DIR/nva.sh" "$PHAROS_PEER" -a 65001 -R 65515 -b 127.0.0.2 \
	-o none -f "$T_DIR/n1.script" 127.0.0.1 $PORT
start_in nva-2 rs "$T_DIR/nva.sh" "$PHAROS_PEER" -a 65002 -R 65515 -b 127.0.0.3 \
	-o none -f "$T_DIR/n2.script" 127.0.0.1 $PORT
check_wait "nva-1 established" 15 peer_established nva-1
check_wait "nva-2 established" 15 peer_established nva-2
two_paths() { [ "$(route_paths 198.19.5.0/24 | jq -s 'length')" = 2 ]; }
check_wait "198.19.5.0/24 has both paths" 10 two_paths

# call METHOD PATH[?QUERY] [curl args...]: the reply in $T_DIR/body, its
# status and content type in $CODE and $CTYPE.
call() {
	local m=$1 p=$2
	shift 2
	read -r CODE CTYPE < <(nsx rs curl -s -m 10 -X "$m" -o "$T_DIR/body" \
		-w '%{http_code} %{content_type}\n' "$@" "http://$API$p")
}
auth=(-H "Authorization: Bearer $(cat "$TOKEN")")
# valid NAME: the last reply is valid against the document (TAP line).
valid() {
	local out
	out=$(/usr/bin/python3 "$CHECK" "$SPEC" "$CALL_M" "${CALL_P%%\?*}" \
		"$CODE" "$T_DIR/body" "$CTYPE" 2>&1)
	if [ $? = 0 ]; then ok "$1 ($CODE)"; else
		not_ok "$1 ($CODE)"; printf '%s\n' "$out" | head -20 | sed 's/^/# /'
		head -c 600 "$T_DIR/body" | sed 's/^/# body: /'; echo; fi
}
# api NAME WANT-STATUS METHOD PATH [curl args]: call, then the status is
# the expected one and the body valid (one TAP line).
api() {
	local name=$1 want=$2
	CALL_M=$3 CALL_P=$4
	shift 2
	call "$@"
	if [ "$CODE" != "$want" ]; then
		not_ok "$name: status $CODE, want $want"
		head -c 300 "$T_DIR/body" | sed 's/^/# body: /'; echo
		return
	fi
	valid "$name"
}

# An agent of spoke/app acknowledges the current version.
ver=$(nsx rs curl -s "http://$API/api/v1/fabric/subnets/spoke/app/table" | jq -r .version)
api "POST fabric/subnets/spoke/app/ack" 200 POST /api/v1/fabric/subnets/spoke/app/ack \
	"${auth[@]}" -d "{\"agent\":\"agent-1\",\"version\":$ver}"
api "POST ack with failures (agent-2)" 200 POST /api/v1/fabric/subnets/spoke/app/ack \
	"${auth[@]}" -d "{\"agent\":\"agent-2\",\"version\":$ver,\"failed\":2,\"error\":\"RTNETLINK answers: No such device\"}"
api "POST ack with a bad body (400)" 400 POST /api/v1/fabric/subnets/spoke/app/ack \
	"${auth[@]}" -d '{"agent":7}'
api "POST ack without a token is a documented 401" 401 POST /api/v1/fabric/subnets/spoke/app/ack \
	-d "{\"agent\":\"agent-1\",\"version\":$ver}"

api "GET status" 200 GET /api/v1/status
api "GET peers" 200 GET /api/v1/peers
api "GET peers/nva-1" 200 GET /api/v1/peers/nva-1
api "GET peers/nope (404)" 404 GET /api/v1/peers/nope
api "GET peers/nva-1/adj-in" 200 GET /api/v1/peers/nva-1/adj-in
api "GET peers/nva-2/adj-out" 200 GET /api/v1/peers/nva-2/adj-out
api "GET routes" 200 GET /api/v1/routes
api "GET routes?prefix=198.19.5.0/24" 200 GET '/api/v1/routes?prefix=198.19.5.0/24'
api "GET routes?prefix=bad (400)" 400 GET '/api/v1/routes?prefix=bad'
api "GET routes/refused" 200 GET /api/v1/routes/refused
api "GET routes/refused?peer=nosuch (404)" 404 GET '/api/v1/routes/refused?peer=nosuch'
api "GET events" 200 GET /api/v1/events
api "GET fabric" 200 GET /api/v1/fabric
api "GET fabric/nics/vm-1/effective-routes" 200 GET /api/v1/fabric/nics/vm-1/effective-routes
api "GET fabric/subnets/spoke/app/table" 200 GET /api/v1/fabric/subnets/spoke/app/table
api "GET fabric/subnets/spoke/app/deltas?after=VERSION-1" 200 GET \
	"/api/v1/fabric/subnets/spoke/app/deltas?after=$((ver > 0 ? ver - 1 : 0))"
api "GET deltas?after=FUTURE (410)" 410 GET "/api/v1/fabric/subnets/spoke/app/deltas?after=$((ver + 1000))"
api "GET fabric/agents" 200 GET /api/v1/fabric/agents
check "agent-2 is unhealthy and carries its error; agent-1 has no error field" jq -e \
	'(.agents[] | select(.agent == "agent-2") | .healthy == false and .failed == 2 and (.error | test("No such device"))) and (.agents[] | select(.agent == "agent-1") | has("error") | not)' \
	"$T_DIR/body"
check_match "age_s is written with at most three decimals" "$(cat "$T_DIR/body")" \
	'"age_s":[0-9]+(\.[0-9]{1,3})?[,}]'
api "GET fabric/trace?nic=vm-1&dst=198.19.5.1" 200 GET '/api/v1/fabric/trace?nic=vm-1&dst=198.19.5.1'
api "GET fabric/trace without dst (400)" 400 GET '/api/v1/fabric/trace?nic=vm-1'
api "GET mrt/rib" 200 GET /api/v1/mrt/rib
# routing assurance: scheduled drills, what-if, symmetry
api "GET drills/schedule" 200 GET /api/v1/drills/schedule
skipped() { nsx rs curl -s "http://$API/api/v1/drills/history/skip-me" | jq -e '.history | length > 0' >/dev/null; }
check_wait "the scheduled drill was skipped once" 15 skipped
api "GET drills/history/skip-me" 200 GET /api/v1/drills/history/skip-me
api "GET drills/history/nope (404)" 404 GET /api/v1/drills/history/nope
api "POST whatif peer-down" 200 POST /api/v1/whatif -d '{"kind":"peer-down","peer":"nva-1"}'
check "it lists the prefix nva-1 alone has as losing its last path" \
	jq -e '.lost_last_path == ["198.19.6.0/24"]' "$T_DIR/body"
api "POST whatif peer-down of an unknown peer (404)" 404 POST /api/v1/whatif -d '{"kind":"peer-down","peer":"nva-9"}'
api "POST whatif config without a token (401)" 401 POST /api/v1/whatif -d '{"kind":"config","config":"{}"}'
api "POST whatif config of a broken file (400)" 400 POST /api/v1/whatif "${auth[@]}" \
	-d '{"kind":"config","config":"route_server: {asn: x}"}'
api "POST whatif route-table" 200 POST /api/v1/whatif "${auth[@]}" \
	-d '{"kind":"route-table","route_tables":"rt-new:\n  routes: [{prefix: 0.0.0.0/0, next_hop_type: None}]\n"}'
api "GET symmetry?nic=vm-1&dst=198.18.0.10" 200 GET '/api/v1/symmetry?nic=vm-1&dst=198.18.0.10'
api "GET symmetry one_way=1" 200 GET '/api/v1/symmetry?nic=vm-1&dst=198.19.5.1&one_way=1'
api "GET symmetry?all=1" 200 GET '/api/v1/symmetry?all=1'
api "GET symmetry without dst (400)" 400 GET '/api/v1/symmetry?nic=vm-1'
api "GET symmetry of an unknown NIC (404)" 404 GET '/api/v1/symmetry?nic=nope&dst=198.18.0.10'
api "GET metrics" 200 GET /metrics
api "GET / (the web console)" 200 GET /
api "GET /ui/app.js" 200 GET /ui/app.js
api "GET /ui/app.css" 200 GET /ui/app.css
api "GET /ui/nope.js (404)" 404 GET /ui/nope.js
# The streams: the reply's type, then each data line against its schema.
# data_lines SCHEMA: every "data:" line of the last body is valid.
data_lines() {
	sed -n 's/^data: //p' "$T_DIR/body" >"$T_DIR/data"
	/usr/bin/python3 "$CHECK" "$SPEC" --schema "$1" "$T_DIR/data"
}
call GET '/api/v1/events/stream?history=3' -m 1
CALL_M=GET CALL_P=/api/v1/events/stream valid "GET events/stream"
check "its data lines are Event objects" data_lines Event
call GET "/api/v1/fabric/subnets/spoke/app/stream?after=$((ver > 0 ? ver - 1 : 0))" -m 1
CALL_M=GET CALL_P=/api/v1/fabric/subnets/spoke/app/stream valid "GET fabric/subnets/spoke/app/stream"
check "its data lines are Deltas objects" data_lines Deltas

api "POST reload?check=1" 200 POST '/api/v1/reload?check=1' "${auth[@]}"
api "POST reload" 200 POST /api/v1/reload "${auth[@]}"
api "POST reload without a token (401)" 401 POST /api/v1/reload
cp "$CONF" "$T_DIR/good.yaml"
sed -i 's/^  hold_time: 30$/  hold_time: thirty/' "$CONF"
api "POST reload of a file with errors (400)" 400 POST /api/v1/reload "${auth[@]}"
check_match "the refusal names the line" "$(cat "$T_DIR/body")" 'pharosd.yaml:[0-9]+:[0-9]+:'
cp "$T_DIR/good.yaml" "$CONF"
api "POST peers/nva-2/disable with a bad body (400)" 400 POST /api/v1/peers/nva-2/disable \
	"${auth[@]}" -d '{"message":5}'

# A drill of nva-1, restored after half a second.
api "POST drills of an unknown peer (404)" 404 POST /api/v1/drills "${auth[@]}" \
	-d '{"type":"peer-down","peer":"nva-9"}'
api "POST drills" 201 POST /api/v1/drills "${auth[@]}" -d \
	'{"type":"peer-down","peer":"nva-1","restore_after":0.5,"expect":{"during":[{"prefix":"198.19.5.0/24","next_hops":["127.0.0.3"]}]}}'
drill_over() { [ "$(nsx rs curl -s "http://$API/api/v1/drills/1" | jq -r .state)" != running ]; }
check_wait "the drill ends" 20 drill_over
api "GET drills" 200 GET /api/v1/drills
api "GET drills/1" 200 GET /api/v1/drills/1
api "GET drills/99 (404)" 404 GET /api/v1/drills/99
api "GET drills/1/report.svg" 200 GET /api/v1/drills/1/report.svg
check_wait "nva-1 is back after the drill" 15 peer_established nva-1

api "POST peers/nva-2/refresh" 200 POST /api/v1/peers/nva-2/refresh "${auth[@]}"
api "POST peers/nva-2/clear" 200 POST /api/v1/peers/nva-2/clear "${auth[@]}"
check_wait "nva-2 is back after the clear" 15 peer_established nva-2
api "POST peers/nva-2/disable" 200 POST /api/v1/peers/nva-2/disable "${auth[@]}" \
	-d '{"message":"openapi check"}'
api "POST peers/nva-2/refresh of a disabled peer (409)" 409 POST /api/v1/peers/nva-2/refresh "${auth[@]}"
api "POST peers/nva-2/enable" 200 POST /api/v1/peers/nva-2/enable "${auth[@]}"
check_wait "nva-2 is back after enable" 15 peer_established nva-2
api "GET events (after the changes)" 200 GET /api/v1/events
check "the kept events include the agent_failed, reload and drill kinds validated above" jq -e \
	'[.events[].type] as $t | all(("agent_failed", "reload", "drill", "session_up", "peer_cleared", "drill_skipped"); . as $x | $t | index($x))' \
	"$T_DIR/body"
check "session_up events carry the peer JSON's capability names" jq -e \
	'[.events[] | select(.type == "session_up")] | length > 0 and all(.[]; (.capabilities | index("ipv4-unicast")) and (.reason | test("capabilities ipv4-unicast")))' \
	"$T_DIR/body"

check "every operation of the document was checked against a live reply" \
	/usr/bin/python3 "$CHECK" "$SPEC" --coverage "$OPENAPI_SEEN"

# ------------------------------------------------------ negative controls
# broken FILTER NAME PATH: the peer (or other) reply altered by a jq
# filter must fail validation.
broken() {
	jq -c "$1" "$T_DIR/src.json" >"$T_DIR/body"
	CODE=200 CTYPE=application/json CALL_M=GET CALL_P=$3
	if OPENAPI_SEEN= /usr/bin/python3 "$CHECK" "$SPEC" GET "$3" 200 "$T_DIR/body" \
		application/json >"$T_DIR/why" 2>&1; then
		not_ok "$2 fails validation"
	else
		ok "$2 fails validation ($(head -1 "$T_DIR/why" | cut -c1-100))"
	fi
}
nsx rs curl -s "http://$API/api/v1/peers/nva-1" >"$T_DIR/src.json"
broken 'del(.uptime_s)' "a peer without uptime_s" /api/v1/peers/nva-1
broken '.asn = "65001"' "a peer whose asn is a string" /api/v1/peers/nva-1
broken '.capabilities += ["as4"]' "a peer with a capability spelt as4" /api/v1/peers/nva-1
nsx rs curl -s "http://$API/api/v1/events" >"$T_DIR/src.json"
broken '.events[0].time |= sub("\\.[0-9]+Z$"; "Z")' "an event time without milliseconds" /api/v1/events
broken '{events: .events[0]}' "an unwrapped list of events" /api/v1/events
broken '.events |= map(if .type == "session_up" then del(.capabilities) else . end)' \
	"a session_up event without its capabilities" /api/v1/events
broken '.events[0].seq = 0' "an event with seq 0" /api/v1/events
nsx rs curl -s "http://$API/api/v1/fabric/agents" >"$T_DIR/src.json"
broken '.agents' "a bare array of agents" /api/v1/fabric/agents
broken '.agents[0].age_s = "4.2"' "an age_s that is a string" /api/v1/fabric/agents

check "pharosd exits 0 on SIGTERM" pharosd_stop
check "pharosd stderr has no sanitizer report" sanitizer_clean "$T_DIR/pharosd.log"
t_done
