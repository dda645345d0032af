#!/bin/bash
# t_build.sh - what a packager does: a clean copy of the tracked files,
# built by an unprivileged user on a machine where the test lab (BIRD,
# FRR, GoBGP, OpenBGPD, ExaBGP, tshark, Prometheus, clang) is absent: the
# lab's programs are hidden from PATH and dpkg-query says their packages
# are not installed. `make` needs none of them, builds warning-free, and
# CPPFLAGS and LDFLAGS from the environment reach every compile and link
# line (and take effect in the binaries).
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_bin git setpriv readelf nm

LAB_PKGS="bird2 frr gobgpd openbgpd exabgp tshark prometheus clang"
LAB_BINS="bird birdc birdcl vtysh zebra bgpd watchfrr gobgp gobgpd bgpctl exabgp
exabgpcli tshark dumpcap prometheus promtool clang clang-14 bgpdump"
SRC=$T_DIR/pharos
BIN=$T_DIR/bin
VERSION=$(sed -n 's/^#define PHAROS_VERSION "\(.*\)"/\1/p' "$PHAROS_TOP/src/base/version.h")

# A clean copy of what git tracks (the clone a packager starts from).
mkdir -p "$SRC" "$BIN"
(cd "$PHAROS_TOP" && git ls-files -z | xargs -0 cp --parents -t "$SRC") ||
	bail "copy the tracked files"
check "the copy has no build output" test ! -e "$SRC/build"
chown -R nobody:nogroup "$SRC"

# A PATH without the lab: every program of the machine's PATH but those.
lab=" $(echo $LAB_BINS) "
IFS=: read -ra dirs <<<"/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
for d in "${dirs[@]}"; do
	for f in "$d"/*; do
		n=${f##*/}
		[ -e "$BIN/$n" ] && continue
		[[ $lab == *" $n "* ]] && continue
		ln -s "$f" "$BIN/$n"
	done
done
# dpkg-query that reports the lab's packages as not installed.
rm -f "$BIN/dpkg-query"
cat >"$BIN/dpkg-query" <<EOF
#!/bin/sh
for a in "\$@"; do
	case " $LAB_PKGS " in *" \$a "*)
		echo "dpkg-query: no packages found matching \$a" >&2; exit 1;;
	esac
done
exec /usr/bin/dpkg-query "\$@"
EOF
chmod 755 "$BIN/dpkg-query"

as_user() { # CMD...: run CMD as nobody in the lab-less environment
	(cd "$SRC" && setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env -i PATH="$BIN" HOME="$T_DIR" LANG=C "$@")
}
check_eq "the build runs as an unprivileged user" "$(as_user id -u)" "$(id -u nobody)"
for b in bird gobgpd bgpd tshark prometheus clang; do
	check "$b is absent from the build's PATH" bash -c "! PATH='$BIN' command -v $b"
done
as_user scripts/install-deps.sh all >"$T_DIR/deps-all.out" 2>&1
check_match "the lab's packages count as missing (install-deps.sh all fails on them)" \
	"$(cat "$T_DIR/deps-all.out")" 'missing packages:.*bird2.*frr.*gobgpd.*openbgpd.*exabgp.*tshark.*prometheus'
check "the build dependencies are all there (install-deps.sh build)" \
	as_user scripts/install-deps.sh build

PROBE=-DPHAROS_BUILD_PROBE=1
LDPROBE="-Wl,-z,now -Wl,-z,relro"
if as_user make -j2 CPPFLAGS="$PROBE" LDFLAGS="$LDPROBE" >"$T_DIR/make.log" 2>&1; then
	ok "make builds the clean copy as nobody without the test lab"
else
	not_ok "make builds the clean copy as nobody without the test lab"
	tail -30 "$T_DIR/make.log" | sed 's/^/# /'
fi
for p in pharosd pharosctl pharos-agent pharos-peer; do
	check "build/$p is built" test -x "$SRC/build/$p"
done
check_eq "build/pharosd says its version" "$("$SRC/build/pharosd" -V)" "pharosd $VERSION"
check "the build has no compiler warning" bash -c "! grep -q 'warning:' '$T_DIR/make.log'"
check "make did not ask for the lab" bash -c "! grep -qi 'install-deps\|missing packages' '$T_DIR/make.log'"

compiles=$(grep -E ' -c [^ ]+\.c -o ' "$T_DIR/make.log")
links=$(grep -E ' -o build/(pharosd|pharosctl|pharos-agent|pharos-peer|tests/[^ ]+) ' "$T_DIR/make.log" | grep -v ' -c ')
check "there are compile lines" test -n "$compiles"
check_eq "every compile line has the environment's CPPFLAGS" \
	"$(grep -vc -- "$PROBE" <<<"$compiles")" 0
check_eq "there are link lines for the 4 programs and the unit tests" \
	"$(grep -cE ' -o build/(pharosd|pharosctl|pharos-agent|pharos-peer) ' <<<"$links")" 4
check_eq "every link line has the environment's LDFLAGS" \
	"$(grep -vc -- "$LDPROBE" <<<"$links")" 0
check "LDFLAGS took effect: pharosd is BIND_NOW" \
	bash -c "readelf -d '$SRC/build/pharosd' | grep -qE 'BIND_NOW|FLAGS.*NOW'"

# A Debian build's flags: CPPFLAGS=-D_FORTIFY_SOURCE=2 must reach the
# compiler for the checked variants of the libc calls to be linked in.
rm -rf "$SRC/build"
if as_user make -j2 programs CPPFLAGS=-D_FORTIFY_SOURCE=2 CFLAGS="-O2 -g" \
	LDFLAGS=-Wl,-z,relro >"$T_DIR/make2.log" 2>&1; then
	ok "make programs with Debian's hardening CPPFLAGS"
else
	not_ok "make programs with Debian's hardening CPPFLAGS"
	tail -20 "$T_DIR/make2.log" | sed 's/^/# /'
fi
check "_FORTIFY_SOURCE took effect: pharosd calls __*_chk functions" \
	bash -c "nm -D '$SRC/build/pharosd' | grep -q '__[a-z]*_chk'"
t_done
