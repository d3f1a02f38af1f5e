#!/bin/sh
# Job secrets on a real `pogo worker` over TLS, fed by the fake dispatcher
# (SPEC 8.3, 9.4, 9.6, 9.8, 10.3, 10.4) against a real sshd: W-029 with a
# password box; the password redacted and answering sudo (W-SUDO); X-WRONG
# (a box for another worker key, a flipped byte, a worker without tls.key);
# X-037 (an encrypted OpenSSH RSA key of more than 4096 bytes and its
# passphrase, imported in memory: strace shows the worker creating no file
# but its pid file and known_hosts, and no file written during the run
# holds the key, its passphrase or the password).
. "$(dirname "$0")/lib.sh"
e2e_init
command -v python3 >/dev/null 2>&1 || skip "no python3"
have ssh-keygen "the job's key" || skip "no ssh-keygen"
SSHD_PASSWORD=yes
start_sshd
# The CA, the dispatcher's certificate, the worker's (RSA: version 1
# boxes) and another worker's (EC).
. "$(dirname "$0")/worker-secrets.sh"
"$POGO" ca issue worker w2 --dir "$CA" --key-type ec --out "$CA/w2" \
    >/dev/null || fail "issue w2"

# X-037's key: RSA-4096, encrypted, with a long comment (ssh-keygen
# keeps 1 KiB of it): a file larger than 4096 bytes; authorised on sshd.
PHRASE=phrase-Canary-0815
comment=$(python3 -c 'print("pogo-long-comment-" + "c" * 4200)')
ssh-keygen -q -t rsa -b 4096 -N "$PHRASE" -C "$comment" -f "$T/jobkey" ||
    fail "ssh-keygen"
size=$(wc -c <"$T/jobkey")
[ "$size" -gt 4096 ] || fail "the job's key has only $size bytes"
cat "$T/jobkey.pub" >>"$T/authorized_keys"
# A line of the key's text, to look for in files.
KEYLINE=$(sed -n 3p "$T/jobkey")
[ ${#KEYLINE} -ge 60 ] || fail "no key line"

BOX_PW_OTHER=$(printf '%s' "$TEST_PASSWORD" | "$TOOL" seal "$CA/w2.crt")
BOX_KEY=$("$TOOL" seal "$CA/w1.crt" <"$T/jobkey")
BOX_PHRASE=$(printf '%s' "$PHRASE" | "$TOOL" seal "$CA/w1.crt")
# Version 1 (0x01) for the RSA worker, 2 for the EC one.
case $BOX_PW:$BOX_PW_OTHER in A[Q-Za-f]*:A[g-v]*) ;; *) fail "box versions" ;; esac
export KEY_ID BOX_PW BOX_PW_OTHER BOX_KEY BOX_PHRASE TEST_USER TEST_PASSWORD

SUDO_OK=0
if have sudo "W-SUDO through a worker"; then
	(
		flock 9
		printf '%s ALL=(ALL) ALL\n' "$TEST_USER" \
		    >/etc/sudoers.d/pogo-test
		chmod 440 /etc/sudoers.d/pogo-test
	) 9>/run/pogo-test-user.lock
	SUDO_OK=1
fi
export SUDO_OK

touch "$T/marker"
sleep_until_newer() {
	# Files written from now on are newer than the marker.
	touch "$T/now"
	[ "$T/now" -nt "$T/marker" ]
}
wait_for 5 "the clock to pass the marker" sleep_until_newer

scenario secrets 1 1 -o tls.cert="$CA/w1.crt" -o tls.key="$CA/w1.key" \
    -o tls.ca_cert="$CA/ca.crt"
if [ "${POGO_SANITIZED:-0}" = 1 ]; then
	# Once more untraced, so that LeakSanitizer checks the worker.
	scenario secrets 1 0 -o tls.cert="$CA/w1.crt" \
	    -o tls.key="$CA/w1.key" -o tls.ca_cert="$CA/ca.crt"
fi
scenario secrets-nokey 0 0

# X-037: the worker created no file but its pid file and known_hosts.
created=$(grep -hE 'O_CREAT|O_WRONLY|O_RDWR|creat\(' "$T"/strace-secrets* |
    grep -v ' = -1 ' | sed 's/.*"\(.*\)".*/\1/' | sort -u)
# (strace saw the worker: its pid file is there.)
echo "$created" | grep -qxF "$T/w.pid" || fail "strace saw no pid file"
for f in $created; do
	case $f in
	"$T/w.pid" | "$T/wstate/worker.lock" | "$HOME/.ssh/known_hosts" | \
	    "$HOME/.ssh/known_hosts".*) ;;
	*) fail "X-037: the worker created or wrote $f" ;;
	esac
done
# No file written during the run (in TMPDIR, which holds $T, HOME and the
# logs) holds the key, its passphrase or the password.
find "${TMPDIR:-/tmp}" -xdev -type f -newer "$T/marker" -size -20M \
    2>/dev/null >"$T/newfiles"
[ -s "$T/newfiles" ] || fail "no new file found (the check is blind)"
grep -q "worker-secrets.log" "$T/newfiles" || fail "the log is not listed"
for s in "$KEYLINE" "$PHRASE" "$TEST_PASSWORD"; do
	while IFS= read -r f; do
		case $f in "$T/newfiles" | "$T/now") continue ;; esac
		grep -qF -- "$s" "$f" 2>/dev/null &&
		    fail "X-037/10.4: $f holds a secret"
	done <"$T/newfiles"
done
# The boxes are not logged either (SPEC 10.4).
for f in "$T"/worker-secrets*; do
	grep -qF -- "$(printf '%s' "$BOX_PW" | cut -c 1-60)" "$f" &&
	    fail "a box in $f"
done
grep -q 'cannot decrypt job secrets' "$T/worker-secrets.log" ||
    fail "the log does not say why p2 failed"

echo "PASS $E2E_NAME"
