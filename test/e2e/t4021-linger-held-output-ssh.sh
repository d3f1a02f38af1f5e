#!/bin/sh
# The linger after an SSH command's exit status (exec.h) never abandons
# output pogo holds back for a slow reader: a command that exits at once
# while a background process of it writes more than the pipes hold keeps
# all of it, even when the reader starts long after the linger.
. "$(dirname "$0")/lib.sh"
e2e_init
start_sshd
cd "$T" || exit 1

rm -f "$T/fifo"
mkfifo "$T/fifo" || fail "mkfifo"
# The reader opens the FIFO at once and reads after 4 s (the linger: 1 s).
(exec <"$T/fifo"; sleep 4; cat >"$T/out") &
reader=$!
pogo_one --show-output --timeout 30 --max-output 50000000 --targets 127.0.4.1 \
    --run-command '(seq 1 1000000) & echo started' >"$T/fifo" 2>"$T/err"
rc=$?
wait $reader
expect_eq "exit" "$rc" 0
expect_eq "output lines" "$(grep -c '^127\.0\.4\.1: [0-9]*$' "$T/out")" 1000000
grep -qx '127.0.4.1: 1000000' "$T/out" || fail "the last line: $(tail -n 2 "$T/out")"
grep -q '1 host: 1 ok, 0 failed' "$T/err" || fail "$(cat "$T/err")"
echo "PASS $E2E_NAME"
