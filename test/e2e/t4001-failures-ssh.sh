#!/bin/sh
# Hosts that refuse, hang or fail, over real SSH, each with its state and
# message while the other hosts are unaffected; W-UNREACH, W-AUTHFAIL
# (Match LocalAddress), W-HOSTKEY, J-8 over SSH (the remote command is
# killed), W-MAXOUT (TESTHOSTS.md section 3, SPEC 9.8, 13.10).
. "$(dirname "$0")/lib.sh"
e2e_init
SSHD_EXTRA="Match LocalAddress 127.0.5.*
    AuthorizedKeysFile none
Match LocalAddress 127.0.6.*
    ForceCommand echo failing >&2; exit 7"
start_sshd
cd "$T" || exit 1
ns_nft ip daddr 127.0.8.0/24 tcp dport "$SSHD_PORT" reject with tcp reset
ns_nft ip daddr 127.0.9.0/24 tcp dport "$SSHD_PORT" drop

# One job over good, refusing, silent, auth-failing and failing hosts.
start=$(date +%s)
pogo_one --connect-timeout 2 \
    --targets '127.0.1.[1-3],127.0.8.1,127.0.9.1,127.0.5.1,127.0.6.1' \
    --run-command 'echo ok' >"$T/out" 2>"$T/err"
rc=$?
elapsed=$(($(date +%s) - start))
expect_eq "mixed exit" $rc 1
for h in 127.0.1.1 127.0.1.2 127.0.1.3; do
	grep -qx "$h: Success" "$T/out" || fail "$h: $(cat "$T/out")"
done
grep -qx '127.0.8.1: Unreachable (cannot connect: connection refused)' \
    "$T/out" || fail "refused: $(cat "$T/out")"
grep -qx '127.0.9.1: Unreachable (cannot connect: timed out after 2 seconds)' \
    "$T/out" || fail "dropped: $(cat "$T/out")"
grep -qx '127.0.5.1: Failed (authentication failed)' "$T/out" ||
    fail "W-AUTHFAIL: $(cat "$T/out")"
grep -qx '127.0.6.1: Failed (rc=7)' "$T/out" || fail "rc=7: $(cat "$T/out")"
[ $elapsed -le 4 ] || fail "the silent host held the job for $elapsed s"
grep -q '^7 hosts: 3 ok, 2 failed, 2 unreachable in ' "$T/err" ||
    fail "summary: $(cat "$T/err")"

# W-UNREACH: no listener; a name that does not resolve.  O-EXIT: a job
# whose only hosts are unreachable exits 1.
pogo_one --port 1 --targets 127.0.1.1 --run-command true >"$T/out" 2>&1
expect_eq "O-EXIT, unreachable host" $? 1
grep -qx '127.0.1.1: Unreachable (cannot connect: connection refused)' \
    "$T/out" || fail "no listener: $(cat "$T/out")"
pogo_one --targets does-not-exist.invalid --run-command true >"$T/out" 2>&1
expect_eq "O-EXIT, unresolvable host" $? 1
grep -qx 'does-not-exist.invalid: Unreachable (cannot connect: name does not resolve)' \
    "$T/out" || fail "no name: $(cat "$T/out")"
pogo_one --connect-timeout 2 --targets '127.0.8.[1-2],127.0.9.1' \
    --run-command true >"$T/out" 2>"$T/err"
expect_eq "O-EXIT, only unreachable hosts" $? 1
grep -q '^3 hosts: 0 ok, 0 failed, 3 unreachable in ' "$T/err" ||
    fail "O-EXIT summary: $(cat "$T/err")"
