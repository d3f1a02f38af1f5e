#!/bin/sh
# pogo one on its dispatcher and worker (issue 9, SPEC 1.4, 12.2): the
# job is submitted and followed from the store as pogo submit --follow
# will.  What a user sees is what the in-process job showed (that path
# went on 2026-11-27): stderr holds the summary alone (no info line of
# the dispatcher or the worker), the targets run in the order given
# (@FILE included, repeats dropped), --output-dir files hold the exact
# bytes printed (a partial last line, a line left waiting 0.5 s), and
# the exit status.
. "$(dirname "$0")/lib.sh"
e2e_init
cd "$T" || exit 1

one() {
	name=$1
	want=$2
	shift 2
	"$POGO" one "$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" = "$want" ] ||
	    fail "$name: exit $rc, expected $want: $(cat "$T/err")"
}

# The summary alone on stderr, the lines of each host on stdout.
one summary 1 --local --targets h1,h2,h3 \
    --run-command 'test "$POGO_HOST" != h2 || exit 3'
grep -qx 'h2: Failed (rc=3)' "$T/out" || fail "h2: $(cat "$T/out")"
grep -qx 'h1: Success' "$T/out" || fail "h1: $(cat "$T/out")"
grep -qx 'h3: Success' "$T/out" || fail "h3: $(cat "$T/out")"
expect_eq "stderr lines" "$(wc -l <"$T/err")" 1
grep -Eqx '3 hosts: 2 ok, 1 failed, 0 unreachable in [0-9]+\.[0-9] s' \
    "$T/err" || fail "summary: $(cat "$T/err")"

# The targets in the order given: a file, then a range, repeats dropped;
# one at a time, they run in that order.
printf 'zeta\nalpha\n# a comment\nmid\n' >"$T/hosts"
one order 0 --local --concurrency 1 --targets "@$T/hosts" \
    --targets 'beta,alpha,zeta,b[1-2]' --run-command true
grep ': Running target$' "$T/out" | sed 's/: .*//' >"$T/order"
printf 'zeta\nalpha\nmid\nbeta\nb1\nb2\n' >"$T/want"
cmp -s "$T/order" "$T/want" ||
    { diff "$T/want" "$T/order"; fail "target order"; }

# Exact bytes in --output-dir: a partial last line, and a line that
# waited 0.5 s before its end came.
mkdir "$T/od"
one output-dir 0 --local --targets p1,p2 --output-dir "$T/od" \
    --run-command 'if [ "$POGO_HOST" = p1 ]; then printf "one\ntwo";
    else printf wait; sleep 1; echo ed; printf x; fi'
printf 'one\ntwo' >"$T/want1"
printf 'waited\nx' >"$T/want2"
cmp -s "$T/od/p1.0.txt" "$T/want1" || fail "p1: $(od -c "$T/od/p1.0.txt")"
cmp -s "$T/od/p2.0.txt" "$T/want2" || fail "p2: $(od -c "$T/od/p2.0.txt")"

echo "PASS $E2E_NAME"
