#!/bin/sh
# Running, stopping and finishing commands over real SSH (SPEC 9.5, 9.10;
# issue 7 section 2): a command that leaves a daemon behind is finished
# promptly after its exit status; a timeout or a second Ctrl-C leaves
# nothing running on the target, even a command that ignores SIGTERM (TERM,
# then KILL after the grace, to the remote process group); a sudo prompt
# without a password fails at once; SIGHUP halts and reports.
. "$(dirname "$0")/lib.sh"
e2e_init
start_sshd
cd "$T" || exit 1

# session_left SID: the processes still in the target session SID.  The
# target is this machine seen through the namespace's sshd, so ps sees it.
session_left() {
	ps -o pid=,args= -s "$1" 2>/dev/null
}

# check_gone SID WHAT: the session must empty within 5 s (a killed
# process may take a moment to be reaped); what is left is killed, by PID,
# and the test fails.
check_gone() {
	i=0
	while [ -n "$(session_left "$1")" ]; do
		i=$((i + 1))
		if [ $i -ge 50 ]; then
			left=$(session_left "$1")
			for p in $(echo "$left" | awk '{ print $1 }'); do
				kill -9 "$p" 2>/dev/null
			done
			fail "$2: still running on the target: $left"
		fi
		sleep 0.1
	done
}

# printed_sid FILE: the session the command printed as "sid=N".
printed_sid() {
	sed -n 's/.*sid= *\([0-9][0-9]*\).*/\1/p' "$1" | head -n1
}

# remote_sid ARGS: the session of the test user's process running exactly
# ARGS, once it has started (up to 10 s).
remote_sid() {
	i=0
	while :; do
		p=$(pgrep -u "$TEST_USER" -x -f "$1" | head -n1)
		[ -z "$p" ] || break
		i=$((i + 1))
		[ $i -lt 100 ] || fail "'$1' did not start: $(cat "$T/out" "$T/err")"
		sleep 0.1
	done
	ps -o sid= -p "$p" | tr -d ' '
}

# A command that ignores SIGTERM: at the timeout it gets TERM, then KILL
# after the grace (10 s), and the result comes when the grace ends.
start=$(date +%s)
pogo_one --show-output --timeout 1 --targets 127.0.1.1 \
    --run-command 'echo sid=$(ps -o sid= -p $$); trap "" TERM; sleep 4020001' \
    >"$T/out" 2>"$T/err"
rc=$?
elapsed=$(($(date +%s) - start))
expect_eq "TERM-proof timeout exit" $rc 1
grep -qx '127.0.1.1: Failed (timed out after 1 seconds)' "$T/out" ||
    fail "TERM-proof timeout: $(cat "$T/out" "$T/err")"
sid=$(printed_sid "$T/out")
[ -n "$sid" ] || fail "no session in the output: $(cat "$T/out")"
check_gone "$sid" "TERM-proof command after the timeout"
# 1 s, then a 10 s grace; the result must not wait for another timer.
[ $elapsed -le 14 ] || fail "the timed-out result took $elapsed s"
grep -q "killpg($sid, 9)" "$T/sshd.log" ||
    fail "no KILL reached the remote process group"

# A second SIGINT kills: nothing may remain on the target.
# Not through in_ns: $! must be pogo itself.
ip netns exec "$E2E_NS" "$POGO" one -l "$TEST_USER" -i "$T/id_ed25519" \
    --port "$SSHD_PORT" --show-output --targets 127.0.1.2 \
    --run-command 'trap "" TERM; sleep 4020002' >"$T/out" 2>"$T/err" &
pid=$!
E2E_PIDS="$E2E_PIDS $pid"
sid=$(remote_sid 'sleep 4020002')
kill -INT $pid
sleep 0.2
kill -INT $pid
start=$(date +%s)
i=0
while kill -0 $pid 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 200 ] || fail "pogo one did not exit after two SIGINTs"
	sleep 0.1
