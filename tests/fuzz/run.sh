#!/bin/bash
# run.sh - replay the fuzz corpora through every libFuzzer target, then
# fuzz each target for a bounded time.
#
#   tests/fuzz/run.sh short   replay + FUZZ_SECONDS (default 20) per target
#   tests/fuzz/run.sh long    replay + FUZZ_SECONDS (default 300) per target
#
# Corpora: every folder of $PHAROS_DATA/fuzz (LICENSE files skipped) and
# the raw messages of $PHAROS_DATA/vectors, turned into binary files under
# build/fuzz/run/. Prints one line per replay and per fuzzing run:
#   REPLAY ok|FAIL <target> <corpus> <files> [crash: <file>]
#   FUZZ ok|FAIL <target> <executions> [crash: <file>]
# and exits non-zero when anything crashed. Targets are built by
# `make fuzzers` (build/fuzz/fuzz_*).
set -u
mode=${1:-short}
cd "$(dirname "$0")/../.."
TOP=$PWD
DATA=${PHAROS_DATA:-$TOP/../shared/data/bgp}
case $mode in
short) secs=${FUZZ_SECONDS:-20} ;;
long) secs=${FUZZ_SECONDS:-300} ;;
*) echo "usage: $0 short|long" >&2; exit 2 ;;
esac
OUT=$TOP/build/fuzz/run
rm -rf "$OUT"
mkdir -p "$OUT/vectors"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# The vectors' hex messages ("N:raw:HEX" lines, line 2 of decoding files)
# as one binary file each.
vectors_corpus() {
	local n=0 f hex
	for f in "$DATA"/vectors/exabgp_encoding/*.ci "$DATA"/vectors/exabgp_api/*.ci; do
		[ -f "$f" ] || continue
		grep -E '^[0-9A-Za-z]+:raw:' "$f" | sed 's/^[^:]*:raw://; s/://g'
	done >"$OUT/vectors.hex"
	for f in "$DATA"/vectors/exabgp_decoding/*; do
		[ -f "$f" ] && sed -n 2p "$f"
	done >>"$OUT/vectors.hex"
	while read -r hex; do
		[ -n "$hex" ] || continue
		n=$((n + 1))
		printf '%s' "$hex" | xxd -r -p >"$OUT/vectors/v$n.bin"
	done <"$OUT/vectors.hex"
}
vectors_corpus

bins=(build/fuzz/fuzz_*)
if [ ! -x "${bins[0]}" ]; then
	echo "FAIL no fuzz target in build/fuzz (run make fuzzers)"
	exit 1
fi
status=0
for bin in "${bins[@]}"; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	for dir in "$DATA"/fuzz/*/ "$OUT/vectors/"; do
		corpus=$(basename "$dir")
		log=$OUT/replay-$name-$corpus.log
		mapfile -t files < <(find "$dir" -maxdepth 1 -type f ! -iname '*LICENSE*' | sort)
		[ "${#files[@]}" -gt 0 ] || continue
		if "$bin" -runs=0 "${files[@]}" >"$log" 2>&1; then
			echo "REPLAY ok $name $corpus ${#files[@]}"
		else
			crash=$(grep -E '^Running: ' "$log" | tail -1 | sed 's/^Running: //')
			echo "REPLAY FAIL $name $corpus ${#files[@]} crash: $crash (log: ${log#$TOP/})"
			status=1
		fi
	done
	corpus=$OUT/corpus-$name
	mkdir -p "$corpus" "$OUT/crash-$name"
	log=$OUT/fuzz-$name.log
	"$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=10 \
		-artifact_prefix="$OUT/crash-$name/" "$corpus" \
		"$DATA/fuzz/corpi_seed" >"$log" 2>&1
	rc=$?
	execs=$(grep -E '^stat::number_of_executed_units:' "$log" | awk '{print $2}')
	if [ $rc -eq 0 ]; then
		echo "FUZZ ok $name ${execs:-0}"
	else
		crash=$(ls "$OUT/crash-$name" 2>/dev/null | head -1)
		echo "FUZZ FAIL $name ${execs:-0} crash: $OUT/crash-$name/$crash (log: ${log#$TOP/})"
		status=1
	fi
done
exit $status
