#!/bin/sh
# Job secrets on the dispatcher (SPEC 5.1, 6.2, 7.2, 7.4, 8.3, 10.4, D-5):
# a job submitted with a password box goes only to a worker whose hello
# key_id is the box's KID (another worker never gets it, and the queue
# goes on for other jobs meanwhile), with the box in task_data; boxes for
# two keys are refused; a job with secrets waiting when the dispatcher
# restarts is halted "dispatcher restarted", cannot be resumed without
# them, and runs once jobresume gives them again.  Then neither the
# canary password, nor its box, nor the box's first 16 decoded bytes
# occur in any file of the state directory (pogo.db, its WAL), the
# dispatcher's logs (at -vvv) or any control-port response.  The workers
# are test/e2e/fake-worker.py, which record the task_data they get.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$POGO_SRC/test/e2e/dispatcher.sh"
TOOL=$(dirname "$POGO")/box-tool
[ -x "$TOOL" ] || fail "no $TOOL"

# Every control-port answer is kept in $T/responses for the final scan.
cp_get() {
	p=$1
	shift
	code=$(curl -s -o "$T/body" -w '%{http_code}' --max-time 20 \
	    "$@" "http://$CP$p") || fail "curl GET $p failed"
	cat "$T/body" >>"$T/responses"
}
cp_post() {
	p=$1
	shift
	code=$(curl -s -o "$T/body" -w '%{http_code}' --max-time 20 \
	    -X POST "$@" "http://$CP$p") || fail "curl POST $p failed"
	cat "$T/body" >>"$T/responses"
}
ksubmit() {
	submit "$@"
	cat "$T/body" >>"$T/responses"
}

mkdir "$T/certs" || fail "mkdir"
(
	cd "$T/certs" && export POGO_CA_DIR="$T/certs/ca" &&
	    "$POGO" ca init >/dev/null && "$POGO" ca issue worker wa >/dev/null &&
	    "$POGO" ca issue worker wb >/dev/null
) 2>"$T/ca.err" || fail "pogo ca: $(cat "$T/ca.err")"
KIDA=$("$TOOL" kid "$T/certs/worker-wa.crt") || fail "kid wa"
KIDB=$("$TOOL" kid "$T/certs/worker-wb.crt") || fail "kid wb"
CANARY=Pw-Canary-4711
BOX=$(printf %s "$CANARY" | "$TOOL" seal "$T/certs/worker-wb.crt") ||
    fail "seal for wb"
BOXA=$(printf %s "$CANARY" | "$TOOL" seal "$T/certs/worker-wa.crt") ||
    fail "seal for wa"
KEYBOX=$(printf %s "key-$CANARY" | "$TOOL" seal "$T/certs/worker-wb.crt") ||
    fail "seal a key for wb"

start_dispatcher -v -v -v
wait_for 10 "the worker port's Listening line" worker_port

# fake_worker NAME KEY_ID: a fake worker recording task_data in $T/NAME.td
fake_worker() {
	python3 "$POGO_SRC/test/e2e/fake-worker.py" "$WP" "$1" 4 \
	    "$T/$1.fw" "$2" "$T/$1.td" >"$T/$1.out" 2>&1 &
	FWPID=$!
	E2E_PIDS="$E2E_PIDS $FWPID"
}
has_worker() {
	cp_get /status
	jget 'j["workers"]' | grep -q "\"$1 "
}
state_is() {
	job_is "$1" state "$2"
}

# Boxes for two worker keys are refused (SPEC 5.1).
expect_refused "secrets encrypted for different worker keys" \
    range=x1 command=true user=u task_name=local password="$BOX" \
    client_private_key="$(printf k | "$TOOL" seal "$T/certs/worker-wa.crt")"

# Only a worker of key A: the job for key B waits, never failed, while a
# job without secrets submitted after it runs on that worker.
fake_worker fa "$KIDA"
FAPID=$FWPID
wait_for 20 "worker fa" has_worker fa
ksubmit range=s1 command='echo secret job' user=u task_name=local \
    password="$BOX" client_private_key="$KEYBOX"
expect_eq "submit with secrets" "$rc_field" ok
J1=$(jget 'j["jobid"]')
ksubmit range=n1 command='echo plain job' user=u task_name=local
J0=$(jget 'j["jobid"]')
wait_for 30 "the job without secrets to finish" state_is "$J0" finished
# #10: secrets given to a job submitted without any are refused with what
# is wrong, not as boxes for different keys; the job is left as it was.
cp_post "/v1/jobs/$J0" --data-urlencode command=jobretry \
    --data-urlencode host=n1 --data-urlencode password="$BOX"
expect_eq "retry of a job without secrets, with secrets" "$code" 400
expect_eq "its message" "$(jget 'j["errors"][0]')" \
    "job $J0 was submitted without secrets; they cannot be added to it"
state_is "$J0" finished || fail "after the refused retry: $(cat "$T/body")"
host_is "$J1" s1 state waiting || fail "s1: $(cat "$T/body")"
host_is "$J1" s1 message "waiting for a worker" || fail "s1: $(cat "$T/body")"
state_is "$J1" running || fail "job 1: $(cat "$T/body")"
grep -q "$J1" "$T/fa.td" && fail "worker fa (key A) got a task of $J1"
job_is "$J1" has_password true || fail "has_password: $(cat "$T/body")"

