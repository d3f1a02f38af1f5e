#!/bin/sh
# README.md's "A secure deployment in five commands" works as written,
# the way a user runs it: its shell block is run as is (build/pogo
# replaced by the binary under test, HOME a fresh directory, the password
# on standard input) inside the network namespace of the e2e harness's
# sshd (test/e2e/lib.sh start_sshd, SSHD_PASSWORD=yes: logins as the
# test user need its password), whose 127.0.0.1-3 are the README's web1,
# web2 and web3 by the HOME's ~/.ssh/config (HostName, User, Port) and
# ~/.ssh/known_hosts (the sshd's host key), and no wait added: pogo
# submit, typed right after the daemons start, waits for the API (a
# refused connection is tried again for 5 s).  Then, with the daemons
# still up:
#   - pogo submit exited 0 and printed its three hosts' Success and the
#     summary; the job is finished, user alice (the client certificate),
#     has_password, and its three hosts finished, run by w1 (its log),
#     each with uptime's output (pogo output);
#   - the worker port speaks only TLS with client certificates: w1 is
#     listed (the control port asked over HTTPS with the dispatcher's
#     certificate), a plain-TCP peer sending a worker's hello gets no
#     greeting and is logged as refused, a worker with a certificate of
#     another CA is refused and not listed;
#   - the API takes no request without a client certificate (401);
# and both daemons exit 0 on SIGTERM, sent to the PIDs the block's `&`
# lines started.  After: sshd logged an accepted password login of the
# test user on each of 127.0.0.1-3 and no other login; known_hosts is as
# written (the worker checked the keys, added none); the password is in
# no file (HOME: state, WAL, logs; the sshd's log) and not in the output.
# Every process the check starts is ended by PID, the namespace removed
# (lib.sh's cleanup).  The block uses the default ports 7655-7657, as
# the README does (CTest's RESOURCE_LOCK keeps it apart from
# readme-daemons).
: "${POGO:?}" "${POGO_SRC:?}"
for c in curl python3 bash; do
	command -v $c >/dev/null || { echo "readme-secure: no $c"; exit 1; }
done
. "$POGO_SRC/test/e2e/lib.sh"
e2e_init
# Whatever happens, the processes the block started end (by PID), then
# lib.sh's cleanup ends the sshd and removes the namespace.
readme_cleanup() {
	rc=$?
	# Only those still running as ours: run.sh waited for them, and a
	# PID reaped may have been reused (lib.sh e2e_ours).
	for p in $(cat "$T/pids" 2>/dev/null); do
		e2e_ours "$p" && kill -s KILL "$p" 2>/dev/null
	done
	(exit $rc)
	e2e_cleanup
}
trap readme_cleanup EXIT
SSHD_PASSWORD=yes
start_sshd
# web1-3: the sshd on 127.0.0.1-3, as a user's ssh_config names hosts.
mkdir -m 700 "$HOME/.ssh" "$T/work" || exit 1
# A block a host for its address, then one shared block (Host matches
# the name as typed, not the HostName: third_party/patches/).
{
	for i in 1 2 3; do
		printf 'Host web%s\n    HostName 127.0.0.%s\n' $i $i
	done
	printf 'Host web*\n    User %s\n    Port %s\n' "$TEST_USER" "$SSHD_PORT"
} >"$HOME/.ssh/config"
printf '[127.0.0.1]:%s,[127.0.0.2]:%s,[127.0.0.3]:%s %s\n' "$SSHD_PORT" \
    "$SSHD_PORT" "$SSHD_PORT" "$(cut -d' ' -f1,2 "$T/host_ed25519.pub")" \
    >"$HOME/.ssh/known_hosts"
cp "$HOME/.ssh/known_hosts" "$T/known_hosts.written"
sed -n '/^## A secure deployment in five commands/,/^## /p' \
    "$POGO_SRC/README.md" | sed -n '/^```sh$/,/^```$/p' |
    sed '1d;$d' >"$T/block.sh"
grep -q 'pogo submit' "$T/block.sh" || { echo "readme-secure: no block"; exit 1; }
python3 - "$T/block.sh" "$T/run.sh" "$POGO" "$T/pids" <<'EOP' || exit 1
import re, sys
block, run, pogo, pids = sys.argv[1:5]
src = open(block).read().replace("build/pogo", pogo)
# Each background command's PID, for the end and for the cleanup.
src, n = re.subn(r"&([ \t]*#[^\n]*)?\n", "&\\1\necho $! >>%s\n" % pids, src)
if n != 2:
    sys.exit("readme-secure: %d background commands, not 2" % n)
