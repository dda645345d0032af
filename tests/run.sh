#!/bin/bash
# run.sh - run every pharos test and print one closing line
# "N passed, N failed" counting every test case, unit and integration.
#
# Unit tests (cmocka) run twice: the normal build and the ASan+UBSan build.
# Integration tests are scripts under tests/{interop,e2e,golden} and the fuzz
# replay; each prints TAP lines ("ok - name" / "not ok - name") and the
# runner counts them. A script that dies without a "not ok" line counts as
# one failure of its own. Set TESTS=pattern to run a subset.
set -u
cd "$(dirname "$0")/.."
TOP=$PWD
LOGDIR=$TOP/build/test-logs
rm -rf "$LOGDIR"; mkdir -p "$LOGDIR"
export PHAROS_TOP=$TOP
export PHAROS_BIN=${PHAROS_BIN:-$TOP/build/asan}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export CMOCKA_MESSAGE_OUTPUT=TAP
export PHAROS_DATA=${PHAROS_DATA:-$TOP/tests/data}
pass=0 fail=0
filter=${TESTS:-}

count() { # name logfile rc
	local name=$1 log=$2 rc=$3 p f
	p=$(grep -cE '^ok ' "$log")
	f=$(grep -cE '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name exited with status $rc" >>"$log"
	fi
	if [ $((p + f)) -eq 0 ]; then
		f=1
		echo "not ok - $name ran no test" >>"$log"
	fi
	pass=$((pass + p)); fail=$((fail + f))
	if [ "$f" -gt 0 ]; then
		echo "FAIL $name: $p passed, $f failed (log: ${log#$TOP/})"
		grep -E '^not ok ' "$log" | head -20 | sed 's/^/    /'
	else
		echo "ok   $name: $p passed"
	fi
}

run() { # name timeout cmd...
	local name=$1 t=$2; shift 2
	[ -n "$filter" ] && [[ "$name" != *$filter* ]] && return
	local log=$LOGDIR/${name//\//_}.log rc
	timeout -k 10 "$t" "$@" >"$log" 2>&1
	rc=$?
	count "$name" "$log" "$rc"
}

for b in build build/asan; do
	for t in "$b"/tests/test_*; do
		[ -x "$t" ] || continue
		run "unit${b#build}/$(basename "$t")" 300 "$t"
	done
done

for dir in tests/golden tests/fuzz tests/interop tests/e2e; do
	for s in "$dir"/t_*.sh; do
		[ -x "$s" ] || continue
		run "${dir#tests/}/$(basename "$s" .sh)" 900 "$s"
	done
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
