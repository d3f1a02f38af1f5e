#!/bin/sh
# A client command started before the API listens (README's secure
# deployment types pogo submit right after starting the daemons; a
# restart of the dispatcher does the same): a refused connection is tried
# again every 100 ms for up to 5 s, since nothing was sent, and the
# command then runs; pogo ping still reports a refused connection at once;
# past the 5 s the command fails as before (review7 3).
. "$(dirname "$0")/lib.sh"
e2e_init
. "$(dirname "$0")/dispatcher.sh"

PORT=$(e2e_port 1)
unset POGO_TOKEN POGO_CLIENT_CONFIG

# The client first: nothing listens yet.
"$POGO" jobs --api "http://127.0.0.1:$PORT" >"$T/jobs.out" 2>"$T/jobs.err" &
JOBS_PID=$!
E2E_PIDS="$E2E_PIDS $JOBS_PID"
start_pogo dispatcher -f "$T/pogo.yaml" \
    -o dispatcher.control_listen=127.0.0.1:$PORT \
    -o dispatcher.worker_listen=127.0.0.1:0
DPID=$POGO_PID
wait_for 30 "the dispatcher's Listening line" listening
jobs_ended() { ! alive "$JOBS_PID"; }
wait_for 10 "pogo jobs to end" jobs_ended
wait "$JOBS_PID"
expect_eq "pogo jobs after a refused start, exit" $? 0
expect_eq "pogo jobs after a refused start, stderr" "$(cat "$T/jobs.err")" ""

stop_dispatcher_cleanly

# ping: at once, not after 5 s.
t0=$(date +%s)
out=$("$POGO" ping --api "http://127.0.0.1:$PORT")
expect_eq "ping of a refused port exit" $? 1
expect_eq "ping of a refused port" "$out" \
    "ERROR http://127.0.0.1:$PORT: connection refused"
[ $(($(date +%s) - t0)) -lt 4 ] || fail "ping waited for the refused port"

# Nothing comes: the other commands give up after the 5 s, as before.
t0=$(date +%s)
"$POGO" jobs --api "http://127.0.0.1:$PORT" >/dev/null 2>"$T/err"
expect_eq "pogo jobs of a refused port exit" $? 1
expect_eq "pogo jobs of a refused port" "$(cat "$T/err")" \
    "pogo jobs: connection refused"
el=$(($(date +%s) - t0))
[ $el -ge 4 ] || fail "pogo jobs gave up after $el s, not 5"
echo "PASS $E2E_NAME"
