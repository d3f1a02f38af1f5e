#!/bin/sh
# pogo one: nothing lost, nothing misreported (issue 7, section 2), with
# the local executor: --output-dir keeps every host's file.
. "$(dirname "$0")/lib.sh"
e2e_init
cd "$T" || exit 1

# one NAME EXPECTED-EXIT ARGS...: run pogo one, keep out and err.
one() {
	name=$1
	want=$2
	shift 2
	"$POGO" one "$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" = "$want" ] || fail "$name: exit $rc, expected $want: $(head -c 2000 "$T/err")"
}

# An empty or blank --run-command is a missing one.
for cmd in '' ' ' "$(printf ' \t\n')"; do
	one blank-command 2 --local --targets h1 --run-command "$cmd"
	expect_eq "blank-command" "$(cat "$T/err")" \
	    "Mandatory parameter run-command missing"
	[ -s "$T/out" ] && fail "blank-command: stdout not empty"
done

# Repeated --targets: the union, first occurrence first (SPEC 5.2).  One
# host at a time, so the lines come in the hosts' order, not in the order
# three concurrent commands happen to end (a1 b1 a2 once in CI).
one targets-union 0 --local --concurrency 1 --targets 'a[1-2]' \
    --targets a2,b1 --run-command true
expect_eq "targets-union" "$(grep Success "$T/out" | tr '\n' ' ')" \
    "a1: Success a2: Success b1: Success "

# Target files in UTF-16 or with NUL bytes are refused, naming the line.
printf 'w\000e\000b\0001\000\n\000' >"$T/utf16"
one targets-utf16 2 --local --targets "@$T/utf16" --run-command true
expect_eq "targets-utf16" "$(cat "$T/err")" \
    "$T/utf16: line 1: a NUL byte (not a text file: UTF-16?)"
printf 'web1\nweb\3512\n' >"$T/latin1"
one targets-latin1 2 --local --targets "@$T/latin1" --run-command true
expect_eq "targets-latin1" "$(cat "$T/err")" \
    "$T/latin1: line 2: invalid UTF-8"

# Output with a NUL byte is kept whole: \u0000 in JSON, the byte itself
# in --show-output and --output-dir; invalid UTF-8 is U+FFFD.
one nul-json 0 --local --json --targets h1 \
    --run-command "printf 'a\\000b\\n\\377\\n'"
grep -q '"data":"a\\u0000b"' "$T/out" || fail "nul-json: $(cat "$T/out")"
grep -q "\"data\":\"$(printf '\357\277\275')\"" "$T/out" ||
    fail "nul-json FFFD: $(cat "$T/out")"
one nul-show 0 --local --show-output --output-dir "$T/DN" --targets h1 \
    --run-command "printf 'a\\000b\\n'"
printf 'h1: a\000b\n' >"$T/want"
grep -a '^h1: a' "$T/out" | cmp -s - "$T/want" ||
    fail "nul-show: $(od -c "$T/out")"
printf 'a\000b\n' | cmp -s - "$T/DN/h1.0.txt" || fail "nul-show file"

# A missing --output-dir directory is created, with its parents.
one outdir-mkdir 0 --local --output-dir "$T/new/sub" --targets h1 \
    --run-command 'echo made'
expect_eq "outdir-mkdir" "$(cat "$T/new/sub/h1.0.txt")" made
: >"$T/plain"
one outdir-not-a-dir 2 --local --output-dir "$T/plain" --targets h1 \
    --run-command true
grep -q 'not a directory' "$T/err" || fail "outdir-not-a-dir: $(cat "$T/err")"

# 3,000 hosts that succeed give 3,000 files with their output.
one outdir-3000 0 --local --concurrency 256 --output-dir "$T/D3000" \
    --targets 'h[1-3000]' --run-command 'echo "out $POGO_HOST"'
expect_eq "outdir-3000 files" "$(ls "$T/D3000" | wc -l)" 3000
bad=0
for i in $(seq 1 3000); do
	[ "$(cat "$T/D3000/h$i.0.txt" 2>/dev/null)" = "out h$i" ] ||
	    bad=$((bad + 1))
done
expect_eq "outdir-3000 files with the right content" "$bad" 0

# A full disk: the write errors are reported and the exit status is 1.
[ "$(id -u)" = 0 ] || skip "a small tmpfs needs root"
mkdir "$T/full"
mount -t tmpfs -o size=64k pogo-t1004 "$T/full" || skip "cannot mount a tmpfs"
trap 'rc=$?; umount "$T/full" 2>/dev/null; (exit $rc); e2e_cleanup' EXIT
one outdir-full 1 --local --output-dir "$T/full" --targets 'f[1-3]' \
    --run-command 'head -c 40000 /dev/zero | tr "\\0" x; echo'
grep -q 'No space left on device' "$T/err" ||
    fail "outdir-full: no error: $(cat "$T/err")"
grep -q '3 hosts: 3 ok' "$T/err" || fail "outdir-full summary: $(cat "$T/err")"
umount "$T/full" || fail "umount"

echo "PASS $E2E_NAME"
