#!/bin/sh
# N-001 with the real daemons on loopback: a dispatcher listens on its
# worker port, a worker connects, and the control port's /status lists it
# as "<name> 127.0.0.1:<port>"; a worker killed with SIGKILL leaves the
# list and its restart comes back; a worker outlives a stopped dispatcher
# and both stop gracefully (exit 0).
. "$(dirname "$0")/lib.sh"
e2e_init
. "$POGO_SRC/test/e2e/dispatcher.sh"

start_dispatcher
# The second "Listening on" line is the worker port.
worker_port() {
	WP=$(sed -n 's/.* Listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p' \
	    "$T/dispatcher.log" | sed -n 2p)
	[ -n "$WP" ]
}
wait_for 10 "the worker port's Listening line" worker_port
[ "$WP" != "$CP" ] || fail "one address for both ports"

start_worker() {
	"$POGO" worker -f /dev/null -o state_dir="$(mktemp -d "$T/ws.XXXXXX")" --dispatcher "$WP" \
	    -o worker.reconnect_delay=0 -o worker.name=wn1 \
	    >"$T/worker.out" 2>>"$T/worker.log" &
	WPID=$!
	E2E_PIDS="$E2E_PIDS $WPID"
}

# nworkers N: /status lists N workers.
nworkers() {
	cp_get /status
	[ "$code" = 200 ] && [ "$(jget 'len(j["workers"])')" = "$1" ]
}

not_alive() {
	! alive "$1"
}

start_worker
wait_for 20 "the worker in /status" nworkers 1
w=$(jget 'j["workers"][0]')
echo "$w" | grep -Eq '^wn1 127\.0\.0\.1:[0-9]+$' ||
    fail "/status worker entry: '$w'"
jget 'j["pogo_version"]' | grep -q '^[0-9]' || fail "no pogo_version"
grep -q "worker wn1 at 127.0.0.1:[0-9]*: hello" "$T/dispatcher.log" ||
    fail "the dispatcher did not log the hello"

# SIGKILL: the dispatcher sees the end of the connection.
kill -9 "$WPID"
wait_for 10 "the killed worker to go" not_alive "$WPID"
wait "$WPID" 2>/dev/null
wait_for 20 "the killed worker to leave /status" nworkers 0
start_worker
wait_for 20 "the restarted worker in /status" nworkers 1
[ "$(grep -c ': hello (max_tasks 256' "$T/dispatcher.log")" = 2 ] ||
    fail "not two hellos"

# A second dispatcher cannot take the same worker port.
"$POGO" dispatcher -f /dev/null -o "state_dir=$T/state2" \
    -o dispatcher.control_listen=127.0.0.1:0 \
    -o "dispatcher.worker_listen=$WP" >"$T/d2.out" 2>"$T/d2.err"
expect_eq "second dispatcher on the worker port" "$?" 1
grep -q "^pogo dispatcher: worker port $WP: Address already in use\$" \
    "$T/d2.err" || fail "second dispatcher: $(cat "$T/d2.err")"

# The dispatcher stops first; the worker stays up and tries again.
stop_dispatcher TERM
expect_eq "dispatcher exit status" "$drc" 0
connection_lost() {
	grep -q "connection lost" "$T/worker.log"
}
wait_for 20 "the worker to see the dispatcher go" connection_lost
alive "$WPID" || fail "the worker died with its dispatcher"
kill -TERM "$WPID"
wait_for 20 "the worker to stop" not_alive "$WPID"
wait "$WPID"
expect_eq "worker exit status" "$?" 0
grep -q "loop not closed cleanly" "$T/worker.log" "$T/dispatcher.log" &&
    fail "a handle was left open"
echo "PASS $E2E_NAME"
