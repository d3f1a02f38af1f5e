#!/bin/sh
# pogo api with api.auth cert over HTTPS (SPEC 11.1, 10.1; A-AUTH-CERT),
# certificates from `pogo ca`, in front of a TLS control port: the user is
# the CN of the client certificate (pogo submit as alice; user=bob
# refused), no client certificate -> 401 but /status works, a certificate
# of another kind or CA is refused; with TLS but auth none on a
# non-loopback address the API refuses to start.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$(dirname "$0")/dispatcher.sh"
. "$(dirname "$0")/tls.sh"
. "$(dirname "$0")/api.sh"

POGO_CA=$POGO make_certs
tls_dispatcher_yaml
"$POGO" ca issue client bob --dir "$C/ca-dir" --out "$C/bob" >/dev/null ||
    fail "cannot issue bob"
# alice, no admin, runs local tasks below: only with the switch (#10).
start_dispatcher -o dispatcher.local_tasks_for_all=true
start_worker_tls() {
	worker_port || fail "no worker port"
	start_tls_worker w1 worker
}
start_worker_tls
start_api -o api.auth=cert
CURL="curl -s --max-time 20 --cacert $C/ca.crt"
ALICE="--cert $C/client.crt --key $C/client.key"

# shellcheck disable=SC2086
code=$($CURL $ALICE -o "$T/body" -w '%{http_code}' "https://$API/v1/whoami") ||
    fail "whoami over HTTPS"
expect_eq "whoami" "$code $(jget 'j["response"]')" \
    '200 {"admin": false, "auth": "cert", "user": "alice"}'
# shellcheck disable=SC2086
code=$($CURL -o "$T/body" -w '%{http_code}' "https://$API/v1/jobs") ||
    fail "no client certificate"
expect_eq "no certificate" "$code $(jget 'j["errors"]')" \
    '401 ["authentication required"]'
# shellcheck disable=SC2086
code=$($CURL -o "$T/body" -w '%{http_code}' "https://$API/status") ||
    fail "/status"
expect_eq "/status without a certificate" "$code" 200
# A certificate of kind dispatcher is no client's.
# shellcheck disable=SC2086
$CURL --cert "$C/dispatcher.crt" --key "$C/dispatcher.key" -o /dev/null \
    "https://$API/v1/whoami" && fail "a dispatcher certificate was taken"
# Plain HTTP gets nothing it can read.
curl -s --max-time 5 -o /dev/null "http://$API/status" &&
    fail "plain HTTP to the HTTPS API answered"

# pogo submit as alice; user=bob refused.
cat >"$T/client.yaml" <<EOY
api: https://$API
ca: $C/ca.crt
cert: $C/client.crt
key: $C/client.key
EOY
POGO_CLIENT_CONFIG=$T/client.yaml
export POGO_CLIENT_CONFIG
unset POGO_TOKEN
out=$("$POGO" submit --targets h1 --command true --local) ||
    fail "submit as alice: $out"
J=${out%%;*}
# shellcheck disable=SC2086
$CURL $ALICE -o "$T/body" "https://$API/v1/jobs/$J" || fail "job"
expect_eq "the job's user" "$(jget 'j["response"]["job"]["user"]')" alice
# shellcheck disable=SC2086
code=$($CURL $ALICE -o "$T/body" -w '%{http_code}' -d range=h1 \
    -d command=true -d user=bob "https://$API/v1/jobs") || fail "user=bob"
expect_eq "user=bob" "$(jget 'j["response"]["message"]')" \
    "user 'bob' does not match the authenticated user 'alice'"
# bob may not halt alice's job.
# shellcheck disable=SC2086
code=$($CURL $ALICE -o "$T/body" -w '%{http_code}' -d range=h1 \
    -d 'command=sleep 60' -d task_name=local "https://$API/v1/jobs") ||
    fail "submit"
J=$(jget 'j["response"]["jobid"]')
code=$($CURL --cert "$C/bob.crt" --key "$C/bob.key" -o "$T/body" \
    -w '%{http_code}' -d command=jobhalt "https://$API/v1/jobs/$J") ||
    fail "bob halts"
expect_eq "bob halts alice's job" "$code $(jget 'j["errors"]')" \
    '403 ["permission denied"]'
# shellcheck disable=SC2086
code=$($CURL $ALICE -o "$T/body" -w '%{http_code}' -d command=jobhalt \
    "https://$API/v1/jobs/$J") || fail "alice halts"
expect_eq "alice halts her job" "$code" 200
stop_api

# TLS without authentication off loopback: refused unless --insecure.
P=$(e2e_port 1)
"$POGO" api -f "$T/pogo.yaml" --listen "0.0.0.0:$P" >"$T/out" 2>"$T/err"
expect_eq "no auth exit" $? 2
expect_eq "no auth message" "$(cat "$T/err")" \
    "pogo api: refusing to serve the API on 0.0.0.0:$P without authentication; use --insecure to override"
echo "PASS $E2E_NAME"
