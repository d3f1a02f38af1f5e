#!/bin/sh
# D-3: a local job whose command is `sleep 5; echo x >> $T/count`; the
# dispatcher is killed with SIGKILL while it runs and restarted at once;
# the worker keeps running it and reconnects with the same instance: the
# restarted dispatcher asks taskstatus and takes its report (SPEC 6.4,
# 7.3).  The host ends `finished` and $T/count has exactly one line.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$POGO_SRC/test/e2e/dispatcher.sh"

# The worker port is fixed: the worker reconnects to the same address.
WL=127.0.0.1:$(e2e_port 1)
start_dispatcher -o dispatcher.worker_listen=$WL
start_worker rw1
submit range=h1 command="sleep 5; echo x >> $T/count" user=u \
    task_name=local
J=$(jget 'j["jobid"]')
wait_for 30 "h1 running" host_is "$J" h1 state running
restart_dispatcher KILL -o dispatcher.worker_listen=$WL
wait_for 30 "h1 finished" host_is "$J" h1 state finished
host_is "$J" h1 exitstatus 0 || fail "h1: $(cat "$T/body")"
host_is "$J" h1 runs 1 || fail "h1 runs: $(cat "$T/body")"
expect_eq "lines in count" "$(wc -l <"$T/count")" 1
wait_for 10 "the job finished" job_is "$J" state finished
kill -s TERM "$WPID"
wait "$WPID"
expect_eq "worker exit" "$?" 0
stop_dispatcher TERM
expect_eq "dispatcher exit" "$drc" 0
echo "PASS $E2E_NAME"
