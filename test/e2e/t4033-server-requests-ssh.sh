#!/bin/sh
# The server's global requests (RFC 4254 4): pogo ignores one that wants
# no reply (sshd's hostkeys-00@openssh.com after every login) instead of
# answering SSH_MSG_UNIMPLEMENTED, which cost a packet each way per login
# (third_party/patches/libssh-0.10.6-global-request.patch; its
# REQUEST_FAILURE answer to one that wants a reply is not reached here:
# sshd sends none of those while a session channel is open).  Also a
# regression guard: an sshd with ClientAliveInterval (keepalives as
# channel requests while the command runs) keeps a 4 s command's session.
. "$(dirname "$0")/lib.sh"
e2e_init
SSHD_EXTRA="ClientAliveInterval 1
ClientAliveCountMax 2"
start_sshd
cd "$T" || exit 1
printf 'Host *\n    Port %s\n    User %s\n' "$SSHD_PORT" "$TEST_USER" \
    >"$T/ssh_config"
log0=$(wc -c <"$T/sshd.log")
# 4 s: four keepalives, more than ClientAliveCountMax unanswered ones.
in_ns "$POGO" one -F "$T/ssh_config" -i "$T/id_ed25519" --host-key-check off \
    --targets 127.0.3.1,127.0.3.2 --run-command 'sleep 4' \
    >"$T/out" 2>"$T/err" || fail "pogo one: $(cat "$T/out" "$T/err")"
expect_eq "both hosts" "$(grep -c ': Success$' "$T/out")" 2
tail -c +$((log0 + 1)) "$T/sshd.log" >"$T/log"
grep -q 'Timeout, client not responding' "$T/log" &&
    fail "sshd timed pogo out: $(grep -i timeout "$T/log")"
grep -q 'Received SSH2_MSG_UNIMPLEMENTED' "$T/log" &&
    fail "pogo answered UNIMPLEMENTED: $(grep UNIMPLEMENTED "$T/log" | head -3)"
# Each session got sshd's keepalives (and so answered them).
n=$(grep -c 'keepalive@openssh.com\|client_alive' "$T/log")
[ "$n" -ge 2 ] || fail "no keepalive in sshd's log ($n)"
echo "PASS $E2E_NAME"
