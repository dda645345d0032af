#!/bin/bash
# t_deb.sh - the Debian package: `make deb` builds it into build/deb/,
# lintian finds no error, its units pass `systemd-analyze verify`, and its
# pharosd, extracted (never installed system-wide) and started the way
# pharosd@.service starts it - as the unit's user, with only the unit's
# capabilities, no new privileges, stderr on "the journal" - listens on
# port 179, holds a BGP session with BIRD in a namespace, reports
# readiness on $NOTIFY_SOCKET, logs with journal severities and keeps
# events out of that log, and reopens its events file on SIGUSR1. The
# same daemon without the capability cannot bind port 179.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_bin bird birdc dpkg-deb lintian setpriv systemd-analyze python3 jq unshare

VERSION=$(sed -n 's/^#define PHAROS_VERSION "\(.*\)"/\1/p' "$PHAROS_TOP/src/base/version.h")
R=$T_DIR/root
DEB=$PHAROS_TOP/build/deb/pharos_${VERSION}_amd64.deb

# ------------------------------------------------------------ build
if make -C "$PHAROS_TOP" --no-print-directory deb >"$T_DIR/make-deb.log" 2>&1; then
	ok "make deb builds"
else
	not_ok "make deb builds"; tail -30 "$T_DIR/make-deb.log" | sed 's/^/# /'
fi
[ -f "$DEB" ] || bail "build/deb/ holds pharos_${VERSION}_amd64.deb"
ok "build/deb/ holds pharos_${VERSION}_amd64.deb"
check_eq "the package's version is the one of src/base/version.h" \
	"$(dpkg-deb -f "$DEB" Version)" "$VERSION"

lintian --display-info --pedantic "$PHAROS_TOP"/build/deb/pharos_"${VERSION}"_amd64.changes \
	>"$T_DIR/lintian.out" 2>&1
lrc=$?
sed 's/^/# lintian: /' "$T_DIR/lintian.out" | grep -v 'root privileges'
check_eq "lintian reports no error (exit status)" "$lrc" 0
check_eq "lintian reports no E: tag" "$(grep -c '^E: ' "$T_DIR/lintian.out")" 0

dpkg-deb -x "$DEB" "$R" || bail "dpkg-deb -x extracts the package"
for f in usr/sbin/pharosd usr/sbin/pharos-agent usr/bin/pharosctl usr/bin/pharos-peer \
	lib/systemd/system/pharosd@.service lib/systemd/system/pharos-agent.service \
	usr/lib/sysusers.d/pharos.conf usr/lib/tmpfiles.d/pharos.conf etc/logrotate.d/pharos \
	usr/share/bash-completion/completions/pharosctl usr/share/man/man8/pharosd.8.gz; do
	check "the package holds /$f" test -s "$R/$f"
done
check_eq "the packaged pharosd says its version" "$("$R/usr/sbin/pharosd" --version)" "pharosd $VERSION"
check "the package's postinst creates the user with systemd-sysusers" \
	bash -c "dpkg-deb -I '$DEB' postinst | grep -q 'systemd-sysusers.*pharos.conf'"
check "hardening: pharosd is linked with full RELRO (BIND_NOW)" \
	bash -c "readelf -d '$R/usr/sbin/pharosd' | grep -q 'BIND_NOW\|FLAGS.*NOW'"

# --------------------------------------------- systemd-analyze verify
# The unit's programs are at /usr/sbin: a private mount namespace lays the
# package's /usr/sbin over the machine's (overlayfs) for the check only,
# and man finds the package's man pages for Documentation=.
UNIT=$R/lib/systemd/system/pharosd@.service
mkdir -p "$T_DIR/units"
cp "$UNIT" "$T_DIR/units/pharosd@hub.service"
cp "$R/lib/systemd/system/pharos-agent.service" "$T_DIR/units/"
verify() {
	unshare -m --propagation private sh -c '
		mount -t overlay overlay -o "lowerdir=$1/usr/sbin:/usr/sbin" /usr/sbin &&
		MANPATH=$1/usr/share/man exec systemd-analyze verify "$2"' sh "$R" "$1" \
		>"$T_DIR/verify.out" 2>&1
	local rc=$?
	sed 's/^/# verify: /' "$T_DIR/verify.out"
	[ "$rc" -eq 0 ] && [ ! -s "$T_DIR/verify.out" ]
}
check "systemd-analyze verify accepts pharosd@hub.service, silently" verify "$T_DIR/units/pharosd@hub.service"
check "systemd-analyze verify accepts pharos-agent.service, silently" verify "$T_DIR/units/pharos-agent.service"

