#!/bin/bash
# t_gr_restart_bird.sh - pharosd's own graceful restart (RFC 4724) seen
# from two BIRD NVAs with `graceful restart on`: pharosd stopped with
# SIGUSR2 (sessions closed without a NOTIFICATION) and later killed with
# SIGKILL, then started again; throughout, b1 keeps the routes it learned
# from pharosd (the hub's address space pharosd originates and b2's
# route), sampled every 200 ms. After the restart pharosd's OPEN carries
# the Restart State bit, it waits for both BIRDs' End-of-RIB before it
# sends routes, and BIRD ends its helper mode with the routes in place.
#
#   rs  (pharosd, AS 65515)  br0  198.18.1.1/24
#   b1  (BIRD, AS 65001)     eth0 198.18.1.2/24  U1
#   b2  (BIRD, AS 65002)     eth0 198.18.1.3/24  U2
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_bin bird birdc "$PHAROSD" "$PHAROSCTL" jq

RS=198.18.1.1 B1=198.18.1.2 B2=198.18.1.3
API=127.0.0.1:8179
U1=198.19.201.0/24 U2=198.19.202.0/24
HUB=198.18.100.0/24

bird_conf() { # N ADDR ASN PREFIX
	bird_rs_conf "$1" "$2" "$3" "protocol static { ipv4; route $4 blackhole; }" "" "" \
		"graceful restart on;"
}

birdc_() { local n=$1; shift; nsx "$n" birdc -s "$T_DIR/$n.ctl" "$@"; }
bird_has() { birdc_ "$1" show route "$2" protocol pharos | grep -q "^$2 "; }
bird_established() { birdc_ "$1" show protocols pharos | grep -q Established; }

# watch_b1: sample b1's routes from pharosd every 200 ms into
# $T_DIR/watch (one line per sample: "ok" or "MISSING ..."), until
# $T_DIR/watch.stop exists.
watch_b1() {
	rm -f "$T_DIR/watch" "$T_DIR/watch.stop"
	while [ ! -e "$T_DIR/watch.stop" ]; do
		if bird_has b1 "$HUB" && bird_has b1 "$U2"; then
			echo ok
		else
			echo "MISSING $(date +%T.%N)"
		fi >>"$T_DIR/watch"
		sleep 0.2
	done
}
watch_stop() { touch "$T_DIR/watch.stop"; wait "$WATCH_PID" 2>/dev/null; }

ns_create rs b1 b2
ns_lan rs br0 b1 b2
ns_addr rs br0 "$RS/24"
ns_addr b1 eth0 "$B1/24"
ns_addr b2 eth0 "$B2/24"

CONF=$T_DIR/pharosd.yaml
pharos_conf_begin "$CONF" asn=65515 router_id=$RS listen=$RS hold_time=30 keepalive=10 \
	startup_hold_s=20
pharos_conf_peer "$CONF" b1 nva "$B1" 65001
pharos_conf_peer "$CONF" b2 nva "$B2" 65002
pharos_conf_api "$CONF" "$API"
pharos_conf_vnet "$CONF" hub "$HUB"
pharosd_start rs "$CONF" "$API"

bird_conf b1 "$B1" 65001 "$U1"
bird_conf b2 "$B2" 65002 "$U2"
start_in b1 b1 bird -f -c "$T_DIR/b1.conf" -s "$T_DIR/b1.ctl"
start_in b2 b2 bird -f -c "$T_DIR/b2.conf" -s "$T_DIR/b2.ctl"
check_wait "b1 and b2 established" 30 eval 'peer_established b1 && peer_established b2'
check_wait "b1 (BIRD) holds the hub $HUB and b2's $U2 from pharosd" 20 \
	eval 'bird_has b1 "$HUB" && bird_has b1 "$U2"'

for how in USR2 KILL; do
	watch_b1 &
	WATCH_PID=$!
	if [ $how = USR2 ]; then
		check "pharosd stops on SIGUSR2 (graceful restart)" stop_proc pharosd USR2 10
		check_eq "it exits 0" "$T_RC" 0
		check "it sent no NOTIFICATION: BIRD did not log one" \
			eval '! grep -q "pharos: Received:" "$T_DIR/b1-daemon.log"'
	else
		stop_proc pharosd KILL 5
		check "pharosd killed with SIGKILL" eval '! alive pharosd'
	fi
	check_wait "[$how] b1 sees the session down" 10 eval '! bird_established b1'
	sleep 3
	check "[$how] b1 is a graceful restart helper (Neighbor graceful restart active)" \
		eval 'birdc_ b1 show protocols all pharos | grep -q "Neighbor graceful restart active"'
	check "[$how] b1 still holds $HUB and $U2 with pharosd gone" \
		eval 'bird_has b1 "$HUB" && bird_has b1 "$U2"'
	pharosd_start rs "$CONF" "$API"
	check_wait "[$how] b1 and b2 established again" 30 \
		eval 'peer_established b1 && peer_established b2'
	check_wait "[$how] startup hold-down ended on both End-of-RIBs" 15 \
		grep -q "startup hold-down over: every peer sent End-of-RIB" "$(log_of pharosd)"
	check_wait "[$how] BIRD left helper mode (pharosd's End-of-RIB)" 15 \
		eval '! birdc_ b1 show protocols all pharos | grep -q "Neighbor graceful restart active"'
	sleep 2
	watch_stop
	check "[$how] b1 held $HUB and $U2 in every sample ($(wc -l <"$T_DIR/watch") taken)" \
		eval '! grep -q MISSING "$T_DIR/watch" && [ "$(wc -l <"$T_DIR/watch")" -gt 10 ]'
done

check "pharosd exits 0 on SIGTERM" pharosd_stop
check "pharosd stderr has no sanitizer report" sanitizer_clean "$T_DIR/pharosd.log"
t_done
