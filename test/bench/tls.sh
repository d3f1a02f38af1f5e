#!/bin/sh
# TLS benchmarks (issue 10, Performance; test/bench/README.md), with
# certificates from `pogo ca` (test/e2e/tls.sh's make_certs):
#   P4    TLS_P4_HOSTS (2,000) `local` hosts running `true` through a
#         `pogo dispatcher` and 2 `pogo worker`s (max_tasks
#         TLS_CONCURRENCY / 2 each, 128) with TLS on the worker port (and
#         the control port: both follow tls.cert) against the same without
#         TLS.  TLS_RUNS (3) rounds, interleaved, the order swapped every
#         round; prints both walls' medians and their ratio (target: at
#         most 1.1).  The job is submitted and polled as dispatch.sh does
#         (test/bench/daemons.sh), over HTTPS with TLS.
#   handshakes  TLS_HS_WORKERS (200) `pogo worker` processes connected to
#         one dispatcher; every connection is cut at once on the
#         dispatcher's side (`ss -K`: the dispatcher sees its sockets
#         aborted, each worker a reset) and every worker connects again,
#         with a new handshake, greeting and hello.  TLS_HS_ROUNDS (3)
#         rounds of a fresh plain fleet and a fresh TLS fleet, the order
#         swapped every round, one cut per fleet (a worker whose session
#         lasted less than the 30 s ping interval waits a backoff that
#         doubles from 100 ms with every such cut: a second cut would not
#         start from the same state).  Per cut, from the dispatcher's log:
#         reconnections per second over the wave (the hellos after the
#         first, over the time from the first hello to the last: the
#         delay before the first, the workers' backoff, is left out), the
#         time from the cut until every worker said hello again, and the
#         dispatcher's CPU per reconnection; medians of both modes.
#         Needs root (ss -K; a kernel with CONFIG_INET_DIAG_DESTROY);
#         without root it is not measured, and says so.  The number of
#         workers is lowered to fit the limits of open files and of
#         processes (ulimit -n, -u), and the script says so.
# The figures are printed, not judged; a run that fails (a host not
# finished, a daemon gone, a worker not back within the time bound) fails
# the script.
# Usage: test/bench/tls.sh [build/pogo]
set -u
. "$(dirname "$0")/lib.sh"
bench_root "$@"
RUNS=${TLS_RUNS:-3}
P4_HOSTS=${TLS_P4_HOSTS:-2000}
CONC=${TLS_CONCURRENCY:-256}
HS_WORKERS=${TLS_HS_WORKERS:-200}
HS_ROUNDS=${TLS_HS_ROUNDS:-3}

bench_init tls-bench
. test/bench/daemons.sh
. test/e2e/tls.sh
POGO_CA=$POGO make_certs

echo "P4: $P4_HOSTS local hosts, true, 2 workers of max_tasks $((CONC / 2))," \
    "plain against TLS, $RUNS rounds" \
    "(load average $(cut -d' ' -f1-3 /proc/loadavg))"
rounds "$RUNS" "run_daemons plain" "run_daemons tls" "$P4_HOSTS"
mp=$(median <"$T/p4-daemons")
mt=$(median <"$T/p4-daemons-tls")
echo "P4-TLS hosts=$P4_HOSTS runs=$RUNS plain=${mp}s tls=${mt}s" \
    "ratio=$(ratio "$mt" "$mp") (medians; target ratio <= 1.1)"

# hellos_since LINE: the dispatcher's log has $NW hellos after LINE.
hellos_since() {
	[ "$(tail -n "+$(($1 + 1))" "$T/dispatcher.log" |
	    grep -c ': hello (')" -ge "$NW" ]
}

# wave LINE: the hellos after LINE, per second from the first to the last
# (the log's millisecond timestamps, 2026-11-26T22:00:00.123Z ...).
wave() {
	tail -n "+$(($1 + 1))" "$T/dispatcher.log" | grep ': hello (' |
	    awk '{ split(substr($1, 12, 12), t, ":")
	        s = t[1] * 3600 + t[2] * 60 + t[3]
	        if (NR == 1) f = s
	        if (s < f) s += 86400
	        l = s }
	    END { if (l > f) printf "%.1f", (NR - 1) / (l - f); else print "-" }'
}

