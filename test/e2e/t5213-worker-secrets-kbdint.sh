#!/bin/sh
# A task's password box on a real `pogo worker` over TLS answers
# keyboard-interactive authentication (SPEC 9.4, 9.6, 10.3; #10): sshd has
# password authentication off and PAM asking "Password:"; the right
# password logs in and the command runs, a box of a wrong one fails with
# "authentication failed".  The fake dispatcher feeds the tasks.
. "$(dirname "$0")/lib.sh"
e2e_init
command -v python3 >/dev/null 2>&1 || skip "no python3"
[ -e /etc/pam.d/sshd ] || skip "no PAM configuration for sshd"
SSHD_PASSWORD=no
SSHD_KBDINT=yes
start_sshd
. "$(dirname "$0")/worker-secrets.sh"
BOX_WRONG=$(printf 'wrong-%s' "$TEST_PASSWORD" | "$TOOL" seal "$CA/w1.crt") ||
    fail "seal"
export KEY_ID BOX_PW BOX_WRONG TEST_USER

scenario secrets-kbdint 1 0 -o tls.cert="$CA/w1.crt" \
    -o tls.key="$CA/w1.key" -o tls.ca_cert="$CA/ca.crt"
# sshd saw keyboard-interactive, never a password method.
grep -q "Accepted keyboard-interactive" "$T/sshd.log" ||
    fail "sshd logged no keyboard-interactive login"
grep -q "Accepted password" "$T/sshd.log" && fail "a password login"
grep -F -- "$TEST_PASSWORD" "$T/worker-secrets-kbdint.log" \
    "$T/fake-secrets-kbdint.log" &&
    fail "the password is in a log"
echo "PASS $E2E_NAME"
