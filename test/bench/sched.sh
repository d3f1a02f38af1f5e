#!/bin/sh
# The scheduler benchmark (test/bench/README.md): a generated fleet of 10k,
# 100k and 1M hosts, three sequences and per-value percentage constraints;
# schedule plus a complete simulated run.  Three runs per size; prints the
# median run of each size and the scaling ratio of the medians and of the
# fastest runs.  It measures; it does not judge.
BENCH=${1:-build/bench-sched}
for n in 10000 100000 1000000; do
	for i in 1 2 3; do
		"$BENCH" "$n" || exit 1
	done | sort -t= -k7,7g >/tmp/pogo-bench-$$.$n
	sed -n 2p /tmp/pogo-bench-$$.$n
done
tot() { sed -n "$1p" "$2" | sed -n 's/.*total=\([0-9.]*\)s.*/\1/p'; }
echo "time(1M) / time(100k): medians $(echo "$(tot 2 /tmp/pogo-bench-$$.1000000) $(tot 2 /tmp/pogo-bench-$$.100000)" | awk '{printf "%.1f", $1 / $2}'), fastest runs $(echo "$(tot 1 /tmp/pogo-bench-$$.1000000) $(tot 1 /tmp/pogo-bench-$$.100000)" | awk '{printf "%.1f", $1 / $2}')"
rm -f /tmp/pogo-bench-$$.*
