#!/bin/bash
# soak.sh - churn soak of pharosd (not part of `make test`).
#
# Two churn peers take turns announcing ROUTES (default 100,000) prefixes
# and withdrawing them all (their session closes with a Cease, so pharosd
# withdraws every route), in a loop for DURATION, while an observer peer
# stays connected and receives every change. pharosd's RSS is sampled
# every INTERVAL seconds into soak-rss.csv. At the end it reports the
# baseline RSS (after the first full announce/withdraw cycle), the peak
# and the end RSS, the growth, the cycles done and the session drops
# (observer flaps, churn sessions that failed).
#
#   bench/soak.sh [--duration 30m|SECS] [--routes N] [--interval S]
#                 [--leak-check] [--out DIR]
#
# --leak-check runs a shorter soak (default 3 min) with the ASan build
# (build/asan/pharosd, LeakSanitizer on), stops it with SIGTERM and reports
# the leaks LeakSanitizer found (exit 1 when any).
set -u
SOAK_DIR=$(cd "$(dirname "$0")" && pwd)
PHAROS_TOP=$(cd "$SOAK_DIR/.." && pwd)
export PHAROS_TOP

duration=1800 routes=100000 interval=5 leak=0 out=""
parse_duration() {
	case $1 in
	*h) echo $((${1%h} * 3600)) ;;
	*m) echo $((${1%m} * 60)) ;;
	*s) echo "${1%s}" ;;
	*) echo "$1" ;;
	esac
}
dur_set=0
while [ $# -gt 0 ]; do
	case $1 in
	--duration) duration=$(parse_duration "$2"); dur_set=1; shift 2 ;;
	--routes) routes=$2; shift 2 ;;
	--interval) interval=$2; shift 2 ;;
	--leak-check) leak=1; shift ;;
	--out) out=$2; shift 2 ;;
	-h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "soak.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
if [ "$leak" = 1 ]; then
	[ "$dur_set" = 1 ] || duration=180
	export PHAROS_BIN=$PHAROS_TOP/build/asan
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
else
	export PHAROS_BIN=${PHAROS_BIN:-$PHAROS_TOP/build}
fi
# shellcheck source=../tests/lib.sh
. "$PHAROS_TOP/tests/lib.sh"
need_bin "$PHAROSD" "$PHAROS_PEER" jq curl
[ -n "$out" ] || out=$T_DIR
mkdir -p "$out"

PORT=1797
API=127.0.0.1:18197
CONF=$T_DIR/pharosd.yaml
ns_create rs
pharos_conf_begin "$CONF" asn=65515 router_id=198.18.0.1 listen=127.0.0.1 \
	port=$PORT hold_time=30 keepalive=10
pharos_conf_peer "$CONF" churn-a nva 127.0.0.2 65002 passive=true max_prefixes=$((routes * 2))
pharos_conf_peer "$CONF" churn-b nva 127.0.0.3 65003 passive=true max_prefixes=$((routes * 2))
pharos_conf_peer "$CONF" observer nva 127.0.0.4 65004 passive=true hold_time=9 keepalive=3
pharos_conf_api "$CONF" "$API"
pharosd_start rs "$CONF" "$API"
PID=$(pid_of pharosd)

rss_kb() { proc_kb "$PID" VmRSS; }
held() { metrics_of rs "$API" | metric_value pharos_rib_paths; }

start_in observer rs "$PHAROS_PEER" -a 65004 -R 65515 -b 127.0.0.4 -H 9 -o none \
	"127.0.0.1" $PORT
wait_until 15 peer_established observer || bail "observer established"

