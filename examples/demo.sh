#!/bin/bash
# demo.sh - the interim demonstration of pharos (until the fabric lands):
# pharosd on 127.0.0.1 port 1790 with two NVAs on loopback (pharos-peer on
# 127.0.0.2 and 127.0.0.3), their sessions and routes shown with
# pharosctl, and one NVA's routes reaching the other through the route
# server. Every process it starts is stopped at the end, unless --keep is
# given: then everything keeps running and the script says how to explore.
set -u
cd "$(dirname "$0")/.."
TOP=$PWD
BIN=${PHAROS_BIN:-$TOP/build}
PHAROSD=$BIN/pharosd
PHAROSCTL=$TOP/build/pharosctl
PEER=$TOP/build/pharos-peer
CONF=$TOP/examples/two-peers.yaml
API=http://127.0.0.1:18179
KEEP=0
[ "${1:-}" = "--keep" ] && KEEP=1

for b in "$PHAROSD" "$PHAROSCTL" "$PEER"; do
	[ -x "$b" ] || { echo "demo: $b is missing (run make)" >&2; exit 1; }
done
DIR=$(mktemp -d /tmp/pharos-demo.XXXXXX)
PIDS=()

cleanup() {
	local p
	[ "$KEEP" = 1 ] && return
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		p=${PIDS[$i]}
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ctl() { "$PHAROSCTL" -s "$API" "$@"; }
step() { printf '\n=== %s\n' "$*"; }
# wait_for SECONDS CMD...: poll CMD every 0.2 s.
wait_for() {
	local n=$(($1 * 5))
	shift
	while ((n-- > 0)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
	return 1
}
established() { ctl -j show peer "$1" | grep -q '"state":"established"'; }

step "pharosd -c examples/two-peers.yaml (AS 65515, 127.0.0.1 port 1790)"
"$PHAROSD" -c "$CONF" >"$DIR/pharosd.log" 2>&1 &
PIDS+=($!)
wait_for 10 ctl show status || { echo "demo: pharosd did not start" >&2; cat "$DIR/pharosd.log" >&2; exit 1; }
ctl show status | head -4

step "two NVAs connect: nva-a (AS 65001, 127.0.0.2) and nva-b (AS 65002, 127.0.0.3)"
stdbuf -oL "$PEER" -a 65001 -R 65515 -b 127.0.0.2 -o json \
	-A "198.19.10.0/24,198.19.11.0/24 community 65001:10" 127.0.0.1 1790 >"$DIR/nva-a.json" 2>&1 &
PIDS+=($!)
stdbuf -oL "$PEER" -a 65002 -R 65515 -b 127.0.0.3 -o json \
	-A "198.19.20.0/24 med 20" 127.0.0.1 1790 >"$DIR/nva-b.json" 2>&1 &
PIDS+=($!)
wait_for 15 established nva-a && wait_for 15 established nva-b ||
	{ echo "demo: sessions did not establish" >&2; tail "$DIR/pharosd.log" >&2; exit 1; }
ctl show peers

step "the route server's RIB (pharosctl show routes)"
wait_for 10 bash -c "'$PHAROSCTL' -s $API -j show routes 198.19.20.0/24 | grep -q nva-b"
ctl show routes

step "what pharosd advertises to nva-b (pharosctl show adj-out nva-b)"
ctl show adj-out nva-b

step "nva-b learned nva-a's routes through the route server"
if wait_for 10 grep -q '"prefix":"198.19.10.0/24","next_hop":"127.0.0.2","as_path":\[65515,65001\]' "$DIR/nva-b.json"; then
	grep '"prefix":"198.19.10.0/24"' "$DIR/nva-b.json" | head -1
	echo "-> 198.19.10.0/24 reached nva-b with AS 65515 prepended and next hop 127.0.0.2 unchanged"
	rc=0
else
	echo "demo: nva-b did not receive nva-a's routes" >&2
	rc=1
fi

if [ "$KEEP" = 1 ]; then
	cat <<EOT

Everything keeps running (--keep). Explore with:
  $PHAROSCTL -s $API show peers
  $PHAROSCTL -s $API show routes
  $PHAROSCTL -s $API show routes 198.19.10.0/24
  $PHAROSCTL -s $API show adj-in nva-a
  $PHAROSCTL -s $API show adj-out nva-b
  $PHAROSCTL -s $API show events
  $PHAROSCTL -s $API -j show status
Logs: $DIR (pharosd.log, nva-a.json, nva-b.json)
Stop it all with:  kill ${PIDS[*]}
EOT
fi
exit $rc
