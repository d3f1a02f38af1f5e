#!/bin/sh
# A task's password box on a real `pogo worker` over TLS answers
# keyboard-interactive authentication (SPEC 9.4, 9.6, 10.3; #10): sshd has
# password authentication off and PAM asking "Password:"; the right
# password logs in and the command runs, a box of a wrong one fails with
# "authentication failed".  The fake dispatcher feeds the tasks.
. "$(dirname "$0")/lib.sh"
e2e_init
command -v python3 >/dev/null 2>&1 || skip "no python3"
[ -e /etc/pam.d/sshd ] || skip "no PAM configuration for sshd"
SSHD_PASSWORD=no
SSHD_KBDINT=yes
start_sshd
FAKE=$POGO_SRC/test/e2e/fake-dispatcher.py
TOOL=$(dirname "$POGO")/box-tool
PORT=$(e2e_port 1)
CA=$T/ca

"$POGO" ca init --dir "$CA" >/dev/null || fail "ca init"
"$POGO" ca issue dispatcher d1 --dir "$CA" --san 127.0.0.1 \
    --out "$CA/d1" >/dev/null || fail "issue d1"
"$POGO" ca issue worker w1 --dir "$CA" --out "$CA/w1" >/dev/null ||
    fail "issue w1"
KEY_ID=$("$TOOL" kid "$CA/w1.crt") || fail "kid"
BOX_PW=$(printf '%s' "$TEST_PASSWORD" | "$TOOL" seal "$CA/w1.crt") ||
    fail "seal"
BOX_WRONG=$(printf 'wrong-%s' "$TEST_PASSWORD" | "$TOOL" seal "$CA/w1.crt") ||
    fail "seal"
export KEY_ID BOX_PW BOX_WRONG TEST_USER

not_alive() {
	! alive "$1"
}

FAKE_TLS_CERT=$CA/d1.crt FAKE_TLS_KEY=$CA/d1.key FAKE_TLS_CA=$CA/ca.crt
export FAKE_TLS_CERT FAKE_TLS_KEY FAKE_TLS_CA
ip netns exec "$E2E_NS" python3 "$FAKE" secrets-kbdint "$PORT" \
    "$T/worker.log" "$T/w.pid" "$T/ready" >"$T/fake.log" 2>&1 &
FAKE_PID=$!
E2E_PIDS="$E2E_PIDS $FAKE_PID"
wait_for 10 "the fake dispatcher to listen" test -f "$T/ready"
ip netns exec "$E2E_NS" "$POGO" worker -f /dev/null -o state_dir="$(mktemp -d "$T/ws.XXXXXX")" \
    --dispatcher "127.0.0.1:$PORT" -o worker.reconnect_delay=0 \
    -o worker.name=wtest -o worker.max_tasks=3 \
    -o worker.ssh.user="$TEST_USER" \
    -o worker.ssh.port="$SSHD_PORT" -o pid_file="$T/w.pid" \
    -o tls.cert="$CA/w1.crt" -o tls.key="$CA/w1.key" \
    -o tls.ca_cert="$CA/ca.crt" -v \
    >"$T/worker.out" 2>"$T/worker.log" &
WORKER_PID=$!
E2E_PIDS="$E2E_PIDS $WORKER_PID"
wait_for 120 "the fake dispatcher" not_alive "$FAKE_PID"
wait "$FAKE_PID"
[ $? -eq 0 ] || fail "scenario: $(tail -n 5 "$T/fake.log")"
alive "$WORKER_PID" || fail "the worker died"
kill -TERM "$(cat "$T/w.pid")"
wait_for 30 "the worker to exit" not_alive "$WORKER_PID"
wait "$WORKER_PID"
expect_eq "worker exit status" "$?" 0
grep -q "loop not closed cleanly" "$T/worker.log" &&
    fail "the worker left a handle open"
# sshd saw keyboard-interactive, never a password method.
grep -q "Accepted keyboard-interactive" "$T/sshd.log" ||
    fail "sshd logged no keyboard-interactive login"
grep -q "Accepted password" "$T/sshd.log" && fail "a password login"
grep -F -- "$TEST_PASSWORD" "$T/worker.log" "$T/fake.log" &&
    fail "the password is in a log"
echo "PASS $E2E_NAME"
