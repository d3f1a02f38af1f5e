#!/bin/sh
# The dispatcher's control port (SPEC 7.5), served by a real
# `pogo dispatcher` on an ephemeral loopback port: /status, the
# validation of /v1/jobsubmit with the exact messages of SPEC 5.1 in their
# order, a submitted job read back through /v1/jobs/:jobid, /hosts and
# /log (SPEC 11.3-11.4), the fallback, and requests that are malformed or
# too large (a 4xx, the daemon still serving).
. "$(dirname "$0")/lib.sh"
e2e_init
. "$(dirname "$0")/dispatcher.sh"

start_dispatcher

# GET /status: version, no worker yet, no job.
cp_get /status
expect_eq "status code" "$code" 200
expect_eq "status version" "$(jget 'j["pogo_version"]')" \
    "$("$POGO" --version | sed -n 's/^pogo \([^ ]*\).*/\1/p' | head -n 1)"
expect_eq "status workers" "$(jget 'j["workers"]')" "[]"
expect_eq "status jobs_active" "$(jget 'j["jobs_active"]')" 0

# Validation, in the order of SPEC 5.1: each case also carries the
# errors of every later rule, so only the first rule may answer.
expect_refused "Mandatory field 'range' missing" \
    command=true task_name=bogus timeout=x
expect_refused "Mandatory field 'range' missing" range= command=true user=u
expect_refused "Mandatory field 'command' missing" \
    range=h1 task_name=bogus timeout=x
expect_refused "Invalid task name bogus" \
    range=h1 command=true task_name=bogus timeout=x
expect_refused "Mandatory field 'user' missing" \
    range='h[3-1]' command=true timeout=x
SUBMIT_USER_HEADER=alice
expect_refused "user 'bob' does not match the authenticated user 'alice'" \
    range='h[3-1]' command=true user=bob timeout=x
# With the header and no user field, the user is the authenticated one.
expect_refused "invalid range pattern 'h[3-1]'" range='h[3-1]' command=true \
    timeout=x
SUBMIT_USER_HEADER=
expect_refused "invalid range pattern 'h[3-1]'" range='h[3-1]' command=true \
    user=u timeout=x
expect_refused "invalid host name '-bad'" range=ok1 range=-bad \
    command=true user=u timeout=x
# YAML text has a newline (SPEC 2.10); without one, config is a name.
nl=$(printf '\n_')
nl=${nl%_}
expect_refused "Improper config file: No tag" range=h1 command=true \
    user=u config="sequence: [a]$nl" timeout=x
expect_refused "line 1, column 18: duplicate key 't'" range=h1 \
    command=true user=u config="tag: {t: {a: 1}, t: {b: 2}}$nl" timeout=x
expect_refused "no such namespace '{}'" range=h1 command=true user=u \
    config='{}' timeout=x
expect_refused "no such namespace 'a b'" range=h1 command=true user=u \
    config='a b' timeout=x
expect_refused "no such namespace 'sequence: [a]'" range=h1 command=true \
    user=u config='sequence: [a]' timeout=x
for ns in ../../etc/x .hidden -x 'a b' 'a/b'; do
	expect_refused "no such namespace '$ns'" range=h1 command=true \
	    user=u namespace="$ns" timeout=x
done
expect_refused "no such namespace 'prod'" range=h1 command=true user=u \
    config=prod timeout=x
expect_refused "invalid range pattern 'h[1-1000001]': a job has at most 1000000 hosts" \
    range='h[1-1000001]' command=true user=u timeout=x
for f in timeout job_timeout retry ssh_port connect_timeout; do
	expect_refused "invalid value for '$f'" range=h1 command=true \
	    user=u task_name=local run_as=root "$f=-1"
	expect_refused "invalid value for '$f'" range=h1 command=true \
	    user=u "$f=10s"
done
expect_refused "invalid value for 'timeout'" range=h1 command=true \
    user=u timeout=99999999999999999999
expect_refused "invalid value for 'concurrent'" range=h1 command=true \
    user=u concurrent=5%% task_name=local run_as=root
expect_refused "invalid value for 'prehook'" range=h1 command=true \
    user=u prehook=maybe
expect_refused "task type local does not support run_as" range=h1 \
    command=true user=u task_name=local run_as=root
# Nothing refused so far made a job.
cp_get /status
expect_eq "jobs after refusals" "$(jget 'j["jobs_active"]')" 0

# A job: committed, then its id (the first of a new state directory).
submit range='web[1-3]' range=web2,db1 command='echo hi' user=alice \
    task_name=local timeout=5 retry=1 lock=true concurrent=50% \
    message='a note'
