#!/bin/sh
# The job operations of the control port (SPEC 5.5, 11.3: POST
# /v1/jobs/:jobid with command=jobhalt, jobresume, jobretry, jobskip,
# jobalter) on a real `pogo dispatcher` with a real `pogo worker` running
# local tasks: A-OPS, J-6 (halt, resume), J-7 (an expired job refuses a
# retry with 409), J-10 (alter), skip with its results, the error forms
# (404, 409, 400), format/cb on an operation, and SPEC 11.3's 404 outside
# /v1; through curl and Python's http.client.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$(dirname "$0")/dispatcher.sh"

start_dispatcher
start_worker ow1 -o worker.max_tasks=8

nl='
'
# op JOB FORM: POST /v1/jobs/JOB with FORM (curl -d pairs).
op() {
	op_j=$1
	shift
	cp_post "/v1/jobs/$op_j" "$@"
}
state_is() { job_is "$1" state "$2"; }
# A command that waits until $T/go-<name> exists (at most 120 s).
waitcmd() {
	echo "i=0; while [ ! -e $T/go-$1 ] && [ \$i -lt 1200 ]; do sleep 0.1; i=\$((i+1)); done"
}

# A-OPS: one failed and one running host; retry both -> [1, 0].
submit range=a1,a2 user=u task_name=local \
    command="test \"\$POGO_HOST\" != a1 || exit 3; $(waitcmd a)"
JA=$(jget 'j["jobid"]')
wait_for 30 "a1 failed" host_is "$JA" a1 state failed
wait_for 30 "a2 running" host_is "$JA" a2 state running
op "$JA" -d command=jobresume
expect_eq "resume running code" "$code" 409
expect_eq "resume running" "$(jget 'j["errors"]')" \
    "[\"job $JA not halted; cannot resume\"]"
op "$JA" -d command=jobretry -d host=zz
expect_eq "retry zz code" "$code" 400
expect_eq "retry zz" "$(jget 'j["errors"]')" '["no host zz in job"]'
op "$JA" -d command=jobretry
expect_eq "retry no host code" "$code" 400
op "$JA" -d command=jobretry -d host=a1 -d host=a2
expect_eq "retry code" "$code" 200
expect_eq "retry answer" "$(jget '[j["response"]["message"],
    j["response"]["results"]]')" '["retry requested for 1 host(s)", [1, 0]]'
wait_for 30 "a1 run twice" host_is "$JA" a1 runs 2
wait_for 30 "a1 failed again" host_is "$JA" a1 state failed
cp_get "/v1/jobs/$JA/log"
jget '[e["message"] for e in j["response"]["joblog"]
    if e.get("host") == "a1"]' | grep -q '"retry requested"' ||
    fail "no retry entry: $(cat "$T/body")"
touch "$T/go-a"
wait_for 30 "job A finished" state_is "$JA" finished
op "$JA" -d command=jobhalt
expect_eq "halt finished code" "$code" 409
expect_eq "halt finished" "$(jget 'j["errors"]')" \
    "[\"job $JA not active; cannot halt\"]"
# Skip on an ended job: a finished host gets 0, a failed one 1.
op "$JA" -d command=jobskip -d host=a2 -d host=a1
expect_eq "skip answer" "$(jget '[j["response"]["message"],
    j["response"]["results"]]')" '["skipped 1 host(s)", [0, 1]]'
host_is "$JA" a1 state skipped || fail "a1 not skipped: $(cat "$T/body")"
host_is "$JA" a1 message "skipped by user" || fail "a1 message"
state_is "$JA" finished || fail "skip changed the job's state"

# Error forms: unknown job, unknown command, format and cb.
op p0000000999 -d command=jobhalt
expect_eq "unknown job code" "$code" 404
expect_eq "unknown job" "$(jget 'j["errors"]')" '["no such job p0000000999"]'
op "$JA" -d command=nope
expect_eq "unknown command code" "$code" 400
expect_eq "unknown command" "$(jget 'j["errors"]')" \
    "[\"unknown job command 'nope'\"]"
op "$JA?format=xml" -d command=jobhalt
expect_eq "format code" "$code" 400
expect_eq "format" "$(jget 'j["errors"]')" "[\"format 'xml' not known\"]"
op "$JA?cb=f" -d command=jobhalt
expect_eq "cb code" "$code" 409
case $(cat "$T/body") in
f\(*\)) ;;
*) fail "JSONP body: $(cat "$T/body")" ;;
esac

# SPEC 11.3: 404 outside /v1 and /status; 400 below /v1.
cp_get /nowhere
expect_eq "outside v1 code" "$code" 404
cp_get /v1/nope
expect_eq "A-ERR unknown code" "$code" 400
expect_eq "A-ERR unknown" "$(jget 'j["errors"]')" \
    "[\"unknown request: GET '/nope'\"]"

# J-6 halt and resume, with skip of a halted host: one host at a time.
cfg="tag: {all: [h1, h2, h3, h4]}${nl}constraint: {\$all: {max_parallel: 1}}$nl"
submit range=h1,h2,h3,h4 user=u task_name=local config="$cfg" \
    command="$(waitcmd "h-\$POGO_HOST")"
