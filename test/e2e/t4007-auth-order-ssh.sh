#!/bin/sh
# The order of authentication requests as the server sees them (issue 8:
# a session as cheap for sshd as OpenSSH's): pogo asks the "none" method
# last, not first, since any failure names the server's methods, and
# standard input's EOF reaches the command (sent with the exec request).
# Read from the sshd's own DEBUG log, one run at a time.
. "$(dirname "$0")/lib.sh"
e2e_init
start_sshd
cd "$T" || exit 1

# methods_since OFFSET: the methods of the userauth requests the sshd
# logged after byte OFFSET of its log, one per line, in order.
methods_since() {
	tail -c +$(($1 + 1)) "$T/sshd.log" |
	    sed -n 's/.*userauth-request for user [^ ]* service [^ ]* method \([^ ]*\).*/\1/p'
}

# has_requests OFFSET: the sshd logged a request after OFFSET.
has_requests() { [ -n "$(methods_since "$1")" ]; }
# last_is_none OFFSET: the last request logged after OFFSET was none.
last_is_none() { [ "$(methods_since "$1" | tail -n1)" = none ]; }

# A key the server knows: one request, publickey; no "none" at all.  The
# command reads its standard input to the end: EOF came.
off=$(wc -c <"$T/sshd.log")
pogo_one --targets 127.0.1.1 --timeout 20 --json \
    --run-command 'cat; echo stdin-ended' >"$T/out" 2>"$T/err" ||
    fail "key login: $(cat "$T/out" "$T/err")"
grep -q '"data":"stdin-ended"' "$T/out" || fail "stdin: $(cat "$T/out")"
wait_for 10 "the key login's request in the log" has_requests "$off"
expect_eq "key login: requests" "$(methods_since "$off" | paste -sd' ')" \
    "publickey"

# A key the server does not know, no agent: publickey, then none, last;
# -v names the methods the server offered, from publickey's failure.
ssh-keygen -q -t ed25519 -N '' -f "$T/stranger" </dev/null
off=$(wc -c <"$T/sshd.log")
in_ns env -u SSH_AUTH_SOCK "$POGO" one -v -l "$TEST_USER" -i "$T/stranger" \
    --port "$SSHD_PORT" --targets 127.0.1.2 --run-command true \
    >"$T/out" 2>"$T/err"
expect_eq "stranger exit" $? 1
grep -qx '127.0.1.2: Failed (authentication failed)' "$T/out" ||
    fail "stranger: $(cat "$T/out")"
wait_for 10 "the stranger's none request in the log" last_is_none "$off"
expect_eq "stranger: requests" "$(methods_since "$off" | paste -sd' ')" \
    "publickey none"
grep -q 'host=127.0.1.2: the server offers publickey' "$T/err" ||
    fail "stranger -v: $(cat "$T/err")"
grep -q 'tried: publickey .*stranger' "$T/err" ||
    fail "stranger tried: $(cat "$T/err")"

# An agent that holds no key refuses in libssh, before anything is sent:
# that is no list from the server (review12 1), so the identity file
# goes next and none is never asked.
command -v ssh-agent >/dev/null || skip "no ssh-agent"
eval "$(ssh-agent -a "$T/agent.sock" -s)" >/dev/null
E2E_PIDS="$E2E_PIDS $SSH_AGENT_PID"
off=$(wc -c <"$T/sshd.log")
in_ns env SSH_AUTH_SOCK="$T/agent.sock" "$POGO" one -v -l "$TEST_USER" \
    -i "$T/id_ed25519" --port "$SSHD_PORT" --targets 127.0.1.4 \
    --run-command true >"$T/out" 2>"$T/err" ||
    fail "empty agent: $(cat "$T/out" "$T/err")"
wait_for 10 "the empty agent's request in the log" has_requests "$off"
expect_eq "empty agent: requests" "$(methods_since "$off" | paste -sd' ')" \
    "publickey"
grep -q 'offers no method' "$T/err" && fail "empty agent -v: $(cat "$T/err")"

# A password and no key, against a server without password logins: the
# password is never sent (SPEC 9.4: only methods the server offers), so
# none goes first when there is no key to try (review12 4).
mkdir -p "$T/empty-home"
off=$(wc -c <"$T/sshd.log")
printf '%s\n' "$TEST_PASSWORD" | in_ns env -u SSH_AUTH_SOCK \
    HOME="$T/empty-home" "$POGO" one --password -l "$TEST_USER" \
    --port "$SSHD_PORT" --targets 127.0.1.5 --run-command true \
    >"$T/out" 2>"$T/err"
expect_eq "password exit" $? 1
grep -qx '127.0.1.5: Failed (authentication failed)' "$T/out" ||
    fail "password: $(cat "$T/out" "$T/err")"
wait_for 10 "the password run's request in the log" has_requests "$off"
expect_eq "password: requests" "$(methods_since "$off" | paste -sd' ')" \
    "none"

# Nothing to offer (no key, no agent, no password): none alone.
off=$(wc -c <"$T/sshd.log")
in_ns env -u SSH_AUTH_SOCK HOME="$T/empty-home" "$POGO" one \
    -l "$TEST_USER" --port "$SSHD_PORT" --targets 127.0.1.3 \
    --run-command true >"$T/out" 2>"$T/err"
expect_eq "nothing exit" $? 1
grep -qx '127.0.1.3: Failed (authentication failed)' "$T/out" ||
    fail "nothing: $(cat "$T/out" "$T/err")"
wait_for 10 "the none request in the log" has_requests "$off"
expect_eq "nothing: requests" "$(methods_since "$off" | paste -sd' ')" \
    "none"
echo "PASS $E2E_NAME"
