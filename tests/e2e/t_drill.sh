#!/bin/bash
# t_drill.sh - failover drills end to end: two NVAs (pharos-peer) announce
# the same prefix (ECMP); a peer-down drill of one with restore-after 2 and
# an expected route set (2 next hops before, 1 during, 2 after) completes
# with score 100%, its timeline has every phase in order with non-negative
# milliseconds, the shutdown carries "pharos drill ID", the SVG report is
# valid XML and the pharosctl report draws the chart; a second drill with
# a wrong expectation scores below 100% and names the mismatch, and the
# event stream (pharosctl show events --follow) sees it happen.
. "$(dirname "$0")/../lib.sh"

need_bin "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER" jq curl
PORT=1796
API=127.0.0.1:18186
CONF=$T_DIR/pharosd.yaml
TOKEN=$T_DIR/api.token
PFX=198.19.5.0/24
echo "drill-$$" >"$TOKEN"

ns_create rs
pharos_conf_begin "$CONF" asn=65515 router_id=198.18.0.1 listen=127.0.0.1 \
	port=$PORT hold_time=30 keepalive=10
pharos_conf_peer "$CONF" nva-1 nva 127.0.0.2 65001 passive=true
pharos_conf_peer "$CONF" nva-2 nva 127.0.0.3 65002 passive=true
pharos_conf_peer "$CONF" nva-obs nva 127.0.0.4 65003 passive=true
pharos_conf_api "$CONF" "$API" "$TOKEN"
cat >>"$CONF" <<'EOF'
fabric:
  allow_external_next_hops: true   # the NVAs' own addresses are outside the modelled VNets
  vnets:
    - name: hub
      address_space: [198.18.0.0/24]
      subnets: [{name: nva, prefix: 198.18.0.0/26}]
    - name: spoke
      address_space: [198.18.8.0/24]
      peerings: [{remote: hub, use_remote_gateways: true}]
      subnets: [{name: app, prefix: 198.18.8.0/26}]
      nics: [{name: vm-1, subnet: app, ip: 198.18.8.4}]
EOF
pharosd_start rs "$CONF" "$API"

ctl() { nsx rs "$PHAROSCTL" -s "http://$API" -t "$TOKEN" "$@"; }
# An NVA that reconnects whenever its session ends (as a real one does).
cat >"$T_DIR/nva.sh" <<'EOF'
#!/bin/bash
trap 'kill $child 2>/dev/null; exit 0' TERM INT
while :; do
	"$@" &
	child=$!
	wait $child
	sleep 0.3
done
EOF
chmod +x "$T_DIR/nva.sh"
printf 'announce %s\neor ipv4\n' "$PFX" >"$T_DIR/nva.script"
nva() { # NAME ASN BIND
	start_in "$1" rs "$T_DIR/nva.sh" stdbuf -oL "$PHAROS_PEER" -a "$2" -R 65515 \
		-b "$3" -o json -f "$T_DIR/nva.script" 127.0.0.1 $PORT
}
ecmp_width() { route_paths "$PFX" | jq -s '[.[] | select(.ecmp)] | length'; }
two_paths() { [ "$(ecmp_width)" = 2 ]; }
drill_state() { ctl -j show drill "$1" | jq -r .state; }
drill_over() { [ "$(drill_state "$1")" != running ]; }
gone() { ! alive "$1"; }

nva nva-1 65001 127.0.0.2
nva nva-2 65002 127.0.0.3
start_in nva-obs rs stdbuf -oL "$PHAROS_PEER" -a 65003 -R 65515 -b 127.0.0.4 -o json 127.0.0.1 $PORT
for n in nva-1 nva-2 nva-obs; do
	check_wait "$n established" 15 peer_established "$n"
done
check_wait "$PFX has two ECMP next hops" 10 two_paths

