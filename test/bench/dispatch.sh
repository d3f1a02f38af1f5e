#!/bin/sh
# Dispatcher benchmarks (issue 9, Performance; test/bench/README.md):
#   P4    DISPATCH_P4_HOSTS (2,000) `local` hosts running `true` through a
#         `pogo dispatcher` and 2 `pogo worker`s (real processes on
#         loopback; the job is submitted to the control port and its end
#         polled there) against `pogo one --local` on the same hosts, at the
#         same concurrency (pogo one's --concurrency DISPATCH_CONCURRENCY,
#         256; each worker's max_tasks half of it).  DISPATCH_RUNS (3)
#         rounds, interleaved, the order swapped every round; prints both
#         walls' medians and their ratio (target: at most 1.2), then the
#         medians of the CPU each side spent (pogo one's, the dispatcher's
#         and the workers', the commands included), whose ratio predicts
#         the walls' on an idle 2-core machine, where both sides are
#         CPU-bound, and holds better than the walls' on a busy one.
#   rate  DISPATCH_RATE_HOSTS (20,000) `local` hosts running `true` on 4
#         workers (max_tasks 256 each), one run: tasks dispatched and
#         completed per second, and the store's size per host (pogo.db and
#         its WAL once the job has ended).  DISPATCH_RATE_HOSTS=0 skips
#         it (P4 alone, while iterating).
# A wall runs from the submission (the dispatcher's answer) to the first
# poll that sees the job finished (every 0.05 s over one kept-alive
# connection); pogo one's from its start to its exit.  The daemons start
# before the clock does.  The figures are printed, not judged; a run that
# fails (a host not finished, a daemon gone, no figure) fails the script.
# Usage: test/bench/dispatch.sh [build/pogo]
set -u
. "$(dirname "$0")/lib.sh"
bench_root "$@"
RUNS=${DISPATCH_RUNS:-3}
P4_HOSTS=${DISPATCH_P4_HOSTS:-2000}
RATE_HOSTS=${DISPATCH_RATE_HOSTS:-20000}
CONC=${DISPATCH_CONCURRENCY:-256}

bench_init dispatch-bench
. test/bench/daemons.sh

# run_one HOSTS: one P4 run of pogo one; appends its wall to $T/p4-one
# and its CPU, the commands' included, to $T/p4-one-cpu.
run_one() {
	t0=$(date +%s.%N)
	python3 -c 'import resource, subprocess, sys
r = subprocess.run(sys.argv[2:]).returncode
u = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "a").write("%.2f\n" % (u.ru_utime + u.ru_stime))
sys.exit(r)' "$T/p4-one-cpu" \
	    "$POGO" one --local --targets "h[1-$1]" --run-command true \
	    --concurrency "$CONC" >"$T/one.out" 2>"$T/one.log" ||
	    fail "pogo one failed"
	t1=$(date +%s.%N)
	grep -q "^$1 hosts: $1 ok, 0 failed" "$T/one.log" ||
	    fail "pogo one: $(tail -n 1 "$T/one.log")"
	w=$(echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }')
	echo "$w" >>"$T/p4-one"
	echo "  pogo one --local: $w s (CPU $(tail -n 1 "$T/p4-one-cpu") s)"
}

echo "P4: $P4_HOSTS local hosts, true, concurrency $CONC, $RUNS rounds" \
    "(load average $(cut -d' ' -f1-3 /proc/loadavg))"
rounds "$RUNS" run_one "run_daemons plain" "$P4_HOSTS"
mo=$(median <"$T/p4-one")
md=$(median <"$T/p4-daemons")
echo "P4 hosts=$P4_HOSTS runs=$RUNS one=${mo}s daemons=${md}s" \
    "ratio=$(ratio "$md" "$mo")" \
    "(medians; target ratio <= 1.2)"
co=$(median <"$T/p4-one-cpu")
cd=$(median <"$T/p4-daemons-cpu")
echo "P4 cpu one=${co}s daemons=${cd}s ratio=$(ratio "$cd" "$co")" \
    "(medians, the commands included)"

[ "$RATE_HOSTS" = 0 ] && exit 0
echo "rate: $RATE_HOSTS local hosts, true, 4 workers of max_tasks 256" \
    "(load average $(cut -d' ' -f1-3 /proc/loadavg))"
daemons 4 256
out=$(drive "$RATE_HOSTS" 3600) ||
    fail "the rate run failed: $out"
dcpu=$(cpu "$DPID")
# The store once the job is over: the database and its WAL.
bytes=0
for f in "$STATE/pogo.db" "$STATE/pogo.db-wal"; do
	[ -f "$f" ] && bytes=$((bytes + $(wc -c <"$f")))
done
stop_daemons
echo "$out" | awk -v n="$RATE_HOSTS" -v b="$bytes" -v c="$dcpu" '{
    printf "rate hosts=%d completed=%.0f/s dispatched=%.0f/s wall=%.3fs" \
        " dispatcher_cpu=%ss store=%d bytes (%.0f per host)\n",
        n, n / $1, n / $2, $1, c, b, b / n }'
