#!/bin/bash
# t_mrt.sh - MRT output of pharosd judged by bgpdump: three pharos-peer
# NVAs (IPv4 and IPv6 transport, IPv4 and IPv6 routes, communities, one
# prefix from two peers) feed pharosd; `pharosctl mrt dump FILE` must give
# a TABLE_DUMP_V2 file that bgpdump reads without complaint and whose view
# (prefix, peer, AS path, next hop, communities) is exactly what
# `pharosctl -j show routes` says. The periodic rib.* dumps and the
# updates.* BGP4MP log of api.mrt_dir must appear and read back too.
. "$(dirname "$0")/../lib.sh"

need_bin "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER" jq bgpdump
PORT=1790
API=127.0.0.1:18179
CONF=$T_DIR/pharosd.yaml
MRTDIR=$T_DIR/mrt
mkdir -p "$MRTDIR"

ns_create rs
pharos_conf_begin "$CONF" asn=65515 router_id=198.18.0.1 listen=127.0.0.1,::1 \
	port=$PORT hold_time=30 keepalive=10
pharos_conf_peer "$CONF" nva-a nva 127.0.0.2 65001 passive=true
pharos_conf_peer "$CONF" nva-b nva 127.0.0.3 65002 passive=true
pharos_conf_peer "$CONF" nva-6 nva ::1 65006 passive=true
pharos_conf_peer "$CONF" nva-idle nva 127.0.0.9 65009 passive=true
# The lab announces documentation prefixes (2001:db8::/32) over the
# loopback, which the default martians refuse when the configuration does
# not use them: give the list without the documentation ranges.
echo "  martians: [0.0.0.0/8, 127.0.0.0/8, 169.254.0.0/16, 224.0.0.0/4, 240.0.0.0/4, fe80::/10, ff00::/8]" >>"$CONF"
pharos_conf_api "$CONF" "$API"
{
	echo "  mrt_dir: $MRTDIR"
	echo "  mrt_interval: 2"
	echo "  mrt_updates: true"
} >>"$CONF"
pharos_conf_vnet "$CONF" hub 198.18.0.0/24
pharosd_start rs "$CONF" "$API"

# peer NAME ASN BIND [pharos-peer options...]
peer() {
	local name=$1 asn=$2 bind=$3 host=127.0.0.1
	shift 3
	[[ $bind == *:* ]] && host=::1
	start_in "$name" rs stdbuf -oL "$PHAROS_PEER" -a "$asn" -R 65515 -b "$bind" -o json "$@" "$host" $PORT
}
peer nva-a 65001 127.0.0.2 \
	-A "198.19.1.0/24,198.19.2.0/24 community 65001:100 65001:200" \
	-A "198.19.3.0/24 path 65100 65200 community 65535:666" \
	-A "2001:db8:10::/48 nh 2001:db8::2 community 65001:6" \
	-W 198.19.99.0/24
peer nva-b 65002 127.0.0.3 -A "198.19.1.0/24 path 65300" -A "198.19.4.0/24 med 20"
peer nva-6 65006 ::1 -A "2001:db8:20::/48,2001:db8:21::/48 community 65006:1"

for p in nva-a nva-b nva-6; do
	check_wait "$p established" 15 peer_established "$p"
done
_counts_are() {
	peer_field_is nva-a prefixes_accepted "$1" && peer_field_is nva-b prefixes_accepted "$2" &&
		peer_field_is nva-6 prefixes_accepted "$3"
}
check_wait "pharosd holds every route (4 from nva-a, 2 from nva-b, 2 from nva-6)" 10 \
	_counts_are 4 2 2

# ------------------------------------------------------------ mrt dump
DUMP=$T_DIR/rib.mrt
out=$(pctl mrt dump "$DUMP" 2>&1)
check "pharosctl mrt dump writes the file" test -s "$DUMP"
check_match "pharosctl -j mrt dump reports 4 peers, 7 prefixes and 8 routes" "$out" \
	'"peers":4,"prefixes":7,"routes":8'
human=$(nsx rs "$PHAROSCTL" -s "http://$API" mrt dump "$T_DIR/rib2.mrt" 2>&1)
check_match "pharosctl mrt dump prints a summary" "$human" \
	"^wrote .*rib2.mrt: [0-9]+ bytes, 4 peers, 7 prefixes, 8 routes$"
check "no temporary file is left next to the dump" \
	test -z "$(find "$T_DIR" -maxdepth 1 -name 'rib*.mrt.tmp*')"

bgpdump -m "$DUMP" >"$T_DIR/bgpdump.out" 2>"$T_DIR/bgpdump.err"
check_eq "bgpdump -m reads the dump (exit status)" "$?" 0
check "bgpdump prints no error or warning" \
	bash -c "! grep -qiE 'error|warn|invalid|unknown|corrupt' '$T_DIR/bgpdump.err'"
check_eq "bgpdump sees 8 TABLE_DUMP2 routes" \
	"$(grep -c '^TABLE_DUMP2|' "$T_DIR/bgpdump.out")" 8

