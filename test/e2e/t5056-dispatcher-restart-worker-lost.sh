#!/bin/sh
# D-4: as D-3 (t5055), but the worker is killed too, and both are
# restarted (lost_worker_grace 5): the worker comes back with another
# instance, so the host is `failed` with "lost contact with worker" and
# no exit status (SPEC 6.4, 7.3); it is not run again.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$POGO_SRC/test/e2e/dispatcher.sh"

WL=127.0.0.1:$(e2e_port 1)
start_dispatcher -o dispatcher.worker_listen=$WL \
    -o dispatcher.lost_worker_grace=5
start_worker rw1
submit range=h1 command="touch $T/ran.\$\$; sleep 5; echo x >> $T/count" \
    user=u task_name=local
J=$(jget 'j["jobid"]')
wait_for 30 "h1 running" host_is "$J" h1 state running
kill -s KILL "$WPID"
wait "$WPID" 2>/dev/null
# The orphaned command (its own process group) goes with the worker.
cpid=$(ls "$T" | sed -n 's/^ran\.//p')
kill -s KILL -- "-$cpid" 2>/dev/null || kill -s KILL "$cpid" 2>/dev/null
restart_dispatcher KILL -o dispatcher.worker_listen=$WL \
    -o dispatcher.lost_worker_grace=5
start_worker rw1
wait_for 30 "h1 failed" host_is "$J" h1 state failed
host_is "$J" h1 message "lost contact with worker" ||
    fail "h1 message: $(cat "$T/body")"
host_is "$J" h1 exitstatus null || fail "h1 exit: $(cat "$T/body")"
host_is "$J" h1 runs 1 || fail "h1 runs: $(cat "$T/body")"
wait_for 10 "the job finished" job_is "$J" state finished
expect_eq "commands started" "$(ls "$T" | grep -c '^ran\.')" 1
[ -e "$T/count" ] && fail "the command ran to its end: $(cat "$T/count")"
kill -s TERM "$WPID"
wait "$WPID"
stop_dispatcher TERM
expect_eq "dispatcher exit" "$drc" 0
echo "PASS $E2E_NAME"
