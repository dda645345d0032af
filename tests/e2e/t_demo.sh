#!/bin/bash
# t_demo.sh - `make demo` end to end: the three example configurations
# (examples/three-region/) pass `pharosd -n`, then examples/demo.sh runs
# inside a network namespace of its own (a private loopback, so nothing
# else on the host can answer on its addresses) and its narration is
# checked step by step for the outcomes it must show: sessions and routes
# per hub, two ECMP next hops, the cross-region walk, one next hop after an
# NVA failure, the VPN path while ExpressRoute is down, Cease/max-prefix
# with the fabric untouched, NO_ADVERTISE absent from every adj-out, a
# what-if of an NVA down and the symmetry verdict of a flow. Last,
# no process of the demo survives it and pharosd logged no sanitizer
# report.
. "$(dirname "$0")/../lib.sh"

need_bin "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER" jq curl
DEMO=$PHAROS_TOP/examples/demo.sh
OUT=$T_DIR/demo.out

# conf_ok FILE: pharosd -n accepts FILE (its messages go to the TAP log).
conf_ok() {
	"$PHAROSD" -n -c "$1" >"$T_DIR/check.out" 2>&1 && return 0
	sed 's/^/# /' "$T_DIR/check.out"
	return 1
}
n=0
for f in "$PHAROS_TOP"/examples/three-region/*.yaml; do
	n=$((n + 1))
	check "pharosd -n accepts examples/three-region/$(basename "$f")" conf_ok "$f"
done
check_eq "three example configurations, one per hub" "$n" 3
check "the simulator knows 12 appliances" \
	test "$("$PHAROS_TOP/examples/sim/appliance.sh" --list | wc -l)" -eq 12

ns_create demo
mkdir -p "$T_DIR/logs"
start=$(date +%s)
nsx demo env DEMO_DIR="$T_DIR/logs" timeout -k 5 110 "$DEMO" >"$OUT" 2>&1
rc=$?
took=$(($(date +%s) - start))
sed 's/^/# /' "$OUT"
check_eq "examples/demo.sh exits 0" "$rc" 0

narr=$(cat "$OUT")
# step_line N: the "=> OK/FAILED" line that ends step N.
step_line() {
	awk -v n="$1" '/^=== Step /{s = $3 + 0} s == n && /^  => /{print; exit}' "$OUT"
}
for n in 1 2 3 4 5 6 7 8; do
	check_match "step $n ends with => OK" "$(step_line "$n")" '^  => OK: '
done
check "no step says FAILED" bash -c "! grep -q '=> FAILED' '$OUT'"
check_match "summary: 8 of 8 steps OK" "$narr" '^  8 of 8 steps OK, 0 failed'

# Step 1: every session of every hub, and the routes each hub holds.
check_match "step 1: 12/12 sessions established, with a measured time" \
	"$(step_line 1)" '12/12 sessions established, the last [0-9]+ ms after'
check_match "step 1: loc-RIB sizes per hub (7, 5, 5)" \
	"$(step_line 1)" 'uksouth 7, westeurope 5, eastus 5$'
# Step 2: ECMP over the NVA pair and the default via the firewalls.
check_match "step 2: the private aggregate has two ECMP next hops (NVA pair)" \
	"$(step_line 2)" '198\.18\.0\.0/15 has 2 ECMP next hops 198\.18\.1\.4 198\.18\.1\.5'
check_match "step 2: the default route has the firewall pair as next hops" \
	"$(step_line 2)" '0\.0\.0\.0/0 has 2 next hops 198\.18\.1\.36 198\.18\.1\.37'
check_match "step 2: pharosctl's table shows the aggregate with both next hops" \
	"$narr" 'VirtualNetworkGateway +Active +198\.18\.0\.0/15 +VirtualNetworkGateway +198\.18\.1\.4 198\.18\.1\.5'
# Step 3: the walk leaves UK South and is delivered in West Europe.
check_match "step 3: walk UK South -> West Europe delivered to vm-we-app1" \
	"$(step_line 3)" '\[uksouth\] -> vm-uks-app1 -> nva-uks-[12] -> \[westeurope\] -> nva-we-1 -> vm-we-app1: .*delivered in westeurope'
check_match "step 3: pharosctl trace shows the region change and the delivery" \
	"$narr" 'continues in region westeurope at 198\.18\.65\.4'
# Step 4: an NVA fails, one next hop left, measured convergence.
check_match "step 4: ECMP pair becomes one next hop after the NVA failure" \
	"$(step_line 4)" 'went from 2 ECMP next hops to 1 \(198\.18\.1\.5\); fabric reprogrammed [0-9]+ ms after the failure'
check_match "step 4: the deltas show the change to one next hop" \
	"$narr" 'v[0-9]+ change 198\.18\.0\.0/15 .*\[198\.18\.1\.5\]'
check_match "step 4: the pair comes back after the restart" \
	"$(step_line 4)" 'back to 2 next hops [0-9]+ ms after its restart'
# Step 5: VPN takes over while ExpressRoute is down, ER comes back.
check_match "step 5: VPN path (longer AS path) while ExpressRoute is down" \
	"$(step_line 5)" 'ER down: 198\.19\.0\.0/18 via VPN 198\.18\.2\.12 \(AS path 65200 65201 65201 65001\) [0-9]+ ms'
check_match "step 5: ExpressRoute path back after its return" \
	"$(step_line 5)" 'ER back: via 198\.18\.2\.4 again [0-9]+ ms'
# Step 6: max-prefix: Cease, session dropped, fabric unchanged.
check_match "step 6: Cease / Maximum Number of Prefixes Reached (6/1)" \
	"$(step_line 6)" 'Cease/max prefix \(NOTIFICATION 6/1\), session dropped'
check_match "step 6: the flooding NVA received the NOTIFICATION" \
	"$narr" 'nva-uks-lab received: NOTIFICATION 6/1 Cease/Maximum Number of Prefixes Reached'
check_match "step 6: fabric untouched" "$(step_line 6)" 'fabric untouched \(same table content'
# Step 7: NO_ADVERTISE programmed locally, in no adj-out.
check_match "step 7: NO_ADVERTISE prefix in the effective routes, absent from every adj-out" \
	"$(step_line 7)" '198\.18\.48\.0/24 \(NO_ADVERTISE\) is programmed in vm-uks-app1.s effective routes via 198\.18\.1\.5 and absent from all [0-9]+ adj-outs'
check_match "step 7: no adj-out and no appliance holds it" \
	"$narr" 'holding 198\.18\.48\.0/24: none; appliances that received it: none'
# Step 8: a what-if and a symmetry verdict.
check_match "step 8: what-if shows the aggregate going from 2 next hops to 1, nothing touched" \
	"$(step_line 8)" 'what-if: 198\.18\.0\.0/15 in spoke-uks-app/app would go from 2 next hops to 1 \(198\.18\.1\.4\), nothing touched'
check_match "step 8: the cross-region flow is at_risk" "$(step_line 8)" 'symmetry: at_risk'
check_match "step 8: pharosctl printed the verdict with its reason" "$narr" 'verdict: at_risk: ECMP over 2 stateful next hops'

secs=$(sed -n 's/^  8 of 8 steps OK, 0 failed, in \([0-9.]*\) s$/\1/p' "$OUT")
# Its duration is a figure to report, not a pass/fail condition.
check "the demo reported its own duration" test -n "$secs"
echo "# demo took ${secs:-?} s by its clock, $took s here"
left=$(ip netns pids "$(ns demo)" 2>/dev/null | tr '\n' ' ')
check_eq "no process of the demo survives it" "$left" ""
check "the demo left the logs of its 3 route servers" \
	test "$(find "$T_DIR/logs" -name 'pharosd-*.log' | wc -l)" -eq 3
for f in "$T_DIR"/logs/pharosd-*.log; do
	check "$(basename "$f" .log) logged no sanitizer report" sanitizer_clean "$f"
done
t_done
