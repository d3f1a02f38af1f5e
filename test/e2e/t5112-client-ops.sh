#!/bin/sh
# pogo halt, resume, retry and skip (SPEC 12.5) against a real dispatcher
# and worker running local tasks: the API's message on stdout, then one
# line per host for retry and skip ("retried", "skipped", "unchanged");
# the API's errors on stderr with exit 1.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$(dirname "$0")/dispatcher.sh"

start_dispatcher
start_worker w1 -o worker.max_tasks=8
printf 'api: http://%s\n' "$CP" >"$T/client.yaml"
POGO_CLIENT_CONFIG=$T/client.yaml
export POGO_CLIENT_CONFIG

# One host at a time, h1 running until the end of the test (at most 60 s):
# halt, resume, halt with a reason.  (h1 ending between the halt and the
# resume let h2 start, so that the skip below found h2 in flight.)
submit range='h[1-3]' user=alice task_name=local concurrent=1 \
    command="i=0; while [ ! -e $T/go ] && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i+1)); done"
J=$(jget 'j["jobid"]')
wait_for 30 "h1 running" host_is "$J" h1 state running
expect_eq "halt" "$("$POGO" halt "$J")" "job $J halted"
wait_for 30 "the job halted" job_is "$J" state halted
expect_eq "resume" "$("$POGO" resume 0)" "job $J resumed"
job_is "$J" state running || fail "not running after resume"
expect_eq "halt with a reason" "$("$POGO" halt p0 --reason 'dashboard red')" \
    "job $J halted"
job_is "$J" state_message "dashboard red" || fail "reason: $(cat "$T/body")"
"$POGO" halt "$J" >"$T/out" 2>"$T/err"
expect_eq "halt of a halted job exit" $? 1
expect_eq "halt of a halted job" "$(cat "$T/err")" \
    "pogo halt: job $J not active; cannot halt"

# Skip: the halted hosts are skipped, a second time unchanged.
"$POGO" skip "$J" 'h[2-3]' >"$T/out" || fail "skip failed"
printf 'skipped 2 host(s)\nh2: skipped\nh3: skipped\n' >"$T/want"
cmp "$T/want" "$T/out" || fail "skip: $(cat "$T/out")"
"$POGO" skip "$J" h3 >"$T/out" || fail "skip again failed"
printf 'skipped 0 host(s)\nh3: unchanged\n' >"$T/want"
cmp "$T/want" "$T/out" || fail "skip again: $(cat "$T/out")"
"$POGO" skip "$J" nohost >/dev/null 2>"$T/err"
expect_eq "skip of no host exit" $? 1
expect_eq "skip of no host" "$(cat "$T/err")" "pogo skip: no host nohost in job"

# Retry: the failed host is retried; a waiting one is unchanged.
submit range='f[1-2]' command='test "$POGO_HOST" != f1' user=alice \
    task_name=local
J2=$(jget 'j["jobid"]')
wait_for 30 "the job to end" job_is "$J2" state finished
"$POGO" retry "$J2" f1 >"$T/out" || fail "retry failed"
printf 'retry requested for 1 host(s)\nf1: retried\n' >"$T/want"
cmp "$T/want" "$T/out" || fail "retry: $(cat "$T/out")"
"$POGO" retry --json "$J2" f2 >"$T/body" || fail "retry --json failed"
expect_eq "retry --json" "$(jget 'j["results"]')" "[1]"

: >"$T/go"
stop_dispatcher_cleanly
echo "PASS $E2E_NAME"
