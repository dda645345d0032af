#!/bin/bash
# t_bounds.sh - pharosd's resource bounds under hostile or broken peers:
#   1. a slow peer that stops reading (pharos-peer --no-read) while another
#      peer floods about 11 MB of routes (far more than the 4 MiB queue
#      limit): its output queue fills up to the limit and never goes past
#      it (the high-water marks pharos_peer_output_queue_bytes_hwm and
#      pharos_output_queue_bytes_hwm vs pharos_output_queue_limit_bytes),
#      it is reset
#      once nothing drained for its hold time, and a fast receiver gets
#      every route meanwhile; a peer that is frozen (SIGSTOP) during the
#      flood and thawed after it gets every route exactly once (export
#      resumes from where the bound stopped it, nothing lost or repeated);
#   2. a storm of connections from an unconfigured address (another
#      namespace) is refused cheaply: the API answers throughout, sessions
#      stay up, pharos_refused_connections_total counts every one;
#   3. FLAPPERS configured peers (default 1000) connect and leave
#      FLAP_ROUNDS times (default 2) while a stable session with a 6 s hold
#      time never drops (bench/flap.sh runs longer and measures more);
#   4. every queue has a limit and a metric.
# Topology: pharosd in namespace rs listening on 198.18.0.1; its peers run
# in rs from addresses on its loopback; the storm comes from namespace
# storm (198.18.0.99) over a veth.
. "$(dirname "$0")/../lib.sh"

need_bin "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER" jq curl
PORT=1795
API=127.0.0.1:18195
RS=198.18.0.1
CONF=$T_DIR/pharosd.yaml
FLOOD=${FLOOD:-150000}
FLAPPERS=${FLAPPERS:-1000}
STORM=${STORM:-500}

ns_create rs storm
ns_veth rs veth0 storm veth0
ns_addr rs veth0 "$RS/24"
ns_addr storm veth0 198.18.0.99/24
for a in 2 3 4 5 6; do ip -n "$(ns rs)" addr add 198.18.0.$a/32 dev lo; done
for i in $(seq 1 "$FLAPPERS"); do
	echo "addr add 198.18.$((2 + i / 250)).$((1 + i % 250))/32 dev lo"
done | ip -n "$(ns rs)" -batch -
# small socket buffers, so that a peer that stops reading stalls quickly
nsx rs sysctl -qw net.ipv4.tcp_rmem="4096 16384 65536" net.ipv4.tcp_wmem="4096 16384 65536"

pharos_conf_begin "$CONF" asn=65515 router_id=$RS listen=$RS port=$PORT \
	hold_time=30 keepalive=10
pharos_conf_peer "$CONF" flood nva 198.18.0.2 65002 passive=true max_prefixes=1000000
pharos_conf_peer "$CONF" slow nva 198.18.0.3 65003 passive=true hold_time=8 keepalive=2
pharos_conf_peer "$CONF" fast nva 198.18.0.4 65004 passive=true
pharos_conf_peer "$CONF" stable nva 198.18.0.5 65005 passive=true hold_time=6 keepalive=2
pharos_conf_peer "$CONF" frozen nva 198.18.0.6 65006 passive=true hold_time=120 keepalive=40
for i in $(seq 1 "$FLAPPERS"); do
	pharos_conf_peer "$CONF" "flap$i" nva "198.18.$((2 + i / 250)).$((1 + i % 250))" \
		$((64512 + i)) passive=true
done
pharos_conf_api "$CONF" "$API"
pharosd_start rs "$CONF" "$API"
PID=$(pid_of pharosd)

metrics() { metrics_of rs "$API"; }
metric() { metrics | metric_value "$1"; }
peer_metric() { metrics | metric_value "$1" "$2"; }
api_ok() { nsx rs curl -s -m 2 -o /dev/null -w '%{http_code}' "http://$API/api/v1/status" | grep -q 200; }
rss_kb() { proc_kb "$PID" VmRSS; }
not_established() { ! peer_established "$1"; }
# _gone_or_done NAME: the pharos-peer NAME left after --wait-prefixes (exit 0)
_gone_or_done() { ! alive "$1" && grep -q '"type":"stats"' "$(log_of "$1")"; }
_refused_at_least() { [ "$(metric pharos_refused_connections_total)" -ge "$1" ]; }

# ------------------------------------------------------ 4. queue metrics
m=$(metrics)
for name in pharos_peer_output_queue_bytes pharos_output_queue_bytes_max \
	pharos_peer_output_queue_bytes_hwm pharos_output_queue_bytes_hwm \
	pharos_output_queue_limit_bytes pharos_events_held pharos_events_limit \
	pharos_mrt_buffered_bytes pharos_mrt_buffered_limit_bytes pharos_api_body_limit_bytes \
	pharos_refused_connections_total; do
	check_match "metric $name is exported" "$m" "^$name(\{| )"
