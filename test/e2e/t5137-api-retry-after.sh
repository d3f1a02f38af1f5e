#!/bin/sh
# pogo api passes on the control port's Retry-After (#12: the schedule's
# 503 "too many schedules being built" says when to try again) and no
# other header of its answer, in front of a fake control port (Python's
# http.server) whose answers the test chooses:
# - a 503 with Retry-After: 1 and hop-by-hop and other headers
#   (Connection, Keep-Alive, Proxy-Authenticate, Set-Cookie, X-...): the
#   client gets the 503, its body and Retry-After: 1, once, and none of
#   the others;
# - a Retry-After that is no number of seconds (an HTTP-date, a word, a
#   number too long): not passed on;
# - an answer without Retry-After: none.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$(dirname "$0")/dispatcher.sh"
. "$(dirname "$0")/api.sh"

cat >"$T/fake.py" <<'EOP'
import http.server, sys
T = sys.argv[1]
BUSY = (b'{"meta": {"rc": "fail", "status": 503}, "errors": ["too many '
        b'schedules being built (at most 2 at once); try again later"]}\n')

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self, status, body, headers):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        p = self.path
        if p == "/v1/ping":
            self.answer(200, b'{"response": {"ping": "pong"}}\n', [])
        elif p == "/v1/jobs/p0000000001/schedule":
            self.answer(503, BUSY, [("Retry-After", "1"),
                ("Connection", "keep-alive"), ("Keep-Alive", "timeout=99"),
                ("Proxy-Authenticate", "Basic realm=x"),
                ("Set-Cookie", "s=1"), ("X-Upstream", "secret")])
        elif p.startswith("/v1/jobs/p0000000002/schedule?ra="):
            self.answer(503, BUSY, [("Retry-After", p.split("=", 1)[1]
                .replace("%20", " ").replace("%2C", ","))])
        elif p == "/v1/jobs/p0000000003/schedule":
            self.answer(200, b'{"response": {"schedule": {}}}\n', [])
        else:
            self.send_error(404)
EOP
start_fake_http "$T/fake.py"
CP=127.0.0.1:$FAKE_PORT
start_api

api_get /v1/ping
expect_eq "ping" "$code" 200

# get PATH: GET through pogo api, headers in $T/hdr, body in $T/body.
get() {
	code=$(curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' \
	    --max-time 20 "http://$API$1") || fail "curl GET $1 failed"
}
# header NAME: the lines of $T/hdr naming header NAME, without CR.
header() {
	grep -i "^$1:" "$T/hdr" | tr -d '\r'
}

get /v1/jobs/p0000000001/schedule
expect_eq "the schedule's 503" "$code" 503
expect_eq "its Retry-After, once" "$(header Retry-After)" "Retry-After: 1"
expect_eq "its error" "$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["errors"])' "$T/body")" \
    "['too many schedules being built (at most 2 at once); try again later']"
for h in Keep-Alive Proxy-Authenticate Set-Cookie X-Upstream; do
	expect_eq "no $h passed on" "$(header "$h")" ""
done
expect_eq "pogo api's own Connection" "$(header Connection)" \
    "$(curl -s -o /dev/null -D - --max-time 20 "http://$API/v1/ping" |
        grep -i '^Connection:' | tr -d '\r')"

for ra in 'Fri,%2027%20Nov%202026%2010:00:00%20GMT' soon -1 1.5 \
    12345678901 ''; do
	get "/v1/jobs/p0000000002/schedule?ra=$ra"
	expect_eq "503 with Retry-After '$ra'" "$code" 503
	expect_eq "Retry-After '$ra' not passed on" "$(header Retry-After)" ""
done
get "/v1/jobs/p0000000002/schedule?ra=120"
expect_eq "Retry-After: 120" "$(header Retry-After)" "Retry-After: 120"

get /v1/jobs/p0000000003/schedule
expect_eq "a 200" "$code" 200
expect_eq "no Retry-After" "$(header Retry-After)" ""

stop_api
echo "PASS $E2E_NAME"
