# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The pogo authors
#
# Helpers shared by the benchmarks (api.sh, tls.sh, dispatch.sh,
# fanout.sh, sshd-cost.sh), each of which starts
#   set -u
#   . "$(dirname "$0")/lib.sh"
#   bench_root "$@"
#   bench_init NAME [NUM]
# bench_root [POGO]: $POGO, the binary (default build/pogo, relative to
#                         the directory the script started in), made
#                         absolute and exported; the script then runs in
#                         the source tree's root, $POGO_SRC, exported
# bench_init NAME [NUM]: test/e2e/lib.sh sourced and e2e_init called, the
#                         test's name NAME ($T is pogo-NAME.*) and number
#                         NUM (e2e_port's ports)
#   median                  the median of the numbers on standard input
#   rotate R WORDS...       WORDS rotated left by R - 1 (round R's order)
# The SSH benchmarks' (fanout.sh, sshd-cost.sh), after bench_init:
#   bench_cgroups NAME...   make one cgroup v2 per NAME; CG_<NAME> names it
#                           (removed at exit by bench_cleanup)
#   cg_wait DIR N           wait (at most 20 s) until at most N processes
#                           are in DIR
#   cg_usec DIR             its cpu.stat usage_usec
#   cg_stat DIR KEY         its cpu.stat KEY (user_usec, system_usec)
#   bench_sshd CG LEVEL     start_sshd, then the same sshd again inside the
#                           cgroup CG, logging at LEVEL
#   bench_ssh_config        $T/ssh_config, shared by every client: port,
#                           user, identity, KEX curve25519-sha256, no
#                           host-key check, BatchMode
#   bench_hosts N           $T/hosts, N addresses 127.0.30.1 ...
#   in_cg CG CMD...         run CMD in the namespace, inside cgroup CG

BENCH_CGS=""

bench_root() {
	POGO=$(cd "$(dirname "${1:-build/pogo}")" && pwd)/$(basename "${1:-build/pogo}")
	export POGO
	cd "$(dirname "$0")/../.." || exit 1
	POGO_SRC=$PWD
	export POGO_SRC
}

bench_init() {
	. test/e2e/lib.sh
	E2E_NAME=$1
	E2E_NUM=${2:-}
	e2e_init
}

rotate() {
	ro_r=$1
	shift
	echo "$@" | awk -v r="$ro_r" '{ for (i = 0; i < NF; i++)
	    printf "%s ", $(((i + r - 1) % NF) + 1) }'
}

bench_cleanup() {
	rc=$?
	( (exit $rc); e2e_cleanup )
	for d in $BENCH_CGS; do
		cg_wait "$d" 0
		rmdir "$d" 2>/dev/null || echo "bench: cannot remove $d" >&2
	done
	exit $rc
}

bench_cgroups() {
	[ "$(id -u)" = 0 ] || skip "needs root (network namespace, cgroups)"
	CG_ROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	[ -n "$CG_ROOT" ] || skip "no cgroup v2 hierarchy mounted"
	for n in "$@"; do
		d=$CG_ROOT/pogo-$E2E_NAME-$n-$$
		mkdir "$d" || skip "cannot create cgroups in $CG_ROOT"
		BENCH_CGS="$BENCH_CGS $d"
		eval "CG_$(echo "$n" | tr a-z A-Z)=\$d"
	done
	trap bench_cleanup EXIT
}

cg_wait() {
	i=0
	while [ "$(wc -l <"$1/cgroup.procs")" -gt "$2" ] && [ $i -lt 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

cg_usec() { sed -n 's/^usage_usec //p' "$1/cpu.stat"; }
cg_stat() { sed -n "s/^$2 //p" "$1/cpu.stat"; }

bench_sshd() {
	start_sshd
	# The same sshd again, in its cgroup, at the given LogLevel (not at
	# the harness's costly DEBUG3).
	stop_sshd
	sed -i "s/^LogLevel .*/LogLevel $2/" "$T/sshd_config"
	# The host keys of a stock sshd (ssh-keygen -A: rsa, ecdsa and
	# ed25519; each client picks by its own preference, named in the
	# server's log); BENCH_HOSTKEYS="" leaves ed25519 alone.
	for bt in ${BENCH_HOSTKEYS-ecdsa rsa}; do
		ssh-keygen -q -t "$bt" -N '' -f "$T/host_$bt" </dev/null ||
		    fail "ssh-keygen -t $bt"
		echo "HostKey $T/host_$bt" >>"$T/sshd_config"
	done
	: >"$T/sshd.log"
	# (ip netns exec mounts a /sys of its own: join the cgroup before it.)
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$1" \
	    ip netns exec "$E2E_NS" /usr/sbin/sshd -D -f "$T/sshd_config" \
	    -E "$T/sshd.log" &
	SSHD_PID=$!
	E2E_PIDS="$E2E_PIDS $SSHD_PID"
	i=0
	while ! in_ns ssh-keyscan -T 2 -p "$SSHD_PORT" 127.0.0.1 \
	    >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "sshd did not start again"
		sleep 0.1
	done
}

bench_ssh_config() {
	cat >"$T/ssh_config" <<EOC
Host *
    Port $SSHD_PORT
    User $TEST_USER
    IdentityFile $T/id_ed25519
    IdentitiesOnly yes
    KexAlgorithms curve25519-sha256
    StrictHostKeyChecking no
    UserKnownHostsFile /dev/null
    BatchMode yes
    LogLevel ERROR
EOC
	[ -z "${BENCH_SSH_EXTRA:-}" ] ||
	    printf '    %s\n' "$BENCH_SSH_EXTRA" >>"$T/ssh_config"
}

bench_hosts() {
	awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++)
	    printf "127.0.%d.%d\n", 30 + int(i / 100), i % 100 + 1 }' \
	    >"$T/hosts"
}

in_cg() {
	bcg=$1
	shift
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$bcg" \
	    ip netns exec "$E2E_NS" "$@"
}

median() {
	sort -g | awk '{ v[NR] = $1 } END {
	    if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
