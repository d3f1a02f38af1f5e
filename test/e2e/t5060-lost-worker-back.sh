#!/bin/sh
# N-LOST-1 (SPEC 7.3, 13.7): with lost_worker_grace 10, a worker runs a
# command for a host; the test proxy between the worker and the
# dispatcher cuts the connection while it runs, and the same worker
# process (same instance) reconnects within the grace period: the host
# ends `finished` with exit status 0 and the command ran once (counted on
# the target side, in $T/runs).  In place of SPEC's `sleep 3`, the
# command waits for the test's go ($T/go, given after the cut), so the
# cut comes while it runs however loaded the machine is.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$POGO_SRC/test/e2e/dispatcher.sh"
. "$POGO_SRC/test/e2e/proxy.sh"

start_dispatcher -o dispatcher.lost_worker_grace=10
wait_for 10 "the worker port's Listening line" worker_port
start_proxy "$WP"
start_worker lw1

host_is() {
	cp_get "/v1/jobs/$1/hosts"
	[ "$code" = 200 ] &&
	    [ "$(jget "j['response']['hosts']['$2']['$3']")" = "$4" ]
}
submit range=h1 user=u task_name=local \
    command="echo run >>$T/runs; i=0; while [ ! -e $T/go ] && [ \$i -lt 1200 ]; do sleep 0.05; i=\$((i + 1)); done; echo end >>$T/ends"
J=$(jget 'j["jobid"]')
wait_for 30 "the command to start" test -e "$T/runs"
proxy_cmd cut
[ -e "$T/ends" ] && fail "the command ended before the cut"
touch "$T/go"
wait_for 30 "the worker to reconnect" proxy_seen '^accept 2$'
wait_for 30 "h1 finished" host_is "$J" h1 state finished
host_is "$J" h1 exitstatus 0 || fail "h1 exit: $(cat "$T/body")"
host_is "$J" h1 runs 1 || fail "h1 runs: $(cat "$T/body")"
expect_eq "commands run" "$(wc -l <"$T/runs")" 1
# The dispatcher asked the worker about it after the reconnection.
proxy_seen '^d2w 2 .*"command": ?"taskstatus"' ||
    fail "no taskstatus on the new connection: $(cat "$T/proxy/log")"
grep -q 'grace period ended' "$T/dispatcher.log" &&
    fail "the grace period ended"
stop_dispatcher TERM
expect_eq "dispatcher exit" "$drc" 0
grep -q "loop not closed cleanly" "$T/dispatcher.log" &&
    fail "a handle was left open"
echo "PASS $E2E_NAME"