JH=$(jget 'j["jobid"]')
first_running() {
	cp_get "/v1/jobs/$JH/hosts?state=running"
	RH=$(jget 'sorted(j["response"]["hosts"])[0] if j["response"]["hosts"] else ""')
	[ -n "$RH" ]
}
wait_for 30 "a host of J-6 running" first_running
op "$JH" -d command=jobhalt -d reason=dashboard
expect_eq "halt code" "$code" 200
expect_eq "halt answer" "$(jget 'j["response"]["message"]')" "job $JH halted"
job_is "$JH" state halted || fail "not halted: $(cat "$T/body")"
job_is "$JH" state_message dashboard || fail "reason: $(cat "$T/body")"
cp_get "/v1/jobs/$JH/hosts?state=halted"
expect_eq "halted hosts" "$(jget 'j["meta"]["count"]')" 3
host_is "$JH" "$RH" state running || fail "the running host was touched"
op "$JH" -d command=jobhalt
expect_eq "halt twice code" "$code" 409
SKIP=$(python3 -c 'import sys; print(sorted(set(["h1","h2","h3","h4"]) - {sys.argv[1]})[0])' "$RH")
op "$JH" -d command=jobskip -d host="$SKIP" -d host="$RH"
expect_eq "skip halted" "$(jget 'j["response"]["results"]')" '[1, 0]'
job_is "$JH" state halted || fail "skip resumed the job"
touch "$T/go-h-h1" "$T/go-h-h2" "$T/go-h-h3" "$T/go-h-h4"
wait_for 30 "the running host done" host_is "$JH" "$RH" state finished
op "$JH" -d command=jobresume
expect_eq "resume code" "$code" 200
expect_eq "resume answer" "$(jget 'j["response"]["message"]')" "job $JH resumed"
wait_for 60 "J-6 finished" state_is "$JH" finished
cp_get "/v1/jobs/$JH"
expect_eq "J-6 summary" "$(jget 'j["response"]["job"]["summary"]')" \
    '{"finished": 3, "skipped": 1}'
cp_get "/v1/jobs/$JH/log"
jget '[e["message"] for e in j["response"]["joblog"] if "host" not in e]' |
    grep -q '"dashboard", "job resumed"' || fail "J-6 log: $(cat "$T/body")"

# J-10 alter: the next host dispatched runs the new command and fails;
# the failure holds the only unit, so the job deadlocks.
cfg10="tag: {all: [k1, k2, k3, k4]}${nl}constraint: {\$all: {max_parallel: 1}}$nl"
submit range=k1,k2,k3,k4 user=u task_name=local config="$cfg10" \
    command="$(waitcmd "k-\$POGO_HOST")"
JK=$(jget 'j["jobid"]')
JH=$JK
wait_for 30 "a host of J-10 running" first_running
op "$JK" -d command=jobalter -d attribute=nope -d value=1
expect_eq "alter bad code" "$code" 400
expect_eq "alter bad" "$(jget 'j["errors"]')" \
    "[\"failed to set nope=1 for $JK\"]"
op "$JK" -d command=jobalter -d attribute=retry -d value=x
expect_eq "alter bad value code" "$code" 400
op "$JK" -d command=jobalter -d attribute=command -d value='exit 5' \
    -d attribute=message -d value=altered
expect_eq "alter code" "$code" 200
expect_eq "alter answer" "$(jget 'j["response"]["message"]')" \
    "job $JK altered"
cp_get "/v1/jobs/$JK"
expect_eq "altered fields" "$(jget '[j["response"]["job"]["command"],
    j["response"]["job"]["message"]]')" '["exit 5", "altered"]'
touch "$T/go-k-k1" "$T/go-k-k2" "$T/go-k-k3" "$T/go-k-k4"
wait_for 60 "J-10 deadlocked" state_is "$JK" deadlocked
cp_get "/v1/jobs/$JK/hosts?state=failed"
expect_eq "J-10 one failure" "$(jget '[(h["message"], h["exitstatus"])
    for h in j["response"]["hosts"].values()]')" \
    '[["exited with status 5", 5]]'
host_is "$JK" "$RH" state finished || fail "the first host: $(cat "$T/body")"

# J-7: halted "timeout reached" by the job timeout; a retry is refused.
cfg7="tag: {g: [t1, t2, t3]}${nl}constraint: {\$g: {max_parallel: 1}}$nl"
submit range=t1,t2,t3 user=u task_name=local config="$cfg7" job_timeout=3 \
    command='sleep 10'
J7=$(jget 'j["jobid"]')
wait_for 30 "J-7 halted" state_is "$J7" halted
job_is "$J7" state_message "timeout reached" || fail "J-7 reason"
cp_get "/v1/jobs/$J7/hosts?state=halted"
expect_eq "J-7 halted hosts" "$(jget 'j["meta"]["count"]')" 2
op "$J7" -d command=jobretry -d host=t1
expect_eq "J-7 retry code" "$code" 409
expect_eq "J-7 retry" "$(jget 'j["errors"]')" "[\"jobid $J7 has expired\"]"

# Python's http.client: operations on one keep-alive connection.
python3 - "$CP" "$J7" "$JA" <<'EOP' || fail "http.client operations"
import http.client, json, sys
cp, j7, ja = sys.argv[1:4]
c = http.client.HTTPConnection(cp, timeout=20)
def post(path, body):
    c.request("POST", path, body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse()
    return r.status, json.loads(r.read())
s, b = post("/v1/jobs/" + j7, "command=jobresume")
assert s == 409 or s == 200, (s, b)
s, b = post("/v1/jobs/" + ja, "command=jobretry&host=zz")
assert (s, b["errors"]) == (400, ["no host zz in job"]), (s, b)
s, b = post("/v1/jobs/" + ja, "command=jobalter&attribute=timeout&value=7")
assert (s, b["response"]["message"]) == (200, "job %s altered" % ja), (s, b)
c.request("GET", "/v1/jobs/" + ja)
r = c.getresponse()
assert json.loads(r.read())["response"]["job"]["timeout"] == 7
EOP

stop_dispatcher_cleanly
