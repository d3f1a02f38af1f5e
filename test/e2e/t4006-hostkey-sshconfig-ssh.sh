#!/bin/sh
# "StrictHostKeyChecking no" in the user's ssh_config never weakens
# --host-key-check (issue 7, section 1; SPEC 9.3): strict refuses unknown
# hosts and changed keys, accept-new records unknown hosts and refuses
# changed keys, off proceeds without touching the file; with --password a
# refused host never sees the password.  pogo reads the known-hosts file
# once and checks each host from memory: hashed and comma-list entries,
# a host known by its ECDSA key (asked for that type first), an unknown
# host asked for ECDSA P-256 first unless ssh_config says otherwise, an
# ECDSA user key, and many new hosts recorded once each in one run.
. "$(dirname "$0")/lib.sh"
e2e_init
SSHD_PASSWORD=yes
# A second host key, of another type.
ssh-keygen -q -t ecdsa -N '' -f "$T/host_ecdsa" </dev/null
SSHD_EXTRA="HostKey $T/host_ecdsa"
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

# A host known only by its ECDSA key is asked for that type first: the
# server's Ed25519 key is not "a key of another type".
printf '[127.0.3.1]:%s %s\n' "$SSHD_PORT" "$(cut -d' ' -f1,2 "$T/host_ecdsa.pub")" >"$T/kh2"
in_ns "$POGO" one -i "$T/id_ed25519" --known-hosts "$T/kh2" \
    --host-key-check strict --targets 127.0.3.1 --run-command true \
    >"$T/out" 2>"$T/err" || fail "ECDSA known: $(cat "$T/out" "$T/err")"
# Hashed names and a comma list of names.
ed=$(cut -d' ' -f1,2 "$T/host_ed25519.pub")
printf '[127.0.3.2]:%s,[127.0.3.3]:%s %s\n' "$SSHD_PORT" "$SSHD_PORT" "$ed" >"$T/kh3"
printf '[127.0.3.4]:%s %s\n' "$SSHD_PORT" "$ed" >>"$T/kh3"
ssh-keygen -q -H -f "$T/kh3" >/dev/null 2>&1 || fail "ssh-keygen -H"
grep -q '^|1|' "$T/kh3" || fail "not hashed: $(cat "$T/kh3")"
printf '[127.0.3.5]:%s,[127.0.3.6]:%s %s\n' "$SSHD_PORT" "$SSHD_PORT" "$ed" >>"$T/kh3"
in_ns "$POGO" one -i "$T/id_ed25519" --known-hosts "$T/kh3" \
    --host-key-check strict --targets '127.0.3.[2-6]' --run-command true \
    >"$T/out" 2>"$T/err" || fail "hashed, lists: $(cat "$T/out" "$T/err")"
# A host not on record is asked for ECDSA P-256 first (issue 8: OpenSSH's
# sshd signs Ed25519 with its own slow reference code), as the server's
# log says; a HostKeyAlgorithms line in the user's ssh_config wins.
rm -f "$T/kh5"
n0=$(grep -c 'kex: host key algorithm: ecdsa-sha2-nistp256' "$T/sshd.log")
in_ns "$POGO" one -i "$T/id_ed25519" --known-hosts "$T/kh5" \
    --targets 127.0.5.1 --run-command true >"$T/out" 2>"$T/err" ||
    fail "ECDSA first: $(cat "$T/out" "$T/err")"
expect_eq "ECDSA negotiated" \
    "$(grep -c 'kex: host key algorithm: ecdsa-sha2-nistp256' "$T/sshd.log")" \
    $((n0 + 1))
expect_eq "ECDSA recorded" "$(cut -d' ' -f2 "$T/kh5")" ecdsa-sha2-nistp256
cp "$HOME/.ssh/config" "$T/config.orig"
echo "    HostKeyAlgorithms ssh-ed25519" >>"$HOME/.ssh/config"
in_ns "$POGO" one -i "$T/id_ed25519" --known-hosts "$T/kh5" \
    --targets 127.0.5.2 --run-command true >"$T/out" 2>"$T/err" ||
    fail "HostKeyAlgorithms: $(cat "$T/out" "$T/err")"
expect_eq "HostKeyAlgorithms recorded" \
    "$(grep '^\[127.0.5.2\]' "$T/kh5" | cut -d' ' -f2)" ssh-ed25519
cp "$T/config.orig" "$HOME/.ssh/config"
# An ECDSA user key, made here, signs the login (libssh's ECDSA key
# building is pogo's patch, third_party/README.md).
ssh-keygen -q -t ecdsa -b 256 -N '' -f "$T/id_ecdsa" </dev/null
cat "$T/id_ecdsa.pub" >>"$T/authorized_keys"
n0=$(grep -c "Accepted publickey for $TEST_USER .* ECDSA" "$T/sshd.log")
in_ns "$POGO" one -i "$T/id_ecdsa" --known-hosts "$T/kh5" \
    --targets 127.0.5.3 --run-command true >"$T/out" 2>"$T/err" ||
    fail "ECDSA user key: $(cat "$T/out" "$T/err")"
expect_eq "ECDSA user key accepted" \
    "$(grep -c "Accepted publickey for $TEST_USER .* ECDSA" "$T/sshd.log")" \
    $((n0 + 1))
# Many new hosts in one run: each recorded once; then all known.
rm -f "$T/kh4"
in_ns "$POGO" one -i "$T/id_ed25519" --known-hosts "$T/kh4" \
    --targets '127.0.4.[1-40]' --run-command true >"$T/out" 2>"$T/err" ||
    fail "40 new hosts: $(cat "$T/out" "$T/err")"
expect_eq "40 new entries" "$(sort -u "$T/kh4" | wc -l)" 40
expect_eq "40 lines" "$(wc -l <"$T/kh4")" 40
expect_eq "known_hosts mode" "$(stat -c %a "$T/kh4")" 600
in_ns "$POGO" one -i "$T/id_ed25519" --known-hosts "$T/kh4" \
    --host-key-check strict --targets '127.0.4.[1-40]' --run-command true \
    >"$T/out" 2>"$T/err" || fail "40 known: $(cat "$T/out" "$T/err")"
echo "PASS $E2E_NAME"
