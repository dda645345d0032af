#!/bin/bash
# t_cli.sh - pharosctl as an operator uses it: options anywhere, help per
# command, unique-prefix abbreviations, exit statuses (0 ok, 1 refused or
# failed, 2 usage, 3 unreachable), a trailing slash on -s, a bare address
# doing a longest match, the route filters (--community, --as,
# --origin-as, --family, --best), show summary, peer clear (a hard reset
# the peer sees as Cease/Administrative Reset), and reload --check, which
# says what a reload would do and applies nothing.
. "$(dirname "$0")/../lib.sh"

need_bin "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER" jq curl
PORT=1792
API=127.0.0.1:18182
CONF=$T_DIR/pharosd.yaml
TOKEN=$T_DIR/token
echo "cli-test-token" >"$TOKEN"
chmod 600 "$TOKEN"

write_conf() { # HOLD of nva-b, DISABLED of nva-c
	rm -f "$CONF"
	pharos_conf_begin "$CONF" asn=65515 router_id=198.18.0.1 listen=127.0.0.1 \
		port=$PORT hold_time=30 keepalive=10
	pharos_conf_peer "$CONF" nva-a nva 127.0.0.2 65001 passive=true
	pharos_conf_peer "$CONF" nva-b nva 127.0.0.3 65002 passive=true hold_time="$1"
	pharos_conf_peer "$CONF" nva-c nva 127.0.0.4 65003 passive=true \
		disabled="${2:-true}" description='"spare firewall"'
	# nva-a announces a documentation prefix (2001:db8::/32), which the
	# default martians refuse: the list without the documentation ranges.
	echo "  martians: [0.0.0.0/8, 127.0.0.0/8, 169.254.0.0/16, 224.0.0.0/4, 240.0.0.0/4, fe80::/10, ff00::/8]" >>"$CONF"
	pharos_conf_api "$CONF" "$API" "$TOKEN"
	pharos_conf_vnet "$CONF" hub 198.18.0.0/24
}
write_conf 30 true
ns_create rs
pharosd_start rs "$CONF" "$API"

ctl() { nsx rs "$PHAROSCTL" "$@"; }
rc_of() { "$@" >/dev/null 2>&1; echo $?; }

# nva-a: 198.19.1.0/24 with community 65001:100, path 65001 64900;
# 2001:db8:100::/48. nva-b: 198.19.0.0/16 (covers 198.19.2.7) and
# 198.19.1.0/24 with a longer path (loses to nva-a).
start_in nva-a rs "$PHAROS_PEER" -a 65001 -R 65515 -b 127.0.0.2 -o none \
	-A "198.19.1.0/24 path 64900 community 65001:100" \
	-A "2001:db8:100::/48 nh 2001:db8::2" 127.0.0.1 $PORT
start_in nva-b rs "$PHAROS_PEER" -a 65002 -R 65515 -b 127.0.0.3 -o json \
	-A "198.19.0.0/16" -A "198.19.1.0/24 path 64800 64900" 127.0.0.1 $PORT
check_wait "nva-a established" 15 peer_established nva-a
check_wait "nva-b established" 15 peer_established nva-b
check_wait "nva-a's routes accepted" 10 peer_field_is nva-a prefixes_accepted 2
check_wait "nva-b's routes accepted" 10 peer_field_is nva-b prefixes_accepted 2

# Options anywhere; -j after the command prints JSON.
check "show peers -j (option after the command) prints JSON" \
	bash -c '"$@" | jq -e ".peers | length == 2"' _ \
	nsx rs "$PHAROSCTL" show peers -j -s "http://$API"
check "--server=URL/ with trailing slashes works" \
	bash -c '"$@" | jq -e ".peers | length == 2"' _ \
	nsx rs "$PHAROSCTL" --server="http://$API//" --json show peers
check_match "the peer table shows uptime as HH:MM:SS" \
	"$(ctl -s "http://$API" show peers)" 'nva-a .* established +00:[0-9]{2}:[0-9]{2} '

# Abbreviations: "sh pe" is show peers, "sh pe nva-a" show peer nva-a.
check "sh pe: show peers" bash -c '"$@" | jq -e ".peers | length == 2"' _ \
	nsx rs "$PHAROSCTL" -s "http://$API" -j sh pe
