#!/bin/bash
# t_symmetry.sh - the symmetry check in the three-region topology of
# examples/three-region/ (the hubs' NVA pairs are stateful: true, the
# other regions' NVAs are listed in fabric.stateful), three pharosd and
# the six NVAs of examples/sim/ in one network namespace of the test's.
# Two route tables are added to the copies the test runs:
#   - UK South pins web <-> db through nva-uks-1 (both ways), so that
#     vm-uks-web1 -> vm-uks-db1 crosses one NVA each way: symmetric;
#   - East US sends the return to UK South through West Europe's NVA
#     (a misrouted UDR), so vm-uks-app1 -> vm-eus-app1 comes back through
#     a firewall of another hub that never saw the flow: asymmetric.
# vm-we-web1 -> vm-we-db1 crosses West Europe's NVA pair by ECMP both
# ways, without stickiness: at_risk; marked sticky, it is symmetric.
. "$(dirname "$0")/../lib.sh"

need_bin "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER" jq curl
EX=$PHAROS_TOP/examples/three-region
SIM=$PHAROS_TOP/examples/sim/appliance.sh
export PHAROS_PEER
declare -A API=([uks]=127.0.0.11:18190 [we]=127.0.0.21:18190 [eus]=127.0.0.31:18190)

python3 - "$EX" "$T_DIR" <<'EOF'
import sys
ex, out = sys.argv[1], sys.argv[2]
s = open(ex + "/uk-south.yaml").read()
s = s.replace("        - {name: web, prefix: 198.18.8.0/24}",
              "        - {name: web, prefix: 198.18.8.0/24, route_table: rt-pin-web}")
s = s.replace("        - {name: db, prefix: 198.18.12.0/24}",
              "        - {name: db, prefix: 198.18.12.0/24, route_table: rt-pin-db}")
s = s.replace("  route_tables:\n", """  route_tables:
    rt-pin-web:
      routes: [{prefix: 198.18.12.0/22, next_hop_type: VirtualAppliance, next_hop_ip: 198.18.1.4}]
    rt-pin-db:
      routes: [{prefix: 198.18.8.0/22, next_hop_type: VirtualAppliance, next_hop_ip: 198.18.1.4}]
""")
open(out + "/uks.yaml", "w").write(s)
s = open(ex + "/east-us.yaml").read()
bad = "{prefix: 198.18.0.0/18, next_hop_type: VirtualAppliance, next_hop_ip: 198.18.65.4}"
s2 = s.replace("{prefix: 198.18.0.0/18, next_hop_type: VirtualAppliance, next_hop_ip: 198.18.1.4}", bad)
assert s2 != s
open(out + "/eus.yaml", "w").write(s2)
open(out + "/we.yaml", "w").write(open(ex + "/west-europe.yaml").read())
EOF

ns_create net
for r in uks we eus; do
	check "pharosd -n accepts the $r copy" "$PHAROSD" -n -c "$T_DIR/$r.yaml"
	start_in "pharosd-$r" net "$PHAROSD" -c "$T_DIR/$r.yaml"
done
ctl() { nsx net "$PHAROSCTL" -s "http://${API[$1]}" "${@:2}"; }
for r in uks we eus; do
	check_wait "pharosd-$r answers" 15 eval "ctl $r show peers >/dev/null 2>&1"
done
for a in nva-uks-1 nva-uks-2 nva-we-1 nva-we-2 nva-eus-1 nva-eus-2; do
	start_in "$a" net "$SIM" "$a" -o none
