#!/bin/sh
# SPEC 13.8's API tests on the control port of a real `pogo dispatcher`
# with a real `pogo worker` running local tasks: A-006 (/status, ping),
# A-026 (the jobs of Appendix A on a fresh dispatcher), A-PAGE, A-WAIT
# (the log's long poll, its bounds measured by the client against the
# entries' server-side times, never slept), A-NOMAS.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$(dirname "$0")/dispatcher.sh"

# At debug level: A-WAIT counts the dispatcher's "a long poll ... waits"
# lines.
start_dispatcher -o log_level=debug
start_worker aw1 -o worker.max_tasks=16

# A-006: one worker "<name> 127.0.0.1:<port>", a version; ping.
wait_for 30 "the worker at /status" sh -c \
    "curl -s http://$CP/status | grep -q 'aw1 127'"
cp_get /status
expect_eq "status code" "$code" 200
expect_eq "A-006 workers" "$(jget 'len(j["workers"])')" 1
jget 'j["workers"][0]' | grep -Eq '^aw1 127\.0\.0\.1:[0-9]+$' ||
    fail "A-006 worker entry: $(cat "$T/body")"
[ -n "$(jget 'j["pogo_version"]')" ] || fail "A-006 no pogo_version"
cp_get /v1/ping
expect_eq "A-006 ping" "$(jget 'j["response"]["ping"]')" pong

# A-026: Appendix A, in order, on this fresh dispatcher.
while IFS='|' read -r user cmd range; do
	submit user="$user" command="$cmd" range="$range" task_name=local
	expect_eq "submission of [$cmd]" "$rc_field" ok
done <<'EOJ'
sallyfoo|: find /some/directory -type f -mmin -20|host[1-4].pub.example.com
sallyfoo|whoami; uptime|host[6-8].example.com
johnqdoe|: 'rpm -q httpd && apachectl -k graceful'|host[1-4].example.com
johnqdoe|: sudo apachectl -k restart|host2.example.com
sallyfoo|uptime|host2.example.com
joebob|df -h|storehost[8-9].example.com
gandalf|echo you shall not pass|host1.example.com
EOJ
expect_eq "last job id" "$(jget 'j["jobid"]')" p0000000006
for i in 0 1 2 3 4 5 6; do
	wait_for 60 "p000000000$i finished" job_is "p000000000$i" state finished
done
cp_get /v1/jobs
expect_eq "A-026 newest first" "$(jget 'j["response"]["jobs"][0]["jobid"]')" \
    p0000000006
cp_get /v1/jobs/p0000000003
expect_eq "A-026 command" "$(jget 'j["response"]["job"]["command"]')" \
    ': sudo apachectl -k restart'
cp_get /v1/jobs/p0000000004/log
expect_eq "A-026 first log entry" "$(jget '([j["response"]["joblog"][0][k]
    for k in ("range", "type", "state")] +
    [len(j["response"]["joblog"][0]["message"]) > 0])')" \
    '[["host2.example.com"], "jobstate", "gathering", true]'
expect_eq "A-026 last log entry" "$(jget '([j["response"]["joblog"][-1][k]
    for k in ("type", "state")] +
    [len(j["response"]["joblog"][-1]["message"]) > 0])')" \
    '["jobstate", "finished", true]'
cp_get /v1/jobs/p0000000000/hosts
expect_eq "A-026 hosts of p0" "$(jget '[len(j["response"]["hosts"]),
    "host3.pub.example.com" in j["response"]["hosts"]]')" '[4, true]'
cp_get /v1/jobs/p0000000002/hosts
expect_eq "A-026 host2 of p2" \
    "$(jget 'j["response"]["hosts"]["host2.example.com"]["state"]')" finished
cp_get /v1/jobs/p0000000001/hosts/host8.example.com
expect_eq "A-026 last output record of host8" \
    "$(jget '[j["response"]["output"][-1][k] for k in ("type", "data")]')" \
    '["EXIT", "0"]'
cp_get /v1/jobs/last/gandalf
expect_eq "A-026 last of gandalf" "$(jget 'j["response"]["job"]["jobid"]')" \
    p0000000006
cp_get '/v1/jobs?user=sallyfoo'
expect_eq "A-026 sallyfoo's count" "$(jget 'j["meta"]["count"]')" 3

# A-PAGE: 7 hosts.
submit user=u command=true range='pg[1-7]' task_name=local
JP=$(jget 'j["jobid"]')
cp_get "/v1/jobs/$JP/hosts?max=3&offset=6"
expect_eq "A-PAGE offset 6" "$(jget '[sorted(j["response"]["hosts"]),
    j["meta"]["count"]]')" '[["pg7"], 7]'
cp_get "/v1/jobs/$JP/hosts?max=3&offset=7"
expect_eq "A-PAGE offset 7" "$(jget '[j["response"]["hosts"],
    j["meta"]["count"]]')" '[{}, 7]'
cp_get "/v1/jobs/$JP/hosts?max=0"
expect_eq "A-PAGE max 0" "$(jget 'sorted(j["response"]["hosts"])')" \
    '["pg1", "pg2", "pg3", "pg4", "pg5", "pg6", "pg7"]'
cp_get "/v1/jobs/$JP/hosts?max=3&offset=2"
expect_eq "A-PAGE a middle page in name order" \
    "$(jget 'list(j["response"]["hosts"])')" '["pg3", "pg4", "pg5"]'

