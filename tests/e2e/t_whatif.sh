#!/bin/bash
# t_whatif.sh - what-if computed by pharosd without touching anything.
#
#   rs    pharosd, BGP and API        br0  198.18.1.1/24
#   nva1  pharos-peer AS 65001        eth0 198.18.1.2/24
#   nva2  pharos-peer AS 65002        eth0 198.18.1.3/24
#   vm    pharos-agent (spoke-a/app)  eth0 198.18.1.10/24, kernel table 100
#
# Both NVAs announce two prefixes (ECMP, two next hops); nva2 alone also
# announces a third. `whatif peer-down nva1` lists every subnet that
# receives BGP routes (hub/nva, spoke-a/app, spoke-a/web, spoke-b/db) with
# both prefixes going from two next hops to one, and none of the spoke
# that does not use the hub's gateways; `whatif peer-down nva2` names the
# prefix that would lose its last path. Afterwards the loc-RIB, the
# sessions (state, uptime, flaps), the fabric version and the agent's
# kernel table are exactly as before. `whatif config` with a new spoke
# lists the new subnet with its routes; `whatif route-table` shows a UDR
# taking over a prefix; bad input is refused with the reason.
. "$(dirname "$0")/../lib.sh"

AGENT=${PHAROS_AGENT:-$PHAROS_BIN/pharos-agent}
need_bin "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER" "$AGENT" jq curl
RS=198.18.1.1 N1=198.18.1.2 N2=198.18.1.3 VM=198.18.1.10
API=$RS:8179
PA=198.19.250.0/24 PB=198.19.251.0/24 PC=198.19.252.0/24
TABLE=100

ns_create rs nva1 nva2 vm
ns_lan rs br0 nva1 nva2 vm
ns_addr rs br0 "$RS/24"
ns_addr nva1 eth0 "$N1/24"
ns_addr nva2 eth0 "$N2/24"
ns_addr vm eth0 "$VM/24"

CONF=$T_DIR/pharosd.yaml
TOKEN=$T_DIR/token
echo "whatif-$$" >"$TOKEN"
chmod 600 "$TOKEN"
pharos_conf_begin "$CONF" asn=65515 router_id=$RS listen=$RS hold_time=30 keepalive=10
pharos_conf_peer "$CONF" nva1 nva "$N1" 65001 passive=true
pharos_conf_peer "$CONF" nva2 nva "$N2" 65002 passive=true
pharos_conf_api "$CONF" "$API" "$TOKEN"
cat >"$T_DIR/fabric.yaml" <<EOF
fabric:
  allow_external_next_hops: true # the NVAs' LAN is outside the VNets
  vnets:
    - name: hub
      hub: true
      address_space: [198.18.100.0/24]
      subnets: [{name: nva, prefix: 198.18.100.0/26}]
    - name: spoke-a
      address_space: [198.19.1.0/24]
      peerings: [{remote: hub, use_remote_gateways: true}]
      subnets:
        - {name: app, prefix: 198.19.1.0/26}
        - {name: web, prefix: 198.19.1.64/26}
      nics: [{name: vm-a1, subnet: app, ip: 198.19.1.4}]
    - name: spoke-b
      address_space: [198.19.2.0/24]
      peerings: [{remote: hub, use_remote_gateways: true}]
      subnets: [{name: db, prefix: 198.19.2.0/26, route_table: rt-db}]
    - name: spoke-c
      address_space: [198.19.3.0/24]
      peerings: [{remote: hub}]
      subnets: [{name: app, prefix: 198.19.3.0/26}]
  route_tables:
    rt-db:
      routes: [{prefix: 0.0.0.0/0, next_hop_type: Internet}]
EOF
cat "$T_DIR/fabric.yaml" >>"$CONF"
pharosd_start rs "$CONF" "$API"
ctl() { nsx rs "$PHAROSCTL" -s "http://$API" -t "$TOKEN" "$@"; }

start_in nva1 nva1 "$PHAROS_PEER" -a 65001 -R 65515 -b "$N1" -o none -A "$PA,$PB" "$RS"
start_in nva2 nva2 "$PHAROS_PEER" -a 65002 -R 65515 -b "$N2" -o none -A "$PA,$PB,$PC" "$RS"
check_wait "both NVAs established" 30 eval 'peer_established nva1 && peer_established nva2'
ecmp2() { [ "$(route_paths "$PA" | jq -s '[.[] | select(.ecmp)] | length')" = 2 ] &&
	[ "$(route_paths "$PB" | jq -s '[.[] | select(.ecmp)] | length')" = 2 ]; }
