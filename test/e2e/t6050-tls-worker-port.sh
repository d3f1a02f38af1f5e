#!/bin/sh
# N-007 (SPEC 10.1): a dispatcher and workers with certificates from a
# freshly made CA (`pogo ca`): a worker connects over TLS and the control
# port's /status (HTTPS, with the dispatcher-kind client certificate the
# API server uses) lists it as "<name> 127.0.0.1:<port>" (N-001).
# Refused at the worker port, each logged, none listed: a worker
# certificate from another CA, a client without a certificate (openssl
# s_client), a client-kind certificate (an expired one: unit.stream).
# Plain TCP gets nothing; the control port refuses a client without a
# certificate.  Both stop cleanly.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$(dirname "$0")/dispatcher.sh"
. "$(dirname "$0")/tls.sh"

POGO_CA=$POGO make_certs
tls_dispatcher_yaml
start_dispatcher
wait_for 10 "the worker port's Listening line" worker_port

start_tls_worker wn1 worker -o "tls.ca_cert=$C/ca.crt"
GOOD=$WPID
wait_for 30 "the TLS worker in /status" nworkers 1
w=$(jget 'j["workers"][0]')
echo "$w" | grep -Eq '^wn1 127\.0\.0\.1:[0-9]+$' ||
    fail "/status worker entry: '$w'"
grep -q "worker wn1 at 127.0.0.1:[0-9]*: hello" "$T/dispatcher.log" ||
    fail "the dispatcher did not log the hello"

# refused N WHAT: the dispatcher has logged N TLS refusals.
refused() {
	[ "$(grep -c ': TLS: ' "$T/dispatcher.log")" -ge "$1" ]
}

# Another CA.
start_tls_worker wn2 other-worker -o "tls.ca_cert=$C/ca.crt"
BAD=$WPID
wait_for 30 "the other CA's worker refused" refused 1
grep -q ': TLS: the peer certificate: .*not correctly signed' \
    "$T/dispatcher.log" || fail "other CA: $(grep TLS "$T/dispatcher.log")"
kill "$BAD"
wait "$BAD" 2>/dev/null

# No client certificate.
sleep 2 | openssl s_client -connect "$WP" -CAfile "$C/ca.crt" \
    >"$T/s_client.out" 2>&1
wait_for 30 "the client without a certificate refused" refused 2
grep -q "Hello, worker" "$T/s_client.out" &&
    fail "a client without a certificate was greeted"

# A client-kind certificate at the worker port.
start_tls_worker alice client -o "tls.ca_cert=$C/ca.crt"
BAD=$WPID
wait_for 30 "the client-kind certificate refused" refused 3
grep -q ": TLS: the peer certificate (CN 'alice') is of kind 'client', not 'worker'" \
    "$T/dispatcher.log" || fail "wrong kind: $(grep TLS "$T/dispatcher.log")"
kill "$BAD"
wait "$BAD" 2>/dev/null

# Still the one good worker, and no hello from any other.
nworkers 1 || fail "/status: $(cat "$T/body")"
[ "$(grep -c ': hello (' "$T/dispatcher.log")" = 1 ] || fail "more than one hello"

# Plain text at a TLS port: no greeting in clear.
python3 - "$WP" >"$T/plain.out" <<'EOP'
import socket, sys
h, p = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((h, int(p)), timeout=10)
s.sendall(b'{"channel": 0, "msg": "hello"}\n')
s.settimeout(5)
try:
    print(s.recv(4096))
except Exception as e:
    print(e)
EOP
grep -q "Hello, worker" "$T/plain.out" && fail "greeted in plain text"

# The control port wants a client certificate.
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 \
    --cacert "$C/ca.crt" "https://$CP/status")
[ "$code" = 200 ] && fail "the control port answered without a certificate"

kill -TERM "$GOOD"
not_alive() {
	! alive "$1"
}
wait_for 20 "the worker to stop" not_alive "$GOOD"
wait "$GOOD"
expect_eq "worker exit status" "$?" 0
stop_dispatcher TERM
expect_eq "dispatcher exit status" "$drc" 0
grep -q "loop not closed cleanly" "$T"/*.log && fail "a handle was left open"
echo "PASS $E2E_NAME"
