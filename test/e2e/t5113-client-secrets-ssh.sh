#!/bin/sh
# Job secrets from the client (SPEC 12.4, 12.5, 10.3, 11.3) on a real
# dispatcher and worker over TLS (certificates from `pogo ca`) and a real
# sshd, through `pogo api` (and test/e2e/tls-bridge.py to the TLS control
# port): GET /v1/workercert on the control
# port (api.worker_cert), each field checked against openssl; pogo submit
# -p on a password-only login (the worker offers no key of its own);
# pogo submit -i with an encrypted key and its passphrase; a wrong
# password, then pogo retry -p with the right one; a worker certificate
# of another CA refused with --ca (exit 2); --worker-cert; a dispatcher
# whose api.worker_cert is no certificate does not start; D-5 (SIGKILL
# of the dispatcher under a job with a password, pogo resume -p after
# the restart).  No password,
# passphrase or key line in the store, the logs or the answers.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$(dirname "$0")/dispatcher.sh"
. "$(dirname "$0")/tls.sh"
. "$(dirname "$0")/api.sh"
have ssh-keygen "the job's key" || skip "no ssh-keygen"
. "$(dirname "$0")/tls-ssh.sh"

# A dispatcher whose api.worker_cert is a private key does not start
# (a configuration error: exit 2).
in_ns timeout 20 "$POGO" dispatcher -f "$T/pogo.yaml" \
    -o api.worker_cert="$C/ca.key" \
    -o dispatcher.control_listen=127.0.0.1:0 \
    -o dispatcher.worker_listen=127.0.0.1:0 >/dev/null 2>"$T/err"
expect_eq "bad api.worker_cert exit" $? 2
grep -q "api.worker_cert: $C/ca.key: not a certificate with an RSA (2048 bits or more) or EC P-256 key" \
    "$T/err" || fail "bad api.worker_cert: $(cat "$T/err")"

start_dispatcher -o api.worker_cert="$C/worker.crt"
wait_for 10 "the worker port's Listening line" worker_port
ip netns exec "$E2E_NS" "$POGO" worker -f /dev/null -o state_dir="$(mktemp -d "$T/ws.XXXXXX")" --dispatcher "$WP" \
    -o worker.reconnect_delay=0 -o worker.name=w1 \
    -o "tls.cert=$C/worker.crt" -o "tls.key=$C/worker.key" \
    -o "tls.ca_cert=$C/ca.crt" -o worker.ssh.port="$SSHD_PORT" \
    -v >"$T/worker.out" 2>"$T/worker.log" &
E2E_PIDS="$E2E_PIDS $!"
wait_for 30 "the worker in /status" nworkers 1

# GET /v1/workercert: the certificate of api.worker_cert.
cps_get /v1/workercert
expect_eq "workercert status" "$code" 200
expect_eq "workercert count" "$(jget 'len(j["response"]["certs"])')" 1
expect_eq "workercert keys" "$(jget 'sorted(j["response"]["certs"][0])')" \
    '["key_id", "not_after", "pem", "spki", "subject"]'
expect_eq "pem" "$(jget "j['response']['certs'][0]['pem'] == open('$C/worker.crt').read()")" true
openssl x509 -in "$C/worker.crt" -pubkey -noout |
    openssl pkey -pubin -outform DER >"$T/spki.der" || fail "openssl spki"
expect_eq "spki" "$(jget 'j["response"]["certs"][0]["spki"]')" \
    "$(base64 -w0 <"$T/spki.der")"
expect_eq "key_id" "$(jget 'j["response"]["certs"][0]["key_id"]')" \
    "$(sha256sum <"$T/spki.der" | cut -d' ' -f1)"
expect_eq "subject" "$(jget 'j["response"]["certs"][0]["subject"]')" \
    "CN=w1, OU=worker, O=pogo"
end=$(openssl x509 -in "$C/worker.crt" -enddate -noout | sed 's/^notAfter=//')
expect_eq "not_after" "$(jget 'j["response"]["certs"][0]["not_after"]')" \
    "$(date -u -d "$end" +%Y-%m-%dT%H:%M:%SZ)"

# pogo api speaks plain HTTP to its upstream: a bridge to the TLS control
# port (with the dispatcher certificate the API server would present).
ip netns exec "$E2E_NS" python3 "$POGO_SRC/test/e2e/tls-bridge.py" "$CP" \
    "$C/ca.crt" "$C/dispatcher.crt" "$C/dispatcher.key" >"$T/bridge.out" \
    2>"$T/bridge.log" &
