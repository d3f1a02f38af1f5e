#!/bin/sh
# Running, stopping and finishing commands with --local, and pogo one's own
# signals (issue 7 section 2): a daemon left behind does not hold its host;
# a second SIGINT leaves nothing of a command that ignores SIGTERM; SIGHUP
# halts and reports like SIGTERM; Ctrl-C at the Password: prompt gives the
# terminal its echo back.
. "$(dirname "$0")/lib.sh"
e2e_init
cd "$T" || exit 1

# group_left PGID: the processes still in process group PGID.
group_left() {
	ps -o pid=,stat=,args= -g "$1" 2>/dev/null | awk '$2 !~ /^Z/'
}

# A daemon started in the background keeps the output open: the host is
# finished one second after the exit (the linger of pogo-one(1)), Success,
# and the daemon lives on.
"$POGO" one --local --json --timeout 30 --targets h1 \
    --run-command 'echo pgid=$$; sleep 1020001 & echo started' \
    >"$T/out" 2>"$T/err"
rc=$?
g=$(sed -n 's/.*"data":"pgid=\([0-9]*\)".*/\1/p' "$T/out")
[ -n "$g" ] || fail "no group in the output: $(cat "$T/out" "$T/err")"
left=$(group_left "$g" | awk '{ print $1 }')
for p in $left; do
	kill "$p"
done
expect_eq "daemon exit" $rc 0
grep -q '"host":"h1","state":"finished","message":"ok"' "$T/out" ||
    fail "daemon: $(cat "$T/out")"
[ -n "$left" ] || fail "the daemon did not survive"
# From the last output record to the end: the linger, not the timeout.
ms=$(grep -E '"data":"started"|"state":"finished"' "$T/out" |
    sed 's/.*"time":\([0-9.]*\).*/\1/' |
    awk 'NR == 1 { a = $1 } NR == 2 { printf "%d\n", ($1 - a) * 1000 }')
[ -n "$ms" ] && [ "$ms" -ge 900 ] && [ "$ms" -le 1800 ] ||
    fail "the daemon's host ended $ms ms after its last output"

# Two SIGINTs: the command's shell dies of TERM, its child ignores TERM
# and gets KILL after the grace; nothing is left of the group.
"$POGO" one --local --show-output --targets h1 \
    --run-command 'echo pgid=$$; (trap "" TERM; sleep 1020002; :) & wait' \
    >"$T/out" 2>"$T/err" &
pid=$!
E2E_PIDS="$E2E_PIDS $pid"
i=0
until pgrep -x -f 'sleep 1020002' >/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "the command did not start"
	sleep 0.1
done
g=$(ps -o pgid= -p "$(pgrep -x -f 'sleep 1020002' | head -n1)" | tr -d ' ')
kill -INT $pid
sleep 0.2
kill -INT $pid
i=0
while kill -0 $pid 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 200 ] || fail "pogo one did not exit after two SIGINTs"
	sleep 0.1
done
wait $pid
expect_eq "second SIGINT exit" $? 1
grep -qx 'h1: Failed (killed)' "$T/out" || fail "killed: $(cat "$T/out")"
i=0
while [ -n "$(group_left "$g")" ]; do
	i=$((i + 1))
	if [ $i -ge 50 ]; then
		left=$(group_left "$g")
		for p in $(echo "$left" | awk '{ print $1 }'); do
			kill -9 "$p"
		done
		fail "left after two SIGINTs: $left"
	fi
	sleep 0.1
done

# SIGHUP (a closed terminal) halts and reports, like SIGTERM.
printf 'tag: {g: ["h[1-4]"]}\nconstraint: {$g: {max_parallel: 2}}\n' >"$T/g.yaml"
"$POGO" one --local --config "$T/g.yaml" --targets 'h[1-4]' \
    --run-command 'sleep 1' >"$T/out" 2>"$T/err" &
pid=$!
E2E_PIDS="$E2E_PIDS $pid"
i=0
until [ "$(pgrep -P $pid | wc -l)" -ge 2 ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "the first hosts did not start"
	sleep 0.05
done
kill -HUP $pid
wait $pid
rc=$?
expect_eq "SIGHUP exit" $rc 1
expect_eq "SIGHUP: running hosts finish" "$(grep -c ': Success$' "$T/out")" 2
expect_eq "SIGHUP: the others halt" "$(grep -c ': Halted$' "$T/out")" 2
grep -q '^4 hosts: 2 ok, 0 failed, 0 unreachable, 2 halted in ' "$T/err" ||
    fail "SIGHUP summary: $(cat "$T/err")"

# Ctrl-C at the Password: prompt: pogo dies of SIGINT and the terminal has
# its echo back.  A pty from python3: pogo's controlling terminal.
command -v python3 >/dev/null || skip "no python3 (apt-get install python3)"
python3 - "$POGO" >"$T/pty.log" 2>&1 <<'EOF' || fail "password prompt: $(cat "$T/pty.log")"
import fcntl, os, select, signal, subprocess, sys, termios, time

def wait_for(fd, text, limit):
    buf, end = b"", time.time() + limit
    while text not in buf:
        left = end - time.time()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            sys.exit("no %r in %r" % (text, buf))
        buf += os.read(fd, 1024)

def pogo(keys, reprompt=False):
    master, slave = os.openpty()
    def child():
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    p = subprocess.Popen([sys.argv[1], "one", "-p", "--port", "1",
                          "--targets", "127.0.0.1", "--run-command", "true"],
                         stdin=slave, stdout=slave, stderr=slave,
                         preexec_fn=child)
    wait_for(master, b"Password: ", 10)
    if reprompt:
        # Ctrl-Z: pogo (a session leader here, so not stopped) asks again.
        os.write(master, b"\x1a")
        wait_for(master, b"Password: ", 10)
    os.write(master, keys)
    out, end = b"", time.time() + 10
    while p.poll() is None and time.time() < end:
        # Drain the terminal: pogo writes its lines there.
        if select.select([master], [], [], 0.1)[0]:
            try:
                out += os.read(master, 4096)
            except OSError:
                pass
    if p.poll() is None:
        p.kill()
        sys.exit("pogo did not end after %r: %r" % (keys, out))
    rc = p.returncode
    echo = termios.tcgetattr(slave)[3] & termios.ECHO
    os.close(master)
    os.close(slave)
    return rc, echo

rc, echo = pogo(b"\x03")
if rc != -signal.SIGINT:
    sys.exit("Ctrl-C: exit %d, not death by SIGINT" % rc)
if not echo:
    sys.exit("Ctrl-C at the prompt left the terminal with echo off")
# An answered prompt still works (the host is then unreachable).
rc, echo = pogo(b"secret\n")
if rc != 1 or not echo:
    sys.exit("answered prompt: exit %d, echo %d" % (rc, echo))
# Ctrl-Z at the prompt asks again instead of going on with an empty secret.
rc, echo = pogo(b"secret\n", reprompt=True)
if rc != 1 or not echo:
    sys.exit("prompt after Ctrl-Z: exit %d, echo %d" % (rc, echo))
EOF
echo "PASS $E2E_NAME"