done
LIMIT=$(metric pharos_output_queue_limit_bytes)
check "the output queue limit is a positive number ($LIMIT)" test "${LIMIT:-0}" -gt 0
check "the events ring has a limit" test "$(metric pharos_events_limit)" -gt 0

# ----------------------------------------------------- stable session
start_in stable rs "$PHAROS_PEER" -a 65005 -R 65515 -b 198.18.0.5 -H 6 -o none \
	-A 198.19.5.0/24 "$RS" $PORT
check_wait "the stable peer (hold 6 s) is established" 15 peer_established stable

# ----------------------------------------------------- 1. slow peer
start_in slow rs "$PHAROS_PEER" -a 65003 -R 65515 -b 198.18.0.3 -o none --no-read \
	"$RS" $PORT
start_in fast rs "$PHAROS_PEER" -a 65004 -R 65515 -b 198.18.0.4 -o none \
	--wait-prefixes "$FLOOD" --stats "$RS" $PORT
# the flood plus the stable peer's route
start_in frozen rs "$PHAROS_PEER" -a 65006 -R 65515 -b 198.18.0.6 -H 120 -o none \
	--wait-prefixes $((FLOOD + 1)) --stats "$RS" $PORT
check_wait "the slow peer is established" 15 peer_established slow
check_wait "the fast receiver is established" 15 peer_established fast
check_wait "the frozen peer is established" 15 peer_established frozen
check_wait "the frozen peer has the stable peer's route" 10 \
	test "$(peer_field frozen prefixes_advertised)" -ge 1
kill -STOP "$(pid_of frozen)"
rss0=$(rss_kb)
# FLOOD UPDATEs of one prefix each, each with its own COMMUNITY and
# LARGE_COMMUNITY, so that pharosd's export to a peer cannot pack them:
# about 73 bytes a prefix on the way out, more than the queue limit.
awk -v n="$FLOOD" 'BEGIN {
	for (i = 0; i < n; i++)
		printf "raw %s0045020000002A4001010040020602010000FDEA400304C6120002" \
		       "C00804FDEA%04XC0200C0000FDEA00000000%08X18%02X%02X%02X\n",
		       "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", i % 65536, i, 17 + int(i / 65536),
		       int(i / 256) % 256, i % 256
}' >"$T_DIR/flood.script"
start_in flood rs "$PHAROS_PEER" -a 65002 -R 65515 -b 198.18.0.2 -o none \
	-f "$T_DIR/flood.script" "$RS" $PORT
# The high-water marks (the most bytes ever queued, kept by pharosd at
# every queued block) say how far each queue got, with nothing missed
# between two polls of the gauges.
check_wait "the slow peer is reset once its queue stalls for its hold time" 110 \
	not_established slow
check_match "its last error says why" "$(peer_field slow last_error)" \
	'[Hh]old|not drained'
check_wait "pharosd accepted all $FLOOD flooded routes" 60 \
	peer_field_is flood prefixes_accepted "$FLOOD"
check_wait "the fast receiver got all $FLOOD routes" 60 _gone_or_done fast
qmax=$(peer_metric pharos_peer_output_queue_bytes_hwm slow)
fmax=$(peer_metric pharos_peer_output_queue_bytes_hwm frozen)
amax=$(metric pharos_output_queue_bytes_hwm)
diag "output queue high-water marks: slow $qmax, frozen $fmax, any $amax bytes (limit $LIMIT)"
# a queue is full when the next 64 KiB export block would not fit
check "the slow peer's queue filled up to its limit ($qmax)" test "${qmax:-0}" -ge $((LIMIT - 65536 - 4096))
check "the frozen peer's queue filled up too ($fmax)" test "${fmax:-0}" -ge $((LIMIT - 65536 - 4096))
check "the slow peer's queue never passed the limit ($qmax <= $LIMIT)" test "${qmax:-0}" -le "$LIMIT"
check "the frozen peer's queue never passed the limit ($fmax <= $LIMIT)" test "${fmax:-0}" -le "$LIMIT"
check "pharos_output_queue_bytes_hwm never passed the limit ($amax <= $LIMIT)" test "${amax:-0}" -le "$LIMIT"
check "pharos_output_queue_bytes_hwm is the largest of the peers' ($amax)" \
	test "${amax:-0}" -ge "${qmax:-0}" -a "${amax:-0}" -ge "${fmax:-0}"
