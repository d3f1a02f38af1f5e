#!/bin/sh
# pogo one with the local executor: J-1, J-2, J-5, O-028, O-NOCONFIG,
# O-MISSING, O-CONFERR, O-DRYRUN, O-JSON, O-OUTPUTDIR, O-CONC,
# O-PARALLEL, O-EXIT, W-008 and J-8 (SPEC 13.3, 13.6, 13.10).
. "$(dirname "$0")/lib.sh"
e2e_init
cd "$T" || exit 1

# one_ok NAME EXPECTED-EXIT ARGS...: run pogo one, keep out and err.
one() {
	name=$1
	want=$2
	shift 2
	"$POGO" one "$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" = "$want" ] || fail "$name: exit $rc, expected $want: $(cat "$T/err")"
}

# J-1: a failure without constraints.
one J-1 1 --local --targets h1,h2,h3 \
    --run-command 'test "$POGO_HOST" != h2 || exit 3'
grep -qx 'h2: Failed (rc=3)' "$T/out" || fail "J-1: no failed line"
grep -qx 'h1: Success' "$T/out" || fail "J-1: h1"
grep -qx 'h3: Success' "$T/out" || fail "J-1: h3"
grep -Eqx '3 hosts: 2 ok, 1 failed, 0 unreachable in [0-9]+\.[0-9] s' \
    "$T/err" || fail "J-1 summary: $(cat "$T/err")"

# J-2: a failure uses up the capacity; the job deadlocks.
cat >"$T/s022.yaml" <<'EOY'
tag:
  colo:
    north_america: [host4, host5, host6]
constraint:
  $colo.north_america:
    max_parallel: 1
sequence:
  - $colo.north_america
EOY
one J-2 1 --local --config "$T/s022.yaml" --targets host4,host5,host6 \
    --run-command 'test "$POGO_HOST" != host6 || exit 1'
printf 'host6: Running target\nhost6: Failed (rc=1)\nhost5: Deadlocked\nhost4: Deadlocked\n' >"$T/want"
cmp -s "$T/out" "$T/want" || { diff "$T/want" "$T/out"; fail "J-2 output"; }
grep -q ', 2 deadlocked in ' "$T/err" || fail "J-2 summary: $(cat "$T/err")"

# J-5: a failure does not block a sequence.
cat >"$T/s014.yaml" <<'EOY'
tag:
  colo:
    north_america: [host1, host2, host3]
    south_east_asia: [host4, host5, host6]
sequence:
  - $colo.north_america
  - $colo.south_east_asia
EOY
one J-5 1 --local --config "$T/s014.yaml" --targets 'host[1-6]' \
    --run-command 'test "$POGO_HOST" != host2 || exit 1'
for h in host4 host5 host6; do
	grep -qx "$h: Success" "$T/out" || fail "J-5: $h did not run"
done
# host4-6 start only after host1-3 are final.
last_na=$(grep -n -E '^host[123]: (Success|Failed)' "$T/out" | tail -n1 | cut -d: -f1)
first_sea=$(grep -n -E '^host[456]: Running' "$T/out" | head -n1 | cut -d: -f1)
[ "$last_na" -lt "$first_sea" ] || fail "J-5: the sequence was not kept"

# O-028: the README example, locally.
printf 'tag:\nsequence: [host3, host2, host1]\n' >"$T/one.cfg"
one O-028 0 --local --targets host1,host2 --config "$T/one.cfg" \
    --run-command true
printf 'host2: Running target\nhost2: Success\nhost1: Running target\nhost1: Success\n' >"$T/want"
cmp -s "$T/out" "$T/want" || fail "O-028 output: $(cat "$T/out")"

# O-NOCONFIG: all three start before any finishes.
one O-NOCONFIG 0 --local --targets a,b,c --run-command 'sleep 1'
head -n3 "$T/out" | grep -c 'Running target' | grep -qx 3 ||
    fail "O-NOCONFIG: $(cat "$T/out")"

