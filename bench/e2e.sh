#!/bin/bash
# e2e.sh - end to end: an NVA's routes through pharosd's loc-RIB and
# fabric to pharos-agent and into a host's kernel (`make bench-e2e`).
#
# Namespaces (created and removed here), one LAN 198.18.1.0/24:
#   rs   pharosd (build/, optimised), API and BGP    br0  198.18.1.1
#        (--path nats: also nats-server -js, max_payload 64 MB, same address)
#   nva  pharos-peer AS 65001, announces N /24s      eth0 198.18.1.2
#        (from 16.0.0.0, as bench/run.sh: they only sit in routing tables
#        inside these namespaces; nothing is sent to them)
#   vm   pharos-agent for spoke-a/app, table 100,    eth0 198.18.1.10
#        and kwatch (bench/kwatch.c), which counts the agent's /24s in
#        table 100 from the kernel's route notifications
# The hub's route server peers with the NVA; spoke-a is peered to the hub
# with use_remote_gateways, so its subnet app receives every BGP route,
# next hop 198.18.1.2, which the agent's namespace reaches on eth0.
#
# Each run, with pharosd and the agent running throughout:
#   announce    from the NVA's first UPDATE (pharos-peer --stats t_first_tx)
#               until table 100 holds all N routes (kwatch "full");
#   withdraw    from the SIGUSR1 that starts the NVA's withdraw-all until
#               the table holds none (kwatch "empty");
#   reannounce  the NVA announces all N again (SIGUSR1): until "full";
#   down        the NVA is stopped (SIGTERM: NOTIFICATION Cease, TCP
#               close): pharosd withdraws everything; until "empty".
# Also per phase: when pharosd counted all N (or 0) prefixes accepted
# from the NVA (its API polled every 20 ms), when the first route
# reached or left the kernel, CPU seconds of pharosd, the agent and
# nats-server (/proc/PID/stat), and how many times the agent applied a
# change (its "applied" events) and how long that took in all.
# Prints one line per run and phase, then the medians as a markdown table.
#
# Usage: bench/e2e.sh [--routes N] [--runs R] [--path http|nats]
#                     [--ext-msg off|on] [--timeout S] [--out FILE.md]
# (root; not part of make test; tests/golden/t_bench_e2e.sh runs it small)
set -u
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
PHAROS_TOP=$(cd "$BENCH_DIR/.." && pwd)
export PHAROS_TOP
export PHAROS_BIN=${E2E_BIN:-$PHAROS_TOP/build}
# shellcheck source=../tests/lib.sh
. "$PHAROS_TOP/tests/lib.sh"
AGENT=$PHAROS_BIN/pharos-agent
PEER=$PHAROS_BIN/pharos-peer
NATS_SERVER=${NATS_SERVER:-$(command -v nats-server || echo /usr/sbin/nats-server)}

ROUTES=100000 RUNS=3 MODE=http EXTMSG=off TIMEOUT=300
OUT=$PHAROS_TOP/build/bench/e2e.md
usage() { sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
	case $1 in
	--routes) ROUTES=$2; shift ;;
	--runs) RUNS=$2; shift ;;
	--path) MODE=$2; shift ;;
	--ext-msg) EXTMSG=$2; shift ;;
	--timeout) TIMEOUT=$2; shift ;;
	--out) OUT=$2; shift ;;
	-h | --help) usage 0 ;;
	*) echo "unknown option $1" >&2; usage 1 >&2 ;;
	esac
	shift