check_wait "$PA and $PB have two ECMP next hops" 15 ecmp2

start_in agent vm "$AGENT" -s "http://$API" --subnet spoke-a/app --table "$TABLE" \
	-t "$TOKEN" --name vm-a1
kernel() { nsx vm ip -o route show table "$TABLE" | sort; }
two_in_kernel() { kernel | grep -q "^$PA .*nexthop via $N1.*nexthop via $N2" ||
	kernel | grep -q "^$PA .*nexthop via $N2.*nexthop via $N1"; }
check_wait "the agent installs $PA with two next hops" 20 two_in_kernel

# what must not change: the loc-RIB, the sessions, the fabric, the kernel
state() {
	pctl show routes | jq -S -c .
	pctl show peers | jq -S -c '[.peers[] | {name, state, flaps, prefixes_accepted}]'
	nsx rs curl -s "http://$API/api/v1/fabric" | jq .version
	kernel
}
before=$(state)

# ------------------------------------------------------------ peer-down
j=$(ctl -j whatif peer-down nva1)
check_eq "whatif peer-down nva1 lists four subnets" \
	"$(jq -c '[.subnets[].subnet] | sort' <<<"$j")" '["hub/nva","spoke-a/app","spoke-a/web","spoke-b/db"]'
check "in each, $PA and $PB go from two next hops to one ($N2)" \
	jq -e --arg a "$PA" --arg b "$PB" --arg n1 "$N1" --arg n2 "$N2" '
	  all(.subnets[]; ([.changed[].prefix] | sort) == [$a, $b] and
	      all(.changed[]; (.before.next_hop_ips | sort) == ([$n1, $n2] | sort) and
	          .after.next_hop_ips == [$n2] and .after.next_hop_type == "VirtualNetworkGateway") and
	      (.added | length) == 0 and (.removed | length) == 0)' <<<"$j"
check "the spoke without use_remote_gateways is unchanged (counted)" jq -e '.subnets_unchanged == 1' <<<"$j"
check "the loc-RIB view shows nva1's path gone and nva2's best" \
	jq -e --arg a "$PA" '.routes[] | select(.prefix == $a) |
	  (.before.paths | length) == 2 and (.after.paths | length) == 1 and
	  .after.paths[0].peer == "nva2" and .after.paths[0].best' <<<"$j"
check "no prefix loses its last path" jq -e '.lost_last_path == []' <<<"$j"
out=$(ctl whatif peer-down nva1)
echo "$out" | sed 's/^/# /'
check_match "pharosctl prints the change per subnet" "$out" \
	"changed +$PA +VirtualNetworkGateway +$N1 $N2 -> $N2"
j=$(ctl -j whatif peer-down nva2)
check_eq "whatif peer-down nva2: $PC would lose its last path" "$(jq -c .lost_last_path <<<"$j")" "[\"$PC\"]"
check "and is removed from every subnet that had it" \
	jq -e --arg c "$PC" '[.subnets[] | select(any(.removed[]; .prefix == $c))] | length == 4' <<<"$j"
check_match "pharosctl names it" "$(ctl whatif peer-down nva2)" "lose their last path \\(1\\): $PC"

# ------------------------------------------------------------ config
{
	sed '/^fabric:/,$d' "$CONF"
	cat "$T_DIR/fabric.yaml"
	cat <<EOF
    - name: spoke-d
      address_space: [198.19.4.0/24]
      peerings: [{remote: hub, use_remote_gateways: true}]
      subnets: [{name: new, prefix: 198.19.4.0/26}]
EOF
} >"$T_DIR/new.yaml"
python3 - "$T_DIR/new.yaml" <<'EOF'
import sys
p = sys.argv[1]
s = open(p).read()
head, rest = s.split("  route_tables:\n", 1)
rt, spoke = rest.split("    - name: spoke-d\n", 1)
open(p, "w").write(head + "    - name: spoke-d\n" + spoke + "  route_tables:\n" + rt)
EOF
check "the new configuration is valid" "$PHAROSD" -n -c "$T_DIR/new.yaml"
j=$(ctl -j whatif config "$T_DIR/new.yaml")
check "whatif config lists the new spoke's subnet as new" \
	jq -e '[.subnets[] | select(.subnet == "spoke-d/new" and .new)] | length == 1' <<<"$j"
