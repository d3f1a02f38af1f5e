#!/bin/sh
# pogo api as a proxy (SPEC 11.1, 11.3, 11.5) in front of a real
# dispatcher, auth none: /status and /v1/... forwarded, POST /v1/jobs as
# the control port's jobsubmit in the envelope of 11.5, GET / -> 302
# /ui/, other paths 404; keep-alive and pipelined requests (Python
# http.client and a raw socket); a long poll does not hold up other
# clients; a dispatcher that is down or garbles gives 500 "problem in
# communication with dispatcher: ..."; a Host that is not a loopback name
# gets 421 (DNS rebinding); SIGTERM stops it cleanly.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$(dirname "$0")/dispatcher.sh"
. "$(dirname "$0")/api.sh"

start_dispatcher
start_api

api_get /status
expect_eq "/status" "$code" 200
expect_eq "/status version" "$(jget 'j["pogo_version"]')" \
    "$("$POGO" version | head -n 1 | cut -d' ' -f2)"
# SPEC 11.3's bare object: not the control port's workers and load
# (review4 F-C: no credentials are needed for it).
expect_eq "/status keys" "$(jget 'sorted(j)')" '["pogo_version"]'
api_get /v1/ping
expect_eq "ping" "$code $(jget 'j["response"]["ping"]')" "200 pong"
api_get /v1/nope
expect_eq "unknown v1" "$code $(jget 'j["errors"]')" \
    "400 [\"unknown request: GET '/nope'\"]"
api_get /nope
expect_eq "not under /v1" "$code" 404
code=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' --max-time 20 \
    "http://$API/") || fail "curl /"
expect_eq "GET /" "$code" "302 http://$API/ui/"
# The web UI (SPEC 11.6, U-1): index.html for /ui/ and any page path.
code=$(curl -s -o "$T/ui.html" -w '%{http_code} %{content_type}' \
    --max-time 20 "http://$API/ui/") || fail "curl /ui/"
expect_eq "/ui/" "$code" "200 text/html; charset=utf-8"
api_get /ui/job/p0000000000
expect_eq "/ui/job/..." "$code" 200
cmp -s "$T/body" "$T/ui.html" || fail "/ui/job/... is not index.html"
api_get /ui/assets/nope.js
expect_eq "missing asset" "$code" 404
api_get '/v1/jobs?format=xml'
expect_eq "format" "$code $(jget 'j["errors"]')" \
    "400 [\"format 'xml' not known\"]"

# Submission (11.5): accepted, then refused.
api_post /v1/jobs --data-urlencode 'range=h1' --data-urlencode 'command=true' \
    --data-urlencode 'user=u1' --data-urlencode 'task_name=local'
expect_eq "submit status" "$code" 200
expect_eq "submit rc" "$(jget 'j["meta"]["rc"]')" ok
expect_eq "submit message" "$(jget 'j["response"]["message"]')" \
    "dispatcher CP: job received"
expect_eq "submit jobid" "$(jget 'j["response"]["jobid"]')" p0000000000
jget 'j["meta"]["hostname"]' >/dev/null
api_post /v1/jobs --data-urlencode 'command=true' --data-urlencode 'user=u1'
expect_eq "refused status" "$code" 200
expect_eq "refused" "$(jget '[j["meta"]["rc"], j["response"]["message"]]')" \
    '["nok", "Mandatory field '"'"'range'"'"' missing"]'
# The control port's own jobsubmit is not an API endpoint (SPEC 11.3).
api_post /v1/jobsubmit --data-urlencode 'range=h8' \
    --data-urlencode 'command=true' --data-urlencode 'user=direct'
expect_eq "jobsubmit through the API" "$code $(jget 'j["errors"]')" \
    "400 [\"unknown request: POST '/jobsubmit'\"]"
api_get /v1/jobs/p0000000000
expect_eq "job through the API" "$code $(jget 'j["response"]["job"]["user"]')" \
    "200 u1"
api_get '/v1/jobs?user=u1&format=json-pretty'
expect_eq "query passed on" "$(jget 'j["meta"]["count"]')" 1
head -c 40 "$T/body" | grep -q '^{$' || fail "not pretty: $(head -c 40 "$T/body")"

