#!/bin/bash
# fabric_mem.sh - what a fabric costs in memory: pharosd holding N routes
# from one peer (pharos-peer announcing N /24s), once with a configuration
# without `fabric:` and once with a fabric whose spoke subnet receives the
# BGP routes (a hub VNet with a gateway subnet, one spoke peered with
# use_remote_gateways; the NVA's next hop inside the hub's address space).
#
# For each: once the loc-RIB holds the N prefixes and the fabric version has
# stopped moving, pharosd's VmHWM and VmRSS (/proc/PID/status); with the
# fabric, then one GET of the spoke subnet's full table (the time until
# the whole reply is in, its size and the VmHWM after it). Prints both configurations' figures and the
# ratio (fabric / none) of VmHWM and VmRSS.
#
# Usage: bench/fabric_mem.sh [-n ROUTES] [-T TIMEOUT_S]
# (root; not part of make test). Binaries from build/ (the optimised build).
set -u
N=1000000 TIMEOUT=600
while getopts "n:T:h" o; do
	case $o in
	n) N=$OPTARG ;;
	T) TIMEOUT=$OPTARG ;;
	*) sed -n '2,15s/^# \{0,1\}//p' "$0"; exit 2 ;;
	esac
done
TOP=$(cd "$(dirname "$0")/.." && pwd)
export PHAROS_BIN=${PHAROS_BIN:-$TOP/build}
# shellcheck source=../tests/lib.sh
. "$TOP/tests/lib.sh"
need_bin "$PHAROSD" "$PHAROS_PEER" jq curl

RS=198.18.0.1 NVA=198.18.0.10 API=198.18.0.1:8179
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) CPUs, load $(cut -d" " -f1-3 /proc/loadavg), $N routes"
ns_create b
nsx b ip addr add $RS/32 dev lo || bail "address $RS"
nsx b ip addr add $NVA/32 dev lo || bail "address $NVA"

api() { nsx b curl -sf -m 120 "http://$API/api/v1/$1"; }
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# run_one NAME WITH_FABRIC: prints "NAME hwm_kb rss_kb [table_s table_routes hwm_after_kb]"
run_one() {
	local name=$1 fab=$2 conf=$T_DIR/$1.yaml pd v0 v1 t0 t1 n
	pharos_conf_begin "$conf" asn=65515 router_id=$RS listen=$RS
	pharos_conf_peer "$conf" nva nva $NVA 65001 passive=true max_prefixes=$((N + 1))
	pharos_conf_api "$conf" "$API"
	if [ "$fab" = 1 ]; then
		cat >>"$conf" <<EOF
fabric:
  vnets:
    - name: hub
      hub: true
      address_space: [198.18.0.0/24]
      subnets:
        - {name: nva, prefix: 198.18.0.0/27}
        - {name: GatewaySubnet, prefix: 198.18.0.32/27}
      nics:
        - {name: nva-1, subnet: nva, ip: $NVA}
    - name: spoke
      address_space: [198.19.1.0/24]
      peerings: [{remote: hub, use_remote_gateways: true}]
      subnets:
        - {name: app, prefix: 198.19.1.0/26}
      nics:
        - {name: vm-1, subnet: app, ip: 198.19.1.4}
EOF
	fi
	pharosd_start b "$conf" "$API"
	pd=$(pid_of pharosd)
	start_in "peer-$name" b "$PHAROS_PEER" -a 65001 -b $NVA -o none -g "$N" $RS
	wait_until "$TIMEOUT" eval '[ "$(api status | jq .rib.prefixes_v4)" = "$N" ]' ||
		bail "$name: pharosd holds $N prefixes"
	if [ "$fab" = 1 ]; then # until the fabric's version stops moving
		v1=$(api fabric | jq .version)
		while :; do
			sleep 1
			v0=$v1 v1=$(api fabric | jq .version)
			[ "$v0" = "$v1" ] && break
		done
	else
		sleep 2
	fi
	local hwm rss out=""
	hwm=$(status_kb "$pd" VmHWM) rss=$(status_kb "$pd" VmRSS)
	if [ "$fab" = 1 ]; then
		t0=$EPOCHREALTIME
		api fabric/subnets/spoke/app/table >"$T_DIR/table.json"
		t1=$EPOCHREALTIME
		n=$(jq '.routes | length' "$T_DIR/table.json")
		out=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
		out="$out $n $(status_kb "$pd" VmHWM)"
	fi
	echo "$name $hwm $rss $out"
	stop_proc "peer-$name"
	pharosd_stop || bail "$name: pharosd exits 0"
}

A=$(run_one none 0)
B=$(run_one fabric 1)
awk -v a="$A" -v b="$B" -v n="$N" 'BEGIN {
	split(a, x, " "); split(b, y, " ")
	printf "routes=%d\n", n
	printf "no_fabric:   VmHWM %.1f MB  VmRSS %.1f MB\n", x[2] / 1024, x[3] / 1024
	printf "with_fabric: VmHWM %.1f MB  VmRSS %.1f MB\n", y[2] / 1024, y[3] / 1024
	printf "ratio:       VmHWM %.2fx  VmRSS %.2fx  (fabric state %.1f bytes a route at peak)\n",
		y[2] / x[2], y[3] / x[3], (y[2] - x[2]) * 1024 / n
	printf "full table of spoke/app: %d routes in %.2f s, VmHWM after %.1f MB (+%.1f MB)\n",
		y[5], y[4], y[6] / 1024, (y[6] - y[2]) / 1024
}'
exit 0
