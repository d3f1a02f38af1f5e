# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The pogo authors
#
# The start of the tests of job secrets on a real `pogo worker` over TLS,
# fed by the fake dispatcher (test/e2e/fake-dispatcher.py) against a real
# sshd (t5212, t5213), sourced after lib.sh's e2e_init and start_sshd.  It
# makes a CA in $CA (`pogo ca`) with the dispatcher's certificate d1 (for
# 127.0.0.1) and a worker's, w1 (RSA: version 1 boxes), and sets
#   $FAKE $TOOL  the fake dispatcher and box-tool
#   $PORT        the fake dispatcher's port
#   $KEY_ID      w1's key id
#   $BOX_PW      the test user's password sealed for w1
# and defines
#   not_alive PID
#   scenario NAME TLS TRACE WORKER_ARGS...  the fake dispatcher's scenario
#                NAME (over TLS, certificate d1, when TLS is 1) against a
#                worker (under strace, $T/strace-NAME, when TRACE is 1),
#                both in the namespace; the worker then stops cleanly.
#                Logs: $T/fake-NAME.log, $T/worker-NAME.log; the worker's
#                state in $T/wstate, its pid file $T/w.pid.

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

not_alive() {
	! alive "$1"
}

# LeakSanitizer does not work under ptrace: a traced worker of a
# sanitized build checks no leaks (an untraced run does).
run_worker() {
	if [ "$trace" = 1 ]; then
		ip netns exec "$E2E_NS" strace -f -qq \
		    -e trace=open,openat,creat -o "$T/strace-$name" env \
		    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		    "$POGO" "$@"
	else
		ip netns exec "$E2E_NS" "$POGO" "$@"
	fi
}

scenario() {
	name=$1
	tls=$2
	trace=$3
	shift 3
	rm -f "$T/ready" "$T/w.pid"
	if [ "$tls" = 1 ]; then
		FAKE_TLS_CERT=$CA/d1.crt FAKE_TLS_KEY=$CA/d1.key \
		    FAKE_TLS_CA=$CA/ca.crt
	else
		FAKE_TLS_CERT= FAKE_TLS_KEY= FAKE_TLS_CA=
	fi
	export FAKE_TLS_CERT FAKE_TLS_KEY FAKE_TLS_CA
	ip netns exec "$E2E_NS" python3 "$FAKE" "$name" "$PORT" \
	    "$T/worker.log" "$T/w.pid" "$T/ready" >"$T/fake-$name.log" 2>&1 &
	FAKE_PID=$!
	E2E_PIDS="$E2E_PIDS $FAKE_PID"
	wait_for 10 "the fake dispatcher to listen" test -f "$T/ready"
	run_worker worker -f /dev/null \
	    --dispatcher "127.0.0.1:$PORT" -o worker.reconnect_delay=0 \
	    -o worker.name=wtest -o worker.max_tasks=3 \
	    -o worker.ssh.user="$TEST_USER" -o worker.ssh.port="$SSHD_PORT" \
	    -o pid_file="$T/w.pid" -o state_dir="$T/wstate" -v "$@" \
	    >"$T/worker-$name.out" 2>"$T/worker-$name.log" &
	WORKER_PID=$!
	E2E_PIDS="$E2E_PIDS $WORKER_PID"
	wait_for 120 "the fake dispatcher ($name)" not_alive "$FAKE_PID"
	wait "$FAKE_PID"
	[ $? -eq 0 ] || fail "scenario $name: $(tail -n 3 "$T/fake-$name.log")"
	alive "$WORKER_PID" || fail "the worker died"
	# The worker's own pid (under strace, or a shell's child).
	kill -TERM "$(cat "$T/w.pid")"
	wait_for 30 "the worker to exit" not_alive "$WORKER_PID"
	wait "$WORKER_PID"
	expect_eq "worker exit status ($name)" "$?" 0
	grep -q "loop not closed cleanly" "$T/worker-$name.log" &&
	    fail "the worker left a handle open"
	return 0
}