check "with its routes: $PA and $PB over both NVAs, its own space, the default" \
	jq -e --arg a "$PA" --arg b "$PB" '.subnets[] | select(.subnet == "spoke-d/new") |
	  ([.added[] | select(.source == "VirtualNetworkGateway") | .prefix] | sort) == ([$a, $b, "198.19.252.0/24"] | sort) and
	  any(.added[]; .prefix == $a and (.next_hop_ips | length) == 2) and
	  any(.added[]; .prefix == "198.19.4.0/24" and .next_hop_type == "VnetLocal") and
	  any(.added[]; .prefix == "0.0.0.0/0" and .next_hop_type == "Internet")' <<<"$j"
check "the hub gains a peering route to the new spoke" \
	jq -e '.subnets[] | select(.subnet == "hub/nva") | any(.added[]; .prefix == "198.19.4.0/24" and .next_hop_type == "VNetPeering")' <<<"$j"
out=$(ctl whatif config "$T_DIR/new.yaml")
check_match "pharosctl marks the subnet new" "$out" "subnet spoke-d/new \\(new\\)"
# the text is checked, no file it names is opened: a password file that
# does not exist (pharosd -n would refuse it) is no error here
sed 's|^      asn: 65001$|      asn: 65001\n      password_file: /nonexistent/nva1.key|' "$T_DIR/new.yaml" >"$T_DIR/nofile.yaml"
check "the copy names a password file" grep -q "password_file: /nonexistent/nva1.key" "$T_DIR/nofile.yaml"
check "pharosd -n refuses it (the file is missing)" bash -c "! '$PHAROSD' -n -c '$T_DIR/nofile.yaml' >/dev/null 2>&1"
j=$(ctl -j whatif config "$T_DIR/nofile.yaml")
check "whatif config opens no file the text names (the same answer)" \
	jq -e '[.subnets[] | select(.subnet == "spoke-d/new" and .new)] | length == 1' <<<"$j"
printf 'route_server: {asn: 65515\n' >"$T_DIR/broken.yaml"
out=$(ctl whatif config "$T_DIR/broken.yaml" 2>&1)
rc=$?
check_eq "a broken configuration is refused (exit 1)" "$rc" 1
check_match "with the parser's FILE:LINE:COL message" "$out" "whatif-config:[0-9]+:[0-9]+:"

# ------------------------------------------------------------ route-table
cat >"$T_DIR/rt.yaml" <<EOF
rt-db:
  routes:
    - {prefix: 0.0.0.0/0, next_hop_type: Internet}
    - {prefix: $PA, next_hop_type: VirtualAppliance, next_hop_ip: 198.18.100.4}
EOF
j=$(ctl -j whatif route-table "$T_DIR/rt.yaml")
check "whatif route-table: $PA in spoke-b/db becomes a User route via 198.18.100.4" \
	jq -e --arg a "$PA" '[.subnets[] | select(.subnet == "spoke-b/db") | .changed[] |
	  select(.prefix == $a and .after.source == "User" and .after.next_hop_ips == ["198.18.100.4"])] | length == 1' <<<"$j"
check "and only spoke-b/db changes" jq -e '[.subnets[].subnet] == ["spoke-b/db"]' <<<"$j"

code=$(nsx rs curl -s -o /dev/null -w '%{http_code}' -X POST -d '{"kind":"config","config":"{}"}' "http://$API/api/v1/whatif")
check_eq "whatif config without the token is refused (401)" "$code" 401
code=$(nsx rs curl -s -o /dev/null -w '%{http_code}' -X POST -d '{"kind":"peer-down","peer":"nva1"}' "http://$API/api/v1/whatif")
check_eq "whatif peer-down only reads: no token needed (200)" "$code" 200
out=$(ctl whatif peer-down nva9 2>&1)
check_match "an unknown peer is named" "$out" "no such peer: nva9"

after=$(state)
check_eq "after every what-if: loc-RIB, sessions, fabric and kernel unchanged" "$after" "$before"
check "pharosd stops cleanly" pharosd_stop
check "no sanitizer report" sanitizer_clean "$(log_of pharosd)"
t_done
