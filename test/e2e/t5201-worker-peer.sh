#!/bin/sh
# pogo worker against a fake dispatcher (test/e2e/fake-dispatcher.py) that
# speaks SPEC 8 by hand over loopback TCP: the greeting and the hello
# (N-HELLO's other half: what a worker announces), an unknown task name
# reported done with rc 255, a repeated run not run again (N-DEDUP),
# taskstatus, status, unknown commands, pings, N-MALFORMED (garbage
# ignored, a line over 4 MiB closes the link and the worker reconnects),
# a report sent again after a reconnection, SIGKILL (a new instance after
# restart) and SIGTERM (busy to new runs, the report delivered, exit 0).
. "$(dirname "$0")/lib.sh"
e2e_init
command -v python3 >/dev/null 2>&1 || skip "no python3"

FAKE=$POGO_SRC/test/e2e/fake-dispatcher.py
PORT=$(e2e_port 0)

# fake SCENARIO: start the fake dispatcher and wait until it listens.
fake() {
	rm -f "$T/ready" "$T/ready.killed" "$T/w.pid"
	python3 "$FAKE" "$1" "$PORT" "$T/worker.log" "$T/w.pid" "$T/ready" \
	    >"$T/fake-$1.log" 2>&1 &
	FAKE_PID=$!
	E2E_PIDS="$E2E_PIDS $FAKE_PID"
	wait_for 10 "the fake dispatcher to listen" test -f "$T/ready"
}

# worker: start pogo worker on the fake, with a pid file.
worker() {
	start_pogo worker -f /dev/null --dispatcher "127.0.0.1:$PORT" \
	    -o worker.reconnect_delay=0 -o worker.name=wtest \
	    -o worker.max_tasks=3 -o pid_file="$T/w.pid" \
	    -o state_dir="$T/wstate" -v
	WORKER_PID=$POGO_PID
}

not_alive() {
	! alive "$1"
}

# fake_passed SCENARIO: the fake ends and says PASS.
fake_passed() {
	wait_for 60 "the fake dispatcher ($1)" not_alive "$FAKE_PID"
	wait "$FAKE_PID"
	frc=$?
	cp "$T/fake-$1.log" "$T/fake-$1.out.log"
	[ "$frc" -eq 0 ] || fail "scenario $1: $(tail -n 3 "$T/fake-$1.log")"
}

# worker_exit WANT: the worker ends by itself with status WANT.
worker_exit() {
	wait_for 20 "the worker to exit" not_alive "$WORKER_PID"
	wait "$WORKER_PID"
	expect_eq "worker exit status" "$?" "$1"
	grep -q "loop not closed cleanly" "$T/worker.log" &&
	    fail "the worker left a handle open"
	cp "$T/worker.log" "$T/worker-$WORKER_PID.log"
}

# The protocol, then a clean SIGTERM.
fake protocol
worker
fake_passed protocol
alive "$WORKER_PID" || fail "the worker died"
kill -TERM "$WORKER_PID"
worker_exit 0
grep -q "SIGTERM: stopping" "$T/worker.log" || fail "no stop in the log"

fake reconnect-report
worker
fake_passed reconnect-report
kill -TERM "$WORKER_PID"
worker_exit 0

# SIGTERM waits for the report to be acknowledged, answering busy.
fake sigterm
worker
fake_passed sigterm
worker_exit 0

fake sigterm-idle
worker
fake_passed sigterm-idle
worker_exit 0

# SIGKILL, then a restart: a new instance.
fake sigkill
worker
wait_for 20 "the fake to kill the worker" test -f "$T/ready.killed"
wait_for 10 "the killed worker to go" not_alive "$WORKER_PID"
wait "$WORKER_PID"
expect_eq "killed worker status" "$?" 137
worker
fake_passed sigkill
kill -TERM "$WORKER_PID"
worker_exit 0

echo "PASS $E2E_NAME"
