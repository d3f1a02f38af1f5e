#!/bin/sh
# A finished session is closed at once and politely (issue 8 item 2):
# pogo sends SSH_MSG_DISCONNECT and closes its socket as soon as the
# command's exit status is in, instead of holding every finished
# connection (and sshd's two processes for it) until pogo exits.
. "$(dirname "$0")/lib.sh"
e2e_init
start_sshd
cd "$T" || exit 1

# One host at a time; the last host counts pogo's connections to sshd
# that are still established (its own is one of them).
last=127.0.31.4
pogo_one --show-output --concurrency 1 --targets '127.0.31.[1-4]' \
    --run-command "if [ \"\$POGO_HOST\" = $last ]; then
	ss -Htn state established '( dport = :$SSHD_PORT )' | wc -l
     fi" >"$T/out" 2>"$T/err"
expect_eq "exit" $? 0
for h in 127.0.31.1 127.0.31.2 127.0.31.3 $last; do
	grep -qx "$h: Success" "$T/out" || fail "$h: $(cat "$T/out")"
done
n=$(sed -n "s/^$last: \([0-9][0-9]*\)\$/\1/p" "$T/out")
expect_eq "connections open while the last host runs" "$n" 1

# sshd saw a disconnect message for each of the four sessions.
disconnects() {
	[ "$(grep -c 'Received disconnect from 127.0.0.1 port [0-9]*:11: .*[^]]$' \
	    "$T/sshd.log")" -eq 4 ]
}
wait_for 10 "four SSH_MSG_DISCONNECT in sshd's log" disconnects
echo "PASS $E2E_NAME"
