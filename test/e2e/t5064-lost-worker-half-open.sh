#!/bin/sh
# SPEC 7.3, 8.5: the worker's side of its connection goes (the test proxy
# closes it) while the dispatcher's side stays open and silent, so it
# still looks alive there (half-open).  The same worker process (same
# name and instance) reconnects at once: the dispatcher drops the old
# connection, moves the task to the new one, and applies the task_done
# the worker sends on it: the host ends `finished` long before the old
# connection's silence limit (90 s), and the command ran once.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$POGO_SRC/test/e2e/dispatcher.sh"
. "$POGO_SRC/test/e2e/proxy.sh"

start_dispatcher
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
proxy_cmd halfcut
[ -e "$T/ends" ] && fail "the command ended before the cut"
touch "$T/go"
wait_for 30 "the worker to reconnect" proxy_seen '^accept 2$'
wait_for 30 "h1 finished" host_is "$J" h1 state finished
host_is "$J" h1 exitstatus 0 || fail "h1 exit: $(cat "$T/body")"
expect_eq "commands run" "$(wc -l <"$T/runs")" 1
grep -q 'worker lw1 at .*: connected again from' "$T/dispatcher.log" ||
    fail "the old connection was not dropped"
proxy_seen '^close 1 dispatcher$' ||
    fail "the old connection is still open: $(cat "$T/proxy/log")"
stop_dispatcher TERM
expect_eq "dispatcher exit" "$drc" 0
grep -q "loop not closed cleanly" "$T/dispatcher.log" &&
    fail "a handle was left open"
echo "PASS $E2E_NAME"
