#!/bin/sh
# pogo api's budgets (#11, F-J on the API side), in front of a fake
# control port (Python's http.server) whose answers the test chooses:
# - api.max_buffered: an answer whose Content-Length is over it, or whose
#   chunks go over it, is 502 "problem in communication with dispatcher:
#   ..." and not held; two answers held at once that together would go
#   over it: one is 502, the other 200; pogo api serves on.
# - api.max_long_polls: with 2 log long polls held by the control port, a
#   third is 503 at once with Retry-After; a log read without wait is
#   still forwarded; once the two are answered a long poll goes through.
#   `pogo log -f`, refused so, tries again a second later (it ended with
#   an error) and follows the job to its end once the two are answered.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$(dirname "$0")/dispatcher.sh"
. "$(dirname "$0")/api.sh"

# The fake control port (start_fake_http): one line in
# $T/polls per long poll it holds (until $T/release exists, at most 30 s),
# one line in $T/halves per answer of which it sent the first half.
cat >"$T/fake.py" <<'EOP'
import http.server, json, os, sys, time
T = sys.argv[1]

def wait_release():
    deadline = time.time() + 30
    while not os.path.exists(T + "/release") and time.time() < deadline:
        time.sleep(0.02)

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def whole(self, body):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def chunked(self, parts, pause):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.chunk(parts[0])
        if pause:
            with open(T + "/halves", "a") as f:
                f.write("x\n")
            wait_release()
        self.chunk(parts[1])
        self.chunk(b"")

    def do_GET(self):
        p = self.path
        big = b'{"x": "' + b"a" * 100000 + b'"}\n'
        half = b'{"x": "' + b"b" * 40000
        if p == "/v1/ping":
            self.whole(b'{"response": {"ping": "pong"}}\n')
        elif p == "/v1/jobs":
            self.whole(big)
        elif p == "/v1/jobs/p0000000001":
            self.chunked([big[:50000], big[50000:]], False)
        elif p.startswith("/v1/jobs/p0000000003"):
            self.chunked([half, b'"}\n'], True)
        elif p.startswith("/v1/jobs/p0000000004/log"):
            # A job that ends with its first entry, for pogo log -f.
            if "wait=" in p:
                with open(T + "/polls4", "a") as f:
                    f.write(p + "\n")
                self.whole(json.dumps({
                    "meta": {"count": 1, "state": "finished",
                             "in_flight": 0},
                    "response": {"joblog": [{
                        "index": 0, "time": time.time(), "type": "jobstate",
                        "state": "finished", "message": "done"}]}}).encode())
            else:
                self.whole(b'{"meta": {"count": 0, "state": "running", '
                           b'"in_flight": 1}, "response": {"joblog": []}}\n')
        elif p.startswith("/v1/jobs/p0000000002/log"):
            if "wait=" in p:
                with open(T + "/polls", "a") as f:
                    f.write(p + "\n")
                wait_release()
            self.whole(b'{"response": {"joblog": []}}\n')
        else:
            self.send_error(404)
EOP
start_fake_http "$T/fake.py"
# (start_api's upstream.)
# shellcheck disable=SC2034
CP=127.0.0.1:$FAKE_PORT
start_api -o api.max_buffered=65536 -o api.max_long_polls=2 \
    -o log_level=debug

api_get /v1/ping
expect_eq "ping" "$code" 200

# lines FILE: its number of lines (0 when it does not exist).
lines() {
	if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi
}
has_lines() {
	[ "$(lines "$1")" -ge "$2" ]
}
err() {
	python3 -c 'import json, sys; j = json.load(open(sys.argv[1]))
print(j["meta"]["status"], j["meta"]["rc"], j["errors"])' "$T/body"
}

# An answer over api.max_buffered, from its Content-Length and by chunks.
api_get /v1/jobs
expect_eq "a 100,000-byte answer" "$code" 502
expect_eq "its error" "$(err)" "502 fail ['problem in communication with \
dispatcher: the answers held at once would be larger than 65536 bytes']"
api_get /v1/jobs/p0000000001
expect_eq "a 100,000-byte chunked answer" "$code" 502
expect_eq "its error" "$(err)" "502 fail ['problem in communication with \
dispatcher: the answers held at once would be larger than 65536 bytes']"
api_get /v1/ping
expect_eq "ping after the 502s" "$code" 200

