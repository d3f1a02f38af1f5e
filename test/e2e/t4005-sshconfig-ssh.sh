#!/bin/sh
# The user's OpenSSH client setup just works (issue 7, section 1): an
# ssh_config alone (IdentityFile, User, Port; no -i), per-host IdentityFile
# with ~ and %-tokens, IdentitiesOnly, an agent alone, a passphrase asked
# once per file, -F /dev/null, a missing -i, LogLevel in the ssh_config
# (no raw libssh lines; -v names the methods and keys tried), and a
# "Match exec" that must not stall the loop, nor outlive the connect
# timeout.
. "$(dirname "$0")/lib.sh"
e2e_init
# Each address has its own authorized keys: a host accepts only its key.
SSHD_EXTRA="Match LocalAddress 127.0.2.1
    AuthorizedKeysFile $T/ak_a
Match LocalAddress 127.0.2.2
    AuthorizedKeysFile $T/ak_b
Match LocalAddress 127.0.3.1
    AuthorizedKeysFile $T/ak_tok"
start_sshd
cd "$T" || exit 1
mkdir -p "$HOME/.ssh" "$HOME/keys" || fail "mkdir"
chmod 700 "$HOME/.ssh"
cp "$T/id_ed25519" "$HOME/keys/main" || fail "cp key"
for k in a b tok; do
	ssh-keygen -q -t ed25519 -N '' -C "key-$k" -f "$T/key_$k" </dev/null
	cp "$T/key_$k.pub" "$T/ak_$k"
	chmod 644 "$T/ak_$k"
done
# The token key lives where %d, %r and %h lead.
mkdir -p "$HOME/.ssh/$TEST_USER" || fail "mkdir tok"
cp "$T/key_tok" "$HOME/.ssh/$TEST_USER/127.0.3.1.key"

# one ARGS...: pogo one inside the namespace with no -i, -l or --port.
one() {
	in_ns "$POGO" one "$@"
}

# 1. An ssh_config alone: Host * names IdentityFile, User and Port.
cat >"$HOME/.ssh/config" <<EOC
Host *
    IdentityFile ~/keys/main
    User $TEST_USER
    Port $SSHD_PORT
EOC
one --targets '127.0.1.[1-3]' --run-command true >"$T/out" 2>"$T/err" ||
    fail "ssh_config alone: $(cat "$T/out" "$T/err")"
expect_eq "ssh_config alone" "$(grep -c ': Success$' "$T/out")" 3

# 2. Two Host blocks that name different keys; a third block with tokens
# (%d, %r, %h); every matching IdentityFile is tried, in order.
cat >"$HOME/.ssh/config" <<EOC
Host 127.0.2.1
    IdentityFile $T/key_a
Host 127.0.2.2
    IdentityFile $T/key_b
Host 127.0.3.*
    IdentityFile %d/.ssh/%r/%h.key
Host *
    IdentityFile $T/key_b
    User $TEST_USER
    Port $SSHD_PORT
EOC
one --targets 127.0.2.1,127.0.2.2,127.0.3.1 --run-command true \
    >"$T/out" 2>"$T/err" || fail "two Host blocks: $(cat "$T/out" "$T/err")"
expect_eq "two Host blocks" "$(grep -c ': Success$' "$T/out")" 3
# OpenSSH semantics: with an IdentityFile, the default names are not used.
cp "$T/key_a" "$HOME/.ssh/id_ed25519"
printf 'Host *\n    IdentityFile %s\n    User %s\n    Port %s\n' \
    "$T/key_b" "$TEST_USER" "$SSHD_PORT" >"$HOME/.ssh/config"
one --targets 127.0.2.1 --run-command true >"$T/out" 2>"$T/err"
expect_eq "defaults not used" "$(cat "$T/out")" "127.0.2.1: Running target
127.0.2.1: Failed (authentication failed)"
# -i comes first, and the config's files after it.
one -i "$T/key_a" --targets 127.0.2.1,127.0.2.2 --run-command true \
    >"$T/out" 2>"$T/err" || fail "-i and config: $(cat "$T/out" "$T/err")"
rm -f "$HOME/.ssh/id_ed25519"

