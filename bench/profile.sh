#!/bin/bash
# bench/profile.sh - where pharosd's time goes in one benchmark cell.
#
# Runs one scenario of bench/run.sh for pharosd alone (one run, no `down`
# phase) with pharosd under `perf record` (the software cpu-clock event,
# so it works where hardware counters are not offered, timestamps on
# CLOCK_REALTIME), then cuts the samples at the moments the monitors
# and testers recorded: the announce phase (first UPDATE sent until
# monitor A holds every prefix) and the withdraw phase (the testers'
# withdrawals until monitor B holds none). For each phase it prints its
# length, pharosd's CPU time inside it and the functions that took it.
#
#   bench/profile.sh [--scenario S] [--scale F] [--ext-msg off|on]
#                    [--top N] [--keep DIR]
#
# Needs root, perf (Debian's linux-perf) and the builds bench/run.sh
# needs. With --keep DIR the perf data and the run's logs stay in DIR.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
SCEN=1 SCALE=1 EXT=off NTOP=25 KEEPDIR=""
while [ $# -gt 0 ]; do
	case $1 in
	--scenario) SCEN=$2; shift ;;
	--scale) SCALE=$2; shift ;;
	--ext-msg) EXT=$2; shift ;;
	--top) NTOP=$2; shift ;;
	--keep) KEEPDIR=$2; shift ;;
	-h|--help) sed -n 2,18p "$0"; exit 0 ;;
	*) echo "profile.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
command -v perf >/dev/null || { echo "profile.sh: perf missing (apt-get install linux-perf)" >&2; exit 1; }
PHAROSD=${BENCH_PHAROSD:-$TOP/build/pharosd}
[ -x "$PHAROSD" ] || { echo "profile.sh: $PHAROSD missing: run make" >&2; exit 1; }

WORK=$(mktemp -d /tmp/pharos-profile.XXXXXX)
trap '[ -n "$KEEPDIR" ] || rm -rf "$WORK"' EXIT
# the wrapper bench/run.sh starts instead of pharosd: a config check
# (-n) runs plainly, the daemon under perf
cat >"$WORK/pharosd" <<EOF
#!/bin/bash
for a in "\$@"; do [ "\$a" = -n ] && exec "$PHAROSD" "\$@"; done
exec perf record -q -k CLOCK_REALTIME -e cpu-clock -F 4999 -o "$WORK/perf.data" -- "$PHAROSD" "\$@"
EOF
chmod +x "$WORK/pharosd"

BENCH_PHAROSD="$WORK/pharosd" KEEP=1 \
	"$TOP/bench/run.sh" --daemons pharos --scenarios "$SCEN" --scale "$SCALE" \
	--ext-msg "$EXT" --runs 1 --no-down --out "$WORK/results.md" \
	>"$WORK/run.out" 2>&1 || true
grep -E "run 1:" "$WORK/run.out" || true
KEPT=$(sed -n 's/^# kept //p' "$WORK/run.out" | tail -1)
[ -n "$KEPT" ] && mv "$KEPT" "$WORK/run"
RUN="$WORK/run/$SCEN-pharos-1"
[ -d "$RUN" ] && [ -s "$WORK/perf.data" ] || { echo "profile.sh: the run left no profile" >&2; exit 1; }

# phase windows from the --stats lines: announce from the first UPDATE a
# tester sent to monitor A's t_full; withdraw from the last tester's
# sleep end (its last UPDATE sent minus its sending time is not known,
# so the window starts 50 ms before the last withdrawal went out, which
# is after the announce phase ended) to monitor B's t_empty
read -r A0 A1 W0 W1 < <(python3 - "$RUN" <<'PY'
import glob, json, sys
d = sys.argv[1]
def stats(f):
    return [json.loads(l) for l in open(f) if '"type":"stats"' in l]
ts = [s for f in glob.glob(d + "/t*.log") for s in stats(f)]
a0 = min(s["t_first_tx"] for s in ts if s.get("t_first_tx"))
a1 = stats(d + "/monA.log")[-1]["t_full"]
w1 = stats(d + "/monB.log")[-1]["t_empty"]
w0 = max(s["t_last_tx"] for s in ts if s.get("t_last_tx")) - 0.05
print("%.6f %.6f %.6f %.6f" % (a0, a1, max(w0, a1), w1))
PY
)
phase() { # NAME T0 T1
	local ms cpu
	ms=$(awk -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", (b - a) * 1000 }')
	cpu=$(perf report -i "$WORK/perf.data" --time "$2,$3" --sort comm -g none \
		--stdio 2>/dev/null | awk '/^# Event count/ { printf "%.0f", $NF / 1e6 }' || true)
	echo "== $1: ${ms} ms, pharosd CPU ${cpu:-0} ms"
	perf report -i "$WORK/perf.data" --time "$2,$3" --no-children --sort symbol \
		-g none --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -"$NTOP" || true
}
echo "scenario $SCEN, scale $SCALE, ext-msg $EXT"
phase announce "$A0" "$A1"
phase withdraw "$W0" "$W1"
if [ -n "$KEEPDIR" ]; then
	mkdir -p "$KEEPDIR"
	cp -r "$WORK"/. "$KEEPDIR"/
	echo "kept in $KEEPDIR"
fi