# Two answers of 40,000 bytes, both half sent and held: one is refused.
half() {
	curl -s -o "$T/half$1.body" -w '%{http_code}' --max-time 40 \
	    "http://$API/v1/jobs/p0000000003?k=$1" >"$T/half$1.code"
}
half 1 &
hpid1=$!
half 2 &
hpid2=$!
wait_for 30 "both first halves sent" has_lines "$T/halves" 2
one_done() {
	[ -s "$T/half1.code" ] || [ -s "$T/half2.code" ]
}
wait_for 30 "one of the two answered" one_done
first=$(cat "$T/half1.code" "$T/half2.code")
expect_eq "the first answered" "$first" 502
touch "$T/release"
wait "$hpid1"
wait "$hpid2"
expect_eq "the two" "$(cat "$T/half1.code" "$T/half2.code" | fold -w3 |
    sort | tr '\n' ' ')" "200 502 "
rm "$T/release"

# api.max_long_polls 2: two held, the third 503 at once.
lpoll() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 40 \
	    "http://$API/v1/jobs/p0000000002/log?offset=0&wait=30&k=$1" \
	    >"$T/poll$1.code"
}
lpoll 1 &
ppid1=$!
lpoll 2 &
ppid2=$!
wait_for 30 "two long polls at the control port" has_lines "$T/polls" 2
code=$(curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' --max-time 5 \
    "http://$API/v1/jobs/p0000000002/log?offset=0&wait=30&k=3") ||
    fail "the third long poll was not answered within 5 s"
expect_eq "a third long poll" "$code" 503
grep -qi '^Retry-After: 1' "$T/hdr" || fail "no Retry-After: $(cat "$T/hdr")"
expect_eq "its error" "$(err)" \
    "503 fail ['too many long polls (2); try again later']"
expect_eq "polls at the control port" "$(lines "$T/polls")" 2
api_get "/v1/jobs/p0000000002/log?offset=0"
expect_eq "a read of the log without wait" "$code" 200
# pogo log -f: its long poll refused, it waits and tries again.
refusals() {
	grep -c 'a long poll refused' "$T/api.log"
}
r0=$(refusals)
"$POGO" log --api "http://$API" -f p0000000004 >"$T/log4.out" \
    2>"$T/log4.err" &
LPID=$!
E2E_PIDS="$E2E_PIDS $LPID"
refused_again() {
	alive "$LPID" ||
	    fail "pogo log -f ended on a 503: $(cat "$T/log4.err")"
	[ "$(refusals)" -ge $((r0 + 2)) ]
}
wait_for 30 "two refusals of pogo log's long poll" refused_again
alive "$LPID" ||
    fail "pogo log -f ended on a 503: $(cat "$T/log4.err")"
expect_eq "pogo log's polls at the control port" "$(lines "$T/polls4")" 0
touch "$T/release"
wait "$ppid1"
wait "$ppid2"
expect_eq "the two long polls" "$(cat "$T/poll1.code" "$T/poll2.code")" \
    200200
ended() {
	! alive "$LPID"
}
wait_for 30 "pogo log -f to end" ended
wait "$LPID"
expect_eq "pogo log -f's exit" "$?" 0
expect_eq "pogo log's polls at the control port" "$(lines "$T/polls4")" 1
grep -q "job => done" "$T/log4.out" || fail "pogo log -f: $(cat "$T/log4.out")"
[ -s "$T/log4.err" ] && fail "pogo log -f said: $(cat "$T/log4.err")"
api_get "/v1/jobs/p0000000002/log?offset=0&wait=30"
expect_eq "a long poll after them" "$code" 200
expect_eq "polls at the control port" "$(lines "$T/polls")" 3

stop_api
echo "PASS $E2E_NAME"