# one churn cycle with peer N (a or b): announce ROUTES, hold them until
# pharosd has them all, leave (pharosd withdraws them), wait until gone.
cycle() {
	local who=$1 addr asn start rc
	# next hops in 198.18.0.0/15: pharosd ignores routes whose next hop is
	# a loopback address
	if [ "$who" = a ]; then addr=127.0.0.2 asn=65002 start=16.0.0.0 nh=198.18.0.2
	else addr=127.0.0.3 asn=65003 start=48.0.0.0 nh=198.18.0.3; fi
	start_in "churn-$who" rs "$PHAROS_PEER" -a "$asn" -R 65515 -b "$addr" -o none \
		-n "$nh" -g "$routes" --gen-start "$start" "127.0.0.1" $PORT
	if ! wait_until 300 peer_field_is "churn-$who" prefixes_accepted "$routes"; then
		fail_note "cycle $cycles: churn-$who never had its $routes routes accepted"
	fi
	stop_proc "churn-$who" TERM 20
	rc=$T_RC
	[ "$rc" -eq 0 ] || [ "$rc" -eq 143 ] ||
		fail_note "cycle $cycles: churn-$who exited with status $rc"
	wait_until 120 _none_from "churn-$who" ||
		fail_note "cycle $cycles: churn-$who's routes were not all withdrawn"
	cycles=$((cycles + 1))
}
# Count a failed cycle and keep why, with the churn peer's last lines.
fail_note() {
	failed=$((failed + 1))
	{
		echo "$(date -u +%FT%TZ) $1"
		tail -n 5 "$T_DIR/churn-$who.log" 2>/dev/null | sed 's/^/    /'
	} >>"$out/soak-failures.txt"
}
_none_from() { peer_field_is "$1" prefixes_accepted 0; }

csv=$out/soak-rss.csv
echo "seconds,rss_kb,rib_paths" >"$csv"
sampler() {
	local t0=$SECONDS
	while kill -0 "$PID" 2>/dev/null; do
		echo "$((SECONDS - t0)),$(rss_kb),$(held)" >>"$csv"
		sleep "$interval"
	done
}
sampler &
SAMPLER=$!
atexit "kill $SAMPLER"

cycles=0 failed=0
flaps0=$(peer_field observer flaps)
cycle a
base=$(rss_kb)
t_end=$((SECONDS + duration))
who=b
while [ "$SECONDS" -lt "$t_end" ]; do
	cycle "$who"
	[ "$who" = a ] && who=b || who=a
	alive pharosd || break
done
end=$(rss_kb)
peak=$(awk -F, 'NR > 1 && $2 > m { m = $2 } END { print m + 0 }' "$csv")
flaps1=$(peer_field observer flaps)
obs_up=no
peer_established observer && obs_up=yes
kill "$SAMPLER" 2>/dev/null
growth=$(awk -v b="$base" -v e="$end" 'BEGIN { printf "%.1f", b ? (e - b) * 100 / b : 0 }')
# RSS swings with each cycle: compare the mean of the first and the last
# quarter of the samples too (a leak shows as a rising trend)
trend=$(awk -F, 'NR > 2 { v[++n] = $2 } END {
	q = int(n / 4); if (q < 1) { print "n/a"; exit }
	for (i = 1; i <= q; i++) a += v[i]; for (i = n - q + 1; i <= n; i++) b += v[i]
	printf "first quarter %d kB, last quarter %d kB (%+.1f%%)", a / q, b / q, (b - a) * 100 / a }' "$csv")
echo "soak: $cycles cycles of $routes routes (announce + withdraw) in $SECONDS s"
echo "soak: pharosd RSS baseline ${base} kB (after the first cycle), peak ${peak} kB, end ${end} kB (${growth}%)"
echo "soak: mean RSS: $trend"
echo "soak: observer session up at the end: $obs_up, flaps during the soak: $((flaps1 - flaps0))"
echo "soak: churn cycles that failed: $failed"
[ "$failed" -eq 0 ] || sed 's/^/#   /' "$out/soak-failures.txt"
echo "soak: RSS samples in $csv"
status=0
[ "$obs_up" = yes ] && [ "$flaps1" = "$flaps0" ] && [ "$failed" -eq 0 ] || status=1
if [ "$leak" = 1 ]; then
	stop_proc observer
	pharosd_stop || echo "soak: pharosd did not exit 0 (status $T_RC)"
	if grep -q 'ERROR: LeakSanitizer' "$(log_of pharosd)"; then
		echo "soak: LeakSanitizer found leaks:"
		grep -E '^(Direct|Indirect) leak|SUMMARY' "$(log_of pharosd)" | head -20
		cp "$(log_of pharosd)" "$out/pharosd-leaks.log" 2>/dev/null
		status=1
	elif sanitizer_clean "$(log_of pharosd)"; then
		echo "soak: LeakSanitizer: no leak"
	else
		echo "soak: sanitizer report in pharosd's log:"
		grep -E 'ERROR|runtime error' "$(log_of pharosd)" | head
		status=1
	fi
fi
[ "$out" = "$T_DIR" ] && cp "$csv" "$PHAROS_TOP/build/soak-rss.csv" 2>/dev/null &&
	echo "soak: RSS samples copied to build/soak-rss.csv"
exit $status
