#!/bin/bash
# t_agent_tls.sh - pharos-agent authenticates its route server; agents
# hold a token that can only acknowledge.
#
#   rs   pharosd, API over HTTPS (api.tls_cert/tls_key)  br0 198.18.1.1/24
#   nva1 pharos-peer AS 65001 announcing 198.19.250.0/24  eth0 198.18.1.2/24
#   vm   pharos-agent                                     eth0 198.18.1.10/24
#
# Two CAs: the server's certificate is signed by ca-a. An agent told to
# trust ca-b, or pinning another key, refuses the server and installs
# nothing (--once fails); with ca-a, or the right pin, it installs the
# route and acknowledges with the agent token. The agent token cannot
# disable a peer (401); the admin token can. Plain HTTP is not served
# and --https-only refuses an http:// URL.
. "$(dirname "$0")/../lib.sh"

AGENT=${PHAROS_AGENT:-$PHAROS_BIN/pharos-agent}
need_bin "$PHAROSD" "$PHAROSCTL" "$PHAROS_PEER" "$AGENT" openssl curl jq

RS=198.18.1.1 N1=198.18.1.2 VM=198.18.1.10
API=$RS:8179 URL=https://$RS:8179
P4=198.19.250.0/24 TABLE=100 PROTO=200

ns_create rs nva1 vm
ns_lan rs br0 nva1 vm
ns_addr rs br0 "$RS/24"
ns_addr nva1 eth0 "$N1/24"
ns_addr vm eth0 "$VM/24"

# ----------------------------------------------------------- certificates
mkcert() { # NAME: a self-signed CA
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=pharos test $1" -keyout "$T_DIR/$1.key" -out "$T_DIR/$1.crt" \
		>/dev/null 2>&1 || bail "openssl makes CA $1"
}
mkcert ca-a
mkcert ca-b
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$RS" \
	-keyout "$T_DIR/server.key" -out "$T_DIR/server.csr" >/dev/null 2>&1 &&
	openssl x509 -req -in "$T_DIR/server.csr" -CA "$T_DIR/ca-a.crt" -CAkey "$T_DIR/ca-a.key" \
		-CAcreateserial -days 2 -extfile <(echo "subjectAltName=IP:$RS") \
		-out "$T_DIR/server.crt" >/dev/null 2>&1 || bail "openssl signs the server certificate"
pin_of() { # CERT: sha256//BASE64 of its public key
	echo "sha256//$(openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der |
		openssl dgst -sha256 -binary | base64)"
}
PIN=$(pin_of "$T_DIR/server.crt")
WRONG_PIN=$(pin_of "$T_DIR/ca-b.crt")

