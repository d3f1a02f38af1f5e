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

start_behind_proxy lw1
cut_while_running halfcut
grep -q 'worker lw1 at .*: connected again from' "$T/dispatcher.log" ||
    fail "the old connection was not dropped"
proxy_seen '^close 1 dispatcher$' ||
    fail "the old connection is still open: $(cat "$T/proxy/log")"
stop_dispatcher_cleanly
echo "PASS $E2E_NAME"