# O-MISSING, O-CONFERR: usage and configuration errors exit 2.
one O-MISSING 2 --local --targets a
expect_eq "O-MISSING" "$(cat "$T/err")" "Mandatory parameter run-command missing"
one O-MISSING 2 --local --run-command true
expect_eq "O-MISSING" "$(cat "$T/err")" "Mandatory parameter targets missing"
printf 'sequence: [a]\n' >"$T/notag.yaml"
one O-CONFERR 2 --local --targets a --config "$T/notag.yaml" --run-command true
expect_eq "O-CONFERR" "$(cat "$T/err")" "Improper config file: No tag"
[ -s "$T/out" ] && fail "O-CONFERR: stdout not empty"
one bad-target 2 --local --targets 'a;b' --run-command true
one bad-option 2 --local --targets a --run-command true --frob
one bad-number 2 --local --targets a --run-command true --timeout x
one bad-user 2 --targets a --run-command true -l 'a;b'
grep -q "invalid user name 'a;b'" "$T/err" || fail "bad user message"
one bad-ssh-config 2 --targets a --run-command true -F "$T/no-such-config"
one local-run-as 2 --local --targets a --run-command true --run-as root
one empty-state-dir 2 --local --targets a --run-command true --state-dir ''
grep -qx 'pogo one: --state-dir is empty' "$T/err" ||
    fail "empty --state-dir: $(cat "$T/err")"
one file-and-command 2 --local --targets a --run-command true --file /dev/null
one bad-retry 2 --local --targets a --run-command true --retry x

# O-DRYRUN: P-11's table, nothing runs.
one O-DRYRUN 0 --dry-run --config "$POGO_SRC/examples/triple.yaml" \
    --targets host1,host5,host9,hostx --run-command 'touch ran'
cmp -s "$T/out" "$POGO_SRC/test/data/sched/p11-targets.expected" ||
    fail "O-DRYRUN table"
[ -e "$T/ran" ] && fail "O-DRYRUN ran the command"

# O-JSON: J-1's job, parsed: every line is a JSON object whose first key
# is "event"; the last is the summary (hosts 3, ok 2, failed 1, exit equal
# to the exit status); h1's output events carry run 0.
"$POGO" one --local --json --targets h1,h2,h3 \
    --run-command 'echo "out $POGO_HOST"; test "$POGO_HOST" != h2 || exit 3' \
    >"$T/out" 2>"$T/err"
rc=$?
expect_eq "O-JSON exit" $rc 1
python3 - "$T/out" "$rc" <<'EOP' || fail "O-JSON: $(cat "$T/out")"
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
assert lines[-1] == "", "no newline at the end"
ev = []
for n, line in enumerate(lines[:-1], 1):
    pairs = json.loads(line, object_pairs_hook=lambda p: p)
    assert isinstance(pairs, list) and pairs, f"line {n}: not an object"
    assert pairs[0][0] == "event", f"line {n}: first key {pairs[0][0]}"
    ev.append(dict(pairs))
s = ev[-1]
assert s["event"] == "summary", s
for k, v in (("hosts", 3), ("ok", 2), ("failed", 1), ("unreachable", 0),
             ("deadlocked", 0), ("halted", 0), ("skipped", 0),
             ("peak_in_flight", 3), ("exit", int(sys.argv[2]))):
    assert s[k] == v, f"summary {k}: {s[k]} != {v}"
assert sum(e["event"] == "summary" for e in ev) == 1
out = [e for e in ev if e["event"] == "output" and e["host"] == "h1"]
assert [(e["run"], e["type"], e["data"]) for e in out] == \
    [(0, "STDOUT", "out h1")], out
assert all(e["job"] == "p0000000000" for e in ev if "job" in e)
h2 = [e for e in ev if e.get("host") == "h2" and e.get("state") == "failed"]
assert len(h2) == 1 and h2[0]["message"] == "exited with status 3" and \
    h2[0]["exitstatus"] == 3, h2
assert any(e["event"] == "job" and e["state"] == "running" and
           e["message"] == "constraints computed" for e in ev)
EOP

# O-OUTPUTDIR: raw bytes per run; a second run takes the next number.
mkdir "$T/D"
one O-OUTPUTDIR 0 --local --targets h1 --output-dir "$T/D" \
    --run-command 'echo out; sleep 0.2; echo err >&2'
