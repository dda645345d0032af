#!/bin/bash
# t_bmp_queue.sh - a BMP collector that stops reading: pharosd's send
# queue for it stays within max_queue_kb, the connection is dropped
# (pharos_bmp_drops_total, a bmp_down event saying why) instead of the
# queue growing, the BGP session is not disturbed, and once a collector
# that reads (pmacct's pmbmpd) takes the port, the reconnect resyncs it
# with every prefix the peer announced, followed by the live stream.
. "$(dirname "$0")/../lib.sh"

need_bin "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER" jq curl python3 pmbmpd
PORT=1790
API=127.0.0.1:18179
BMP=127.0.0.1:11020
N=20000
CONF=$T_DIR/pharosd.yaml

ns_create rs
# A collector that accepts and never reads, with a small receive buffer.
cat >"$T_DIR/stuck.py" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(4)
held = []
while True:
    c, _ = s.accept()
    held.append(c)
    print("accepted", len(held), flush=True)
PY
start_in stuck rs python3 "$T_DIR/stuck.py" "${BMP#*:}"
_listening() { nsx rs ss -Hltn "sport = :${BMP#*:}" | grep -q .; }
wait_until 10 _listening || bail "the stuck collector listens on $BMP"

pharos_conf_begin "$CONF" asn=65515 router_id=198.18.0.1 listen=127.0.0.1 \
	port=$PORT hold_time=30 keepalive=10
sed -i "/^route_server:/a\\  bmp: [{address: ${BMP%:*}, port: ${BMP#*:}, stats_s: 0, max_queue_kb: 64}]" "$CONF"
pharos_conf_peer "$CONF" nva nva 127.0.0.2 65001 passive=true max_prefixes=100000
pharos_conf_api "$CONF" "$API"
pharosd_start rs "$CONF" "$API"

metric() { metrics_of rs "$API" | awk -v k="$1" '$1 == k { print $2 }'; }
lbl="{collector=\"$BMP\"}"
metric_ge() { local v; v=$(metric "$1"); [ -n "$v" ] && [ "${v%.*}" -ge "$2" ]; }
check_wait "pharosd connects to the collector" 10 metric_ge "pharos_bmp_collector_up$lbl" 1

# Announce N prefixes while the collector reads nothing; withdraw them
# when told (the live stream, later).
cat >"$T_DIR/peer.script" <<SCRIPT
generate $N per-update 500
wait-signal
withdraw-all per-update 500
wait-signal
SCRIPT
start_in nva rs stdbuf -oL "$PHAROS_PEER" -a 65001 -R 65515 -b 127.0.0.2 -o json \
	-f "$T_DIR/peer.script" 127.0.0.1 $PORT
check_wait "the peer's session is established" 15 peer_established nva
check_wait "pharosd accepted the $N prefixes" 30 peer_field_is nva prefixes_accepted $N
check_wait "the stalled collector's connection is dropped (drops_total >= 1)" 20 \
	metric_ge "pharos_bmp_drops_total$lbl" 1
check "an event bmp_down says the send queue was full" \
	eval "pctl show events | jq -e '.events | any(.type == \"bmp_down\" and (.reason | test(\"send queue full\")) and .collector == \"$BMP\")' >/dev/null"
q=$(pctl show events | jq -r '[.events[] | select(.type == "bmp_down") | .reason | capture("[(](?<n>[0-9]+) bytes waiting").n | tonumber] | max')
check "the queue never held more than max_queue_kb (64 KiB): at most ${q:-none} bytes" test "${q:-999999}" -le 65536
check "the BGP session was not disturbed" peer_established nva
flaps=$(peer_field nva flaps)

# A reload gives the collector a queue that absorbs the peer's bursts
# (applied to the connection, which stays up); a collector that reads
# then takes the port: the reconnect resyncs it.
sed -i 's/max_queue_kb: 64}/max_queue_kb: 16384}/' "$CONF"
connects=$(metric "pharos_bmp_connects_total$lbl")
kill -HUP "$(pid_of pharosd)"
check_wait "the reload says route_server.bmp changed" 10 \
	eval "pctl show events | jq -e '.events | any(.type == \"reload\" and (.rs_changed | index(\"bmp\")))' >/dev/null"
check_eq "the reload kept the collector's connection" "$(metric "pharos_bmp_connects_total$lbl")" "$connects"
check "the stuck collector stops" stop_proc stuck
cat >"$T_DIR/pmbmpd.conf" <<CONF
bmp_daemon_ip: ${BMP%:*}
bmp_daemon_port: ${BMP#*:}
bmp_daemon_msglog_file: $T_DIR/bmp.json
bmp_daemon_msglog_output: json
logfile: $T_DIR/pmbmpd.daemon.log
CONF
start_in pmbmpd rs pmbmpd -f "$T_DIR/pmbmpd.conf"
_dumped() { metric_ge "pharos_bmp_collector_up$lbl" 1 && [ "$(metric "pharos_bmp_dumping$lbl")" = 0 ]; }
check_wait "pharosd reconnects and finishes its dump" 90 _dumped
drops=$(metric "pharos_bmp_drops_total$lbl")
# distinct prefixes pmbmpd logged from the peer, by log type
_count() {
	jq -r --arg t "$1" 'select(.bmp_msg_type == "route_monitor" and .peer_ip == "127.0.0.2" and .log_type == $t) | .ip_prefix' \
		"$T_DIR/bmp.json" 2>/dev/null | sort -u | wc -l
}
_all() { [ "$(_count "$1")" -ge "$N" ]; }
check_wait "pmbmpd has all $N prefixes of the peer after the resync" 60 _all update
diag "pmbmpd logged $(_count update) distinct prefixes from the peer"
kill -USR1 "$(pid_of nva)"
check_wait "pmbmpd logged the peer's $N withdrawals live" 60 _all withdraw
check_eq "no drop while the collector reads" "$(metric "pharos_bmp_drops_total$lbl")" "$drops"
check_eq "the peer's session never went down" "$(peer_field nva flaps)" "$flaps"
check "pharosd exits 0 on SIGTERM" pharosd_stop
check "pharosd stderr has no sanitizer report" sanitizer_clean "$T_DIR/pharosd.log"
t_done
