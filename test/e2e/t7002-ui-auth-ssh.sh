#!/bin/sh
# The web UI with real authentication and a real SSH login (SPEC 11.1,
# 11.6, 10.3; issue 12), in Debian's chromium driven headless by
# playwright-core (test/e2e/ui-auth-ssh.js).  A dispatcher and a worker
# over TLS (certificates from `pogo ca`; api.worker_cert is the worker's
# RSA certificate), `pogo api` over HTTPS in token mode with a token
# file of three users (alice owns the jobs, carol is an admin, bob is
# neither) and a real sshd whose logins need the test user's password;
# everything, the browser too, runs in the sshd's network namespace.
#  - The page asks for the token, then shows the user of the real
#    /v1/whoami; Halt, Retry and Skip are enabled for alice and carol and
#    disabled for bob, and bob's forced Halt is refused (403, the job runs
#    on).
#  - A job submitted by `pogo submit -p` with a wrong password fails on
#    its two hosts; alice types the right password into the page and
#    clicks Retry selected: the page seals it with Web Crypto for the
#    worker certificate (the box opens with the worker key to what was
#    typed), the worker decrypts it, sshd logs password logins to both
#    hosts after the retry, and both hosts finish with their output.
#    Another such job's host is retried from its output page, with the
#    password typed there.
#  - A job with the right password, halted after one of its two hosts,
#    loses its secrets in a dispatcher restart: Resume from the page
#    without the password is refused (409) and the page moves to the
#    password field; typed there, Resume (from the keyboard) seals it
#    for the worker, the other host logs in with it and the job finishes.
#  - Neither password is in the dispatcher's state, any log or the
#    browser's request log; no request went to another origin.
# Screenshots go to <build>/ui-screenshots/t7002-*.png.
. "$(dirname "$0")/ui.sh"
. "$(dirname "$0")/tls.sh"

# The sshd, the certificates and start_pogo in its namespace, cps_get,
# tjob_is, thost_is.
. "$(dirname "$0")/tls-ssh.sh"

# pw_logins FROM OUTCOME: the addresses that sshd saw a password login
# to (OUTCOME Accepted or Failed) from line FROM of its log on, one a line.
pw_logins() {
	tail -n "+$1" "$T/sshd.log" | awk -v want="$2" '
	    $1 == "Connection" && $2 == "from" { to[$5] = $7 }
	    $1 == want && $2 == "password" { print to[$8] }' | sort -u
}

start_dispatcher -o api.worker_cert="$C/worker.crt"
wait_for 10 "the worker port's Listening line" worker_port
ip netns exec "$E2E_NS" "$POGO" worker -f /dev/null -o state_dir="$(mktemp -d "$T/ws.XXXXXX")" --dispatcher "$WP" \
    -o worker.reconnect_delay=0 -o worker.name=w1 -o "state_dir=$T/wstate" \
    -o "tls.cert=$C/worker.crt" -o "tls.key=$C/worker.key" \
    -o "tls.ca_cert=$C/ca.crt" -o worker.ssh.port="$SSHD_PORT" \
    -v >"$T/worker.out" 2>"$T/worker.log" &
E2E_PIDS="$E2E_PIDS $!"
wait_for 30 "the worker in /status" nworkers 1

# pogo api over HTTPS (the dispatcher certificate, SAN 127.0.0.1), to the
# TLS control port, in token mode: a real token file, mode 0600.
TA=alice-7002aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
TB=bob-7002bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
TC=carol-7002cccccccccccccccccccccccccccccccc
printf 'alice %s\nbob %s\ncarol %s\n' "$TA" "$TB" "$TC" >"$T/tokens"
chmod 600 "$T/tokens"
start_pogo api -f "$T/pogo.yaml" -o api.listen=127.0.0.1:0 \
    -o "api.dispatcher=$CP" -o api.auth=token \
    -o "api.token_file=$T/tokens" -o 'api.admins=[carol]'
