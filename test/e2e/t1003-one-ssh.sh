#!/bin/sh
# pogo one against a real sshd: O-README with key authentication (host
# names mapped by ssh_config), W-ENV, W-QUOTE, W-STREAMS, W-SIGNAL,
# W-DIRECT, W-PROXY, exit statuses over SSH.
. "$(dirname "$0")/lib.sh"
e2e_init
start_sshd
cd "$T" || exit 1

cat >"$T/ssh_config" <<EOC
Host host*
    HostName 127.0.0.1
    Port $SSHD_PORT
    User $TEST_USER
Host proxied
    ProxyJump jumphost
EOC
printf 'tag:\nsequence: [host3, host2, host1]\n' >"$T/one.cfg"

# O-README: the four lines, the summary, exit 0.
in_ns "$POGO" one -F "$T/ssh_config" -i "$T/id_ed25519" \
    --targets host1,host2 --config "$T/one.cfg" --run-command 'date' \
    >"$T/out" 2>"$T/err" || fail "O-README: $(cat "$T/err")"
printf 'host2: Running target\nhost2: Success\nhost1: Running target\nhost1: Success\n' >"$T/want"
cmp -s "$T/out" "$T/want" || fail "O-README stdout: $(cat "$T/out")"
tail -n1 "$T/err" | grep -Eqx '2 hosts: 2 ok, 0 failed, 0 unreachable in [0-9]+\.[0-9] s' ||
    fail "O-README summary: $(cat "$T/err")"
# accept-new added the key once, under the name and port used.
grep -c "^\[127.0.0.1\]:$SSHD_PORT " "$HOME/.ssh/known_hosts" | grep -qx 1 ||
    fail "known_hosts: $(cat "$HOME/.ssh/known_hosts")"

# W-ENV and W-QUOTE: nothing is expanded on the client.
pogo_one --json --targets 127.0.4.1 \
    --run-command 'echo "$POGO_JOB_ID $POGO_HOST"; printf "%s\n" "$HOME" "a b" "it'"'"'s"' \
    >"$T/out" 2>"$T/err" || fail "W-ENV: $(cat "$T/err")"
data() { grep '"event":"output"' "$T/out" | sed 's/.*"data":"\(.*\)","time".*/\1/'; }
expect_eq "W-ENV" "$(data | sed -n 1p)" "p0000000000 127.0.4.1"
expect_eq "W-QUOTE home" "$(data | sed -n 2p)" "/home/$TEST_USER"
expect_eq "W-QUOTE blank" "$(data | sed -n 3p)" "a b"
expect_eq "W-QUOTE quote" "$(data | sed -n 4p)" "it's"
# A command of several lines runs as a script.
pogo_one --show-output --targets 127.0.4.2 --run-command 'x=1
y=2
echo sum $((x + y))' >"$T/out" 2>"$T/err" || fail "script"
grep -qx '127.0.4.2: sum 3' "$T/out" || fail "script: $(cat "$T/out")"

# W-STREAMS without a PTY; W-DIRECT: no stub lines.
pogo_one --json --targets 127.0.4.3 --run-command 'echo out; echo err >&2' \
    >"$T/out" 2>"$T/err" || fail "W-STREAMS"
grep -q '"type":"STDOUT","data":"out"' "$T/out" || fail "W-STREAMS out"
grep -q '"type":"STDERR","data":"err"' "$T/out" || fail "W-STREAMS err"
grep -q '"data":"pogo-worker:' "$T/out" && fail "W-DIRECT: stub lines"

# W-SIGNAL: a remote signal is 128 + N.
pogo_one --targets 127.0.4.4 --run-command 'kill -TERM $$' \
    >"$T/out" 2>"$T/err"
expect_eq "W-SIGNAL exit" $? 1
grep -qx '127.0.4.4: Failed (rc=143)' "$T/out" || fail "W-SIGNAL: $(cat "$T/out")"

# Exit statuses: 0 and non-zero; each host runs exactly once.
: >"$T/runs"
chmod 666 "$T/runs"
pogo_one --targets '127.0.5.[1-6]' \
    --run-command "echo \$POGO_HOST >>$T/runs; case \$POGO_HOST in *.3) exit 9;; esac" \
    >"$T/out" 2>"$T/err"
expect_eq "mixed exit" $? 1
grep -qx '127.0.5.3: Failed (rc=9)' "$T/out" || fail "rc=9: $(cat "$T/out")"
expect_eq "runs" "$(sort "$T/runs" | uniq | wc -l)" 6
expect_eq "runs once" "$(wc -l <"$T/runs")" 6

# W-PROXY: ProxyJump is refused with a clear message.
in_ns "$POGO" one -F "$T/ssh_config" -i "$T/id_ed25519" --targets proxied \
    --run-command true >"$T/out" 2>"$T/err"
expect_eq "W-PROXY exit" $? 1
grep -qx 'proxied: Failed (ssh error: ProxyCommand and ProxyJump are not supported)' \
    "$T/out" || fail "W-PROXY: $(cat "$T/out")"
echo "PASS $E2E_NAME"
