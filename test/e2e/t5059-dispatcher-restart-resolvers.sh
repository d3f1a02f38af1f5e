#!/bin/sh
# Issue 9: a job whose configuration has an external reference (SPEC
# 2.7) is running when the dispatcher is killed (SIGKILL) and restarted.
# It is reloaded with the hosts its resolver answered at submission,
# stored with the job (SPEC 6.4: its constraint groups do not change
# under it), not by running the resolver again (it answers only once
# here); it goes on running and finishes with its constraint held
# (max_parallel 1 over the resolved hosts, proven from the commands' own
# start and end times).  Its schedule view shows the resolved group.
# After another restart, a retry of the ended job reloads it the same way.
# Was: halted "cannot reload the job: configurations with resolvers are
# not supported by the dispatcher yet".
. "$(dirname "$0")/lib.sh"
e2e_init
. "$POGO_SRC/test/e2e/dispatcher.sh"

mkdir -p "$T/res"
cat >"$T/res/Grp" <<EOS
#!/bin/sh
echo "\$*" >>"$T/resolved"
# One answer: a second run would change the job's group.
[ "\$(wc -l <"$T/resolved")" -eq 1 ] || exit 1
printf 'r1\nr2\nr3\n'
EOS
chmod +x "$T/res/Grp"

WL=127.0.0.1:$(e2e_port 1)
DOPTS="-v -o dispatcher.worker_listen=$WL -o dispatcher.resolver_path=$T/res"
# shellcheck disable=SC2086
start_dispatcher $DOPTS
start_worker w1
nl=$(printf '\n_')
nl=${nl%_}
cfg="tag:${nl}constraint:${nl}  Grp one:${nl}    max_parallel: 1${nl}"
wait_go="i=0; while [ ! -e $T/go ] && [ \$i -lt 1200 ]; do sleep 0.05; i=\$((i + 1)); done"
stamp='$(date +%s.%N)'
submit range='r[1-3]' user=u task_name=local config="$cfg" \
    command="echo \$POGO_HOST start $stamp >>$T/times; $wait_go; echo \$POGO_HOST end $stamp >>$T/times"
expect_eq "submit: $msg" "$rc_field" ok
J=$(jget 'j["jobid"]')
started() { [ "$(grep -c ' start ' "$T/times" 2>/dev/null)" -ge 1 ]; }
wait_for 30 "a command to start" started
expect_eq "resolver runs" "$(cat "$T/resolved")" one

# shellcheck disable=SC2086
restart_dispatcher KILL $DOPTS
grep -q "job $J: reloaded (running)" "$T/dispatcher.log" ||
    fail "not reloaded: $(grep "$J" "$T/dispatcher.log")"
job_is "$J" state running || fail "after the restart: $(cat "$T/body")"
# The schedule view has the group as resolved at submission.
cp_get "/v1/jobs/$J/schedule"
expect_eq "schedule: $(cat "$T/body")" "$code" 200
expect_eq "groups" "$(jget '[(g["limit"], g["count"]) for g in j["response"]["schedule"]["groups"]]')" "[[1, 3]]"
expect_eq "one started before go" "$(grep -c ' start ' "$T/times")" 1
: >"$T/go"
wait_for 60 "the job finished" job_is "$J" state finished
for h in r1 r2 r3; do
	host_is "$J" $h state finished || fail "$h: $(cat "$T/body")"
done
# max_parallel 1: no command started before the one before it ended.
python3 - "$T/times" <<'EOP' || fail "constraint not held: $(cat "$T/times")"
import sys
runs = {}
for line in open(sys.argv[1]):
    host, what, t = line.split()
    runs.setdefault(host, {}).setdefault(what, []).append(float(t))
assert sorted(runs) == ["r1", "r2", "r3"], runs
for h, r in runs.items():
    assert len(r["start"]) == 1 and len(r["end"]) == 1, (h, r)
iv = sorted((r["start"][0], r["end"][0]) for r in runs.values())
for a, b in zip(iv, iv[1:]):
    assert b[0] >= a[1], (a, b)
EOP

# Ended, after another restart: a retry reloads it from the store.
# shellcheck disable=SC2086
restart_dispatcher KILL $DOPTS
cp_post "/v1/jobs/$J" -d command=jobretry -d host=r2
expect_eq "jobretry status: $(cat "$T/body")" "$code" 200
grep -q "job $J: reloaded from the store (finished)" "$T/dispatcher.log" ||
    fail "no reload for the retry: $(grep "$J" "$T/dispatcher.log")"
wait_for 30 "r2 ran again" host_is "$J" r2 runs 2
wait_for 30 "the job finished again" job_is "$J" state finished
expect_eq "resolver runs" "$(wc -l <"$T/resolved")" 1

kill -s TERM "$WPID"
wait "$WPID"
stop_dispatcher_cleanly
echo "PASS $E2E_NAME"
