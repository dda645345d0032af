#!/bin/bash
# t_drill_sched.sh - drills on a schedule (route_server.drills): two NVAs
# announce one prefix (ECMP) and a third alone announces another. A
# peer-down drill of the first, every 10 s with an expected route set,
# runs at least twice, each run scored 100% and 10 s after the last on its
# schedule; metrics and events report it; its history is in the state
# directory and survives a restart of pharosd. A drill of the third NVA
# would take the last path of its prefix away: it is skipped with that
# reason every time and its NVA never loses its session. With nva-3 gone
# (a real failure among the NVAs), the drill of nva-1 is skipped too.
. "$(dirname "$0")/../lib.sh"

need_bin "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER" jq curl
PORT=1797
API=127.0.0.1:18187
CONF=$T_DIR/pharosd.yaml
TOKEN=$T_DIR/api.token
STATE=$T_DIR/state
PFX=198.19.5.0/24 ONLY=198.19.6.0/24
echo "sched-$$" >"$TOKEN"

ns_create rs
cat >"$T_DIR/expect.yaml" <<EOF
before:
  - {prefix: $PFX, next_hops: [127.0.0.2, 127.0.0.3]}
during:
  - {prefix: $PFX, next_hops: [127.0.0.3]}
after:
  - {prefix: $PFX, next_hops: [127.0.0.2, 127.0.0.3]}
EOF
pharos_conf_begin "$CONF" asn=65515 router_id=198.18.0.1 listen=127.0.0.1 \
	port=$PORT hold_time=30 keepalive=10
pharos_conf_peer "$CONF" nva-1 nva 127.0.0.2 65001 passive=true
pharos_conf_peer "$CONF" nva-2 nva 127.0.0.3 65002 passive=true
pharos_conf_peer "$CONF" nva-3 nva 127.0.0.4 65003 passive=true
cat >>"$CONF" <<EOF
  state_dir: $STATE
  drills:
    - {name: ecmp-nva-1, kind: peer-down, target: nva-1, every_s: 10, restore_after_s: 2, expect: $T_DIR/expect.yaml, pass: 100}
    - {name: lonely-nva-3, kind: peer-down, target: nva-3, every_s: 6, restore_after_s: 2}
EOF
pharos_conf_api "$CONF" "$API" "$TOKEN"

out=$("$PHAROSD" -p -c "$CONF" 2>&1)
check_match "pharosd -p prints the state directory" "$out" "state_dir: $STATE"
check_match "and the drills with their schedule" "$out" "every_s: 10"
sed 's/every_s: 6,/window: "25:00-26:00",/' "$CONF" >"$T_DIR/bad.yaml"
out=$("$PHAROSD" -n -c "$T_DIR/bad.yaml" 2>&1)
check_match "a bad window is refused with FILE:LINE:COL" "$out" "bad.yaml:[0-9]+:[0-9]+: bad window '25:00-26:00'"
sed 's/target: nva-3/target: nva-9/' "$CONF" >"$T_DIR/bad2.yaml"
out=$("$PHAROSD" -n -c "$T_DIR/bad2.yaml" 2>&1)
check_match "a target that is not a peer is refused" "$out" "bad2.yaml:[0-9]+:[0-9]+: drill target 'nva-9' is not a peer"

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
printf 'announce %s\neor ipv4\n' "$PFX" >"$T_DIR/ecmp.script"
printf 'announce %s\neor ipv4\n' "$ONLY" >"$T_DIR/only.script"

pharosd_start rs "$CONF" "$API"
start=$(date +%s)
nva() { # NAME ASN BIND SCRIPT
	start_in "$1" rs "$T_DIR/nva.sh" stdbuf -oL "$PHAROS_PEER" -a "$2" -R 65515 \
		-b "$3" -o json -f "$4" 127.0.0.1 $PORT
}
nva nva-1 65001 127.0.0.2 "$T_DIR/ecmp.script"
nva nva-2 65002 127.0.0.3 "$T_DIR/ecmp.script"
nva nva-3 65003 127.0.0.4 "$T_DIR/only.script"
for n in nva-1 nva-2 nva-3; do
	check_wait "$n established" 15 peer_established "$n"
done

hist() { pctl show drills --history "$1"; }
runs() { hist "$1" | jq '[.history[] | select(.result != "skipped")] | length'; }
two_runs() { [ "$(runs ecmp-nva-1)" -ge 2 ]; }
check_wait "the drill every 10 s has run twice" 60 two_runs
took=$(($(date +%s) - start))
diag "two runs recorded ${took} s after pharosd started"
h=$(hist ecmp-nva-1)
check "each run is scored 100% and passed" \
	jq -e '[.history[] | select(.result != "skipped")] | all(.score == 100 and .result == "pass" and .state == "done")' <<<"$h"
check "each run has the drill's timeline" \
	jq -e '[.history[] | select(.result != "skipped")] | all([.timeline[].phase] | index("session_down") == 0 and index("routes_back") > 0)' <<<"$h"
