#!/bin/sh
# The client against an API that lies (review3 13, 15), a fake API
# (Python's http.server) whose answers the test chooses and which records
# every request line it gets:
# - a job id in the API's answer that is no job id ("p1/../../admin/x",
#   "../x", "p0000000001?x=1", an over-long one, "p1" uncanonical, a
#   number) from GET /v1/jobs/last/USER (pogo status last) or from the
#   submission (pogo submit, with and without --follow): a clear error on
#   stderr, a non-zero exit, nothing printed, and no request to a path
#   built from it; a valid id is taken (the control);
# - numbers out of every integer's range (1e300, -1e300, 1.5e19, -5) for
#   times and counts in jobs, status, log and submit --follow: the output
#   is sane, the command exits normally, and nothing on stderr (under the
#   sanitizers: no UBSan report of a cast out of range);
# - a list that never ends, a count of 10^18 and every later page the
#   same (#9): status pages the hosts no further than the job's
#   host_count, and log, log -f and submit --follow take no page whose
#   entries do not follow on from its offset: a clear error, exit 1 (3
#   for submit --follow), after two pages.
. "$(dirname "$0")/lib.sh"
e2e_init
unset POGO_TOKEN POGO_CLIENT_CONFIG
export TZ=UTC

cat >"$T/fake.py" <<'EOP'
import http.server, json, sys
T = sys.argv[1]

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self):
        with open(T + "/requests", "a") as f:
            f.write(self.requestline + "\n")
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        with open(T + "/answers.json") as f:
            answers = json.load(f)
        path, _, query = self.path.partition("?")
        key = self.command + " " + path
        # A later page (offset > 0) has answers of its own, else none.
        if "offset=" in query and "offset=0" not in query.split("&"):
            key += "#more"
        body = answers.get(key)
        status = 200
        if body is None:
            status, body = 404, ('{"meta": {"rc": "fail", "status": 404},'
                                 ' "errors": ["no such path"]}')
        body = body.encode() + b"\n"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = answer
    do_POST = answer
EOP
start_fake_http "$T/fake.py"
API=http://127.0.0.1:$FAKE_PORT

# answers JSON: the fake's answers from now on, its record emptied.
answers() {
	printf '%s\n' "$1" >"$T/answers.json.tmp" &&
	    mv "$T/answers.json.tmp" "$T/answers.json" || fail "answers"
	: >"$T/requests"
}
# run NAME ARGS...: pogo ARGS --api $API, bounded; rc, $T/out, $T/err.
# (KILL 5 s after the TERM: submit --follow takes a TERM as Ctrl-C, a halt
# of the job, and follows on.)
run() {
	n=$1
	shift
	timeout -k 5 60 "$POGO" "$@" --api "$API" >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc -ne 124 ] && [ $rc -ne 137 ] ||
	    fail "$n: pogo $* did not end in 60 s"
}
# requests_are NAME LINES: the request lines the fake got, methods and
# paths only.
requests_are() {
	expect_eq "$1: the requests" \
	    "$(sed 's/ HTTP\/1\.[01]$//' "$T/requests")" "$2"
}
WHOAMI='"GET /v1/whoami": "{\"response\": {\"user\": \"u\"}}"'

# --- review3 13: job ids from the API ---
LONG=p$(printf '%04096d' 1)
for bad in 'p1/../../admin/nomas' '../x' 'p0000000001?x=1' "$LONG" \
    'p1' 'p0000000001/' 'abcd0000000001' ''; do
	short=$(printf '%.40s' "$bad")
	answers "{$WHOAMI,
	    \"GET /v1/jobs/last/u\": \"{\\\"response\\\": {\\\"job\\\": {\\\"jobid\\\": \\\"$bad\\\"}}}\",
	    \"POST /v1/jobs\": \"{\\\"response\\\": {\\\"jobid\\\": \\\"$bad\\\"}}\"}"
	run "status last of '$short'" status last
	expect_eq "status last of '$short', exit" "$rc" 1
	expect_eq "status last of '$short', stderr" "$(cat "$T/err")" \
	    "pogo status: the API answered an invalid job id"
	expect_eq "status last of '$short', stdout" "$(cat "$T/out")" ""
	requests_are "status last of '$short'" "GET /v1/whoami
