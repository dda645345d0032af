#!/bin/bash
# t_api_security.sh - the control API against hostile clients: changes
# need the bearer token (none: 401, wrong: 401; no token_file: 403), the
# API listens on loopback by default, oversized and malformed requests
# (1 MiB body, very long URLs, bad JSON, bad prefixes, unknown paths,
# unknown methods) get 4xx JSON errors and a log line, never a crash, and
# no request makes pharosd open a file its configuration did not name
# (path traversal in peer names, paths and query values, checked with
# strace). Runs on the loopback of its own namespace.
. "$(dirname "$0")/../lib.sh"

need_bin "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER" jq curl ss strace
PORT=1793
API=127.0.0.1:8179 # the default: the config below names no api.listen
URL=http://$API
CONF=$T_DIR/pharosd.yaml
TOKEN=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
CANARY=canary-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "$TOKEN" >"$T_DIR/api.token"
echo "$CANARY" >"$T_DIR/secret.txt"
chmod 600 "$T_DIR/api.token"

ns_create rs
pharos_conf_begin "$CONF" asn=65515 router_id=198.18.0.1 listen=127.0.0.1 \
	port=$PORT hold_time=30 keepalive=10
pharos_conf_peer "$CONF" nva-1 nva 127.0.0.2 65001 passive=true
printf 'api:\n  token_file: %s\n' "$T_DIR/api.token" >>"$CONF"
pharosd_start rs "$CONF" "$API"
PLOG=$(log_of pharosd)
PID=$(pid_of pharosd)

start_in peer rs stdbuf -oL "$PHAROS_PEER" -a 65001 -R 65515 -b 127.0.0.2 -o json \
	-A 198.19.1.0/24 127.0.0.1 $PORT
check_wait "peer nva-1 established" 15 peer_established nva-1

# ------------------------------------------------------------- listening
listen=$(nsx rs ss -Hltnp 2>/dev/null | grep "pid=$PID,")
check_match "the API listens on 127.0.0.1:8179 by default" "$listen" '127\.0\.0\.1:8179 '
check "the API does not listen on a wildcard address" \
	test -z "$(printf '%s\n' "$listen" | grep -E '(\*|0\.0\.0\.0|\[::\]):8179 ')"

# ---------------------------------------------------------------- helpers
# req NAME CURL-ARGS...: run curl inside the namespace; the status goes to
# $T_DIR/NAME.code, the body to $T_DIR/NAME.body.
req() {
	local name=$1
	shift
	nsx rs curl -s -m 10 -o "$T_DIR/$name.body" -w '%{http_code}' "$@" \
		>"$T_DIR/$name.code" 2>/dev/null
	true
}
code() { cat "$T_DIR/$1.code"; }
json_error() { jq -e '.error | type == "string" and length > 0' "$T_DIR/$1.body" >/dev/null 2>&1; }

# check_status NAME WANT DESC: the status is WANT and the body a JSON error.
check_status() {
	local got
	got=$(code "$1")
	if [ "$got" = "$2" ] && { [ "$2" -lt 400 ] || json_error "$1"; }; then
		ok "$3 ($got)"
	else
		not_ok "$3 (status $got, want $2 with a JSON error)"
		head -c 300 "$T_DIR/$1.body" | sed 's/^/#   /'
		echo
	fi
}

# ------------------------------------------------------------------ token
DIS=$URL/api/v1/peers/nva-1/disable
req noauth -X POST "$DIS"
check_status noauth 401 "POST disable without a token is refused"
req badauth -X POST -H "Authorization: Bearer wrong-$TOKEN" "$DIS"
check_status badauth 401 "POST disable with a wrong token is refused"
req badscheme -X POST -H "Authorization: Basic $TOKEN" "$DIS"
check_status badscheme 401 "POST disable with a non-Bearer scheme is refused"
req prefixtoken -X POST -H "Authorization: Bearer ${TOKEN:0:16}" "$DIS"
check_status prefixtoken 401 "POST disable with a prefix of the token is refused"
check "the peer is still established after refused changes" peer_established nva-1
req goodauth -X POST -H "Authorization: Bearer $TOKEN" -d '{"message":"security test"}' "$DIS"
check_status goodauth 200 "POST disable with the right token is done"
check_wait "the peer went down after the authorized disable" 10 \
	peer_field_is nva-1 state idle
req enable -X POST -H "Authorization: Bearer $TOKEN" "$URL/api/v1/peers/nva-1/enable"
check_status enable 200 "POST enable with the right token is done"

# --------------------------------------------------- oversized requests
head -c $((1024 * 1024)) /dev/zero | tr '\0' 'a' >"$T_DIR/big.body"
req big -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
	--data-binary @"$T_DIR/big.body" "$DIS"
