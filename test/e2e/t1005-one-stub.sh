#!/bin/sh
# The target-side stub (SPEC 9.7, 9.11, 13.10) with pogo one, locally
# (--local) and over SSH: W-STUB-RETRY, W-STUB-LOCK, W-STUB-HOOKS,
# W-STUB-ATTACH, W-DIRECT, and W-SUDO in stub mode.
. "$(dirname "$0")/lib.sh"
e2e_init
cd "$T" || exit 1
LOCK=/tmp/pogo_worker.lock

# The modes this run covers: local always; ssh needs root and sshd.
MODES="local"
[ "$(id -u)" = 0 ] && [ -x /usr/sbin/sshd ] && MODES="local ssh"
case $MODES in *ssh*) SSHD_PASSWORD=yes start_sshd ;; esac

# one MODE ARGS...: pogo one on host h1 (local) or 127.0.3.1 (ssh);
# stdout in $T/out, stderr in $T/err, the exit status in $rc.
one() {
	mode=$1
	shift
	if [ "$mode" = local ]; then
		H=h1
		"$POGO" one --local --targets "$H" "$@" >"$T/out" 2>"$T/err"
	else
		H=127.0.3.1
		pogo_one --targets "$H" "$@" >"$T/out" 2>"$T/err"
	fi
	rc=$?
}

# lines: the output lines of host $H (--show-output), "host: " removed.
lines() {
	sed -n "s/^$H: //p" "$T/out"
}

# The test user owns files the stub over SSH must be able to remove.
own() {
	[ "$1" = ssh ] && chown "$TEST_USER" "$2"
	return 0
}

mkdir -p "$T/hooks/pre.d" "$T/hooks/post.d"
printf '#!/bin/sh\necho A\n' >"$T/hooks/pre.d/10-a"
printf '#!/bin/sh\necho B\n' >"$T/hooks/pre.d/20-b"
printf '#!/bin/sh\necho HIDDEN\n' >"$T/hooks/pre.d/.hidden"
printf '#!/bin/sh\necho C\n' >"$T/hooks/pre.d/30-c"
printf '#!/bin/sh\necho "post $POGO_HOST"\n' >"$T/hooks/post.d/1-p"
chmod 755 "$T/hooks/pre.d/10-a" "$T/hooks/pre.d/20-b" \
    "$T/hooks/pre.d/.hidden" "$T/hooks/post.d/1-p"
chmod 644 "$T/hooks/pre.d/30-c"
printf 'echo "$0"\n' >"$T/s.sh"

# --file refuses what SPEC 5.1 refuses: names outside [A-Za-z0-9_.-],
# NUL bytes, more than 1 MiB; and goes without --run-command.
printf 'true\n' >"$T/bad name"
"$POGO" one --local --targets h1 --file "$T/bad name" >"$T/out" 2>"$T/err"
expect_eq "--file bad name" $? 2
printf 'a\000b\n' >"$T/nul.sh"
"$POGO" one --local --targets h1 --file "$T/nul.sh" >"$T/out" 2>"$T/err"
expect_eq "--file NUL" $? 2
grep -q 'not a text file' "$T/err" || fail "--file NUL: $(cat "$T/err")"
head -c 1048577 /dev/zero | tr '\0' x >"$T/big.sh"
"$POGO" one --local --targets h1 --file "$T/big.sh" >"$T/out" 2>"$T/err"
expect_eq "--file too big" $? 2
"$POGO" one --local --targets h1 --file "$T/missing.sh" >"$T/out" 2>"$T/err"
expect_eq "--file missing" $? 2