# ------------------------------------------------- the unit's settings
unit_key() { sed -n "s/^$1=//p" "$UNIT" | tail -1; }
UNIT_USER=$(unit_key User)
CAPS=$(unit_key AmbientCapabilities)
check_eq "pharosd@.service runs as the user pharos" "$UNIT_USER" pharos
check_eq "pharosd@.service grants only CAP_NET_BIND_SERVICE" "$CAPS" CAP_NET_BIND_SERVICE
check_eq "its bounding set is the same" "$(unit_key CapabilityBoundingSet)" "$CAPS"
check_eq "pharosd@.service sets NoNewPrivileges" "$(unit_key NoNewPrivileges)" yes
check_eq "pharosd@.service is Type=notify" "$(unit_key Type)" notify
check_match "ExecReload sends SIGHUP" "$(unit_key ExecReload)" 'kill -HUP \$MAINPID'
check_match "pharosd@.service reads /etc/pharos/%i.yaml" "$(unit_key ExecStart)" \
	'^/usr/sbin/pharosd .*-c /etc/pharos/%i\.yaml'
for k in ProtectSystem=strict ProtectHome=yes PrivateTmp=yes PrivateDevices=yes \
	'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' SystemCallFilter=@system-service; do
	check "pharosd@.service hardening: $k" grep -qx "$k" "$UNIT"
done
check_match "pharos-agent.service grants CAP_NET_ADMIN" \
	"$(sed -n 's/^AmbientCapabilities=//p' "$R/lib/systemd/system/pharos-agent.service")" '^CAP_NET_ADMIN$'

# The unit's user: pharos when this machine has it, else a free uid and
# gid standing for it (the package is not installed here).
if getent passwd "$UNIT_USER" >/dev/null; then
	RUN_UID=$(id -u "$UNIT_USER") RUN_GID=$(id -g "$UNIT_USER")
else
	RUN_UID=64000
	while getent passwd "$RUN_UID" >/dev/null || getent group "$RUN_UID" >/dev/null; do
		RUN_UID=$((RUN_UID + 1))
	done
	RUN_GID=$RUN_UID
fi
diag "the unit's user $UNIT_USER is uid $RUN_UID gid $RUN_GID here"
cap=$(echo "${CAPS#CAP_}" | tr 'A-Z' 'a-z')

# pharosd as the unit starts it: setpriv with the unit's user and caps.
cat >"$T_DIR/pharosd-unit" <<EOF
#!/bin/sh
exec setpriv --reuid=$RUN_UID --regid=$RUN_GID --clear-groups --no-new-privs \\
	--inh-caps=-all,+$cap --ambient-caps=-all,+$cap --bounding-set=-all,+$cap \\
	"$R/usr/sbin/pharosd" "\$@" \${PHAROSD_EXTRA:-}
EOF
cat >"$T_DIR/pharosd-nocap" <<EOF
#!/bin/sh
exec setpriv --reuid=$RUN_UID --regid=$RUN_GID --clear-groups --no-new-privs \\
	--inh-caps=-all --bounding-set=-all "$R/usr/sbin/pharosd" "\$@"
EOF
chmod 755 "$T_DIR/pharosd-unit" "$T_DIR/pharosd-nocap"
mkdir -m 777 "$T_DIR/logs"
jqq() { jq "$@" >/dev/null; }

# ------------------------------------------------ topology and configs
RS4=198.18.1.1 B4=198.18.1.2 HUB=198.18.100.0/24 BR=198.19.77.0/24
ns_create rs nva
ns_lan rs br0 nva
ns_addr rs br0 $RS4/24
ns_addr nva eth0 $B4/24
CONF=$T_DIR/hub.yaml
pharos_conf_begin "$CONF" asn=65515 router_id=$RS4 listen=$RS4 hold_time=30 keepalive=10
pharos_conf_peer "$CONF" bird nva $B4 65001
pharos_conf_api "$CONF" 127.0.0.1:8179
pharos_conf_vnet "$CONF" hub $HUB
chmod 644 "$CONF"

cat >"$T_DIR/bird.conf" <<EOF
router id $B4;
protocol device { }
protocol static { ipv4; route $BR blackhole; }
protocol bgp pharos {
	local $B4 as 65001;
	neighbor $RS4 as 65515;
	connect retry time 2;
	hold time 30;
	ipv4 { import all; export where source = RTS_STATIC; };
}
EOF

# Without the capability, port 179 stays closed to it.
nsx rs timeout 20 "$T_DIR/pharosd-nocap" -c "$CONF" >"$T_DIR/nocap.log" 2>&1
nrc=$?
check "without CAP_NET_BIND_SERVICE pharosd cannot start on port 179" \
	test "$nrc" -ne 0 -a "$nrc" -ne 124
check_match "and says why" "$(cat "$T_DIR/nocap.log")" '179|[Pp]ermission'