APID=$POGO_PID
api_listening() {
	grep -q ' Listening on ' "$T/api.log" 2>/dev/null ||
	    { alive "$APID" || fail "pogo api exited"; return 1; }
}
wait_for 30 "the API's Listening line" api_listening
API=https://$(sed -n 's/.* Listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p' \
    "$T/api.log" | head -n 1)
[ "$API" != https:// ] || fail "no API address in the log"

POGO_CLIENT_CONFIG=$T/client.yaml
export POGO_CLIENT_CONFIG
printf 'api: %s\nca: %s\n' "$API" "$C/ca.crt" >"$T/client.yaml"
JOB="--ssh-user $TEST_USER"
WRONG=not-the-7002-password

# The job to retry: a wrong password, both hosts fail to log in.
out=$(printf '%s\n' "$WRONG" | POGO_TOKEN=$TA in_ns "$POGO" submit -p \
    --targets 127.0.0.1,127.0.0.2 $JOB \
    --command 'echo "ran-as-$(id -un) on $POGO_HOST"') ||
    fail "submit -p: $out"
JFAIL=${out%%;*}
for h in 127.0.0.1 127.0.0.2; do
	wait_for 60 "$h to fail with the wrong password" thost_is "$JFAIL" \
	    "$h" state failed
done
wait_for 30 "the failed job to end" tjob_is "$JFAIL" state finished
# A second one, retried from its host's output page.
out=$(printf '%s\n' "$WRONG" | POGO_TOKEN=$TA in_ns "$POGO" submit -p \
    --targets 127.0.0.4 $JOB \
    --command 'echo "ran-as-$(id -un) on $POGO_HOST"') ||
    fail "submit -p: $out"
JONE=${out%%;*}
wait_for 60 "127.0.0.4 to fail with the wrong password" thost_is "$JONE" \
    127.0.0.4 state failed
expect_eq "sshd's refused passwords" "$(pw_logins 1 Failed | xargs)" \
    "127.0.0.1 127.0.0.2 127.0.0.4"
# A job to resume (SPEC 5.5): 127.0.0.5 and .6 one at a time, with the
# right password; halted while the first runs, which then finishes.  The
# dispatcher restarts (on the same ports), so the job's secrets are gone:
# its resume needs the password again.
in_flight() {
	cps_get "/v1/jobs/$JRES/hosts"
	[ "$code" = 200 ] && FIRST=$(jget '" ".join(h for h, v in
	    j["response"]["hosts"].items() if v["state"] == "running")') &&
	    [ -n "$FIRST" ]
}
out=$(printf '%s\n' "$TEST_PASSWORD" | POGO_TOKEN=$TA in_ns "$POGO" \
    submit -p --targets 127.0.0.5,127.0.0.6 --concurrent 1 $JOB \
    --command "i=0; while [ ! -e $T/go-res ] && [ \$i -lt 1200 ]; do sleep 0.1; i=\$((i+1)); done; echo \"ran-as-\$(id -un) on \$POGO_HOST\"") ||
    fail "submit -p (to resume): $out"
JRES=${out%%;*}
wait_for 60 "a host of the job to resume running" in_flight
case $FIRST in
127.0.0.5) SECOND=127.0.0.6 ;;
127.0.0.6) SECOND=127.0.0.5 ;;
*) fail "running at once with --concurrent 1: $FIRST" ;;
esac
out=$(POGO_TOKEN=$TA in_ns "$POGO" halt "$JRES") || fail "halt: $out"
touch "$T/go-res"
wait_for 60 "the halted job's running host to finish" thost_is "$JRES" \
    "$FIRST" state finished
wait_for 30 "the job to be halted" tjob_is "$JRES" state halted
thost_is "$JRES" "$SECOND" state halted || fail "$SECOND: $(cat "$T/body")"
restart_dispatcher TERM -o api.worker_cert="$C/worker.crt" \
    -o "dispatcher.control_listen=$CP" -o "dispatcher.worker_listen=$WP"
