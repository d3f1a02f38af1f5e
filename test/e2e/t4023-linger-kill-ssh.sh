#!/bin/sh
# The linger after a command's exit status while a background process of
# it holds its output busy (exec.h), for the local and the SSH executor:
# - with no timeout (--timeout 0) it is still bounded, by 10 s
#   (POGO_EXEC_LINGER_MAX_MS): the host ends with the command's exit
#   status (the background process is left, as with a timeout, t4022);
# - a kill (pogo one's second signal) ends it at once: what is left of
#   the local command's process group is killed, the SSH channel is
#   closed, and the host ends with the command's exit status.
. "$(dirname "$0")/lib.sh"
e2e_init
start_sshd
cd "$T" || exit 1

exited() {
	! kill -0 "$pid" 2>/dev/null
}
has_output() {
	[ -s "$T/out" ]
}

# bounded WHAT CMD...: CMD in the background must end within 40 s (without
# a bound it never does), exit 0 with its host ok.
bounded() {
	what=$1
	shift
	start=$(date +%s)
	"$@" >/dev/null 2>"$T/err" &
	pid=$!
	E2E_PIDS="$E2E_PIDS $pid"
	i=0
	while ! exited && [ $i -lt 400 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	exited || fail "$what: pogo one still runs after 40 s"
	wait "$pid"
	expect_eq "$what: exit" $? 0
	grep -q '1 host: 1 ok, 0 failed' "$T/err" ||
	    fail "$what: $(cat "$T/err")"
	echo "$what: $(($(date +%s) - start)) s"
}

bounded "local, no timeout" "$POGO" one --local --timeout 0 --max-output 0 \
    --targets h1 --run-command 'yes & exit 0'
bounded "ssh, no timeout" pogo_one --timeout 0 --max-output 0 \
    --targets 127.0.4.1 --run-command 'yes & exit 0'

# killed CMD...: CMD (pogo one -v) lingers, its timeout 300 s; once it
# does (its debug line), SIGTERM halts the job, and SIGTERM again (at
# most 5 times, 2 s apart: two signals back to back may arrive as one)
# kills the host, which must end with the command's exit status, 3, its
# background process gone with the channel.  (The local executor's kill
# of a lingering command: unit.exec-local; its linger with `yes` ends on
# the first tick that finds the pipe drained, so it cannot be held here.)
lingering() {
	grep -q ': exited, its output still open: lingering' "$T/err"
}
killed() {
	rm -f "$T/w/ypid"
	"$@" >"$T/out" 2>"$T/err" &
	pid=$!
	E2E_PIDS="$E2E_PIDS $pid"
	wait_for 20 "the linger" lingering
	expect_eq "the process signalled" "$(ps -o comm= -p "$pid")" pogo
	kill -TERM "$pid"
	i=0
	while ! exited; do
		i=$((i + 1))
		[ $i -le 5 ] || fail "pogo one still runs after $i SIGTERMs"
		kill -TERM "$pid" 2>/dev/null
		j=0
		while ! exited && [ $j -lt 40 ]; do
			sleep 0.05
			j=$((j + 1))
		done
	done
	wait "$pid"
	expect_eq "exit" $? 1
	grep -q '1 host: 0 ok, 1 failed' "$T/err" ||
	    fail "summary: $(tail -n 5 "$T/err")"
	grep -q ': Failed (rc=3)$' "$T/out" || fail "result: $(cat "$T/out")"
	ypid=$(cat "$T/w/ypid")
	gone() { ! alive "$ypid"; }
	wait_for 5 "the background process $ypid to die" gone
}

# The SSH command runs as the test user: it writes its pid file there.
mkdir -m 777 "$T/w" || fail "mkdir"
# ip netns exec execs pogo (pogo_one is a function: `&` would fork a shell).
killed ip netns exec "$E2E_NS" "$POGO" one -v -l "$TEST_USER" \
    -i "$T/id_ed25519" --port "$SSHD_PORT" --timeout 300 --max-output 0 \
    --targets 127.0.4.1 --run-command "yes & echo \$! >$T/w/ypid; exit 3"
echo "PASS $E2E_NAME"
