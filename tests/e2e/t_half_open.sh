#!/bin/bash
# t_half_open.sh - silent connections from a configured peer's address
# cannot keep the real peer out.
#
#   rs   pharosd (AS 65515)             br0  198.18.1.1/24
#   nva1 the peer's address: silent TCP connections, then pharos-peer
#                                       eth0 198.18.1.2/24
#
# 1. Two connections from nva1's address that never send OPEN take both
#    connection slots; the real peer connecting next gets in at once (an
#    incoming connection without OPEN gives its slot up to a new one),
#    not after minutes of Cease/Connection Collision (6/7).
# 2. Silent connections are closed by the OPEN deadline (10 s), with a
#    Hold Timer Expired NOTIFICATION.
. "$(dirname "$0")/../lib.sh"
need_bin "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER" python3 jq

RS=198.18.1.1 N1=198.18.1.2 API=127.0.0.1:8179 DEADLINE=10

ns_create rs nva1
ns_lan rs br0 nva1
ns_addr rs br0 "$RS/24"
ns_addr nva1 eth0 "$N1/24"

CONF=$T_DIR/pharosd.yaml
pharos_conf_begin "$CONF" asn=65515 router_id=$RS listen=$RS hold_time=30 keepalive=10
pharos_conf_peer "$CONF" nva1 nva "$N1" 65001 passive=true
pharos_conf_api "$CONF" "$API"
pharos_conf_vnet "$CONF" hub 198.18.100.0/24
pharosd_start rs "$CONF" "$API"

# silent N NAME: N connections from nva1's address that send nothing;
# prints, per connection, the seconds until pharosd closed it and the
# NOTIFICATION (code/subcode) it sent before, if any.
cat >"$T_DIR/silent.py" <<'PY'
import socket, sys, time, select
n, src, dst = int(sys.argv[1]), sys.argv[2], sys.argv[3]
socks, t0 = [], time.time()
for i in range(n):
    s = socket.create_connection((dst, 179), source_address=(src, 0))
    socks.append([s, b"", None])
print("connected %d" % n, flush=True)
open_ = len(socks)
while open_:
    r, _, _ = select.select([x[0] for x in socks if x[2] is None], [], [], 60)
    if not r:
        break
    for x in socks:
        if x[0] in r:
            d = x[0].recv(65536)
            if d:
                x[1] += d
            else:
                x[2] = time.time() - t0
                open_ -= 1
for s, buf, t in socks:
    note, off = "none", 0
    while off + 19 <= len(buf):
        ln, typ = int.from_bytes(buf[off + 16:off + 18], "big"), buf[off + 18]
        if typ == 3 and off + 21 <= len(buf):
            note = "%d/%d" % (buf[off + 19], buf[off + 20])
        off += max(ln, 19)
    print("closed %.1f notify %s" % (t if t is not None else -1, note), flush=True)
PY

# --- 1. two silent connections, then the real peer
start_in silent1 nva1 python3 "$T_DIR/silent.py" 2 "$N1" "$RS"
check_wait "two silent connections from nva1's address are up" 5 \
	grep -q "connected 2" "$(log_of silent1)"
t0=$(date +%s.%N)
start_in nva1 nva1 "$PHAROS_PEER" -a 65001 -R 65515 -b "$N1" -o none -A 198.19.10.0/24 "$RS"
check_wait "the real peer gets established at once (well inside the OPEN deadline)" 5 \
	peer_established nva1
diag "established $(echo "$(date +%s.%N) - $t0" | bc) s after connecting"
check "pharosd says it closed a connection without OPEN for the new one" \
	grep -q "incoming connection without OPEN closed for a new one" "$(log_of pharosd)"
check "the real peer was never refused with Cease/collision" \
	eval '! grep -q "6/7" "$(log_of nva1)"'
check_wait "the silent connections are closed by the deadline" $((DEADLINE + 5)) \
	eval '[ "$(grep -c "^closed" "$(log_of silent1)")" = 2 ]'
check "one was closed at once (collision, 6/7)" \
	eval 'grep "^closed" "$(log_of silent1)" | awk "\$2 < 3 && \$4 == \"6/7\"" | grep -q .'
check "the other by the OPEN deadline (Hold Timer Expired, 4/0) or the established session (6/7)" \
	eval 'grep "^closed" "$(log_of silent1)" | awk "\$2 <= $DEADLINE + 2 && (\$4 == \"4/0\" || \$4 == \"6/7\")" | wc -l | grep -qx 2'
check "the real session is still up" peer_established nva1

# --- 2. with the peer down, silent connections go after the deadline
stop_proc nva1
check_wait "nva1 down" 10 eval '! peer_established nva1'
start_in silent2 nva1 python3 "$T_DIR/silent.py" 2 "$N1" "$RS"
check_wait "both closed within the OPEN deadline" $((DEADLINE + 5)) \
	eval '[ "$(grep -c "^closed" "$(log_of silent2)")" = 2 ]'
check "each with Hold Timer Expired (4/0) after about $DEADLINE s" \
	eval 'grep "^closed" "$(log_of silent2)" | awk "\$2 >= $DEADLINE - 1 && \$2 <= $DEADLINE + 2 && \$4 == \"4/0\"" | wc -l | grep -qx 2'
start_in nva1b nva1 "$PHAROS_PEER" -a 65001 -R 65515 -b "$N1" -o none -A 198.19.10.0/24 "$RS"
check_wait "the real peer comes back" 10 peer_established nva1
t_done
