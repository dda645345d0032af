#!/bin/bash
# report.sh - turns the benchmark's per-run lines (scenario, daemon, run,
# status, announce s, withdraw s, cpu s, peak kB, down s, largest UPDATE
# bytes the monitors received) into one table: the
# median of each cell over the runs, peak memory in MB, and each daemon's
# ratio to pharos in the same scenario. Printed aligned as plain text and
# written as markdown. Sourced by bench/run.sh (needs scenario_desc).

REPORT_HEAD="scenario	daemon	status	announce_s	withdraw_s	down_s	cpu_s	peak_MB	announce_x	withdraw_x	down_x	cpu_x	mem_x	max_update_B"

# report_rows RESULTS_TSV: the table body, tab separated.
report_rows() {
	awk -F'\t' '
	function median(list,   n, v, i, j, t) {
		n = split(list, v, " ")
		if (n == 0) return ""
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
				t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
			}
		return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	}
	function num(x) { return x ~ /^[0-9.]+$/ }
	{
		k = $1 SUBSEP $2
		if (!(k in runs)) { order[++nk] = k; sc[k] = $1; dm[k] = $2 }
		runs[k]++
		if ($4 != "ok") { bad[k]++; why[k] = $4 }
		if (num($5)) m[k, 1] = m[k, 1] " " $5
		if (num($6)) m[k, 2] = m[k, 2] " " $6
		if (num($9)) m[k, 3] = m[k, 3] " " $9
		if (num($7)) m[k, 4] = m[k, 4] " " $7
		if (num($8)) m[k, 5] = m[k, 5] " " $8 / 1024
		if (num($10) && $10 + 0 > big[k] + 0) big[k] = $10
	}
	END {
		for (i = 1; i <= nk; i++) {
			k = order[i]
			for (j = 1; j <= 5; j++) med[k, j] = median(m[k, j])
		}
		for (i = 1; i <= nk; i++) {
			k = order[i]; p = sc[k] SUBSEP "pharos"
			st = bad[k] ? why[k] " " bad[k] "/" runs[k] : "ok"
			line = sc[k] "\t" dm[k] "\t" st
			for (j = 1; j <= 5; j++) {
				v = med[k, j]
				line = line "\t" (v == "" ? "-" : sprintf(j == 5 ? "%.0f" : (j == 4 ? "%.2f" : "%.3f"), v))
			}
			for (j = 1; j <= 5; j++) {
				v = med[k, j]; b = (p in runs) ? med[p, j] : ""
				line = line "\t" (v == "" || b == "" || b + 0 == 0 ? "-" : sprintf("x%.2f", v / b))
			}
			print line "\t" (k in big ? big[k] : "-")
		}
	}' "$1"
}

# report_text RESULTS_TSV: the aligned plain-text table on stdout.
report_text() {
	{ echo "$REPORT_HEAD"; report_rows "$1"; } | column -t -s $'\t'
}

# report_md RESULTS_TSV: the markdown table (and the scenario legend).
report_md() {
	local s
	echo "| ${REPORT_HEAD//	/ | } |"
	echo "|$(echo "$REPORT_HEAD" | awk -F'\t' '{ for (i = 1; i <= NF; i++) printf (i > 3 ? "---:|" : "---|") }')"
	report_rows "$1" | sed 's/\t/ | /g; s/^/| /; s/$/ |/'
	echo
	for s in $(cut -f1 "$1" | awk '!seen[$0]++'); do
		echo "- scenario $s: $(scenario_desc "$s")"
	done
	echo "- max_update_B: the largest UPDATE any monitor received from the server (4096 is the limit without Extended Messages, RFC 8654); extended messages ${BENCH_EXTMSG:-off} for the testers and monitors"
	[ "${SCALE:-1}" = 1 ] || echo "- prefix counts of scenarios 1-5 multiplied by $SCALE (--scale)"
}