# the schedule itself (not a measured time): runs due at start + 10 s and
# start + 20 s, both within the first 25 s of pharosd
up=$(pctl show status | jq .uptime_s)
started=$(( $(date +%s) - up ))
# (unless a tick before them was skipped, with its reason, e.g. the
# sessions were not up yet on a loaded machine)
check "the first two runs were due within 25 s of pharosd's start" \
	jq -e --argjson s "$started" '(.history[0].result == "skipped") or
	  ([.history[] | select(.result != "skipped") | .scheduled | sub("\\.[0-9]+Z$"; "Z") | fromdate][:2] | all(. - $s <= 26))' <<<"$h"
check "two runs were scheduled 10 s apart" \
	jq -e '[.history[] | select(.result != "skipped") | .scheduled | sub("\\.[0-9]+Z$"; "Z") | fromdate] | .[1] - .[0] == 10' <<<"$h"
before=$(jq -c '[.history[] | select(.result != "skipped") | {id, scheduled, score}]' <<<"$h")

l=$(hist lonely-nva-3)
check "the drill of the only path of $ONLY is skipped" \
	jq -e '.history | length >= 1 and all(.result == "skipped")' <<<"$l"
check "with the reason: the last path of $ONLY" \
	jq -e --arg p "$ONLY" 'any(.history[]; .reason == ("it would remove the last path of " + $p))' <<<"$l"
check_eq "nva-3 never lost its session" "$(pctl show peer nva-3 | jq -r .flaps)" 0

out=$(nsx rs "$PHAROSCTL" -s "http://$API" show drills --history ecmp-nva-1)
echo "$out" | sed 's/^/# /'
check_match "show drills --history prints the trend" "$out" "pass +100% +####################"
check_match "and a summary" "$out" "[0-9]+ runs, [0-9]+ passed, 0 skipped"
out=$(nsx rs "$PHAROSCTL" -s "http://$API" show drills --schedule)
check_match "show drills --schedule lists both" "$out" "lonely-nva-3 +peer-down +nva-3 +every 6 s"
m=$(metrics_of rs "$API")
check_eq "pharos_drill_score of the drill is 100" \
	"$(awk '/^pharos_drill_score\{drill="ecmp-nva-1"\}/ {print $2}' <<<"$m")" 100.000
check "pharos_drill_last_run is a recent Unix time" \
	awk -v now="$(date +%s)" '/^pharos_drill_last_run\{drill="ecmp-nva-1"\}/ {ok = $2 > now - 120 && $2 <= now + 1} END {exit !ok}' <<<"$m"
check "pharos_drill_last_run of the skipped drill is 0" \
	grep -q '^pharos_drill_last_run{drill="lonely-nva-3"} 0.000$' <<<"$m"
ev=$(pctl show events)
check "a drill_run event with the score" \
	jq -e 'any(.events[]; .type == "drill_run" and .drill_name == "ecmp-nva-1" and .result == "pass" and .score == 100)' <<<"$ev"
check "a drill_skipped event with the reason" \
	jq -e 'any(.events[]; .type == "drill_skipped" and .drill_name == "lonely-nva-3" and (.skip_reason | test("last path")))' <<<"$ev"
check "the history is on disk, one JSON line per entry" \
	jq -e -s 'length >= 2 and all(.name == "ecmp-nva-1")' "$STATE/drills/ecmp-nva-1.jsonl"

# A restart keeps the history (the drill may be running: wait for it).
idle() { [ "$(pctl show drills --schedule | jq '[.drills[].running] | add')" = 0 ]; }
check_wait "no scheduled drill is running" 20 idle
check "pharosd stops cleanly" pharosd_stop
pharosd_start rs "$CONF" "$API"
after=$(hist ecmp-nva-1 | jq -c '[.history[] | select(.result != "skipped") | {id, scheduled, score}]')
check "after a restart the history holds the earlier runs" \
	jq -e --argjson b "$before" '.[:($b | length)] == $b' <<<"$after"
check "and the schedule counts them" \
	jq -e '.drills[] | select(.name == "ecmp-nva-1") | .runs >= 2 and .last_score == 100' < <(pctl show drills --schedule)
# A real failure in the group: nva-3 (also an nva) goes away; the next
# run of the nva-1 drill is skipped for it.
for n in nva-1 nva-2 nva-3; do
	check_wait "$n established again" 15 peer_established "$n"
done
stop_proc nva-3
group_skip() { hist ecmp-nva-1 | jq -e 'any(.history[]; .reason == "peer nva-3 of the same group (nva) is down: a real failure is in progress")' >/dev/null; }
check_wait "with nva-3 down, the drill of nva-1 is skipped: a real failure of its group" 25 group_skip
code=$(nsx rs curl -s -o /dev/null -w '%{http_code}' "http://$API/api/v1/drills/history/nope")
check_eq "the history of an unknown drill is 404" "$code" 404
check "pharosd stops cleanly again" pharosd_stop
check "no sanitizer report" sanitizer_clean "$(log_of pharosd)"
t_done
