#!/bin/bash
# appliance.sh - the simulated appliances of the three-region estate
# (examples/three-region/*.yaml): NVAs, egress firewalls, ExpressRoute and
# VPN gateways, each one real BGP session run by build/pharos-peer.
#
#   examples/sim/appliance.sh NAME [pharos-peer options...]
#       runs appliance NAME in the foreground (exec, so its PID is the
#       pharos-peer's); extra options go before the route server's address,
#       e.g. "-o json" to print what it receives as JSON lines.
#   examples/sim/appliance.sh --list [REGION]
#       prints the names (uksouth, westeurope, eastus).
#   examples/sim/appliance.sh --show NAME
#       prints the pharos-peer command line it would run.
#
# Every appliance connects from its own 127.0.0.x address to the route
# server of its hub (port 17900) and announces what such a device
# announces in the estate: the NVA pairs the private aggregate
# 198.18.0.0/15 plus the other regions' ranges one AS longer (as learned
# over their inter-hub links), the egress firewalls the default route, the
# ExpressRoute gateways the on-premises ranges (AS 65100, path 2), the VPN
# gateway the same ranges with a longer path (4), and the lab NVA, which
# is misconfigured, floods 100 prefixes into a session limited to 64.
# Next hops are the devices' NIC or gateway addresses inside the hub.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
PEER=${PHAROS_PEER:-$TOP/build/pharos-peer}
PORT=17900
ONPREM=198.19.0.0/18,198.19.64.0/20 # "10.0.0.0/8-style" on-premises ranges
UKS=198.18.0.0/18 WE=198.18.64.0/18 EUS=198.18.128.0/18
AGG=198.18.0.0/15 # the private aggregate, like 10.0.0.0/8
LAB=198.18.48.0/24 # a lab network behind the UK South NVA pair

# table NAME: sets REGION RS BIND ASN and the announcement array ANN.
table() {
	ANN=()
	case $1 in
	nva-uks-1 | nva-uks-2)
		local nh=198.18.1.$((${1##*-} + 3))
		REGION=uksouth RS=127.0.0.11 BIND=127.0.0.$((${1##*-} + 11)) ASN=65010
		ANN=(-A "$AGG nh $nh" -A "$WE nh $nh path 65020"
			-A "$EUS nh $nh path 65030")
		# the second NVA also leads to a lab kept inside the hub
		if [ "$1" = nva-uks-2 ]; then
			ANN+=(-A "$LAB nh $nh community no-advertise")
		fi
		;;
	fw-uks-1 | fw-uks-2)
		REGION=uksouth RS=127.0.0.11 BIND=127.0.0.$((${1##*-} + 13)) ASN=65050
		ANN=(-A "0.0.0.0/0 nh 198.18.1.$((${1##*-} + 35))")
		;;
	ergw-uks)
		REGION=uksouth RS=127.0.0.11 BIND=127.0.0.16 ASN=65100
		ANN=(-A "$ONPREM nh 198.18.2.4 path 65001")
		;;
	vpngw-uks)
		REGION=uksouth RS=127.0.0.11 BIND=127.0.0.17 ASN=65200
		ANN=(-A "$ONPREM nh 198.18.2.12 path 65201 65201 65001")
		;;
	nva-uks-lab)
		REGION=uksouth RS=127.0.0.11 BIND=127.0.0.18 ASN=65099
		ANN=(-n 198.18.1.68 -g 100 --gen-start 198.19.128.0)
		;;
	nva-we-1 | nva-we-2)
		local nh=198.18.65.$((${1##*-} + 3))
		REGION=westeurope RS=127.0.0.21 BIND=127.0.0.$((${1##*-} + 21)) ASN=65020
		ANN=(-A "$AGG nh $nh" -A "$UKS nh $nh path 65010"
			-A "$EUS nh $nh path 65030")
		;;
	ergw-we)
		REGION=westeurope RS=127.0.0.21 BIND=127.0.0.24 ASN=65100
		ANN=(-A "$ONPREM nh 198.18.66.4 path 65001")
		;;
	nva-eus-1 | nva-eus-2)
		local nh=198.18.129.$((${1##*-} + 3))
		REGION=eastus RS=127.0.0.31 BIND=127.0.0.$((${1##*-} + 31)) ASN=65030
		ANN=(-A "$AGG nh $nh" -A "$UKS nh $nh path 65010"
			-A "$WE nh $nh path 65020")
		;;
	ergw-eus)
		REGION=eastus RS=127.0.0.31 BIND=127.0.0.34 ASN=65100
		ANN=(-A "$ONPREM nh 198.18.130.4 path 65001")
		;;
	*) return 1 ;;
	esac
}

# The appliances that run from the start (the lab NVA only when asked).
ALL="nva-uks-1 nva-uks-2 fw-uks-1 fw-uks-2 ergw-uks vpngw-uks
     nva-we-1 nva-we-2 ergw-we nva-eus-1 nva-eus-2 ergw-eus"

case ${1:-} in
--list)
	for n in $ALL; do
		table "$n"
		[ -z "${2:-}" ] || [ "$REGION" = "$2" ] && echo "$n"
	done
	exit 0
	;;
--show)
	table "${2:-}" || { echo "appliance.sh: unknown appliance '${2:-}'" >&2; exit 1; }
	echo "$PEER -a $ASN -R 65515 -b $BIND ${ANN[*]} $RS $PORT"
	exit 0
	;;
"" | -h | --help)
	sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit 0
	;;
esac
name=$1
shift
table "$name" || { echo "appliance.sh: unknown appliance '$name'" >&2; exit 1; }
[ -x "$PEER" ] || { echo "appliance.sh: $PEER is missing (run make)" >&2; exit 1; }
exec "$PEER" -a "$ASN" -R 65515 -b "$BIND" "${ANN[@]}" "$@" "$RS" "$PORT"