# ----------------------------------------------------------- pharosd
echo "admin-token-$$" >"$T_DIR/admin.token"
echo "agent-token-$$" >"$T_DIR/agent.token"
chmod 600 "$T_DIR"/*.token "$T_DIR/server.key"
CONF=$T_DIR/pharosd.yaml
pharos_conf_begin "$CONF" asn=65515 router_id=$RS listen=$RS hold_time=30 keepalive=10
pharos_conf_peer "$CONF" nva1 nva "$N1" 65001 passive=true
cat >>"$CONF" <<EOF
api:
  listen: $API
  token_file: $T_DIR/admin.token
  agent_token_file: $T_DIR/agent.token
  tls_cert: $T_DIR/server.crt
  tls_key: $T_DIR/server.key
EOF
pharos_conf_hub_spoke "$CONF" "" # the NVAs' addresses are outside the VNets
check "pharosd -n accepts the TLS and agent-token keys" nsx rs "$PHAROSD" -n -c "$CONF"
check_match "pharosd -p prints them" "$(nsx rs "$PHAROSD" -p -c "$CONF" 2>&1)" \
	"agent_token_file: .*agent.token"
start_in pharosd rs "$PHAROSD" -c "$CONF"
get() { nsx vm curl -s -m 5 --cacert "$T_DIR/ca-a.crt" "$@"; }
check_wait "pharosd serves its API over HTTPS (verified against ca-a)" 15 \
	eval 'get -f $URL/api/v1/peers >/dev/null'
check "plain HTTP gets no answer from the HTTPS port" \
	eval '! nsx vm curl -sf -m 3 http://$API/api/v1/peers >/dev/null'
check "a client trusting only ca-b refuses the server" \
	eval '! nsx vm curl -sf -m 3 --cacert $T_DIR/ca-b.crt $URL/api/v1/peers >/dev/null'

cat >"$T_DIR/nva1.script" <<EOF
announce $P4
wait-file $T_DIR/go-bad
announce 198.19.251.0/24 nh 198.18.9.9
EOF
start_in nva1 nva1 "$PHAROS_PEER" -a 65001 -R 65515 -b "$N1" -o none -f "$T_DIR/nva1.script" "$RS"
established() { get "$URL/api/v1/peers" | jq -e '[.. | objects | select(.name? == "nva1" and .state? == "established")] | length > 0' >/dev/null; }
check_wait "nva1 established" 30 established

owned() { nsx vm ip -4 route show table "$TABLE" proto "$PROTO" 2>/dev/null; }
agent_once() { # NAME ARGS...
	local n=$1
	shift
	nsx vm "$AGENT" -s "$URL" --subnet spoke-a/app --table "$TABLE" --once \
		-t "$T_DIR/agent.token" --name "$n" "$@" >"$T_DIR/$n.out" 2>"$T_DIR/$n.err"
}

# ----------------------------------------------------------- the agent
agent_once wrong-ca --cacert "$T_DIR/ca-b.crt"
check "an agent trusting ca-b exits non-zero" test $? -ne 0
check_match "it says the certificate is not trusted" "$(cat "$T_DIR/wrong-ca.err")" \
	"[Cc]ertificate|SSL"
check_eq "and installs nothing" "$(owned | wc -l)" 0

agent_once wrong-pin --pin "$WRONG_PIN"
check "an agent pinning another key exits non-zero" test $? -ne 0
check_match "it says the public key does not match" "$(cat "$T_DIR/wrong-pin.err")" \
	"[Pp]ublic key|pinned"
check_eq "and installs nothing" "$(owned | wc -l)" 0

nsx vm "$AGENT" -s "http://$API" --subnet spoke-a/app --table "$TABLE" --once \
	--https-only >"$T_DIR/plain.out" 2>"$T_DIR/plain.err"
check_eq "--https-only refuses an http:// server (exit 2)" "$?" 2

agent_once good --cacert "$T_DIR/ca-a.crt"
check "an agent trusting ca-a succeeds" test $? -eq 0
check_match "it installs $P4 via nva1" "$(owned)" "^198\.19\.250\.0/24 via $N1 "
acked() { get "$URL/api/v1/fabric/agents" | jq -e ".agents[] | select(.agent==\"$1\")" >/dev/null; }
check "its ack, made with the agent token, is recorded" acked good
nsx vm "$AGENT" -F --table "$TABLE" >/dev/null 2>&1

agent_once pinned --pin "$PIN"
check "an agent pinning the server's key (no CA) succeeds" test $? -eq 0
check_match "it installs $P4" "$(owned)" "^198\.19\.250\.0/24 via $N1 "
check "its ack is recorded" acked pinned

check_match "pharosctl --cacert ca-a shows the peers over HTTPS" \
	"$(nsx vm "$PHAROSCTL" -s "$URL" --cacert "$T_DIR/ca-a.crt" show peers 2>&1)" "nva1"
check "pharosctl trusting only ca-b cannot reach it" \
	eval '! PHAROS_CACERT=$T_DIR/ca-b.crt nsx vm "$PHAROSCTL" -s "$URL" show peers >/dev/null 2>&1'

# a route the agent's kernel refuses (its next hop is not reachable from
# the host): the ack says so and pharosd reports it
touch "$T_DIR/go-bad"
has_bad() { get "$URL/api/v1/fabric/subnets/spoke-a/app/table" | grep -q 198.19.251.0/24; }
check_wait "pharosd programs 198.19.251.0/24 via 198.18.9.9" 15 has_bad
agent_once failing --cacert "$T_DIR/ca-a.crt"
check "--once with a route the kernel refuses exits non-zero" test $? -ne 0
check_wait "pharosd logs the agent's failure from its ack" 5 \
	grep -q "agent failing (spoke-a/app): 1 routes not installed" "$(log_of pharosd)"
check_match "and raises an agent_failed event" "$(get "$URL/api/v1/events")" '"agent_failed"'
nsx vm "$AGENT" -F --table "$TABLE" >/dev/null 2>&1

# ----------------------------------------------------------- token scopes
post() { # TOKEN PATH: the HTTP status
	get -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $1" "$URL$2"
}
check_eq "the agent token cannot disable a peer (401)" \
	"$(post "agent-token-$$" /api/v1/peers/nva1/disable)" 401
check "nva1 stays established" established
check_eq "the agent token cannot reload (401)" "$(post "agent-token-$$" /api/v1/reload)" 401
check_eq "the admin token can disable the peer (200)" \
	"$(post "admin-token-$$" /api/v1/peers/nva1/disable)" 200
check_eq "an ack without a token is refused (401)" \
	"$(get -o /dev/null -w '%{http_code}' -X POST -d '{"agent":"x","version":1}' \
		"$URL/api/v1/fabric/subnets/spoke-a/app/ack")" 401

# an agent token equal to the admin token is a configuration error
cp "$T_DIR/admin.token" "$T_DIR/agent.token"
check_match "pharosd -n refuses an agent token equal to the admin token" \
	"$(nsx rs "$PHAROSD" -n -c "$CONF" 2>&1)" "agent_token_file holds the admin token"
t_done
