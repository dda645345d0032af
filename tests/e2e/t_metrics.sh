#!/bin/bash
# t_metrics.sh - pharosd's /metrics judged by a real Prometheus server and
# by promtool: two pharos-peer NVAs, one sending a default route that its
# accept_default lets in, one going over its max_prefixes; a third peer
# sends a default route that is refused; an idle peer has a name that
# needs label escaping. Prometheus (started here, scraping every second)
# must report the established peer up, the same accepted-prefix count as
# pharosctl, the max-prefix hit and the default route; `promtool check
# metrics` must find nothing wrong with the exposition.
. "$(dirname "$0")/../lib.sh"

need_bin "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER" jq curl prometheus promtool
PORT=1790
API=127.0.0.1:18179
PROM=127.0.0.1:19090
CONF=$T_DIR/pharosd.yaml

ns_create rs
pharos_conf_begin "$CONF" asn=65515 router_id=198.18.0.1 listen=127.0.0.1 \
	port=$PORT hold_time=30 keepalive=10 restart_delay=60
pharos_conf_peer "$CONF" nva-def nva 127.0.0.2 65001 passive=true accept_default=true
pharos_conf_peer "$CONF" nva-max nva 127.0.0.3 65002 passive=true max_prefixes=2
pharos_conf_peer "$CONF" nva-ref vpn_gateway 127.0.0.4 65004 passive=true
pharos_conf_peer "$CONF" "'odd \"peer\" \\ one'" nva 127.0.0.9 65009 passive=true
pharos_conf_api "$CONF" "$API"
pharos_conf_vnet "$CONF" hub 198.18.0.0/24
pharosd_start rs "$CONF" "$API"

# Prometheus, in the test's namespace, scraping pharosd every second.
mkdir -p "$T_DIR/tsdb"
cat >"$T_DIR/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: pharos
    scrape_interval: 1s
    scrape_timeout: 1s
    static_configs:
      - targets: ['$API']
EOF
start_in prometheus rs prometheus --config.file="$T_DIR/prometheus.yml" \
	--storage.tsdb.path="$T_DIR/tsdb" --web.listen-address="$PROM"

peer() {
	local name=$1 asn=$2 bind=$3
	shift 3
	start_in "$name" rs stdbuf -oL "$PHAROS_PEER" -a "$asn" -R 65515 -b "$bind" -o json "$@" 127.0.0.1 $PORT
}
peer nva-def 65001 127.0.0.2 -A "0.0.0.0/0,198.19.1.0/24,198.19.2.0/24"
peer nva-max 65002 127.0.0.3 -A "198.19.10.0/24,198.19.11.0/24,198.19.12.0/24"
peer nva-ref 65004 127.0.0.4 -A "0.0.0.0/0,198.19.20.0/24"

check_wait "nva-def established" 15 peer_established nva-def
check_wait "nva-ref established" 15 peer_established nva-ref
_maxpfx() { [ "$(peer_field nva-max max_prefix_hits)" -ge 1 ] 2>/dev/null; }
check_wait "nva-max is dropped for going over max_prefixes" 15 _maxpfx
check_wait "pharosd accepted nva-def's 3 prefixes, its default route included" 10 \
	peer_field_is nva-def prefixes_accepted 3

# ------------------------------------------------------------ /metrics
metrics() { nsx rs curl -sf "http://$API/metrics"; }
M=$(metrics)
check "GET /metrics answers" test -n "$M"
ctype=$(nsx rs curl -s -o /dev/null -w '%{content_type}' "http://$API/metrics")
check_eq "/metrics is text format 0.0.4" "$ctype" "text/plain; version=0.0.4; charset=utf-8"
metrics >"$T_DIR/metrics.txt"
promtool check metrics <"$T_DIR/metrics.txt" >"$T_DIR/promtool.out" 2>&1
rc=$?
check_eq "promtool check metrics exits 0" "$rc" 0
check "promtool check metrics reports no problem" test ! -s "$T_DIR/promtool.out"
[ -s "$T_DIR/promtool.out" ] && sed 's/^/#   /' "$T_DIR/promtool.out" | head -20
check_match "a peer name with quotes and a backslash is escaped in labels" "$M" \
	'^pharos_peer_up\{peer="odd \\"peer\\" \\\\ one",address="127.0.0.9",kind="nva"\} 0$'
check_match "peers carry the labels peer, address and kind" "$M" \
	'^pharos_peer_state\{peer="nva-ref",address="127.0.0.4",kind="vpn_gateway"\} 5$'
check_match "the refused default route of nva-ref is counted" "$M" \
	'^pharos_peer_default_routes_refused_total\{peer="nva-ref",[^}]*\} 1$'