# A host agent of the spoke's app subnet, reduced to what a drill sees:
# it fetches the subnet's table and acknowledges its version, every 0.1 s.
cat >"$T_DIR/agent.sh" <<EOF
#!/bin/bash
base=http://$API/api/v1/fabric/subnets/spoke/app
while :; do
	v=\$(curl -s "\$base/table" | jq -r .version)
	[ -n "\$v" ] && curl -s -o /dev/null -X POST -H "Authorization: Bearer $(cat "$TOKEN")" \
		-d "{\"agent\":\"sim-agent\",\"version\":\$v}" "\$base/ack"
	sleep 0.1
done
EOF
chmod +x "$T_DIR/agent.sh"
start_in agent rs "$T_DIR/agent.sh"
agent_known() { pctl show agents 2>/dev/null | grep -q sim-agent; }
check_wait "the agent's acks are known to pharosd" 10 agent_known

cat >"$T_DIR/expect.yaml" <<EOF
# what the loc-RIB must hold around a peer-down drill of nva-1
before:
  - {prefix: $PFX, next_hops: [127.0.0.2, 127.0.0.3]}
during:
  - {prefix: $PFX, next_hops: [127.0.0.3]}
after:
  - {prefix: $PFX, next_hops: [127.0.0.3, 127.0.0.2]}
EOF

# ------------------------------------------------------------ refusals
code=$(nsx rs curl -s -o /dev/null -w '%{http_code}' -X POST -d '{"type":"peer-down","peer":"nva-1"}' \
	"http://$API/api/v1/drills")
check_eq "a drill without the token is refused (401)" "$code" 401
code=$(nsx rs curl -s -o "$T_DIR/r.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $(cat "$TOKEN")" \
	-d '{"type":"peer-down","peer":"nva-9"}' "http://$API/api/v1/drills")
check_eq "a drill of an unknown peer answers 404" "$code" 404