for m in $MODES; do
	rm -f "$LOCK"

	# W-DIRECT: no stub feature, no stub line.
	one "$m" --show-output --run-command 'echo plain'
	expect_eq "W-DIRECT $m exit" "$rc" 0
	lines | grep -q '^plain$' || fail "W-DIRECT $m: $(cat "$T/out")"
	lines | grep -q '^pogo-worker:' && fail "W-DIRECT $m: a stub line"

	# W-STUB-RETRY: exactly these lines, two pauses of 5 s.
	start=$(date +%s)
	one "$m" --show-output --retry 2 --run-command 'exit 3'
	end=$(date +%s)
	expect_eq "W-STUB-RETRY $m exit" "$rc" 1
	lines >"$T/got"
	cat >"$T/want" <<-'EOF'
	Running target

	pogo-worker: loaded; retry=2, timeout=600
	pogo-worker: command='exit 3'
	pogo-worker: running command 'exit 3'
	WARNING: pogo-worker: command exited 3
	WARNING: pogo-worker: command exited 3, retry 1 of 2
	WARNING: pogo-worker: command exited 3, retry 2 of 2
	ERROR: pogo-worker died: command exited 3
	Failed (rc=3)
	EOF
	cmp -s "$T/want" "$T/got" ||
	    fail "W-STUB-RETRY $m: $(diff "$T/want" "$T/got")"
	[ $((end - start)) -ge 10 ] ||
	    fail "W-STUB-RETRY $m: took $((end - start)) s"
	one "$m" --json --retry 2 --run-command 'exit 3'
	grep -q '"state":"failed","message":"exited with status 3","exitstatus":3' \
	    "$T/out" || fail "W-STUB-RETRY $m: $(cat "$T/out")"

	# W-STUB-LOCK: a second locked job bails out while the first runs.
	if [ "$m" = local ]; then
		"$POGO" one --local --targets h1 --lock \
		    --run-command 'sleep 5' >"$T/first" 2>&1 &
	else
		pogo_one --targets 127.0.3.2 --lock \
		    --run-command 'sleep 5' >"$T/first" 2>&1 &
	fi
	first=$!
	E2E_PIDS="$E2E_PIDS $first"
	wait_for 10 "the first lock" test -s "$LOCK"
	holder=$(cat "$LOCK")
	one "$m" --json --lock --run-command 'echo never'
	expect_eq "W-STUB-LOCK $m exit" "$rc" 1
	grep -q "\"state\":\"failed\",\"message\":\"another pogo-worker is running (pid $holder), bailing out\",\"exitstatus\":254" \
	    "$T/out" || fail "W-STUB-LOCK $m: $(cat "$T/out")"
	grep -q '"data":"never"' "$T/out" && fail "W-STUB-LOCK $m: it ran"
	wait "$first" || fail "W-STUB-LOCK $m: the first job: $(cat "$T/first")"
	[ -e "$LOCK" ] && fail "W-STUB-LOCK $m: the lock is left"
	# A stale lock naming a dead process.
	sh -c 'exit 0' &
	dead=$!
	wait "$dead"
	echo "$dead" >"$LOCK"
	own "$m" "$LOCK"
	one "$m" --show-output --lock --run-command 'echo locked'
	expect_eq "W-STUB-LOCK stale $m exit" "$rc" 0
	lines | grep -qx 'pogo-worker: cleaning up stale lockfile' ||
	    fail "W-STUB-LOCK stale $m: $(cat "$T/out")"
	lines | grep -qx 'locked' || fail "W-STUB-LOCK stale $m: no output"
	[ -e "$LOCK" ] && fail "W-STUB-LOCK stale $m: the lock is left"

	# W-STUB-HOOKS: order, no hidden or non-executable hook, post-hooks.
	one "$m" --show-output --prehook --posthook --hook-dir "$T/hooks" \
	    --run-command 'echo CMD'
	expect_eq "W-STUB-HOOKS $m exit" "$rc" 0
	lines | grep -v '^pogo-worker: \(loaded\|command=\)' |
	    grep -v '^$' >"$T/got"
	cat >"$T/want" <<-EOF
	Running target
	pogo-worker: running hook '$T/hooks/pre.d/10-a'
	A
	pogo-worker: running hook '$T/hooks/pre.d/20-b'
	B
	pogo-worker: running command 'echo CMD'
	CMD
	pogo-worker: command exit 0
	pogo-worker: running hook '$T/hooks/post.d/1-p'
	post $H
	Success
	EOF
	cmp -s "$T/want" "$T/got" ||
	    fail "W-STUB-HOOKS $m: $(diff "$T/want" "$T/got")"
	printf '#!/bin/sh\nexit 4\n' >"$T/hooks/pre.d/20-b"
	one "$m" --json --prehook --hook-dir "$T/hooks" --run-command 'echo CMD'
	expect_eq "W-STUB-HOOKS fail $m exit" "$rc" 1
	grep -q "\"state\":\"failed\",\"message\":\"hook '$T/hooks/pre.d/20-b' exited 4, bailing out\",\"exitstatus\":254" \
	    "$T/out" || fail "W-STUB-HOOKS fail $m: $(cat "$T/out")"
	printf '#!/bin/sh\necho B\n' >"$T/hooks/pre.d/20-b"

	# W-STUB-ATTACH: $0 is /tmp/pogo_s.sh_<16 hex>, removed afterwards.
	one "$m" --show-output --file "$T/s.sh"
	expect_eq "W-STUB-ATTACH $m exit" "$rc" 0
	lines | grep -qx "pogo-worker: command='Attached file: s.sh'" ||
	    fail "W-STUB-ATTACH $m: $(cat "$T/out")"
	path=$(lines | grep -x '/tmp/pogo_s\.sh_[0-9a-f]\{16\}') ||
	    fail "W-STUB-ATTACH $m: no path: $(cat "$T/out")"
	[ -e "$path" ] && fail "W-STUB-ATTACH $m: $path is left"

	# A timeout kills the attempt and what it started.
	start=$(date +%s)
	one "$m" --json --retry 1 --timeout 1 \
	    --run-command 'sleep 1004 & echo $! >'"$T/bg.$m"'; wait'
	end=$(date +%s)
	grep -q '"state":"failed","message":"timed out after 1 seconds"' \
	    "$T/out" || fail "stub timeout $m: $(cat "$T/out")"
	# The stub's watchdog acts after 1 s; the worker's whole-run limit
	# would take (1 + 1) * (1 + 5) + 30 = 42 s.  The margin is for load.
	[ $((end - start)) -lt 20 ] || fail "stub timeout $m: $((end - start)) s"
	bg=$(cat "$T/bg.$m")
	i=0
	while alive "$bg" && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	alive "$bg" && fail "stub timeout $m: the background sleep lives"
