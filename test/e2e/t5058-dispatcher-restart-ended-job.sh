#!/bin/sh
# Job operations on ended jobs (SPEC 5.5, 6.4): a job that finished with
# a failed host before the dispatcher was killed (SIGKILL) and restarted
# is retried after the restart (was 409 "was not run by this
# dispatcher"): the engine reloads it from the store, the host runs
# again and the job finishes again, its log going on.  An ended job is
# freed from memory: a second retry, in the same process, reloads it
# again.  jobresume of the halted job after a restart resumes it.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$POGO_SRC/test/e2e/dispatcher.sh"

WL=127.0.0.1:$(e2e_port 1)
start_dispatcher -o dispatcher.worker_listen=$WL
start_worker w1
: >"$T/ok.f2"
submit range='f[1-2]' \
    command="echo x >> $T/runs.\$POGO_HOST; test -e $T/ok.\$POGO_HOST" \
    user=u task_name=local
J=$(jget 'j["jobid"]')
wait_for 30 "the job finished" job_is "$J" state finished
host_is "$J" f1 state failed || fail "f1: $(cat "$T/body")"
cp_get "/v1/jobs/$J/log"
n0=$(jget 'len(j["response"]["joblog"])')

restart_dispatcher KILL -v -o dispatcher.worker_listen=$WL
: >"$T/ok.f1"
retry_f1() {
	cp_post "/v1/jobs/$J" -d command=jobretry -d host=f1
	expect_eq "jobretry status: $(cat "$T/body")" "$code" 200
	expect_eq "jobretry message" "$(jget 'j["response"]["message"]')" \
	    "retry requested for 1 host(s)"
}
retry_f1
grep -q "job $J: reloaded from the store (finished)" "$T/dispatcher.log" ||
    fail "no reload in the log"
wait_for 30 "f1 finished" host_is "$J" f1 state finished
wait_for 30 "the job finished again" job_is "$J" state finished
host_is "$J" f1 runs 2 || fail "f1 runs: $(cat "$T/body")"
expect_eq "runs of f1" "$(wc -l <"$T/runs.f1")" 2
expect_eq "runs of f2" "$(wc -l <"$T/runs.f2")" 1
cp_get "/v1/jobs/$J/log"
n1=$(jget 'len(j["response"]["joblog"])')
[ "$n1" -gt "$n0" ] || fail "the log did not go on: $n0 then $n1 entries"
expect_eq "log indexes" "$(jget '[e["index"] for e in j["response"]["joblog"]] == list(range(len(j["response"]["joblog"])))')" true

# Ended again, freed: the next retry reloads it again.
freed() { grep -q "job $J: ended, freed" "$T/dispatcher.log"; }
wait_for 10 "the job freed" freed
retry_f1
expect_eq "reloads" \
    "$(grep -c "job $J: reloaded from the store (finished)" "$T/dispatcher.log")" 2
wait_for 30 "the job finished a third time" host_is "$J" f1 runs 3
wait_for 30 "the job finished" job_is "$J" state finished

# A job halted with a host in flight, before a restart: the host is
# adopted at the restart and ends; jobresume resumes the job.
submit range='g[1-2]' user=u task_name=local concurrent=1 \
    command="i=0; while [ ! -e $T/go ] && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i+1)); done"
J2=$(jget 'j["jobid"]')
wait_for 30 "g1 running" host_is "$J2" g1 state running
cp_post "/v1/jobs/$J2" -d command=jobhalt
expect_eq "jobhalt" "$code" 200
restart_dispatcher KILL -v -o dispatcher.worker_listen=$WL
grep -q "job $J2: reloaded (halted)" "$T/dispatcher.log" ||
    fail "the halted job with a host in flight was not reloaded"
: >"$T/go"
wait_for 30 "g1 finished" host_is "$J2" g1 state finished
host_is "$J2" g2 state halted || fail "g2: $(cat "$T/body")"
cp_post "/v1/jobs/$J2" -d command=jobresume
expect_eq "jobresume status: $(cat "$T/body")" "$code" 200
wait_for 30 "the resumed job finished" job_is "$J2" state finished
host_is "$J2" g2 state finished || fail "g2: $(cat "$T/body")"

kill -s TERM "$WPID"
wait "$WPID"
stop_dispatcher TERM
expect_eq "dispatcher exit" "$drc" 0
echo "PASS $E2E_NAME"
