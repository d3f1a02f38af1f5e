#!/bin/sh
# pogo dispatcher and pogo worker read and check the daemon configuration
# (SPEC 1.6): a bad file or option is a clear message and exit 2.  With a
# valid one the dispatcher starts on loopback ports of its own and the
# worker runs (connecting to a loopback port of this test where nobody
# listens), each until SIGTERM, then exits 0; the dispatcher's -a also
# serves the API (a third listener) and stops with it.
. "$(dirname "$0")/lib.sh"
e2e_init

# run CMD ARGS...: status in $rc, stderr in $T/err, stdout must be empty;
# a pogo still running after 30 s is ended (status 124).
run() {
	timeout 30 "$POGO" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ -s "$T/out" ] && fail "pogo $* printed on stdout"
	return 0
}

# bad WANT CMD ARGS...: exit 2, stderr is exactly WANT.
bad() {
	want=$1
	shift
	run "$@"
	expect_eq "pogo $* status" "$rc" 2
	expect_eq "pogo $* message" "$(cat "$T/err")" "$want"
}

# valid CMD ARGS...: the configuration is good.  The worker starts (it
# logs that it connects) and stops at SIGTERM with status 0; it always gets
# a --dispatcher of this test, never the default port, which another
# test's dispatcher may hold.  The dispatcher starts (its state, ports and
# pid file overridden into the test) and stops at SIGTERM with status 0.
NOBODY=127.0.0.1:$(e2e_port 0)
valid() {
	if [ "$1" = worker ]; then
		valid_worker "$@"
		return
	fi
	: >"$T/dispatcher.log"
	"$POGO" "$@" -o "state_dir=$T/state" -o log_file= -o pid_file= \
	    -o dispatcher.control_listen=127.0.0.1:0 \
	    -o dispatcher.worker_listen=127.0.0.1:0 \
	    >"$T/out" 2>"$T/dispatcher.log" &
	vpid=$!
	E2E_PIDS="$E2E_PIDS $vpid"
	wait_for 30 "pogo $* to listen" listening "${LISTENERS:-2}"
	kill -TERM "$vpid"
	wait "$vpid"
	expect_eq "pogo $* status after SIGTERM" "$?" 0
	[ -s "$T/out" ] && fail "pogo $* printed on stdout"
}

# listening N: the dispatcher's log says it listens on N addresses.
listening() {
	[ "$(grep -c ' Listening on 127\.0\.0\.1:' "$T/dispatcher.log")" -ge "$1" ]
}

worker_connecting() {
	grep -q "connecting to" "$T/err"
}

not_alive() {
	! alive "$1"
}

# Its state directory is the test's, never the default /var/lib/pogo.
valid_worker() {
	"$POGO" "$@" --dispatcher "$NOBODY" -o "state_dir=$T/wstate" \
	    >"$T/out" 2>"$T/err" &
	wpid=$!
	E2E_PIDS="$E2E_PIDS $wpid"
	wait_for 10 "pogo $* to start" worker_connecting
	alive "$wpid" || fail "pogo $*: exited: $(cat "$T/err")"
	kill -TERM "$wpid"
	wait_for 10 "pogo $* to stop" not_alive "$wpid"
	wait "$wpid"
	expect_eq "pogo $* status after SIGTERM" "$?" 0
	[ -s "$T/out" ] && fail "pogo $* printed on stdout"
	grep -q "SIGTERM: stopping" "$T/err" || fail "pogo $*: no stop logged"
	grep -E "loop not closed|[0-9]Z worker\[[0-9]+\] E " "$T/err" &&
	    fail "pogo $*: errors at exit"
	return 0
}

for c in dispatcher worker; do
	valid $c -f "$POGO_SRC/examples/pogo.yaml"
	valid $c -f "$POGO_SRC/examples/pogo.yaml" -v -v \
	    -o dispatcher.lost_worker_grace=30 -o 'api.admins=[carol]' \
	    --insecure
	bad "pogo $c: $T/none.yaml: No such file or directory" \
	    $c -f "$T/none.yaml"
	bad "pogo $c: -o dispatcher.bogus=1: unknown key 'dispatcher.bogus'" \
	    $c -o dispatcher.bogus=1
	bad "pogo $c: -o dispatcher.lost_worker_grace=10s: dispatcher.lost_worker_grace: '10s' is not a duration in whole seconds from 0 to 316224000" \
	    $c -o dispatcher.lost_worker_grace=10s
	bad "pogo $c: -o nokey: expected KEY=VALUE" $c -o nokey
	run $c -f
	expect_eq "$c -f without FILE" "$rc" 2
	grep -q "^usage: pogo $c " "$T/err" || fail "$c -f: no usage"
	run $c stray
	expect_eq "$c stray argument" "$rc" 2
	grep -q "^usage: pogo $c " "$T/err" || fail "$c stray: no usage"
