#!/bin/bash
# t_md5.sh - TCP MD5 signatures (RFC 2385) between pharosd and BIRD 2.
#
# pharosd has two peers for BIRD, both with the same password file. BIRD
# uses that password on its IPv4 session and a wrong one on its IPv6
# session: the first establishes and its segments carry the MD5 option; the
# second never connects (the kernels drop the segments) for a whole window;
# once BIRD is reconfigured with the right password it establishes too.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_bin bird birdc

GOOD=pharos-md5-secret
BAD=not-the-secret

# bird_conf FILE PASSWORD_V6
bird_conf() {
	cat >"$1" <<CONF
router id $IX_D4;
log "$T_DIR/bird-daemon.log" all;
protocol device { }
protocol static static4 {
	ipv4;
	route ${IX_D4_ROUTES[0]} blackhole;
}
template bgp pharos_tpl {
	local as $IX_D_ASN;
	connect delay time 1;
	connect retry time 2;
	strict bind on;
}
protocol bgp pharos_v4 from pharos_tpl {
	local $IX_D4 as $IX_D_ASN;
	neighbor $IX_RS4 as $IX_RS_ASN;
	password "$GOOD";
	ipv4 { import all; export where source = RTS_STATIC; };
}
protocol bgp pharos_v6 from pharos_tpl {
	local $IX_D6 as $IX_D_ASN;
	neighbor $IX_RS6 as $IX_RS_ASN;
	password "$2";
	ipv6 { import all; export none; };
}
CONF
}

birdc_() { nsx nva birdc -s "$T_DIR/bird.ctl" "$@"; }

need_bin "$PHAROSD" "$PHAROSCTL" tshark jq
ns_create rs nva
ns_lan rs br0 nva
ns_addr rs br0 "$IX_RS4/24" "$IX_RS6/64"
ns_addr nva eth0 "$IX_D4/24" "$IX_D6/64"

printf '%s\n' "$GOOD" >"$T_DIR/md5.key"
chmod 600 "$T_DIR/md5.key"
conf=$T_DIR/pharosd.yaml
pharos_conf_begin "$conf" "asn=$IX_RS_ASN" "router_id=$IX_RS4" "listen=$IX_RS4,$IX_RS6" \
	hold_time=30 keepalive=10
pharos_conf_peer "$conf" md5-v4 nva "$IX_D4" "$IX_D_ASN" password_file="$T_DIR/md5.key"
pharos_conf_peer "$conf" md5-v6 nva "$IX_D6" "$IX_D_ASN" password_file="$T_DIR/md5.key"
pharos_conf_api "$conf" "$IX_API"
pharos_conf_vnet "$conf" hub "$IX_HUB4" "$IX_HUB6"

cap_start rs rs br0
pharosd_start rs "$conf" "$IX_API"
bird_conf "$T_DIR/bird.conf" "$BAD"
start_in bird nva bird -f -c "$T_DIR/bird.conf" -s "$T_DIR/bird.ctl"

check_wait "session with the right MD5 password establishes" 30 peer_established md5-v4
check_wait "pharosd holds ${IX_D4_ROUTES[0]} learned over the MD5 session" 15 \
	route_has "${IX_D4_ROUTES[0]}" md5-v4 "$IX_D4" "$IX_D_ASN"
check_never "session with a wrong MD5 password never establishes (12 s)" 12 \
	peer_established md5-v6
check "BIRD's side of the wrong-password session is not established either" \
	eval '! birdc_ show protocols pharos_v6 | grep -q Established'
# The window saw connection attempts (SYNs) over IPv6, and none was
# answered: the kernels dropped the segments whose signature did not match.
syn_v6() { # SRC DST: count of SYNs (no ACK) from SRC to DST so far
	tshark -n -r "$(cap_file rs)" -Y "ipv6.src == $1 && ipv6.dst == $2 &&
		tcp.flags.syn == 1 && tcp.flags.ack == 0" 2>/dev/null | wc -l
}
synack_v6() {
	tshark -n -r "$(cap_file rs)" -Y "(ipv6.src == $IX_RS6 || ipv6.src == $IX_D6) &&
		tcp.flags.syn == 1 && tcp.flags.ack == 1" 2>/dev/null | wc -l
}
n_syn=$(($(syn_v6 "$IX_D6" "$IX_RS6") + $(syn_v6 "$IX_RS6" "$IX_D6")))
check "IPv6 connection attempts were made during the window ($n_syn SYNs)" test "$n_syn" -gt 0
check_eq "no IPv6 SYN was answered with a wrong password" "$(synack_v6)" 0

bird_conf "$T_DIR/bird.conf" "$GOOD"
check "birdc configure (right password on the IPv6 session)" \
	eval 'birdc_ configure | grep -q Reconfigur'
check_wait "with the password fixed, the IPv6 session establishes" 30 peer_established md5-v6

check "pharosd exits 0 on SIGTERM" pharosd_stop
cap_stop rs
cap=$(cap_file rs)
n_sig=$(tshark -n -r "$cap" -Y "ip.src == $IX_RS4 && tcp.option_kind == 19" 2>/dev/null | wc -l)
n_all=$(tshark -n -r "$cap" -Y "ip.src == $IX_RS4 && tcp" 2>/dev/null | wc -l)
check "pharosd's IPv4 segments carry the TCP MD5 option ($n_sig of $n_all)" \
	test "$n_all" -gt 0 -a "$n_sig" -eq "$n_all"
cap_check_sent rs pharosd "$IX_RS4" "$IX_RS6"
check "pharosd stderr has no sanitizer report" sanitizer_clean "$T_DIR/pharosd.log"
check "BIRD stops cleanly" stop_proc bird
t_done