line = pogo + " submit"
if src.count(line) != 1:
    sys.exit("readme-secure: the block has no line %r" % line)
open(run, "w").write(src + "echo \"submit exit $?\"\n")
EOP
cat >>"$T/run.sh" <<'EOS'
# The checks, with the daemons up.  K: the block's files.
K=$HOME/.pogo
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; }
api() {
	curl -s --max-time 20 --cacert "$K/ca/ca.crt" --cert "$K/client.crt" \
	    --key "$K/client.key" "https://127.0.0.1:7657$1" </dev/null
}
control() {
	curl -s --max-time 20 --cacert "$K/ca/ca.crt" \
	    --cert "$K/dispatcher.crt" --key "$K/dispatcher.key" \
	    "https://127.0.0.1:7656$1" </dev/null
}
jfield() {
	python3 -c 'import json, sys; j = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}
J=p0000000000
api "/v1/jobs/$J" >job.json
jfield 'j["response"]["job"]["state"], j["response"]["job"]["user"], j["response"]["job"]["has_password"]' \
    <job.json >job.txt
[ "$(cat job.txt)" = "('finished', 'alice', True)" ] && ok "job" ||
    bad "job: $(cat job.txt) $(cat job.json)"
api "/v1/jobs/$J/hosts" >hosts.json
jfield 'sorted((h, v["state"]) for h, v in j["response"]["hosts"].items())' \
    <hosts.json >hosts.txt
[ "$(cat hosts.txt)" = "[('web1', 'finished'), ('web2', 'finished'), ('web3', 'finished')]" ] &&
    [ "$(grep -c ' host web[1-3]: ok$' "$K/w1.log")" -eq 3 ] &&
    ok "hosts" || bad "hosts: $(cat hosts.txt) $(cat hosts.json)"
# Each host's output: uptime's line, run there (pogo output).
n=0
for h in web1 web2 web3; do
	"$POGO" output --api https://127.0.0.1:7657 --ca "$K/ca/ca.crt" \
	    --cert "$K/client.crt" --key "$K/client.key" 0 $h >"out.$h" \
	    2>&1 </dev/null &&
	    [ "$(wc -l <"out.$h")" -eq 1 ] &&
	    grep -Eq '^ *[0-9]{2}:[0-9]{2}:[0-9]{2} up .*load average: [0-9.]+, [0-9.]+, [0-9.]+$' \
	    "out.$h" && n=$((n + 1)) || bad "$h's output: $(cat "out.$h")"
done
[ $n -eq 3 ] && ok "uptime's output on each host"
control /status >status.json
jfield 'j["workers"]' <status.json >workers.txt
grep -Eqx "\['w1 127\.0\.0\.1:[0-9]+'\]" workers.txt && ok "w1 listed" ||
    bad "workers: $(cat status.json)"
# A plain-TCP peer with a worker's hello: no greeting, refused.
python3 - >plain.txt <<'EOPY'
import socket, time
s = socket.create_connection(("127.0.0.1", 7655), timeout=20)
s.sendall(b'{"channel": 0, "msg": "hello", "protocol": "2.0", '
    b'"worker": "plain", "instance": "' + b"0" * 32 + b'", '
    b'"max_tasks": 1, "key_id": null}\n')
got = b""
end = time.time() + 20
while time.time() < end:
    try:
        d = s.recv(4096)
    except (ConnectionResetError, socket.timeout):
        break
    if not d:
        break
    got += d
print("greeted" if b"Hello, worker" in got else "not greeted")
EOPY
i=0
until [ "$(grep -c ': TLS: ' "$K/dispatcher.log")" -ge 1 ] || [ $i -ge 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ "$(cat plain.txt)" = "not greeted" ] &&
    [ "$(grep -c ': TLS: ' "$K/dispatcher.log")" -eq 1 ] &&
    ok "plain TCP refused" ||
    bad "plain TCP: $(cat plain.txt); $(grep TLS "$K/dispatcher.log")"
# A worker whose certificate another CA signed.
O=$PWD/other
"$POGO" ca init --dir "$O" >/dev/null &&
    "$POGO" ca issue worker w9 --dir "$O" --out "$O/worker" >/dev/null ||
    bad "the other CA"
"$POGO" worker -f /dev/null --dispatcher 127.0.0.1:7655 -o worker.name=w9 \
    -o state_dir="$O/w9" -o tls.cert="$O/worker.crt" -o tls.key="$O/worker.key" \
    -o tls.ca_cert="$K/ca/ca.crt" -o worker.reconnect_delay=0 2>w9.log </dev/null &
W9=$!
echo $W9 >>"$PIDS"
i=0
until grep -q ': TLS: the peer certificate: .*not correctly signed' "$K/dispatcher.log" ||
    [ $i -ge 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
control /status >status.json
jfield 'j["workers"]' <status.json >workers.txt
grep -q ': TLS: the peer certificate: .*not correctly signed' "$K/dispatcher.log" &&
    ! grep -q 'worker w9 ' "$K/dispatcher.log" &&
    grep -Eqx "\['w1 127\.0\.0\.1:[0-9]+'\]" workers.txt && ok "other CA refused" ||
    bad "other CA: $(cat workers.txt); $(grep -e TLS -e w9 "$K/dispatcher.log")"
kill "$W9"
wait "$W9"
# The API without a client certificate.
code=$(curl -s --max-time 20 --cacert "$K/ca/ca.crt" -o /dev/null \
    -w '%{http_code}' "https://127.0.0.1:7657/v1/jobs" </dev/null)
[ "$code" = 401 ] && ok "no client certificate: 401" || bad "no certificate: $code"
# SIGTERM to each daemon, by PID: graceful, exit 0.
for p in $(sed -n 1,2p "$PIDS"); do
	kill "$p"
	wait "$p"
	echo "exit $?"
done
EOS
# The test user's password, as a user types it.
printf '%s\n' "$TEST_PASSWORD" >"$T/pw"
(cd "$T/work" && PIDS=$T/pids POGO=$POGO ip netns exec "$E2E_NS" \
    timeout 240 bash "$T/run.sh" <"$T/pw" >"$T/out" 2>&1)
rc=$?
fail() {
	echo "readme-secure: $1"
	cat "$T/out"
	for f in "$T"/home/.pogo/*.log "$T/sshd.log"; do
		echo "== $f"
		tail -n 20 "$f"
	done
	exit 1
}
[ $rc -eq 0 ] || fail "the block exited $rc"
grep -q '^submit exit 0$' "$T/out" || fail "pogo submit did not exit 0"
for h in web1 web2 web3; do
	grep -qx "$h: Success" "$T/out" || fail "no '$h: Success'"
done
grep -q '^3 hosts: 3 ok, 0 failed, 0 unreachable' "$T/out" ||
    fail "no summary line"
grep -q '^FAIL: ' "$T/out" && fail "a check failed"
n=$(grep -c '^ok: ' "$T/out")
[ "$n" -eq 7 ] || fail "$n checks passed, not 7"
grep -qF -e "$TEST_PASSWORD" "$T/out" && fail "the password is in the output"
[ "$(grep -c '^exit 0$' "$T/out")" -eq 2 ] || fail "a daemon did not exit 0"
for p in $(cat "$T/pids"); do
	e2e_ours "$p" && fail "process $p is still running"
done
# sshd: one accepted password login of the test user on each of
# 127.0.0.1-3 (the "Connection from ... on ADDR" line of its client's
# address and port), no other.
python3 - "$T/sshd.log" >"$T/logins" <<'EOP' ||
import re, sys
on, got = {}, []
for l in open(sys.argv[1], errors="replace"):
    m = re.match(r"Connection from (\S+ port \d+) on (\S+) port", l)
    if m:
        on[m.group(1)] = m.group(2)
    m = re.match(r"Accepted (\S+) for (\S+) from (\S+ port \d+) ", l)
    if m:
        got.append("%s %s %s" % (on.get(m.group(3), "?"), m.group(1), m.group(2)))
print("\n".join(sorted(got)))
EOP
    fail "the sshd log"
[ "$(cat "$T/logins")" = "127.0.0.1 password $TEST_USER
127.0.0.2 password $TEST_USER
127.0.0.3 password $TEST_USER" ] || fail "sshd's logins: $(cat "$T/logins")"
cmp -s "$HOME/.ssh/known_hosts" "$T/known_hosts.written" ||
    fail "known_hosts changed: $(cat "$HOME/.ssh/known_hosts")"
# The password: in no file (HOME: state, WAL, logs; the sshd's log).
grep -rlF -e "$TEST_PASSWORD" "$T" | grep -vx "$T/pw" &&
    fail "the password is in a file"
echo "readme-secure: five commands, 3 SSH hosts logged in with the password by w1 over mutual TLS, plain TCP and another CA refused, no password on disk, clean exits"
