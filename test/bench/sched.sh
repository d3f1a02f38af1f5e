#!/bin/sh
# The scheduler benchmark (test/bench/README.md): a generated fleet of 10k,
# 100k and 1M hosts, three sequences and per-value percentage constraints;
# schedule plus a complete simulated run.  Prints each run and the
# median-based scaling ratio; it measures, it does not judge.
BENCH=${1:-build/bench-sched}
for n in 10000 100000 1000000; do
	for i in 1 2 3; do
		"$BENCH" "$n" || exit 1
	done | sort -t= -k7,7g | tee /tmp/pogo-bench-$$.$n | sed -n 2p
done
m1=$(sed -n 2p /tmp/pogo-bench-$$.100000 | sed -n 's/.*total=\([0-9.]*\)s.*/\1/p')
m2=$(sed -n 2p /tmp/pogo-bench-$$.1000000 | sed -n 's/.*total=\([0-9.]*\)s.*/\1/p')
rm -f /tmp/pogo-bench-$$.*
echo "median time(1M) / time(100k) = $(echo "$m2 $m1" | awk '{printf "%.1f", $1 / $2}')"
