#!/bin/sh
# O-CTRLC: the first SIGINT halts the job (running hosts finish, the
# others are halted, exit 1); a second SIGINT kills the running tasks.
. "$(dirname "$0")/lib.sh"
e2e_init
cd "$T" || exit 1
printf 'tag: {g: ["h[1-4]"]}\nconstraint: {$g: {max_parallel: 2}}\n' >"$T/g.yaml"

"$POGO" one --local --config "$T/g.yaml" --targets 'h[1-4]' \
    --run-command 'sleep 2' >"$T/out" 2>"$T/err" &
pid=$!
sleep 1
kill -INT $pid
wait $pid
rc=$?
expect_eq "O-CTRLC exit" $rc 1
expect_eq "Success lines" "$(grep -c ': Success$' "$T/out")" 2
expect_eq "Halted lines" "$(grep -c ': Halted$' "$T/out")" 2
grep -q '^4 hosts: 2 ok, 0 failed, 0 unreachable, 2 halted in ' "$T/err" ||
    fail "summary: $(cat "$T/err")"

# A second SIGINT stops the running commands ("killed") and exits.
"$POGO" one --local --json --config "$T/g.yaml" --targets 'h[1-4]' \
    --run-command "sleep 30 & echo \$! >>$T/pids; wait" >"$T/out" \
    2>"$T/err" &
pid=$!
sleep 1
kill -INT $pid
sleep 0.5
kill -INT $pid
i=0
while kill -0 $pid 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 150 ] || fail "pogo one did not exit after two SIGINTs"
	sleep 0.1
done
wait $pid
expect_eq "second SIGINT exit" $? 1
expect_eq "killed hosts" "$(grep -c '"message":"killed"' "$T/out")" 2
sleep 0.3
for p in $(cat "$T/pids"); do
	alive "$p" && fail "a killed command's child survived"
done
# SIGTERM halts like SIGINT.
"$POGO" one --local --config "$T/g.yaml" --targets 'h[1-4]' \
    --run-command 'sleep 1' >"$T/out" 2>"$T/err" &
pid=$!
sleep 0.5
kill -TERM $pid
wait $pid
expect_eq "SIGTERM exit" $? 1
expect_eq "SIGTERM halted" "$(grep -c ': Halted$' "$T/out")" 2
echo "PASS $E2E_NAME"