GET /v1/jobs/last/u"
	if [ -n "$bad" ] && grep -qF -e "$bad" "$T/requests"; then
		fail "status last of '$short': a request had the id"
	fi
	for follow in "" --follow; do
		: >"$T/requests"
		run "submit ${follow:-plain} of '$short'" submit --targets h1 \
		    --command true $follow
		if [ -n "$follow" ]; then want=3; else want=1; fi
		expect_eq "submit ${follow:-plain} of '$short', exit" "$rc" "$want"
		expect_eq "submit ${follow:-plain} of '$short', stderr" \
		    "$(cat "$T/err")" \
		    "pogo submit: the API answered no valid job id"
		expect_eq "submit ${follow:-plain} of '$short', stdout" \
		    "$(cat "$T/out")" ""
		requests_are "submit ${follow:-plain} of '$short'" "GET /v1/whoami
POST /v1/jobs"
		if [ -n "$bad" ] && grep -qF -e "$bad" "$T/requests"; then
			fail "submit ${follow:-plain} of '$short': a request had the id"
		fi
	done
done
# Not a string at all.
answers "{$WHOAMI,
    \"GET /v1/jobs/last/u\": \"{\\\"response\\\": {\\\"job\\\": {\\\"jobid\\\": 7}}}\",
    \"POST /v1/jobs\": \"{\\\"response\\\": {\\\"jobid\\\": 7}}\"}"
run "status last of a number" status last
expect_eq "status last of a number, exit" "$rc" 1
requests_are "status last of a number" "GET /v1/whoami
GET /v1/jobs/last/u"
: >"$T/requests"
run "submit of a number" submit --targets h1 --command true
expect_eq "submit of a number, exit" "$rc" 1
requests_are "submit of a number" "GET /v1/whoami
POST /v1/jobs"

# The control: a valid id is taken and used.
JOB='"GET /v1/jobs/p0000000007": "{\"response\": {\"job\": {\"jobid\": \"p0000000007\", \"user\": \"u\", \"command\": \"true\", \"invoked_as\": \"x\", \"state\": \"finished\"}}}"'
HOSTS='"GET /v1/jobs/p0000000007/hosts": "{\"meta\": {\"count\": 1}, \"response\": {\"hosts\": {\"h1\": {\"state\": \"finished\"}}}}"'
answers "{$WHOAMI, $JOB, $HOSTS,
    \"GET /v1/jobs/last/u\": \"{\\\"response\\\": {\\\"job\\\": {\\\"jobid\\\": \\\"p0000000007\\\"}}}\",
    \"POST /v1/jobs\": \"{\\\"response\\\": {\\\"jobid\\\": \\\"p0000000007\\\"}}\"}"
run "status last of a valid id" status last
expect_eq "status last of a valid id, exit" "$rc" 0
expect_eq "status last of a valid id, stderr" "$(cat "$T/err")" ""
grep -q '^  h1 => finished$' "$T/out" ||
    fail "status last of a valid id: no host line: $(cat "$T/out")"
grep -q 'GET /v1/jobs/p0000000007 ' "$T/requests" ||
    fail "status last of a valid id: the job was not asked for"
: >"$T/requests"
run "submit of a valid id" submit --targets h1 --command true
expect_eq "submit of a valid id, exit" "$rc" 0
expect_eq "submit of a valid id" "$(cat "$T/out")" \
    "p0000000007; $API/ui/job/p0000000007"