done
[[ $ROUTES =~ ^[1-9][0-9]*$ ]] && [ "$ROUTES" -le 4000000 ] ||
	{ echo "bad --routes $ROUTES (1 to 4,000,000)" >&2; exit 1; }
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "bad --runs $RUNS" >&2; exit 1; }
[[ $MODE =~ ^(http|nats)$ ]] || { echo "bad --path $MODE" >&2; exit 1; }
[[ $EXTMSG =~ ^(on|off)$ ]] || { echo "bad --ext-msg $EXTMSG" >&2; exit 1; }
[[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || { echo "bad --timeout $TIMEOUT" >&2; exit 1; }
need_bin "$PHAROSD" "$PEER" "$AGENT" cc
[ "$MODE" = nats ] && need_bin "$NATS_SERVER"

declare -A RES=() # phase -> "T0 T1 RIB_COUNT KFIRST DUMP PHAROSD_CPU AGENT_CPU"
RS=198.18.1.1 NVA=198.18.1.2 VM=198.18.1.10 API=198.18.1.1:8179
TABLE=100 PROTO=200
KWATCH=$T_DIR/kwatch
cc -O2 -Wall -Wextra -o "$KWATCH" "$BENCH_DIR/kwatch.c" -lmnl || bail "build kwatch"

ns_create rs nva vm
ns_lan rs br0 nva vm
ns_addr rs br0 "$RS/24"
ns_addr nva eth0 "$NVA/24"
ns_addr vm eth0 "$VM/24"

# ------------------------------------------------------------ helpers

ticks() { local l r v; l=$(<"/proc/$1/stat"); r=${l##*) }; read -r -a v <<<"$r"; echo $((v[11] + v[12])); }
nats_ticks() { if [ -n "${ND:-}" ]; then ticks "$ND"; else echo 0; fi; }
secs() { awk -v t="$1" -v c="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / c }'; }
# kw_nth WORD K: the time of kwatch's K-th line WORD (empty until then)
kw_nth() { awk -v w="$1" -v k="$2" '$1 == w && ++n == k { print $2; exit }' "$(log_of kwatch)"; }
kw_dump() { awk -v w="$1" -v k="$2" '$1 == w && ++n == k { print $3; exit }' "$(log_of kwatch)"; }
kw_has() { [ -n "$(kw_nth "$1" "$2")" ]; }
# rib_at T0 COUNT: the first time at or after T0 the RIB poller saw COUNT
rib_at() { awk -v t0="$1" -v c="$2" '$1 >= t0 && $2 == c { print $1; exit }' "$(log_of ribpoll)"; }
# applies_between T0 T1: the agent's "applied" events in [T0, T1] (ISO ms)
applies_between() {
	local a b
	# the event is printed once the apply is done: a little after the
	# kernel's last change
	a=$(date -u -d "@$1" +%Y-%m-%dT%H:%M:%S.%3NZ)
	b=$(date -u -d "@$(awk -v t="$2" 'BEGIN { printf "%.3f", t + 0.3 }')" +%Y-%m-%dT%H:%M:%S.%3NZ)
	grep '"event":"applied"' "$(log_of agent)" |
		sed -E 's/.*"ts":"([^"]*)".*"latency_ms":([0-9.]+).*/\1 \2/' |
		awk -v a="$a" -v b="$b" '$1 >= a && $1 <= b { n++; ms += $2 }
			END { printf "%d %.0f\n", n, ms }'
}

# rib_poll HOST PORT PEER STEP: print "TIME COUNT" whenever pharosd's
# prefixes_accepted for PEER changes; bash's /dev/tcp and read -t, so no
# process is forked per poll.
rib_poll() {
	local host=$1 port=$2 peer=$3 step=$4 last=-1 line body fifo
	fifo=$(mktemp -u)
	mkfifo "$fifo" && exec 5<>"$fifo" && rm -f "$fifo"
	while :; do
		if exec 3<>"/dev/tcp/$host/$port"; then
			printf 'GET /api/v1/peers/%s HTTP/1.0\r\nHost: %s\r\n\r\n' "$peer" "$host" >&3
			body=
			while IFS= read -r -u 3 line; do body+=$line; done
			body+=$line
			exec 3<&-
			if [[ $body =~ \"prefixes_accepted\":\ ?([0-9]+) ]] &&
				[ "${BASH_REMATCH[1]}" != "$last" ]; then
				last=${BASH_REMATCH[1]}
				printf '%s %s\n' "$EPOCHREALTIME" "$last"
			fi
		fi
		read -r -t "$step" -u 5 line
	done
}

conf() {
	local f=$T_DIR/pharosd.yaml
	echo "e2e-bench-token" >"$T_DIR/token"
	pharos_conf_begin "$f" asn=65515 router_id=$RS listen=$RS hold_time=90 keepalive=30
	pharos_conf_peer "$f" nva nva "$NVA" 65001 passive=true max_prefixes=4000000
	pharos_conf_api "$f" "$API" "$T_DIR/token"
	# the NVA's LAN is outside the modelled VNets
	if [ "$MODE" = nats ]; then
		pharos_conf_hub_spoke "$f" vm-a1 "publish: {nats: \"nats://$RS:4222\", name: rs1}"
	else
		pharos_conf_hub_spoke "$f"
	fi
	echo "$f"
}

start_nats() {
	mkdir -p "$T_DIR/js"
	cat >"$T_DIR/nats.conf" <<EOF
listen: $RS:4222
max_payload: 64MB
jetstream { store_dir: "$T_DIR/js" }
EOF
	start_in nats rs "$NATS_SERVER" -c "$T_DIR/nats.conf"
	wait_until 20 tcp_open rs "$RS" 4222 || bail "nats-server listens"
}

start_agent() {
	local src=(-s "http://$API")
	[ "$MODE" = nats ] && src=(--nats "nats://$RS:4222")
	start_in agent vm "$AGENT" "${src[@]}" --subnet spoke-a/app --table "$TABLE" \
		--protocol "$PROTO" --stale-time 600 -t "$T_DIR/token" --name vm-a1
	# the agent is ready once it applied the (route-less) table
	wait_until 20 grep -q '"event":"applied"' "$(log_of agent)" || bail "the agent applied its first table"
}

# ------------------------------------------------------------ one run

# wait_kw WORD K PHASE: until kwatch's K-th WORD line; bail on timeout
wait_kw() {
	wait_until "$TIMEOUT" kw_has "$1" "$2" ||
		bail "run $RUN, $3: kwatch saw no '$1' #$2 in $TIMEOUT s ($(tail -1 "$(log_of kwatch)"))"
}

# phase NAME T0 T1 RIB_COUNT KFIRST DUMP PD_CPU AGENT_CPU NATS_CPU: one
# result line
phase() {
	local name=$1 t0=$2 t1=$3 rc=$4 kf=$5 dump=$6 pc=$7 ac=$8 nc=$9 tr ap
	[ -n "${ND:-}" ] || nc=-
	tr=$(rib_at "$t0" "$rc")
	ap=$(applies_between "$t0" "$t1")
	awk -v run="$RUN" -v ph="$name" -v n="$ROUTES" -v t0="$t0" -v t1="$t1" -v tr="$tr" \
		-v kf="$kf" -v dump="$dump" -v pc="$pc" -v ac="$ac" -v nc="$nc" -v ap="$ap" 'BEGIN {
		d = t1 - t0; split(ap, a, " ")
		printf "%s\t%s\t%.3f\t%.0f\t%s\t%.3f\t%s\t%s\t%d\t%d\t%s\t%s\n", run, ph, d, n / d,
			tr == "" ? "-" : sprintf("%.3f", tr - t0), kf - t0, pc, ac, a[1], a[2], nc, dump
	}' | tee -a "$TSV"
}

# measure WORD K PHASE T0 SIGNAL...: note the CPU counters, run SIGNAL
# (the change; T0 is taken just before it unless given), wait for
# kwatch's K-th WORD line, and keep the phase's figures in RES[PHASE]
measure() {
	local word=$1 k=$2 name=$3 t0=$4 p0 a0 n0 p1 a1 n1 rc=0 first=first
	shift 4
	[ "$word" = empty ] && rc=0 first=drop
	[ "$word" = full ] && rc=$ROUTES
	p0=$(ticks "$PD") a0=$(ticks "$AD") n0=$(nats_ticks)
	[ "$t0" = now ] && t0=$EPOCHREALTIME
	"$@"
	wait_kw "$word" "$k" "$name"
	p1=$(ticks "$PD") a1=$(ticks "$AD") n1=$(nats_ticks)
	RES[$name]="$t0 $(kw_nth "$word" "$k") $rc $(kw_nth "$first" "$k") $(kw_dump "$word" "$k")"
	RES[$name]+=" $(secs $((p1 - p0))) $(secs $((a1 - a0))) $(secs $((n1 - n0)))"
}

nva_start() {
	start_in nva nva "$PEER" -a 65001 -R 65515 -b "$NVA" -o none --stats $EXT -f "$T_DIR/nva.script" "$RS"
}
nva_signal() { kill -USR1 "$(pid_of nva)"; }

run_once() {
	local t0 ph
	printf 'generate %s\nwait-signal\nwithdraw-all\nwait-signal\ngenerate %s\n' \
		"$ROUTES" "$ROUTES" >"$T_DIR/nva.script"
	start_in kwatch vm "$KWATCH" -t "$TABLE" -p "$PROTO" -l 24 -n "$ROUTES"
	wait_until 10 grep -q '^ready 0$' "$(log_of kwatch)" || bail "kwatch ready on an empty table"
	# announce: T0 (the first UPDATE) is known once the NVA exits
	measure full 1 announce 0 nva_start
	sleep 1
	measure empty 1 withdraw now nva_signal
	sleep 1
	measure full 2 reannounce now nva_signal
	sleep 1
	measure empty 2 down now stop_proc nva TERM 10
	stop_proc kwatch TERM 5
	mv "$(log_of kwatch)" "$T_DIR/kwatch-$RUN.txt"
	t0=$(grep -o '"t_first_tx":[0-9.]*' "$(log_of nva)" | cut -d: -f2)
	[ -n "$t0" ] || bail "run $RUN: the NVA's --stats line has t_first_tx"
	RES[announce]="$t0 ${RES[announce]#* }"
	# shellcheck disable=SC2086
	for ph in announce withdraw reannounce down; do phase "$ph" ${RES[$ph]}; done
}

# probe: with all N routes in the fabric (a fresh NVA), how long
# pharosd takes to answer the agent's two requests for all of them, a
# deltas answer from before the routes (built in one piece) and the
# subnet's table (streamed), and their size
probe() {
	local v0 base=http://$API/api/v1/fabric/subnets/spoke-a/app d t
	v0=$(nsx vm curl -sf "http://$API/api/v1/fabric" | grep -oE '"version": ?[0-9]+' | grep -oE '[0-9]+$')
	printf 'generate %s\n' "$ROUTES" >"$T_DIR/nva.script"
	start_in kwatch vm "$KWATCH" -t "$TABLE" -p "$PROTO" -l 24 -n "$ROUTES"
	wait_until 10 grep -q '^ready 0$' "$(log_of kwatch)" || bail "kwatch ready (probe)"
	nva_start
	wait_kw full 1 probe
	d=$(nsx vm curl -sf -o /dev/null -w '%{time_total} %{size_download}' "$base/deltas?after=$v0")
	t=$(nsx vm curl -sf -o /dev/null -w '%{time_total} %{size_download}' "$base/table")
	echo "$d $t" | awk -v n="$ROUTES" '{ printf "# pharosd answers at %d routes: deltas (all) %.2f s, %.1f MB; table %.2f s, %.1f MB\n", n, $1, $2 / 1e6, $3, $4 / 1e6 }'
	stop_proc nva TERM 10
	wait_kw empty 1 probe
	stop_proc kwatch TERM 5
}

# ------------------------------------------------------------ report

report() {
	local f=$1
	awk -F'\t' -v n="$ROUTES" -v runs="$RUNS" -v mode="$MODE" -v ext="$EXTMSG" '
	function med(ph, col,   k, i, j, t, v) {
		k = 0
		for (i = 1; i <= NR; i++) if (P[i] == ph) v[++k] = C[i, col]
		for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++)
			if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
		return k ? v[int((k + 1) / 2)] : "-"
	}
	{ P[NR] = $2; for (c = 3; c <= 11; c++) C[NR, c] = $c }
	END {
		printf "End to end, %d routes, path %s, extended messages %s, median of %d run(s)\n\n", n, mode, ext, runs
		print "| phase | time s | routes/s | pharosd RIB s | kernel first s | pharosd CPU s | agent CPU s | agent applies | agent apply ms | nats-server CPU s |"
		print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
		split("announce withdraw reannounce down", ph, " ")
		for (i = 1; i <= 4; i++)
			printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", ph[i], med(ph[i], 3),
				med(ph[i], 4), med(ph[i], 5), med(ph[i], 6), med(ph[i], 7), med(ph[i], 8),
				med(ph[i], 9), med(ph[i], 10), med(ph[i], 11)
	}' "$f"
}

# ------------------------------------------------------------ main

mkdir -p "$(dirname "$OUT")"
TSV=${OUT%.md}.tsv
printf 'run\tphase\tseconds\troutes_per_s\trib_s\tkernel_first_s\tpharosd_cpu_s\tagent_cpu_s\tagent_applies\tagent_apply_ms\tnats_cpu_s\tkernel_dump\n' >"$TSV"
EXT=
[ "$EXTMSG" = off ] && EXT=--no-ext-msg
[ "$MODE" = nats ] && start_nats && ND=$(pid_of nats)
pharosd_start rs "$(conf)" "$API"
PD=$(pid_of pharosd)
start_in ribpoll rs bash -c "$(declare -f rib_poll); rib_poll ${RS} 8179 nva 0.02"
start_agent
AD=$(pid_of agent)
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg);" \
	"$ROUTES routes, path $MODE, extended messages $EXTMSG"
printf 'run\tphase\tseconds\troutes/s\trib_s\tkfirst_s\tpd_cpu\tag_cpu\tapplies\tapply_ms\tnats_cpu\tkernel\n'
for ((RUN = 1; RUN <= RUNS; RUN++)); do run_once; done
# every phase ended with the kernel's own count as it should be
bad=$(awk -F'\t' 'NR > 1 && (($2 ~ /announce/ && $12 != '"$ROUTES"') || ($2 !~ /announce/ && $12 != 0))' "$TSV")
[ -z "$bad" ] || bail "a dump disagreed with the notifications: $bad"
report "$TSV" | tee "$OUT"
echo "# kwatch counted again by a dump (lost notifications): $(cat "$T_DIR"/kwatch-*.txt | grep -c '^resync') time(s)"
echo "# pharosd VmHWM $(proc_kb "$PD" VmHWM) kB, agent VmHWM $(proc_kb "$AD" VmHWM) kB after the runs"
if [ "$MODE" = nats ]; then
	m=$(metrics_of vm "$API")
	echo "# pharosd published to NATS $(echo "$m" | awk '$1 == "pharos_bus_published_total{kind=\"state\"}" { print $2 }') tables and" \
		"$(echo "$m" | awk '$1 == "pharos_bus_published_total{kind=\"delta\"}" { print $2 }') deltas" \
		"($(echo "$m" | metric_value pharos_bus_too_large_total) over max_payload)," \
		"$RUNS run(s) of 4 phases"
else
	probe
fi
alive agent || bail "the agent ran throughout"
stop_proc ribpoll TERM 2
stop_proc agent TERM 10
stop_proc pharosd TERM 10
exit 0
