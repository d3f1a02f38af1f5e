#!/bin/sh
# Password authentication and prompts on a PTY: W-029, W-AUTHFAIL (a wrong
# password), O-README with --password, W-STREAMS under a PTY, W-REDACT,
# W-SUDO (SPEC 9.4-9.6, 13.6, 13.10).
. "$(dirname "$0")/lib.sh"
e2e_init
SSHD_PASSWORD=yes
start_sshd
cd "$T" || exit 1

# pw_one PASSWORD ARGS...: pogo one --password, the password on stdin,
# no identity (so only the password can work).
pw_one() {
	pw=$1
	shift
	printf '%s\n' "$pw" | in_ns "$POGO" one --password -l "$TEST_USER" \
	    --port "$SSHD_PORT" "$@"
}

# W-029: password authentication, output in order.
pw_one "$TEST_PASSWORD" --json --targets 127.0.1.1 \
    --run-command 'echo foo; echo bar' >"$T/out" 2>"$T/err" ||
    fail "W-029: $(cat "$T/err")"
grep '"event":"output"' "$T/out" | sed 's/.*"data":"\([^"]*\)".*/\1/' |
    tr '\n' ' ' | grep -qx 'foo bar ' || fail "W-029 output: $(cat "$T/out")"
grep -q '"state":"finished","message":"ok","exitstatus":0' "$T/out" ||
    fail "W-029 state"

# W-AUTHFAIL: a wrong password.
printf 'wrong-password\n' | in_ns "$POGO" one --password -l "$TEST_USER" \
    --port "$SSHD_PORT" --targets 127.0.1.2 --run-command true \
    >"$T/out" 2>"$T/err"
expect_eq "W-AUTHFAIL exit" $? 1
grep -qx '127.0.1.2: Failed (authentication failed)' "$T/out" ||
    fail "W-AUTHFAIL: $(cat "$T/out")"

# O-README with --password: exactly the four lines on stdout.
cat >"$T/ssh_config" <<EOC
Host host*
    HostName 127.0.0.1
    Port $SSHD_PORT
    User $TEST_USER
EOC
printf 'tag:\nsequence: [host3, host2, host1]\n' >"$T/one.cfg"
printf '%s\n' "$TEST_PASSWORD" | in_ns "$POGO" one --password \
    -F "$T/ssh_config" --targets host1,host2 --config "$T/one.cfg" \
    --run-command 'date' >"$T/out" 2>"$T/err" || fail "O-README: $(cat "$T/err")"
printf 'host2: Running target\nhost2: Success\nhost1: Running target\nhost1: Success\n' >"$T/want"
cmp -s "$T/out" "$T/want" || fail "O-README stdout: $(cat "$T/out")"
tail -n1 "$T/err" | grep -Eqx '2 hosts: 2 ok, 0 failed, 0 unreachable in [0-9]+\.[0-9] s' ||
    fail "O-README summary"

# W-STREAMS under a PTY: both streams are STDOUT, no record has a \r.
pw_one "$TEST_PASSWORD" --json --targets 127.0.1.3 \
    --run-command 'echo out; echo err >&2' >"$T/out" 2>"$T/err" ||
    fail "PTY streams: $(cat "$T/out" "$T/err")"
grep -q '"type":"STDERR"' "$T/out" && fail "PTY: a STDERR record"
grep '"event":"output"' "$T/out" | grep -q '\\r' && fail "PTY: a \\r"
grep -q '"data":"err"' "$T/out" || fail "PTY: no err line"

# W-REDACT: the password never reaches the captured output.
pw_one "$TEST_PASSWORD" --json --targets 127.0.1.4 \
    --run-command "echo $TEST_PASSWORD; printf '%s' '$TEST_PASSWORD' | cut -c1-5" \
    >"$T/out" 2>"$T/err" || fail "W-REDACT run"
grep -q "$TEST_PASSWORD" "$T/out" && fail "W-REDACT: the password leaked"
grep -q '"data":"\*\*\*\*\*\*\*\*"' "$T/out" || fail "W-REDACT: no ********"

# W-SUDO: the test user may use sudo with its password.
if have sudo "W-SUDO"; then
	(
		flock 9
		printf '%s ALL=(ALL) ALL\n' "$TEST_USER" \
		    >/etc/sudoers.d/pogo-test
		chmod 440 /etc/sudoers.d/pogo-test
	) 9>/run/pogo-test-user.lock
	pw_one "$TEST_PASSWORD" --json --run-as root --targets 127.0.2.1 \
	    --run-command 'id -u' >"$T/out" 2>"$T/err" ||
	    fail "W-SUDO: $(cat "$T/out" "$T/err")"
	grep -q "\"data\":\"\[sudo\] password for $TEST_USER: *(supplied by pogo)\"" \
	    "$T/out" || fail "W-SUDO: no supplied prompt: $(cat "$T/out")"
	grep -q '"data":"0"' "$T/out" || fail "W-SUDO: not root"
	# A wrong sudo password: "Sorry, try again." ends the task.  The
	# key logs in, the wrong password goes to sudo.
	printf 'not-the-password\n' | in_ns "$POGO" one --password \
	    -l "$TEST_USER" -i "$T/id_ed25519" --port "$SSHD_PORT" --json \
	    --run-as root --targets 127.0.2.2 --run-command 'id -u' \
	    >"$T/out" 2>"$T/err"
	expect_eq "wrong sudo password exit" $? 1
	grep -q '"data":"Sorry, try again."' "$T/out" ||
	    fail "no Sorry line: $(cat "$T/out")"
	grep -q '"state":"failed","message":"authentication failed"' \
	    "$T/out" || fail "wrong sudo password: not an auth failure"
fi
echo "PASS $E2E_NAME"
