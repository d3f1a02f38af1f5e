#!/bin/sh
# One worker per state directory (SPEC 9.10): worker A runs a long local
# task (its pid file in $T/wstate/worker); worker B started on the same
# state directory refuses to start (exit 1, "state directory ... is in
# use by pid <A>") instead of killing A's live task as left running by a
# worker that ended; A's task still runs, and B starts once A has died
# (SIGKILL), reaping the task A left.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$POGO_SRC/test/e2e/dispatcher.sh"

start_dispatcher
WS=$T/wstate
start_worker wa -o state_dir="$WS"
APID=$WPID

submit range=h1 command="echo \$\$ >'$T/task.pid'; exec sleep 300" user=u \
    task_name=local
expect_eq "submit" "$rc_field" ok
J=$(jget 'j["jobid"]')
wait_for 30 "h1 running on wa" host_is "$J" h1 state running
wait_for 30 "the task's pid file" sh -c "ls '$WS/worker/' | grep -q ."
wait_for 30 "the task's pid" test -s "$T/task.pid"
tpid=$(cat "$T/task.pid")
E2E_PIDS="$E2E_PIDS $tpid" # killed at exit if B failed to reap it
alive "$tpid" || fail "the task is not running"

"$POGO" worker -f /dev/null --dispatcher "$WP" -o worker.name=wb \
    -o state_dir="$WS" >"$T/b.out" 2>"$T/b.err" &
BPID=$!
E2E_PIDS="$E2E_PIDS $BPID"
not_alive() { ! alive "$1"; }
wait_for 30 "worker B to exit" not_alive "$BPID"
wait "$BPID"
expect_eq "worker B exit status" "$?" 1
grep -qF " E state directory $WS is in use by pid $APID" \
    "$T/b.err" || fail "worker B's message: $(cat "$T/b.err")"
grep -q "killed" "$T/b.err" && fail "worker B killed something"
alive "$tpid" || fail "worker B killed worker A's task"
host_is "$J" h1 state running || fail "h1 no longer running"

# A dies (SIGKILL: its lock goes with it, its task is left running); B
# then starts on the directory and reaps the task A left behind.
kill -KILL "$APID"
wait_for 30 "worker A to exit" not_alive "$APID"
alive "$tpid" || fail "the task ended with worker A"
start_worker wb -o state_dir="$WS"
wait_for 30 "worker B's lock" grep -qx "$WPID" "$WS/worker.lock"
alive "$WPID" || fail "worker B did not start after A"
wait_for 30 "worker B to reap A's task" not_alive "$tpid"
kill -TERM "$WPID"
wait_for 30 "worker B to exit" not_alive "$WPID"
wait "$WPID"
expect_eq "worker B exit status" "$?" 0
stop_dispatcher TERM
echo "PASS $E2E_NAME"
