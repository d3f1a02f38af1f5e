#!/bin/sh
# `pogo dispatcher` as a process: the loopback rule (SPEC 10.1), one
# dispatcher per state directory (SPEC 6.1), SIGHUP and SIGUSR2, a clean
# stop on SIGTERM and SIGINT, and a job that survives SIGKILL: after a
# restart the job, its hosts and its log read the same, and the job
# counter continues (D-1, D-2 in part).  D-1 for a job that has not run:
# /v1/jobs/<id>, /hosts, /hosts/<host> and /log read the same.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$(dirname "$0")/dispatcher.sh"

# The loopback rule: exit 2 (an invalid configuration, SPEC 1.7 and
# T-LOOPBACK) with the exact message, nothing listens.
for a in 0.0.0.0:0 '[::]:0' 10.1.2.3:7656; do
	# Quoted: unquoted, [::]:0 is a YAML list.
	"$POGO" dispatcher -f "$T/pogo.yaml" \
	    -o "dispatcher.control_listen='$a'" >"$T/out" 2>"$T/err"
	expect_eq "control_listen $a status" "$?" 2
	grep -qxF "pogo dispatcher: refusing to listen on $a without TLS; use --insecure to override" \
	    "$T/err" || fail "control_listen $a: $(cat "$T/err")"
	[ -e "$DSTATE" ] && fail "a refused start created the state directory"
done
"$POGO" dispatcher -f "$T/pogo.yaml" -o dispatcher.control_listen=127.0.0.1:0 \
    -o dispatcher.worker_listen=0.0.0.0:7655 >"$T/out" 2>"$T/err"
expect_eq "worker_listen status" "$?" 2
grep -qxF "pogo dispatcher: refusing to listen on 0.0.0.0:7655 without TLS; use --insecure to override" \
    "$T/err" || fail "worker_listen: $(cat "$T/err")"

# --insecure lifts the rule (a wildcard address, reached over loopback).
start_pogo dispatcher -f "$T/pogo.yaml" -o dispatcher.control_listen=0.0.0.0:0 \
    -o dispatcher.worker_listen=127.0.0.1:0 --insecure
DPID=$POGO_PID
wait_for 30 "the insecure dispatcher" listening
port=$(sed -n 's/.* Listening on 0\.0\.0\.0:\([0-9]*\).*/\1/p' \
    "$T/dispatcher.log" | head -n 1)
[ -n "$port" ] || fail "no port in: $(cat "$T/dispatcher.log")"
CP=127.0.0.1:$port
cp_get /status
expect_eq "insecure status" "$code" 200
stop_dispatcher INT
expect_eq "exit after SIGINT" "$drc" 0

# D-7: one dispatcher per state directory.
start_dispatcher
"$POGO" dispatcher -f "$T/pogo.yaml" -o dispatcher.control_listen=127.0.0.1:0 \
    -o dispatcher.worker_listen=127.0.0.1:0 >"$T/out" 2>"$T/err"
expect_eq "second dispatcher status" "$?" 1
grep -qF "pogo dispatcher: state directory $DSTATE is in use by pid" "$T/err" ||
    fail "second dispatcher: $(cat "$T/err")"

# The log line format of SPEC 12.6.
grep -Eq "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z dispatcher\[$DPID\] I Listening on 127\.0\.0\.1:[0-9]+$" \
    "$T/dispatcher.log" || fail "log format: $(cat "$T/dispatcher.log")"

# SIGUSR2 and SIGHUP are logged and the daemon goes on.
kill -USR2 "$DPID"
wait_for 20 "SIGUSR2" grep -q 'SIGUSR2: log level debug$' "$T/dispatcher.log"
kill -HUP "$DPID"
wait_for 20 "SIGHUP" grep -q 'SIGHUP' "$T/dispatcher.log"
cp_get /status
expect_eq "status after HUP" "$code" 200

# A job, then SIGKILL: the restarted dispatcher answers the same.
submit range='h[1-3]' command=true user=alice
expect_eq "submit" "$rc_field" ok
expect_eq "job id" "$(jget 'j["jobid"]')" p0000000000
for p in "" /hosts /hosts/h2 /log "/log?offset=1&wait=1"; do
	cp_get "/v1/jobs/p0000000000$p"
	expect_eq "GET $p" "$code" 200
	cp "$T/body" "$T/before$(echo "$p" | tr / _)"
done
stop_dispatcher KILL
start_dispatcher
for p in "" /hosts /hosts/h2 /log "/log?offset=1&wait=1"; do
	cp_get "/v1/jobs/p0000000000$p"
	expect_eq "GET $p after SIGKILL" "$code" 200
	cmp -s "$T/body" "$T/before$(echo "$p" | tr / _)" ||
	    fail "GET $p differs after restart: $(cat "$T/body")"
done
submit range=h9 command=true user=alice
expect_eq "next job id after restart" "$(jget 'j["jobid"]')" p0000000001

# Submissions in flight when SIGTERM comes are answered or refused
# cleanly; the daemon exits 0 and the loop closes cleanly.
for i in 1 2 3 4 5; do
	curl -s -o /dev/null --max-time 20 --data range=x$i --data command=true \
	    --data user=u "http://$CP/v1/jobsubmit" &
done
stop_dispatcher TERM
expect_eq "exit after SIGTERM" "$drc" 0
grep -q 'SIGTERM: stopping' "$T/dispatcher.log" || fail "no stop line"
grep -q 'not closed cleanly' "$T/dispatcher.log" &&
    fail "handles left open: $(cat "$T/dispatcher.log")"
wait
echo "PASS $E2E_NAME"
