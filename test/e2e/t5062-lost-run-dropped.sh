#!/bin/sh
# N-LOST-3 (SPEC 7.3, 8.4, 13.7): a run command that the worker never
# received (the test proxy drops it and cuts the connection) is answered
# `unknown` to taskstatus after the worker reconnects (same instance,
# within lost_worker_grace 10), is dispatched again, and the command
# runs once (counted on the target side, in $T/runs).
. "$(dirname "$0")/lib.sh"
e2e_init
. "$POGO_SRC/test/e2e/dispatcher.sh"
. "$POGO_SRC/test/e2e/proxy.sh"

start_behind_proxy lw1 -o dispatcher.lost_worker_grace=10
wait_for 30 "the worker's hello" grep -q 'lw1.*hello' "$T/dispatcher.log"
# The next run is dropped on its way to the worker, then the cut.
echo 'drop "command": ?"run"' >>"$T/proxy/cmd"
submit range=h1 user=u task_name=local command="echo run >>$T/runs"
J=$(jget 'j["jobid"]')
wait_for 30 "the run dropped" proxy_seen '^done 1$'
proxy_seen '^drop 1 .*"host": ?"h1"' || fail "dropped: $(cat "$T/proxy/log")"
wait_for 30 "h1 finished" host_is "$J" h1 state finished
host_is "$J" h1 exitstatus 0 || fail "h1 exit: $(cat "$T/body")"
expect_eq "commands run" "$(wc -l <"$T/runs")" 1
# Asked on the new connection, answered unknown, sent again.
proxy_seen '^d2w 2 .*"command": ?"taskstatus"' ||
    fail "no taskstatus: $(cat "$T/proxy/log")"
proxy_seen '^w2d 2 .*"msg": ?"unknown"' ||
    fail "no unknown: $(cat "$T/proxy/log")"
expect_eq "runs relayed" "$(proxy_count '^d2w [0-9]+ .*"command": ?"run"')" 1
grep -q 'grace period ended' "$T/dispatcher.log" &&
    fail "the grace period ended"
stop_dispatcher_cleanly
echo "PASS $E2E_NAME"
