#!/bin/bash
# t_bfd_auth_bird.sh - BFD keyed SHA1 authentication (RFC 5880 6.7.4)
# with BIRD: both sides with the same key and key id bring BFD up; BIRD
# reconfigured with another key is refused by pharosd (packets counted as
# bad), so BFD and the BGP session go down; the right key brings both
# back. Then meticulous keyed SHA1 the same way up.
#
#   rs  (pharosd, AS 65515)  br0  198.18.1.1/24
#   b1  (BIRD, AS 65001)     eth0 198.18.1.2/24
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_bin bird birdc "$PHAROSD" "$PHAROSCTL" jq

RS=198.18.1.1 B1=198.18.1.2
API=127.0.0.1:8179

# bird_conf KEY AUTH: BIRD with BFD authentication AUTH ("keyed sha1",
# "meticulous keyed sha1") and password KEY, key id 7.
bird_conf() {
	cat >"$T_DIR/b1.conf" <<CONF
router id $B1;
log "$T_DIR/b1-daemon.log" all;
protocol device { }
protocol bfd {
	multihop {
		min rx interval 100 ms; min tx interval 100 ms; multiplier 3;
		authentication $2;
		password "$1" { id 7; };
	};
}
protocol bgp pharos {
	local $B1 as 65001;
	neighbor $RS as 65515;
	multihop;
	connect delay time 1;
	connect retry time 2;
	error wait time 1, 5;
	hold time 90;
	strict bind on;
	bfd on;
	ipv4 { import all; export none; };
}
CONF
}
birdc_() { nsx b1 birdc -s "$T_DIR/b1.ctl" "$@"; }
bfd_field() {
	pctl show peers | jq -r --arg f "$1" '.peers[] | select(.name == "b1") | .bfd[$f]'
}
bfd_field_is() { [ "$(bfd_field "$1")" = "$2" ]; }

# pharos_start AUTH: pharosd with BFD auth AUTH, key id 7, key s3cret.
pharos_start() {
	CONF=$T_DIR/pharosd.yaml
	pharos_conf_begin "$CONF" asn=65515 router_id=$RS listen=$RS hold_time=90 keepalive=30
	pharos_conf_peer "$CONF" b1 nva "$B1" 65001 \
		"bfd={min_rx_ms: 100, min_tx_ms: 100, multiplier: 3, auth: $1, key_id: 7, password_file: $T_DIR/bfd.key}"
	pharos_conf_api "$CONF" "$API"
	pharosd_start rs "$CONF" "$API"
}

ns_create rs b1
ns_lan rs br0 b1
ns_addr rs br0 "$RS/24"
ns_addr b1 eth0 "$B1/24"
echo s3cret >"$T_DIR/bfd.key"

pharos_start keyed-sha1
check_match "pharosd -p shows the authentication, not the key" \
	"$(nsx rs "$PHAROSD" -p -c "$CONF" | grep 'bfd:')" "auth: keyed-sha1, key_id: 7, password_file: $T_DIR/bfd.key"
bird_conf s3cret "keyed sha1"
start_in b1 b1 bird -f -c "$T_DIR/b1.conf" -s "$T_DIR/b1.ctl"
check_wait "b1 established" 30 peer_established b1
check_wait "BFD up with keyed SHA1 on both sides" 15 bfd_field_is state up
check_wait "BIRD shows its BFD session Up" 5 eval 'birdc_ show bfd sessions | grep -q " Up "'
check_eq "no packet refused" "$(bfd_field packets_bad)" 0
check_eq "bfd.auth is keyed-sha1" "$(bfd_field auth)" keyed-sha1

bird_conf wrong-key "keyed sha1"
check "birdc configure (another key)" eval 'birdc_ configure | grep -q Reconfigur'
check_wait "pharosd refuses BIRD's packets (packets_bad rises)" 10 \
	eval '[ "$(bfd_field packets_bad)" -gt 0 ]'
check_wait "BFD goes down" 10 eval '! bfd_field_is state up'
check_wait "the BGP session goes down with it" 10 eval '! peer_established b1'

bird_conf s3cret "keyed sha1"
check "birdc configure (the right key)" eval 'birdc_ configure | grep -q Reconfigur'
check_wait "BFD up again" 20 bfd_field_is state up
check_wait "b1 established again" 40 peer_established b1
check "pharosd exits 0 on SIGTERM" pharosd_stop
check "pharosd stderr has no sanitizer report" sanitizer_clean "$T_DIR/pharosd.log"

# --- meticulous keyed SHA1
pharos_start meticulous-keyed-sha1
bird_conf s3cret "meticulous keyed sha1"
check "birdc configure (meticulous keyed sha1)" eval 'birdc_ configure | grep -q Reconfigur'
check_wait "BFD up with meticulous keyed SHA1" 20 bfd_field_is state up
check_wait "b1 established" 40 peer_established b1
check "pharosd exits 0 on SIGTERM" pharosd_stop
check "pharosd stderr has no sanitizer report" sanitizer_clean "$T_DIR/pharosd.log"
t_done
