#!/bin/bash
# bfd_silent.sh - how fast a silent NVA is noticed with BFD.
#
# Runs tests/interop/t_bfd_bird.sh (BIRD at BFD 100 ms x 3 on a multihop
# session, BGP hold time 90 s) with the release build and RUNS silence
# cycles: each drops every packet of the NVA with nftables in its
# namespace and takes the time from the drop to pharosd's log line that
# says the BGP session (and with it the NVA's routes) went down. Prints
# each run and min/median/max in milliseconds.
#
# Usage: bench/bfd_silent.sh [RUNS]   (root; default 10; not in make test)
set -u
RUNS=${1:-10}
TOP=$(cd "$(dirname "$0")/.." && pwd)
out=$(PHAROS_BIN=$TOP/build BFD_RUNS=$RUNS "$TOP/tests/interop/t_bfd_bird.sh" 2>&1)
echo "$out" | grep -E '^not ok' && echo "(the test failed; figures may be partial)"
ms=$(echo "$out" | sed -n 's/^# run [0-9]*: BGP session down \([0-9]*\) ms.*/\1/p')
[ -n "$ms" ] || { echo "no measurement"; exit 1; }
echo "$ms" | awk '{ printf "run %d: %d ms\n", NR, $1 }'
echo "$ms" | sort -n | awk '{ v[NR] = $1 } END {
	m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	printf "BFD 100 ms x 3, %d runs: min %d ms, median %d ms, max %d ms\n", NR, v[1], m, v[NR] }'
