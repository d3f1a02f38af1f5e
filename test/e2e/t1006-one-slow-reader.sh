#!/bin/sh
# pogo one with a reader slower than the hosts (issue 7, section 2): the
# results and the output are the same as with a fast reader, locally and
# over SSH, and a reader that holds the output back slows the reading of
# the hosts' output down instead of queueing it all in memory.
. "$(dirname "$0")/lib.sh"
e2e_init
cd "$T" || exit 1
# Under ASan, freed memory waits in a quarantine: keep it small, or the
# resident size below would measure the quarantine.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1
export ASAN_OPTIONS

# slow_run DELAY CMD...: CMD (pogo one) with its stdout read only after
# DELAY seconds, by a reader that opens the FIFO at once; sets rc and
# rss_kb, the largest resident size of CMD seen while the reader slept.
slow_run() {
	delay=$1
	shift
	rm -f "$T/fifo"
	mkfifo "$T/fifo" || fail "mkfifo"
	(exec <"$T/fifo"; sleep "$delay"; touch "$T/reading"; cat >"$T/out") &
	reader=$!
	rm -f "$T/reading"
	"$@" >"$T/fifo" 2>"$T/err" &
	pid=$!
	rss_kb=0
	i=0
	while [ ! -e "$T/reading" ] && [ $i -lt 600 ]; do
		# pogo, or the pogo a shell function started (pogo_one).
		r=0
		for p in $pid $(cat /proc/$pid/task/*/children 2>/dev/null); do
			v=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
			[ -n "$v" ] && [ "$v" -gt "$r" ] && r=$v
		done
		[ "$r" -gt "$rss_kb" ] && rss_kb=$r
		sleep 0.05
		i=$((i + 1))
	done
	wait $pid
	rc=$?
	wait $reader
}

# 8 hosts print 100 KB each (more than a pipe holds) and finish well
# within their 4 s timeout; the reader starts after 7 s.  Every host
# succeeds, nothing is lost.
DOTS=$(printf '%01000d' 0 | tr 0 .)
CMD="i=0; while [ \$i -lt 100 ]; do echo \"\$POGO_HOST line \$i $DOTS\"; i=\$((i + 1)); done"
check_slow() {
	expect_eq "$1 exit" "$rc" 0
	expect_eq "$1 successes" "$(grep -c ': Success$' "$T/out")" 8
	expect_eq "$1 output lines" \
	    "$(grep -c ' line [0-9]* \.\{1000\}$' "$T/out")" 800
	grep -q '8 hosts: 8 ok, 0 failed' "$T/err" || fail "$1: $(cat "$T/err")"
}
slow_run 7 "$POGO" one --local --show-output --timeout 4 \
    --targets 'h[1-8]' --run-command "$CMD"
check_slow slow-local
base_kb=$rss_kb

# Back-pressure: 60 MB of output and a reader that waits 4 s.  pogo holds
# a few MB, not the 60, and every line arrives.
BIG='head -c 60000000 /dev/zero | tr "\0" x | fold -w 99'
check_big() {
	expect_eq "$1 exit" "$rc" 0
	# Every byte (a line may still be cut by the 0.5 s partial-line
	# flush of SPEC 5.8 when the machine is loaded).
	expect_eq "$1 bytes" \
	    "$(grep '^h1: x*$' "$T/out" | cut -c5- | tr -d '\n' | wc -c)" \
	    60000000
	# At most 16 MB over the run with 1.6 MB of output (sanitizer
	# builds are larger): the 4 MiB queue, and libssh's channel buffer.
	echo "$1: pogo at most $rss_kb KB while the reader slept (base $base_kb)"
	[ "$rss_kb" -gt 0 ] && [ "$rss_kb" -lt $((base_kb + 16000)) ] ||
	    fail "$1: pogo grew to $rss_kb KB while the reader slept"
}
slow_run 4 "$POGO" one --local --show-output --max-output 100000000 --timeout 120 --targets h1 \
    --run-command "$BIG"
check_big big-local

# A command held back by a slow reader waits for pogo, it does not hang:
# its timeout stands still while pogo holds the output back.  8 MB (twice
# the 4 MiB queue) with a 5 s timeout and a reader that waits 8 s.
MID='head -c 8000000 /dev/zero | tr "\0" x | fold -w 99'
check_mid() {
	grep -q '1 host: 1 ok, 0 failed' "$T/err" || fail "$1: $(cat "$T/err")"
	expect_eq "$1 exit" "$rc" 0
	expect_eq "$1 bytes" \
	    "$(grep '^h1: x*$' "$T/out" | cut -c5- | tr -d '\n' | wc -c)" \
	    8000000
}
slow_run 8 "$POGO" one --local --show-output --max-output 100000000 --timeout 5 --targets h1 \
    --run-command "$MID"
check_mid paused-timeout-local
# Only the commands whose output is held back wait: a silent hung command
# beside one that floods still times out on time, before the reader reads.
rm -f "$T/h2.term"
slow_run 8 "$POGO" one --local --show-output --max-output 100000000 \
    --timeout 3 --targets 'h[1-2]' --run-command "if [ \$POGO_HOST = h1 ]; then
	$MID; else trap 'touch $T/h2.term; exit 1' TERM; sleep 30 & wait; fi"
[ -e "$T/h2.term" ] && [ "$T/h2.term" -ot "$T/reading" ] ||
    fail "paused-timeout-silent: the silent host was not stopped on time"
grep -q '2 hosts: 1 ok, 1 failed' "$T/err" ||
    fail "paused-timeout-silent: $(cat "$T/err")"
grep -qx 'h2: Failed (timed out after 3 seconds)' "$T/out" ||
    fail "paused-timeout-silent: $(grep '^h2' "$T/out")"
grep -qx 'h1: Success' "$T/out" ||
    fail "paused-timeout-silent: $(grep '^h1: [^x]' "$T/out")"

# On a terminal, a host cannot forge lines with \r or escape sequences:
# --show-output shows control bytes escaped (stdout a pty, under python3).
command -v python3 >/dev/null || fail "the terminal test needs python3"
cat >"$T/ptyrun.py" <<'EOP'
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        b = os.read(fd, 65536)
    except OSError:
        break
    if not b:
        break
    out += b
os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
EOP
python3 "$T/ptyrun.py" "$POGO" one --local --show-output --targets h1 \
    --run-command 'printf "ok\r\033[2Kh9: Success\a\n"' >"$T/tty" 2>&1 ||
    fail "pty run"
grep -aqF 'h1: ok\r\033[2Kh9: Success\a' "$T/tty" ||
    fail "tty escapes: $(od -c "$T/tty" | head -20)"
# Not on a pipe: the bytes are kept.
"$POGO" one --local --show-output --targets h1 \
    --run-command 'printf "ok\r\033[2K\n"' >"$T/piped" 2>&1
printf 'h1: ok\r\033[2K\n' >"$T/want"
grep -a '^h1: ok' "$T/piped" | cmp -s - "$T/want" || fail "piped bytes"

# A reader that goes away (`| head`): pogo is not killed by SIGPIPE, every
# host runs to its end and the exit status is the job's.
{
	"$POGO" one --local --show-output --targets 'h[1-3]' \
	    --run-command 'sleep 0.5; seq 1 20000; echo done >"$POGO_HOST.end"' \
	    2>"$T/epipe.err"
	echo $? >"$T/epipe.rc"
} | head -c 10 >/dev/null
[ "$(cat "$T/epipe.rc")" = 0 ] ||
    fail "reader gone: exit $(cat "$T/epipe.rc"): $(cat "$T/epipe.err")"
for h in h1 h2 h3; do
	[ -f "$T/$h.end" ] || fail "reader gone: $h did not run to its end"
done

# The same over SSH.
start_sshd
slow_run 7 pogo_one --show-output --timeout 4 \
    --targets '127.0.6.[1-8]' --run-command "$(echo "$CMD" | sed 's/\$POGO_HOST/h/')"
sed -i 's/^127\.0\.6\.\([1-8]\): /h\1: /' "$T/out"
check_slow slow-ssh
base_kb=$rss_kb
slow_run 4 pogo_one --show-output --max-output 100000000 --timeout 120 --targets 127.0.6.1 \
    --run-command "$BIG"
sed -i 's/^127\.0\.6\.1: /h1: /' "$T/out"
check_big big-ssh
slow_run 8 pogo_one --show-output --max-output 100000000 --timeout 5 --targets 127.0.6.1 \
    --run-command "$MID"
sed -i 's/^127\.0\.6\.1: /h1: /' "$T/out"
check_mid paused-timeout-ssh

# pogo's log lines are not lost on a slow stderr (pogo writes its stderr
# through the loop, so the pipe is non-blocking): with -vv, every host's
# "trying publickey" line arrives although stderr is read 4 s late.
# slow_stderr_run: 100 hosts at -vv, stderr read 4 s late into $T/elog;
# the status in rc.
slow_stderr_run() {
	rm -f "$T/efifo"
	mkfifo "$T/efifo" || fail "mkfifo"
	(exec <"$T/efifo"; sleep 4; cat >"$T/elog") &
	reader=$!
	pogo_one -vv --targets '127.0.6.[1-100]' --run-command true \
	    >"$T/out" 2>"$T/efifo"
	rc=$?
	wait $reader
}
slow_stderr_run
expect_eq "slow stderr exit" "$rc" 0
expect_eq "slow stderr log lines" \
    "$(grep -c 'host=127\.0\.6\.[0-9]*: trying publickey' "$T/elog")" 100
grep -q '^100 hosts: 100 ok' "$T/elog" ||
    fail "slow stderr summary: $(tail -3 "$T/elog")"
# Every line whole: the lines logged after the last host ended (while
# stderr still held the earlier ones) are not cut into one of them.
LOGLINE='^[0-9-]*T[0-9:.]*Z one\[[0-9]*\] [EWID] '
check_whole() {
	grep -v "$LOGLINE" "$T/elog" | grep -v '^100 hosts: 100 ok' >"$T/cut"
	[ ! -s "$T/cut" ] ||
	    fail "$1: lines cut: $(head -c 600 "$T/cut")"
}
check_whole slow-stderr

# Likewise for libssh's lines from the setup threads (an ssh_config with
# "Match exec" is read for each host off the loop): they go through the
# loop's stderr too, and are neither cut nor cut into pogo's.
mkdir -p "$HOME/.ssh"
printf 'Match exec true\n\tServerAliveInterval 30\n' >"$HOME/.ssh/config"
slow_stderr_run
rm -f "$HOME/.ssh/config"
expect_eq "slow stderr threads exit" "$rc" 0
grep -q 'read by libssh for each host, on the thread pool' "$T/elog" ||
    fail "slow stderr threads: the setup was not on the thread pool"
expect_eq "slow stderr threads: libssh lines of the setup threads" \
    "$(grep -c 'libssh: ssh_config_parse_line: .*ServerAliveInterval' \
        "$T/elog")" 100
expect_eq "slow stderr threads log lines" \
    "$(grep -c 'host=127\.0\.6\.[0-9]*: trying publickey' "$T/elog")" 100
check_whole slow-stderr-threads

echo "PASS $E2E_NAME"