# The two views as sorted lines
# "prefix|peer address|as path|next hop|communities|origin|med".
bgpdump_view() {
	awk -F'|' '$1 == "TABLE_DUMP2" { print $6 "|" $4 "|" $7 "|" $9 "|" $12 "|" $8 "|" $11 }' "$1" | sort
}
pctl_view() {
	local peers routes
	peers=$(pctl show peers) || return 1
	routes=$(pctl show routes) || return 1
	jq -r --argjson peers "$peers" '
		($peers.peers | map({(.name): .address}) | add) as $addr
		| .routes[] | .prefix as $p | .paths[]
		| select($addr[.peer] != null)
		| [$p, $addr[.peer], (.as_path | map(tostring) | join(" ")),
		   .next_hop, ((.communities // []) | map(tostring) | join(" ")),
		   (.origin | ascii_upcase), ((.med // 0) | tostring)]
		| join("|")' <<<"$routes" | sort
}
bgpdump_view "$T_DIR/bgpdump.out" >"$T_DIR/view.mrt"
pctl_view >"$T_DIR/view.api"
if diff -u "$T_DIR/view.api" "$T_DIR/view.mrt" >"$T_DIR/view.diff"; then
	ok "bgpdump's view of the dump equals pharosctl show routes (prefix, peer, AS path, next hop, communities, origin, MED)"
else
	not_ok "bgpdump's view of the dump equals pharosctl show routes (prefix, peer, AS path, next hop, communities, origin, MED)"
	sed 's/^/#   /' "$T_DIR/view.diff"
fi
check_eq "the view holds 8 routes" "$(wc -l <"$T_DIR/view.api")" 8
check "the MED of 198.19.4.0/24 is in the dump" \
	grep -q '^198.19.4.0/24|127.0.0.3|65002|127.0.0.3||IGP|20$' "$T_DIR/view.mrt"
check "both paths of 198.19.1.0/24 are in the dump" \
	grep -q '^198.19.1.0/24|127.0.0.3|65002 65300|127.0.0.3||IGP|0$' "$T_DIR/view.mrt"
check "an IPv6 route learned over IPv4 keeps its next hop" \
	grep -q '^2001:db8:10::/48|127.0.0.2|65001|2001:db8::2|65001:6|' "$T_DIR/view.mrt"
check "IPv6 routes from the IPv6 session name peer ::1" \
	grep -q '^2001:db8:20::/48|::1|65006|::1|65006:1|' "$T_DIR/view.mrt"
code=$(nsx rs curl -s -o /dev/null -w '%{http_code} %{content_type}' "http://$API/api/v1/mrt/rib")
check_eq "GET /api/v1/mrt/rib is application/octet-stream" "$code" "200 application/octet-stream"
code=$(nsx rs curl -s -o /dev/null -w '%{http_code}' "http://$API/api/v1/mrt/nothing")
check_eq "an unknown MRT resource is 404" "$code" 404

# ------------------------------------------------------- periodic files
rib_file() { find "$MRTDIR" -name 'rib.????????.????' | head -1; }
_has_rib_file() { test -n "$(rib_file)"; } # evaluated at every poll
check_wait "a periodic dump rib.YYYYMMDD.HHMM appears in mrt_dir" 10 _has_rib_file
_rib_file_ok() { f=$(rib_file); [ -n "$f" ] && [ "$(bgpdump -m "$f" 2>/dev/null | grep -c '^TABLE_DUMP2|')" -eq 8 ]; }
check_wait "bgpdump reads the periodic dump with all 8 routes" 6 _rib_file_ok
check "no temporary dump file is left in mrt_dir" \
	test -z "$(find "$MRTDIR" -name '*.tmp')"
check "the file name carries today's UTC date" \
	bash -c "ls '$MRTDIR' | grep -q '^rib\.$(date -u +%Y%m%d)\.[0-9]\{4\}$'"

upd_file() { find "$MRTDIR" -name 'updates.????????.????' | head -1; }
_has_upd_file() { test -n "$(upd_file)"; } # evaluated at every poll
check_wait "the update log updates.YYYYMMDD.HHMM appears in mrt_dir" 10 _has_upd_file
upd_view() { cat "$MRTDIR"/updates.* >"$T_DIR/upd.mrt"; bgpdump -m "$T_DIR/upd.mrt" 2>"$T_DIR/upd.err"; }
_upd_has() { upd_view | grep -q "$1"; }
check_wait "bgpdump reads an announcement from nva-a in the update log" 10 \
	_upd_has '^BGP4MP|[0-9]*|A|127.0.0.2|65001|198.19.3.0/24|65001 65100 65200|IGP|127.0.0.2|'
check "the update log has the IPv6 announcement from ::1" \
	_upd_has '^BGP4MP|[0-9]*|A|::1|65006|2001:db8:20::/48|65006|'
check "the update log has nva-a's withdrawal" \
	_upd_has '^BGP4MP|[0-9]*|W|127.0.0.2|65001|198.19.99.0/24$'
check "bgpdump prints no error reading the update log" \
	bash -c "! grep -qiE 'error|warn|invalid|corrupt' '$T_DIR/upd.err'"

M=$(nsx rs curl -sf "http://$API/metrics")
check_match "metrics count the periodic dumps" "$M" '^pharos_mrt_rib_dumps_total [1-9]'
check_match "metrics count the logged UPDATEs" "$M" '^pharos_mrt_updates_logged_total [1-9]'
check_match "metrics count no MRT write error" "$M" '^pharos_mrt_write_errors_total 0$'
check "pharosd exits 0 on SIGTERM" pharosd_stop
check "pharosd stderr has no sanitizer report" sanitizer_clean "$T_DIR/pharosd.log"
t_done