# A listener that accepts and never speaks: timed out within 3 s.
if have nc "the silent-server section"; then
	port2=$(e2e_port 1)
	# Not through in_ns: $! must be the listener itself.
	ip netns exec "$E2E_NS" nc -lk 127.0.0.1 "$port2" >/dev/null 2>&1 &
	E2E_PIDS="$E2E_PIDS $!"
	listening() {
		in_ns ss -Hltn "sport = :$port2" | grep -q .
	}
	wait_for 10 "nc to listen" listening
	start=$(date +%s)
	in_ns "$POGO" one -l "$TEST_USER" -i "$T/id_ed25519" --port "$port2" \
	    --connect-timeout 2 --targets 127.0.0.1 --run-command true \
	    >"$T/out" 2>&1
	[ $(($(date +%s) - start)) -le 3 ] || fail "silent server: too slow"
	grep -qx '127.0.0.1: Unreachable (cannot connect: timed out after 2 seconds)' \
	    "$T/out" || fail "silent server: $(cat "$T/out")"
fi

# J-8 over SSH: the remote command is killed at the timeout.
pogo_one --timeout 2 --targets 127.0.2.1 --run-command 'sleep 31' \
    >"$T/out" 2>&1
grep -qx '127.0.2.1: Failed (timed out after 2 seconds)' "$T/out" ||
    fail "timeout: $(cat "$T/out")"
# remote_gone PATTERN: no process of the test user matches PATTERN.
remote_gone() {
	! in_ns ps -u "$TEST_USER" -o args= | grep -q "$1"
}
wait_for 5 "the remote sleep to be killed" remote_gone '^sleep 31'


# W-MAXOUT: the last records, the state, and the remote yes is gone.
pogo_one --json --max-output 1000 --targets 127.0.2.2 --run-command 'yes' \
    >"$T/out" 2>&1
grep '"event":"output"' "$T/out" | tail -n1 |
    grep -q '"type":"STDERR","data":"== Output exceeded maximum length of 1000 bytes =="' ||
    fail "W-MAXOUT record"
grep -q '"state":"failed","message":"output exceeded 1000 bytes"' "$T/out" ||
    fail "W-MAXOUT state"
wait_for 5 "the remote yes to be killed" remote_gone '^yes$'


# W-HOSTKEY: strict with an empty file, accept-new, a changed key, off.
kh="$T/kh"
: >"$kh"
pogo_one --known-hosts "$kh" --host-key-check strict --targets 127.0.3.1 \
    --run-command true >"$T/out" 2>&1
grep -qx '127.0.3.1: Failed (host key verification failed: unknown host)' \
    "$T/out" || fail "strict: $(cat "$T/out")"
[ -s "$kh" ] && fail "strict changed the file"
pogo_one --known-hosts "$kh" --targets 127.0.3.1 --run-command true \
    >"$T/out" 2>&1 || fail "accept-new: $(cat "$T/out")"
expect_eq "accept-new entries" "$(wc -l <"$kh")" 1
pogo_one --known-hosts "$kh" --host-key-check strict --targets 127.0.3.1 \
    --run-command true >"$T/out" 2>&1 || fail "strict, known: $(cat "$T/out")"
cp "$kh" "$T/kh.before"
# Replace the server's host key: a new sshd with another key.
stop_sshd
ssh-keygen -q -t ed25519 -N '' -f "$T/host2" </dev/null
sed -i "s|^HostKey .*|HostKey $T/host2|" "$T/sshd_config"
ip netns exec "$E2E_NS" /usr/sbin/sshd -D -f "$T/sshd_config" \
    -E "$T/sshd2.log" &
SSHD_PID=$!
E2E_PIDS="$E2E_PIDS $SSHD_PID"
wait_sshd
pogo_one --known-hosts "$kh" --targets 127.0.3.1 --run-command true \
    >"$T/out" 2>&1
grep -qx '127.0.3.1: Failed (host key verification failed: key changed)' \
    "$T/out" || fail "changed: $(cat "$T/out")"
cmp -s "$kh" "$T/kh.before" || fail "a changed key altered the file"
pogo_one --known-hosts "$kh" --host-key-check off --targets 127.0.3.1 \
    --run-command true >"$T/out" 2>&1 || fail "off: $(cat "$T/out")"
cmp -s "$kh" "$T/kh.before" || fail "off altered the file"
echo "PASS $E2E_NAME"