wait_for 30 "the worker back in /status" nworkers 1
# A running job (the right password), until $T/go-run exists.
out=$(printf '%s\n' "$TEST_PASSWORD" | POGO_TOKEN=$TA in_ns "$POGO" \
    submit -p --targets 127.0.0.3 $JOB --command "i=0; while [ ! -e $T/go-run ] && [ \$i -lt 1200 ]; do sleep 0.1; i=\$((i+1)); done; echo released") ||
    fail "submit -p (running): $out"
JRUN=${out%%;*}
wait_for 60 "the running job's host" thost_is "$JRUN" 127.0.0.3 state \
    running
expect_eq "the owner" "$(in_ns env POGO_TOKEN="$TB" "$POGO" status -v \
    "$JFAIL" | sed -n 's/^ *user: //p')" alice
before=$(wc -l <"$T/sshd.log")

# The browser trusts the API's certificate by its key (Chromium's
# --ignore-certificate-errors-spki-list), not by ignoring errors.
APISPKI=$(openssl x509 -in "$C/dispatcher.crt" -pubkey -noout |
    openssl pkey -pubin -outform DER | openssl dgst -sha256 -binary |
    base64 -w0) || fail "the API certificate's key"
TOKENS=$(printf '{"alice": "%s", "bob": "%s", "carol": "%s"}' "$TA" \
    "$TB" "$TC")
JOBS=$(printf '{"fail": "%s", "run": "%s", "one": "%s", "res": "%s"}' \
    "$JFAIL" "$JRUN" "$JONE" "$JRES")
UI_IN=in_ns
ui_browser ui-auth-ssh.js JOBS="$JOBS" TOKENS="$TOKENS" APISPKI="$APISPKI" \
    SECRET="$TEST_PASSWORD"
if grep 'TLS handshake' "$T/api.log"; then
	fail "a TLS handshake with pogo api failed"
fi

# The retry's password field was a box for the worker key, opening to
# what was typed (SPEC 10.3).
for b in retry retry-one resume; do
	[ -s "$T/box-$b.b64" ] || fail "the page posted no password box ($b)"
	got=$("$(dirname "$POGO")/box-tool" open "$C/worker.key" \
	    <"$T/box-$b.b64") ||
	    fail "the worker key cannot open the page's box ($b)"
	expect_eq "the page's box ($b), opened with the worker key" "$got" \
	    "$TEST_PASSWORD"
done
# The hosts finished after the retries, logged in with the password.
for jh in "$JFAIL 127.0.0.1" "$JFAIL 127.0.0.2" "$JONE 127.0.0.4" \
    "$JRES $SECOND"; do
	set -- $jh
	thost_is "$1" "$2" state finished ||
	    fail "$2 after the retry: $(cat "$T/body")"
	expect_eq "$2's output" "$(in_ns env POGO_TOKEN="$TA" "$POGO" output \
	    "$1" "$2")" "ran-as-$TEST_USER on $2"
done
expect_eq "sshd's password logins after the retries and the resume" \
    "$(pw_logins "$((before + 1))" Accepted | xargs)" \
    "127.0.0.1 127.0.0.2 127.0.0.4 $SECOND"
tjob_is "$JRES" state finished || fail "the resumed job: $(cat "$T/body")"
if grep -q "Accepted publickey\|Accepted keyboard" "$T/sshd.log"; then
	fail "a login without the password"
fi
touch "$T/go-run"
wait_for 60 "the running job to end" tjob_is "$JRUN" state finished
thost_is "$JRUN" 127.0.0.3 state finished || fail "run: $(cat "$T/body")"

ui_shots t7002-auth-bob t7002-auth-retried t7002-auth-output-retried \
    t7002-auth-resumed
stop_dispatcher_cleanly
# No password anywhere pogo or the browser wrote.
[ -s "$T/requests.log" ] || fail "no browser request log"
for s in "$TEST_PASSWORD" "$WRONG"; do
	if grep -ral -F -- "$s" "$DSTATE" "$T"/*.log; then
		fail "a password was written: $s"
	fi
done
echo "PASS $E2E_NAME"