done

# W-SUDO in stub mode: sudo prompts before the stub is sent.
if echo "$MODES" | grep -q ssh && have sudo "W-SUDO in stub mode"; then
	(
		flock 9
		printf '%s ALL=(ALL) ALL\n' "$TEST_USER" \
		    >/etc/sudoers.d/pogo-test
		chmod 440 /etc/sudoers.d/pogo-test
	) 9>/run/pogo-test-user.lock
	printf '%s\n' "$TEST_PASSWORD" | in_ns "$POGO" one --password \
	    -l "$TEST_USER" --port "$SSHD_PORT" --json --run-as root \
	    --retry 1 --targets 127.0.3.5 --run-command 'id -u' \
	    >"$T/out" 2>"$T/err" || fail "W-SUDO stub: $(cat "$T/out" "$T/err")"
	grep -q "\"data\":\"\[sudo\] password for $TEST_USER: *(supplied by pogo)\"" \
	    "$T/out" || fail "W-SUDO stub: no supplied prompt: $(cat "$T/out")"
	grep -q '"data":"pogo-worker: loaded; retry=1, timeout=600"' "$T/out" ||
	    fail "W-SUDO stub: no stub: $(cat "$T/out")"
	grep -q '"data":"0"' "$T/out" || fail "W-SUDO stub: not root"
	grep -q 'POGO-READY' "$T/out" && fail "W-SUDO stub: the marker shows"
	grep -q 'pogo_stub' "$T/out" && fail "W-SUDO stub: the stub echoed"
	grep -q '"state":"finished","message":"ok","exitstatus":0' "$T/out" ||
	    fail "W-SUDO stub: not finished"
	printf 'not-the-password\n' | in_ns "$POGO" one --password \
	    -l "$TEST_USER" -i "$T/id_ed25519" --port "$SSHD_PORT" --json \
	    --run-as root --retry 1 --targets 127.0.3.6 --run-command 'id -u' \
	    >"$T/out" 2>"$T/err"
	expect_eq "W-SUDO stub wrong password exit" $? 1
	grep -q '"data":"Sorry, try again."' "$T/out" ||
	    fail "W-SUDO stub: no Sorry line: $(cat "$T/out")"
	grep -q '"state":"failed","message":"authentication failed"' \
	    "$T/out" || fail "W-SUDO stub wrong password: not an auth failure"
fi
echo "PASS $E2E_NAME ($MODES)"