E2E_PIDS="$E2E_PIDS $!"
bridge_up() { [ -s "$T/bridge.out" ]; }
wait_for 20 "the TLS bridge" bridge_up
# pogo api without TLS of its own (its listener is loopback).
printf 'state_dir: %s\n' "$DSTATE" >"$T/api.yaml"
ip netns exec "$E2E_NS" "$POGO" api -f "$T/api.yaml" \
    -o api.listen=127.0.0.1:0 \
    -o "api.dispatcher=127.0.0.1:$(cat "$T/bridge.out")" >"$T/api.out" \
    2>"$T/api.log" &
APID=$!
E2E_PIDS="$E2E_PIDS $APID"
api_wait
API=http://$API
POGO_CLIENT_CONFIG=$T/client.yaml
export POGO_CLIENT_CONFIG
printf 'api: %s\n' "$API" >"$T/client.yaml"
JOB="--targets 127.0.0.1 --ssh-user $TEST_USER"

PHRASE=phrase-Canary-4711
ssh-keygen -q -t ed25519 -N "$PHRASE" -C job-key -f "$T/jobkey" ||
    fail "ssh-keygen"
cat "$T/jobkey.pub" >>"$T/authorized_keys"
KEYLINE=$(sed -n 2p "$T/jobkey")
# A wrong passphrase: a usage error before anything is sent.
printf 'wrong\n' | in_ns "$POGO" submit -i "$T/jobkey" $JOB \
    --command true >/dev/null 2>"$T/err"
expect_eq "wrong passphrase exit" $? 2
expect_eq "wrong passphrase" "$(cat "$T/err")" \
    "pogo submit: cannot load identity file $T/jobkey (not a private key, or a wrong passphrase)"
in_ns "$POGO" submit -i "$T/nokey" $JOB --command true >/dev/null \
    2>"$T/err" </dev/null
expect_eq "missing key exit" $? 2

# A certificate of another CA than --ca's: refused, nothing submitted.
printf 'x\n' | in_ns "$POGO" submit -p --ca "$C/other-ca.crt" $JOB \
    --command true >/dev/null 2>"$T/err"
expect_eq "other CA exit" $? 2
grep -q "^pogo submit: the API's worker certificate: .*not correctly signed" \
    "$T/err" || fail "other CA: $(cat "$T/err")"

# -p: the job record says it has a password, never what it is.
out=$(printf '%s\n' "$TEST_PASSWORD" |
    in_ns "$POGO" submit -p --ca "$C/ca.crt" $JOB --command 'echo hi-pw') ||
    fail "submit -p: $out"
expect_eq "job line" "$out" "p0000000000; $API/ui/job/p0000000000"
expect_eq "has_password" "$(in_ns "$POGO" status -v 0 |
    sed -n 's/^ *has_password: //p')" true
wait_for 60 "the password job to end" tjob_is p0000000000 state finished
thost_is p0000000000 127.0.0.1 state finished ||
    fail "password job: $(cat "$T/body")"
expect_eq "password job output" "$(in_ns "$POGO" output 0 127.0.0.1)" hi-pw

# -i: an encrypted key and its passphrase, no password.
out=$(printf '%s\n' "$PHRASE" |
    in_ns "$POGO" submit -i "$T/jobkey" $JOB --command 'echo hi-key') ||
    fail "submit -i: $out"
wait_for 60 "the key job to end" tjob_is p0000000001 state finished
thost_is p0000000001 127.0.0.1 state finished ||
    fail "key job: $(cat "$T/body")"
expect_eq "key job output" "$(in_ns "$POGO" output 1 127.0.0.1)" hi-key
# A wrong password (--worker-cert: the same key from a file), then
# pogo retry -p with the right one.
out=$(printf 'not-the-password\n' |
    in_ns "$POGO" submit -p --worker-cert "$C/worker.crt" $JOB \
    --command 'echo hi-retry') || fail "submit wrong -p: $out"
expect_eq "job line 2" "$out" "p0000000002; $API/ui/job/p0000000002"
wait_for 60 "the wrong password to fail" thost_is p0000000002 127.0.0.1 \
    state failed
out=$(printf '%s\n' "$TEST_PASSWORD" |
    in_ns "$POGO" retry -p 2 127.0.0.1) || fail "retry -p: $out"
expect_eq "retry -p" "$out" "retry requested for 1 host(s)
127.0.0.1: retried"
wait_for 60 "the retried host to finish" thost_is p0000000002 127.0.0.1 \
    state finished
expect_eq "retried output" "$(in_ns "$POGO" output 2 127.0.0.1)" hi-retry