# hs_fleet MODE: a fleet of $HS_WORKERS workers (plain or tls), cut once;
# appends the wave's rate to $T/hs-MODE, the time until every worker is
# back to $T/back-MODE and the dispatcher's CPU per reconnection (ms) to
# $T/cpu-MODE.
hs_fleet() {
	daemons "$HS_WORKERS" 1 "$1"
	n0=$(wc -l <"$T/dispatcher.log")
	c0=$(cpu "$DPID")
	t0=$(date +%s.%N)
	k=$(ss -tnHK state established "( sport = :${WP##*:} )" | wc -l)
	[ "$k" = "$NW" ] || fail "ss -K cut $k of the $NW connections" \
	    "(it needs a kernel with CONFIG_INET_DIAG_DESTROY)"
	wait_for $((120 + NW)) "$NW workers back" hellos_since "$n0"
	t1=$(date +%s.%N)
	c1=$(cpu "$DPID")
	rate=$(wave "$n0")
	back=$(echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }')
	ms=$(echo "$c0 $c1 $NW" | awk '{ printf "%.2f", ($2 - $1) * 1000 / $3 }')
	[ "$rate" = - ] || echo "$rate" >>"$T/hs-$1"
	echo "$back" >>"$T/back-$1"
	echo "$ms" >>"$T/cpu-$1"
	capped=""
	tail -n "+$((n0 + 1))" "$T/dispatcher.log" |
	    grep -q 'have not said hello yet' &&
	    capped=" (the cap on unfinished handshakes was reached)"
	echo "  $1: $rate reconnections/s over the wave, all back after" \
	    "$back s, dispatcher CPU $ms ms each$capped"
	stop_daemons
}

if [ "$(id -u)" != 0 ]; then
	echo "handshakes: not measured (ss -K, which cuts the connections," \
	    "needs root)"
	exit 0
fi
# The dispatcher holds a descriptor per worker plus its own (listeners,
# store, log: 64 is ample); each worker is a process.
limit() {
	awk -v w="$1" '$0 ~ "^Max " w " " { print $(NF - 2) }' /proc/self/limits
}
nofile=$(limit "open files")
nproc=$(limit processes)
budget=$HS_WORKERS
[ "$nofile" = unlimited ] || [ $((nofile - 64)) -ge "$budget" ] ||
    budget=$((nofile - 64))
[ "$nproc" = unlimited ] || [ $((nproc / 2)) -ge "$budget" ] ||
    budget=$((nproc / 2))
[ "$budget" -ge 2 ] || fail "too few workers allowed: $budget"
[ "$budget" = "$HS_WORKERS" ] || {
	echo "handshakes: $budget workers, not $HS_WORKERS: the limits are" \
	    "$nofile open files, $nproc processes"
	HS_WORKERS=$budget
}
echo "handshakes: $HS_WORKERS workers, plain against TLS, $HS_ROUNDS" \
    "rounds (load average" \
    "$(cut -d' ' -f1-3 /proc/loadavg))"
rounds "$HS_ROUNDS" "hs_fleet plain" "hs_fleet tls"
for m in plain tls; do
	[ -s "$T/hs-$m" ] || echo "-" >"$T/hs-$m"
done
echo "handshakes workers=$HS_WORKERS rounds=$HS_ROUNDS" \
    "plain=$(median <"$T/hs-plain")/s tls=$(median <"$T/hs-tls")/s" \
    "back plain=$(median <"$T/back-plain")s tls=$(median <"$T/back-tls")s" \
    "dispatcher_cpu plain=$(median <"$T/cpu-plain")ms" \
    "tls=$(median <"$T/cpu-tls")ms (medians; reconnections per second" \
    "over the wave, the time until all are back, CPU per reconnection)"
