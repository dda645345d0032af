#!/bin/bash
# t_web_headers.sh - the web console's files over plain HTTP, without a
# browser: every file of src/api/web/ is served byte for byte at / or
# /ui/NAME with its Content-Type, an ETag with Cache-Control: no-cache
# (and 304 for If-None-Match), and a Content-Security-Policy that allows
# only this origin and no inline script or style; unknown names, "..",
# encoded dots and doubled slashes get 404, POST 405. The files hold no
# inline script or style, no address of another host, and no markup
# built from strings (innerHTML and the like). The browser test is
# t_web.sh.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

need_bin "$PHAROSD" curl
WEB=$PHAROS_TOP/src/api/web
API=127.0.0.1:8179
URL=http://$API
CONF=$T_DIR/pharosd.yaml

ns_create rs
pharos_conf_begin "$CONF" asn=65515 router_id=198.18.0.1 listen=127.0.0.1 port=1794
pharos_conf_peer "$CONF" nva-1 nva 127.0.0.2 65001 passive=true
pharos_conf_api "$CONF" "$API"
pharosd_start rs "$CONF" "$API"

# hdr NAME CURL-ARGS...: the status to NAME.code, headers to NAME.h
# (lower-case names), body to NAME.body.
hdr() {
	local name=$1
	shift
	nsx rs curl -s -m 10 -D "$T_DIR/$name.raw" -o "$T_DIR/$name.body" \
		-w '%{http_code}' "$@" >"$T_DIR/$name.code" 2>/dev/null
	tr -d '\r' <"$T_DIR/$name.raw" | sed -E 's/^([^:]+):/\L\1:/' >"$T_DIR/$name.h"
}
header() { sed -n "s/^$2: //p" "$T_DIR/$1.h" | head -1; }
code() { cat "$T_DIR/$1.code"; }

# ------------------------------------------------------- every file
declare -A TYPE=([html]='text/html; charset=utf-8' [css]='text/css; charset=utf-8'
	[js]='text/javascript; charset=utf-8' [svg]='image/svg+xml')
n=0
for f in "$WEB"/*; do
	b=$(basename "$f")
	path=/ui/$b
	[ "$b" = index.html ] && path=/
	hdr "f$n" "$URL$path"
	check_eq "$path: 200" "$(code "f$n")" 200
	check "$path: the bytes of src/api/web/$b" cmp -s "$f" "$T_DIR/f$n.body"
	check_eq "$path: Content-Type" "$(header "f$n" content-type)" "${TYPE[${b##*.}]}"
	n=$((n + 1))
done
check "every file of src/api/web is in the table of api_web_files.c ($n files)" \
	test "$n" -eq "$(grep -c '^WEB_BLOB(' "$PHAROS_TOP/src/api/api_web_files.c")"

# ------------------------------------------------------- headers of /
hdr root "$URL/"
csp=$(header root content-security-policy)
check_match "CSP: default-src 'self'" "$csp" "^default-src 'self';"
for d in "script-src 'self'" "style-src 'self'" "connect-src 'self'" "img-src 'self'" \
	"object-src 'none'" "frame-ancestors 'none'" "base-uri 'none'"; do
	check_match "CSP: $d" "$csp" "(^|; )$d(;|$)"
done
check "CSP allows no inline or eval'd code and no other host" \
	test -z "$(printf '%s' "$csp" | grep -E "unsafe-|https?:|\\*|data:|blob:")"
check_eq "X-Content-Type-Options: nosniff" "$(header root x-content-type-options)" nosniff
check_eq "X-Frame-Options: DENY" "$(header root x-frame-options)" DENY
check_eq "Referrer-Policy: no-referrer" "$(header root referrer-policy)" no-referrer
check_eq "Cache-Control: no-cache (revalidated by ETag)" "$(header root cache-control)" no-cache
etag=$(header root etag)
check_match "an ETag" "$etag" '^"[0-9a-f]{16}"$'
hdr js "$URL/ui/app.js"
check "each file has its own ETag" test "$(header js etag)" != "$etag"
check_match "scripts carry the CSP too" "$(header js content-security-policy)" "^default-src 'self';"
hdr again "$URL/" -H "If-None-Match: $etag"
check_eq "If-None-Match with the ETag: 304" "$(code again)" 304
check "304 has no body" test ! -s "$T_DIR/again.body"
check_eq "304 repeats the ETag" "$(header again etag)" "$etag"
hdr other "$URL/" -H 'If-None-Match: "0000000000000000"'
check_eq "If-None-Match with another ETag: 200" "$(code other)" 200
hdr head "$URL/" -I
check_eq "HEAD /: 200" "$(code head)" 200
check_eq "HEAD /: the type of GET" "$(header head content-type)" 'text/html; charset=utf-8'

# ------------------------------------------------------- refusals
i=0
for p in /ui/nope.js /ui/ /ui /index.html /ui/app.js/ /ui//app.js /ui/APP.JS \
	/ui/../api/v1/status /ui/../../../etc/passwd /ui/%2e%2e/%2e%2e/etc/passwd \
	/ui/..%2fapp.js /ui/%2fetc%2fpasswd /ui/app.js%20 /ui/./app.js /favicon.ico; do
	hdr "r$i" --path-as-is "$URL$p"
	check_eq "GET $p: 404" "$(code "r$i")" 404
	check "GET $p: a JSON error, nothing of a file" \
		grep -q '^{"error":"unknown path"}$' "$T_DIR/r$i.body"
	i=$((i + 1))
done
hdr post -X POST "$URL/"
check_eq "POST /: 405" "$(code post)" 405
hdr post2 -X POST "$URL/ui/app.js"
check_eq "POST /ui/app.js: 405" "$(code post2)" 405
hdr api "$URL/api/v1/status"
check_eq "the API is still there beside the console" "$(code api)" 200

# ------------------------------------------------------- the files
check "index.html has no inline script (every <script> has src)" \
	test -z "$(grep -oE '<script[^>]*>' "$WEB/index.html" | grep -v ' src=')"
check "no file has a style attribute or <style> element" \
	test -z "$(grep -lE '<style|style=|\.innerHTML|setAttribute\(.style' "$WEB"/*)"
check "no file builds markup from strings (innerHTML, outerHTML, insertAdjacentHTML, document.write)" \
	test -z "$(grep -lE 'innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function' "$WEB"/*)"
check "no file names another host (only the SVG namespace)" \
	test -z "$(grep -ohE '(https?:)?//[a-zA-Z0-9.-]+' "$WEB"/* | grep -v '^http://www.w3.org$' | grep -vE '^//' )"
check "pharosd logged no sanitizer report" sanitizer_clean "$(log_of pharosd)"
t_done