check "sh pe nva-a: show peer nva-a" bash -c '"$@" | jq -e ".name == \"nva-a\""' _ \
	nsx rs "$PHAROSCTL" -s "http://$API" -j sh pe nva-a
check_eq "an ambiguous word is a usage error (show a: adj-in, adj-out, agents?)" \
	"$(rc_of ctl -s "http://$API" show a nva-a)" 2
check_match "... which lists the candidates" \
	"$(ctl -s "http://$API" show a nva-a 2>&1)" "show adj-in"
check_eq "'show ro' is show routes" \
	"$(ctl -s "http://$API" -j sh ro | jq '.routes | length')" 3

# Help.
check_match "help lists the commands" "$(ctl help)" 'show routes'
check_match "show routes --help is that command's help" \
	"$(ctl show routes --help)" '^  show routes .*--community'
check_match "help peer clear" "$(ctl help peer clear)" 'hard reset'
check_eq "help exits 0" "$(rc_of ctl --help)" 0
check_match "--version" "$(ctl --version)" '^pharosctl [0-9]+\.[0-9]+'

# Exit statuses.
check_eq "an unknown command exits 2" "$(rc_of ctl -s "http://$API" frobnicate)" 2
check_eq "a missing argument exits 2" "$(rc_of ctl -s "http://$API" show peer)" 2
check_eq "an unknown peer (404 from pharosd) exits 1" \
	"$(rc_of ctl -s "http://$API" show peer nosuch)" 1
check_eq "a change without the token (401) exits 1" \
	"$(rc_of ctl -s "http://$API" peer clear nva-a)" 1
check_eq "an unreachable daemon exits 3" \
	"$(rc_of ctl -s http://127.0.0.1:1 show peers)" 3

# A bare address does a longest match.
R=$(ctl -s "http://$API" -j show routes 198.19.2.7)
check_eq "show routes 198.19.2.7 finds 198.19.0.0/16" \
	"$(jq -r '[.routes[].prefix] | join(",")' <<<"$R")" "198.19.0.0/16"
R=$(ctl -s "http://$API" -j show routes 198.19.1.9)
check_eq "show routes 198.19.1.9 finds the /24" \
	"$(jq -r '[.routes[].prefix] | join(",")' <<<"$R")" "198.19.1.0/24"

# Filters.
sr() { ctl -s "http://$API" -j show routes "$@"; }
check_eq "--community 65001:100 keeps nva-a's path only" \
	"$(sr --community 65001:100 | jq -c '[.routes[] | .prefix + "=" + ([.paths[].peer] | join("+"))]')" \
	'["198.19.1.0/24=nva-a"]'
check_eq "--as 64900 keeps both paths of 198.19.1.0/24" \
	"$(sr --as 64900 | jq -c '[.routes[] | .prefix + "=" + (.paths | length | tostring)]')" \
	'["198.19.1.0/24=2"]'
check_eq "--origin-as 65002 keeps nva-b's own /16" \
	"$(sr --origin-as 65002 | jq -c '[.routes[].prefix]')" '["198.19.0.0/16"]'
check_eq "--family ipv6" "$(sr --family ipv6 | jq -c '[.routes[].prefix]')" \
	'["2001:db8:100::/48"]'
check_eq "--best drops the losing path" \
	"$(sr 198.19.1.0/24 --best | jq -c '[.routes[].paths[].peer]')" '["nva-a"]'
check_eq "a bad --family is a usage error" "$(rc_of sr --family ipx)" 2
check_match "filters work on the table view too" \
	"$(ctl -s "http://$API" show routes --community 65001:100)" '198\.19\.1\.0/24'

# Why a path lost: nva-b's 198.19.1.0/24 has the longer AS path.
check_eq "a losing path carries the step it lost at" \
	"$(sr 198.19.1.0/24 | jq -c '[.routes[].paths[] | [.peer, .best, .reason]]')" \
	'[["nva-a",true,null],["nva-b",false,"as_path_length"]]'
check_match "the table says it too" "$(ctl -s "http://$API" show routes 198.19.1.0/24)" \
	'198\.19\.1\.0/24 from nva-b lost at: as_path_length'

