#!/bin/sh
# The linger after an SSH command's exit status (exec.h) never abandons
# output pogo holds back for a slow reader: a command that exits at once
# while a background process of it writes more than the pipes hold keeps
# all of it, even when the reader starts long after the linger; nor
# output that keeps coming, however little at a time.
. "$(dirname "$0")/lib.sh"
e2e_init
start_sshd
cd "$T" || exit 1

rm -f "$T/fifo"
mkfifo "$T/fifo" || fail "mkfifo"
# The reader opens the FIFO at once and reads after 4 s (the linger: 1 s).
# The output keeps coming while pogo reads it, so the host ends with its
# output's end, within its timeout (1M records take a sanitizer build
# about 30 s).
(exec <"$T/fifo"; sleep 4; cat >"$T/out") &
reader=$!
pogo_one --show-output --timeout 120 --max-output 50000000 --targets 127.0.4.1 \
    --run-command '(seq 1 1000000) & echo started' >"$T/fifo" 2>"$T/err"
rc=$?
wait $reader
expect_eq "exit" "$rc" 0
expect_eq "output lines" "$(grep -c '^127\.0\.4\.1: [0-9]*$' "$T/out")" 1000000
grep -qx '127.0.4.1: 1000000' "$T/out" || fail "the last line: $(tail -n 2 "$T/out")"
grep -q '1 host: 1 ok, 0 failed' "$T/err" || fail "$(cat "$T/err")"

# Quiet means no output for a second (pogo-one(1)), not an empty socket
# at the moment of looking: a background process that prints every 0.2 s
# for 5 s is read to its end, by a reader that keeps up, over SSH and
# locally.  One process that forks nothing between its lines (perl is
# Debian's perl-base), so that a loaded machine does not make a gap of a
# second between two of them.
BG="perl -e '\$| = 1; for (0 .. 24) { print \"bg \$_\\n\"; select(undef, undef, undef, 0.2) }' & echo started"
check_bg() {
	expect_eq "$1: exit" "$rc" 0
	expect_eq "$1: background lines" "$(grep -c ": bg [0-9]*$" "$T/bg")" 25
	grep -q ': bg 24$' "$T/bg" || fail "$1: the last line: $(tail -n 2 "$T/bg")"
	grep -q '1 host: 1 ok, 0 failed' "$T/err" || fail "$1: $(cat "$T/err")"
}
pogo_one --show-output --timeout 30 --targets 127.0.4.1 --run-command "$BG" \
    >"$T/bg" 2>"$T/err"
rc=$?
check_bg ssh
"$POGO" one --local --show-output --timeout 30 --targets h1 \
    --run-command "$BG" >"$T/bg" 2>"$T/err"
rc=$?
check_bg local
echo "PASS $E2E_NAME"
