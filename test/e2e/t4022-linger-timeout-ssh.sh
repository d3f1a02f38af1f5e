#!/bin/sh
# The linger after an SSH command's exit status (exec.h) is bounded by the
# host timeout: a background process of the command that writes without
# end keeps the output busy, and the host still ends by its timeout, with
# the exit status the command gave (the background process is left).
# The same for the local executor.
. "$(dirname "$0")/lib.sh"
e2e_init
start_sshd
cd "$T" || exit 1

# bounded WHAT CMD...: CMD in the background must end within 60 s (without
# a bound it never does: no --max-output), exit 0 with its host ok.
bounded() {
	what=$1
	shift
	start=$(date +%s)
	"$@" >/dev/null 2>"$T/err" &
	one=$!
	E2E_PIDS="$E2E_PIDS $one"
	i=0
	while kill -0 "$one" 2>/dev/null && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -0 "$one" 2>/dev/null && fail "$what: pogo one still runs after 60 s"
	wait "$one"
	rc=$?
	expect_eq "$what: exit" "$rc" 0
	grep -q '1 host: 1 ok, 0 failed' "$T/err" ||
	    fail "$what: $(cat "$T/err")"
	# The operator is told why the host took its whole timeout.
	grep -q 'output still coming after the exit status: given up at the time limit' \
	    "$T/err" || fail "$what: the bound's end not logged: $(cat "$T/err")"
	echo "$what: $(($(date +%s) - start)) s"
}

# The local executor's linger has the same bound.
bounded local "$POGO" one --local --show-output --timeout 5 --max-output 0 \
    --targets h1 --run-command 'yes & exit 0'
bounded ssh pogo_one --show-output --timeout 5 --max-output 0 \
    --targets 127.0.4.1 --run-command 'yes & exit 0'
echo "PASS $E2E_NAME"
