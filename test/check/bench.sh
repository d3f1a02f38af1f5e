#!/bin/sh
# test/bench/sched.sh, which `make test` runs for the scheduler's figures,
# fails on a crashed, incomplete or silent benchmark run, and passes on a
# good one (one small size here; the figures are not judged).
: "${POGO_BENCH:?}" "${POGO_SRC:?}"
d=$(mktemp -d) || exit 1
trap 'rm -rf "$d"' EXIT
run() {
	POGO_BENCH_SIZES=10000 sh "$POGO_SRC/test/bench/sched.sh" "$@" \
	    >"$d/out" 2>"$d/err"
}
run "$POGO_BENCH" || { cat "$d/out" "$d/err"; echo "bench: a good run failed"; exit 1; }
grep -q '^hosts=10000 ' "$d/out" || { echo "bench: no figures"; exit 1; }
for f in crash drop; do
	POGO_BENCH_FAULT=$f run "$POGO_BENCH" &&
	    { echo "bench: POGO_BENCH_FAULT=$f passed"; exit 1; }
done
grep -q 'run incomplete' "$d/err" || { cat "$d/err"; echo "bench: no 'run incomplete'"; exit 1; }
run "$d/no-such-bench" && { echo "bench: a missing binary passed"; exit 1; }
printf '#!/bin/sh\nexit 0\n' >"$d/silent"
chmod +x "$d/silent"
run "$d/silent" && { echo "bench: a run without figures passed"; exit 1; }
echo "bench: crashed, incomplete, missing and silent runs fail"
