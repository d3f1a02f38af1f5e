#!/bin/sh
# D-3 and output (SPEC 6.4, 8.3, 9.9): a local task prints a and b, the
# dispatcher stores both and is killed with SIGKILL, restarted; once the
# worker is connected again the task prints c and ends.  The adopted
# host's output is a, b, c, EXIT 0: the records stored before the crash
# count as stored, so no "== output incomplete ==" record (review8 9: it
# said "2 records lost"), and c, sent on the new connection, is stored.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$POGO_SRC/test/e2e/dispatcher.sh"

# The worker port is fixed: the worker reconnects to the same address.
WL=127.0.0.1:$(e2e_port 1)
start_dispatcher -o dispatcher.worker_listen=$WL
start_worker rw1
submit range=h1 user=u task_name=local command="echo a; echo b; i=0; \
while [ ! -e $T/go ] && [ \$i -lt 600 ]; do sleep 0.05; i=\$((i+1)); done; \
echo c"
expect_eq "submit: $msg" "$rc_field" ok
J=$(jget 'j["jobid"]')

stored() {
	cp_get "/v1/jobs/$J/hosts/h1"
	[ "$code" = 200 ] && [ "$(jget 'len(j["response"]["output"])')" -ge "$1" ]
}
connections() {
	[ "$(grep -c ': connected$' "$T/worker.log")" -ge "$1" ]
}
wait_for 30 "a and b stored" stored 2
wait_for 10 "the worker connected" connections 1
restart_dispatcher KILL -o dispatcher.worker_listen=$WL
# c is printed only on the worker's new connection (SPEC 8.3: output sent
# while no dispatcher listens is lost, and counted).
wait_for 30 "the worker connected again" connections 2
: >"$T/go"
wait_for 30 "h1 finished" host_is "$J" h1 state finished
cp_get "/v1/jobs/$J/hosts/h1"
expect_eq "h1's output" \
    "$(jget '[[r["type"], r["data"]] for r in j["response"]["output"]]')" \
    '[["STDOUT", "a"], ["STDOUT", "b"], ["STDOUT", "c"], ["EXIT", "0"]]'
host_is "$J" h1 runs 1 || fail "h1 runs: $(cat "$T/body")"
wait_for 10 "the job finished" job_is "$J" state finished
kill -s TERM "$WPID"
wait "$WPID"
expect_eq "worker exit" "$?" 0
stop_dispatcher_cleanly
echo "PASS $E2E_NAME"