expect_eq "submit rc" "$rc_field" ok
expect_eq "submit message" "$msg" "dispatcher CP: job received"
expect_eq "first job id" "$(jget 'j["jobid"]')" p0000000000
submit range=h1 command=true user=bob
expect_eq "second job id" "$(jget 'j["jobid"]')" p0000000001

# The engine runs the job at once; with no worker connected the hosts
# it lets run (concurrent 50%: 2) wait for one, the others for their
# turn (t5050 runs jobs on a worker).
waits_for_worker() {
	cp_get /v1/jobs/p0000000000/hosts
	[ "$(jget 'sorted(h["message"] for h in
	    j["response"]["hosts"].values())')" = \
	    '["waiting for $concurrent", "waiting for $concurrent", "waiting for a worker", "waiting for a worker"]' ]
}
wait_for 20 "the hosts to wait for a worker" waits_for_worker

cp_get /v1/jobs/p0000000000
expect_eq "job code" "$code" 200
expect_eq "job id" "$(jget 'j["response"]["job"]["jobid"]')" p0000000000
expect_eq "job fields" "$(jget '[j["response"]["job"][k] for k in
    ("state", "user", "command", "task_name", "timeout", "job_timeout",
     "retry", "lock", "prehook", "concurrent", "message", "host_count",
     "range", "summary", "run_as", "end_time", "is_expired",
     "has_password", "has_key", "config")]')" \
    '["running", "alice", "echo hi", "local", 5, 1800, 1, true, false, "50%", "a note", 4, ["web[1-3]", "web2,db1"], {"waiting": 4}, null, null, false, false, false, null]'
expect_eq "expires_at" "$(jget 'round(j["response"]["job"]["expires_at"] -
    j["response"]["job"]["start_time"], 3)')" 1800.0
expect_eq "meta hostname" "$(jget 'j["meta"]["hostname"]')" "$(hostname)"

# Formats of SPEC 11.2: json-pretty is indented by 2 spaces, cb wraps
# the same JSON, anything else is refused.
cp_get /v1/jobs/p0000000000
cp "$T/body" "$T/compact"
cp_get '/v1/jobs/p0000000000?format=json-pretty'
expect_eq "pretty code" "$code" 200
python3 - "$T/compact" "$T/body" <<'EOP' || fail "json-pretty: $(cat "$T/body")"
import json, sys
compact, pretty = (open(f).read() for f in sys.argv[1:3])
a, b = json.loads(compact), json.loads(pretty)
a["response"]["job"].pop("is_expired"), b["response"]["job"].pop("is_expired")
assert a == b, (a, b)
lines = pretty.split("\n")
assert "\t" not in pretty and pretty.endswith("}\n"), pretty
assert lines[1] == '  "meta": {', pretty
assert '      "jobid": "p0000000000",' in lines, pretty
EOP
cp_get '/v1/jobs/p0000000000?cb=my.cb_1'
expect_eq "jsonp code" "$code" 200
case $(cat "$T/body") in
'my.cb_1({"meta":'*'})') ;;
*) fail "jsonp: $(cat "$T/body")" ;;
esac
cp_get '/v1/jobs/p0000000000?format=xml'
expect_eq "bad format code" "$code" 400
expect_eq "bad format" "$(jget 'j["errors"]')" "[\"format 'xml' not known\"]"
cp_get '/v1/jobs/p0000000000?cb=1x'
expect_eq "bad cb code" "$code" 400

# Hosts: ascending byte order of names, paged, filtered by state.
cp_get /v1/jobs/p0000000000/hosts
expect_eq "hosts code" "$code" 200
expect_eq "host names" "$(jget 'list(j["response"]["hosts"])')" \
    '["db1", "web1", "web2", "web3"]'
expect_eq "hosts count" "$(jget 'j["meta"]["count"]')" 4
expect_eq "a host" "$(jget 'dict(j["response"]["hosts"]["web2"],
    message=None)')" \
    '{"exitstatus": null, "finish_time": null, "message": null, "output": null, "runs": 0, "start_time": null, "state": "waiting"}'
cp_get '/v1/jobs/p0000000000/hosts?max=2&offset=1'
expect_eq "hosts page" "$(jget 'list(j["response"]["hosts"])')" \
    '["web1", "web2"]'
