#!/bin/sh
# O-CTRLC: the first SIGINT halts the job (running hosts finish, the
# others are halted, exit 1); a second SIGINT kills the running tasks.
# Signals are sent once the commands are known to run (a bounded poll on
# files the commands write), never after a fixed sleep.
. "$(dirname "$0")/lib.sh"
e2e_init
cd "$T" || exit 1
printf 'tag: {g: ["h[1-4]"]}\nconstraint: {$g: {max_parallel: 2}}\n' >"$T/g.yaml"

# lines FILE N: does FILE have N lines?
lines() {
	[ -f "$1" ] && [ "$(wc -l <"$1")" -eq "$2" ]
}
exited() {
	! kill -0 "$pid" 2>/dev/null
}

"$POGO" one --local --config "$T/g.yaml" --targets 'h[1-4]' \
    --run-command "echo \$POGO_HOST >>$T/started; sleep 2" \
    >"$T/out" 2>"$T/err" &
pid=$!
wait_for 10 "two hosts to start" lines "$T/started" 2
kill -INT $pid
wait $pid
rc=$?
expect_eq "O-CTRLC exit" $rc 1
expect_eq "Success lines" "$(grep -c ': Success$' "$T/out")" 2
expect_eq "Halted lines" "$(grep -c ': Halted$' "$T/out")" 2
grep -q '^4 hosts: 2 ok, 0 failed, 0 unreachable, 2 halted in ' "$T/err" ||
    fail "summary: $(cat "$T/err")"

# A second SIGINT stops the running commands ("killed") and exits.  Two
# signals sent back to back may arrive as one, so SIGINT is sent again
# (at most 5 times) until pogo exits.
"$POGO" one --local --json --config "$T/g.yaml" --targets 'h[1-4]' \
    --run-command "sleep 30 & echo \$! >>$T/pids; wait" >"$T/out" \
    2>"$T/err" &
pid=$!
wait_for 10 "two commands to start" lines "$T/pids" 2
kill -INT $pid
i=0
while ! exited; do
	i=$((i + 1))
	[ $i -le 5 ] || fail "pogo one did not exit after $i SIGINTs"
	kill -INT $pid 2>/dev/null
	j=0
	while ! exited && [ $j -lt 40 ]; do
		sleep 0.05
		j=$((j + 1))
	done
done
wait $pid
expect_eq "second SIGINT exit" $? 1
expect_eq "killed hosts" "$(grep -c '"message":"killed"' "$T/out")" 2
for p in $(cat "$T/pids"); do
	gone() { ! alive "$p"; }
	wait_for 3 "the killed command's child $p to die" gone
done

# SIGTERM halts like SIGINT.
rm -f "$T/started"
"$POGO" one --local --config "$T/g.yaml" --targets 'h[1-4]' \
    --run-command "echo \$POGO_HOST >>$T/started; sleep 1" \
    >"$T/out" 2>"$T/err" &
pid=$!
wait_for 10 "two hosts to start" lines "$T/started" 2
kill -TERM $pid
wait $pid
expect_eq "SIGTERM exit" $? 1
expect_eq "SIGTERM halted" "$(grep -c ': Halted$' "$T/out")" 2
echo "PASS $E2E_NAME"
