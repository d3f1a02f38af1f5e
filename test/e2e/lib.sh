# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The pogo authors
#
# The end-to-end harness, in the style of OpenSSH's regress/test-exec.sh.
# A test sources this file, calls e2e_init, and uses:
#   $T            its private temporary directory (kept only on failure)
#   $POGO         the pogo binary under test
#   e2e_port N    a port derived from the test number (never a default)
#   start_sshd    a throwaway OpenSSH server in a network namespace that
#                 answers on every 127.x.y.z (TESTHOSTS.md section 3);
#                 $SSHD_EXTRA is appended to its sshd_config;
#                 $SSHD_MAXSTARTUPS and $SSHD_LOGLEVEL replace the
#                 defaults (1000:30:2000, DEBUG3) for scale tests
#   ns_nft RULE   an nftables rule inside the namespace (refused or
#                 silent hosts)
#   in_ns CMD...  run CMD inside that namespace (clients must)
#   ssh_test ADDR CMD  the OpenSSH client as the test user, for checks
#   start_pogo ROLE ARGS...  a pogo process in the background, logged
#   start_fake_http SCRIPT  a fake HTTP server (fake-http.py) answering
#                 with the handler class H of the Python file SCRIPT;
#                 its port in $FAKE_PORT
#   fail MSG      print every log of the test and exit 1
#   skip MSG      exit 77 with a one-line reason; with POGO_TEST_NO_SKIP=1
#                 (CI: .ci/run) a skip is a failure instead
#   have CMD WHAT  whether CMD exists, for an optional section WHAT of a
#                 test; its absence skips the section, and fails the
#                 test with POGO_TEST_NO_SKIP=1
#   wait_for SECS WHAT CMD...  poll CMD until it succeeds, or fail
#   e2e_ours PID  whether PID is still a running process of this test
# Processes are stopped only by their recorded PIDs, never by name, and
# only while they are the test's own (e2e_ours: a PID the test waited for
# may have been reused).

set -u

: "${POGO:?POGO must name the pogo binary}"
: "${POGO_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"

E2E_NAME=$(basename "$0" .sh)
E2E_NUM=$(echo "$E2E_NAME" | sed -n 's/^t\([0-9][0-9]*\)-.*/\1/p')
E2E_PIDS=""
# Directories outside $T a test made, removed by the cleanup.
E2E_RMDIRS=""
E2E_NS=""
E2E_FAILED=0
TEST_USER=pogot
TEST_PASSWORD=pogo-test-pw
SSHD_EXTRA=${SSHD_EXTRA:-}

# e2e_ours PID: is PID still a running process of this test?  A PID in
# $E2E_PIDS whose process the test already waited for may have been
# reused by an unrelated process: only a process whose environment holds
# this test's E2E_RUN (exported by e2e_init, inherited by everything the
# test starts) is ours.  A zombie has no environment: not running.
e2e_ours() {
	[ -r "/proc/$1/environ" ] || return 1
	{ tr '\0' '\n' <"/proc/$1/environ"; } 2>/dev/null |
	    grep -qxF "E2E_RUN=$T"
}

e2e_cleanup() {
	rc=$?
	for pid in $E2E_PIDS; do
		e2e_ours "$pid" && kill "$pid" 2>/dev/null
	done
	for pid in $E2E_PIDS; do
		# Give each process up to 5 s, then KILL it, by PID only.
		i=0
		while e2e_ours "$pid" && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		e2e_ours "$pid" && kill -9 "$pid" 2>/dev/null
	done
	if [ -n "$E2E_NS" ]; then
		# What the test's sshd started and left (a session whose
		# client went silent waits for ever, holding ctest's output
		# open): every process of the test's own namespace, by PID.
		for pid in $(ip netns pids "$E2E_NS" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null
		done
		ip netns del "$E2E_NS" 2>/dev/null
	fi
	# Directories a test made outside $T (E2E_RMDIRS), by name.
	for d in ${E2E_RMDIRS:-}; do
		rm -rf "$d"
	done
	if [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ]; then
		rm -rf "$T"
	else
		echo "$E2E_NAME: logs kept in $T" >&2
	fi
	exit "$rc"
}

e2e_init() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/pogo-$E2E_NAME.XXXXXX") || exit 1
	chmod 755 "$T"
	# The mark of this test's processes (e2e_ours).
	export E2E_RUN="$T"
	trap e2e_cleanup EXIT
	trap 'exit 1' INT TERM HUP
	# A minimal environment: nothing of the developer's ~/.ssh is read.
	export HOME="$T/home"
	mkdir -p "$HOME"
	unset SSH_AUTH_SOCK SSH_AGENT_PID
	export LC_ALL=C
	export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
}

skip() {
	if [ "${POGO_TEST_NO_SKIP:-0}" = 1 ]; then
		echo "FAIL $E2E_NAME: cannot run: $* (POGO_TEST_NO_SKIP=1:" \
		    "a skip is a failure)"
		exit 1
	fi
	echo "SKIP $E2E_NAME: $*"
	exit 77
}

have() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "${POGO_TEST_NO_SKIP:-0}" = 1 ]; then
		fail "no $1 for $2 (POGO_TEST_NO_SKIP=1: a skip is a failure)"
	fi
	echo "SKIP part of $E2E_NAME: $2 needs $1"
	return 1
}

# wait_for SECS WHAT CMD...: run CMD every 0.05 s until it succeeds; fail
# with WHAT after SECS seconds.
wait_for() {
	wf_max=$(($1 * 20))
	wf_what=$2
	shift 2
	wf_i=0
	until "$@"; do
		wf_i=$((wf_i + 1))
		[ $wf_i -lt $wf_max ] || fail "timed out waiting for $wf_what"
		sleep 0.05
	done
}

fail() {
	echo "FAIL $E2E_NAME: $*"
	for f in "$T"/*.log; do
		[ -f "$f" ] || continue
		echo "---- $f"
		tail -n 100 "$f"
	done
	exit 1
}

# e2e_port N (0-3): the Nth port of this test, 1024 + (number / 1000) *
# 3000 + (number % 1000) * 4 + N: below 28036, so never in Linux's
# ephemeral range (32768-60999), where another test's outgoing
# connection may hold it (t6052's 44208 was "already in use" in a clean-clone
# run while t6080's 64 workers connected).  Distinct while a test number's
# last three digits stay below 750.
e2e_port() {
	ep_n=$(echo "${E2E_NUM:-0}" | sed 's/^0*//')
	ep_n=${ep_n:-0}
	echo $((1024 + ep_n / 1000 * 3000 + ep_n % 1000 * 4 + $1))
}

in_ns() {
	[ -n "$E2E_NS" ] || fail "in_ns before start_sshd"
	ip netns exec "$E2E_NS" "$@"
}

# The test user, made once per machine (a lock serialises parallel tests).
e2e_test_user() {
	(
		flock 9
		if ! id "$TEST_USER" >/dev/null 2>&1; then
			useradd -m -s /bin/sh "$TEST_USER" ||
			    fail "cannot create the test user"
		fi
		# A known password, for the password tests; sshd accepts it
		# only where a test enables PasswordAuthentication.
		echo "$TEST_USER:$TEST_PASSWORD" | chpasswd
	) 9>/run/pogo-test-user.lock
}

# start_sshd [extra sshd_config lines on stdin]
start_sshd() {
	[ "$(id -u)" = 0 ] || skip "start_sshd needs root (network namespace)"
	[ -x /usr/sbin/sshd ] || skip "no /usr/sbin/sshd (apt-get install openssh-server)"
	command -v ssh-keygen >/dev/null || skip "no ssh-keygen"
	command -v ip >/dev/null || skip "no ip (iproute2)"
	E2E_NS="pogo-$E2E_NAME-$$"
	ip netns add "$E2E_NS" 2>/dev/null ||
	    skip "cannot create a network namespace here"
	ip -n "$E2E_NS" link set lo up || fail "lo up"
	e2e_test_user
	mkdir -p /run/sshd
	SSHD_PORT=$(e2e_port 0)
	ssh-keygen -q -t ed25519 -N '' -f "$T/host_ed25519" </dev/null
	ssh-keygen -q -t ed25519 -N '' -C pogo-test -f "$T/id_ed25519" \
	    </dev/null
	cp "$T/id_ed25519.pub" "$T/authorized_keys"
	chmod 644 "$T/authorized_keys"
	{
		echo "# generated file, do not edit ($E2E_NAME)"
		echo "Port $SSHD_PORT"
		echo "ListenAddress 0.0.0.0"
		echo "HostKey $T/host_ed25519"
		echo "PidFile $T/sshd.pid"
		echo "AuthorizedKeysFile $T/authorized_keys"
		echo "PasswordAuthentication ${SSHD_PASSWORD:-no}"
		echo "KbdInteractiveAuthentication ${SSHD_KBDINT:-no}"
		# Keyboard-interactive passwords need PAM on Linux.
		echo "UsePAM ${SSHD_KBDINT:-no}"
		echo "StrictModes no"
		echo "MaxStartups ${SSHD_MAXSTARTUPS:-1000:30:2000}"
		echo "MaxSessions 100"
		echo "LoginGraceTime 30"
		echo "UseDNS no"
		echo "PrintMotd no"
		echo "LogLevel ${SSHD_LOGLEVEL:-DEBUG3}"
		if sshd_at_least 9 8; then
			echo "PerSourcePenalties no"
		fi
		[ -z "$SSHD_EXTRA" ] || printf '%s\n' "$SSHD_EXTRA"
	} >"$T/sshd_config"
	/usr/sbin/sshd -t -f "$T/sshd_config" || fail "sshd -t"
	ip netns exec "$E2E_NS" /usr/sbin/sshd -D -f "$T/sshd_config" \
	    -E "$T/sshd.log" &
	SSHD_PID=$!
	E2E_PIDS="$E2E_PIDS $SSHD_PID"
	wait_sshd
}