# A worker of key B takes it, the boxes in task_data (SPEC 8.3).
fake_worker fb "$KIDB"
FBPID=$FWPID
wait_for 30 "the job with secrets to finish" state_is "$J1" finished
python3 - "$T/fb.td" "$J1" "$BOX" "$KEYBOX" <<'EOP' || fail "task_data of fb"
import json, sys
tds = [json.loads(l) for l in open(sys.argv[1])]
td = [t for t in tds if t.get("job_id") == sys.argv[2]]
assert len(td) == 1, tds
assert td[0]["password"] == sys.argv[3], td
assert td[0]["client_private_key"] == sys.argv[4], td
assert "pvt_key_passphrase" not in td[0], td
EOP
grep -q "$J1" "$T/fa.td" && fail "worker fa (key A) got a task of $J1"
grep -q '"password"' "$T/fa.td" && fail "worker fa got a password box"

# D-5: a job with secrets is active (waiting: no worker of its key) when
# the dispatcher restarts: it is halted "dispatcher restarted".
kill "$FBPID"
wait_for 20 "worker fb gone" eval '! has_worker fb'
ksubmit range=d1 command='echo resumed' user=u task_name=local \
    password="$BOX"
J2=$(jget 'j["jobid"]')
wait_for 20 "d1 waiting" host_is "$J2" d1 message "waiting for a worker"
kill "$FAPID"
restart_dispatcher TERM -v -v -v
wait_for 10 "the worker port's Listening line" worker_port
state_is "$J2" halted || fail "after the restart: $(cat "$T/body")"
job_is "$J2" state_message "dispatcher restarted" ||
    fail "after the restart: $(cat "$T/body")"
cp_post "/v1/jobs/$J2" --data-urlencode command=jobresume
expect_eq "resume without secrets" "$code" 409
expect_eq "its message" "$(jget 'j["errors"][0]')" \
    "job $J2 has no secrets; give them with the request"
cp_post "/v1/jobs/$J2" --data-urlencode command=jobresume \
    --data-urlencode password="$BOXA"
expect_eq "resume with a box for another key" "$code" 400
expect_eq "its message" "$(jget 'j["errors"][0]')" \
    "secrets encrypted for different worker keys"
cp_post "/v1/jobs/$J2" --data-urlencode command=jobresume \
    --data-urlencode password="$BOX"
expect_eq "resume with secrets" "$code" 200
fake_worker fb2 "$KIDB"
wait_for 30 "the resumed job to finish" state_is "$J2" finished
grep "\"$J2\"" "$T/fb2.td" | grep -q "\"password\": \"$BOX\"" ||
    fail "the resumed task had no box: $(cat "$T/fb2.td")"

# jobretry takes the secret fields too (SPEC 5.5): a box for another key
# is refused, the job's own replaces the cached one and the run has it.
cp_post "/v1/jobs/$J2" --data-urlencode command=jobretry \
    --data-urlencode host=d1 --data-urlencode password="$BOXA"
expect_eq "retry with a box for another key" "$code" 400
expect_eq "its message" "$(jget 'j["errors"][0]')" \
    "secrets encrypted for different worker keys"
cp_post "/v1/jobs/$J2" --data-urlencode command=jobretry \
    --data-urlencode host=d1 --data-urlencode password="$BOX"
expect_eq "retry with secrets" "$code" 200
runs_of_j2() {
	[ "$(grep -c "\"$J2\".*\"password\": \"$BOX\"\|\"password\": \"$BOX\".*\"$J2\"" \
	    "$T/fb2.td")" -ge 2 ]
}
wait_for 30 "the retried run with its box" runs_of_j2
wait_for 30 "the retried job to finish" state_is "$J2" finished

# Every read of the jobs, and /status, for the scan.
for j in "$J0" "$J1" "$J2"; do
	cp_get "/v1/jobs/$j"
	cp_get "/v1/jobs/$j/log"
	cp_get "/v1/jobs/$j/hosts"
done
cp_get "/v1/jobs"
cp_get /status

# SPEC 10.4: nothing of the secrets anywhere (also in the WAL, before
# the dispatcher's stop checkpoints it).
scan() {
	python3 - "$CANARY" "$BOX" "$KEYBOX" "$T/state" "$T/responses" \
	    "$T"/dispatcher*.log "$T/dispatcher.out" <<'EOP' || fail "leak"
import base64, os, sys, urllib.parse
canary, box, keybox = sys.argv[1:4]
needles = [canary.encode(), box.encode(), keybox.encode()]
for b in (box, keybox):
    raw = base64.b64decode(b)
    needles.append(raw[:16])
    needles.append(b[60:100].encode())  # a piece of its secret part
    needles.append(urllib.parse.quote(b[60:100], safe="").encode())
files = []
for p in sys.argv[4:]:
    if os.path.isdir(p):
        for d, _, fs in os.walk(p):
            files += [os.path.join(d, f) for f in fs]
    else:
        files.append(p)
bad = 0
for f in files:
    data = open(f, "rb").read()
    for i, n in enumerate(needles):
        if n in data:
            print("needle %d in %s" % (i, f))
            bad += 1
print("scanned %d files" % len(files))
sys.exit(1 if bad else 0)
EOP
}
# The logs scanned have the protocol's debug3 lines.
grep -q ": send {" "$T/dispatcher-1.log" || fail "no debug3 in the log"
[ -s "$T/state/pogo.db-wal" ] || fail "no WAL to scan"
scan
stop_dispatcher_cleanly
scan
[ -s "$T/responses" ] || fail "no responses kept"
echo "PASS $E2E_NAME"