done

printf 'dispatcher:\n  lost_worker_grace: 3\n  bogus: 1\n' >"$T/a.yaml"
bad "pogo dispatcher: $T/a.yaml: unknown key 'dispatcher.bogus'" \
    dispatcher -f "$T/a.yaml"
printf 'worker:\n  ssh:\n    port: 0\n' >"$T/b.yaml"
bad "pogo worker: $T/b.yaml: worker.ssh.port: '0' is not a port from 1 to 65535" \
    worker -f "$T/b.yaml"
printf 'worker:\n  max_tasks: [1]\n' >"$T/c.yaml"
bad "pogo worker: $T/c.yaml: line 2, column 14: worker.max_tasks: Expecting STRING, got event: SEQUENCE_START" \
    worker -f "$T/c.yaml"
# The override wins over the file, so the bad value of the file is gone.
valid worker -f "$T/b.yaml" -o worker.ssh.port=22

# worker.ssh.config: a file named in the configuration must be there; the
# default (~/.ssh/config) may be missing; either must be a regular file of
# at most 1 MiB, checked before anything reads it (a FIFO would hang the
# reader, a device never end).
# bad_start WANT ARGS...: the worker does not start: exit 2, with WANT as
# its one log line (an error), and makes no state directory.
bad_start() {
	want=$1
	shift
	run worker -o "state_dir=$T/bad-state" "$@" --dispatcher "$NOBODY"
	expect_eq "pogo worker $* status" "$rc" 2
	[ ! -e "$T/bad-state" ] || fail "pogo worker $*: made its state directory"
	expect_eq "pogo worker $* message" \
	    "$(sed 's/^[0-9T:.-]*Z worker\[[0-9]*\] //' "$T/err")" "E $want"
}
bad_start "ssh_config $T/nope: No such file or directory" \
    -o "worker.ssh.config=$T/nope"
mkfifo "$T/fifo-config" || fail "mkfifo"
bad_start "ssh_config $T/fifo-config: not a regular file of at most 1 MiB" \
    -o "worker.ssh.config=$T/fifo-config"
head -c 1048577 /dev/zero | tr '\0' '#' >"$T/big-config"
bad_start "ssh_config $T/big-config: not a regular file of at most 1 MiB" \
    -o "worker.ssh.config=$T/big-config"
printf 'Host *\n\tPort 22\n' >"$T/ssh-config"
valid worker -o "worker.ssh.config=$T/ssh-config"
[ ! -e "$HOME/.ssh/config" ] || fail "the test's HOME has an ssh_config"
valid worker
mkdir -p "$HOME/.ssh"
mkfifo "$HOME/.ssh/config" || fail "mkfifo"
bad_start "ssh_config $HOME/.ssh/config: not a regular file of at most 1 MiB"
rm -f "$HOME/.ssh/config"

# --dispatcher is repeatable and replaces the list (valid_worker adds one).
valid worker --dispatcher "[::1]:$(e2e_port 1)"
bad "pogo worker: --dispatcher 'bogus' is not HOST:PORT (write [ADDRESS]:PORT for IPv6)" \
    worker --dispatcher 10.0.0.1:7655 --dispatcher '[::1]:7655' \
    --dispatcher bogus
bad "pogo worker: --dispatcher 'nohost' is not HOST:PORT (write [ADDRESS]:PORT for IPv6)" \
    worker --dispatcher nohost
# -a: the control port, the worker port and the API.
for a in -a --api; do
	LISTENERS=3 valid dispatcher -f "$POGO_SRC/examples/pogo.yaml" $a \
	    -o api.listen=127.0.0.1:0
done
echo "PASS $E2E_NAME"
