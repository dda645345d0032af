#!/bin/sh
# install-deps.sh [build|all] - install the Debian packages pharos needs.
#
#   build  what `make` needs: the compiler, pkg-config and the -dev
#          libraries (the Build-Depends of debian/control);
#   all    (default) also everything `make test`, `make demo` and
#          `make bench` use: the BGP daemons of the test lab, tshark,
#          Prometheus, clang for the fuzzers, and the packaging tools.
#
# Idempotent and quick when nothing is missing: it asks dpkg first and
# calls apt-get only for what is absent. As a user other than root it
# only lists what is missing and fails.
set -e

BUILD="build-essential pkg-config
libev-dev libjansson-dev libmicrohttpd-dev libfyaml-dev libmnl-dev libcmocka-dev libcurl4-openssl-dev libbz2-dev nettle-dev librtr-dev
libnats-dev"
LAB="clang libclang-rt-14-dev
iproute2 procps curl psmisc iputils-ping jq libxml2-utils bsdextrautils bzip2 xxd python3 python3-yaml python3-jsonschema openssl bc
util-linux git debhelper dpkg-dev fakeroot lintian systemd logrotate bash-completion binutils
bird2 frr gobgpd openbgpd exabgp tshark bgpdump prometheus nftables
nodejs chromium
pmacct stayrtr nats-server linux-perf"
# The web console's browser test (tests/e2e/t_web.sh) needs npm: Debian's
# package, unless the installed nodejs brings its own npm.
command -v npm >/dev/null 2>&1 || LAB="$LAB npm"

case "${1:-all}" in
build) PKGS=$BUILD ;;
all) PKGS="$BUILD $LAB" ;;
*) echo "usage: install-deps.sh [build|all]" >&2; exit 2 ;;
esac

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
