#!/bin/bash
# t_install.sh - `make install DESTDIR=... PREFIX=/usr` lays out what an
# operator and a packager expect: pharosd and pharos-agent in sbin,
# pharosctl and pharos-peer in bin (each says its version), the man pages
# (which document --version and the log options), an example
# configuration pharosd accepts, systemd units naming the installed paths
# (systemd-analyze verify), sysusers and tmpfiles entries that
# systemd-sysusers and systemd-tmpfiles apply to the DESTDIR, a logrotate
# file logrotate accepts, and a working bash completion for pharosctl.
# With PREFIX=/usr/local everything moves under it, /etc included.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_bin make systemd-analyze systemd-sysusers systemd-tmpfiles logrotate unshare
[ -r /usr/share/bash-completion/bash_completion ] || bail "bash-completion is installed"

VERSION=$(sed -n 's/^#define PHAROS_VERSION "\(.*\)"/\1/p' "$PHAROS_TOP/src/base/version.h")
D=$T_DIR/root
make -C "$PHAROS_TOP" --no-print-directory install DESTDIR="$D" PREFIX=/usr \
	>"$T_DIR/install.log" 2>&1 || { tail -20 "$T_DIR/install.log" | sed 's/^/# /'; bail "make install DESTDIR PREFIX=/usr"; }
ok "make install DESTDIR=\$tmp PREFIX=/usr"

UNITDIR=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /usr/lib/systemd/system)
mode_is() { [ "$(stat -c %a "$D/$1")" = "$2" ]; }
for f in usr/sbin/pharosd usr/sbin/pharos-agent usr/bin/pharosctl usr/bin/pharos-peer; do
	check "/$f installed, mode 755" mode_is "$f" 755
done
for f in usr/share/man/man8/pharosd.8 usr/share/man/man8/pharosctl.8 \
	usr/share/man/man8/pharos-agent.8 usr/share/man/man1/pharos-peer.1 \
	usr/share/man/man5/pharos.yaml.5 "${UNITDIR#/}/pharosd@.service" \
	"${UNITDIR#/}/pharos-agent.service" usr/lib/sysusers.d/pharos.conf \
	usr/lib/tmpfiles.d/pharos.conf etc/logrotate.d/pharos \
	usr/share/bash-completion/completions/pharosctl \
	usr/share/doc/pharos/examples/hub.yaml usr/share/doc/pharos/examples/agent.env; do
	check "/$f installed, mode 644" mode_is "$f" 644
