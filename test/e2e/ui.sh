# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The pogo authors
#
# The common start of the browser tests (t700x, issue 12), sourced first
# instead of lib.sh: it sources lib.sh and dispatcher.sh, calls e2e_init,
# skips the test without node, Debian's chromium or playwright-core
# (third_party/deps.sh installs them) and makes the screenshots' folder.
#   $PW $CHROMIUM $SHOTS  playwright-core, the browser, <build>/ui-screenshots
#   $nl           a newline, for configurations written inline
#   ui_local_start WORKER  a dispatcher, a worker WORKER running up to 8
#                 local tasks and `pogo api` (api.sh) in front of them
#   waitcmd NAME  a command that waits until $T/go-NAME exists (at most
#                 120 s)
#   asubmit FIELD=VALUE...  POST /v1/jobs through pogo api; the id in $JID
#   state_is JOB STATE  the job's state is STATE
#   ui_browser SCRIPT [VAR=VALUE...]  run test/e2e/SCRIPT in node with
#                 PW API T SHOTS CHROMIUM POGO_SANITIZED and the VARs (in
#                 the sshd's namespace when $UI_IN is in_ns), at most
#                 300 s; its output in $T/browser.log, printed; fails the
#                 test if it fails
#   ui_shots NAME...  each <build>/ui-screenshots/NAME.png was written
. "$(dirname "$0")/lib.sh"
e2e_init
. "$(dirname "$0")/dispatcher.sh"

PW=$POGO_SRC/build/third_party/node/node_modules/playwright-core
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
have node "the browser tests" || skip "no node"
[ -x "$CHROMIUM" ] || skip "no $CHROMIUM (third_party/deps.sh installs it)"
[ -d "$PW" ] || skip "no playwright-core in $PW (third_party/deps.sh)"
SHOTS=$(dirname "$POGO")/ui-screenshots
mkdir -p "$SHOTS" || fail "cannot make $SHOTS"
UI_IN=

nl='
'

ui_local_start() {
	. "$(dirname "$0")/api.sh"
	start_dispatcher
	start_worker "$1" -o worker.max_tasks=8
	start_api
}

waitcmd() {
	echo "i=0; while [ ! -e $T/go-$1 ] && [ \$i -lt 1200 ]; do sleep 0.1; i=\$((i+1)); done"
}

asubmit() {
	as_n=$#
	for f; do
		set -- "$@" --data-urlencode "$f"
	done
	shift "$as_n"
	api_post /v1/jobs "$@"
	expect_eq "submit" "$code $(jget 'j["meta"]["rc"]')" "200 ok"
	JID=$(jget 'j["response"]["jobid"]')
}

state_is() { job_is "$1" state "$2"; }

ui_browser() {
	ub_js=$1
	shift
	$UI_IN env PW="$PW" API="$API" T="$T" SHOTS="$SHOTS" \
	    CHROMIUM="$CHROMIUM" POGO_SANITIZED="${POGO_SANITIZED:-0}" "$@" \
	    timeout 300 node "$POGO_SRC/test/e2e/$ub_js" >"$T/browser.log" 2>&1
	ub_rc=$?
	cat "$T/browser.log"
	[ $ub_rc -eq 0 ] || fail "the browser checks failed (exit $ub_rc)"
}

ui_shots() {
	for us_s; do
		[ -s "$SHOTS/$us_s.png" ] || fail "no screenshot $us_s.png"
	done
}
