#!/bin/bash
# t_web.sh - the web console in a real browser: Debian's chromium,
# headless, driven by playwright-core (tests/web/, pinned by its
# package-lock.json), against pharosd in a network namespace with two
# BIRD NVAs, a gateway that never comes up and a fabric of a hub and two
# spokes:
#
#   rs   pharosd AS 65515, API 198.18.1.1:8179, chromium   br0 198.18.1.1/24
#   nva1 BIRD AS 65001  198.18.1.11  announces 198.19.64.0/24, 198.19.65.0/24
#   nva2 BIRD AS 65002  198.18.1.12  announces 198.19.64.0/24, 198.19.66.0/24
#                                     and 198.19.65.0/24 with AS path 65002 65002
#   vpn-gw (vpn_gateway, 198.18.1.20): configured, never connects
#
# tests/web/console.test.mjs goes through every view and checks it
# against the API and pharosctl (see its header); this script builds the
# lab, runs it inside the namespace and turns its PASS/FAIL lines into
# TAP. Screenshots go to build/test-logs/web/. The namespace has no
# route out: every request the page makes must go to pharosd, and the
# script records and checks them all.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

need_bin "$PHAROSD" "$PHAROSCTL" bird node npm jq
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
need_bin "$CHROMIUM"
WEBT=$PHAROS_TOP/tests/web
SHOTS=${WEB_SHOTS:-$PHAROS_TOP/build/test-logs/web}
mkdir -p "$SHOTS"

# The test's one npm package, from the registry, exactly as locked.
if [ ! -f "$WEBT/node_modules/playwright-core/package.json" ] ||
	[ "$WEBT/package-lock.json" -nt "$WEBT/node_modules/.package-lock.json" ]; then
	(cd "$WEBT" && npm ci --no-audit --no-fund --loglevel=error) >"$T_DIR/npm.log" 2>&1 ||
		{ sed 's/^/# /' "$T_DIR/npm.log"; bail "npm ci installed playwright-core in tests/web"; }
fi

declare -A ADDR=([rs]=198.18.1.1 [nva1]=198.18.1.11 [nva2]=198.18.1.12)
declare -A ASN=([nva1]=65001 [nva2]=65002)
declare -A ROUTES=([nva1]="198.19.64.0/24 198.19.65.0/24"
	[nva2]="198.19.64.0/24 198.19.65.0/24 198.19.66.0/24")
# nva2 sends 198.19.65.0/24 with its AS twice: that path loses on length
declare -A PREPEND=([nva1]=none [nva2]=198.19.65.0/24)
API=${ADDR[rs]}:8179
TOKEN=web-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "$TOKEN" >"$T_DIR/api.token"
chmod 600 "$T_DIR/api.token"

ns_create rs nva1 nva2
ns_lan rs br0 nva1 nva2
ns_addr rs br0 "${ADDR[rs]}/24"
for n in nva1 nva2; do ns_addr "$n" eth0 "${ADDR[$n]}/24"; done

CONF=$T_DIR/pharosd.yaml
pharos_conf_begin "$CONF" asn=65515 router_id="${ADDR[rs]}" listen="${ADDR[rs]}" \
	hold_time=30 keepalive=10
for n in nva1 nva2; do
	pharos_conf_peer "$CONF" "$n" nva "${ADDR[$n]}" "${ASN[$n]}" passive=true \
		description="\"BIRD <b>$n</b> & co\""
done
pharos_conf_peer "$CONF" vpn-gw vpn_gateway 198.18.1.20 65010 passive=true
pharos_conf_api "$CONF" "$API" "$T_DIR/api.token"
cat >>"$CONF" <<'YAML'
fabric:
  vnets:
    - name: hub
      hub: true
      address_space: [198.18.1.0/24]
      subnets: [{name: nva, prefix: 198.18.1.0/26}]
      nics:
        - {name: nva1-nic, subnet: nva, ip: 198.18.1.11}
        - {name: nva2-nic, subnet: nva, ip: 198.18.1.12}
    - name: spoke-a
      address_space: [198.19.1.0/24]
      peerings: [{remote: hub, use_remote_gateways: true}]
      subnets: [{name: app, prefix: 198.19.1.0/26}]
      nics: [{name: vm-a1, subnet: app, ip: 198.19.1.4}]
    - name: spoke-b
      address_space: [198.19.2.0/24]
      peerings: [{remote: hub, use_remote_gateways: false}]
      subnets: [{name: db, prefix: 198.19.2.0/26, route_table: rt-db}]
      nics: [{name: vm-b1, subnet: db, ip: 198.19.2.4}]
  route_tables:
    rt-db:
      propagate_gateway_routes: false
      routes: [{prefix: 0.0.0.0/0, next_hop_type: VirtualAppliance, next_hop_ip: 198.18.1.11}]
YAML
pharosd_start rs "$CONF" "$API"

bird_start() {
	local n=$1 f=$T_DIR/bird-$1.conf r
	{
		echo "router id ${ADDR[$n]};"
		echo "protocol device { }"
		echo "protocol static { ipv4;"
		for r in ${ROUTES[$n]}; do echo "  route $r blackhole;"; done
		echo "}"
		echo "protocol bgp to_pharos {"
		echo "  local ${ADDR[$n]} as ${ASN[$n]}; neighbor ${ADDR[rs]} as 65515;"
		echo "  connect delay time 1; connect retry time 1; hold time 30; keepalive time 10;"
		echo "  ipv4 { import all; export filter { if source != RTS_STATIC then reject;"
		[ "${PREPEND[$n]}" != none ] &&
			echo "    if net = ${PREPEND[$n]} then bgp_path.prepend(${ASN[$n]});"
		echo "    accept; }; };"
		echo "}"
	} >"$f"
	start_in "bird-$n" "$n" bird -f -c "$f" -s "$T_DIR/bird-$n.ctl"
}
bird_start nva1
bird_start nva2
check_wait "nva1 (BIRD) established" 30 peer_established nva1
check_wait "nva2 (BIRD) established" 30 peer_established nva2
two_paths() { [ "$(route_paths "$1" | wc -l)" = 2 ]; }
check_wait "198.19.64.0/24 from both NVAs" 15 two_paths 198.19.64.0/24
check_wait "198.19.65.0/24 from both NVAs" 15 two_paths 198.19.65.0/24

# The browser run: PASS/FAIL/# lines, turned into TAP here.
export WEB_ORIGIN="http://$API" WEB_TOKEN="$TOKEN" WEB_SHOTS="$SHOTS" CHROMIUM
export WEB_CTL="$PHAROSCTL" WEB_CONF="$CONF"
WEB_KILL_PID=$(pid_of bird-nva1)
export WEB_KILL_PID
nsx rs node "$WEBT/console.test.mjs" >"$T_DIR/browser.out" 2>"$T_DIR/browser.err"
rc=$?
while IFS= read -r line; do
	case $line in
	"PASS "*) ok "${line#PASS }" ;;
	"FAIL "*) not_ok "${line#FAIL }" ;;
	"#"*) echo "$line" ;;
	esac
done <"$T_DIR/browser.out"
check_eq "the browser run finished (exit status)" "$rc" 0
[ "$rc" -ne 0 ] && sed 's/^/#   /' "$T_DIR/browser.err" | tail -30
# BIRD nva1 was killed by the browser run (by PID): forget it
stop_proc bird-nva1 KILL 5
check "pharosd logged no sanitizer report" sanitizer_clean "$(log_of pharosd)"
t_done
