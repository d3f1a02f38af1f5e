#!/bin/sh
# The whole test suite (`make test`, and so CI): set-up, the static build
# with its unit, end-to-end and check suites, the same suites under
# ASan+UBSan (clang), a fuzz smoke run, and the scheduler benchmark's
# figures.  Prints each stage's duration and a closing total line.
#
# A test that cannot run here (no root for a network namespace, no nft,
# nc, script or sudo) skips with exit 77.  With POGO_TEST_NO_SKIP=1 (set
# by .ci/run: in CI a skip is a failure) lib.sh and the unit harness turn
# a skip into a failure, and a test that ctest still reports as skipped
# counts as failed.
set -u
cd "$(dirname "$0")/.." || exit 1
JOBS=$(nproc 2>/dev/null || echo 2)
passed=0
failed=0
skipped=0
status=0
failed_stages=""
failed_list=$(mktemp "${TMPDIR:-/tmp}/pogo-failed.XXXXXX") || exit 1
trap 'rm -f "$failed_list"' EXIT
rm -f build-fuzz/smoke-failure.txt
start_all=$(date +%s)

stage() {
	name=$1
	shift
	t0=$(date +%s)
	echo "==== stage $name"
	"$@"
	rc=$?
	echo "==== stage $name: $(($(date +%s) - t0)) s, exit $rc"
	if [ $rc -ne 0 ] && [ "$name" != fanout ]; then
		status=1
		failed_stages="$failed_stages $name"
	fi
	return $rc
}

# ctest_run DIR LABEL-ARGS...: run ctest and add its counts to the total.
ctest_run() {
	dir=$1
	shift
	ctest --test-dir "$dir" --output-on-failure -j "$JOBS" \
	    --timeout 900 "$@" >"$dir/ctest-$$.log" 2>&1
	rc=$?
	cat "$dir/ctest-$$.log"
	line=$(grep -E 'tests passed, [0-9]+ tests failed out of' \
	    "$dir/ctest-$$.log" | tail -n1)
	tot=$(echo "$line" | sed -n 's/.*out of \([0-9]*\).*/\1/p')
	bad=$(echo "$line" | sed -n 's/.*passed, \([0-9]*\) tests failed.*/\1/p')
	# ctest counts a skipped test (exit 77) as passed and lists it
	# under "The following tests did not run" as "N - NAME (Skipped)".
	skip=$(grep -cE '^[[:space:]]+[0-9]+ - .* \(Skipped\)$' \
	    "$dir/ctest-$$.log")
	if [ -n "$tot" ] && [ -n "$bad" ]; then
		passed=$((passed + tot - bad - skip))
		failed=$((failed + bad))
	else
		failed=$((failed + 1))
	fi
	if [ "$skip" -gt 0 ]; then
		if [ "${POGO_TEST_NO_SKIP:-0}" = 1 ]; then
			echo "$skip skipped tests count as failed" \
			    "(POGO_TEST_NO_SKIP=1)"
			failed=$((failed + skip))
			rc=1
		else
			skipped=$((skipped + skip))
		fi
	fi
	# The failed tests' names (and, in CI, the skipped ones), printed
	# again at the end of the run.
	sed -n '/^The following tests FAILED:/,/^[^[:space:]]/p' \
	    "$dir/ctest-$$.log" | grep -E '^[[:space:]]+[0-9]+ - ' |
	    sed "s|^|$dir: |" >>"$failed_list"
	[ "${POGO_TEST_NO_SKIP:-0}" != 1 ] ||
	    grep -E '^[[:space:]]+[0-9]+ - .* \(Skipped\)$' \
	    "$dir/ctest-$$.log" | sed "s|^|$dir: |" >>"$failed_list"
	rm -f "$dir/ctest-$$.log"
	return $rc
}