# --- review3 15: numbers out of range ---
JOBN='"GET /v1/jobs/p0000000007": "{\"response\": {\"job\": {\"jobid\": \"p0000000007\", \"user\": \"u\", \"command\": \"true\", \"state\": \"finished\", \"a_big\": 1e300, \"b_small\": -1e300, \"c_neg\": -5, \"d_u64\": 1.5e19, \"host_count\": 1.5e19}}}"'
for count in 1e300 -1e300 -5 1.5e19; do
	answers "{$WHOAMI, $JOBN,
	    \"GET /v1/jobs\": \"{\\\"meta\\\": {\\\"count\\\": $count}, \\\"response\\\": {\\\"jobs\\\": [{\\\"jobid\\\": \\\"p0000000007\\\", \\\"user\\\": \\\"u\\\", \\\"command\\\": \\\"true\\\", \\\"start_time\\\": $count}]}}\",
	    \"GET /v1/jobs/p0000000007/hosts\": \"{\\\"meta\\\": {\\\"count\\\": $count}, \\\"response\\\": {\\\"hosts\\\": {\\\"h1\\\": {\\\"state\\\": \\\"finished\\\", \\\"time\\\": $count}}}}\",
	    \"GET /v1/jobs/p0000000007/hosts#more\": \"{\\\"meta\\\": {\\\"count\\\": $count}, \\\"response\\\": {\\\"hosts\\\": {}}}\",
	    \"GET /v1/jobs/p0000000007/log\": \"{\\\"meta\\\": {\\\"count\\\": $count, \\\"in_flight\\\": $count, \\\"state\\\": \\\"finished\\\"}, \\\"response\\\": {\\\"joblog\\\": [{\\\"index\\\": 0, \\\"time\\\": 1e300, \\\"type\\\": \\\"jobstate\\\", \\\"state\\\": \\\"running\\\", \\\"message\\\": \\\"m1\\\"}, {\\\"index\\\": 1, \\\"time\\\": -1e300, \\\"type\\\": \\\"jobstate\\\", \\\"state\\\": \\\"running\\\", \\\"message\\\": \\\"m2\\\"}, {\\\"index\\\": 2, \\\"time\\\": 1.5e19, \\\"type\\\": \\\"jobstate\\\", \\\"state\\\": \\\"running\\\", \\\"message\\\": \\\"m3\\\"}, {\\\"index\\\": 3, \\\"time\\\": -5, \\\"type\\\": \\\"jobstate\\\", \\\"state\\\": \\\"finished\\\", \\\"message\\\": \\\"m4\\\"}]}}\",
	    \"GET /v1/jobs/p0000000007/log#more\": \"{\\\"meta\\\": {\\\"count\\\": $count, \\\"in_flight\\\": 0, \\\"state\\\": \\\"finished\\\"}, \\\"response\\\": {\\\"joblog\\\": []}}\"}"
	run "jobs of $count" jobs
	expect_eq "jobs of $count, exit" "$rc" 0
	expect_eq "jobs of $count, stderr" "$(cat "$T/err")" ""
	grep -q "^p0000000007 u        'true'$" "$T/out" ||
	    fail "jobs of $count: $(cat "$T/out")"
	run "status -v of $count" status -v p0000000007
	expect_eq "status -v of $count, exit" "$rc" 0
	expect_eq "status -v of $count, stderr" "$(cat "$T/err")" ""
	grep -q '^      c_neg: -5$' "$T/out" &&
	    grep -q '^      d_u64: 15000000000000000000\.000000$' "$T/out" &&
	    grep -q '^  h1 => finished$' "$T/out" ||
	    fail "status -v of $count: $(cat "$T/out")"
	expect_eq "status -v of $count, host lines" \
	    "$(grep -c '=>' "$T/out")" 1
	run "log of $count" log p0000000007
	expect_eq "log of $count, exit" "$rc" 0
	expect_eq "log of $count, stderr" "$(cat "$T/err")" ""
	expect_eq "log of $count, lines" "$(grep -c '^.* job => m[1-4]$' "$T/out")" 4
	grep -q '^Dec 31 23:59:55 UTC+0000 *job => m4$' "$T/out" ||
	    fail "log of $count: -5 s is no time: $(cat "$T/out")"
