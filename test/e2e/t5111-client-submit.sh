#!/bin/sh
# pogo submit (SPEC 12.4) against a real dispatcher and worker running
# local tasks, through `pogo api` (POST /v1/jobs of 11.5 in front of the
# control port): the job line, the
# job fields it sends (user, targets, @FILE, --local, --file, --retry,
# --timeout, --concurrent, --message, requesthost, invoked_as, client),
# --json, a refused job (exit 1, the message on stderr) and usage errors
# (exit 2).
. "$(dirname "$0")/lib.sh"
e2e_init
. "$(dirname "$0")/dispatcher.sh"
. "$(dirname "$0")/api.sh"

start_dispatcher
start_worker w1 -o worker.max_tasks=8
start_api
API=http://$API
POGO_CLIENT_CONFIG=$T/client.yaml
export POGO_CLIENT_CONFIG
printf 'api: %s\ntimeout: 77\n' "$API" >"$T/client.yaml"
ME=$(id -un)

out=$("$POGO" submit --targets 'h[1-2]' --command 'echo "hi $POGO_HOST"' \
    --local --retry 2 --concurrent 50% --message 'a note') ||
    fail "submit failed: $out"
expect_eq "job line" "$out" "p0000000000; $API/ui/job/p0000000000"
wait_for 30 "the job to finish" job_is p0000000000 state finished
cp_get /v1/jobs/p0000000000
expect_eq "job fields" "$(jget '[j["response"]["job"][k] for k in ("user",
    "range", "task_name", "retry", "timeout", "concurrent", "message",
    "client", "command")]')" \
    "[\"$ME\", [\"h[1-2]\"], \"local\", 2, 77, \"50%\", \"a note\", \"pogo $("$POGO" version | head -n 1 | cut -d' ' -f2)\", \"echo \\\"hi \$POGO_HOST\\\"\"]"
expect_eq "requesthost" "$(jget 'j["response"]["job"]["requesthost"]')" \
    "$(hostname)"
jget 'j["response"]["job"]["invoked_as"]' | grep -q "^pogo submit --targets h\[1-2\] " ||
    fail "invoked_as: $(jget 'j["response"]["job"]["invoked_as"]')"
"$POGO" output 0 h2 | grep -qx "hi h2" || fail "output: $("$POGO" output 0 h2)"

# @FILE targets and an attached script.
printf '# targets\n\na1\n  a2\n' >"$T/targets"
printf '#!/bin/sh\necho "script on $POGO_HOST"\n' >"$T/s.sh"
"$POGO" submit --targets "@$T/targets" --file "$T/s.sh" --local --json \
    >"$T/body" || fail "submit --file failed"
expect_eq "--json" "$(jget 'j["jobid"]')" p0000000001
wait_for 30 "the script job to finish" job_is p0000000001 state finished
cp_get /v1/jobs/p0000000001
expect_eq "script job" "$(jget '[j["response"]["job"][k] for k in ("range",
    "command", "exe_name")]')" \
    '[["a1", "a2"], "Attached file: s.sh", "s.sh"]'
"$POGO" output 1 a2 | grep -qx "script on a2" ||
    fail "script output: $("$POGO" output 1 a2)"

# A big @FILE (SPEC 5.2 allows a million hosts) is sent, not hung on: its
# body used to be rebuilt for every line (200,000 lines: hours).  Nobody
# listens on the port, so the submission fails once the body is built.
python3 -c 'import sys
for i in range(200000): sys.stdout.write("bighost%06d.example\n" % i)' \
    >"$T/big"
timeout 120 "$POGO" submit --api "http://127.0.0.1:$(e2e_port 3)" \
    --targets "@$T/big" --command true >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" -ne 124 ] || fail "a 200,000-line @FILE took more than 120 s"
grep -q "connection refused" "$T/err" || fail "big @FILE: $(cat "$T/err")"
expect_eq "API unreachable, exit" "$rc" 1
# With --follow (and --json) the codes of pogo one: 3, the job could not
# run at all (SPEC 12.4, 1.7).
for f in --follow "--follow --json"; do
	"$POGO" submit --api "http://127.0.0.1:$(e2e_port 3)" --targets h1 \
	    --command true $f >"$T/out" 2>"$T/err"
	expect_eq "API unreachable, $f" "$? $(cat "$T/err")" \
	    "3 pogo submit: connection refused"
done

# Refused by the dispatcher: exit 1, its message on stderr.
"$POGO" submit --targets=-x --command true >"$T/out" 2>"$T/err"
expect_eq "refused exit" $? 1
expect_eq "refused" "$(cat "$T/err")" "pogo submit: invalid host name '-x'"
expect_eq "refused stdout" "$(cat "$T/out")" ""

# Usage errors.
"$POGO" submit --command true 2>"$T/err"
expect_eq "no targets exit" $? 2
expect_eq "no targets" "$(cat "$T/err")" "Mandatory parameter targets missing"
"$POGO" submit --targets h1 2>"$T/err"
expect_eq "no command exit" $? 2
expect_eq "no command" "$(cat "$T/err")" "Mandatory parameter command missing"
"$POGO" submit --targets h1 --command true --concurrent x 2>/dev/null
expect_eq "bad concurrent exit" $? 2
"$POGO" submit --targets h1 --command true --config a --namespace b \
    2>/dev/null
expect_eq "config and namespace exit" $? 2

stop_dispatcher_cleanly
echo "PASS $E2E_NAME"