# A-WAIT: a job whose host waits for $T/go-w.  The polls are sent at the
# log's end; the next entry (the host's end) comes when the file is made.
# Each answer must come within 0.2 s of that entry's time, which the
# dispatcher stamped; a poll on a job where nothing happens answers an
# empty list after 5 s.  Polls of different forms woken by the same
# entry (the dispatcher builds one body per form for them all) each get
# their own: two alike the same bytes, max=1 one entry, json-pretty
# several lines, cb=f JSONP, and a poll one entry further on starts there.
waitcmd="i=0; while [ ! -e $T/go-w ] && [ \$i -lt 1200 ]; do sleep 0.1; i=\$((i+1)); done"
submit user=u command="$waitcmd" range=w1 task_name=local
JW=$(jget 'j["jobid"]')
submit user=u command="$(echo "$waitcmd" | sed 's/go-w/go-q/')" range=w2 \
    task_name=local
JQ=$(jget 'j["jobid"]')
wait_for 30 "w1 running" host_is "$JW" w1 state running
wait_for 30 "w2 running" host_is "$JQ" w2 state running
python3 - "$CP" "$JW" "$JQ" "$T/go-w" "$T/dispatcher.log" <<'EOP' ||
import http.client, json, os, sys, threading, time
cp, jw, jq, go, dlog = sys.argv[1:6]
host, port = cp.rsplit(":", 1)

def get_raw(path, timeout=30):
    c = http.client.HTTPConnection(host, int(port), timeout=timeout)
    c.request("GET", path)
    r = c.getresponse()
    raw = r.read()
    c.close()
    return r.status, raw

def get(path, timeout=30):
    s, raw = get_raw(path, timeout)
    return s, json.loads(raw)

s, j = get("/v1/jobs/%s/log" % jw)
count = j["meta"]["count"]
assert s == 200 and count == len(j["response"]["joblog"]), j
# name: (offset, the rest of the query)
polls = {"a1": (count, ""), "a2": (count, ""), "max1": (count, "&max=1"),
         "pretty": (count, "&format=json-pretty"), "cb": (count, "&cb=f"),
         "next": (count + 1, "")}
res = {n: {} for n in polls}
def poll(n):
    r = res[n]
    r["sent"] = time.time()
    r["status"], r["raw"] = get_raw("/v1/jobs/%s/log?offset=%d&wait=5%s"
        % (jw, polls[n][0], polls[n][1]))
    r["answered"] = time.time()
ts = [threading.Thread(target=poll, args=(n,)) for n in polls]
for t in ts:
    t.start()
# The entry is made only when the dispatcher has all six polls waiting
# (its debug line per registered poll of this job, at most 10 s): a poll
# that came after the entry would be answered at once, not woken by it.
def waiting():
    with open(dlog, "rb") as f:
        return f.read().count(b"a long poll of %s waits for entry "
                              % jw.encode())
deadline = time.time() + 10
while waiting() < len(polls) and time.time() < deadline:
    time.sleep(0.02)
assert waiting() == len(polls), ("polls waiting", waiting(), len(polls))
for n in polls:
    assert "answered" not in res[n], ("answered before any entry", n, res[n])
open(go, "w").close()
for t in ts:
    t.join(30)
for n, (offset, q) in polls.items():
    r = res[n]
    assert r.get("status") == 200, (n, r)
    raw = r["raw"]
    if n == "cb":
        assert raw.startswith(b"f(") and raw.endswith(b")\n"), (n, raw)
        raw = raw[2:-2]
    r["body"] = json.loads(raw)
    log = r["body"]["response"]["joblog"]
    assert len(log) >= 1 and log[0]["index"] == offset, (n, r)
    entry_time = log[0]["time"]
    lag = r["answered"] - entry_time
    print("A-WAIT %s: entry %d at +%.3f s after the poll, answered %.1f ms "
          "after it" % (n, offset, entry_time - r["sent"], lag * 1000))
    assert entry_time > r["sent"], ("the entry came before the poll", n, r)
    assert 0 <= lag <= 0.2, ("answered %.3f s after the entry" % lag, n, r)
assert res["a1"]["raw"] == res["a2"]["raw"], (res["a1"], res["a2"])
assert len(res["max1"]["body"]["response"]["joblog"]) == 1, res["max1"]
assert res["pretty"]["raw"].count(b"\n") > 3, res["pretty"]
assert res["a1"]["raw"].count(b"\n") == 1, res["a1"]

# Nothing happens on jq until go-q: an empty list after 5 s.
s, j = get("/v1/jobs/%s/log" % jq)
count = j["meta"]["count"]
t0 = time.time()
s, j = get("/v1/jobs/%s/log?offset=%d&wait=5" % (jq, count))
el = time.time() - t0
print("A-WAIT: an idle poll answered after %.3f s" % el)
assert s == 200 and j["response"]["joblog"] == [], j
assert j["meta"]["count"] == count, j
assert 4.99 <= el <= 6.5, ("idle poll took %.3f s" % el)
EOP
    fail "A-WAIT"
wait_for 30 "$JW finished" job_is "$JW" state finished

# A-NOMAS: enable=0 stops accepting new jobs, enable=1 accepts again.
cp_post /v1/admin/nomas -d enable=0
expect_eq "A-NOMAS enable=0" "$(jget '[j["response"], "'"$code"'"]')" \
    '[{"accepting": false}, "200"]'
expect_refused "dispatcher is not accepting new jobs" user=u command=true \
    range=n1 task_name=local
cp_post /v1/admin/nomas -d enable=1
expect_eq "A-NOMAS enable=1" "$(jget 'j["response"]')" '{"accepting": true}'
submit user=u command=true range=n1 task_name=local
expect_eq "A-NOMAS accepted again" "$rc_field" ok

touch "$T/go-q"
wait_for 30 "$JQ finished" job_is "$JQ" state finished
stop_dispatcher_cleanly
echo "PASS $E2E_NAME"
