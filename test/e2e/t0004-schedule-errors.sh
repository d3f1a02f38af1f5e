#!/bin/sh
# P-10 and SPEC 2.11: every configuration error is reported on stderr with
# its exact message, nothing is printed on stdout, and the exit status is 2.
. "$(dirname "$0")/lib.sh"
e2e_init

# expect_error NAME EXPECTED-STDERR-LINE [pogo schedule arguments...]
expect_error() {
	name=$1
	want=$2
	shift 2
	"$POGO" schedule "$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc -eq 2 ] || fail "$name: exit $rc, expected 2"
	[ -s "$T/out" ] && fail "$name: stdout not empty"
	got=$(cat "$T/err")
	[ "$got" = "$want" ] || fail "$name: stderr '$got', expected '$want'"
}

expect_error "no argument" \
    "usage: pogo schedule CONFIG [--targets LIST] [--resolver-path PATH]"
expect_error "two arguments" \
    "usage: pogo schedule CONFIG [--targets LIST] [--resolver-path PATH]" \
    a b

printf 'sequence: [a]\n' >"$T/notag.yaml"
expect_error "no tag" "Improper config file: No tag" "$T/notag.yaml"

printf 'tag:\n  a: [b\n  c: d\n' >"$T/syntax.yaml"
"$POGO" schedule "$T/syntax.yaml" >"$T/out" 2>"$T/err"
expect_eq "syntax status" $? 2
[ -s "$T/out" ] && fail "syntax: stdout not empty: $(cat "$T/out")"
grep -q '^line [0-9]*, column [0-9]*: ' "$T/err" || fail "no line in: $(cat "$T/err")"

printf 'tag: {t: {a: 1}, t: {b: 2}}\n' >"$T/dup.yaml"
expect_error "duplicate" "line 1, column 18: duplicate key 't'" "$T/dup.yaml"
printf 'tag:\nconstraint:\n  $g: {max: 1}\n' >"$T/field.yaml"
expect_error "field" "line 3, column 8: unknown constraint field 'max'" \
    "$T/field.yaml"
printf 'tag:\nconstraint:\n  $g: {}\n' >"$T/mand.yaml"
expect_error "mandatory" \
    "line 3, column 7: mandatory parameter max_parallel not set" "$T/mand.yaml"
for v in 0 -1 1.5 x 0% 101%; do
	printf 'tag:\nconstraint:\n  $g: {max_parallel: "%s"}\n' "$v" \
	    >"$T/mp.yaml"
	expect_error "max_parallel $v" \
	    "line 3, column 22: invalid max_parallel '$v'" "$T/mp.yaml"
done
printf 'tag: {t: ["h[a]"]}\n' >"$T/range.yaml"
expect_error "range" "line 1, column 11: invalid range pattern 'h[a]'" \
    "$T/range.yaml"
# An absurd range is refused, not an out-of-memory crash.
printf 'tag: {t: ["h[1-99999999999]"]}\n' >"$T/huge.yaml"
expect_error "huge range" \
    "line 1, column 11: invalid range pattern 'h[1-99999999999]'" \
    "$T/huge.yaml"

printf 'tag: {t: [a]}\n' >"$T/ok.yaml"
expect_error "bad target" "invalid host name 'a;b'" "$T/ok.yaml" \
    --targets 'a;b'
expect_error "bad target range" "invalid range pattern 'h[3-1]'" \
    "$T/ok.yaml" --targets 'h[3-1]'

# Input bounded before it is allocated (issue 7, section 5): a pattern over
# the job's 1,000,000-host cap, or a configuration tag over the
# configuration's cap, is refused by counting, in a few MB, with exit 2.
[ -x /usr/bin/time ] || fail "no /usr/bin/time (apt-get install time)"
# bounded NAME EXPECTED-STDERR-LINE pogo-arguments...
bounded() {
	name=$1
	want=$2
	shift 2
	/usr/bin/time -f %M -o "$T/rss" "$POGO" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc -eq 2 ] || fail "$name: exit $rc, expected 2"
	[ -s "$T/out" ] && fail "$name: stdout not empty"
	got=$(cat "$T/err")
	[ "$got" = "$want" ] || fail "$name: stderr '$got', expected '$want'"
	kb=$(tail -n 1 "$T/rss")
	[ "$kb" -lt 51200 ] || fail "$name: peak RSS $kb KiB, expected < 50 MiB"
}
big='h[1-3000]x[1-3000]'
bounded "one --targets $big" \
    "invalid range pattern '$big': a job has at most 1000000 hosts" \
    one --targets "$big" --run-command true --local
bounded "schedule --targets $big" \
    "invalid range pattern '$big': a job has at most 1000000 hosts" \
    schedule "$T/ok.yaml" --targets "$big"
printf 'tag: {t: ["h[1-9999999]"]}\n' >"$T/bigtag.yaml"
bounded "config tag h[1-9999999]" \
    "line 1, column 11: invalid range pattern 'h[1-9999999]': more than 1000000 hosts in the configuration" \
    schedule "$T/bigtag.yaml"

"$POGO" schedule "$T/missing.yaml" >"$T/out" 2>"$T/err"
expect_eq "missing file status" $? 2
[ -s "$T/out" ] && fail "missing file: stdout not empty"
grep -q 'missing.yaml: No such file' "$T/err" || fail "missing file message"
# A binary file is an error, not a crash.
head -c 4096 "$POGO" >"$T/binary.yaml"
"$POGO" schedule "$T/binary.yaml" >"$T/out" 2>"$T/err"
expect_eq "binary file status" $? 2
[ -s "$T/out" ] && fail "binary file: stdout not empty"
echo "PASS $E2E_NAME"
