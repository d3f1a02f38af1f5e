#!/bin/sh
# A worker killed with SIGKILL while its task runs (SPEC 7.3): once the
# grace period (dispatcher.lost_worker_grace, 1 s here) ends, the host is
# `failed` with "lost contact with worker" and no exit status, and the
# task is not run again.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$POGO_SRC/test/e2e/dispatcher.sh"

start_dispatcher -o dispatcher.lost_worker_grace=1
worker_port() {
	WP=$(sed -n 's/.* Listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p' \
	    "$T/dispatcher.log" | sed -n 2p)
	[ -n "$WP" ]
}
wait_for 10 "the worker port's Listening line" worker_port
"$POGO" worker -f /dev/null -o state_dir="$(mktemp -d "$T/ws.XXXXXX")" --dispatcher "$WP" -o worker.reconnect_delay=0 \
    -o worker.name=rw1 >"$T/worker.out" 2>>"$T/worker.log" &
WPID=$!
E2E_PIDS="$E2E_PIDS $WPID"

host_is() {
	cp_get "/v1/jobs/$1/hosts"
	[ "$code" = 200 ] &&
	    [ "$(jget "j['response']['hosts']['$2']['$3']")" = "$4" ]
}
submit range=h1 command="touch $T/ran.\$\$; sleep 60" user=u task_name=local
J=$(jget 'j["jobid"]')
wait_for 30 "h1 running" host_is "$J" h1 state running
kill -9 "$WPID"
wait "$WPID" 2>/dev/null
wait_for 30 "h1 failed" host_is "$J" h1 state failed
host_is "$J" h1 message "lost contact with worker" ||
    fail "h1 message: $(cat "$T/body")"
host_is "$J" h1 exitstatus null || fail "h1 exit: $(cat "$T/body")"
host_is "$J" h1 runs 1 || fail "h1 runs: $(cat "$T/body")"
expect_eq "commands started" "$(ls "$T" | grep -c '^ran\.')" 1
# The orphaned command (its own process group) goes with the test.
cpid=$(ls "$T" | sed -n 's/^ran\.//p')
kill -s KILL -- "-$cpid" 2>/dev/null || kill -s KILL "$cpid" 2>/dev/null
stop_dispatcher TERM
expect_eq "dispatcher exit" "$drc" 0
grep -q "loop not closed cleanly" "$T/dispatcher.log" &&
    fail "a handle was left open"
echo "PASS $E2E_NAME"