printf 'out\nerr\n' | cmp -s - "$T/D/h1.0.txt" || fail "O-OUTPUTDIR h1.0"
one O-OUTPUTDIR 0 --local --targets h1 --output-dir "$T/D" \
    --run-command 'echo out; sleep 0.2; echo err >&2'
[ -f "$T/D/h1.1.txt" ] || fail "O-OUTPUTDIR: no h1.1.txt"

# O-CONC: at most 3 in flight, and 3 reached, from the commands' own times.
: >"$T/ev"
one O-CONC 0 --local --json --concurrency 3 --targets 'h[1-20]' \
    --run-command "echo start \$POGO_HOST \$(date +%s.%N) >>$T/ev; sleep 0.5; echo end \$POGO_HOST \$(date +%s.%N) >>$T/ev"
peak=$(peak_overlap "$T/ev" $(seq -f 'h%g' 1 20))
expect_eq "O-CONC peak overlap" "$peak" 3
tail -n1 "$T/out" | grep -q '"peak_in_flight":3,' || fail "O-CONC summary"

# O-PARALLEL: two runs at once both succeed.
"$POGO" one --local --targets 'p[1-5]' --run-command 'sleep 0.3' \
    >"$T/p1" 2>&1 &
p1=$!
"$POGO" one --local --targets 'q[1-5]' --run-command 'sleep 0.3' \
    >"$T/p2" 2>&1 &
p2=$!
wait $p1 || fail "O-PARALLEL first run"
wait $p2 || fail "O-PARALLEL second run"

# W-008: two lines of output, in order.
one W-008 0 --local --json --targets h1 --run-command 'echo foo; echo bar'
grep '"event":"output"' "$T/out" | sed 's/.*"data":"\([^"]*\)".*/\1/' |
    tr '\n' ' ' | grep -qx 'foo bar ' || fail "W-008 records"

# J-8: the host timeout stops the command and its children: within 3 s
# of its start (the job's own event times, so a slow start of pogo under
# the sanitizers does not count) the host has failed, and the sleep is
# gone once pogo has returned.
one J-8 1 --local --json --timeout 2 --targets h1 \
    --run-command "sleep 30 & echo \$! >$T/pid; wait"
python3 - "$T/out" <<'PY' || fail "J-8: $(cat "$T/out")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
t = {e["state"]: e["time"] for e in ev if e.get("event") == "host"}
assert t["failed"] - t["running"] <= 3.0, t
fin = [e for e in ev if e.get("event") == "host" and e["state"] == "failed"]
assert fin[0]["message"] == "timed out after 2 seconds", fin
PY
pid=$(cat "$T/pid")
gone() { ! alive "$pid"; }
wait_for 1 "J-8: the sleep to die" gone

# Bounded output: --max-output stops the command.
one max-output 1 --local --json --max-output 1000 --targets h1 \
    --run-command 'yes'
grep -q '"type":"STDERR","data":"== Output exceeded maximum length of 1000 bytes =="' \
    "$T/out" || fail "max-output record"
grep -q '"message":"output exceeded 1000 bytes"' "$T/out" ||
    fail "max-output message"
# A command that cannot be found is a failed host, not a crash.
one no-command 1 --local --targets h1 --run-command 'nonexistent-cmd-x'
grep -qx 'h1: Failed (rc=127)' "$T/out" || fail "127: $(cat "$T/out")"
# The progress line goes to a terminal's stderr, never into piped stdout.
if have script "the progress-line section"; then
	script -qfec "'$POGO' one --local --targets 'h[1-3]' --run-command 'sleep 0.5' >$T/piped" \
	    "$T/typescript" >/dev/null 2>&1 </dev/null || fail "script run"
	grep -q 'done, .* running, .* waiting, .* failed\]' "$T/typescript" ||
	    fail "no progress line on the terminal"
	grep -q 'running,' "$T/piped" && fail "progress in piped stdout"
	expect_eq "piped lines" "$(wc -l <"$T/piped")" 6
fi
echo "PASS $E2E_NAME"
