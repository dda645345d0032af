#!/bin/bash
# t_openbgpd.sh - interop with OpenBGPD as an NVA: sessions over IPv4 and
# IPv6 transport, routes both ways checked on both sides (pharosctl and
# bgpctl), a withdrawal with "bgpctl network delete", and a capture of
# what pharosd sent checked with tshark.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_bin bgpd bgpctl

OBGPD_SOCK=$T_DIR/bgpd.sock

# obgpd_conf FILE: bgpd's config (mode 600, one option a line in blocks).
# The prefixes are announced later with bgpctl, so that they can be
# withdrawn the same way.
obgpd_conf() {
	cat >"$1" <<CONF
AS $IX_D_ASN
router-id $IX_D4
fib-update no
socket "$OBGPD_SOCK"
listen on $IX_D4
listen on $IX_D6
holdtime 30

neighbor $IX_RS4 {
	remote-as $IX_RS_ASN
	local-address $IX_D4
	descr "pharos-v4"
	announce IPv4 unicast
	announce IPv6 none
}
neighbor $IX_RS6 {
	remote-as $IX_RS_ASN
	local-address $IX_D6
	descr "pharos-v6"
	announce IPv4 none
	announce IPv6 unicast
}

allow from any
allow to any
CONF
	chmod 600 "$1"
}

bctl() { nsx nva bgpctl -s "$OBGPD_SOCK" "$@"; }

# obgpd_routes: routes learned from peers as "PREFIX|NEXT_HOP|AS PATH".
obgpd_routes() {
	bctl -j show rib | jq -r '
		.rib[]? | select(.aspath != "" and .aspath != null) |
		"\(.prefix)|\(.exit_nexthop)|\(.aspath)"'
}

# obgpd_established DESCR
obgpd_established() {
	bctl -j show neighbor "$1" 2>/dev/null |
		jq -e '.neighbors[0].state | ascii_downcase == "established"' >/dev/null
}

# /run/openbgpd is the privilege-separated engines' chroot; the service
# unit normally creates it. Create it when missing and remove it after.
if [ ! -d /run/openbgpd ]; then
	mkdir -p /run/openbgpd && atexit rmdir /run/openbgpd
fi

ix_topology
ix_start_pharos obgpd
obgpd_conf "$T_DIR/bgpd.conf"
nsx nva bgpd -n -f "$T_DIR/bgpd.conf" >"$T_DIR/bgpd-check.log" 2>&1 ||
	bail "OpenBGPD accepts its config"
start_in obgpd nva bgpd -d -f "$T_DIR/bgpd.conf"
wait_until 10 test -S "$OBGPD_SOCK" || bail "OpenBGPD started and its control socket exists"
for p in "${IX_D4_ROUTES[@]}" "${IX_D6_ROUTES[@]}"; do
	bctl network add "$p" >/dev/null || not_ok "bgpctl network add $p"
done
ix_start_nva2

ix_check_sessions obgpd
check_wait "OpenBGPD shows both sessions established" 10 \
	eval 'obgpd_established pharos-v4 && obgpd_established pharos-v6'
ix_check_learned obgpd
ix_check_ecmp obgpd
ix_check_received OpenBGPD obgpd_routes

check "bgpctl network delete (withdraw one prefix per family)" \
	eval 'bctl network delete "${IX_D4_ROUTES[1]}" >/dev/null &&
		bctl network delete "${IX_D6_ROUTES[1]}" >/dev/null'
ix_check_withdrawn obgpd
ix_finish
check "OpenBGPD stops cleanly" stop_proc obgpd
t_done