# show summary.
S=$(ctl -s "http://$API" -j show summary)
check_eq "show summary counts the peers" "$(jq -c '.peers' <<<"$S")" \
	'{"configured":3,"established":2,"down":1,"disabled":1}'
check_match "show summary's text" "$(ctl -s "http://$API" show summary)" \
	'peers: 3 configured, 2 established, 1 down \(1 disabled\)'

# disabled: true in the file: an admin state apart from the session's.
P=$(ctl -s "http://$API" -j show peer nva-c)
check_eq "nva-c is disabled by the file, with its description" \
	"$(jq -c '[.admin_state, .state, .description]' <<<"$P")" '["disabled","idle","spare firewall"]'
check_eq "nva-a's admin state is enabled" \
	"$(ctl -s "http://$API" -j show peer nva-a | jq -r .admin_state)" enabled
check_match "the table has an ADMIN column" "$(ctl -s "http://$API" show peers)" \
	'nva-c +127\.0\.0\.4 +65003 +nva +disabled +idle'
check_match "pharos_peer_admin_enabled is 0 for nva-c" \
	"$(nsx rs curl -sf "http://$API/metrics")" 'pharos_peer_admin_enabled\{peer="nva-c"[^}]*\} 0'
start_in nva-c rs "$PHAROS_PEER" -a 65003 -R 65515 -b 127.0.0.4 -o json -t 0 \
	-A "198.19.3.0/24" 127.0.0.1 $PORT
_refused() { grep -q '"type":"notification".*"code":6' "$(log_of nva-c)"; }
check_wait "a disabled peer that connects is turned away (Cease)" 10 _refused
check_eq "... and has no route in" \
	"$(ctl -s "http://$API" -j show peer nva-c | jq .prefixes_received)" 0

# peer clear: Cease/Administrative Reset to nva-b, and the session returns.
ups=$(nsx rs curl -sf "http://$API/metrics" | awk '$1 ~ /^pharos_peer_sessions_established_total\{peer="nva-b"/ {print $2}')
check_match "peer clear nva-b" "$(ctl -s "http://$API" -t "$TOKEN" peer clear nva-b)" \
	'peer nva-b: session reset'
_notified() { grep -q '"type":"notification".*"code":6,"subcode":4' "$(log_of nva-b)"; }
check_wait "nva-b received Cease/Administrative Reset" 10 _notified
# The peer reconnects (pharos-peer runs one session): pharosd takes it.
stop_proc nva-b TERM 5
start_in nva-b2 rs "$PHAROS_PEER" -a 65002 -R 65515 -b 127.0.0.3 -o none \
	-A "198.19.0.0/16" -A "198.19.1.0/24 path 64800 64900" 127.0.0.1 $PORT
_back() {
	local n
	n=$(nsx rs curl -sf "http://$API/metrics" | awk '$1 ~ /^pharos_peer_sessions_established_total\{peer="nva-b"/ {print $2}')
	[ -n "$n" ] && [ "${n%.*}" -gt "${ups%.*}" ]
}
check_wait "nva-b's session comes back when it reconnects" 20 _back
P=$(ctl -s "http://$API" -j show peer nva-b)
check_match "the last error says what happened, with its time" \
	"$(jq -r '.last_error + " @ " + .last_error_time' <<<"$P")" \
	'^sent: .*[Aa]dministrative [Rr]eset.* @ [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z$'
check_eq "... marked old now that the session is up again" "$(jq .last_error_old <<<"$P")" true
check_match "the table marks it old" "$(ctl -s "http://$API" show peers)" \
	'nva-b .*\(old\) [0-9]{2}:[0-9]{2}:[0-9]{2} sent: '
check_match "a peer_cleared event" \
	"$(nsx rs curl -sf "http://$API/api/v1/events?type=peer_cleared")" '"peer": *"nva-b"'

