#!/bin/sh
# The harness itself: a throwaway sshd answers on several 127.x addresses
# as distinct hosts, the test user logs in with the generated key, and the
# server stops cleanly.
. "$(dirname "$0")/lib.sh"
e2e_init
start_sshd

for addr in 127.0.1.1 127.0.2.2 127.3.4.5; do
	out=$(ssh_test "$addr" 'echo "$(id -un) $SSH_CONNECTION"') ||
	    fail "ssh to $addr failed"
	user=${out%% *}
	dialled=$(echo "$out" | awk '{print $4}')
	expect_eq "user at $addr" "$user" "$TEST_USER"
	expect_eq "dialled address" "$dialled" "$addr"
done

# The test user's shell is /bin/sh.
expect_eq "shell" "$(ssh_test 127.0.9.9 'echo $0')" "sh"

stop_sshd
kill -0 "$SSHD_PID" 2>/dev/null && fail "sshd still running"
if ssh_test 127.0.1.1 true 2>/dev/null; then
	fail "ssh still works after stop"
fi
echo "PASS $E2E_NAME"