check "the flooding peer is still established" peer_established flood
q=$(peer_metric pharos_peer_output_queue_bytes slow)
check_eq "the slow peer's queue was released" "${q:-0}" 0
check "the frozen peer is still established" peer_established frozen
kill -CONT "$(pid_of frozen)"
check_wait "the thawed peer got all $((FLOOD + 1)) routes" 90 _gone_or_done frozen
st=$(grep '"type":"stats"' "$(log_of frozen)")
check_eq "the thawed peer holds every route" "$(jq -r .prefixes_held <<<"$st")" $((FLOOD + 1))
check_eq "the thawed peer received each route once" "$(jq -r .prefixes_received <<<"$st")" $((FLOOD + 1))
check_eq "the thawed peer received no withdrawal" "$(jq -r .withdrawn_received <<<"$st")" 0
rss1=$(rss_kb)
diag "pharosd RSS: $rss0 kB before the flood, $rss1 kB after"
stop_proc slow
stop_proc flood
stop_proc fast
stop_proc frozen

diag "elapsed ${SECONDS}s: slow peer part done"
# ----------------------------------------------------- 2. connection storm
ref0=$(metric pharos_refused_connections_total)
flaps0=$(peer_metric pharos_peer_flaps_total stable)
start_bg storm ip netns exec "$(ns storm)" bash -c '
	ok=0
	for i in $(seq 1 "$0"); do
		if exec 3<>"/dev/tcp/$1/$2"; then ok=$((ok + 1)); exec 3<&-; fi
	done 2>/dev/null
	echo "connected $ok"' "$STORM" "$RS" "$PORT"
t0=$SECONDS api_fail=0 api_n=0
while alive storm; do
	api_n=$((api_n + 1))
	api_ok || api_fail=$((api_fail + 1))
	sleep 0.2
done
dt=$((SECONDS - t0))
diag "storm of $STORM connections took ${dt}s; $(cat "$(log_of storm)")"
check_eq "the API answered during the storm ($api_n requests)" "$api_fail" 0
check_wait "every storm connection was counted as refused" 10 \
	_refused_at_least $((ref0 + STORM))
check "the storm was handled quickly (${dt}s for $STORM connections)" test "$dt" -le 60
check "the stable session stayed up through the storm" peer_established stable
check_eq "the stable session did not flap" "$(peer_metric pharos_peer_flaps_total stable)" "$flaps0"
check "a refusal was logged with the address" grep -q 'refused connection from 198.18.0.99' "$(log_of pharosd)"

diag "elapsed ${SECONDS}s: storm part done"
# ----------------------------------------------------- 3. flapping peers
up0=$(peer_field stable uptime_s)
cat >"$T_DIR/flap.sh" <<'FLAP'
# flap.sh PEER_BIN RS PORT N ROUNDS: N peers connect and leave ROUNDS times
bin=$1 rs=$2 port=$3 n=$4 rounds=$5
for r in $(seq 1 "$rounds"); do
	for i in $(seq 1 "$n"); do
		"$bin" -a $((64512 + i)) -R 65515 -b "198.18.$((2 + i / 250)).$((1 + i % 250))" \
			-o none -t 0 -A "198.20.$((i % 250)).0/24" "$rs" "$port" >/dev/null 2>&1 &
		[ $((i % 50)) -eq 0 ] && wait
	done
	wait
done
FLAP
start_bg flapper ip netns exec "$(ns rs)" bash "$T_DIR/flap.sh" "$PHAROS_PEER" "$RS" "$PORT" \
	"$FLAPPERS" "${FLAP_ROUNDS:-2}"
drops=0 samples=0
while alive flapper; do
	samples=$((samples + 1))
	peer_established stable || drops=$((drops + 1))
	sleep 0.5
done
stop_proc flapper
fl=$(metrics | awk '/^pharos_peer_sessions_established_total\{peer="flap/ { s += $2 } END { print s + 0 }')
diag "elapsed ${SECONDS}s: flapping: $FLAPPERS peers, $fl sessions established in all, $samples samples"
check "the flapping peers did establish sessions ($fl)" test "$fl" -ge "$FLAPPERS"
check_eq "the stable session never dropped while they flapped" "$drops" 0
check_eq "the stable session's flap count is unchanged" "$(peer_metric pharos_peer_flaps_total stable)" "$flaps0"
up1=$(peer_field stable uptime_s)
check "the stable session's uptime kept growing ($up0 -> $up1 s)" test "$up1" -gt "$up0"
check "the stable peer (hold 6 s) saw no hold timer expiry" \
	test -z "$(grep -i 'hold timer' "$(log_of stable)")"
check "the API still answers" api_ok

check "pharosd exits 0 on SIGTERM" pharosd_stop
check "pharosd stderr has no sanitizer report" sanitizer_clean "$(log_of pharosd)"
t_done
