#!/bin/bash
# t_bench_smoke.sh - the head-to-head benchmark harness (bench/run.sh)
# works for every route server it knows: scenarios 1 (one peer) and 2 (ten
# peers) at a tiny scale, one run each. For each daemon and scenario, the
# run must complete: monitor A held exactly every prefix, monitor B saw
# them all arrive and then all withdrawn by the testers' withdraw-all,
# monitor C saw them all again and then all gone when the testers'
# sessions were closed. Not a timing assertion.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_bin "$PHAROS_TOP/build/pharosd" "$PHAROS_PEER" jq ss nsenter

SCALE=${SMOKE_SCALE:-0.002} # 2,000 prefixes in scenario 1 (more than one 4 KiB UPDATE), 10 x 200 in 2
BENCH_PHAROSD=$PHAROS_TOP/build/pharosd
# shellcheck source=../../bench/lib/daemons.sh
. "$PHAROS_TOP/bench/lib/daemons.sh" # daemon list and programs
OUT=$T_DIR/bench.md

start_bg bench "$PHAROS_TOP/bench/run.sh" --scenarios 1,2 --scale "$SCALE" \
	--runs 1 --timeout 30 --quiet 0.5 --out "$OUT"
bench_pid=$(pid_of bench)
wait_until 110 eval '! alive bench'
alive bench && not_ok "the harness finished within 110 s"
stop_proc bench TERM 10
check_eq "bench/run.sh exits 0" "$T_RC" 0
TSV=${OUT%.md}.tsv
check "the harness wrote every run to $(basename "$TSV")" test -s "$TSV"

# status_of SCENARIO DAEMON: the status column of that run.
status_of() { awk -F'\t' -v s="$1" -v d="$2" '$1 == s && $2 == d { print $4 }' "$TSV" 2>/dev/null; }
# field_of SCENARIO DAEMON COLUMN
field_of() { awk -F'\t' -v s="$1" -v d="$2" -v c="$3" '$1 == s && $2 == d { print $c }' "$TSV" 2>/dev/null; }

for d in $BENCH_DAEMONS_ALL; do
	for sc in 1 2; do
		if ! command -v "$(daemon_bin "$d")" >/dev/null; then
			not_ok "$d is installed (scenario $sc)"
			continue
		fi
		check_eq "$d, scenario $sc: monitors got every prefix, then saw all withdrawn (UPDATEs, then session down)" \
			"$(status_of "$sc" "$d")" ok
		check_match "$d, scenario $sc: announce, withdraw and down times, CPU and memory measured" \
			"$(field_of "$sc" "$d" 5) $(field_of "$sc" "$d" 6) $(field_of "$sc" "$d" 9) $(field_of "$sc" "$d" 7) $(field_of "$sc" "$d" 8)" \
			'^[0-9]+\.[0-9]+ [0-9]+\.[0-9]+ [0-9]+\.[0-9]+ [0-9]+\.[0-9]+ [1-9][0-9]*$'
		big=$(field_of "$sc" "$d" 10)
		check "$d, scenario $sc: like for like, no UPDATE above 4,096 bytes (got ${big:-none})" \
			eval '[ "$big" -gt 0 ] && [ "$big" -le 4096 ]'
	done
	check_match "the markdown table has a row for $d in scenario 2" "$(cat "$OUT" 2>/dev/null)" \
		"^\| 2 \| $d \| ok \|"
done
# --ext-msg on: 3,000 prefixes, so packed UPDATEs outgrow 4,096 bytes
# where the server negotiates Extended Messages (pharosd; BIRD as the
# harness configures it).
OUT2=$T_DIR/bench-ext.md
start_bg bench2 "$PHAROS_TOP/bench/run.sh" --ext-msg on --daemons pharos,bird \
	--scenarios 1 --scale 0.003 --runs 1 --timeout 30 --quiet 0.5 --no-down --out "$OUT2"
wait_until 60 eval '! alive bench2'
stop_proc bench2 TERM 10
check_eq "bench/run.sh --ext-msg on exits 0" "$T_RC" 0
TSV=${OUT2%.md}.tsv
for d in pharos bird; do
	check_eq "--ext-msg on, $d: the run completes" "$(status_of 1 "$d")" ok
	big=$(field_of 1 "$d" 10)
	check "--ext-msg on, $d: UPDATEs above 4,096 bytes reach the monitors (got ${big:-none})" \
		eval '[ "$big" -gt 4096 ]'
done
check_match "the report says which message size was in use" "$(cat "$OUT2" 2>/dev/null)" \
	"extended messages on"
check "the harness left no namespace behind" \
	eval '! ip netns list | grep -q "^pharos-$bench_pid-"'
t_done
