#!/bin/sh
# test/bench/dispatch.sh, which `make test` runs for the dispatcher's
# figures (P4 and the dispatch rate), prints both result lines on a small
# good run (the figures are not judged), and fails when pogo fails.
: "${POGO:?}" "${POGO_SRC:?}"
d=$(mktemp -d) || exit 1
trap 'rm -rf "$d"' EXIT
run() {
	DISPATCH_RUNS=1 DISPATCH_P4_HOSTS=10 DISPATCH_RATE_HOSTS=20 \
	    sh "$POGO_SRC/test/bench/dispatch.sh" "$@" >"$d/out" 2>&1
}
run "$POGO" || { cat "$d/out"; echo "bench-dispatch: a good run failed"; exit 1; }
grep -q '^P4 hosts=10 runs=1 one=[0-9.]*s daemons=[0-9.]*s ratio=' "$d/out" ||
    { cat "$d/out"; echo "bench-dispatch: no P4 figures"; exit 1; }
grep -q '^rate hosts=20 completed=[0-9]*/s .* per host' "$d/out" ||
    { cat "$d/out"; echo "bench-dispatch: no rate figures"; exit 1; }
printf '#!/bin/sh\nexit 1\n' >"$d/pogo"
chmod +x "$d/pogo"
chmod 755 "$d"
# Its logs are kept for the failure: in $d, removed with it.
TMPDIR=$d run "$d/pogo" &&
    { echo "bench-dispatch: a failing pogo passed"; exit 1; }
echo "bench-dispatch: figures printed; a failing pogo fails the run"
