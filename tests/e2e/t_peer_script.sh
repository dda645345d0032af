#!/bin/bash
# t_peer_script.sh - pharos-peer's bulk script commands and monitor
# options, which the benchmark harness (bench/run.sh) is built on: a
# tester announces a generated load, holds on "wait-signal" (keepalives
# going) until SIGUSR1, then "withdraw-all" withdraws everything in
# packed UPDATEs; a monitor (--listen) with --wait-prefixes N
# --wait-empty sees N, then zero, exits 0 and reports the moments
# t_full <= t_empty in its --stats line. Also "wait-file", the
# per-update limit of withdraw-all, "mrt" as a script step, and that an
# MRT replay sends no End-of-RIB for a family the peer did not offer.
# Everything runs on the loopback of a namespace of its own.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_bin "$PHAROS_PEER" jq
RV=$PHAROS_DATA/routeviews/rib.20140523.0600_firstMB.bz2

ns_create p
PORT=1179

# listen NAME OPTS...: a monitor listening on 127.0.0.1:PORT in p.
listen() {
	local name=$1
	shift
	start_in "$name" p "$PHAROS_PEER" --listen -a 65001 --stats "$@" 127.0.0.1 "$PORT"
	wait_until 5 eval '[ -n "$(nsx p ss -Hltn "sport = :$PORT")" ]' ||
		bail "$name listens"
}

# tester NAME SCRIPT OPTS...: a pharos-peer running SCRIPT against it.
tester() {
	local name=$1 script=$2
	shift 2
	start_in "$name" p "$PHAROS_PEER" -a 65002 -o none --stats -f "$script" "$@" \
		127.0.0.1 "$PORT"
}

# stat_of NAME JQ: a jq expression on the last --stats line of NAME.
stat_of() { grep '"type":"stats"' "$(log_of "$1")" | tail -1 | jq -r "$2"; }
# moment_ns NAME FIELD: a t_* moment of the last stats line, in ns.
moment_ns() {
	grep '"type":"stats"' "$(log_of "$1")" | tail -1 |
		sed -n "s/.*\"$2\":\([0-9]*\)\.\([0-9]\{9\}\).*/\1\2/p"
}
# updates_withdrawing NAME AFI: UPDATEs (JSON lines) withdrawing prefixes
# of that family (":" in the prefix for IPv6).
updates_withdrawing() {
	jq -r 'select(.type == "update" and (.withdraw | length) > 0) |
		.withdraw[0]' "$(log_of "$1")" 2>/dev/null |
		if [ "$2" = ipv6 ]; then grep -c :; else grep -vc :; fi
}

# ---------------------------------------------------- 1: generate, wait-signal, withdraw-all

cat >"$T_DIR/s1" <<EOF
generate 1000 start 198.19.0.0
announce 2001:db8:1::/48,2001:db8:2::/48
wait-signal
withdraw-all
EOF
listen mon1 -o json -H 3 --wait-prefixes 1002 --wait-empty
tester t1 "$T_DIR/s1" -H 3
check_wait "monitor holds the 1002 announced prefixes (interim stats line)" 10 \
	eval '[ "$(stat_of mon1 .prefixes_held 2>/dev/null)" = 1002 ]'
check_eq "the interim line has t_full and no t_empty yet" \
	"$(stat_of mon1 '.t_full != null and .t_empty == null')" true
check_never "wait-signal holds: nothing withdrawn for 4 s (hold time 3 s: keepalives go on)" 4 \
	eval '! alive mon1 || ! alive t1 || grep -q "\"withdraw\":\[\"" "$(log_of mon1)"'
check "the tester's session is still up" alive t1
kill -USR1 "$(pid_of t1)"
check_wait "after SIGUSR1 the monitor sees zero prefixes and leaves" 10 eval '! alive mon1'
stop_proc mon1
check_eq "monitor exit status 0 (--wait-empty met)" "$T_RC" 0
check_eq "monitor: 1002 received, 1002 withdrawn, 0 held" \
	"$(stat_of mon1 '[.prefixes_received, .withdrawn_received, .prefixes_held] | join(" ")')" \
	"1002 1002 0"
full=$(moment_ns mon1 t_full) empty=$(moment_ns mon1 t_empty)
check_match "t_full and t_empty are CLOCK_REALTIME moments with ns" "$full $empty" \
	'^1[0-9]{18} 1[0-9]{18}$'
check "t_full <= t_empty" [ "${full:-1}" -le "${empty:-0}" ]
check_eq "withdraw-all packs the 1000 IPv4 prefixes into one UPDATE" \
	"$(updates_withdrawing mon1 ipv4)" 1
check_eq "and the 2 IPv6 prefixes into one more (MP_UNREACH)" \
	"$(updates_withdrawing mon1 ipv6)" 1
stop_proc t1
check_eq "tester counted 1002 sent and 1002 withdrawn" \
	"$(stat_of t1 '[.prefixes_sent, .withdrawn_sent] | join(" ")')" "1002 1002"
