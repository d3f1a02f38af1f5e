#!/bin/sh
# pogo one's dispatcher and worker listen on nothing (issue 9, review3
# finding 1): a local user who could reach a loopback control port or
# worker port could submit jobs that run as the pogo one user, or pose as
# a worker.  While a job of pogo one runs, the process holds no listening
# socket at all: neither TCP (/proc/net/tcp, tcp6: state 0A) nor a Unix
# socket (/proc/net/unix: flag 00010000, accepting connections).
. "$(dirname "$0")/lib.sh"
e2e_init
cd "$T" || exit 1

# The socket inodes of process $1, one a line.
sock_inodes() {
	for f in /proc/"$1"/fd/*; do
		readlink "$f" 2>/dev/null
	done | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' | sort -u
}

# The inodes of listening sockets on this machine's network namespace.
listening_inodes() {
	for f in /proc/net/tcp /proc/net/tcp6; do
		[ -r "$f" ] || continue
		awk 'NR > 1 && $4 == "0A" { print $10 }' "$f"
	done
	awk 'NR > 1 && $4 == "00010000" { print $7 }' /proc/net/unix
}

"$POGO" one --local --targets h1 \
    --run-command "touch '$T/running'; i=0;
    while [ ! -e '$T/go' ] && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i+1)); done" \
    >"$T/out" 2>"$T/err" &
pid=$!
E2E_PIDS="$pid"
wait_for 60 "the job to run" test -e "$T/running"

sock_inodes "$pid" >"$T/mine"
[ -s "$T/mine" ] || fail "no socket at all in /proc/$pid/fd (cannot check)"
listening_inodes | sort -u >"$T/listening"
comm -12 "$T/mine" "$T/listening" >"$T/both"
if [ -s "$T/both" ]; then
	ls -l /proc/"$pid"/fd >&2
	cat /proc/net/tcp /proc/net/tcp6 >&2
	fail "pogo one listens on sockets $(tr '\n' ' ' <"$T/both")"
fi

touch "$T/go"
wait "$pid"
rc=$?
E2E_PIDS=""
[ "$rc" = 0 ] || fail "exit $rc: $(cat "$T/err")"
grep -qx 'h1: Success' "$T/out" || fail "output: $(cat "$T/out")"

echo "PASS $E2E_NAME"
