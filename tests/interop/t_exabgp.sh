#!/bin/bash
# t_exabgp.sh - interop with ExaBGP as an NVA: sessions over IPv4 and IPv6
# transport, routes both ways (ExaBGP's static routes reach pharosd; what
# ExaBGP receives is read from the JSON its API process records), a
# withdrawal sent through the API, and a capture of what pharosd sent
# checked with tshark.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_bin exabgp

EXA_CMD=$T_DIR/exabgp.cmd   # lines appended here go to ExaBGP's API
EXA_RECV=$T_DIR/exabgp.json # what ExaBGP received, one JSON object a line

# exa_api_script FILE: the API process: records ExaBGP's JSON messages and
# feeds it the command file; it ends with ExaBGP (its parent).
exa_api_script() {
	cat >"$1" <<SCRIPT
#!/bin/bash
tail -n +1 -f --pid=\$PPID "$EXA_CMD" &
exec cat >>"$EXA_RECV"
SCRIPT
	chmod 755 "$1"
}

# exa_neighbor PEER LOCAL FAMILY PREFIX...
exa_neighbor() {
	local peer=$1 local=$2 fam=$3 p
	shift 3
	echo "neighbor $peer {"
	echo "	router-id $IX_D4;"
	echo "	local-address $local;"
	echo "	local-as $IX_D_ASN;"
	echo "	peer-as $IX_RS_ASN;"
	echo "	hold-time 30;"
	echo "	family { $fam unicast; }"
	echo "	api { processes [ ctl ]; receive { parsed; update; } neighbor-changes; }"
	echo "	static {"
	for p in "$@"; do echo "		route $p next-hop self;"; done
	echo "	}"
	echo "}"
}

exa_conf() {
	{
		echo "process ctl {"
		echo "	run $T_DIR/exa-api.sh;"
		echo "	encoder json;"
		echo "}"
		exa_neighbor "$IX_RS4" "$IX_D4" ipv4 "${IX_D4_ROUTES[@]}"
		exa_neighbor "$IX_RS6" "$IX_D6" ipv6 "${IX_D6_ROUTES[@]}"
	} >"$1"
}

# exa_routes: the routes ExaBGP holds from its peers, replaying the
# recorded UPDATEs in order, as "PREFIX|NEXT_HOP|AS PATH".
exa_routes() {
	grep -E '^\{.*\}$' "$EXA_RECV" 2>/dev/null | jq -n -r '
		reduce (inputs | select(.type == "update") | .neighbor.message.update) as $u ({};
			([$u.attribute["as-path"] // [] | .. | numbers] | map(tostring) | join(" ")) as $ap |
			reduce ($u.withdraw // {} | .[] | .[] | .nlri) as $p (.; del(.[$p])) |
			# a link-local next hop comes as its own key: let the global one win
			reduce ($u.announce // {} | .[] | to_entries |
				sort_by(.key | startswith("fe80") | not)[] | .key as $nh | .value[] |
				{p: .nlri, nh: ($nh | split(" ")[0])}) as $a (.; .[$a.p] = "\($a.nh)|\($ap)")) |
		to_entries[] | "\(.key)|\(.value)"'
}

# exa_up ADDR: ExaBGP reported the session with ADDR up (last state).
exa_up() {
	grep -E '^\{.*\}$' "$EXA_RECV" 2>/dev/null | jq -s -e --arg a "$1" '
		[.[] | select(.type == "state" and .neighbor.address.peer == $a) | .neighbor.state] |
		last == "up"' >/dev/null
}

ix_topology
ix_start_pharos exabgp
: >"$EXA_CMD"
: >"$EXA_RECV"
exa_api_script "$T_DIR/exa-api.sh"
exa_conf "$T_DIR/exabgp.conf"
start_in exabgp nva env exabgp.daemon.user=root exabgp.daemon.drop=false \
	exabgp.log.destination="$T_DIR/exabgp-daemon.log" exabgp.api.cli=false \
	exabgp "$T_DIR/exabgp.conf"
ix_start_nva2

ix_check_sessions exabgp
check_wait "ExaBGP reports both sessions up" 10 eval 'exa_up $IX_RS4 && exa_up $IX_RS6'
ix_check_learned exabgp
ix_check_ecmp exabgp
ix_check_received ExaBGP exa_routes

{
	echo "neighbor $IX_RS4 withdraw route ${IX_D4_ROUTES[1]} next-hop self"
	echo "neighbor $IX_RS6 withdraw route ${IX_D6_ROUTES[1]} next-hop self"
} >>"$EXA_CMD"
ix_check_withdrawn exabgp
ix_finish
check "ExaBGP stops cleanly" stop_proc exabgp
t_done
