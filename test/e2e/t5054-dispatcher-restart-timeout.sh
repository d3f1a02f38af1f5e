#!/bin/sh
# D-6: a job with job_timeout 6 whose dispatcher restarts at 2 s is
# halted with "timeout reached" at 6 s (+- 1 s): the restarted dispatcher
# re-arms the job timeout from the stored start_time (SPEC 5.6, 6.4).
# No worker: the hosts wait for one, the job is running.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$POGO_SRC/test/e2e/dispatcher.sh"

start_dispatcher
submit range=h1,h2 command=true user=u task_name=local job_timeout=6
J=$(jget 'j["jobid"]')
wait_for 10 "the job running" job_is "$J" state running
t0=$(jget 'j["response"]["job"]["start_time"]')
# Restart at 2 s.
two_seconds_on() {
	python3 -c 'import sys, time; sys.exit(time.time() < float(sys.argv[1]) + 2)' "$t0"
}
wait_for 10 "2 s after the start" two_seconds_on
restart_dispatcher TERM
expect_eq "dispatcher exit" "$drc" 0
wait_for 15 "the job halted" job_is "$J" state halted
job_is "$J" state_message "timeout reached" ||
    fail "halt message: $(cat "$T/body")"
cp_get "/v1/jobs/$J/log"
dt=$(jget '[e["time"] for e in j["response"]["joblog"] if e.get("state") == "halted" and e["type"] == "jobstate"][0] - j["response"]["joblog"][0]["time"]')
python3 -c 'import sys; sys.exit(not 5 <= float(sys.argv[1]) <= 7)' "$dt" ||
    fail "halted $dt s after the start, not 6 +- 1"
host_is "$J" h1 state halted || fail "h1: $(cat "$T/body")"
host_is "$J" h2 state halted || fail "h2: $(cat "$T/body")"
stop_dispatcher TERM
expect_eq "dispatcher exit" "$drc" 0
echo "PASS $E2E_NAME"
