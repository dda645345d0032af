#!/bin/bash
# t_agent_scale.sh - pharos-agent against a fake route server: many
# changes at once, failures, and what it must never install.
#
#   srv  tests/tools/fake_fabric.py   br0 198.18.1.1/24
#   vm   pharos-agent                 eth0 198.18.1.10/24
#
# 1. 100,000 routes arrive in one delta, then their withdrawal in one: the
#    kernel table must match exactly each time (netlink batches sized to
#    the socket buffer; before, ~600 changes jammed the agent), and every
#    version is acknowledged with no failure.
#    The same with the kernel dropping answers (ENOBUFS, forced with a
#    small buffer): the agent resyncs on a new socket, nothing is lost.
# 2. --once with a route the kernel refuses exits non-zero and says so in
#    its ack.
# 3. A server answering with martians (defaults, their /1 halves,
#    loopback, multicast, class E, link-local, the metadata address, the
#    server's and the host's own /32): the agent installs none of them,
#    only the ordinary route next to them.
. "$(dirname "$0")/../lib.sh"

AGENT=${PHAROS_AGENT:-$PHAROS_BIN/pharos-agent}
FAKE=$PHAROS_TOP/tests/tools/fake_fabric.py
need_bin "$AGENT" python3 jq

SRV=198.18.1.1 VM=198.18.1.10 NH=198.18.1.2
TABLE=100 PROTO=200 N=${AGENT_SCALE_N:-100000}

ns_create srv vm
ns_lan srv br0 vm
ns_addr srv br0 "$SRV/24" 2001:db8:1::1/64
ns_addr vm eth0 "$VM/24" 2001:db8:1::10/64

route_json() { # PREFIX NEXT_HOP_TYPE [NH]
	local ips='[]'
	[ -n "${3:-}" ] && ips="[\"$3\"]"
	printf '{"prefix":"%s","source":"VirtualNetworkGateway","state":"Active","next_hop_type":"%s","next_hop_ips":%s}' \
		"$1" "$2" "$ips"
}

# fake_start NAME PORT TABLE [STEPS]: a fake server in srv, ready
fake_start() {
	local dir=$T_DIR/$1
	mkdir -p "$dir"
	start_in "$1" srv python3 "$FAKE" --addr "$SRV" --port "$2" --dir "$dir" \
		--table "$3" ${4:+--steps "$4"}
	wait_until 20 test -e "$dir/ready" || bail "fake server $1 starts"
}

owned_n() { nsx vm ip -4 route show table "$TABLE" proto "$PROTO" 2>/dev/null | wc -l; }

# ---------------------------------------------------------------- 1
python3 - "$T_DIR" "$N" "$NH" <<'PY'
import ipaddress, json, sys
d, n, nh = sys.argv[1], int(sys.argv[2]), sys.argv[3]
nets = [ipaddress.ip_network(x) for x in ("198.19.0.0/16", "198.18.128.0/17", "198.18.64.0/18")]
pfx = []
for net in nets:
    for a in net:
        if len(pfx) == n:
            break
        pfx.append(str(a) + "/32")
r = lambda p: {"prefix": p, "source": "VirtualNetworkGateway", "state": "Active",
               "next_hop_type": "VirtualNetworkGateway", "next_hop_ips": [nh]}
json.dump([], open(d + "/empty.json", "w"))
json.dump([[{"op": "add", "route": r(p)} for p in pfx],
           [{"op": "remove", "route": r(p)} for p in pfx]], open(d + "/steps.json", "w"))
with open(d + "/expect.txt", "w") as f:
    for p in sorted(pfx, key=lambda s: ipaddress.ip_network(s)):
        f.write("%s via %s\n" % (p[:-3], nh))
PY
fake_start big 8179 "$T_DIR/empty.json" "$T_DIR/steps.json"
start_in agent vm "$AGENT" -s "http://$SRV:8179" --subnet hub/nva --table "$TABLE" \
	--wait 2 --name vm-big -M "$T_DIR/agent.prom"
acked() { grep -q "\"version\":$1,\"failed\":0" "$T_DIR/big/acks.jsonl" 2>/dev/null; }
check_wait "the agent takes the (empty) table and acknowledges version 1" 20 acked 1

t0=$(date +%s.%N)
touch "$T_DIR/big/go-0"
check_wait "$N routes of one delta all reach the kernel" 180 eval '[ "$(owned_n)" -ge $N ]'
t1=$(date +%s.%N)
kernel_set() {
	nsx vm ip -4 route show table "$TABLE" proto "$PROTO" |
		awk '{print $1, $2, $3}' | sort -t. -k1,1n -k2,2n -k3,3n -k4,4n
}
check_eq "the kernel holds exactly the $N routes sent (prefix and next hop)" \
	"$(kernel_set | md5sum)" "$(sort -t. -k1,1n -k2,2n -k3,3n -k4,4n "$T_DIR/expect.txt" | md5sum)"
check_wait "version 2 acknowledged with no failure" 20 acked 2
diag "$N adds applied in $(echo "$t1 - $t0" | bc) s"