# A listener for sd_notify datagrams, as systemd's NOTIFY_SOCKET.
cat >"$T_DIR/notify.py" <<'EOF'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)
while True:
    print(s.recv(4096).decode().replace("\n", " "), flush=True)
EOF
start_bg notify python3 -u "$T_DIR/notify.py" "$T_DIR/notify.sock"
wait_until 5 test -S "$T_DIR/notify.sock" || bail "notify socket listens"

# stderr is "the journal": JOURNAL_STREAM names its device and inode.
: >"$T_DIR/pharosd.log"
export JOURNAL_STREAM
JOURNAL_STREAM=$(stat -c '%d:%i' "$T_DIR/pharosd.log")
export NOTIFY_SOCKET=$T_DIR/notify.sock
export PHAROSD_EXTRA="--events-file $T_DIR/logs/events.json"
PHAROSD=$T_DIR/pharosd-unit pharosd_start rs "$CONF" 127.0.0.1:8179
unset NOTIFY_SOCKET JOURNAL_STREAM PHAROSD_EXTRA
PID=$(pid_of pharosd)
ok "the packaged pharosd runs under the unit's user and capabilities"

check_eq "it runs as the unit's uid" "$(awk '/^Uid:/ {print $2 $3 $4 $5}' "/proc/$PID/status")" \
	"$RUN_UID$RUN_UID$RUN_UID$RUN_UID"
# CAP_NET_BIND_SERVICE is capability 10: 0x400.
check_eq "its effective capabilities are CAP_NET_BIND_SERVICE only" \
	"$(awk '/^CapEff:/ {print $2}' "/proc/$PID/status")" 0000000000000400
check_eq "its bounding set is CAP_NET_BIND_SERVICE only" \
	"$(awk '/^CapBnd:/ {print $2}' "/proc/$PID/status")" 0000000000000400
check_eq "it has no_new_privs" "$(awk '/^NoNewPrivs:/ {print $2}' "/proc/$PID/status")" 1
check "it listens on $RS4 port 179" tcp_open rs $RS4 179
check_wait "it told systemd READY=1" 5 grep -q 'READY=1' "$(log_of notify)"

start_in bird nva bird -f -c "$T_DIR/bird.conf" -s "$T_DIR/bird.ctl"
check_wait "the BGP session with BIRD is established" 30 peer_established bird
check_wait "pharosd holds BIRD's $BR (next hop $B4, path 65001)" 15 \
	route_has $BR bird $B4 65001
bird_has_hub() { nsx nva birdc -s "$T_DIR/bird.ctl" show route $HUB | grep -q "$HUB"; }
check_wait "BIRD learned the hub's $HUB from pharosd" 15 bird_has_hub

# Logs: journal priorities, no JSON event in the text log.
PLOG=$T_DIR/pharosd.log
check "log lines carry journal priorities (<6> info)" grep -q "^<6>pharosd $VERSION started" "$PLOG"
check "every log line has a priority prefix" bash -c "! grep -qv '^<[0-7]>' '$PLOG'"
check "no event JSON line in the log" bash -c "! grep -q '^<.>{\\|^{' '$PLOG'"
check "the session_up event is in the events file" \
	jqq -e -s 'any(.[]; .type == "session_up" and .peer == "bird")' "$T_DIR/logs/events.json"

# logrotate: move the file away, SIGUSR1, then an event (a reload).
mv "$T_DIR/logs/events.json" "$T_DIR/logs/events.json.1"
kill -USR1 "$PID"
check_wait "SIGUSR1 reopens the events file under its name" 5 test -e "$T_DIR/logs/events.json"
kill -HUP "$PID"
check_wait "the reload (SIGHUP, ExecReload) event goes to the new file" 10 \
	jqq -e -s 'any(.[]; .type == "reload")' "$T_DIR/logs/events.json"
check "the rotated file keeps the old events only" \
	jqq -e -s 'all(.[]; .type != "reload")' "$T_DIR/logs/events.json.1"
check_wait "it told systemd RELOADING=1 then READY=1" 5 \
	bash -c "grep -A1 'RELOADING=1' '$(log_of notify)' | grep -q READY=1"
check "the session survived the reload" peer_established bird

check_eq "the API reports the version (GET /api/v1/status)" \
	"$(pctl show status | jq -r .version)" "$VERSION"
check_eq "the metric pharos_build_info carries the version" \
	"$(metrics_of rs 127.0.0.1:8179 | grep '^pharos_build_info')" "pharos_build_info{version=\"$VERSION\"} 1"

check "pharosd exits 0 on SIGTERM" pharosd_stop
check "it told systemd STOPPING=1" grep -q 'STOPPING=1' "$(log_of notify)"
stop_proc bird
t_done
