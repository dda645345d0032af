#!/bin/bash
# t_logging.sh - pharosd --log syslog: messages reach syslog(3) (here a
# socket the test binds, seen as /dev/log in a private mount namespace)
# with facility daemon and real severities; nothing goes to stderr; events
# stay out of the log and remain in the API. A bad --log is refused.
# (Journal priorities, the events file and its reopening are checked on
# the packaged daemon in t_deb.)
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_bin "$PHAROSD" "$PHAROSCTL" python3 unshare jq curl

API=127.0.0.1:18191
CONF=$T_DIR/pharosd.yaml
ns_create rs
pharos_conf_begin "$CONF" asn=65515 router_id=198.18.0.1 listen=127.0.0.1 port=1792
pharos_conf_peer "$CONF" nva-1 nva 127.0.0.2 65001 passive=true
pharos_conf_api "$CONF" "$API"
pharos_conf_vnet "$CONF" hub 198.18.0.0/24

"$PHAROSD" --log bogus -c "$CONF" >"$T_DIR/bogus.out" 2>&1
check_eq "--log bogus is refused with exit status 1" "$?" 1
check_match "and says so" "$(cat "$T_DIR/bogus.out")" 'bad --log bogus'

# The syslog socket: one datagram a line.
cat >"$T_DIR/syslog.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
while True:
    print(s.recv(65536).decode(errors="replace").rstrip("\n"), flush=True)
EOF
start_bg syslog python3 -u "$T_DIR/syslog.py" "$T_DIR/log.sock"
wait_until 5 test -S "$T_DIR/log.sock" || bail "the syslog socket listens"
SYSLOG=$(log_of syslog)

# /dev/log -> our socket, in a private mount namespace: a tmpfs /dev with
# the few devices pharosd and the sanitizers open.
cat >"$T_DIR/with-devlog" <<'EOF'
#!/bin/sh
set -e
old=$1/olddev
shift
mkdir -p "$old"
mount --bind /dev "$old"
mount -t tmpfs tmpfs /dev
for n in null zero random urandom; do
	touch "/dev/$n"
	mount --bind "$old/$n" "/dev/$n"
done
ln -s "$T_DIR_SOCK" /dev/log
exec "$@"
EOF
chmod 755 "$T_DIR/with-devlog"
export T_DIR_SOCK=$T_DIR/log.sock
start_in pharosd rs unshare -m --propagation private \
	"$T_DIR/with-devlog" "$T_DIR" "$PHAROSD" --log syslog -c "$CONF"
PHAROS_NS=rs PHAROS_API=$API
wait_until 15 eval '! alive pharosd || pctl show peers >/dev/null 2>&1'
alive pharosd || bail "pharosd --log syslog started"
PID=$(pid_of pharosd)

# syslog(3): "<PRI>TIMESTAMP pharosd[PID]: message", PRI = 3 (daemon) * 8 + severity.
check_wait "the start message reaches syslog at daemon.info (<30>)" 5 \
	grep -qE "^<30>.* pharosd\[$PID\]: pharosd [0-9.]+ started" "$SYSLOG"
check "running as root is a daemon.warning (<28>)" \
	grep -qE "^<28>.* pharosd\[$PID\]: running as root" "$SYSLOG"

# An event (a reload) and an error (a reload of a broken file).
kill -HUP "$PID"
reload_event() { pctl show events | jq -e '.events | any(.type == "reload")' >/dev/null; }
check_wait "the reload event is in the API" 10 reload_event
cp "$CONF" "$CONF.good"
echo "route_server: [broken" >"$CONF"
kill -HUP "$PID"
check_wait "the refused reload is a daemon.err (<27>) naming the file" 10 \
	grep -qE "^<27>.* pharosd\[$PID\]: .*pharosd\.yaml:[0-9]+:[0-9]+" "$SYSLOG"
cp "$CONF.good" "$CONF"
check "no event JSON in syslog" bash -c "! grep -q '{\"time\"' '$SYSLOG'"

check "pharosd exits 0 on SIGTERM" pharosd_stop
check "the stop message reaches syslog" grep -qE "^<30>.* pharosd\[$PID\]: stopped: RIB" "$SYSLOG"
check "nothing but sanitizer output went to stderr" \
	bash -c "! grep -vE '^(==|SUMMARY|    #|$)' '$(log_of pharosd)' | grep -q ."
check "pharosd stderr has no sanitizer report" sanitizer_clean "$(log_of pharosd)"
t_done
