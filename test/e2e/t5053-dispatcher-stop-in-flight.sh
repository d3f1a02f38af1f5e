#!/bin/sh
# The dispatcher stopped (SIGTERM, then SIGINT) while its worker runs a
# task exits 0 with its loop closed cleanly: the tasks in flight are left
# to the worker, not killed, and stay `running` in the store (SPEC 6.4
# resolves them at the next start); the worker keeps the command running
# and goes on trying to reach the dispatcher.  Before, the stop aborted on
# an assertion (a job closed with a task in the executor).
. "$(dirname "$0")/lib.sh"
e2e_init
. "$POGO_SRC/test/e2e/dispatcher.sh"

for sig in TERM INT; do
	start_dispatcher -o state_dir="$T/state-$sig"
	worker_port() {
		WP=$(sed -n 's/.* Listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p' \
		    "$T/dispatcher.log" | sed -n 2p)
		[ -n "$WP" ]
	}
	wait_for 10 "the worker port's Listening line" worker_port
	"$POGO" worker -f /dev/null -o state_dir="$(mktemp -d "$T/ws.XXXXXX")" --dispatcher "$WP" \
	    -o worker.reconnect_delay=0 -o worker.name=rw1 \
	    >"$T/worker.out" 2>>"$T/worker.log" &
	WPID=$!
	E2E_PIDS="$E2E_PIDS $WPID"
	host_is() {
		cp_get "/v1/jobs/$1/hosts"
		[ "$code" = 200 ] &&
		    [ "$(jget "j['response']['hosts']['$2']['$3']")" = "$4" ]
	}
	submit range=h1,h2 command="touch $T/ran-$sig.\$\$; sleep 60" user=u \
	    task_name=local
	J=$(jget 'j["jobid"]')
	wait_for 30 "h1 running" host_is "$J" h1 state running
	wait_for 30 "h2 running" host_is "$J" h2 state running
	stop_dispatcher "$sig"
	expect_eq "dispatcher exit after SIG$sig" "$drc" 0
	grep -q "BUG\|loop not closed cleanly" "$T/dispatcher.log" &&
	    fail "SIG$sig: $(grep "BUG\|loop not closed" "$T/dispatcher.log")"
	# The commands were not killed: both still run under the worker.
	for f in "$T"/ran-$sig.*; do
		pid=${f##*.}
		alive "$pid" || fail "SIG$sig: command $pid was killed"
	done
	expect_eq "SIG$sig: commands started" \
	    "$(ls "$T" | grep -c "^ran-$sig\.")" 2
	alive "$WPID" || fail "SIG$sig: the worker exited"
	# Restarted on the same state, the hosts are still `running`
	# (stored before the stop), the job is there.
	mv "$T/dispatcher.log" "$T/dispatcher-$sig.log"
	kill -s KILL "$WPID" 2>/dev/null
	wait "$WPID" 2>/dev/null
	for f in "$T"/ran-$sig.*; do
		pid=${f##*.}
		kill -s KILL -- "-$pid" 2>/dev/null ||
		    kill -s KILL "$pid" 2>/dev/null
	done
	start_dispatcher -o state_dir="$T/state-$sig"
	host_is "$J" h1 state running ||
	    fail "SIG$sig: after restart h1: $(cat "$T/body")"
	stop_dispatcher TERM
	expect_eq "restarted dispatcher exit" "$drc" 0
	mv "$T/dispatcher.log" "$T/dispatcher-$sig-2.log"
done
echo "PASS $E2E_NAME"
