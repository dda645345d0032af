#!/bin/bash
# t_bench_e2e.sh - the end-to-end benchmark (bench/e2e.sh: NVA -> pharosd
# -> fabric -> pharos-agent -> kernel) works, at 2,000 routes and one run,
# over HTTP long polls and over NATS: it must exit 0, and in every run the
# agent's kernel table must have held all 2,000 routes after each
# announcement and none after the withdrawal and after the NVA stopped
# (counted by the script's own dump of the table, not only by the route
# notifications). The figures are printed, not asserted: no timing here.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
NATS_SERVER=${NATS_SERVER:-$(command -v nats-server || echo /usr/sbin/nats-server)}
B=$PHAROS_TOP/build
need_bin "$B/pharosd" "$B/pharos-peer" "$B/pharos-agent" "$NATS_SERVER" cc

N=2000
# ns_gone PID: no namespace of the benchmark that ran as PID is left
ns_gone() { ! ip netns list | grep -q "^pharos-$1-"; }
for path in http nats; do
	OUT=$T_DIR/e2e-$path.md
	start_bg "e2e-$path" env E2E_BIN="$B" "$PHAROS_TOP/bench/e2e.sh" --routes "$N" \
		--runs 1 --path "$path" --timeout 20 --out "$OUT"
	pid=$(pid_of "e2e-$path")
	wait_until 60 eval "! alive e2e-$path"
	alive "e2e-$path" && not_ok "$path: the benchmark finished within 60 s"
	stop_proc "e2e-$path" TERM 10
	check_eq "$path: bench/e2e.sh exits 0" "$T_RC" 0
	TSV=${OUT%.md}.tsv
	# kernel_of PHASE: the table's count (a dump) at the end of that phase
	kernel_of() { awk -F'\t' -v p="$1" '$1 == 1 && $2 == p { print $NF }' "$TSV" 2>/dev/null; }
	for ph in announce reannounce; do
		check_eq "$path, $ph: the agent's kernel table held all $N routes" "$(kernel_of $ph)" "$N"
	done
	for ph in withdraw down; do
		check_eq "$path, $ph: the agent's kernel table held none of them" "$(kernel_of $ph)" 0
	done
	check_match "$path: every phase has a time and a rate" \
		"$(awk -F'\t' 'NR > 1 { printf "%s %s %s\n", $2, $3, $4 }' "$TSV" 2>/dev/null | tr '\n' ';')" \
		'^announce [0-9.]+ [1-9][0-9]*;withdraw [0-9.]+ [1-9][0-9]*;reannounce [0-9.]+ [1-9][0-9]*;down [0-9.]+ [1-9][0-9]*;$'
	check_match "$path: the report has the medians table" "$(cat "$OUT" 2>/dev/null)" '^\| announce \| [0-9.]+ \|'
	sed 's/^/# /' "$OUT" 2>/dev/null
	check "$path: the benchmark left no namespace behind" ns_gone "$pid"
done
t_done
