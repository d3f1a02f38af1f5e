# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The pogo authors
#
# Helpers for the tests of `pogo api` (SPEC 11), sourced after
# dispatcher.sh:
#   start_api ARGS...  `pogo api` on an ephemeral loopback port in front
#                 of $CP; waits for its "Listening on" line and sets $APID
#                 and $API (host:port); its log is $T/api.log
#   api_wait      the same wait for a `pogo api` the test started itself
#                 ($APID, logging to $T/api.log): sets $API
#   api_get PATH [CURL ARGS...]   GET; body in $T/body, status in $code
#   api_post PATH [CURL ARGS...]  POST the same way
#   stop_api      SIGTERM; it exits 0 within 20 s with every handle closed

api_listening() {
	grep -q ' Listening on ' "$T/api.log" 2>/dev/null ||
	    { alive "$APID" || fail "pogo api exited: $(cat "$T/api.log")"
	      return 1; }
}

start_api() {
	start_pogo api -f "$T/pogo.yaml" -o api.listen=127.0.0.1:0 -o "api.dispatcher=$CP" "$@"
	APID=$POGO_PID
	api_wait
}

api_wait() {
	wait_for 30 "the API's Listening line" api_listening
	API=$(sed -n 's/.* Listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p' \
	    "$T/api.log" | head -n 1)
	[ -n "$API" ] || fail "no API address in the log"
}

api_get() {
	p=$1
	shift
	code=$(curl -s -o "$T/body" -w '%{http_code}' --max-time 20 \
	    "$@" "http://$API$p") || fail "curl GET $p failed"
}

api_post() {
	p=$1
	shift
	code=$(curl -s -o "$T/body" -w '%{http_code}' --max-time 20 \
	    -X POST "$@" "http://$API$p") || fail "curl POST $p failed"
}

stop_api() {
	kill -s TERM "$APID" 2>/dev/null
	sa_i=0
	while alive "$APID" && [ $sa_i -lt 400 ]; do
		sleep 0.05
		sa_i=$((sa_i + 1))
	done
	alive "$APID" && fail "pogo api did not exit after TERM"
	wait "$APID"
	expect_eq "pogo api exit" "$?" 0
	if grep -q "loop not closed cleanly" "$T/api.log"; then
		fail "pogo api left a handle open"
	fi
}
