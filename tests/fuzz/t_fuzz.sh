#!/bin/bash
# t_fuzz.sh - integration test of the fuzz runner: replays every corpus
# (FRR/BIRD fuzzing inputs, GoBGP bad lengths, the decoder vectors) through
# each libFuzzer target and fuzzes each for FUZZ_SECONDS (20 s default).
# Prints one TAP line per corpus replay and per fuzzing run.
set -u
cd "$(dirname "$0")/../.."
export PHAROS_DATA=${PHAROS_DATA:-$PWD/tests/data}
fail=0
if ! ls build/fuzz/fuzz_* >/dev/null 2>&1; then
	echo "not ok - fuzz targets built (run make fuzzers)"
	exit 1
fi
out=$(tests/fuzz/run.sh short 2>&1)
rc=$?
replays=0
while read -r kind res name a b rest; do
	case "$kind $res" in
	"REPLAY ok") echo "ok - replay $a ($b files, $name)"; replays=$((replays + 1)) ;;
	"REPLAY FAIL") echo "not ok - replay $a ($name) $rest"; fail=1 ;;
	"FUZZ ok")
		if [ "${a:-0}" -gt 0 ]; then
			echo "ok - $name ran $a executions"
		else
			echo "not ok - $name ran no execution"; fail=1
		fi ;;
	"FUZZ FAIL") echo "not ok - $name ran $a executions: $b $rest"; fail=1 ;;
	esac
done <<<"$out"
if [ "$replays" -eq 0 ]; then
	echo "not ok - no corpus replayed"
	fail=1
fi
[ $rc -eq 0 ] || fail=1
exit $fail