expect_eq "hosts page count" "$(jget 'j["meta"]["count"]')" 4
cp_get '/v1/jobs/p0000000000/hosts?state=finished&format=json-pretty'
expect_eq "no finished host" "$(jget 'j["response"]["hosts"]')" '{}'
grep -q '^    "hosts": {}$' "$T/body" || fail "pretty empty object: $(cat "$T/body")"
expect_eq "no finished count" "$(jget 'j["meta"]["count"]')" 0

# The log: entry 0 is the job's creation, with the range.
cp_get /v1/jobs/p0000000000/log
expect_eq "log code" "$code" 200
expect_eq "log entry 0" "$(jget '[j["response"]["joblog"][0][k] for k in
    ("index", "type", "state", "message", "range")]')" \
    '[0, "jobstate", "gathering", "job created; fetching host info", ["web[1-3]", "web2,db1"]]'
expect_eq "log time" "$(jget 'abs(j["response"]["joblog"][0]["time"] -
    __import__("time").time()) < 600')" true
expect_eq "log meta" "$(jget '[j["meta"][k] for k in ("state",
    "in_flight")]')" '["running", 0]'
expect_eq "log: the job runs" "$(jget '[e["state"] for e in
    j["response"]["joblog"] if e["type"] == "jobstate"]')" \
    '["gathering", "running"]'
nlog=$(jget 'j["meta"]["count"]')
cp_get "/v1/jobs/p0000000000/log?offset=$nlog"
expect_eq "log past the end" "$(jget 'j["response"]["joblog"]')" '[]'

# Errors: unknown jobs, bad paging, the fallback of SPEC 7.5.
for p in /v1/jobs/p0000000099 /v1/jobs/p0000000099/hosts \
    /v1/jobs/p0000000099/log; do
	cp_get "$p"
	expect_eq "$p code" "$code" 404
	expect_eq "$p error" "$(jget 'j["errors"]')" \
	    '["no such job p0000000099"]'
done
cp_get /v1/jobs/nojob
expect_eq "bad job id code" "$code" 404
expect_eq "bad job id" "$(jget 'j["errors"]')" '["no such job nojob"]'
cp_get '/v1/jobs/p0000000000/hosts?max=x'
expect_eq "bad max code" "$code" 400
expect_eq "bad max" "$(jget 'j["errors"]')" "[\"invalid value for 'max'\"]"
cp_get /nowhere
expect_eq "unknown path code" "$code" 404
expect_eq "unknown path" "$(jget 'j["errors"]')" \
    "[\"unknown request: '/nowhere'\"]"
cp_get /status
expect_eq "jobs_active" "$(jget 'j["jobs_active"]')" 2

# One host run's output: none yet.
cp_get /v1/jobs/p0000000000/hosts/web2
expect_eq "output code" "$code" 200
expect_eq "output" "$(jget '[j["response"]["output"], j["meta"]["count"],
    j["meta"]["runs"]]')" '[[], 0, 0]'
cp_get /v1/jobs/p0000000000/hosts/nohost
expect_eq "output of no host" "$code" 404
expect_eq "output of no host error" "$(jget 'j["errors"]')" \
    '["no such job/host combination p0000000000/nohost"]'

# A long poll with nothing new answers when its wait ends (the job
# waits for a worker and appends nothing), with the log as it is.
t0=$(date +%s)
cp_get "/v1/jobs/p0000000000/log?offset=$nlog&wait=2"
t1=$(date +%s)
expect_eq "long poll code" "$code" 200
expect_eq "long poll" "$(jget '[j["response"]["joblog"], j["meta"]["count"]]')" \
    "[[], $nlog]"
[ $((t1 - t0)) -ge 1 ] || fail "the long poll did not wait"
cp_get '/v1/jobs/p0000000000/log?wait=x'
expect_eq "bad wait" "$code" 400

# Other routes: ping; workercert without api.worker_cert lists none.
cp_get /v1/ping
expect_eq "ping" "$(jget 'j["response"]')" '{"ping": "pong"}'
cp_get /v1/workercert
expect_eq "workercert code" "$code" 200
expect_eq "workercert" "$(jget 'j["response"]')" '{"certs": []}'

# Secrets (SPEC 5.1, 6.2, 10.3): boxes for one worker key make a job that
# says it has them, and never reach the database; boxes for two keys, or
# something that is no box, are refused.
box() {
	python3 -c '
import base64, sys
print(base64.b64encode(bytes([1]) + bytes([int(sys.argv[1])]) * 32 +
    sys.argv[2].encode() * 20).decode())' "$1" "$2"
}
pw=$(box 7 PASSWORDBOX)
key=$(box 7 PRIVATEKEYBOX)
other=$(box 8 OTHERKEYBOX)
expect_refused "secrets encrypted for different worker keys" range=h1 \
    command=true user=u password="$pw" client_private_key="$other"