check_match "tester reports t_first_tx and t_last_tx" \
	"$(moment_ns t1 t_first_tx) $(moment_ns t1 t_last_tx)" '^1[0-9]{18} 1[0-9]{18}$'

# ---------------------------------------------------- 2: wait-file, per-update, --wait-empty alone

cat >"$T_DIR/s2" <<EOF
generate 300 per-update 7 start 198.19.8.0
wait-file $T_DIR/go
withdraw-all per-update 100
EOF
listen mon2 -o json --wait-empty
tester t2 "$T_DIR/s2"
check_wait "monitor (--wait-empty alone) holds the 300 prefixes" 10 \
	eval 'grep -c "\"announce\":\[{" "$(log_of mon2)" | grep -qx 43'
check_never "wait-file holds while the file is missing" 1.5 eval '! alive mon2'
touch "$T_DIR/go"
check_wait "once the file exists everything is withdrawn and the monitor leaves" 10 \
	eval '! alive mon2'
stop_proc mon2
check_eq "monitor exit status 0" "$T_RC" 0
check_eq "per-update 100: three UPDATEs withdraw the 300 prefixes" \
	"$(updates_withdrawing mon2 ipv4)" 3
check_eq "monitor held 0 at the end" "$(stat_of mon2 .prefixes_held)" 0
stop_proc t2

# ---------------------------------------------------- 3: mrt step to an IPv4-only peer

if [ -r "$RV" ]; then
	# an OPEN offering IPv4 unicast only (and 4-octet AS 65001)
	open=ffffffffffffffffffffffffffffffff002d0104fde9005ac6120063
	open=${open}100206010400010001020641040000fde9
	cat >"$T_DIR/s3" <<EOF
mrt $RV
withdraw-all
EOF
	listen mon3 -o text --raw-open "$open" --wait-empty
	tester t3 "$T_DIR/s3"
	check_wait "mrt step then withdraw-all: the monitor sees the table come and go" 60 \
		eval '! alive mon3'
	stop_proc mon3
	check_eq "monitor exit status 0" "$T_RC" 0
	log=$(log_of mon3)
	check_match "it received thousands of prefixes" "$(stat_of mon3 .prefixes_received)" \
		'^[0-9]{4,}$'
	check "End-of-RIB for IPv4, the family offered" grep -qx "eor ipv4" "$log"
	check "no End-of-RIB (MP_UNREACH) for IPv6, a family the peer did not offer" \
		eval '! grep -q "eor ipv6" "$log"'
	check "no NOTIFICATION but the monitor's final Cease" \
		eval '! grep -hi notification "$(log_of t3)" "$log" | grep -v " 6/2 " | grep -q .'
	stop_proc t3
else
	not_ok "routeviews test data readable at $RV"
fi

# ---------------------------------------------------- 5: Extended Messages offered or not

# A tester packs 3,000 /24s as tightly as it may. Only when both sides
# offer Extended Messages (RFC 8654) may an UPDATE exceed 4,096 bytes;
# --no-ext-msg on either side keeps every message within 4,096.
echo "generate 3000 start 198.19.0.0" >"$T_DIR/s5"
# ext_case NAME LISTENER-OPT TESTER-OPT: run one pair; the monitor leaves
# once it holds all 3,000.
ext_case() {
	listen "$1" -o none --wait-prefixes 3000 $2
	tester "$1-t" "$T_DIR/s5" $3
	wait_until 30 eval "! alive $1"
	stop_proc "$1"
	stop_proc "$1-t"
}
ext_case mon5a "" ""
check_eq "both offer: the negotiated limit is 65,535 bytes" "$(stat_of mon5a .max_message)" 65535
check_match "both offer: UPDATEs larger than 4,096 bytes arrive" \
	"$(stat_of mon5a '.largest_update_received > 4096')" true
ext_case mon5b "" --no-ext-msg
check_eq "tester without Extended Messages: the limit is 4,096 bytes" "$(stat_of mon5b .max_message)" 4096
check_eq "tester without Extended Messages: all 3,000 prefixes arrive" "$(stat_of mon5b .prefixes_held)" 3000
check_match "tester without Extended Messages: no UPDATE exceeds 4,096 bytes" \
	"$(stat_of mon5b '.largest_update_received > 3000 and .largest_update_received <= 4096')" true
ext_case mon5c --no-ext-msg ""
check_eq "monitor without Extended Messages: the limit is 4,096 bytes" "$(stat_of mon5c .max_message)" 4096
check_match "monitor without Extended Messages: the tester sends none larger" \
	"$(stat_of mon5c '.largest_update_received > 3000 and .largest_update_received <= 4096')" true

# ---------------------------------------------------- 4: script errors

for bad in "generate" "generate 0" "generate 10 start banana" "withdraw-all 5" \
	"wait-signal now" "wait-file" "mrt" "generate 5 per-update 0"; do
	echo "$bad" >"$T_DIR/bad"
	out=$("$PHAROS_PEER" -a 65002 -f "$T_DIR/bad" 127.0.0.1 2>&1)
	check_match "script line '$bad' is refused" "$out" "bad command"
done
t_done
