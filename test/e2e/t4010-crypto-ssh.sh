#!/bin/sh
# libssh's crypto is OpenSSL's libcrypto, linked statically: the key
# exchange and host key are the fast curve25519 and ed25519, and the
# static binary never reads the machine's OpenSSL configuration (it may
# name providers or engines, shared objects of another OpenSSL build).
# AES-GCM is not offered by default: the libssh built here checks its tag
# wrongly with OpenSSL (CVE-2026-59847, third_party/README.md); an explicit
# Ciphers line in ssh_config still chooses, as with OpenSSH.
. "$(dirname "$0")/lib.sh"
e2e_init
start_sshd
cd "$T" || exit 1

# A configuration that fails OpenSSL's initialisation if it is loaded.
cat >"$T/openssl.cnf" <<EOC
config_diagnostics = 1
openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
broken = broken_sect
[broken_sect]
module = $T/no-such-provider.so
activate = 1
EOC
OPENSSL_CONF=$T/openssl.cnf pogo_one --targets 127.0.0.1,127.0.0.2 \
    --run-command true >"$T/out" 2>"$T/err" ||
    fail "with a broken OPENSSL_CONF: $(cat "$T/err")"
tail -n1 "$T/err" | grep -q '^2 hosts: 2 ok, 0 failed, 0 unreachable' ||
    fail "summary: $(cat "$T/err")"

# The server saw curve25519 and ed25519 from pogo (ssh-keyscan, used to
# wait for sshd, offers only RSA host keys).
grep -q 'kex: algorithm: curve25519-sha256' "$T/sshd.log" ||
    fail "no curve25519 key exchange: $(grep 'kex: ' "$T/sshd.log")"
grep -q 'kex: host key algorithm: ssh-ed25519' "$T/sshd.log" ||
    fail "no ed25519 host key: $(grep 'kex: ' "$T/sshd.log")"

# A second server that offers only AES-GCM: no cipher in common.
stop_sshd
echo 'Ciphers aes128-gcm@openssh.com,aes256-gcm@openssh.com' \
    >>"$T/sshd_config"
ip netns exec "$E2E_NS" /usr/sbin/sshd -D -f "$T/sshd_config" \
    -E "$T/sshd-gcm.log" &
SSHD_PID=$!
E2E_PIDS="$E2E_PIDS $SSHD_PID"
i=0
while ! in_ns ssh-keyscan -T 2 -p "$SSHD_PORT" 127.0.0.1 >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "the AES-GCM sshd did not start"
	sleep 0.1
done
pogo_one --targets 127.0.0.3 --run-command true >"$T/out" 2>"$T/err" &&
    fail "AES-GCM was negotiated: $(cat "$T/err")"
# sshd's monitor writes the refusal to its log after the connection has
# closed, so it may come after pogo's exit: wait for it (bounded).
wait_for 10 "the cipher refusal in the server's log" \
    grep -q 'no matching cipher found' "$T/sshd-gcm.log"
grep 'no matching cipher found' "$T/sshd-gcm.log" >"$T/offer"
grep -q 'Their offer: chacha20-poly1305@openssh.com,' "$T/offer" ||
    fail "pogo's offer: $(cat "$T/offer")"
grep -q gcm "$T/offer" && fail "pogo offered AES-GCM: $(cat "$T/offer")"
tail -n1 "$T/err" | grep -q '^1 host: 0 ok, 1 failed' ||
    fail "no cipher in common, summary: $(cat "$T/err")"
# A Ciphers line of the user's ssh_config that names AES-GCM does not
# bring the flaw back (CVE-2026-59847): the host fails, nothing runs.
printf 'Host *\n    Ciphers aes128-gcm@openssh.com\n' >"$T/ssh_config"
pogo_one -F "$T/ssh_config" --targets 127.0.0.4 \
    --run-command "touch $T/gcm-ran" >"$T/out" 2>"$T/err" &&
    fail "explicit AES-GCM Ciphers was used: $(cat "$T/out")"
grep -q '^127.0.0.4: Failed (ssh error: cipher aes128-gcm@openssh.com refused' \
    "$T/out" || fail "explicit AES-GCM Ciphers: $(cat "$T/out" "$T/err")"
[ -e "$T/gcm-ran" ] && fail "the command ran over AES-GCM"
echo "PASS $E2E_NAME"
