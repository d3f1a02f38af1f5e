#!/bin/sh
# pogo worker runs the tasks it receives (SPEC 8.3, 9), against the fake
# dispatcher (test/e2e/fake-dispatcher.py): local tasks with their output
# records numbered and batched (many lines, a NUL byte), the exit code, a
# signal, the worker's start and end times, taskstatus, taskkill, busy at
# max_tasks; SIGTERM with a task running (busy to new runs, the task ends,
# its reports are delivered, exit 0); SIGKILL of the worker mid-task (the
# dispatcher sees the connection drop).
. "$(dirname "$0")/lib.sh"
e2e_init
command -v python3 >/dev/null 2>&1 || skip "no python3"
export T

FAKE=$POGO_SRC/test/e2e/fake-dispatcher.py
PORT=$(e2e_port 0)

fake() {
	rm -f "$T/ready" "$T/w.pid"
	python3 "$FAKE" "$1" "$PORT" "$T/worker.log" "$T/w.pid" "$T/ready" \
	    >"$T/fake-$1.log" 2>&1 &
	FAKE_PID=$!
	E2E_PIDS="$E2E_PIDS $FAKE_PID"
	wait_for 10 "the fake dispatcher to listen" test -f "$T/ready"
}

worker() {
	start_pogo worker -f /dev/null --dispatcher "127.0.0.1:$PORT" \
	    -o worker.reconnect_delay=0 -o worker.name=wtest \
	    -o worker.max_tasks=3 -o pid_file="$T/w.pid" -v
	WORKER_PID=$POGO_PID
}

not_alive() {
	! alive "$1"
}

fake_passed() {
	wait_for 120 "the fake dispatcher ($1)" not_alive "$FAKE_PID"
	wait "$FAKE_PID"
	frc=$?
	[ "$frc" -eq 0 ] || fail "scenario $1: $(tail -n 3 "$T/fake-$1.log")"
}

worker_exit() {
	wait_for 30 "the worker to exit" not_alive "$WORKER_PID"
	wait "$WORKER_PID"
	expect_eq "worker exit status" "$?" "$1"
	grep -q "loop not closed cleanly" "$T/worker.log" &&
	    fail "the worker left a handle open"
	cp "$T/worker.log" "$T/worker-$WORKER_PID.log"
}

fake local
worker
fake_passed local
alive "$WORKER_PID" || fail "the worker died"
kill -TERM "$WORKER_PID"
worker_exit 0

fake sigterm-running
worker
fake_passed sigterm-running
worker_exit 0

fake sigkill-running
worker
fake_passed sigkill-running
wait_for 10 "the killed worker to go" not_alive "$WORKER_PID"
wait "$WORKER_PID"
expect_eq "killed worker status" "$?" 137
# The task outlives its worker (SPEC 9.10's pid files are for the next
# start); end it here, by its PID.
tpid=$(cat "$T/task.pid") || fail "no task pid"
kill "$tpid" 2>/dev/null

echo "PASS $E2E_NAME"
