#!/bin/sh
# install-deps.sh - install every Debian package that pharos needs to build,
# test, benchmark and run its demo. Idempotent and quick when nothing is
# missing: it asks dpkg first and calls apt-get only for what is absent.
set -e

PKGS="build-essential pkg-config clang libclang-rt-14-dev
libev-dev libjansson-dev libmicrohttpd-dev libfyaml-dev libmnl-dev libcmocka-dev libcurl4-openssl-dev libbz2-dev
iproute2 procps curl psmisc iputils-ping jq libxml2-utils bsdextrautils bzip2 xxd python3
bird2 frr gobgpd openbgpd exabgp tshark bgpdump prometheus"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing (run as root to install)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
