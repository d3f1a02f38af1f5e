#!/bin/sh
# test/bench/tls.sh, which `make test` runs for the figures of TLS (P4
# with TLS against without; handshakes per second of reconnecting
# workers), prints its result lines on a small good run (the figures are
# not judged), and fails when pogo fails.
: "${POGO:?}" "${POGO_SRC:?}"
d=$(mktemp -d) || exit 1
trap 'rm -rf "$d"' EXIT
run() {
	TLS_RUNS=1 TLS_P4_HOSTS=10 TLS_HS_WORKERS=5 TLS_HS_ROUNDS=1 \
	    sh "$POGO_SRC/test/bench/tls.sh" "$@" >"$d/out" 2>&1
}
run "$POGO" || { cat "$d/out"; echo "bench-tls: a good run failed"; exit 1; }
grep -q '^P4-TLS hosts=10 runs=1 plain=[0-9.]*s tls=[0-9.]*s ratio=' "$d/out" ||
    { cat "$d/out"; echo "bench-tls: no P4 figures"; exit 1; }
if [ "$(id -u)" = 0 ]; then
	grep -q '^handshakes workers=5 rounds=1 plain=[-0-9.]*/s tls=[-0-9.]*/s' \
	    "$d/out" || { cat "$d/out"; echo "bench-tls: no handshake figures"; exit 1; }
else
	grep -q '^handshakes: not measured' "$d/out" ||
	    { cat "$d/out"; echo "bench-tls: no word on the handshakes"; exit 1; }
fi
printf '#!/bin/sh\nexit 1\n' >"$d/pogo"
chmod +x "$d/pogo"
chmod 755 "$d"
# Its logs are kept for the failure: in $d, removed with it.
TMPDIR=$d run "$d/pogo" &&
    { echo "bench-tls: a failing pogo passed"; exit 1; }
echo "bench-tls: figures printed; a failing pogo fails the run"
