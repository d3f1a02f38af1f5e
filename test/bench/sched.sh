#!/bin/sh
# The scheduler benchmark (test/bench/README.md): a generated fleet of 10k,
# 100k and 1M hosts, three sequences and per-value percentage constraints;
# schedule plus a complete simulated run.  Three runs per size; prints the
# median run of each size and the scaling ratio of the medians and of the
# fastest runs.  The timings are figures, not judged; but a run that
# crashes, reports an incomplete schedule or prints no result line fails
# the script (exit 1), and with it `make test` (test/check/bench.sh).
BENCH=${1:-build/bench-sched}
SIZES=${POGO_BENCH_SIZES:-10000 100000 1000000}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pogo-bench.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
for n in $SIZES; do
	for i in 1 2 3; do
		# Not in a pipeline: the exit status must reach this shell.
		if ! "$BENCH" "$n" >>"$tmp/$n.raw" 2>"$tmp/err"; then
			cat "$tmp/err" >&2
			echo "bench: $BENCH $n failed (run $i)" >&2
			exit 1
		fi
	done
	c=$(grep -c "^hosts=$n .*total=[0-9.]*s" "$tmp/$n.raw")
	if [ "$c" != 3 ]; then
		cat "$tmp/$n.raw" >&2
		echo "bench: $n hosts: $c result lines of 3" >&2
		exit 1
	fi
	sort -t= -k7,7g "$tmp/$n.raw" >"$tmp/$n"
	sed -n 2p "$tmp/$n"
done
tot() { sed -n "$1p" "$2" | sed -n 's/.*total=\([0-9.]*\)s.*/\1/p'; }
if [ -f "$tmp/1000000" ] && [ -f "$tmp/100000" ]; then
	echo "time(1M) / time(100k): medians $(echo "$(tot 2 "$tmp/1000000") $(tot 2 "$tmp/100000")" | awk '{printf "%.1f", $1 / $2}'), fastest runs $(echo "$(tot 1 "$tmp/1000000") $(tot 1 "$tmp/100000")" | awk '{printf "%.1f", $1 / $2}')"
fi
exit 0
