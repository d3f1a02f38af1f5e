#!/bin/sh
# pogo's client CPU per SSH host (issue 8), for one build or two side by
# side: `pogo one` runs `true` on N loopback hosts at fan-out F (W1 of
# fanout.sh) against one throwaway sshd, with fanout.sh's ssh_config
# (KEX curve25519-sha256, ed25519 user key, a stock sshd's host keys:
# pogo picks ECDSA P-256; chacha20-poly1305).
# Two figures per build:
#   - client CPU per host: the client cgroup's usage_usec over the run
#     (the whole process tree, kernel time included), divided by N, with
#     its user-space part (user_usec) and sshd's CPU per host over the
#     same run (sshd's cgroup);
#     CLIENTCPU_ROUNDS rounds, the builds' order rotated per round;
#     median, minimum and maximum, and for a second build the median
#     of its per-round ratio to the first (the load of a shared machine
#     drifts from round to round; a round's two runs are adjacent);
#   - with CLIENTCPU_CALLGRIND=1, instructions per host in user space,
#     counted by valgrind's callgrind (the same on a busy machine as on a
#     quiet one): (Ir of a run over 120 hosts - Ir over 20 hosts) / 100,
#     which leaves out the start-up.
# Usage (root): test/bench/client-cpu.sh [build/pogo [other/pogo]]
# (CLIENTCPU_ROUNDS=5, CLIENTCPU_HOSTS=300, CLIENTCPU_FANOUT=32,
# CLIENTCPU_CMD=true: the command, e.g. "sleep 1" for W3's shape;
# CLIENTCPU_KEEP=DIR keeps the callgrind profiles there, as
# DIR/callgrind.BUILD.HOSTS for callgrind_annotate, and strace's tables
# as DIR/strace.BUILD.HOSTS; BUILD is 1 or 2;
# CLIENTCPU_STRACE=1 adds system calls per host, from strace -f -c;
# CLIENTCPU_PERF=1 keeps a perf record of a run as DIR/perf.BUILD.data,
# recorded with CLIENTCPU_PERF_OPTS (-F 4999; --call-graph dwarf for
# callers))
set -u
. "$(dirname "$0")/lib.sh"
bench_root "${1:-build/pogo}"
POGOS=$POGO
if [ $# -ge 2 ]; then
	POGOS="$POGOS $(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
fi
ROUNDS=${CLIENTCPU_ROUNDS:-5}
NHOSTS=${CLIENTCPU_HOSTS:-300}
FAN=${CLIENTCPU_FANOUT:-32}

bench_init client-cpu 1996
bench_cgroups sshd client
bench_sshd "$CG_SSHD" ERROR
bench_ssh_config
bench_hosts "$NHOSTS"

# one BIN HOSTFILE [WRAPPER...]: pogo one over the hosts; the number of
# hosts that succeeded on standard output.
one() {
	ob=$1
	oh=$2
	shift 2
	in_cg "$CG_CLIENT" "$@" "$ob" one -F "$T/ssh_config" \
	    --host-key-check off --connect-timeout 300 --concurrency "$FAN" \
	    --max-handshakes "$FAN" --targets "@$oh" --run-command "${CLIENTCPU_CMD:-true}" \
	    >"$T/out" 2>"$T/err"
	grep -c ': Success$' "$T/out"
}

echo "client-cpu: $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$T/results"
for r in $(seq 1 "$ROUNDS"); do
	for b in $(rotate "$r" $POGOS); do
		cg_wait "$CG_CLIENT" 0
		cg_wait "$CG_SSHD" 1
		c0=$(cg_usec "$CG_CLIENT")
		u0=$(cg_stat "$CG_CLIENT" user_usec)
		s0=$(cg_usec "$CG_SSHD")
		ok=$(one "$b" "$T/hosts")
		cg_wait "$CG_CLIENT" 0
		cg_wait "$CG_SSHD" 1
		c1=$(cg_usec "$CG_CLIENT")
		u1=$(cg_stat "$CG_CLIENT" user_usec)
		s1=$(cg_usec "$CG_SSHD")
		echo "$r $b $ok $c0 $c1 $u0 $u1 $s0 $s1" | awk -v n="$NHOSTS" \
		    '{ printf "%s %s %s %.3f %.3f %.3f\n", $1, $2, $3,
		        ($5 - $4) / 1000 / n, ($7 - $6) / 1000 / n,
		        ($9 - $8) / 1000 / n }' |
		    tee -a "$T/results"
	done
done
echo "client-cpu: load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| build | client CPU per host (median) | min | max | of it in user space (median) | sshd CPU per host (median) | rounds | hosts that failed |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for b in $POGOS; do
	m=$(awk -v b="$b" '$2 == b { print $4 }' "$T/results" | median)
	mu=$(awk -v b="$b" '$2 == b { print $5 }' "$T/results" | median)
	ms=$(awk -v b="$b" '$2 == b { print $6 }' "$T/results" | median)
	awk -v b="$b" -v m="$m" -v mu="$mu" -v ms="$ms" -v n="$NHOSTS" '$2 == b {
	    if (min == "" || $4 < min) min = $4; if ($4 > max) max = $4
	    k++; f += n - $3 }
	    END { printf "| %s | %.3f ms | %.3f ms | %.3f ms | %.3f ms | %.3f ms | %d | %d |\n",
	        b, m, min, max, mu, ms, k, f }' "$T/results"
