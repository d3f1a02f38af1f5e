#!/bin/sh
# The harness itself: a throwaway sshd answers on several 127.x addresses
# as distinct hosts, the test user logs in with the generated key, and the
# server stops cleanly; a skip is a failure under POGO_TEST_NO_SKIP=1.
. "$(dirname "$0")/lib.sh"
e2e_init

# skip and have, in a child test, with and without POGO_TEST_NO_SKIP=1.
mkdir "$T/e2e"
cp "$POGO_SRC/test/e2e/lib.sh" "$T/e2e/"
cat >"$T/e2e/t0000-skip.sh" <<'EOS'
. "$(dirname "$0")/lib.sh"
e2e_init
case $1 in
skip) skip "on purpose" ;;
have) have no-such-command-x "a section" || echo "section skipped" ;;
esac
echo "PASS $E2E_NAME"
EOS
child() {
	env POGO_TEST_NO_SKIP="$1" TMPDIR="$T" sh "$T/e2e/t0000-skip.sh" "$2" \
	    >"$T/child.out" 2>&1
}
child 0 skip
expect_eq "skip" $? 77
child 1 skip
expect_eq "skip under POGO_TEST_NO_SKIP=1" $? 1
grep -q '^FAIL t0000-skip: cannot run: on purpose' "$T/child.out" ||
    fail "skip message: $(cat "$T/child.out")"
child 0 have
expect_eq "have" $? 0
grep -qx 'section skipped' "$T/child.out" || fail "have: $(cat "$T/child.out")"
child 1 have
expect_eq "have under POGO_TEST_NO_SKIP=1" $? 1
grep -q '^FAIL t0000-skip: no no-such-command-x for a section' \
    "$T/child.out" || fail "have message: $(cat "$T/child.out")"

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