# wait_sshd: poll until the sshd of $SSHD_PID answers (at most 10 s).
wait_sshd() {
	i=0
	while ! in_ns ssh-keyscan -T 2 -p "$SSHD_PORT" 127.0.0.1 \
	    >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "sshd did not start"
		kill -0 "$SSHD_PID" 2>/dev/null || fail "sshd exited"
		sleep 0.1
	done
}

# sshd_at_least MAJOR MINOR
sshd_at_least() {
	v=$(/usr/sbin/sshd -V 2>&1 | sed -n 's/^OpenSSH_\([0-9]*\)\.\([0-9]*\).*/\1 \2/p' | head -n1)
	set -- "$1" "$2" $v
	[ $# -eq 4 ] || return 1
	[ "$3" -gt "$1" ] || { [ "$3" -eq "$1" ] && [ "$4" -ge "$2" ]; }
}

# ns_nft RULE...: add an nftables rule in the namespace's own table.
ns_nft() {
	command -v nft >/dev/null || skip "no nft (apt-get install nftables)"
	if [ -z "${E2E_NFT:-}" ]; then
		in_ns nft add table inet pogo || skip "nftables not usable here"
		in_ns nft add chain inet pogo out \
		    '{ type filter hook output priority 0; }' || fail "nft chain"
		E2E_NFT=1
	fi
	in_ns nft add rule inet pogo out "$@" || fail "nft rule $*"
}

# One pogo one over SSH as the test user, inside the namespace.
pogo_one() {
	in_ns "$POGO" one -l "$TEST_USER" -i "$T/id_ed25519" \
	    --port "$SSHD_PORT" "$@"
}

# peak_overlap FILE HOSTS...: the most of HOSTS running at one time, from
# "start HOST TIME" and "end HOST TIME" lines.
peak_overlap() {
	f=$1
	shift
	echo "$*" | tr ' ' '\n' >"$T/peak-hosts"
	awk 'NR == FNR { want[$1] = 1; next }
	     ($1 == "start" || $1 == "end") && ($2 in want) {
	         print $3, ($1 == "start" ? 1 : 0)
	     }' "$T/peak-hosts" "$f" |
	    sort -k1,1g -k2,2n |
	    awk '{ n += ($2 == 1 ? 1 : -1); if (n > max) max = n }
	         END { print max + 0 }'
}

# stop_sshd: end the sshd of $SSHD_PID (by PID) and wait for it to go,
# before another takes its port.
stop_sshd() {
	kill "$SSHD_PID" 2>/dev/null
	i=0
	while kill -0 "$SSHD_PID" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 50 ] || fail "sshd did not stop"
		sleep 0.1
	done
	wait "$SSHD_PID" 2>/dev/null
}

ssh_test() {
	addr=$1
	shift
	in_ns ssh -p "$SSHD_PORT" -i "$T/id_ed25519" \
	    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	    -o BatchMode=yes -o ConnectTimeout=10 -o LogLevel=ERROR \
	    "$TEST_USER@$addr" "$@"
}

# start_pogo ROLE ARGS...: run "pogo ROLE ARGS" in the background.  Its
# log is emptied first, here: the background child's own redirection may
# come after the test's first look at the log, which would then read the
# log of the ROLE started before (t5002 took its old ports).
start_pogo() {
	role=$1
	shift
	: >"$T/$role.log"
	"$POGO" "$role" "$@" >"$T/$role.out" 2>"$T/$role.log" &
	E2E_PIDS="$E2E_PIDS $!"
	POGO_PID=$!
}

# start_fake_http SCRIPT: a fake HTTP server (test/e2e/fake-http.py) in
# the background, one of the test's processes, that answers with the
# request handler class H of the Python file SCRIPT (in $T: SCRIPT finds
# $T in sys.argv[1]); its output in SCRIPT's name with .log for .py, its
# port in $FAKE_PORT once it listens.
start_fake_http() {
	rm -f "$T/fake.port"
	python3 "$POGO_SRC/test/e2e/fake-http.py" "$1" "$T" \
	    >"${1%.py}.log" 2>&1 &
	FAKE_PID=$!
	E2E_PIDS="$E2E_PIDS $FAKE_PID"
	wait_for 30 "the fake HTTP server of $1" fake_http_listens
	FAKE_PORT=$(cat "$T/fake.port")
}
fake_http_listens() {
	alive "$FAKE_PID" || fail "the fake HTTP server ended"
	test -s "$T/fake.port"
}

# alive PID: is the process running (a zombie is not)?
alive() {
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $st in Z*) return 1 ;; esac
	return 0
}

# expect_eq WHAT GOT EXPECTED
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
}
