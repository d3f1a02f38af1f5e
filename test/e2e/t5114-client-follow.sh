#!/bin/sh
# pogo submit --follow (SPEC 12.4) through `pogo api`, a dispatcher and a
# worker: the same jobs as `pogo one` prints them, per-host lines byte for
# byte on stdout, the same summary form on stderr and the same exit
# status (0 all well, 1 a host failed); the job line on stderr; the first
# Ctrl-C halts the job (hosts not started are Halted, exit 1) and the
# second stops following at once (exit 1, the job halted); --follow
# --json prints pogo one's JSON events but the output ones; pogo log -f
# --json follows an active job to its end in JSON lines.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$(dirname "$0")/dispatcher.sh"
. "$(dirname "$0")/api.sh"

start_dispatcher
start_worker w1 -o worker.max_tasks=8
start_api
POGO_CLIENT_CONFIG=$T/client.yaml
export POGO_CLIENT_CONFIG
printf 'api: http://%s\n' "$API" >"$T/client.yaml"
cat >"$T/seq.yaml" <<'EOY'
tag:
  g:
    a: [h3]
    b: [h2]
    c: [h1]
sequence:
  - $g.a
  - $g.b
  - $g.c
EOY

# both NAME CMD: the job through pogo one and pogo submit --follow.
n=0
both() {
	"$POGO" one --local --targets h1,h2,h3 --config "$T/seq.yaml" \
	    --run-command "$2" >"$T/$1.one.out" 2>"$T/$1.one.err"
	one_rc=$?
	"$POGO" submit --local --targets h1,h2,h3 --config "$T/seq.yaml" \
	    --command "$2" --follow >"$T/$1.sub.out" 2>"$T/$1.sub.err"
	sub_rc=$?
	expect_eq "$1: exit status" "$sub_rc" "$one_rc"
	cmp -s "$T/$1.one.out" "$T/$1.sub.out" ||
	    fail "$1: stdout differs: $(diff "$T/$1.one.out" "$T/$1.sub.out")"
	jobid=$(printf 'p%010d' $n)
	expect_eq "$1: job line" "$(head -n 1 "$T/$1.sub.err")" \
	    "$jobid; http://$API/ui/job/$jobid"
	n=$((n + 1))
	# The summary lines agree but for the elapsed time.
	expect_eq "$1: summary" \
	    "$(tail -n 1 "$T/$1.sub.err" | sed 's/ in [0-9.]* s$//')" \
	    "$(tail -n 1 "$T/$1.one.err" | sed 's/ in [0-9.]* s$//')"
}

both ok 'echo "hi $POGO_HOST"'
expect_eq "ok exit" "$one_rc" 0
expect_eq "ok lines" "$(cat "$T/ok.sub.out")" "h3: Running target
h3: Success
h2: Running target
h2: Success
h1: Running target
h1: Success"
expect_eq "ok summary" "$(tail -n 1 "$T/ok.sub.err" | sed 's/ in [0-9.]* s$//')" \
    "3 hosts: 3 ok, 0 failed, 0 unreachable"

both failed 'test "$POGO_HOST" != h2 || exit 3'
expect_eq "failed exit" "$one_rc" 1
grep -qx 'h2: Failed (rc=3)' "$T/failed.sub.out" ||
    fail "failed: $(cat "$T/failed.sub.out")"

# Ctrl-C: the job is halted; h1 never starts.
"$POGO" submit --local --targets h1,h2,h3 --config "$T/seq.yaml" \
    --command 'sleep 2' --follow >"$T/int.out" 2>"$T/int.err" &
