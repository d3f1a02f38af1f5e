#!/bin/sh
# The executor contract of a remote peer (issue 9): the SSH executor takes
# a task's ssh_user and ssh_port (SPEC 8.3 task_data) over its own -l and
# --port, and the result carries the signal, the record count and the
# start time.  exec-probe (test/e2e/exec-probe.c) sets the task fields,
# which pogo one does not.
. "$(dirname "$0")/lib.sh"
e2e_init
start_sshd
cd "$T" || exit 1
PROBE=$(dirname "$POGO")/exec-probe
[ -x "$PROBE" ] || fail "no $PROBE"
# A port nothing listens on inside the namespace.
closed=$(e2e_port 3)

# The task's user and port win over the executor's (a user that does not
# exist, a closed port); the command ends on a signal.
in_ns "$PROBE" -l nosuchuser -p "$closed" -u "$TEST_USER" \
    -P "$SSHD_PORT" -i "$T/id_ed25519" 127.0.0.1 \
    'id -un; echo err >&2; kill -KILL $$' >"$T/out" 2>"$T/err"
expect_eq "probe exit" $? 0
printf '%s\n' started "output STDOUT $TEST_USER" "output STDERR err" \
    "done failed 137 9 2 1 exited with status 137" >"$T/want"
cmp -s "$T/out" "$T/want" || fail "task fields: $(cat "$T/out" "$T/err")"

# Without them, the executor's own -l and --port.
in_ns "$PROBE" -l "$TEST_USER" -p "$SSHD_PORT" -i "$T/id_ed25519" \
    127.0.0.1 'id -un' >"$T/out" 2>"$T/err"
printf '%s\n' started "output STDOUT $TEST_USER" \
    "done finished 0 0 1 1 ok" >"$T/want"
cmp -s "$T/out" "$T/want" || fail "executor's fields: $(cat "$T/out" "$T/err")"

# The task's user wins over a good -l: authentication fails, nothing ran.
in_ns "$PROBE" -l "$TEST_USER" -p "$SSHD_PORT" -u nosuchuser \
    -i "$T/id_ed25519" 127.0.0.1 'id -un' >"$T/out" 2>"$T/err"
grep -q '^done failed -1 0 0 0 ' "$T/out" ||
    fail "task user nosuchuser: $(cat "$T/out" "$T/err")"
grep -q '^started' "$T/out" && fail "task user nosuchuser: started"
echo "PASS $E2E_NAME"
