#!/bin/sh
# The dispatcher runs submitted jobs on its workers (SPEC 7.2, 8.3, 6.3):
# a job submitted with no worker connected waits ("waiting for a worker")
# and runs once a worker connects; its hosts end `finished` with their
# output stored; a failing command marks its host `failed` with its exit
# status; each task goes to the worker with a task id of the dispatcher's
# worker port.  The worker is test/e2e/fake-worker.py, which runs the
# commands with /bin/sh and logs what it is sent; t5051 runs the same
# with the real `pogo worker` (T5050_REAL_WORKER=1).
. "$(dirname "$0")/lib.sh"
e2e_init
. "$POGO_SRC/test/e2e/dispatcher.sh"

start_dispatcher
worker_port() {
	WP=$(sed -n 's/.* Listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p' \
	    "$T/dispatcher.log" | sed -n 2p)
	[ -n "$WP" ]
}
wait_for 10 "the worker port's Listening line" worker_port

# host_field JOB HOST EXPR: EXPR of the host's entry in /hosts.
host_is() {
	cp_get "/v1/jobs/$1/hosts"
	[ "$code" = 200 ] &&
	    [ "$(jget "j['response']['hosts']['$2']['$3']")" = "$4" ]
}
job_is() {
	cp_get "/v1/jobs/$1"
	[ "$code" = 200 ] && [ "$(jget 'j["response"]["job"]["state"]')" = "$2" ]
}

# No worker yet: the hosts wait for one.
submit range=h1,h2 command='echo "out of $POGO_HOST"' user=u task_name=local
expect_eq "submit" "$rc_field" ok
J=$(jget 'j["jobid"]')
wait_for 20 "h1 waiting for a worker" host_is "$J" h1 message \
    "waiting for a worker"
host_is "$J" h1 state waiting || fail "h1 is not waiting"
job_is "$J" running || fail "the job is not running"

if [ -n "${T5050_REAL_WORKER:-}" ]; then
	"$POGO" worker -f /dev/null -o state_dir="$(mktemp -d "$T/ws.XXXXXX")" --dispatcher "$WP" \
	    -o worker.reconnect_delay=0 -o worker.name=rw1 \
	    -o worker.max_tasks=4 >"$T/worker.out" 2>>"$T/worker.log" &
else
	python3 "$POGO_SRC/test/e2e/fake-worker.py" "$WP" fw1 4 \
	    "$T/fw.log" >"$T/fw.out" 2>&1 &
fi
FWPID=$!
E2E_PIDS="$E2E_PIDS $FWPID"
wait_for 30 "the job to finish" job_is "$J" finished
for h in h1 h2; do
	host_is "$J" $h state finished || fail "$h: $(cat "$T/body")"
	host_is "$J" $h exitstatus 0 || fail "$h exit: $(cat "$T/body")"
	host_is "$J" $h runs 1 || fail "$h runs: $(cat "$T/body")"
	cp_get "/v1/jobs/$J/hosts/$h"
	expect_eq "$h output code" "$code" 200
	jget 'j["response"]["output"]' | grep -q "out of $h" ||
	    fail "$h output: $(cat "$T/body")"
done
# Task ids of the worker port (SPEC 7.2), one run each, both acknowledged.
[ -n "${T5050_REAL_WORKER:-}" ] || {
grep -q "^run $WP-[0-9]* h1 local $J\$" "$T/fw.log" ||
    fail "no run of h1 with a task id of $WP: $(cat "$T/fw.log")"
expect_eq "runs sent" "$(grep -c '^run ' "$T/fw.log")" 2
expect_eq "task_done acks" "$(grep -c '^ack task_done ' "$T/fw.log")" 2
}
cp_get "/v1/jobs/$J/log"
jget '[e.get("state") for e in j["response"]["joblog"]]' |
    grep -q '"running".*"finished"' || fail "log: $(cat "$T/body")"

# A failing command fails its host, with its exit status; the other host
# of the job still finishes.
submit range=f1,f2 command='test "$POGO_HOST" = f2 || exit 3' user=u \
    task_name=local
J2=$(jget 'j["jobid"]')
host_done() {
	host_is "$J2" f1 state failed && host_is "$J2" f2 state finished
}
wait_for 30 "f1 failed and f2 finished" host_done
host_is "$J2" f1 exitstatus 3 || fail "f1 exit: $(cat "$T/body")"
host_is "$J2" f1 message "exited with status 3" ||
    fail "f1 message: $(cat "$T/body")"
job_is "$J2" finished || fail "job 2: $(cat "$T/body")"

stop_dispatcher TERM
expect_eq "dispatcher exit" "$drc" 0
if [ -n "${T5050_REAL_WORKER:-}" ]; then
	kill -s TERM "$FWPID"
	wait "$FWPID"
	expect_eq "worker exit" "$?" 0
	grep -q "loop not closed cleanly" "$T/worker.log" &&
	    fail "the worker left a handle open"
fi
grep -q "loop not closed cleanly" "$T/dispatcher.log" &&
    fail "a handle was left open"
echo "PASS $E2E_NAME"