# 3. An agent alone, the ssh_config giving only User and Port; with
# IdentitiesOnly, the agent's keys are not offered.
command -v ssh-agent >/dev/null || skip "no ssh-agent"
eval "$(ssh-agent -a "$T/agent.sock" -s)" >/dev/null
E2E_PIDS="$E2E_PIDS $SSH_AGENT_PID"
ssh-add -q "$HOME/keys/main" 2>/dev/null || fail "ssh-add"
# Only the runs below that name the agent use it.
unset SSH_AUTH_SOCK
printf 'Host *\n    User %s\n    Port %s\n' "$TEST_USER" "$SSHD_PORT" \
    >"$HOME/.ssh/config"
in_ns env SSH_AUTH_SOCK="$T/agent.sock" "$POGO" one --targets 127.0.1.4 \
    --run-command true >"$T/out" 2>"$T/err" ||
    fail "agent alone: $(cat "$T/out" "$T/err")"
printf 'Host *\n    IdentityFile %s\n    IdentitiesOnly yes\n    User %s\n    Port %s\n' \
    "$T/key_b" "$TEST_USER" "$SSHD_PORT" >"$HOME/.ssh/config"
in_ns env SSH_AUTH_SOCK="$T/agent.sock" "$POGO" one --targets 127.0.1.4 \
    --run-command true >"$T/out" 2>"$T/err"
expect_eq "IdentitiesOnly" "$(tail -n1 "$T/out")" \
    "127.0.1.4: Failed (authentication failed)"
printf 'Host *\n    IdentityFile %s\n    User %s\n    Port %s\n' \
    "$T/key_b" "$TEST_USER" "$SSHD_PORT" >"$HOME/.ssh/config"
in_ns env SSH_AUTH_SOCK="$T/agent.sock" "$POGO" one --targets 127.0.1.4 \
    --run-command true >"$T/out" 2>"$T/err" ||
    fail "agent and IdentityFile: $(cat "$T/out" "$T/err")"

# 4. An encrypted key named by the ssh_config: its passphrase is asked
# once (one line on standard input, no terminal), for 3 hosts.
cp "$HOME/keys/main" "$HOME/keys/locked"
ssh-keygen -q -p -P '' -N 'sesame-42' -f "$HOME/keys/locked" >/dev/null ||
    fail "encrypt key"
printf 'Host *\n    IdentityFile ~/keys/locked\n    User %s\n    Port %s\n' \
    "$TEST_USER" "$SSHD_PORT" >"$HOME/.ssh/config"
printf 'sesame-42\n' | one --targets '127.0.1.[5-7]' --run-command true \
    >"$T/out" 2>"$T/err" || fail "passphrase: $(cat "$T/out" "$T/err")"
expect_eq "passphrase" "$(grep -c ': Success$' "$T/out")" 3

# 5. -F /dev/null ignores ~/.ssh/config (whose Port would fail).
printf 'Host *\n    Port 1\n' >"$HOME/.ssh/config"
one -F /dev/null -i "$T/id_ed25519" -l "$TEST_USER" --port "$SSHD_PORT" \
    --targets 127.0.1.8 --run-command true >"$T/out" 2>"$T/err" ||
    fail "-F /dev/null: $(cat "$T/out" "$T/err")"

# 6. A missing or unreadable -i exits 2 before anything runs.
one -F /dev/null -i "$T/nonexistent" -l "$TEST_USER" --port "$SSHD_PORT" \
    --targets 127.0.1.8 --run-command true >"$T/out" 2>"$T/err"
expect_eq "missing -i exit" $? 2
[ -s "$T/out" ] && fail "missing -i ran: $(cat "$T/out")"
grep -q "cannot read identity file $T/nonexistent" "$T/err" ||
    fail "missing -i message: $(cat "$T/err")"

# 7. LogLevel in the ssh_config: no raw libssh line on stderr, only the
# summary; -v names the methods and keys tried on a failure; -vv gives
# libssh's own lines through pogo's log.
printf 'Host *\n    LogLevel DEBUG3\n    User %s\n    Port %s\n    IdentityFile %s\n' \
    "$TEST_USER" "$SSHD_PORT" "$HOME/keys/main" >"$HOME/.ssh/config"
