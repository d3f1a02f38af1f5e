#!/bin/sh
# Keyboard-interactive authentication (SPEC 9.4): with password
# authentication off and PAM asking "Password:", --password still logs in;
# a wrong password fails with "authentication failed".
. "$(dirname "$0")/lib.sh"
e2e_init
[ -e /etc/pam.d/sshd ] || skip "no PAM configuration for sshd"
SSHD_KBDINT=yes
start_sshd
cd "$T" || exit 1
printf '%s\n' "$TEST_PASSWORD" | in_ns "$POGO" one --password \
    -l "$TEST_USER" --port "$SSHD_PORT" --targets 127.0.1.1 \
    --run-command 'echo in' >"$T/out" 2>"$T/err" ||
    fail "kbdint: $(cat "$T/out" "$T/err")"
grep -qx '127.0.1.1: Success' "$T/out" || fail "kbdint: $(cat "$T/out")"
printf 'wrong\n' | in_ns "$POGO" one --password -l "$TEST_USER" \
    --port "$SSHD_PORT" --connect-timeout 15 --targets 127.0.1.2 \
    --run-command true >"$T/out" 2>"$T/err"
expect_eq "wrong kbdint exit" $? 1
grep -qx '127.0.1.2: Failed (authentication failed)' "$T/out" ||
    fail "wrong kbdint: $(cat "$T/out")"
echo "PASS $E2E_NAME"