done

awk -v n="$NHOSTS" '$3 != n { bad = 1 } END { exit bad }' "$T/results" ||
    fail "hosts failed (the figures above are not comparable)"
set -- $POGOS
if [ $# -ge 2 ]; then
	awk -v a="$1" -v b="$2" '$2 == a { x[$1] = $4 } $2 == b { y[$1] = $4 }
	    END { for (r in x) if (r in y && x[r] > 0) print y[r] / x[r] }' \
	    "$T/results" | median |
	    awk '{ printf "\nsecond / first, same round (median of the rounds): %.3f\n", $1 }'
fi

# runs_20_120 K BIN NAME WRAPPER...: pogo one BIN over 20 and over 120
# hosts under WRAPPER, in which @OUT@ stands for $T/NAME.N (N the number
# of hosts); the file is copied to $CLIENTCPU_KEEP/NAME.K.N when that is
# set.  A run in which a host failed fails the script.
runs_20_120() {
	rk=$1
	rb=$2
	rname=$3
	shift 3
	for n in 20 120; do
		rf="$T/$rname.$n"
		for a; do
			set -- "$@" "$(printf '%s' "$a" | sed "s|@OUT@|$rf|g")"
			shift
		done
		ok=$(one "$rb" "$T/hosts$n" "$@")
		[ "$ok" = "$n" ] || fail "$rb under $1: $ok of $n hosts"
		if [ -n "${CLIENTCPU_KEEP:-}" ]; then
			mkdir -p "$CLIENTCPU_KEEP" &&
			    cp "$rf" "$CLIENTCPU_KEEP/$rname.$rk.$n"
		fi
		# the placeholder again for the next run
		for a; do
			set -- "$@" "$(printf '%s' "$a" | sed "s|$rf|@OUT@|g")"
			shift
		done
	done
}

callgrind_table() {
	echo
	echo "| build | user-space instructions per host (callgrind) |"
	echo "| --- | ---: |"
	k=0
	for b in $POGOS; do
		k=$((k + 1))
		runs_20_120 "$k" "$b" callgrind valgrind --tool=callgrind \
		    --callgrind-out-file=@OUT@
		for n in 20 120; do
			awk '/^summary:/ { print $2 }' "$T/callgrind.$n" >"$T/ir.$n"
		done
		echo "$b $(cat "$T/ir.20") $(cat "$T/ir.120")" |
		    awk '{ printf "| %s | %.0f |\n", $1, ($3 - $2) / 100 }'
	done
}

# System calls per host with CLIENTCPU_STRACE=1: strace -f -c of the same
# runs, (calls over 120 hosts - calls over 20) / 100, in all and for the
# calls that the connections between pogo's components make.
strace_table() {
	echo
	echo "| build | system calls per host | epoll_ctl | write | writev | read | epoll_wait |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
	k=0
	for b in $POGOS; do
		k=$((k + 1))
		runs_20_120 "$k" "$b" strace strace -f -c -o @OUT@
		for n in 20 120; do
			# (calls are the 4th column, with or without an errors one)
			awk '$NF == "total" { t = $4 } { c[$NF] = $4 }
			    END { printf "%d %d %d %d %d %d\n", t, c["epoll_ctl"],
			        c["write"], c["writev"], c["read"], c["epoll_wait"] }' \
			    "$T/strace.$n" >"$T/sc.$n"
		done
		paste -d' ' "$T/sc.20" "$T/sc.120" | awk -v b="$b" '{
		    printf "| %s |", b
		    for (i = 1; i <= 6; i++) printf " %.1f |", ($(i + 6) - $i) / 100
		    printf "\n" }'
	done
}

# With CLIENTCPU_PERF=1 and CLIENTCPU_KEEP=DIR: perf record of a run over
# every host, kernel included, as DIR/perf.BUILD.data for perf report.
perf_runs() {
	[ -n "${CLIENTCPU_KEEP:-}" ] || fail "CLIENTCPU_PERF=1 needs CLIENTCPU_KEEP"
	mkdir -p "$CLIENTCPU_KEEP" || fail "cannot make $CLIENTCPU_KEEP"
	k=0
	for b in $POGOS; do
		k=$((k + 1))
		# shellcheck disable=SC2086 # (options, split on purpose)
		ok=$(one "$b" "$T/hosts" perf record -q \
		    ${CLIENTCPU_PERF_OPTS:--F 4999} \
		    -o "$CLIENTCPU_KEEP/perf.$k.data" --)
		[ "$ok" = "$NHOSTS" ] || fail "$b under perf: $ok of $NHOSTS hosts"
	done
}

head -n 20 "$T/hosts" >"$T/hosts20"
head -n 120 "$T/hosts" >"$T/hosts120"
if [ "${CLIENTCPU_CALLGRIND:-0}" = 1 ]; then
	command -v valgrind >/dev/null ||
	    skip "no valgrind for CLIENTCPU_CALLGRIND=1"
	callgrind_table
fi
if [ "${CLIENTCPU_PERF:-0}" = 1 ]; then
	command -v perf >/dev/null || skip "no perf for CLIENTCPU_PERF=1"
	perf_runs
fi
if [ "${CLIENTCPU_STRACE:-0}" = 1 ]; then
	command -v strace >/dev/null || skip "no strace for CLIENTCPU_STRACE=1"
	strace_table
fi
