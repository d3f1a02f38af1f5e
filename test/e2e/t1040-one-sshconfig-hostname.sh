#!/bin/sh
# A user's ~/.ssh/config just works with pogo one and no -l, --port or -i
# (user bug: libssh 0.10.6 matched the Host lines that come after a
# HostName against the new name, so a shared "Host web*" block after
# per-host HostName blocks was ignored: wrong user, port 22).  OpenSSH's
# rules (ssh_config(5)), checked against an sshd on two ports: Host
# matches the name as typed; Match host the name after HostName, Match
# originalhost the name as typed; the first value of a keyword wins; a
# negated pattern anywhere on a Host line refuses the line; Include'd
# files follow the same rules.  The keys pogo offers follow them too, in
# file order: "Match host" sees the HostName set so far (user bug: a
# "Match host" block above the HostName line added a key, and sshd's
# MaxAuthTries refused the login).  known_hosts in ~/.ssh names the hosts
# by address and port, and pogo adds nothing to it.
. "$(dirname "$0")/lib.sh"
e2e_init
P1=$(e2e_port 1)
# One failed key ends a login to 127.0.4.9 (part 3).
SSHD_EXTRA="Port $P1
Match LocalAddress 127.0.4.9
    MaxAuthTries 1"
start_sshd
P0=$SSHD_PORT
cd "$T" || exit 1
mkdir -m 700 "$HOME/.ssh" "$HOME/.ssh/conf.d" || fail "mkdir"
key=$(cut -d' ' -f1,2 "$T/host_ed25519.pub")
for i in 1 2 3 4 5 6 7 8 9; do
	printf '[127.0.4.%s]:%s,[127.0.4.%s]:%s %s\n' "$i" "$P0" "$i" "$P1" \
	    "$key"
done >"$HOME/.ssh/known_hosts"
cp "$HOME/.ssh/known_hosts" "$T/known_hosts.written"

# run TARGETS: pogo one with no flag but the targets (exit 0: every host
# succeeded); each host prints its login, the address and the port it was
# reached on; those lines sorted in $T/got.
run() {
	in_ns "$POGO" one -vv --show-output --targets "$1" \
	    --run-command 'set -- $SSH_CONNECTION; echo "$(id -un) $3 $4"' \
	    >"$T/out" 2>"$T/err"
	rc=$?
	grep -Ev ': (Running target|Success)$' "$T/out" | sort >"$T/got"
	return $rc
}

# 0. No ~/.ssh/config (the worker names it all the same): like libssh,
# pogo reads none, and sets every host up on the loop (it went to the
# thread pool, as for an Include, until a CI run under ASan showed it).
in_ns "$POGO" one -vv -l "$TEST_USER" -i "$T/id_ed25519" --port "$P0" \
    --targets 127.0.4.1 --run-command true >"$T/out" 2>"$T/err" ||
    fail "no ssh_config: $(cat "$T/out" "$T/err")"
grep -q "ssh_config $HOME/.ssh/config: none; hosts are set up on the loop" \
    "$T/err" || fail "no ssh_config, not on the loop: $(cat "$T/err")"

# 1. The user's file: one block a host for HostName, then one shared block
# for User, Port and the key.
cat >"$HOME/.ssh/config" <<EOC
Host web1
    HostName 127.0.4.1
Host web2
    HostName 127.0.4.2
Host web*
    User $TEST_USER
    Port $P0
    IdentityFile $T/id_ed25519
EOC
run web1,web2 || fail "shared block: $(cat "$T/out" "$T/err")"
expect_eq "shared block" "$(cat "$T/got")" "web1: $TEST_USER 127.0.4.1 $P0
web2: $TEST_USER 127.0.4.2 $P0"
grep -q "ssh_config $HOME/.ssh/config: read once; hosts are set up on the loop" \
    "$T/err" || fail "a plain ssh_config, not on the loop: $(cat "$T/err")"

# 2. The other rules, each host reached on P1 only by the rule it tests
# (P0 is the shared block's):
#   web3: its own Port, before the shared block's, wins;
#   web4: "Host web4* !web4" does not apply to web4 (a negated
#         pattern after a matching one still refuses the line);
#   web5: Match originalhost web5 applies;
#   web6: Match host 127.0.4.6 (its HostName) applies;
#   web7: Match host web7 does not (the name after HostName is 127.0.4.7);
#   web8: its block comes from an Include'd file.
cat >"$HOME/.ssh/conf.d/web8.conf" <<EOC
Host web8
    HostName 127.0.4.8
    Port $P1