# The fuzz targets, 18 s each, about 4 minutes in all: each starts from
# its committed seed corpus (test/fuzz/corpus/NAME, plus the scheduler test
# data for sched-config) with its dictionary; new inputs and any crash
# artefact go under build-fuzz/, never into the source tree.
FUZZ_TARGETS="range sched-config output prompt target resolver wire cfg http control box tls client"
fuzz_smoke() {
	for f in $FUZZ_TARGETS; do
		mkdir -p build-fuzz/corpus-$f
		# Artefacts of earlier runs are not this run's findings.
		rm -f build-fuzz/$f-crash-* build-fuzz/$f-oom-* \
		    build-fuzz/$f-timeout-* build-fuzz/$f-leak-* \
		    build-fuzz/$f-slow-unit-*
		extra=""
		[ "$f" != sched-config ] || extra=test/data/sched
		# -malloc_limit_mb bounds what one input may allocate at
		# once.  The resident size is the process's, ASan's
		# quarantine of freed memory (256 MB by default) included:
		# a run of fuzz-sched-config ended above 512 MB in its
		# closing leak check (25 MB live), so the quarantine is
		# kept small and the whole-process bound is 1 GB.
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=32 \
		./build-fuzz/fuzz-$f -max_total_time=18 -rss_limit_mb=1024 \
		    -malloc_limit_mb=64 -timeout=10 \
		    -dict=test/fuzz/$f.dict -artifact_prefix=build-fuzz/$f- \
		    -print_final_stats=0 build-fuzz/corpus-$f \
		    test/fuzz/corpus/$f $extra 2>build-fuzz/fuzz-$f.log || {
			# Printed here, and again at the very end of the run,
			# where a reader of only the log's tail sees it.
			tail -n 40 build-fuzz/fuzz-$f.log |
			    tee build-fuzz/smoke-failure.txt
			for a in build-fuzz/$f-*; do
				[ -f "$a" ] || continue
				echo "artefact $a (base64):"
				base64 -w 76 "$a" | head -n 40
			done | tee -a build-fuzz/smoke-failure.txt
			return 1
		}
		echo "fuzz-$f: $(grep -E '^#[0-9]+.*DONE|Done [0-9]+ runs' \
		    build-fuzz/fuzz-$f.log | tail -n1)"
	done
}

# The closing lines: totals, and what failed, where a reader of only the
# log's tail sees it.
summary() {
	echo "==== all stages: $(($(date +%s) - start_all)) s"
	if [ -n "$failed_stages" ]; then
		if [ -f build-fuzz/smoke-failure.txt ]; then
			echo "---- the fuzz smoke's failure, again:"
			tail -n 60 build-fuzz/smoke-failure.txt
		fi
		if [ -s "$failed_list" ]; then
			echo "---- failed tests:"
			cat "$failed_list"
		fi
		echo "failed stages:$failed_stages"
	fi
	echo "total: $passed passed, $failed failed, $skipped skipped"
}

stage deps sh third_party/deps.sh "$PWD/build/third_party" ||
    { summary; exit 1; }
stage build make build || { summary; exit 1; }
stage unit ctest_run build -L unit
stage e2e ctest_run build -L e2e
stage checks ctest_run build -L check
stage build-asan make build-asan || { summary; exit 1; }
stage unit-asan ctest_run build-asan -L unit
stage e2e-asan ctest_run build-asan -L e2e
stage build-fuzz make build-fuzz && stage fuzz-smoke fuzz_smoke
stage bench sh test/bench/sched.sh build/bench-sched
# The dispatcher's figures (P4: dispatcher + 2 workers against pogo one;
# the dispatch rate and the store's size per host).  The rate run is
# bounded to 5,000 hosts here to keep the stage to minutes; README's
# figure is the 20,000 of the issue (DISPATCH_RATE_HOSTS=20000).
# P4 runs 5 interleaved rounds (the script's default is 3): its two walls
# are about a second each, so one slow round moves a median of 3.
stage bench-dispatch env DISPATCH_RATE_HOSTS=${DISPATCH_RATE_HOSTS:-5000} \
    DISPATCH_RUNS=${DISPATCH_RUNS:-5} nice sh test/bench/dispatch.sh build/pogo
# The cost of TLS (P4 with TLS against without; handshakes per second of
# 200 reconnecting workers).  P4 runs on the issue's 2,000 hosts with 5
# interleaved rounds (about a minute): at 500 hosts and 3 rounds its
# walls were 0.3 s and the ratio moved over 0.84-1.19 between runs of
# the same code (2026-11-27/28); 2,000 hosts and 5 rounds gave 1.01.
stage bench-tls env TLS_P4_HOSTS=${TLS_P4_HOSTS:-2000} \
    TLS_RUNS=${TLS_RUNS:-5} nice sh test/bench/tls.sh build/pogo
# The API's figures (issue 11): GET /v1/jobs/:id/hosts of a 10,000-host
# job by wrk at 64 connections through pogo api (plain and TLS) and
# direct, and the log?wait wake-up latency of 200 followers; about 3
# minutes.
stage bench-api nice sh test/bench/api.sh build/pogo
# Measurements, side by side with pdsh, ClusterShell and parallel-ssh:
# printed, and not part of the pass/fail count.  11 rounds (about 17
# minutes): one round's ratio of sshd's CPU with pogo to that with a
# peer ranges over 0.8-1.25 on these machines, so a median of 5 moved by
# about 0.05 from run to run, as much as issue 8's margin (1.05); 11
# narrow that by about 1.5 (to about 0.035), not to nothing.
stage fanout env FANOUT_RUNS=${FANOUT_RUNS:-11} \
    sh test/bench/fanout.sh build/pogo || status=$status
summary
[ $failed -eq 0 ] || status=1
exit $status