check_match "nva-ref's default route is not learned" "$M" \
	'^pharos_peer_default_routes_learned\{peer="nva-ref",[^}]*\} 0$'
check_match "loc-RIB size per family is exported (nva-def's 3 and nva-ref's one)" "$M" \
	'^pharos_rib_prefixes\{afi="ipv4"\} 4$'
for fam in pharos_peer_uptime_seconds pharos_peer_flaps_total \
	pharos_peer_updates_sent_total pharos_peer_notifications_sent_total \
	pharos_peer_notifications_received_total pharos_peer_output_queue_bytes \
	pharos_rib_attribute_sets pharos_rib_bytes_per_route pharos_export_update_groups \
	pharos_export_adj_out_bytes pharos_updates_received_total pharos_output_queue_bytes_max \
	pharos_api_requests_total pharos_events_total pharos_refused_connections_total \
	pharos_process_resident_memory_bytes; do
	check_match "/metrics has $fam with HELP and TYPE" "$M" "^# TYPE $fam (gauge|counter)$"
done
check_match "the convergence histogram has buckets from 0.001 to 10 s" "$M" \
	'pharos_convergence_seconds_bucket\{le="0.001"\} [0-9]+'
check_match "... up to 10 s and +Inf" "$(grep '^pharos_convergence_seconds_bucket' <<<"$M" | tail -2 | tr '\n' ' ')" \
	'le="10"\} [0-9]+ pharos_convergence_seconds_bucket\{le="\+Inf"\} [1-9]'
check_match "convergence was measured for the UPDATEs received" "$M" \
	'^pharos_convergence_seconds_count [1-9][0-9]*$'
check_match "max_prefix events are counted by type" "$M" \
	'^pharos_events_total\{type="max_prefix"\} [1-9]'
check_match "API replies are counted by status code" "$M" \
	'^pharos_api_requests_total\{code="200"\} [1-9]'
nsx rs curl -s -o /dev/null "http://$API/api/v1/no-such-thing"
check_match "a 404 is counted under its code" "$(metrics)" \
	'^pharos_api_requests_total\{code="404"\} [1-9]'
updates_sent=$(grep '^pharos_peer_updates_sent_total{peer="nva-def"' <<<"$M" | awk '{print $2}')
check "UPDATEs sent to nva-def are counted (it got nva-ref's route)" test "${updates_sent:-0}" -ge 1
rss=$(grep '^pharos_process_resident_memory_bytes ' <<<"$M" | awk '{print $2}')
check "resident memory is more than 1 MB" test "${rss:-0}" -gt 1000000

# ------------------------------------------------------------ Prometheus
# promq QUERY: the values of the result vector, one per line.
promq() {
	nsx rs curl -sf "http://$PROM/api/v1/query" --data-urlencode "query=$1" |
		jq -r 'select(.status == "success") | .data.result[].value[1]'
}
_target_up() {
	nsx rs curl -sf "http://$PROM/api/v1/targets" |
		jq -e '.data.activeTargets[] | select(.labels.job == "pharos") |
			.health == "up" and .lastError == ""' >/dev/null
}
check_wait "Prometheus scrapes pharosd without error (target health up)" 30 _target_up
_prom_is() { [ "$(promq "$1")" = "$2" ]; }
check_wait "Prometheus: pharos_peer_up of nva-def is 1" 10 \
	_prom_is 'pharos_peer_up{peer="nva-def"}' 1
check_wait "Prometheus: pharos_peer_up of nva-max is 0" 10 \
	_prom_is 'pharos_peer_up{peer="nva-max"}' 0
accepted=$(peer_field nva-def prefixes_accepted)
check_wait "Prometheus: prefixes accepted of nva-def equal pharosctl's ($accepted)" 10 \
	_prom_is 'pharos_peer_prefixes_accepted{peer="nva-def"}' "$accepted"
_prom_some() { [ -n "$(promq "$1")" ]; }
check_wait "Prometheus: max-prefix hits of nva-max >= 1" 10 \
	_prom_some 'pharos_peer_max_prefix_hits_total{peer="nva-max"} >= 1'
check_wait "Prometheus: default routes learned from nva-def >= 1" 10 \
	_prom_some 'pharos_peer_default_routes_learned{peer="nva-def"} >= 1'
check_wait "Prometheus: the escaped peer name reads back unchanged" 10 \
	_prom_is 'count(pharos_peer_up{peer="odd \"peer\" \\ one"})' 1
check_wait "Prometheus: the convergence histogram can be queried" 10 \
	_prom_some 'histogram_quantile(0.9, pharos_convergence_seconds_bucket) >= 0'

stop_proc prometheus
check "pharosd exits 0 on SIGTERM" pharosd_stop
check "pharosd stderr has no sanitizer report" sanitizer_clean "$T_DIR/pharosd.log"
t_done
