#!/bin/sh
# The client commands that read (SPEC 12.5) against a real `pogo
# dispatcher`'s control port (the v1 routes `pogo api` forwards) with a
# real `pogo worker` running local tasks: pogo ping, jobs, status, log
# (-v, PATTERN, -f), output, with their exact output, --json, the job-id
# shorthands (last, 123, p123), the client configuration file, and the
# errors (exit 1, the API's text on stderr; exit 2 for usage).
. "$(dirname "$0")/lib.sh"
e2e_init
. "$(dirname "$0")/dispatcher.sh"

start_dispatcher
start_worker w1 -o worker.max_tasks=8
ME=$(id -un)

# The client configuration file names the API.
printf 'api: http://%s/\n' "$CP" >"$T/client.yaml"
POGO_CLIENT_CONFIG=$T/client.yaml
export POGO_CLIENT_CONFIG
unset POGO_TOKEN

# pogo ping: OK <api-url> <N>ms, exit 0; ERROR <api-url>: <reason>, exit 1.
out=$("$POGO" ping) || fail "ping failed: $out"
echo "$out" | grep -Eqx "OK http://$CP [0-9]+ms" || fail "ping: '$out'"
out=$("$POGO" ping --api http://127.0.0.1:1)
expect_eq "ping of a closed port exit" $? 1
expect_eq "ping of a closed port" "$out" \
    "ERROR http://127.0.0.1:1: connection refused"
"$POGO" ping --json >"$T/body" || fail "ping --json failed"
expect_eq "ping --json" "$(jget '[j["ok"], j["api"]]')" \
    "[true, \"http://$CP\"]"
"$POGO" ping --api ftp://x >/dev/null 2>"$T/err"
expect_eq "bad URL exit" $? 2
expect_eq "bad URL" "$(cat "$T/err")" "pogo ping: invalid API URL 'ftp://x'"

# Jobs: alice p0 (two hosts, output on both streams), p1 (h2 fails);
# bob p2 with a long command; the local user p3.
submit range=h1,h2 command='echo "hello $POGO_HOST"; echo oops >&2' \
    user=alice task_name=local
J0=$(jget 'j["jobid"]')
submit range='f[1-3]' command='test "$POGO_HOST" != f2' user=alice \
    task_name=local
submit range=b1 command="echo $(printf 'x%.0s' $(seq 1 80))" user=bob \
    task_name=local
submit range=m1 command=true user="$ME" task_name=local
for j in 0 1 2 3; do
	wait_for 30 "job $j to end" job_is p000000000$j state finished
done

# pogo jobs: the header and one line per job, oldest first.
"$POGO" jobs -U alice >"$T/out" || fail "jobs failed"
cat >"$T/want" <<'EOF'
Job ID      User     Command
p0000000000 alice    'echo "hello $POGO_HOST"; echo oops >&2'
p0000000001 alice    'test "$POGO_HOST" != f2'
EOF
cmp "$T/want" "$T/out" || fail "jobs -U alice: $(cat "$T/out")"
"$POGO" jobs --all -L 2 >"$T/out" || fail "jobs --all failed"
{
	echo 'Job ID      User     Command'
	printf "p0000000002 bob      'echo %s\n" "$(printf 'x%.0s' $(seq 1 50))"
	echo "p0000000003 $(printf '%-8.8s' "$ME") 'true'"
} >"$T/want"
cmp "$T/want" "$T/out" || fail "jobs --all -L 2: $(cat "$T/out")"
# Default: the local user (no authentication).
expect_eq "jobs of the local user" "$("$POGO" jobs | tail -n +2 | cut -c1-11)" \
    p0000000003
"$POGO" jobs --json -U bob >"$T/body" || fail "jobs --json failed"
expect_eq "jobs --json" "$(jget '[x["jobid"] for x in j]')" '["p0000000002"]'

# pogo status, with each shorthand of the job id.
cat >"$T/want" <<'EOF'
     job id: p0000000001
       user: alice
    command: test "$POGO_HOST" != f2
 invoked as: 
 job status: finished
  f1 => finished
  f2 => failed
  f3 => finished
EOF
for id in p0000000001 1 p1; do
	"$POGO" status "$id" >"$T/out" || fail "status $id failed"
	cmp "$T/want" "$T/out" || fail "status $id: $(cat "$T/out")"
done
"$POGO" status 1 -s failed | tail -n 1 >"$T/out"
expect_eq "status -s failed" "$(cat "$T/out")" "  f2 => failed"
expect_eq "status -h" "$("$POGO" status 1 -h 'f[2-3]' | tail -n +6)" \
    "$(printf '  f2 => failed\n  f3 => finished')"
expect_eq "status last" "$("$POGO" status last | head -n 1)" \
    "     job id: p0000000003"
"$POGO" status 1 -v >"$T/out" || fail "status -v failed"
grep -Eqx ' +host_count: 3' "$T/out" || fail "status -v: $(cat "$T/out")"
grep -Eqx ' +range: f\[1-3\]' "$T/out" || fail "status -v: $(cat "$T/out")"
"$POGO" status 1 --json >"$T/body" || fail "status --json failed"
expect_eq "status --json" \
    "$(jget '[j["job"]["jobid"], sorted(j["hosts"]), j["hosts"]["f2"]["state"]]')" \
    '["p0000000001", ["f1", "f2", "f3"], "failed"]'

# Errors: the API's text on stderr, exit 1; a bad id is a usage error.
"$POGO" status 999 >"$T/out" 2>"$T/err"
expect_eq "status of no job exit" $? 1
expect_eq "status of no job" "$(cat "$T/err")" \
    "pogo status: no such job p0000000999"
"$POGO" status x1y >/dev/null 2>"$T/err"
expect_eq "bad id exit" $? 2
"$POGO" status >/dev/null 2>&1
expect_eq "status without a job exit" $? 2
"$POGO" status -h >"$T/out"
grep -q '^usage: pogo status ' "$T/out" || fail "status -h: $(cat "$T/out")"

# pogo log: every entry, the time as strftime("%b %e %H:%M:%S UTC%z").
cp_get "/v1/jobs/$J0/log?max=1000"
python3 - "$T/body" "$T/want" "$T/want-v" "$T/want-h1" <<'EOP'
import json, sys, time
log = json.load(open(sys.argv[1]))["response"]["joblog"]
plain, verbose, h1 = [], [], []
for e in log:
    t = time.strftime("%b %e %H:%M:%S UTC%z", time.localtime(int(e["time"])))
    typ = "host/" + e["host"] if "host" in e else "job"
    line = "%-24s %s => %s\n" % (t, typ, e["message"])
    plain.append(line)
    if e.get("host", "h1") == "h1":
        h1.append(line)
    verbose.append(line)
    for k in sorted(k for k in e if k not in
                    ("index", "time", "type", "host", "message")):
        v = e[k]
        if isinstance(v, list):
            v = ",".join(v)
        verbose.append("%25s%s => %s\n" % ("", k, v))
open(sys.argv[2], "w").write("".join(plain))
open(sys.argv[3], "w").write("".join(verbose))
open(sys.argv[4], "w").write("".join(h1))
EOP
"$POGO" log 0 >"$T/out" || fail "log failed"
cmp "$T/want" "$T/out" || fail "log: $(diff "$T/want" "$T/out")"
"$POGO" log 0 -v >"$T/out" || fail "log -v failed"
cmp "$T/want-v" "$T/out" || fail "log -v: $(diff "$T/want-v" "$T/out")"
"$POGO" log 0 h1 >"$T/out" || fail "log PATTERN failed"
cmp "$T/want-h1" "$T/out" || fail "log h1: $(diff "$T/want-h1" "$T/out")"
"$POGO" log 0 --json >"$T/out" || fail "log --json failed"
expect_eq "log --json lines" "$(wc -l <"$T/out")" "$(wc -l <"$T/want")"

# pogo log -f follows a running job to its end.
submit range=s1 command='sleep 1; echo done' user=alice task_name=local
JS=$(jget 'j["jobid"]')
"$POGO" log -f "$JS" >"$T/out" || fail "log -f failed"
expect_eq "log -f last line" "$(tail -n 1 "$T/out" | sed 's/.* job => //')" \
    "no more hosts to run"
grep -q 'host/s1 => ok$' "$T/out" || fail "log -f: $(cat "$T/out")"

# pogo output: STDOUT on stdout, STDERR on stderr, no EXIT record.
"$POGO" output 0 h2 >"$T/out" 2>"$T/err" || fail "output failed"
expect_eq "output stdout" "$(cat "$T/out")" "hello h2"
expect_eq "output stderr" "$(cat "$T/err")" "oops"
"$POGO" output 0 h2 --run 0 --json >"$T/out" || fail "output --json failed"
# (The control port stores no EXIT record yet; the client prints each.)
expect_eq "output --json records" \
    "$(python3 -c 'import json,sys; print(" ".join(json.loads(l)["type"]
        + ":" + json.loads(l)["data"] for l in open(sys.argv[1])
        if json.loads(l)["type"] != "EXIT"))' "$T/out")" \
    "STDOUT:hello h2 STDERR:oops"
"$POGO" output 0 nohost >/dev/null 2>"$T/err"
expect_eq "output of no host exit" $? 1
expect_eq "output of no host" "$(cat "$T/err")" \
    "pogo output: no such job/host combination p0000000000/nohost"

stop_dispatcher_cleanly
echo "PASS $E2E_NAME"