check_status big 413 "a 1 MiB body is refused as too large"
req bignoauth -X POST --data-binary @"$T_DIR/big.body" "$DIS"
check_status bignoauth 401 "a 1 MiB body without a token is refused before use"
req bigget -X GET --data-binary @"$T_DIR/big.body" "$URL/api/v1/status"
bg=$(code bigget)
check "a GET with a 1 MiB body gets an answer, not a crash ($bg)" \
	test "$bg" -ge 200 -a "$bg" -lt 500
long4k=$(head -c 4000 /dev/zero | tr '\0' 'x')
req long4k "$URL/api/v1/peers/$long4k"
check_status long4k 404 "a 4 KB peer name is refused"
req longq "$URL/api/v1/routes?prefix=$long4k"
check_status longq 400 "a 4 KB prefix query value is refused"
long100k=$(head -c 100000 /dev/zero | tr '\0' 'x')
req long100k "$URL/api/v1/$long100k"
check_status long100k 414 "a 100 KB URL is refused as too long"
check_wait "the 100 KB URL refusal is logged" 5 \
	grep -qE 'API request refused \(414\): URL too long \(1000[0-9]{2} bytes' "$PLOG"
req longq100k "$URL/api/v1/routes?prefix=$long100k"
check_status longq100k 414 "a 100 KB query string is refused as too long"
long9k=$(head -c 9000 /dev/zero | tr '\0' 'x')
req longpost -X POST -H "Authorization: Bearer $TOKEN" "$URL/api/v1/peers/$long9k/disable"
check_status longpost 414 "a 9 KB URL on a POST is refused as too long"
long20k=$(head -c 20000 /dev/zero | tr '\0' 'h')
req bighdr -H "X-Big: $long20k" "$URL/api/v1/status"
check_status bighdr 431 "20 KB of request headers are refused"
check_wait "the header refusal is logged" 5 \
	grep -qE 'API request refused \(431\): request headers too large' "$PLOG"
