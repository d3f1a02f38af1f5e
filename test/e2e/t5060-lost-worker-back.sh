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

start_behind_proxy lw1 -o dispatcher.lost_worker_grace=10
cut_while_running cut
host_is "$J" h1 runs 1 || fail "h1 runs: $(cat "$T/body")"
# The dispatcher asked the worker about it after the reconnection.
proxy_seen '^d2w 2 .*"command": ?"taskstatus"' ||
    fail "no taskstatus on the new connection: $(cat "$T/proxy/log")"
grep -q 'grace period ended' "$T/dispatcher.log" &&
    fail "the grace period ended"
stop_dispatcher_cleanly
echo "PASS $E2E_NAME"
