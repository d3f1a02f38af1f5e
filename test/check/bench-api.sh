#!/bin/sh
# test/bench/api.sh, which `make test` runs for the figures of the API
# (wrk on GET /v1/jobs/:id/hosts through pogo api and direct; log?wait
# wake-up latency of long-poll followers), prints its result lines on a
# small good run (the figures are not judged), and fails when pogo fails.
: "${POGO:?}" "${POGO_SRC:?}"
d=$(mktemp -d) || exit 1
trap 'rm -rf "$d"' EXIT
run() {
	APIBENCH_HOSTS=300 APIBENCH_CONNS=4 APIBENCH_SECS=1 APIBENCH_WARMUP=1 \
	    APIBENCH_FOLLOWERS=5 APIBENCH_WAKE_SECS=2 \
	    sh "$POGO_SRC/test/bench/api.sh" "$@" >"$d/out" 2>&1
}
run "$POGO" || { cat "$d/out"; echo "bench-api: a good run failed"; exit 1; }
for l in 'reads api ' 'reads direct ' 'reads api-tls ' 'wake api ' \
    'wake direct '; do
	grep -q "^$l.*p50=" "$d/out" ||
	    { cat "$d/out"; echo "bench-api: no line '$l'"; exit 1; }
done
printf '#!/bin/sh\nexit 1\n' >"$d/pogo"
chmod +x "$d/pogo"
chmod 755 "$d"
# Its logs are kept for the failure: in $d, removed with it.
TMPDIR=$d run "$d/pogo" &&
    { echo "bench-api: a failing pogo passed"; exit 1; }
echo "bench-api: figures printed; a failing pogo fails the run"
