#!/bin/sh
# The client commands over HTTPS (SPEC 12.4, 10.1) against a TLS control
# port with certificates from `pogo ca`: --ca, --cert and --key on the
# command line or in the client configuration file; the API's host name
# checked against its certificate's subjectAltName (a certificate that
# names only d2 is refused at 127.0.0.1); a server of another CA refused;
# a TLS client without --ca is a configuration error (exit 2).
. "$(dirname "$0")/lib.sh"
e2e_init
. "$(dirname "$0")/dispatcher.sh"
. "$(dirname "$0")/tls.sh"

POGO_CA=$POGO make_certs
tls_dispatcher_yaml
start_dispatcher
unset POGO_TOKEN
POGO_CLIENT_CONFIG=$T/client.yaml
export POGO_CLIENT_CONFIG
: >"$T/client.yaml"

# The certificate names 127.0.0.1 (SAN IP): accepted.
TLSOPTS="--ca $C/ca.crt --cert $C/dispatcher.crt --key $C/dispatcher.key"
# shellcheck disable=SC2086
out=$("$POGO" ping --api "https://$CP" $TLSOPTS) || fail "ping: $out"
echo "$out" | grep -Eqx "OK https://$CP [0-9]+ms" || fail "ping: '$out'"

# The same from the configuration file.
cat >"$T/client.yaml" <<EOF
api: https://$CP
ca: $C/ca.crt
cert: $C/dispatcher.crt
key: $C/dispatcher.key
EOF
expect_eq "jobs over HTTPS" "$("$POGO" jobs --all)" \
    "Job ID      User     Command"
: >"$T/client.yaml"

# Another CA: refused.
# shellcheck disable=SC2086
out=$("$POGO" ping --api "https://$CP" --ca "$C/other-ca.crt" \
    --cert "$C/dispatcher.crt" --key "$C/dispatcher.key")
expect_eq "other CA exit" $? 1
echo "$out" | grep -q "^ERROR https://$CP: the peer certificate: .*not correctly signed" ||
    fail "other CA: '$out'"

# Plain HTTP to the TLS port gets no answer it can read.
"$POGO" ping --api "http://$CP" >"$T/out" 2>&1
expect_eq "plain to TLS exit" $? 1

# Without --ca: a configuration error.
"$POGO" ping --api "https://$CP" >/dev/null 2>"$T/err"
expect_eq "no CA exit" $? 2

# A dispatcher certificate that names d2 only: the client refuses it at
# 127.0.0.1, and a client without a host name check would not notice.
"$POGO" ca issue dispatcher d2 --dir "$C/ca-dir" --out "$C/d2" >/dev/null ||
    fail "cannot issue d2"
restart_dispatcher TERM -o "tls.cert=$C/d2.crt" -o "tls.key=$C/d2.key"
# shellcheck disable=SC2086
out=$("$POGO" ping --api "https://$CP" $TLSOPTS)
expect_eq "SAN mismatch exit" $? 1
expect_eq "SAN mismatch" "$out" "ERROR https://$CP: the peer certificate (CN 'd2') does not name '127.0.0.1' in its subjectAltName"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 -k \
    --cert "$C/dispatcher.crt" --key "$C/dispatcher.key" "https://$CP/v1/ping")
expect_eq "the server itself answers" "$code" 200

stop_dispatcher_cleanly
echo "PASS $E2E_NAME"