# Beyond the per-connection memory (256 KiB) libmicrohttpd answers by itself.
# (Written by bash itself: one program argument is at most 128 KiB.)
lc=$(nsx rs bash -c '
	exec 3<>"/dev/tcp/${1%:*}/${1#*:}" || exit 1
	printf "GET /api/v1/%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" \
		"$(head -c 400000 /dev/zero | tr "\0" x)" >&3 2>/dev/null
	timeout 10 head -1 <&3 | cut -d" " -f2' _ "$API")
check "a 400 KB URL gets a 4xx answer from the HTTP server ($lc)" test "$lc" -ge 400 -a "$lc" -lt 500
req afterlong "$URL/api/v1/status"
check_status afterlong 200 "the API answers after oversized requests"

# ---------------------------------------------------- malformed requests
req badjson -X POST -H "Authorization: Bearer $TOKEN" -d '{"message": ' "$DIS"
check_status badjson 400 "a body that is not JSON is refused"
req notobj -X POST -H "Authorization: Bearer $TOKEN" -d '["x"]' "$DIS"
check_status notobj 400 "a JSON body that is not an object is refused"
req badmsg -X POST -H "Authorization: Bearer $TOKEN" -d '{"message": 42}' "$DIS"
check_status badmsg 400 "a non-string shutdown message is refused"
req badpfx "$URL/api/v1/routes?prefix=198.19.1.0/33"
check_status badpfx 400 "a prefix length of 33 is refused"
req badpfx2 "$URL/api/v1/routes?prefix=not-a-prefix"
check_status badpfx2 400 "a prefix that is not one is refused"
req badmatch "$URL/api/v1/routes?prefix=198.19.1.0/24&match=fuzzy"
check_status badmatch 400 "an unknown match mode is refused"
req nopath "$URL/api/v1/no-such-thing"
check_status nopath 404 "an unknown path under /api/v1 is refused"
req nopath2 "$URL/etc/passwd"
check_status nopath2 404 "an unknown top-level path is refused"
req nopeer "$URL/api/v1/peers/no-such-peer"
check_status nopeer 404 "an unknown peer is refused"
req delete -X DELETE "$URL/api/v1/peers/nva-1"
check_status delete 405 "DELETE is refused"
req put -X PUT -d '{}' "$URL/api/v1/peers/nva-1/disable"
check_status put 405 "PUT is refused"
req getaction "$DIS"
check_status getaction 405 "GET on a POST-only action is refused"
req badaction -X POST -H "Authorization: Bearer $TOKEN" "$URL/api/v1/peers/nva-1/explode"
check_status badaction 404 "an unknown peer action is refused"
req ctl -H $'X-Evil: a\x01b' "$URL/api/v1/peers/nva%01-1"
cc=$(code ctl)
check "control bytes in a request get a 4xx answer ($cc)" test "$cc" -ge 400 -a "$cc" -lt 500
check "every refused request left a log line" \
	test "$(grep -c 'API request refused' "$PLOG")" -ge 15
check_match "the log line gives the status and the reason" \
	"$(grep 'API request refused' "$PLOG")" 'refused \(405\): .*method'

# ------------------------------------------------------- path traversal
# Every request below names the secret file (never in the config) one way
# or another; strace records each file pharosd opens meanwhile.
start_bg strace strace -f -qq -e trace=open,openat,openat2 -o "$T_DIR/open.trace" -p "$PID"
# Positive control: a reload must open the configuration; until its open
# shows in the trace, strace is not following pharosd yet.
conf_in_trace() { grep -qF "\"$CONF\"" "$T_DIR/open.trace" 2>/dev/null; }
reload_traced() {
	req control -X POST -H "Authorization: Bearer $TOKEN" "$URL/api/v1/reload"
	wait_until 1 conf_in_trace
}
check_wait "control: a reload's open of the configuration shows in the trace" 15 reload_traced
check_eq "control: that reload was answered 200" "$(code control)" 200
SECRET=$T_DIR/secret.txt
rel=../../../../../../../..$SECRET
enc=$(printf '%s' "$rel" | sed 's#/#%2F#g; s#\.#%2E#g')
n=0
# the file named in the path: nothing answers 2xx
for u in "/api/v1/peers/$enc" "/api/v1/peers/$enc/adj-in" "/api/v1/$rel" \
	"/api/v1/mrt/$enc" "/api/v1/fabric/$enc" "/api/v1/fabric/vnets/$enc" \
	"/metrics/$enc" "/api/v1/status/$enc" "/api/v1/routes?prefix=$enc" \
	"/api/v1/routes?peer=$enc"; do
	n=$((n + 1))
	req trav$n --path-as-is "$URL$u"
done
npath=$n
# the file named in query values and bodies (ignored or refused)
for u in "/api/v1/events?type=$enc" "/api/v1/mrt/rib?file=$enc&path=$enc"; do
	n=$((n + 1))
	req trav$n --path-as-is "$URL$u"
done
for p in "peers/$enc/disable" "peers/$enc/refresh" "reload" "mrt/dump" "mrt/$enc"; do
	n=$((n + 1))
	req trav$n --path-as-is -X POST -H "Authorization: Bearer $TOKEN" \
		-d "{\"file\":\"$SECRET\",\"path\":\"$rel\",\"message\":\"x\"}" "$URL/api/v1/$p"
done
sleep 1
stop_proc strace INT 5
leaked=$(grep -l "$CANARY" "$T_DIR"/trav*.body 2>/dev/null | wc -l)
check_eq "no response to $n traversal requests holds the secret file's content" "$leaked" 0
bad=0
for i in $(seq 1 $npath); do
	c=$(code trav$i)
	[ "$c" -ge 400 ] && [ "$c" -lt 500 ] || { diag "traversal request $i got $c"; bad=$((bad + 1)); }
done
check_eq "every request naming the file in its path got a 4xx answer" "$bad" 0
check "pharosd still answers after the traversal requests" peer_field_is nva-1 name nva-1
check "strace recorded pharosd's opens (the trace is not empty)" test -s "$T_DIR/open.trace"
check "the trace holds the control's open of the configuration" conf_in_trace
# only files the configuration names (itself, on reload; the token file)
opened=$(grep -E 'open(at2?)?\(' "$T_DIR/open.trace" | grep -vE '"/(proc|sys)/' |
	grep -v ENOENT | grep -oE '"[^"]*"' | tr -d '"' | sort -u)
others=$(printf '%s\n' "$opened" | grep -vxF -e "$CONF" -e "$T_DIR/api.token" | grep -v '^$')
check_eq "pharosd opened no file but those its configuration names" "$others" ""

# ------------------------------------------------------------ no token
# A configuration without token_file disables changes altogether (403).
stop_proc peer
check "pharosd exits 0 on SIGTERM" pharosd_stop
check "pharosd stderr has no sanitizer report" sanitizer_clean "$PLOG"
mv "$PLOG" "$T_DIR/pharosd-1.log"
sed -i '/^api:/,$d' "$CONF"
pharosd_start rs "$CONF" "$API"
req notoken -X POST -H "Authorization: Bearer $TOKEN" "$DIS"
check_status notoken 403 "without api.token_file every change is refused"
req stillget "$URL/api/v1/peers"
check_status stillget 200 "reads still work without a token file"
check "pharosd (no token) exits 0 on SIGTERM" pharosd_stop
check "pharosd (no token) stderr has no sanitizer report" sanitizer_clean "$(log_of pharosd)"
t_done
