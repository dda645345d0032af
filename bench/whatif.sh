#!/bin/bash
# whatif.sh - the cost of a what-if on a large table: two NVAs
# (pharos-peer) each announce N prefixes (ECMP over both), the fabric
# has a hub and three spokes (four subnets receive BGP routes); times
# RUNS `pharosctl -j whatif peer-down nva1` and reports the reply size
# and pharosd's resident memory before and after.
#
# Usage: bench/whatif.sh [N [RUNS]]   (root; default 100000 and 5;
# release build; not in make test)
set -u
N=${1:-100000} RUNS=${2:-5}
TOP=$(cd "$(dirname "$0")/.." && pwd)
B=$TOP/build
NS=pharos-whatif-$$
DIR=$(mktemp -d /tmp/pharos-whatif.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT
ip netns add "$NS" && ip -n "$NS" link set lo up || exit 1
x() { ip netns exec "$NS" "$@"; }
cat >"$DIR/p.yaml" <<EOF
route_server:
  router_id: 198.18.0.1
  listen: [127.0.0.1]
  port: 1799
  startup_hold_s: 0
  max_paths: 8
  peers:
    - {name: nva1, address: 127.0.0.2, asn: 65001, passive: true, max_prefixes: 4000000}
    - {name: nva2, address: 127.0.0.3, asn: 65002, passive: true, max_prefixes: 4000000}
api:
  listen: 127.0.0.1:18199
fabric:
  vnets:
    - {name: hub, hub: true, address_space: [198.18.100.0/24], subnets: [{name: nva, prefix: 198.18.100.0/26}]}
    - {name: s1, address_space: [198.18.101.0/24], peerings: [{remote: hub, use_remote_gateways: true}], subnets: [{name: a, prefix: 198.18.101.0/26}]}
    - {name: s2, address_space: [198.18.102.0/24], peerings: [{remote: hub, use_remote_gateways: true}], subnets: [{name: a, prefix: 198.18.102.0/26}]}
    - {name: s3, address_space: [198.18.103.0/24], peerings: [{remote: hub, use_remote_gateways: true}], subnets: [{name: a, prefix: 198.18.103.0/26}]}
EOF
ip netns exec "$NS" "$B/pharosd" -c "$DIR/p.yaml" >"$DIR/pharosd.log" 2>&1 &
rs=$!
pids+=($rs)
sleep 0.5
for i in 1 2; do
	ip netns exec "$NS" "$B/pharos-peer" -a 6500$i -R 65515 -b 127.0.0.$((i + 1)) -o none -g "$N" 127.0.0.1 1799 >"$DIR/p$i.log" 2>&1 &
	pids+=($!)
done
ctl() { x "$B/pharosctl" -s http://127.0.0.1:18199 "$@"; }
for _ in $(seq 600); do
	n=$(ctl -j show status 2>/dev/null | jq -r '.rib.paths // .rib.routes // 0')
	[ "${n:-0}" -ge $((2 * N)) ] && break
	sleep 0.5
done
echo "loc-RIB: $(ctl -j show status | jq -c '.rib')"
rss0=$(awk '/^VmRSS/ {print $2}' /proc/$rs/status)
# PERF=1: where pharosd spends the what-ifs' time (perf record)
if [ "${PERF:-0}" = 1 ]; then
	perf record -q -g -p "$rs" -o "$DIR/perf.data" >/dev/null 2>&1 &
	perf=$!
	sleep 0.5
fi
for r in $(seq "$RUNS"); do
	t0=$(date +%s%N)
	ctl -j whatif peer-down nva1 >"$DIR/w.json"
	t1=$(date +%s%N)
	echo "run $r: $(( (t1 - t0) / 1000000 )) ms, reply $(wc -c <"$DIR/w.json") bytes, $(jq -c '[.subnets[].changed_count]' "$DIR/w.json") changed per subnet"
done
rss1=$(awk '/^VmRSS/ {print $2}' /proc/$rs/status)
if [ "${PERF:-0}" = 1 ]; then
	kill -INT "$perf"
	wait "$perf"
	perf report -i "$DIR/perf.data" --stdio --no-children 2>/dev/null |
		grep -E '^ +[0-9.]+%' | head -15
fi
echo "pharosd RSS: $rss0 kB before, $rss1 kB after $RUNS what-ifs"
