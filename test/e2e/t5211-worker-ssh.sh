#!/bin/sh
# pogo worker runs ssh tasks (SPEC 8.3, 9.3-9.10) against a real sshd in
# a network namespace, with the user's own ~/.ssh/config (User, Port,
# IdentityFile): output, exit code, a signal, taskkill over SSH; without
# worker.use_local_identity the worker offers none of its keys, not even
# its ssh-agent's (SPEC 9.4, W-LOCALID).
. "$(dirname "$0")/lib.sh"
e2e_init
command -v python3 >/dev/null 2>&1 || skip "no python3"
start_sshd
export T TEST_USER

FAKE=$POGO_SRC/test/e2e/fake-dispatcher.py
PORT=$(e2e_port 1)
mkdir -p "$HOME/.ssh" && chmod 700 "$HOME/.ssh" || fail "mkdir"
cat >"$HOME/.ssh/config" <<EOC
Host *
    IdentityFile $T/id_ed25519
    User $TEST_USER
    Port $SSHD_PORT
EOC

not_alive() {
	! alive "$1"
}

# scenario NAME WORKER_ARGS...: the fake dispatcher's scenario NAME against
# a worker, both in the namespace; the worker then stops cleanly.
scenario() {
	name=$1
	shift
	rm -f "$T/ready" "$T/w.pid"
	ip netns exec "$E2E_NS" python3 "$FAKE" "$name" "$PORT" \
	    "$T/worker.log" "$T/w.pid" "$T/ready" >"$T/fake-$name.log" 2>&1 &
	FAKE_PID=$!
	E2E_PIDS="$E2E_PIDS $FAKE_PID"
	wait_for 10 "the fake dispatcher to listen" test -f "$T/ready"
	ip netns exec "$E2E_NS" "$POGO" worker -f /dev/null -o state_dir="$(mktemp -d "$T/ws.XXXXXX")" \
	    --dispatcher "127.0.0.1:$PORT" -o worker.reconnect_delay=0 \
	    -o worker.name=wtest -o worker.max_tasks=3 \
	    -o pid_file="$T/w.pid" -v "$@" \
	    >"$T/worker.out" 2>"$T/worker.log" &
	WORKER_PID=$!
	E2E_PIDS="$E2E_PIDS $WORKER_PID"
	wait_for 120 "the fake dispatcher ($name)" not_alive "$FAKE_PID"
	wait "$FAKE_PID"
	[ $? -eq 0 ] || fail "scenario $name: $(tail -n 3 "$T/fake-$name.log")"
	alive "$WORKER_PID" || fail "the worker died"
	kill -TERM "$WORKER_PID"
	wait_for 30 "the worker to exit" not_alive "$WORKER_PID"
	wait "$WORKER_PID"
	expect_eq "worker exit status ($name)" "$?" 0
	grep -q "loop not closed cleanly" "$T/worker.log" &&
	    fail "the worker left a handle open"
	cp "$T/worker.log" "$T/worker-$name.log"
}

# Without use_local_identity, no key of the worker's is offered (9.4).
scenario ssh-nokeys
# With it, the ssh_config's key logs in.
scenario ssh -o worker.use_local_identity=true

# W-LOCALID with the worker's ssh-agent, which alone holds the key: not
# lent without use_local_identity, used with it.
if command -v ssh-agent >/dev/null; then
	eval "$(ssh-agent -a "$T/agent.sock" -s)" >/dev/null
	E2E_PIDS="$E2E_PIDS $SSH_AGENT_PID"
	ssh-add -q "$T/id_ed25519" 2>/dev/null || fail "ssh-add"
	cat >"$HOME/.ssh/config" <<EOC
Host *
    User $TEST_USER
    Port $SSHD_PORT
EOC
	scenario ssh-nokeys
	scenario ssh -o worker.use_local_identity=true
	grep -q "trying the agent's keys" "$T/worker.log" ||
	    fail "the agent was not used"
fi

echo "PASS $E2E_NAME"
