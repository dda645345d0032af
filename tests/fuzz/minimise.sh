#!/bin/bash
# minimise.sh - rebuild the minimised BGP message corpora of tests/data/fuzz
# from full copies, with libFuzzer's corpus merge (-merge=1 keeps every input
# that adds coverage and drops the rest), and print the coverage of the full
# and the minimised folder for each message target, so the two can be
# compared (tests/data/SOURCES.md records the numbers).
#
#   tests/fuzz/minimise.sh FULL/corpi_bird FULL/corpi_frr_bgpd ...
#
# Each FULL/NAME replaces tests/data/fuzz/NAME. Needs `make fuzzers`.
set -eu
cd "$(dirname "$0")/../.."
TOP=$PWD
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$TOP/tests/fuzz/lsan.supp:print_suppressions=0}
targets=(fuzz_decode fuzz_update_rib)
[ $# -gt 0 ] || { echo "usage: $0 FULL_DIR..." >&2; exit 2; }
for t in "${targets[@]}"; do
	[ -x "build/fuzz/$t" ] || { echo "build/fuzz/$t missing (make fuzzers)" >&2; exit 1; }
done
cov() { "build/fuzz/$1" -runs=0 "$2" 2>&1 | grep -oE 'INITED cov: [0-9]+ ft: [0-9]+' | tail -1; }
for full in "$@"; do
	name=$(basename "$full")
	out=tests/data/fuzz/$name
	rm -rf "$out" && mkdir -p "$out"
	for t in "${targets[@]}"; do
		"build/fuzz/$t" -merge=1 -rss_limit_mb=1024 -timeout=10 "$out" "$full" \
			>"build/fuzz/merge-$t-$name.log" 2>&1
	done
	echo "$name: $(find "$full" -type f | wc -l) files -> $(find "$out" -type f | wc -l)"
	for t in "${targets[@]}"; do
		echo "  $t full:      $(cov "$t" "$full")"
		echo "  $t minimised: $(cov "$t" "$out")"
	done
done