EOC
cat >"$HOME/.ssh/config" <<EOC
Include conf.d/*.conf
Host web3
    HostName 127.0.4.3
    Port $P1
Host web4
    HostName 127.0.4.4
Host web5
    HostName 127.0.4.5
Host web6
    HostName 127.0.4.6
Host web7
    HostName 127.0.4.7
Match originalhost web5
    Port $P1
Match host 127.0.4.6
    Port $P1
Match host web7
    Port $P1
Host web4* !web4
    Port $P1
Host web*
    User $TEST_USER
    Port $P0
    IdentityFile $T/id_ed25519
EOC
run web3,web4,web5,web6,web7,web8 ||
    fail "rules: $(cat "$T/out" "$T/err")"
expect_eq "rules" "$(cat "$T/got")" "web3: $TEST_USER 127.0.4.3 $P1
web4: $TEST_USER 127.0.4.4 $P0
web5: $TEST_USER 127.0.4.5 $P1
web6: $TEST_USER 127.0.4.6 $P1
web7: $TEST_USER 127.0.4.7 $P0
web8: $TEST_USER 127.0.4.8 $P1"
grep -q "ssh_config $HOME/.ssh/config: read by libssh for each host, on the thread pool" \
    "$T/err" || fail "an Include, not on the pool: $(cat "$T/err")"

# 3. The keys: the "Match host 127.0.4.9" block above web9's HostName does
# not apply (its key, not authorised, would use up MaxAuthTries 1), the one
# below does (it names the only key sshd accepts).
ssh-keygen -q -t ed25519 -N '' -C pogo-other -f "$T/other_ed25519" \
    </dev/null || fail "ssh-keygen"
cat >"$HOME/.ssh/config" <<EOC
Match host 127.0.4.9
    IdentityFile $T/other_ed25519
Host web9
    HostName 127.0.4.9
    User $TEST_USER
    Port $P0
Match host 127.0.4.9
    IdentityFile $T/id_ed25519
EOC
run web9 || fail "keys: $(cat "$T/out" "$T/err")"
expect_eq "keys" "$(cat "$T/got")" "web9: $TEST_USER 127.0.4.9 $P0"

# 4. Too many keys for MaxAuthTries: the host fails at once with SPEC
# 9.8's message (it waited for the connect timeout, "timed out", before);
# sshd's reason is logged (info, shown with -v), with the host, not put
# in the host's message.
cat >"$HOME/.ssh/config" <<EOC
Host web9
    HostName 127.0.4.9
    User $TEST_USER
    Port $P0
    IdentityFile $T/other_ed25519
    IdentityFile $T/id_ed25519
EOC
t0=$(date +%s)
in_ns "$POGO" one -v --connect-timeout 20 --targets web9 --run-command true \
    >"$T/out" 2>"$T/err" && fail "too many keys: exit 0"
t1=$(date +%s)
grep -qx 'web9: Failed (authentication failed)' "$T/out" ||
    fail "too many keys: $(cat "$T/out" "$T/err")"
[ $((t1 - t0)) -lt 10 ] ||
    fail "too many keys: $((t1 - t0)) s, the connect timeout is 20 s"
n=$(grep -c ' I host=web9: .*Too many authentication failures' "$T/err")
[ "$n" = 1 ] ||
    fail "too many keys: sshd's reason logged $n times: $(cat "$T/err")"

# 5. "Match user" above any User line, no -l: it compares the login pogo
# would use without one (the local user; pogo one's $USER on the pair),
# as pogo's key reader does and ssh(1) does (user bug: libssh compared no
# name, so "Match !user" applied and "Match user" did not: the block's
# key was offered, its Port not).  The User line below still sets the
# login.
me=$(id -un)
cat >"$HOME/.ssh/config" <<EOC
Match !user $me
    Port $P0
Match user $me
    Port $P1
    IdentityFile $T/id_ed25519
Host webu
    HostName 127.0.4.1
    User $TEST_USER
EOC
in_ns env USER="$me" "$POGO" one --show-output --targets webu \
    --run-command 'set -- $SSH_CONNECTION; echo "$(id -un) $3 $4"' \
    >"$T/out" 2>"$T/err" || fail "match user: $(cat "$T/out" "$T/err")"
expect_eq "match user" \
    "$(grep -Ev ': (Running target|Success)$' "$T/out")" \
    "webu: $TEST_USER 127.0.4.1 $P1"

# Every host was known by its address and port: nothing was added.
cmp -s "$HOME/.ssh/known_hosts" "$T/known_hosts.written" ||
    fail "known_hosts changed: $(cat "$HOME/.ssh/known_hosts")"

# The ssh_config is checked before it is read, the default one as -F's:
# a FIFO (which would block its reader) is a clear error, not a hang; a
# file named with -F must be there; -F /dev/null is none.
# refused WANT ARGS...: pogo one exits 2 at once with WANT on stderr.
refused() {
	want=$1
	shift
	timeout 20 "$POGO" one --targets 127.0.4.1 --run-command true "$@" \
	    >"$T/out" 2>"$T/err"
	expect_eq "$want: status" "$?" 2
	grep -qxF "pogo one: $want" "$T/err" || fail "$want: $(cat "$T/err")"
}
mv "$HOME/.ssh/config" "$T/config.kept" && mkfifo "$HOME/.ssh/config" ||
    fail "mkfifo"
refused "ssh_config $HOME/.ssh/config: not a regular file of at most 1 MiB"
refused "ssh_config $T/none: No such file or directory" -F "$T/none"
# Nor an Include'd FIFO, in a block of any host (libssh would block on it).
rm -f "$HOME/.ssh/config"
printf 'Host nothere\n\tInclude conf.d/fifo\n' >"$HOME/.ssh/config"
mkfifo "$HOME/.ssh/conf.d/fifo" || fail "mkfifo"
refused "ssh_config $HOME/.ssh/conf.d/fifo: not a regular file of at most 1 MiB"
rm -f "$HOME/.ssh/conf.d/fifo"
in_ns "$POGO" one -F /dev/null -l "$TEST_USER" -i "$T/id_ed25519" --port "$P0" \
    --targets 127.0.4.1 --run-command true >"$T/out" 2>"$T/err" ||
    fail "-F /dev/null: $(cat "$T/err")"
rm -f "$HOME/.ssh/config"
echo "PASS $E2E_NAME"
