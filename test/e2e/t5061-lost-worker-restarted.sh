#!/bin/sh
# N-LOST-2 (SPEC 7.3, 13.7): as N-LOST-1, but the worker process is
# killed with SIGKILL while its command runs (it waits for a go that
# never comes, in place of `sleep 3`) and started again: once it
# is back (a new instance, well within lost_worker_grace 10) the host is
# `failed` with "lost contact with worker" and no exit status, the
# command ran once, and the host holds its unit: the job's other host,
# in the same constraint group of 1, never runs and the job ends
# deadlocked.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$POGO_SRC/test/e2e/dispatcher.sh"
. "$POGO_SRC/test/e2e/proxy.sh"

start_behind_proxy lw1 -o dispatcher.lost_worker_grace=10
nl=$(printf '\n_')
nl=${nl%_}
cfg="tag:${nl}  g: [h1, h2]${nl}constraint:${nl}  \$g:${nl}    max_parallel: 1${nl}"
submit range=h1,h2 user=u task_name=local config="$cfg" \
    command="echo \$POGO_HOST \$\$ >>$T/runs; $GO_WAIT"
expect_eq "submit" "$rc_field" ok
J=$(jget 'j["jobid"]')
wait_for 30 "a command to start" test -s "$T/runs"
read -r first cpid <"$T/runs"
case $first in h1) other=h2 ;; h2) other=h1 ;; *) fail "ran: $first" ;; esac
kill -9 "$WPID"
wait "$WPID" 2>/dev/null
old=$(sed -n 's/.*(instance \([0-9a-f]*\),.*/\1/p' "$T/worker.log")
start_worker lw1
wait_for 30 "the new worker's hello" proxy_seen '^accept 2$'
wait_for 30 "$first failed" host_is "$J" "$first" state failed
host_is "$J" "$first" message "lost contact with worker" ||
    fail "$first message: $(cat "$T/body")"
host_is "$J" "$first" exitstatus null ||
    fail "$first exit: $(cat "$T/body")"
grep -q 'worker lw1: restarted: its tasks are lost' "$T/dispatcher.log" ||
    fail "not failed by the new instance"
grep -q 'grace period ended' "$T/dispatcher.log" &&
    fail "failed by the grace period"
new=$(sed -n 's/.*(instance \([0-9a-f]*\),.*/\1/p' "$T/worker.log" | sed -n 2p)
[ -n "$new" ] && [ "$new" != "$old" ] || fail "instances $old, $new"
# Its unit stays held: the other host never runs.
wait_for 30 "the job to end deadlocked" job_is "$J" state deadlocked
host_is "$J" "$other" runs 0 || fail "$other runs: $(cat "$T/body")"
expect_eq "commands run" "$(wc -l <"$T/runs")" 1
# The orphaned command (its own process group) goes with the test.
touch "$T/go"
kill -s KILL -- "-$cpid" 2>/dev/null || kill -s KILL "$cpid" 2>/dev/null
stop_dispatcher_cleanly
echo "PASS $E2E_NAME"