expect_refused "invalid value for 'password'" range=h1 command=true \
    user=u password='not a box'
expect_refused "invalid value for 'pvt_key_passphrase'" range=h1 \
    command=true user=u pvt_key_passphrase="$(printf 'AAAA' | head -c 4)"
expect_refused "invalid value for 'exe_data'" range=h1 command=true \
    user=u exe_name=s.sh exe_data='%%%'
expect_refused "invalid value for 'exe_data'" range=h1 command=true \
    user=u exe_name=s.sh exe_data="$(printf 'a\000b' | base64)"
expect_refused "invalid value for 'exe_name'" range=h1 command=true \
    user=u exe_name='../x' exe_data="$(printf 'echo hi' | base64)"
submit range=h1 command=true user=u password="$pw" \
    client_private_key="$key" exe_name=s.sh \
    exe_data="$(printf 'echo hi' | base64)"
expect_eq "job with secrets" "$rc_field" ok
sid=$(jget 'j["jobid"]')
cp_get "/v1/jobs/$sid"
expect_eq "secret flags" "$(jget '[j["response"]["job"][k] for k in
    ("has_password", "has_key", "exe_name")]')" '[true, true, "s.sh"]'
grep -rqF -e "$pw" -e "$key" -e PASSWORDBOX -e PRIVATEKEYBOX "$DSTATE" &&
    fail "a secret reached the state directory"

# No más: the last rule of SPEC 5.1 (A-NOMAS: enable=0 refuses).
cp_post /v1/admin/nomas -d enable=0
expect_eq "nomas code" "$code" 200
expect_eq "nomas" "$(jget 'j["response"]')" '{"accepting": false}'
expect_refused "dispatcher is not accepting new jobs" range=h1 \
    command=true user=u
expect_refused "task type local does not support run_as" range=h1 \
    command=true user=u task_name=local run_as=root
cp_post /v1/admin/nomas -d enable=1
expect_eq "nomas off" "$(jget 'j["response"]')" '{"accepting": true}'
submit range=h2 command=true user=u
expect_eq "accepting again" "$(jget 'j["jobid"]')" p0000000003

# A page holds at most 10,000 items (pogo-dispatcher(8)); meta.count is
# still the total.
mkdir -p "$DNS" && echo 'tag: {t: [h1]}' >"$DNS/ok_ns-1.x.yaml" || fail "ns"
submit range='big[1-10005]' command=true user=u namespace=ok_ns-1.x
expect_eq "big job" "$rc_field" ok
bid=$(jget 'j["jobid"]')
cp_get "/v1/jobs/$bid/hosts?max=4294967295"
expect_eq "huge max" "$(jget '[len(j["response"]["hosts"]), j["meta"]["count"]]')" \
    '[10000, 10005]'
cp_get "/v1/jobs/$bid/hosts?max=20000&offset=10000"
expect_eq "last page" "$(jget 'sorted(j["response"]["hosts"])')" \
    '["big9995", "big9996", "big9997", "big9998", "big9999"]'

# Malformed and oversized requests: a 4xx, the connection closed, the
# daemon still serving.
raw() {
	python3 - "$CP" "$1" <<'EOP'
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)), timeout=20)
s.sendall(eval(sys.argv[2]))
data = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
except (ConnectionResetError, socket.timeout):
    pass
print(data.split(b"\r\n", 1)[0].decode())
EOP
}
expect_eq "garbage" "$(raw 'b"GARBAGE\r\n\r\n"')" "HTTP/1.1 400 Bad Request"
expect_eq "huge body" \
    "$(raw 'b"POST /v1/jobsubmit HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n"')" \
    "HTTP/1.1 413 Content Too Large"
expect_eq "huge header" \
    "$(raw 'b"GET /status HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * 40000 + b"\r\n\r\n"')" \
    "HTTP/1.1 431 Request Header Fields Too Large"
expect_eq "long target" \
    "$(raw 'b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"')" \
    "HTTP/1.1 414 URI Too Long"
cp_post /v1/jobsubmit --data-binary @/dev/null -H 'Content-Type: text/plain'
expect_eq "empty submission" "$code" 200
expect_eq "empty submission message" "$(jget 'j["message"]')" \
    "Mandatory field 'range' missing"
alive "$DPID" || fail "the dispatcher died"
cp_get /status
expect_eq "status after abuse" "$code" 200

stop_dispatcher TERM
expect_eq "exit after SIGTERM" "$drc" 0
echo "PASS $E2E_NAME"