done
check "/etc/pharos exists for the configurations" test -d "$D/etc/pharos"
check_eq "nothing is installed outside /usr, /etc and the unit directory" \
	"$(cd "$D" && find . -type f | grep -vE "^\./(usr|etc|${UNITDIR#/})/" | head -5)" ""

for p in sbin/pharosd sbin/pharos-agent bin/pharosctl bin/pharos-peer; do
	n=${p#*/}
	check_eq "$n --version" "$("$D/usr/$p" --version 2>&1)" "$n $VERSION"
	check_eq "$n -V" "$("$D/usr/$p" -V 2>&1)" "$n $VERSION"
done
man_says() { # PAGE TEXT: the rendered man page holds TEXT
	LC_ALL=C MANWIDTH=120 man -l "$D/usr/share/man/$1" 2>/dev/null | grep -qF -- "$2"
}
for m in man8/pharosd.8 man8/pharosctl.8 man8/pharos-agent.8 man1/pharos-peer.1; do
	check "man page ${m#*/} documents -V, --version" man_says "$m" "-V, --version"
done
check "pharosd.8 documents -L, --log TARGET" man_says man8/pharosd.8 "-L, --log TARGET"
check "pharosd.8 documents -e, --events-file" man_says man8/pharosd.8 "-e, --events-file EVENTS"
check "pharosd.8 documents SIGUSR1" man_says man8/pharosd.8 "SIGUSR1"
check "pharosd.8 documents the journal priorities" man_says man8/pharosd.8 "<PRIORITY>"
check "the example configuration passes pharosd -n" \
	"$D/usr/sbin/pharosd" -n -c "$D/usr/share/doc/pharos/examples/hub.yaml"

# Units: installed paths, and systemd-analyze verify with the DESTDIR's
# /usr/sbin laid over the machine's in a private mount namespace.
U=$D$UNITDIR
check_match "pharosd@.service starts /usr/sbin/pharosd on /etc/pharos/%i.yaml" \
	"$(grep '^ExecStart=' "$U/pharosd@.service")" '^ExecStart=/usr/sbin/pharosd -c /etc/pharos/%i\.yaml'
check_match "pharos-agent.service starts /usr/sbin/pharos-agent" \
	"$(grep '^ExecStart=' "$U/pharos-agent.service")" '^ExecStart=/usr/sbin/pharos-agent '
check "no @PLACEHOLDER@ is left in the units" bash -c "! grep -q '@[A-Z]*@' '$U'/*"
mkdir -p "$T_DIR/units"
cp "$U/pharosd@.service" "$T_DIR/units/pharosd@hub.service"
verify() {
	unshare -m --propagation private sh -c '
		mount -t overlay overlay -o "lowerdir=$1/usr/sbin:/usr/sbin" /usr/sbin &&
		MANPATH=$1/usr/share/man exec systemd-analyze verify "$2"' sh "$D" "$1" \
		>"$T_DIR/verify.out" 2>&1
	local rc=$?
	sed 's/^/# verify: /' "$T_DIR/verify.out"
	[ "$rc" -eq 0 ] && [ ! -s "$T_DIR/verify.out" ]
}
check "systemd-analyze verify: pharosd@hub.service" verify "$T_DIR/units/pharosd@hub.service"
check "systemd-analyze verify: pharos-agent.service" verify "$U/pharos-agent.service"
# The check itself fails on a broken unit.
sed 's|^ExecStart=/usr/sbin/pharosd|ExecStart=/usr/sbin/pharosd-missing|' \
	"$U/pharosd@.service" >"$T_DIR/units/pharosd@bad.service"
verify_fails() { ! verify "$1" >/dev/null; }
check "systemd-analyze verify refuses a unit whose program is missing" \
	verify_fails "$T_DIR/units/pharosd@bad.service"

# sysusers and tmpfiles, applied to the DESTDIR.
cp /etc/passwd /etc/group "$D/etc/" && touch "$D/etc/shadow" "$D/etc/gshadow"
check "systemd-sysusers applies pharos.conf" systemd-sysusers --root="$D" >/dev/null 2>&1
check "it created the system user pharos (home /var/lib/pharos, no login)" \
	grep -qE '^pharos:x:[0-9]+:[0-9]+:[^:]*:/var/lib/pharos:/usr/sbin/nologin$' "$D/etc/passwd"
check "systemd-tmpfiles applies pharos.conf" \
	systemd-tmpfiles --root="$D" --create "$D/usr/lib/tmpfiles.d/pharos.conf"
puid=$(awk -F: '$1 == "pharos" {print $3}' "$D/etc/passwd")
check_eq "/var/lib/pharos: owner pharos, mode 750" \
	"$(stat -c '%u %a' "$D/var/lib/pharos" 2>&1)" "$puid 750"
check_eq "/var/log/pharos: owner pharos, mode 750" \
	"$(stat -c '%u %a' "$D/var/log/pharos" 2>&1)" "$puid 750"

# logrotate: the file parses (debug mode changes nothing). It names the
# user pharos, which this machine may not have: then a copy names nobody.
LR=$D/etc/logrotate.d/pharos
check "logrotate works as the user pharos (su pharos adm)" grep -qx $'\tsu pharos adm' "$LR"
if ! getent passwd pharos >/dev/null; then
	sed 's/^\tsu pharos adm$/\tsu nobody adm/' "$LR" >"$T_DIR/logrotate.conf"
	LR=$T_DIR/logrotate.conf
fi
logrotate -d -s "$T_DIR/logrotate.state" "$LR" >"$T_DIR/logrotate.out" 2>&1
lr=$?
check_eq "logrotate accepts /etc/logrotate.d/pharos" "$lr $(grep -ci 'error' "$T_DIR/logrotate.out")" "0 0"
check "it rotates the events files and signals USR1" \
	grep -q 'USR1' "$D/etc/logrotate.d/pharos"

# bash completion of pharosctl.
complete_of() { # WORDS...: what completes the last word
	bash -c '. /usr/share/bash-completion/bash_completion
		. "$0"
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_pharosctl; printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' \
		"$D/usr/share/bash-completion/completions/pharosctl" "$@"
}
check_eq "completion: pharosctl sh -> show" "$(complete_of pharosctl sh)" "show "
check_eq "completion: pharosctl show pe -> peer peers" "$(complete_of pharosctl show pe)" "peer peers "
check_eq "completion: pharosctl peer d -> disable" "$(complete_of pharosctl peer d)" "disable "
check_eq "completion: pharosctl --v -> --version" "$(complete_of pharosctl --v)" "--version "

# PREFIX=/usr/local: configuration under /usr/local/etc, units name it.
D2=$T_DIR/local
make -C "$PHAROS_TOP" --no-print-directory install DESTDIR="$D2" PREFIX=/usr/local \
	>"$T_DIR/install2.log" 2>&1
check "make install PREFIX=/usr/local" test -x "$D2/usr/local/sbin/pharosd"
check_match "its unit reads /usr/local/etc/pharos/%i.yaml with /usr/local/sbin/pharosd" \
	"$(grep '^ExecStart=' "$D2/usr/local/lib/systemd/system/pharosd@.service")" \
	'^ExecStart=/usr/local/sbin/pharosd -c /usr/local/etc/pharos/%i\.yaml'
check_eq "nothing lands outside /usr/local" "$(cd "$D2" && find . -type f | grep -v '^\./usr/local/' | head -3)" ""
t_done
