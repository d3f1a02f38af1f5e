#!/bin/sh
# pogo worker runs the tasks it receives (SPEC 8.3, 9), against the fake
# dispatcher (test/e2e/fake-dispatcher.py): local tasks with their output
# records numbered and batched (many lines, a NUL byte), the exit code, a
# signal, the worker's start and end times, taskstatus, taskkill, busy at
# max_tasks; SIGTERM with a task running (busy to new runs, the task ends,
# its reports are delivered, exit 0); SIGKILL of the worker mid-task (the
# dispatcher sees the connection drop), and the next worker on the same
# state directory kills the task that the killed one left running (SPEC
# 9.10's pid files).
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
	    -o worker.max_tasks=3 -o pid_file="$T/w.pid" \
	    -o state_dir="$T/wstate" -v
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
# Every task of the scenario ended: their pid files went with them.
[ -z "$(ls -A "$T/wstate/worker")" ] ||
	fail "pid files left: $(ls -A "$T/wstate/worker")"

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
# The task outlives its worker, its pid file with it (SPEC 9.10).
tpid=$(cat "$T/task.pid") || fail "no task pid"
alive "$tpid" || fail "the task died with its worker"
read -r pgid rest <"$T/wstate/worker/x1.pid" ||
	fail "no pid file for the running task: $(ls -la "$T/wstate/worker")"
expect_eq "the pid file's process group" "$pgid" "$tpid"
# The next start on that state directory kills it and removes the file
# (its dispatcher is gone: it only starts and retries).
worker
wait_for 10 "the leftover task to be killed" not_alive "$tpid"
wait_for 10 "the pid file to go" test ! -e "$T/wstate/worker/x1.pid"
grep -q "killed process group $tpid, left running by a worker" \
    "$T/worker.log" || fail "the kill is not logged"
kill -TERM "$WORKER_PID"
worker_exit 0
kill "$tpid" 2>/dev/null

echo "PASS $E2E_NAME"