t0=$(date +%s.%N)
touch "$T_DIR/big/go-1"
check_wait "their withdrawal in one delta empties the table" 180 eval '[ "$(owned_n)" -eq 0 ]'
t1=$(date +%s.%N)
check_wait "version 3 acknowledged with no failure" 20 acked 3
diag "$N removals applied in $(echo "$t1 - $t0" | bc) s"
check "no kernel refusal on the way" \
	eval '! grep -q "route-failed\|apply-failed" "$(log_of agent)"'
check "the agent is still running" alive agent
stop_proc agent TERM 5

# ---------------------------------------------------------------- 1b
# The kernel drops answers (ENOBUFS) when a batch's answers overflow the
# socket buffer: forced here with a 64 KiB buffer and batches of 5,000.
# The agent must not jam: a new socket, a fresh dump, a resync, and the
# kernel holds exactly the table.
python3 - "$T_DIR" "$NH" <<'PY'
import json, sys
d, nh = sys.argv[1], sys.argv[2]
json.dump([{"prefix": "198.19.%d.%d/32" % (i // 250, i % 250), "source": "VirtualNetworkGateway",
            "state": "Active", "next_hop_type": "VirtualNetworkGateway", "next_hop_ips": [nh]}
           for i in range(5000)], open(d + "/t5k.json", "w"))
PY
fake_start t5k 8182 "$T_DIR/t5k.json"
nsx vm "$AGENT" -s "http://$SRV:8182" --subnet hub/nva --table "$TABLE" --once \
	--netlink-rcvbuf 65536 --netlink-batch 5000 --name vm-nobufs \
	>"$T_DIR/nobufs.out" 2>"$T_DIR/nobufs.err"
check "--once with answers dropped by the kernel still exits 0" test $? -eq 0
check "the kernel said ENOBUFS and the agent resynced on a new socket" \
	eval 'grep "\"event\":\"netlink-resync\"" "$T_DIR/nobufs.out" | grep -q "No buffer space"'
check_eq "after the resync the kernel holds exactly the 5,000 routes" "$(owned_n)" 5000
check "the ack reports no failure" grep -q '"failed":0' "$T_DIR/t5k/acks.jsonl"
nsx vm "$AGENT" -F --table "$TABLE" >/dev/null 2>&1
check_eq "--flush empties the table" "$(owned_n)" 0

# ---------------------------------------------------------------- 2
printf '[%s, %s]\n' "$(route_json 198.19.7.0/24 VirtualNetworkGateway "$NH")" \
	"$(route_json 198.19.8.0/24 VirtualNetworkGateway 198.18.9.9)" >"$T_DIR/bad.json"
fake_start bad 8180 "$T_DIR/bad.json"
nsx vm "$AGENT" -s "http://$SRV:8180" --subnet hub/nva --table "$TABLE" --once \
	--name vm-once >"$T_DIR/once.out" 2>"$T_DIR/once.err"
rc=$?
check "--once with a route the kernel refuses exits non-zero" test "$rc" -ne 0
check "the good route next to it is installed" \
	eval 'nsx vm ip route show table $TABLE proto $PROTO | grep -q "^198.19.7.0/24 via $NH"'
check "the failure is an event" grep -q '"event":"route-failed"' "$T_DIR/once.out"
check "the ack reports one failed route and the kernel's error" \
	eval 'grep "\"failed\":1" "$T_DIR/bad/acks.jsonl" | grep -q "unreachable"'
nsx vm "$AGENT" -F --table "$TABLE" >/dev/null 2>&1

# ---------------------------------------------------------------- 3
good=198.19.9.0/24
{
	printf '['
	for p in 0.0.0.0/0 0.0.0.0/1 128.0.0.0/1 127.0.0.0/8 224.0.0.0/4 240.0.0.0/4 \
		169.254.169.254/32 169.254.0.0/16 $SRV/32 $VM/32 198.18.1.0/24; do
		printf '%s,' "$(route_json $p VirtualNetworkGateway "$NH")"
	done
	for p in 0.0.0.0/0 ::/0 fe80::/64 $SRV/32; do
		printf '%s,' "$(route_json $p None)"
	done
	printf '%s]\n' "$(route_json $good VirtualNetworkGateway "$NH")"
} | sed 's/"source":"VirtualNetworkGateway","state":"Active","next_hop_type":"None"/"source":"User","state":"Active","next_hop_type":"None"/g' \
	>"$T_DIR/martians.json"
fake_start mart 8181 "$T_DIR/martians.json"
nsx vm "$AGENT" -s "http://$SRV:8181" --subnet hub/nva --table "$TABLE" --once \
	--name vm-mart >"$T_DIR/mart.out" 2>"$T_DIR/mart.err"
check "the agent runs --once against the martian server (exit 0)" test $? -eq 0
check_eq "of 16 routes offered, only $good is installed (IPv4)" \
	"$(nsx vm ip -4 route show table $TABLE proto $PROTO | awk '{print $1}' | tr '\n' ' ')" "$good "
check_eq "no IPv6 route is installed (::/0, fe80::/64 refused)" \
	"$(nsx vm ip -6 route show table $TABLE proto $PROTO | wc -l)" 0
check_eq "every refused route is an event (13 distinct prefixes)" \
	"$(grep -c '"event":"route-refused"' "$T_DIR/mart.out")" 13
for why in "default route" "default route in disguise" "special-purpose" \
	"route server's address" "host's own addresses"; do
	check "a refusal says: $why" grep -q "$why" "$T_DIR/mart.out"
done
t_done
