#!/bin/sh
# P-1 .. P-12: pogo schedule prints the SPEC's tables byte for byte.  Each
# test/data/sched/NAME.yaml has NAME.expected and maybe NAME.targets.
. "$(dirname "$0")/lib.sh"
e2e_init

n=0
for cfg in "$POGO_SRC"/test/data/sched/*.yaml; do
	name=${cfg%.yaml}
	if [ -f "$name.targets" ]; then
		"$POGO" schedule "$cfg" --targets "$(cat "$name.targets")" \
		    >"$T/out" 2>"$T/err"
	else
		"$POGO" schedule "$cfg" >"$T/out" 2>"$T/err"
	fi
	rc=$?
	[ $rc -eq 0 ] || fail "$(basename "$cfg"): exit $rc: $(cat "$T/err")"
	[ -s "$T/err" ] && fail "$(basename "$cfg"): stderr not empty"
	if ! cmp -s "$T/out" "$name.expected"; then
		diff -u "$name.expected" "$T/out"
		fail "$(basename "$cfg"): table differs"
	fi
	n=$((n + 1))
done
[ $n -ge 11 ] || fail "only $n golden files"

# The README example (SPEC 4.3) is the first golden file, also in examples/.
"$POGO" schedule "$POGO_SRC/examples/triple.yaml" >"$T/out" ||
    fail "examples/triple.yaml"
cmp -s "$T/out" "$POGO_SRC/test/data/sched/p01-triple.expected" ||
    fail "examples/triple.yaml differs from P-1"

# --targets takes @FILE too.
printf 'host1\n# comment\n\nhost5,host9\nhostx\n' >"$T/targets"
"$POGO" schedule "$POGO_SRC/test/data/sched/p11-targets.yaml" \
    --targets "@$T/targets" >"$T/out" || fail "@FILE"
cmp -s "$T/out" "$POGO_SRC/test/data/sched/p11-targets.expected" ||
    fail "@FILE table differs"
# --targets=LIST works as well as --targets LIST.
"$POGO" schedule --targets=host1,host5,host9,hostx \
    "$POGO_SRC/test/data/sched/p11-targets.yaml" >"$T/out" || fail "--targets="
cmp -s "$T/out" "$POGO_SRC/test/data/sched/p11-targets.expected" ||
    fail "--targets= table differs"
echo "PASS $E2E_NAME ($n tables)"
