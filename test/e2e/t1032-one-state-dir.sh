#!/bin/sh
# pogo one --state-dir DIR (issue 9, SPEC 6.1, 12.2): the pair's
# dispatcher keeps its database in DIR as `pogo dispatcher` does.  The
# output pogo one printed stays in the store (the job's record): a
# dispatcher started later on DIR shows both hosts finished, their
# output and the job's log.  Job ids go on from the stored counter, and
# a second pogo one on DIR while one runs is refused (the directory's
# lock), exit 3, before anything runs.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$POGO_SRC/test/e2e/dispatcher.sh"
cd "$T" || exit 1

D=$DSTATE
"$POGO" one --local --state-dir "$D" --targets h1,h2 \
    --run-command 'echo hi' >"$T/out1" 2>"$T/err1"
expect_eq "first run's exit: $(cat "$T/err1")" "$?" 0
grep -qx 'h1: Success' "$T/out1" || fail "h1: $(cat "$T/out1")"
[ -f "$D/pogo.db" ] || fail "no $D/pogo.db"

# The second run waits for $T/go; meanwhile a third is refused.
"$POGO" one --local --state-dir "$D" --targets w1 \
    --run-command "touch $T/started; i=0;
    while [ ! -e $T/go ] && [ \$i -lt 300 ]; do sleep 0.1; i=\$((i+1)); done;
    echo second" >"$T/out2" 2>"$T/err2" &
P2=$!
E2E_PIDS="$E2E_PIDS $P2"
started() { [ -e "$T/started" ] || { alive "$P2" || fail "run 2 exited"; return 1; }; }
wait_for 30 "the second run's command" started
"$POGO" one --local --state-dir "$D" --targets x1 \
    --run-command "touch $T/ran3" >"$T/out3" 2>"$T/err3"
expect_eq "locked run's exit: $(cat "$T/err3")" "$?" 3
grep -q "^pogo one: state directory $D is in use" "$T/err3" ||
    fail "lock message: $(cat "$T/err3")"
[ -e "$T/ran3" ] && fail "the refused run ran its command"
: >"$T/go"
wait "$P2"
expect_eq "second run's exit: $(cat "$T/err2")" "$?" 0

# The record, read by a dispatcher on the same directory.
start_dispatcher
J=p0000000000
for h in h1 h2; do
	host_is "$J" $h state finished || fail "$h: $(cat "$T/body")"
	host_is "$J" $h exitstatus 0 || fail "$h exit: $(cat "$T/body")"
	cp_get "/v1/jobs/$J/hosts/$h"
	expect_eq "$h output code" "$code" 200
	jget '[(r["type"], r["data"]) for r in j["response"]["output"]]' |
	    grep -qF '[["STDOUT", "hi"], ["EXIT", "0"]]' ||
	    fail "$h output: $(cat "$T/body")"
done
job_is "$J" state finished || fail "job $J: $(cat "$T/body")"
cp_get "/v1/jobs/$J/log"
expect_eq "log code" "$code" 200
jget '[e.get("state") for e in j["response"]["joblog"]]' |
    grep -q '"running".*"finished"' ||
    fail "log: $(cat "$T/body")"
job_is p0000000001 state finished || fail "second job: $(cat "$T/body")"
host_is p0000000001 w1 state finished || fail "w1: $(cat "$T/body")"
cp_get /v1/jobs/p0000000002
expect_eq "no third job" "$code" 404
stop_dispatcher_cleanly

# A pogo one killed mid-job leaves its job running in DIR; the next
# pogo one on DIR runs only its own job: the earlier one is halted, its
# waiting host never runs and its running host does not run again.
"$POGO" one --local --state-dir "$D" --targets k1,k2 --concurrency 1 \
    --run-command "echo \$POGO_HOST >>$T/ran4; touch $T/started4; sleep 30" \
    >"$T/out4" 2>"$T/err4" &
P4=$!
E2E_PIDS="$E2E_PIDS $P4"
started4() { [ -e "$T/started4" ] || { alive "$P4" || fail "run 4 exited"; return 1; }; }
wait_for 30 "the fourth run's command" started4
kill -9 "$P4"
wait "$P4" 2>/dev/null
"$POGO" one --local --state-dir "$D" --targets z1 --run-command true \
    >"$T/out5" 2>"$T/err5"
expect_eq "fifth run's exit: $(cat "$T/err5")" "$?" 0
expect_eq "hosts the killed job ran" "$(cat "$T/ran4")" k1
start_dispatcher
job_is p0000000002 state halted || fail "killed job: $(cat "$T/body")"
grep -q 'earlier' "$T/body" || fail "halt message: $(cat "$T/body")"
job_is p0000000003 state finished || fail "fifth job: $(cat "$T/body")"
stop_dispatcher_cleanly

echo "PASS $E2E_NAME"
