#!/bin/sh
# N-BUSY (SPEC 7.2, 9.2, 13.7): a worker with max_tasks 1 and a job on 3
# `local` hosts running `sleep 1`: never more than one task in flight on
# it (proven from the times the commands write), and all three finish.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$POGO_SRC/test/e2e/dispatcher.sh"
. "$POGO_SRC/test/e2e/proxy.sh"

start_dispatcher
wait_for 10 "the worker port's Listening line" worker_port
"$POGO" worker -f /dev/null -o state_dir="$(mktemp -d "$T/ws.XXXXXX")" --dispatcher "$WP" -o worker.reconnect_delay=0 \
    -o worker.name=bw1 -o worker.max_tasks=1 \
    >"$T/worker.out" 2>>"$T/worker.log" &
E2E_PIDS="$E2E_PIDS $!"
submit range='h[1-3]' user=u task_name=local \
    command="echo start \$POGO_HOST \$(date +%s.%N) >>$T/ev; sleep 1; echo end \$POGO_HOST \$(date +%s.%N) >>$T/ev"
expect_eq "submit" "$rc_field" ok
J=$(jget 'j["jobid"]')
wait_for 60 "the job to finish" job_is "$J" state finished
for h in h1 h2 h3; do
	host_is "$J" $h state finished || fail "$h: $(cat "$T/body")"
	host_is "$J" $h runs 1 || fail "$h runs: $(cat "$T/body")"
done
expect_eq "commands started" "$(grep -c '^start ' "$T/ev")" 3
expect_eq "commands ended" "$(grep -c '^end ' "$T/ev")" 3
expect_eq "most in flight at once" "$(peak_overlap "$T/ev" h1 h2 h3)" 1
stop_dispatcher TERM
expect_eq "dispatcher exit" "$drc" 0
echo "PASS $E2E_NAME"