# DNS rebinding: a web page whose own name was re-pointed at 127.0.0.1
# sends that name in Host and Origin, which agree; a loopback API serves
# loopback names only (421), so nothing is submitted or read.
port=${API##*:}
api_post /v1/jobs -H "Host: evil.example:$port" \
    -H "Origin: http://evil.example:$port" --data-urlencode 'range=h9' \
    --data-urlencode 'command=true' --data-urlencode 'user=rebind'
expect_eq "rebinding submit" "$code $(jget 'j["errors"]')" \
    '421 ["misdirected request: the Host is not a loopback name"]'
api_get /v1/jobs -H "Host: evil.example:$port"
expect_eq "rebinding read" "$code" 421
api_get '/v1/jobs?user=rebind'
expect_eq "nothing submitted" "$code $(jget 'j["meta"]["count"]')" "200 0"
api_get /v1/ping -H "Host: localhost:$port"
expect_eq "localhost" "$code" 200
api_get /v1/ping -H "Host: [::1]:$port"
expect_eq "[::1]" "$code" 200
# Another site's <script src=...?cb=> (JSONP with the operator's ambient
# credentials) is refused from the browser's Sec-Fetch-* headers; a link
# from another site (a navigation) and the UI's own requests pass.
api_get '/v1/jobs?cb=steal' -H 'Sec-Fetch-Site: cross-site' \
    -H 'Sec-Fetch-Mode: no-cors' -H 'Sec-Fetch-Dest: script'
expect_eq "cross-site script" "$code $(head -c 5 "$T/body")" "403 {\"met"
grep -q steal "$T/body" && fail "cross-site script got the data"
api_get '/v1/jobs?cb=steal' -H 'Sec-Fetch-Site: same-origin' \
    -H 'Sec-Fetch-Mode: no-cors'
expect_eq "same-origin JSONP" "$code $(head -c 6 "$T/body")" "200 steal("
api_get /v1/ping -H 'Sec-Fetch-Site: cross-site' -H 'Sec-Fetch-Mode: navigate'
expect_eq "cross-site link" "$code" 200
# The UI is never framed by another site.
curl -s -D "$T/ui.hdr" -o /dev/null --max-time 20 "http://$API/ui/" ||
    fail "curl /ui/ headers"
grep -qi "^X-Frame-Options: DENY" "$T/ui.hdr" || fail "no X-Frame-Options"
grep -qi "^Content-Security-Policy: frame-ancestors 'none'" "$T/ui.hdr" ||
    fail "no frame-ancestors"

# Keep-alive and pipelining, with a long poll of another client waiting.
curl -s -o "$T/poll.out" --max-time 30 \
    "http://$API/v1/jobs/p0000000000/log?offset=99&wait=8" &
POLL=$!
python3 - "$API" <<'EOP' || fail "keep-alive or pipelining"
import http.client, json, socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
t0 = time.monotonic()
c = http.client.HTTPConnection(host, int(port), timeout=10)
socks = set()
for p in ["/v1/ping", "/status", "/v1/jobs/p0000000000", "/v1/ping"]:
    c.request("GET", p)
    r = c.getresponse()
    b = r.read()
    assert r.status == 200, (p, r.status, b)
    json.loads(b)
    socks.add(id(c.sock))
    assert c.sock is not None, "connection closed after " + p
assert len(socks) == 1, "not kept alive"
c.request("POST", "/v1/jobs", body="range=h2&command=true&user=u2",
          headers={"Content-Type": "application/x-www-form-urlencoded"})
r = c.getresponse()
j = json.loads(r.read())
assert j["meta"]["rc"] == "ok" and j["response"]["jobid"] == "p0000000001", j
# Three requests in one write; three answers in order.
s = socket.create_connection((host, int(port)), timeout=10)
req = ("GET /v1/jobs/p0000000000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
       "GET /v1/nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
       "GET /v1/jobs/p0000000001 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
s.sendall(req.encode())
data = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    data += d
parts = data.split(b"HTTP/1.1 ")[1:]
assert [p[:3] for p in parts] == [b"200", b"400", b"200"], data
assert b'"jobid":"p0000000000"' in parts[0] and b'"jobid":"p0000000001"' in parts[2], data
# All of this while the long poll waits.
assert time.monotonic() - t0 < 6, "blocked behind the long poll"
EOP
alive "$POLL" || fail "the long poll ended early: $(cat "$T/poll.out")"
wait "$POLL" || fail "the long poll failed"
grep -q '"joblog":\[\]' "$T/poll.out" || fail "long poll: $(cat "$T/poll.out")"

# The dispatcher down: 500, and the API lives on.
stop_dispatcher_cleanly
api_get /v1/ping
expect_eq "dispatcher down" "$code $(jget 'j["meta"]["rc"]')" "500 fail"
jget 'j["errors"][0]' | grep -q '^problem in communication with dispatcher: ' ||
    fail "down: $(cat "$T/body")"
api_post /v1/jobs --data-urlencode 'range=h1' --data-urlencode 'command=true'
expect_eq "submit, dispatcher down" "$code" 500
api_get /status
expect_eq "/status, dispatcher down" "$code $(jget 'sorted(j)')" \
    '200 ["pogo_version"]'
# Only the endpoints of SPEC 11.3 are sent on (review4 F-P, fail closed):
# an unknown request is the API's own 400, not the dispatcher's.
for r in "POST /v1/admin/workers" "POST /v1/whoami" "POST /v1/jobs/p0000000000/hosts" \
    "GET /v1/nope" "PUT /v1/jobs"; do
	code=$(curl -s -o "$T/body" -w '%{http_code}' --max-time 20 \
	    -X "${r%% *}" -d x=1 "http://$API${r#* }") || fail "curl $r"
	expect_eq "$r, dispatcher down" "$code $(jget 'j["errors"]')" \
	    "400 [\"unknown request: ${r%% *} '${r#* /v1}'\"]"
done
stop_api

# A dispatcher that answers garbage.
python3 - "$T/garble.port" <<'EOP' &
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
for _ in range(2):
    c, _ = s.accept()
    c.recv(65536)
    c.sendall(b"this is not HTTP\r\n\r\n")
    c.close()
EOP
E2E_PIDS="$E2E_PIDS $!"
garble_up() { [ -s "$T/garble.port" ]; }
wait_for 20 "the garbling dispatcher" garble_up
mv "$T/api.log" "$T/api-1.log"
CP=127.0.0.1:$(cat "$T/garble.port")
start_api
api_get /v1/ping
expect_eq "garbled" "$code" 500
jget 'j["errors"][0]' | grep -q '^problem in communication with dispatcher: malformed HTTP answer' ||
    fail "garbled: $(cat "$T/body")"
api_post /v1/jobs --data-urlencode 'range=h1'
expect_eq "garbled submit" "$code" 500
stop_api
echo "PASS $E2E_NAME"