# D-5 from the client: a job with a password whose first host is running
# (the second waits: --concurrent 1) when the dispatcher is SIGKILLed.
# The password is in no file of the state directory; restarted on the
# same state, the dispatcher halts the job "dispatcher restarted" (its
# secrets were in memory only); pogo resume without them is refused,
# pogo resume -p with the password typed at the terminal runs the
# second host through sshd.
GATE=$T/d5-go
D5CMD="i=0; while [ ! -e $GATE ] && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i + 1)); done; echo d5-ran"
out=$(printf '%s\n' "$TEST_PASSWORD" |
    in_ns "$POGO" submit -p --targets 127.0.0.2,127.0.0.3 --concurrent 1 \
    --ssh-user "$TEST_USER" --command "$D5CMD") || fail "submit D-5: $out"
J5=p0000000003
expect_eq "D-5 job line" "$out" "$J5; $API/ui/job/$J5"
wait_for 60 "the first D-5 host to run" thost_is $J5 127.0.0.2 state running
thost_is $J5 127.0.0.3 state waiting || fail "D-5 second host: $(cat "$T/body")"
stop_dispatcher KILL
grep -ral -F -- "$TEST_PASSWORD" "$DSTATE" &&
    fail "the password is in the state directory"
mv "$T/dispatcher.log" "$T/dispatcher-1.log"
start_dispatcher -o api.worker_cert="$C/worker.crt" \
    -o "dispatcher.control_listen=$CP" -o "dispatcher.worker_listen=$WP"
wait_for 60 "the worker back" nworkers 1
tjob_is $J5 state halted || fail "D-5 after the restart: $(cat "$T/body")"
tjob_is $J5 state_message "dispatcher restarted" ||
    fail "D-5 after the restart: $(cat "$T/body")"
in_ns "$POGO" resume $J5 >"$T/out" 2>"$T/err"
expect_eq "resume without the password: exit" $? 1
expect_eq "resume without the password" "$(cat "$T/err")" \
    "pogo resume: job $J5 has no secrets; give them with the request"
# The running host goes on through the restart and ends.
touch "$GATE"
wait_for 60 "the first D-5 host to finish" thost_is $J5 127.0.0.2 state finished
tjob_is $J5 state halted || fail "D-5 before the resume: $(cat "$T/body")"
# pogo resume -p on a terminal (SPEC 12.1): the prompt, no echo.
cat >"$T/tty.py" <<'EOP'
import fcntl, os, select, subprocess, sys, termios, time

def read_until(fd, text, end):
    buf = b""
    while text not in buf:
        left = end - time.time()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            sys.exit("no %r in %r" % (text, buf))
        buf += os.read(fd, 1024)
    return buf

master, slave = os.openpty()
def child():
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
p = subprocess.Popen(sys.argv[2:], stdin=slave, stdout=slave, stderr=slave,
                     preexec_fn=child)
end = time.time() + 30
seen = read_until(master, b"Password: ", end)
os.write(master, sys.argv[1].encode() + b"\n")
while p.poll() is None and time.time() < end:
    if select.select([master], [], [], 0.1)[0]:
        try:
            seen += os.read(master, 4096)
        except OSError:
            break
if p.poll() is None:
    p.kill()
    sys.exit("no exit: %r" % seen)
while select.select([master], [], [], 0)[0]:
    try:
        b = os.read(master, 4096)
    except OSError:
        break
    if not b:
        break
    seen += b
sys.stdout.write(seen.decode(errors="replace").replace("\r\n", "\n"))
sys.exit(p.returncode)
EOP
in_ns python3 "$T/tty.py" "$TEST_PASSWORD" "$POGO" resume -p $J5 >"$T/tty.out" 2>&1
expect_eq "resume -p exit" $? 0
expect_eq "resume -p on the terminal" "$(cat "$T/tty.out")" "Password: 
job $J5 resumed"
wait_for 60 "the resumed D-5 job to end" tjob_is $J5 state finished
thost_is $J5 127.0.0.3 state finished || fail "D-5 resumed: $(cat "$T/body")"
expect_eq "D-5 resumed host's output" "$(in_ns "$POGO" output $J5 127.0.0.3)" d5-ran
expect_eq "D-5 first host's output" "$(in_ns "$POGO" output $J5 127.0.0.2)" d5-ran

# No secret anywhere pogo writes: the store, the logs, the answers.
stop_dispatcher_cleanly
for s in "$TEST_PASSWORD" not-the-password "$PHRASE" "$KEYLINE"; do
	if grep -ral -F -- "$s" "$DSTATE" "$T"/dispatcher*.log \
	    "$T/worker.log" "$T/api.log" "$T/body"; then
		fail "a secret was written: $s"
	fi
done
echo "PASS $E2E_NAME"