SUB=$!
E2E_PIDS="$E2E_PIDS $SUB"
started() { grep -q '^h3: Running target' "$T/int.out"; }
wait_for 30 "h3 to start" started
kill -INT "$SUB"
i=0
while alive "$SUB" && [ $i -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
alive "$SUB" && fail "pogo submit --follow did not end after Ctrl-C"
wait "$SUB"
expect_eq "Ctrl-C exit" $? 1
job_is p0000000002 state halted || fail "the job is not halted"
grep -qx 'h1: Halted' "$T/int.out" || fail "Ctrl-C: $(cat "$T/int.out")"

# A second Ctrl-C (SPEC 12.4, pogo-submit(1)): the first halts the job
# and following goes on while h3 runs; the second stops following at
# once (h3 still running, the job still halted) and exits 1.
GATE=$T/gate
GATED="i=0; while [ ! -e $GATE ] && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i + 1)); done"
"$POGO" submit --local --targets h1,h2,h3 --config "$T/seq.yaml" \
    --command "$GATED" --follow >"$T/int2.out" 2>"$T/int2.err" &
SUB=$!
E2E_PIDS="$E2E_PIDS $SUB"
started2() { grep -q '^h3: Running target' "$T/int2.out"; }
wait_for 30 "h3 to start" started2
kill -INT "$SUB"
wait_for 30 "the job to be halted" job_is p0000000003 state halted
host_is p0000000003 h3 state running || fail "h3: $(cat "$T/body")"
alive "$SUB" || fail "the first Ctrl-C ended following: $(cat "$T/int2.err")"
kill -INT "$SUB"
i=0
while alive "$SUB" && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
alive "$SUB" && fail "pogo submit --follow did not end at the second Ctrl-C"
wait "$SUB"
expect_eq "second Ctrl-C exit" $? 1
host_is p0000000003 h3 state running ||
    fail "h3 did not run on after the second Ctrl-C: $(cat "$T/body")"
job_is p0000000003 state halted || fail "the job is not halted"
grep -q '^h3: Success' "$T/int2.out" && fail "followed to the end"
touch "$GATE"
wait_for 60 "h3 to finish" host_is p0000000003 h3 state finished
job_is p0000000003 state halted || fail "the job is not halted at the end"

# --follow --json: one JSON object per line, the events of pogo one
# --json on the same job but the output ones (job ids and times aside),
# every host's start and end among them, the summary last; the same
# exit status.
JCMD='echo "out $POGO_HOST"; test "$POGO_HOST" != h2 || exit 3'
"$POGO" one --local --targets h1,h2,h3 --config "$T/seq.yaml" \
    --run-command "$JCMD" --json >"$T/json.one.out" 2>"$T/json.one.err"
one_rc=$?
"$POGO" submit --local --targets h1,h2,h3 --config "$T/seq.yaml" \
    --command "$JCMD" --follow --json >"$T/json.sub.out" 2>"$T/json.sub.err"
expect_eq "--json exit status" $? "$one_rc"
expect_eq "--json exit" "$one_rc" 1
expect_eq "--json job line" "$(head -n 1 "$T/json.sub.err")" \
    "p0000000004; http://$API/ui/job/p0000000004"
python3 - "$T/json.one.out" "$T/json.sub.out" <<'EOP' || fail "--follow --json"
import json, sys

def events(path):
    out = []
    for n, line in enumerate(open(path), 1):
        try:
            e = json.loads(line)
        except ValueError as err:
            sys.exit("%s:%d: not JSON (%s): %r" % (path, n, err, line))
        if not isinstance(e, dict) or "event" not in e:
            sys.exit("%s:%d: not an event: %r" % (path, n, line))
        out.append(e)
    return out

def key(e):
    # What must agree; ids, times and counters of the run aside.
    if e["event"] == "summary":
        return ("summary",) + tuple((k, e[k]) for k in
            ("hosts", "ok", "failed", "unreachable", "deadlocked",
             "halted", "skipped", "exit"))
    return tuple((k, e.get(k)) for k in
        ("event", "host", "state", "message", "exitstatus"))

one, sub = events(sys.argv[1]), events(sys.argv[2])
if any(e["event"] == "output" for e in sub):
    sys.exit("output events in --follow --json")
want = [key(e) for e in one if e["event"] != "output"]
got = [key(e) for e in sub]
if got != want:
    sys.exit("pogo one --json (want) and submit --follow --json (got) "
        "differ:\nwant %s\ngot  %s" % (want, got))
if [e["event"] for e in sub].count("summary") != 1 or \
        sub[-1]["event"] != "summary":
    sys.exit("the summary is not last, once: %r" % sub[-1])
s = sub[-1]
if (s["hosts"], s["ok"], s["failed"], s["exit"]) != (3, 2, 1, 1):
    sys.exit("summary: %r" % s)
for h in ("h1", "h2", "h3"):
    states = [e["state"] for e in sub
              if e["event"] == "host" and e["host"] == h]
    if "running" not in states or states[-1] not in ("finished", "failed"):
        sys.exit("%s: no start and end in %r" % (h, states))
for e in sub:
    if e["event"] != "summary" and e["job"] != "p0000000004":
        sys.exit("another job: %r" % e)
print("%d events" % len(sub))
EOP
expect_eq "--json summary line" \
    "$(tail -n 1 "$T/json.sub.err" | sed 's/ in [0-9.]* s$//')" \
    "3 hosts: 2 ok, 1 failed, 0 unreachable"

# pogo log -f --json (SPEC 12.5) on an active job: it follows until the
# job ends, one JSON entry per line, each host's start and end among them.
rm -f "$GATE"
out=$("$POGO" submit --local --targets h1,h2 --command "$GATED") ||
    fail "submit: $out"
"$POGO" log -f --json p0000000005 >"$T/logf.out" 2>"$T/logf.err" &
LOGF=$!
E2E_PIDS="$E2E_PIDS $LOGF"
wait_for 30 "a host to run" host_is p0000000005 h1 state running
alive "$LOGF" || fail "pogo log -f ended on an active job: $(cat "$T/logf.err")"
touch "$GATE"
i=0
while alive "$LOGF" && [ $i -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
alive "$LOGF" && fail "pogo log -f did not end with the job"
wait "$LOGF"
expect_eq "pogo log -f exit" $? 0
python3 - "$T/logf.out" <<'EOP' || fail "pogo log -f --json"
import json, sys
entries = []
for n, line in enumerate(open(sys.argv[1]), 1):
    try:
        entries.append(json.loads(line))
    except ValueError as err:
        sys.exit("line %d: not JSON (%s): %r" % (n, err, line))
for h in ("h1", "h2"):
    states = [e.get("state") for e in entries if e.get("host") == h]
    if "running" not in states or states[-1] != "finished":
        sys.exit("%s: %r in %r" % (h, states, entries))
EOP

stop_api
stop_dispatcher_cleanly
echo "PASS $E2E_NAME"