one --targets '127.0.1.[9-11]' --run-command true >"$T/out" 2>"$T/err" ||
    fail "LogLevel: $(cat "$T/out" "$T/err")"
expect_eq "LogLevel stderr lines" "$(wc -l <"$T/err")" 1
grep -Eq '^3 hosts: 3 ok' "$T/err" || fail "LogLevel summary: $(cat "$T/err")"
printf 'Host *\n    LogLevel DEBUG3\n    User %s\n    Port %s\n    IdentityFile %s\n' \
    "$TEST_USER" "$SSHD_PORT" "$T/key_b" >"$HOME/.ssh/config"
one -v --targets 127.0.1.12 --run-command true >"$T/out" 2>"$T/err"
grep -q 'authentication failed' "$T/out" || fail "-v: $(cat "$T/out")"
grep -q "host=127.0.1.12: .*publickey" "$T/err" ||
    fail "-v methods: $(cat "$T/err")"
grep -q "host=127.0.1.12: .*$T/key_b" "$T/err" ||
    fail "-v keys: $(cat "$T/err")"
grep -Evq '^[0-9T:.-]+Z [a-z]+\[[0-9]+\] [EWID] |^1 host: ' "$T/err" &&
    fail "-v: a raw line: $(grep -Ev '^[0-9T:.-]+Z [a-z]+\[' "$T/err")"
one -vv --targets 127.0.1.12 --run-command true >"$T/out" 2>"$T/err"
grep -q 'libssh: ' "$T/err" || fail "-vv: no libssh line: $(cat "$T/err")"
grep -Evq '^[0-9T:.-]+Z [a-z]+\[[0-9]+\] [EWID] |^1 host: ' "$T/err" &&
    fail "-vv: a raw line: $(grep -Ev '^[0-9T:.-]+Z [a-z]+\[' "$T/err")"

# 8. "Match exec" that takes 1 s per host must not stall the loop: 100
# healthy hosts all succeed (more than libuv's default 4 pool threads
# could set up within the connect timeout).
cat >"$HOME/.ssh/config" <<EOC
Match exec "sleep 1"
    User $TEST_USER
Host *
    IdentityFile ~/keys/main
    Port $SSHD_PORT
EOC
one --targets '127.0.5.[1-100]' --run-command true >"$T/out" 2>"$T/err" ||
    fail "Match exec: $(cat "$T/out" "$T/err")"
expect_eq "Match exec" "$(grep -c ': Success$' "$T/out")" 100
# The connect timeout bounds a host's own setup, not its wait for a pool
# thread: 5 threads (--max-handshakes 1, +4), 24 hosts of 1-2 s each
# (libssh and pogo both run the Match exec) take more than 5 s in all,
# yet each host's setup is well within it.
one --max-handshakes 1 --connect-timeout 5 --targets '127.0.5.[1-24]' \
    --run-command true >"$T/out" 2>"$T/err" ||
    fail "Match exec, queued: $(grep -v 'Running target' "$T/out"; cat "$T/err")"
expect_eq "Match exec, queued" "$(grep -c ': Success$' "$T/out")" 24

# 9. A "Match exec" that never ends is bounded by the connect timeout:
# the host fails, pogo exits at once, and the command does not outlive it.
printf 'Match exec "sleep 1004005"\n    User %s\n' "$TEST_USER" \
    >"$HOME/.ssh/config"
start=$(date +%s)
timeout 60 "$POGO" one --connect-timeout 2 --targets 127.0.6.1,127.0.6.2 \
    --run-command true >"$T/out" 2>"$T/err"
expect_eq "endless Match exec exit" $? 1
took=$(($(date +%s) - start))
[ "$took" -le 20 ] || fail "endless Match exec: pogo took $took s"
expect_eq "endless Match exec" "$(grep -c 'the ssh_config took more than 2 seconds' "$T/out")" 2
ps -eo args | grep -q '^sleep 1004005' &&
    fail "the Match exec command outlived pogo"
echo "PASS $E2E_NAME"