# reload --check: a changed hold time would reset nva-b; nothing applied.
write_conf 60 true
up_before=$(nsx rs curl -sf "http://$API/metrics" | awk '$1 ~ /^pharos_peer_sessions_established_total\{peer="nva-b"/ {print $2}')
C=$(ctl -s "http://$API" -t "$TOKEN" -j reload --check)
check_eq "reload --check says nva-b would be reset" "$(jq -c '.peers.reset' <<<"$C")" '["nva-b"]'
check_eq "... and why" "$(jq -r '.peers.reset_why["nva-b"]' <<<"$C")" "hold time changed"
check_eq "... and that it was only a check" "$(jq '.check' <<<"$C")" true
check_match "the text form says nothing was applied" \
	"$(ctl -s "http://$API" -t "$TOKEN" reload --check)" 'nothing applied.*'
sleep 1
up_after=$(nsx rs curl -sf "http://$API/metrics" | awk '$1 ~ /^pharos_peer_sessions_established_total\{peer="nva-b"/ {print $2}')
check_eq "no session was reset by the checks" "$up_after" "$up_before"
# The real reload applies it: nva-b is reset with the new hold time.
R=$(ctl -s "http://$API" -t "$TOKEN" -j reload)
check_eq "the real reload resets nva-b" "$(jq -c '[.check, .peers.reset]' <<<"$R")" '[false,["nva-b"]]'

# disabled: false in the file and a reload enable nva-c.
write_conf 60 false
R=$(ctl -s "http://$API" -t "$TOKEN" -j reload)
check_eq "the reload updates nva-c" "$(jq -c '.peers.updated' <<<"$R")" '["nva-c"]'
check_eq "nva-c is enabled" \
	"$(ctl -s "http://$API" -j show peer nva-c | jq -r .admin_state)" enabled
start_in nva-c2 rs "$PHAROS_PEER" -a 65003 -R 65515 -b 127.0.0.4 -o none \
	-A "198.18.128.0/24" 127.0.0.1 $PORT
check_wait "and its session comes up" 15 peer_established nva-c
stop_proc nva-b2 TERM 5
start_in nva-b3 rs "$PHAROS_PEER" -a 65002 -R 65515 -b 127.0.0.3 -o none \
	-A "198.19.0.0/16" 127.0.0.1 $PORT
_hold60() { [ "$(ctl -s "http://$API" -j show peer nva-b | jq '.hold_time')" = 60 ]; }
check_wait "nva-b comes back with the new hold time (60 s)" 20 _hold60
_adj3() { [ "$(ctl -s "http://$API" -j show adj-out nva-a | jq '.routes | length')" = 3 ]; }
check_wait "nva-a is sent nva-b's and nva-c's routes" 10 _adj3
check_eq "show adj-out lists the prefixes in address order" \
	"$(ctl -s "http://$API" show adj-out nva-a | awk 'NR > 1 && $1 ~ /\// {print $1}' | paste -sd' ')" \
	"198.18.0.0/24 198.18.128.0/24 198.19.0.0/16"
# JSON is always well formed, whatever a name holds.
Q='a"b\\c.mrt'
J=$(cd "$T_DIR" && ctl -s "http://$API" -j mrt dump "$Q")
check_eq "mrt dump -j of a file name with quotes and backslashes is valid JSON" \
	"$(jq -r .file <<<"$J")" "$Q"

# The event stream: ids are the events' seq; Last-Event-ID resumes.
stream() { nsx rs curl -sN --max-time 2 "$@" "http://$API/api/v1/events/stream" 2>/dev/null; }
ALL=$(stream -G -d history=1000)
total=$(grep -c '^id: ' <<<"$ALL")
check "the stream gives every event an id" test "$total" -ge 5
check_eq "each id is the seq of its data" \
	"$(awk '/^id: / {id = $2} /^data: / {sub(/^data: /, ""); print id " " $0}' <<<"$ALL" |
		while read -r id js; do [ "$(jq .seq <<<"$js")" = "$id" ] || echo bad; done | grep -c bad)" 0
mid=$((total - 2))
R=$(stream -H "Last-Event-ID: $mid")
check_eq "Last-Event-ID: N resumes right after N" \
	"$(grep '^id: ' <<<"$R" | awk '{print $2}' | paste -sd, -)" "$((mid + 1)),$((mid + 2))"

check "pharosd exits 0 on SIGTERM" pharosd_stop
check "pharosd stderr has no sanitizer report" sanitizer_clean "$T_DIR/pharosd.log"
t_done