done
wait $pid
expect_eq "second SIGINT exit" $? 1
grep -qx '127.0.1.2: Failed (killed)' "$T/out" ||
    fail "second SIGINT: $(cat "$T/out" "$T/err")"
check_gone "$sid" "TERM-proof command after two SIGINTs"

# A daemon started in the background keeps the channel open; the host is
# finished shortly after the exit status, and the daemon lives on.
start=$(date +%s)
pogo_one --show-output --timeout 30 --targets 127.0.1.3 \
    --run-command 'echo sid=$(ps -o sid= -p $$); sleep 4020003 & echo started' \
    >"$T/out" 2>"$T/err"
rc=$?
elapsed=$(($(date +%s) - start))
sid=$(printed_sid "$T/out")
daemon=$(session_left "$sid" | awk '{ print $1 }')
for p in $daemon; do
	kill "$p"
done
expect_eq "daemon exit" $rc 0
grep -qx '127.0.1.3: Success' "$T/out" || fail "daemon: $(cat "$T/out" "$T/err")"
grep -qx '127.0.1.3: started' "$T/out" || fail "daemon output: $(cat "$T/out")"
[ -n "$daemon" ] || fail "the daemon did not survive"
[ $elapsed -le 4 ] || fail "the daemon's host took $elapsed s"
# W-SUDO without a password: sudo's prompt has no answer, so the host
# fails at once (not at the 30 s timeout) and sudo is gone.
if [ -x /usr/bin/sudo ]; then
	(
		flock 9
		printf '%s ALL=(ALL) ALL\n' "$TEST_USER" \
		    >/etc/sudoers.d/pogo-test
		chmod 440 /etc/sudoers.d/pogo-test
	) 9>/run/pogo-test-user.lock
	start=$(date +%s)
	pogo_one --timeout 30 --run-as root --targets 127.0.2.1 \
	    --run-command 'id -u' >"$T/out" 2>"$T/err"
	rc=$?
	elapsed=$(($(date +%s) - start))
	expect_eq "sudo without a password exit" $rc 1
	grep -qx '127.0.2.1: Failed (authentication failed: a password prompt and no password)' \
	    "$T/out" || fail "sudo without a password: $(cat "$T/out" "$T/err")"
	[ $elapsed -le 5 ] || fail "sudo without a password took $elapsed s"
else
	skip "no /usr/bin/sudo (apt-get install sudo)"
fi

# A stop the target never confirms: the link goes dead once the command
# runs (its packets to sshd are dropped), so neither TERM nor KILL
# arrives.  After the grace and the linger the host fails, and the
# message says the command may still be running (SPEC 9.10).
pogo_one --show-output --timeout 2 --targets 127.0.7.5 \
    --run-command 'echo started; exec sleep 40.4020' >"$T/out" 2>"$T/err" &
pid=$!
i=0
until grep -qx '127.0.7.5: started' "$T/out"; do
	i=$((i + 1))
	[ $i -lt 300 ] || fail "dead link: the command did not start"
	sleep 0.1
done
ns_nft ip daddr 127.0.7.5 tcp dport "$SSHD_PORT" drop
start=$(date +%s)
wait $pid
rc=$?
elapsed=$(($(date +%s) - start))
# The target's sleep is ours: end it by PID (its sshd session, whose
# client went silent, is ended with the namespace).
for p in $(ps -eo pid=,args= | awk '$2 == "sleep" && $3 == "40.4020" { print $1 }'); do
	kill "$p" 2>/dev/null
done
expect_eq "dead link exit" $rc 1
grep -qx '127.0.7.5: Failed (timed out after 2 seconds; the command may still be running)' \
    "$T/out" || fail "dead link: $(cat "$T/out" "$T/err")"
# 2 s, then the 10 s grace and the 1 s linger: not much more.
[ $elapsed -le 25 ] || fail "dead link: pogo took $elapsed s to give up"
echo "PASS $E2E_NAME"
