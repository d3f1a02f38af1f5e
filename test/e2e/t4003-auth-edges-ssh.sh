#!/bin/sh
# W-LOCALID for pogo one (an ssh-agent holds the key, no -i, no password),
# a server that closes the connection before authentication, an identity
# file that cannot be read or is not a key, and the file-descriptor check
# of --concurrency.
. "$(dirname "$0")/lib.sh"
e2e_init
start_sshd
cd "$T" || exit 1

# The agent: the key is only there, not in ~/.ssh.
command -v ssh-agent >/dev/null || skip "no ssh-agent"
eval "$(ssh-agent -a "$T/agent.sock" -s)" >/dev/null
E2E_PIDS="$E2E_PIDS $SSH_AGENT_PID"
ssh-add -q "$T/id_ed25519" 2>/dev/null || fail "ssh-add"
in_ns env SSH_AUTH_SOCK="$T/agent.sock" "$POGO" one -l "$TEST_USER" \
    --port "$SSHD_PORT" --targets 127.0.1.1 --run-command true \
    >"$T/out" 2>"$T/err" || fail "agent: $(cat "$T/out" "$T/err")"
grep -qx '127.0.1.1: Success' "$T/out" || fail "agent: $(cat "$T/out")"
# Without the agent and without keys: authentication fails.
in_ns env -u SSH_AUTH_SOCK "$POGO" one -l "$TEST_USER" \
    --port "$SSHD_PORT" --targets 127.0.1.1 --run-command true \
    >"$T/out" 2>"$T/err"
expect_eq "no key exit" $? 1
grep -qx '127.0.1.1: Failed (authentication failed)' "$T/out" ||
    fail "no key: $(cat "$T/out")"

# A server that accepts and closes at once.
if command -v nc >/dev/null; then
	port2=$(e2e_port 1)
	# One connection, closed as soon as it is accepted; not through
	# in_ns, so that $! is the listener itself.
	ip netns exec "$E2E_NS" nc -l -q 0 127.0.0.1 "$port2" </dev/null \
	    >/dev/null 2>&1 &
	E2E_PIDS="$E2E_PIDS $!"
	sleep 0.3
	in_ns "$POGO" one -l "$TEST_USER" -i "$T/id_ed25519" --port "$port2" \
	    --connect-timeout 3 --targets 127.0.0.1 --run-command true \
	    >"$T/out" 2>&1
	grep -Eqx '127.0.0.1: (Unreachable \(cannot connect: connection closed by remote host\)|Failed \(ssh error: .*\))' \
	    "$T/out" || fail "closing server: $(cat "$T/out")"
fi

# An identity file that cannot be read is a usage error, before anything
# runs (issue 7; t4005 has the details).
in_ns "$POGO" one -l "$TEST_USER" -i "$T/nonexistent" -i "$T/id_ed25519" \
    --port "$SSHD_PORT" --targets 127.0.1.2 --run-command true \
    >"$T/out" 2>"$T/err"
expect_eq "bad -i exit" $? 2
grep -q "cannot read identity file $T/nonexistent" "$T/err" ||
    fail "bad -i message: $(cat "$T/err")"
# A file that is not a private key, too.
echo "not a key" >"$T/notakey"
in_ns "$POGO" one -l "$TEST_USER" -i "$T/notakey" </dev/null \
    --port "$SSHD_PORT" --targets 127.0.1.2 --run-command true \
    >"$T/out" 2>"$T/err"
expect_eq "not a key exit" $? 2
[ -s "$T/out" ] && fail "not a key ran: $(cat "$T/out")"
grep -q "cannot load identity file $T/notakey" "$T/err" ||
    fail "not a key message: $(cat "$T/err")"

# Descriptors: a concurrency that cannot fit is refused up front (--local:
# two pipes per task, 500 * 2 + 64 reserved).
(
	ulimit -n 100
	"$POGO" one --local --concurrency 500 --targets a \
	    --run-command true >"$T/out" 2>"$T/err"
	echo $? >"$T/rc"
)
expect_eq "fd limit exit" "$(cat "$T/rc")" 2
grep -q 'needs 1064 file descriptors; the limit is 100' "$T/err" ||
    fail "fd limit message: $(cat "$T/err")"
echo "PASS $E2E_NAME"