done
established() { [ "$(ctl "$1" -j show peers | jq "[.peers[] | select(.state == \"established\")] | length")" -ge 2 ]; }
for r in uks we eus; do
	check_wait "the NVA pair of $r is established" 30 established "$r"
done
# every spoke has the other regions' ranges over its hub's NVA pair
ecmp_in() { ctl "$1" -j show routes "$2" | jq -e '.routes[0].paths | map(select(.ecmp)) | length == 2' >/dev/null; }
check_wait "uks has West Europe's and East US's ranges by ECMP" 20 eval \
	'ecmp_in uks 198.18.64.0/18 && ecmp_in uks 198.18.128.0/18'
check_wait "we and eus have the other ranges by ECMP" 20 eval \
	'ecmp_in we 198.18.0.0/18 && ecmp_in eus 198.18.0.0/18 && ecmp_in eus 198.18.64.0/18'

verdict() { jq -r .verdict <<<"$1"; }

# ------------------------------------------------- at_risk, in one region
j=$(ctl we -j check symmetry vm-we-web1 198.18.76.4)
check_eq "vm-we-web1 -> vm-we-db1 over West Europe's ECMP pair: at_risk" "$(verdict "$j")" at_risk
check_match "the reason names the ECMP over stateful next hops" "$(jq -r .reason <<<"$j")" \
	"ECMP over 2 stateful next hops \\[198\\.18\\.65\\.4, 198\\.18\\.65\\.5\\] without flow stickiness"
check "forward and return cross the pair, both candidates listed" \
	jq -e '(.forward[0].stateful[0].candidates | sort) == ["198.18.65.4", "198.18.65.5"] and
	       (.return[0].stateful[0].candidates | sort) == ["198.18.65.4", "198.18.65.5"]' <<<"$j"
a=$(nsx net curl -s "http://${API[we]}/api/v1/symmetry?nic=vm-we-web1&dst=198.18.76.4")
check "pharosd's own reply (one region) says the same, complete" \
	jq -e '.complete and .verdict == "at_risk" and .forward.result == "delivered" and .return.result == "delivered"' <<<"$a"
out=$(ctl we check symmetry vm-we-web1 198.18.76.4)
echo "$out" | sed 's/^/# /'
check_match "pharosctl prints the verdict line" "$out" "^verdict: at_risk: ECMP over 2"

# ------------------------------------------------- symmetric, pinned
j=$(ctl uks -j check symmetry vm-uks-web1 198.18.12.4)
check_eq "vm-uks-web1 -> vm-uks-db1 pinned through nva-uks-1 both ways: symmetric" "$(verdict "$j")" symmetric
check "one stateful hop each way, the same NVA (198.18.1.4)" \
	jq -e '[.forward[].stateful[].chosen] == ["198.18.1.4"] and [.return[].stateful[].chosen] == ["198.18.1.4"]' <<<"$j"

# ------------------------------------------------- asymmetric, across regions
j=$(ctl uks -j check symmetry vm-uks-app1 198.18.137.4)
echo "$j" | jq -c '{verdict, reason, f: [.forward[].region], r: [.return[].region]}' | sed 's/^/# /'
check_eq "vm-uks-app1 -> vm-eus-app1 returning through West Europe's NVA: asymmetric" "$(verdict "$j")" asymmetric
check_match "the reason names the other hub's firewall on the return" "$(jq -r .reason <<<"$j")" \
	"^the return path crosses stateful 198\\.18\\.65\\.4 .*the forward path crosses none of them"
check_eq "the forward path is followed into East US" "$(jq -c '[.forward[].region]' <<<"$j")" '["uksouth","eastus"]'
check_eq "the return through West Europe back to UK South" "$(jq -c '[.return[].region]' <<<"$j")" '["eastus","westeurope","uksouth"]'
a=$(nsx net curl -s "http://${API[uks]}/api/v1/symmetry?nic=vm-uks-app1&dst=198.18.137.4")
check "one region alone says the path leaves it (no verdict)" \
	jq -e '.complete == false and .verdict == null and .forward.result == "left-region" and .forward.next_region == "eastus"' <<<"$a"

# ------------------------------------------------- --all
t0=$(date +%s%N)
out=$(ctl uks check symmetry --all)
diag "check symmetry --all took $(( ($(date +%s%N) - t0) / 1000000 )) ms (a figure, not a condition)"
echo "$out" | tail -3 | sed 's/^/# /'
check_match "--all checks every pair of spoke subnets of the three regions (9 subnets)" "$out" \
	"^36 pairs: [0-9]+ symmetric, [0-9]+ at_risk, [1-9][0-9]* asymmetric, 0 unknown$"
check_match "and lists the pinned pair as symmetric" "$out" "^symmetric +vm-uks-web1 +-> vm-uks-db1"
a=$(nsx net curl -s "http://${API[we]}/api/v1/symmetry?all=1")
check "pharosd's all=1 checks its region's 3 pairs (same VNet: symmetric, else at_risk)" \
	jq -e '.summary.pairs == 3 and .summary.at_risk == 2 and .summary.symmetric == 1' <<<"$a"

# ------------------------------------------------- sticky
sed -i 's/stateful: true}/stateful: true, sticky: true}/' "$T_DIR/we.yaml"
check "the NVA pair of West Europe marked sticky" grep -q "sticky: true" "$T_DIR/we.yaml"
nsx net kill -HUP "$(pid_of pharosd-we)"
sticky() { [ "$(ctl we -j check symmetry vm-we-web1 198.18.76.4 | jq -r .verdict)" = symmetric ]; }
check_wait "with flow stickiness the same flow is symmetric" 10 sticky

for r in uks we eus; do
	check "pharosd-$r stops cleanly" stop_proc "pharosd-$r" TERM 10
	check "pharosd-$r: no sanitizer report" sanitizer_clean "$(log_of "pharosd-$r")"
done
t_done