done
# submit --follow through the log with counts out of range: it ends.
for count in -1e300 -5; do
	answers "{$WHOAMI, $JOBN,
	    \"POST /v1/jobs\": \"{\\\"response\\\": {\\\"jobid\\\": \\\"p0000000007\\\"}}\",
	    \"GET /v1/jobs/p0000000007/log\": \"{\\\"meta\\\": {\\\"count\\\": $count, \\\"in_flight\\\": 0, \\\"state\\\": \\\"finished\\\"}, \\\"response\\\": {\\\"joblog\\\": [{\\\"index\\\": 0, \\\"time\\\": 1e300, \\\"type\\\": \\\"jobstate\\\", \\\"state\\\": \\\"running\\\", \\\"message\\\": \\\"m1\\\"}, {\\\"index\\\": 1, \\\"time\\\": -1e300, \\\"type\\\": \\\"jobstate\\\", \\\"state\\\": \\\"finished\\\", \\\"message\\\": \\\"m2\\\"}]}}\"}"
	run "submit --follow of $count" submit --targets h1 --command true \
	    --follow
	expect_eq "submit --follow of $count, job line" \
	    "$(sed -n 1p "$T/err")" "p0000000007; $API/ui/job/p0000000007"
	expect_eq "submit --follow of $count, stderr lines" \
	    "$(wc -l <"$T/err" | tr -d ' ')" 2
	sed -n 2p "$T/err" | grep -q \
	    '^0 hosts: 0 ok, 0 failed, 0 unreachable in [0-9.]* s$' ||
	    fail "submit --follow of $count: $(cat "$T/err")"
	expect_eq "submit --follow of $count, exit" "$rc" 0
done
# --- #9: a list that never ends ---
JOB2='"GET /v1/jobs/p0000000007": "{\"response\": {\"job\": {\"jobid\": \"p0000000007\", \"user\": \"u\", \"command\": \"true\", \"state\": \"running\", \"host_count\": 2}}}"'
HOSTS1='{\"meta\": {\"count\": 1e18}, \"response\": {\"hosts\": {\"h1\": {\"state\": \"running\"}}}}'
LOG2='{\"meta\": {\"count\": 1e18, \"in_flight\": 1, \"state\": \"running\"}, \"response\": {\"joblog\": [{\"index\": 0, \"time\": 1, \"type\": \"jobstate\", \"state\": \"running\", \"message\": \"m1\"}, {\"index\": 1, \"time\": 2, \"type\": \"jobstate\", \"state\": \"running\", \"message\": \"m2\"}]}}'
answers "{$WHOAMI, $JOB2,
    \"POST /v1/jobs\": \"{\\\"response\\\": {\\\"jobid\\\": \\\"p0000000007\\\"}}\",
    \"GET /v1/jobs/p0000000007/hosts\": \"$HOSTS1\",
    \"GET /v1/jobs/p0000000007/hosts#more\": \"$HOSTS1\",
    \"GET /v1/jobs/p0000000007/log\": \"$LOG2\",
    \"GET /v1/jobs/p0000000007/log#more\": \"$LOG2\"}"
run "status of endless hosts" status p0000000007
expect_eq "status of endless hosts, exit" "$rc" 1
expect_eq "status of endless hosts, stderr" "$(cat "$T/err")" \
    "pogo status: the API answered more hosts than the job's 2"
expect_eq "status of endless hosts, host lines" \
    "$(grep -c '^  h1 => running$' "$T/out")" 2
requests_are "status of endless hosts" "GET /v1/jobs/p0000000007
GET /v1/jobs/p0000000007/hosts?max=500&offset=0
GET /v1/jobs/p0000000007/hosts?max=500&offset=1"
for f in "" -f; do
	: >"$T/requests"
	run "log $f of an endless log" log p0000000007 $f
	expect_eq "log $f of an endless log, exit" "$rc" 1
	expect_eq "log $f of an endless log, stderr" "$(cat "$T/err")" \
	    "pogo log: the API answered log entries out of order"
	expect_eq "log $f of an endless log, lines" \
	    "$(grep -c ' job => m[12]$' "$T/out")" 2
	requests_are "log $f of an endless log" \
	    "GET /v1/jobs/p0000000007/log?max=100&offset=0
GET /v1/jobs/p0000000007/log?max=100&offset=2"
done
: >"$T/requests"
run "submit --follow of an endless log" submit --targets h1 --command true \
    --follow
expect_eq "submit --follow of an endless log, exit" "$rc" 3
grep -qxF "pogo submit: cannot follow job p0000000007: the API answered log entries out of order" \
    "$T/err" || fail "submit --follow of an endless log: $(cat "$T/err")"
requests_are "submit --follow of an endless log" "GET /v1/whoami
POST /v1/jobs
GET /v1/jobs/p0000000007
GET /v1/jobs/p0000000007/log?max=100&offset=0
GET /v1/jobs/p0000000007/log?max=100&offset=2"
echo "PASS $E2E_NAME"
