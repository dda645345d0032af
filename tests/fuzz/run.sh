#!/bin/bash
# run.sh - replay the seed corpora through every libFuzzer target, then
# fuzz each target for a bounded time.
#
#   tests/fuzz/run.sh short   replay + about 60 s of fuzzing in all
#                             (FUZZ_SECONDS per target, default 60/targets)
#   tests/fuzz/run.sh long    replay + FUZZ_SECONDS (default 300) per target
#
# Seeds, per kind of target:
#   BGP messages (fuzz_decode, fuzz_update_rib): every folder of
#     $PHAROS_DATA/fuzz (default tests/data/fuzz; LICENSE files skipped)
#     and the raw messages of
#     $PHAROS_DATA/vectors, turned into binary files under build/fuzz/run/;
#   configuration (fuzz_conf): tests/golden/conf/*.yaml, examples/*.yaml
#     and the regression inputs of tests/fuzz/seeds/conf (findings);
#   API requests (fuzz_api): the request seeds written below (path NUL
#     query NUL body).
#   BFD control packets (fuzz_bfd): the packets written below (down,
#     init, up with poll and final, keyed SHA1 and simple password).
# Prints one line per replay and per fuzzing run:
#   REPLAY ok|FAIL <target> <corpus> <files> [crash: <file>]
#   FUZZ ok|FAIL <target> <executions> [crash: <file>]
# and exits non-zero when anything crashed. Targets are built by
# `make fuzzers` (build/fuzz/fuzz_*).
set -u
mode=${1:-short}
cd "$(dirname "$0")/../.."
TOP=$PWD
DATA=${PHAROS_DATA:-$TOP/tests/data}
bins=(build/fuzz/fuzz_*)
if [ ! -x "${bins[0]}" ]; then
	echo "FAIL no fuzz target in build/fuzz (run make fuzzers)"
	exit 1
fi
case $mode in
short) secs=${FUZZ_SECONDS:-$((60 / ${#bins[@]}))} ;;
long) secs=${FUZZ_SECONDS:-300} ;;
*) echo "usage: $0 short|long" >&2; exit 2 ;;
esac
[ "$secs" -ge 1 ] || secs=1
OUT=$TOP/build/fuzz/run
rm -rf "$OUT"
mkdir -p "$OUT/vectors" "$OUT/conf" "$OUT/api" "$OUT/bfd"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$TOP/tests/fuzz/lsan.supp:print_suppressions=0}

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

conf_corpus() {
	local f
	for f in tests/golden/conf/*.yaml examples/*.yaml examples/*/*.yaml \
		tests/fuzz/seeds/conf/*; do
		[ -f "$f" ] && cp "$f" "$OUT/conf/$(echo "${f#*/}" | tr / _)"
	done
}

api_corpus() {
	local i=0 s
	for s in 'nva-1\0prefix=198.18.0.0/24\0' 'nva-1/disable\0198.18.0.0/15\0{"message":"maintenance"}' \
		'er-gw/adj-in\02001:db8::/32\0{}' '../etc/passwd\0../../x\0[1,2]' \
		'a/b/c\0 10.0.0.1 \0{"message":"\u00e9t\u00e9"}' '\0999999999999\0{"message":1}' \
		'peer%2fname\0::/0\0{"message":"x","message":"y"}' 'x\01.2.3.4/33\0{'; do
		i=$((i + 1))
		printf "$s" >"$OUT/api/seed$i"
	done
}
bfd_corpus() {
	local i=0 h
	for h in 2040031800000001000000000000f4240000f4240000000000 \
		20800318000000070000000100018a8000018a8000000000 \
		20e0031800000007000000090000186a0000186a000000000 \
		20d4031c0000000700000009000186a0000186a00000000001080170617373776f7264 \
		20c4033400000007000000090000186a0000186a000000000041c010000000020102030405060708090a0b0c0d0e0f1011121314; do
		i=$((i + 1))
		printf '%s' "$h" | xxd -r -p >"$OUT/bfd/seed$i"
	done
}
vectors_corpus
conf_corpus
api_corpus
bfd_corpus

# corpora_of TARGET: the seed folders of a target, one a line.
corpora_of() {
	case $1 in
	fuzz_conf) echo "$OUT/conf/" ;;
	fuzz_api) echo "$OUT/api/" ;;
	fuzz_bfd) echo "$OUT/bfd/" ;;
	*)
		for d in "$DATA"/fuzz/*/; do echo "$d"; done
		echo "$OUT/vectors/" ;;
	esac
}

status=0
for bin in "${bins[@]}"; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	mapfile -t dirs < <(corpora_of "$name")
	for dir in "${dirs[@]}"; do
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
	# the smallest seed folder starts the run (the big ones were replayed)
	seeds=${dirs[0]}
	[ "$name" = fuzz_conf ] || [ "$name" = fuzz_api ] ||
		[ "$name" = fuzz_bfd ] || seeds=$DATA/fuzz/corpi_seed
	extra=()
	[ "$seeds" != "$DATA/fuzz/corpi_seed" ] || [ ! -d "$DATA/fuzz/addpath_seed" ] ||
		extra=("$DATA/fuzz/addpath_seed")
	log=$OUT/fuzz-$name.log
	"$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=10 \
		-rss_limit_mb=1024 -artifact_prefix="$OUT/crash-$name/" \
		"$corpus" "$seeds" "${extra[@]}" >"$log" 2>&1
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