# ------------------------------------------------------------ drill 1
out=$(ctl drill peer-down nva-1 --restore-after 2 --expect "$T_DIR/expect.yaml" --wait 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
check_eq "drill 1 (--wait) finishes with exit 0" "$rc" 0
check_match "the report shows score 100%" "$out" "score: 100%"
check_match "the report draws the timeline as a chart" "$out" "session down +[0-9]+ ms \|#+ *\|"
check_match "with re-convergence rows" "$out" "End-of-RIB received +[0-9]+ ms \|#+ *\|"
check_match "and the checks" "$out" "ok +during +$PFX"
j=$(ctl -j show drill 1)
check_eq "drill 1 is done" "$(jq -r .state <<<"$j")" done
check_eq "drill 1 scores 100" "$(jq -r '.score | floor' <<<"$j")" 100
check_eq "three checks were made" "$(jq '.checks | length' <<<"$j")" 3
check_eq "no mismatch" "$(jq '.mismatches | length' <<<"$j")" 0
want='["session_down","routes_withdrawn","fabric_programmed","peers_updated","agents_acked","restored","session_up","routes_back","eor_received","fabric_reprogrammed"]'
check_eq "the timeline has every phase, in order" "$(jq -c '[.timeline[].phase]' <<<"$j")" "$want"
check "every phase was reached with a non-negative time" \
	jq -e 'all(.timeline[]; .reached and (.ms | type == "number") and .ms >= 0)' <<<"$j"
check "the times never go backwards" jq -e '[.timeline[].ms] as $m | $m == ($m | sort)' <<<"$j"
check "re-enabled after about 2 s" jq -e '.timeline[] | select(.phase == "restored") | .ms >= 1900 and .ms < 4000' <<<"$j"
check "the session went down at once (< 500 ms)" jq -e '.timeline[0].ms < 500' <<<"$j"
check "nva-1 got the shutdown communication \"pharos drill 1\"" \
	grep -q '"subcode":2,"reason":"Cease/Administrative Shutdown: \\"pharos drill 1\\""' "$(log_of nva-1)"
check "nva-obs was moved to nva-2's path while nva-1 was down" \
	peer_got "$(log_of nva-obs)" "$PFX" 127.0.0.3 "65515 65002"
check "a drill event with the score is kept" \
	jq -e 'any(.events[]; .type == "drill" and .drill == 1 and .score == 100)' < <(ctl -j show events)

ctl drill report 1 --svg "$T_DIR/drill1.svg" >/dev/null
check "the SVG report is written" test -s "$T_DIR/drill1.svg"
if command -v xmllint >/dev/null; then
	check "the SVG is valid XML (xmllint)" xmllint --noout "$T_DIR/drill1.svg"
else
	check "the SVG is well formed (structure)" bash -c \
		'head -1 "$0" | grep -q "^<?xml " && grep -q "^<svg xmlns=" "$0" &&
		 tail -1 "$0" | grep -q "^</svg>$" &&
		 [ "$(grep -o "<text" "$0" | wc -l)" = "$(grep -o "</text>" "$0" | wc -l)" ]' \
		"$T_DIR/drill1.svg"
fi
check "the SVG has one labelled bar per phase" \
	bash -c '[ "$(grep -c "<rect " "$0")" -ge 10 ] && grep -q ">End-of-RIB received</text>" "$0"' "$T_DIR/drill1.svg"
code=$(nsx rs curl -s -o /dev/null -w '%{http_code} %{content_type}' "http://$API/api/v1/drills/1/report.svg")
check_eq "GET drills/1/report.svg is image/svg+xml" "$code" "200 image/svg+xml"

# ------------------------------------------------- drill 2, wrong expectation
check_wait "nva-1 is back" 10 peer_established nva-1
check_wait "$PFX has two next hops again" 10 two_paths
start_in follow rs stdbuf -oL "$PHAROSCTL" -s "http://$API" show events --follow
sed 's/next_hops: \[127.0.0.3\]}/next_hops: [127.0.0.2, 127.0.0.3]}/' "$T_DIR/expect.yaml" >"$T_DIR/wrong.yaml"
check "the wrong expectation differs" bash -c '! cmp -s "$0" "$1"' "$T_DIR/expect.yaml" "$T_DIR/wrong.yaml"
id=$(ctl -j drill peer-down nva-1 --restore-after 2 --expect "$T_DIR/wrong.yaml" | jq -r .id)
check_eq "drill 2 starts" "$id" 2
code=$(nsx rs curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $(cat "$TOKEN")" \
	-d '{"type":"peer-down","peer":"nva-2","restore_after":1}' "http://$API/api/v1/drills")
check_eq "a second drill while one runs is refused (409)" "$code" 409
check_wait "drill 2 finishes" 30 drill_over 2
j=$(ctl -j show drill 2)
check "drill 2 scores below 100%" jq -e '.score < 100 and .score > 0' <<<"$j"
check "its mismatch names the during check of $PFX" \
	jq -e --arg p "$PFX" 'any(.mismatches[]; startswith("during " + $p + ": expected next hops [127.0.0.2, 127.0.0.3], got [127.0.0.3]"))' <<<"$j"
out=$(ctl show drill 2)
check_match "pharosctl show drill lists the failed check" "$out" "FAIL +during +$PFX"
check_match "and the mismatch" "$out" "mismatch: during $PFX"
check_eq "show drills lists both, newest first" "$(ctl -j show drills | jq -c '[.drills[].id]')" "[2,1]"
check_wait "the event stream saw nva-1 go down" 5 grep -q "session_down *nva-1" "$(log_of follow)"
check_wait "the event stream saw the drill result" 5 grep -qE "drill +nva-1 +drill 2 done" "$(log_of follow)"
check "the follower is still connected" alive follow
stop_proc follow

start_in follow2 rs stdbuf -oL "$PHAROSCTL" -s "http://$API" -j show events --follow
check_wait "a second follower prints the recent events first" 5 \
	grep -q '"type":"drill"' "$(log_of follow2)"
check "pharosd stops cleanly with an event stream open" pharosd_stop
check_wait "the stream ends when pharosd stops" 10 gone follow2
check "its output is the events as JSON lines" \
	jq -e -s 'any(.[]; .type == "session_down" and (.reason | test("pharosd shutting down")))' "$(log_of follow2)"
check "no sanitizer report" sanitizer_clean "$(log_of pharosd)"
t_done
