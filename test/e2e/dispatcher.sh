# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The pogo authors
#
# Helpers for the tests of `pogo dispatcher` (t50xx), sourced after lib.sh:
#   start_dispatcher ARGS...  start it on an ephemeral loopback control
#                 port with state in $T/state and namespaces in $DNS
#                 ($T/namespaces); wait for its "Listening
#                 on" line and set $DPID and $CP (host:port)
#   cp_get PATH [CURL ARGS...]   GET; body in $T/body, status in $code
#   cp_post PATH [CURL ARGS...]  POST the same way
#   jget EXPR     evaluate the Python expression EXPR with j = the JSON
#                 body of $T/body; prints the result (json.dumps of
#                 non-strings)
#   submit NAME=VALUE...  POST /v1/jobsubmit, form-encoded (with the
#                 header X-Pogo-User: $SUBMIT_USER_HEADER when set); the
#                 answer's message in $msg, its rc in $rc_field
#   expect_refused MESSAGE FIELDS...  the submission is refused with
#                 exactly MESSAGE
#   stop_dispatcher SIG   send SIG to $DPID and wait up to 20 s for its
#                 exit; its status in $drc
#   stop_dispatcher_cleanly  stop_dispatcher TERM; it exits 0 and its log
#                 has no "loop not closed cleanly"
#   restart_dispatcher SIG ARGS...  stop_dispatcher SIG, keep its log as
#                 dispatcher-<n>.log, start_dispatcher ARGS on the same
#                 state (SPEC 6.4)
#   worker_port   $WP, the worker port from the dispatcher's log
#   start_worker NAME ARGS...  `pogo worker` NAME on $WP (reconnecting at
#                 once), pid in $WPID, log appended to $T/worker.log
#   host_is JOB HOST FIELD VALUE  the host's FIELD in /v1/jobs/JOB/hosts
#   job_is JOB FIELD VALUE        the job's FIELD in /v1/jobs/JOB

have curl "the control port" || skip "no curl"
have python3 "JSON checks" || skip "no python3"

DSTATE=$T/state
# Namespaces (SPEC 2.10) in $T/namespaces, none unless a test writes one.
DNS=$T/namespaces
printf 'state_dir: %s\ndispatcher:\n  namespace_dir: %s\n' "$DSTATE" "$DNS" \
    >"$T/pogo.yaml"

listening() {
	grep -q ' Listening on ' "$T/dispatcher.log" 2>/dev/null ||
	    { alive "$DPID" || fail "the dispatcher exited"; return 1; }
}

start_dispatcher() {
	start_pogo dispatcher -f "$T/pogo.yaml" \
	    -o dispatcher.control_listen=127.0.0.1:0 \
	    -o dispatcher.worker_listen=127.0.0.1:0 "$@"
	DPID=$POGO_PID
	wait_for 30 "the dispatcher's Listening line" listening
	CP=$(sed -n 's/.* Listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p' \
	    "$T/dispatcher.log" | head -n 1)
	[ -n "$CP" ] || fail "no control port address in the log"
}

stop_dispatcher() {
	kill -s "$1" "$DPID" 2>/dev/null
	sd_i=0
	while alive "$DPID" && [ $sd_i -lt 400 ]; do
		sleep 0.05
		sd_i=$((sd_i + 1))
	done
	alive "$DPID" && fail "the dispatcher did not exit after $1"
	wait "$DPID"
	drc=$?
}

stop_dispatcher_cleanly() {
	stop_dispatcher TERM
	expect_eq "dispatcher exit" "$drc" 0
	if grep -q "loop not closed cleanly" "$T/dispatcher.log"; then
		fail "a handle was left open"
	fi
}

cp_get() {
	p=$1
	shift
	code=$(curl -s -o "$T/body" -w '%{http_code}' --max-time 20 \
	    "$@" "http://$CP$p") || fail "curl GET $p failed"
}

cp_post() {
	p=$1
	shift
	code=$(curl -s -o "$T/body" -w '%{http_code}' --max-time 20 \
	    -X POST "$@" "http://$CP$p") || fail "curl POST $p failed"
}

jget() {
	python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))
' "$T/body" "$1" || fail "cannot evaluate $1 on: $(cat "$T/body")"
}

submit() {
	code=$(python3 - "$CP" "$T/body" "${SUBMIT_USER_HEADER:-}" "$@" <<'EOP'
import sys, urllib.error, urllib.parse, urllib.request
cp, out, user = sys.argv[1:4]
pairs = [f.split("=", 1) for f in sys.argv[4:]]
data = urllib.parse.urlencode([(p[0], p[1] if len(p) > 1 else "")
    for p in pairs]).encode()
req = urllib.request.Request("http://%s/v1/jobsubmit" % cp, data=data)
if user:
    req.add_header("X-Pogo-User", user)
try:
    r = urllib.request.urlopen(req, timeout=20)
    code, body = r.status, r.read()
except urllib.error.HTTPError as e:
    code, body = e.code, e.read()
open(out, "wb").write(body)
print(code)
EOP
) || fail "cannot submit [$*]"
	expect_eq "jobsubmit HTTP status of [$*]" "$code" 200
	msg=$(jget 'j["message"]')
	rc_field=$(jget 'j["rc"]')
}

expect_refused() {
	er_want=$1
	shift
	submit "$@"
	expect_eq "refusal of [$*]" "$msg" "$er_want"
	expect_eq "rc of [$*]" "$rc_field" nok
}

restart_dispatcher() {
	rd_sig=$1
	shift
	stop_dispatcher "$rd_sig"
	rd_n=1
	while [ -e "$T/dispatcher-$rd_n.log" ]; do
		rd_n=$((rd_n + 1))
	done
	mv "$T/dispatcher.log" "$T/dispatcher-$rd_n.log"
	start_dispatcher "$@"
}

worker_port() {
	WP=$(sed -n 's/.* Listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p' \
	    "$T/dispatcher.log" | sed -n 2p)
	[ -n "$WP" ]
}

start_worker() {
	sw_name=$1
	shift
	wait_for 10 "the worker port's Listening line" worker_port
	"$POGO" worker -f /dev/null -o state_dir="$(mktemp -d "$T/ws.XXXXXX")" --dispatcher "$WP" \
	    -o worker.reconnect_delay=0 -o worker.name="$sw_name" "$@" \
	    >>"$T/worker.out" 2>>"$T/worker.log" &
	WPID=$!
	E2E_PIDS="$E2E_PIDS $WPID"
}

host_is() {
	cp_get "/v1/jobs/$1/hosts"
	[ "$code" = 200 ] &&
	    [ "$(jget "j['response']['hosts']['$2']['$3']")" = "$4" ]
}

job_is() {
	cp_get "/v1/jobs/$1"
	[ "$code" = 200 ] &&
	    [ "$(jget "j['response']['job']['$2']")" = "$3" ]
}
