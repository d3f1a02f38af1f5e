#!/bin/sh
# "StrictHostKeyChecking no" in the user's ssh_config never weakens
# --host-key-check (issue 7, section 1; SPEC 9.3): strict refuses unknown
# hosts and changed keys, accept-new records unknown hosts and refuses
# changed keys, off proceeds without touching the file; with --password a
# refused host never sees the password.
. "$(dirname "$0")/lib.sh"
e2e_init
SSHD_PASSWORD=yes
start_sshd
cd "$T" || exit 1
mkdir -p "$HOME/.ssh" || fail "mkdir"
chmod 700 "$HOME/.ssh"
cat >"$HOME/.ssh/config" <<EOC
Host *
    StrictHostKeyChecking no
    UserKnownHostsFile /dev/null
    User $TEST_USER
    Port $SSHD_PORT
EOC
KH="$T/known_hosts"
# An impostor's key, recorded for the hosts that "changed".
ssh-keygen -q -t ed25519 -N '' -f "$T/other" </dev/null
other=$(cut -d' ' -f1,2 "$T/other.pub")
printf '[127.0.2.1]:%s %s\n[127.0.2.2]:%s %s\n[127.0.2.3]:%s %s\n' \
    "$SSHD_PORT" "$other" "$SSHD_PORT" "$other" "$SSHD_PORT" "$other" >"$KH"
cp "$KH" "$T/kh.orig"

# hk MODE TARGET: one run, its last stdout line in $T/out.
hk() {
	in_ns "$POGO" one -i "$T/id_ed25519" --known-hosts "$KH" \
	    --host-key-check "$1" --targets "$2" --run-command true \
	    >"$T/out" 2>"$T/err"
}

# strict: a changed key and an unknown host are refused.
hk strict 127.0.2.1
expect_eq "strict changed" "$(tail -n1 "$T/out")" \
    "127.0.2.1: Failed (host key verification failed: key changed)"
hk strict 127.0.1.1
expect_eq "strict unknown" "$(tail -n1 "$T/out")" \
    "127.0.1.1: Failed (host key verification failed: unknown host)"
cmp -s "$KH" "$T/kh.orig" || fail "strict changed the file"

# accept-new: a changed key is refused, an unknown host is recorded.
hk accept-new 127.0.2.2
expect_eq "accept-new changed" "$(tail -n1 "$T/out")" \
    "127.0.2.2: Failed (host key verification failed: key changed)"
hk accept-new 127.0.1.2
expect_eq "accept-new unknown" "$(tail -n1 "$T/out")" "127.0.1.2: Success"
grep -c "^\[127.0.1.2\]:$SSHD_PORT " "$KH" | grep -qx 1 ||
    fail "accept-new did not record: $(cat "$KH")"
# Recorded, it is now known: strict accepts it.
hk strict 127.0.1.2
expect_eq "strict after accept-new" "$(tail -n1 "$T/out")" "127.0.1.2: Success"

# off: both proceed, the file is unchanged.
cp "$KH" "$T/kh.before-off"
hk off 127.0.2.3
expect_eq "off changed" "$(tail -n1 "$T/out")" "127.0.2.3: Success"
hk off 127.0.1.3
expect_eq "off unknown" "$(tail -n1 "$T/out")" "127.0.1.3: Success"
cmp -s "$KH" "$T/kh.before-off" || fail "off changed the file"

# --password: a host whose key changed never receives the password.
n0=$(grep -c 'method password' "$T/sshd.log")
printf '%s\n' "$TEST_PASSWORD" | in_ns "$POGO" one --password \
    --known-hosts "$KH" --host-key-check strict --targets 127.0.2.1 \
    --run-command true >"$T/out" 2>"$T/err"
expect_eq "password exit" $? 1
expect_eq "password changed" "$(tail -n1 "$T/out")" \
    "127.0.2.1: Failed (host key verification failed: key changed)"
n1=$(grep -c 'method password' "$T/sshd.log")
expect_eq "password attempts at the impostor" "$n1" "$n0"
# The same password does reach a host whose key is known.
printf '%s\n' "$TEST_PASSWORD" | in_ns "$POGO" one --password \
    --known-hosts "$KH" --host-key-check strict --targets 127.0.1.2 \
    --run-command true >"$T/out" 2>"$T/err" ||
    fail "password known host: $(cat "$T/out" "$T/err")"
echo "PASS $E2E_NAME"
