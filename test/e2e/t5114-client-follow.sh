#!/bin/sh
# pogo submit --follow (SPEC 12.4) through `pogo api`, a dispatcher and a
# worker: the same jobs as `pogo one` prints them, per-host lines byte for
# byte on stdout, the same summary form on stderr and the same exit
# status (0 all well, 1 a host failed); the job line on stderr; the first
# Ctrl-C halts the job (hosts not started are Halted, exit 1).
. "$(dirname "$0")/lib.sh"
e2e_init
. "$(dirname "$0")/dispatcher.sh"
. "$(dirname "$0")/api.sh"

start_dispatcher
start_worker w1 -o worker.max_tasks=8
start_api
POGO_CLIENT_CONFIG=$T/client.yaml
export POGO_CLIENT_CONFIG
printf 'api: http://%s\n' "$API" >"$T/client.yaml"
cat >"$T/seq.yaml" <<'EOY'
tag:
  g:
    a: [h3]
    b: [h2]
    c: [h1]
sequence:
  - $g.a
  - $g.b
  - $g.c
EOY

# both NAME CMD: the job through pogo one and pogo submit --follow.
n=0
both() {
	"$POGO" one --local --targets h1,h2,h3 --config "$T/seq.yaml" \
	    --run-command "$2" >"$T/$1.one.out" 2>"$T/$1.one.err"
	one_rc=$?
	"$POGO" submit --local --targets h1,h2,h3 --config "$T/seq.yaml" \
	    --command "$2" --follow >"$T/$1.sub.out" 2>"$T/$1.sub.err"
	sub_rc=$?
	expect_eq "$1: exit status" "$sub_rc" "$one_rc"
	cmp -s "$T/$1.one.out" "$T/$1.sub.out" ||
	    fail "$1: stdout differs: $(diff "$T/$1.one.out" "$T/$1.sub.out")"
	jobid=$(printf 'p%010d' $n)
	expect_eq "$1: job line" "$(head -n 1 "$T/$1.sub.err")" \
	    "$jobid; http://$API/ui/job/$jobid"
	n=$((n + 1))
	# The summary lines agree but for the elapsed time.
	expect_eq "$1: summary" \
	    "$(tail -n 1 "$T/$1.sub.err" | sed 's/ in [0-9.]* s$//')" \
	    "$(tail -n 1 "$T/$1.one.err" | sed 's/ in [0-9.]* s$//')"
}

both ok 'echo "hi $POGO_HOST"'
expect_eq "ok exit" "$one_rc" 0
expect_eq "ok lines" "$(cat "$T/ok.sub.out")" "h3: Running target
h3: Success
h2: Running target
h2: Success
h1: Running target
h1: Success"
expect_eq "ok summary" "$(tail -n 1 "$T/ok.sub.err" | sed 's/ in [0-9.]* s$//')" \
    "3 hosts: 3 ok, 0 failed, 0 unreachable"

both failed 'test "$POGO_HOST" != h2 || exit 3'
expect_eq "failed exit" "$one_rc" 1
grep -qx 'h2: Failed (rc=3)' "$T/failed.sub.out" ||
    fail "failed: $(cat "$T/failed.sub.out")"

# Ctrl-C: the job is halted; h1 never starts.
"$POGO" submit --local --targets h1,h2,h3 --config "$T/seq.yaml" \
    --command 'sleep 2' --follow >"$T/int.out" 2>"$T/int.err" &
SUB=$!
E2E_PIDS="$E2E_PIDS $SUB"
started() { grep -q '^h3: Running target' "$T/int.out"; }
wait_for 30 "h3 to start" started
kill -INT "$SUB"
i=0
while alive "$SUB" && [ $i -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
alive "$SUB" && fail "pogo submit --follow did not end after Ctrl-C"
wait "$SUB"
expect_eq "Ctrl-C exit" $? 1
job_is p0000000002 state halted || fail "the job is not halted"
grep -qx 'h1: Halted' "$T/int.out" || fail "Ctrl-C: $(cat "$T/int.out")"

stop_api
stop_dispatcher_cleanly
echo "PASS $E2E_NAME"
