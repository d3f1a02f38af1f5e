#!/bin/sh
# Scale: L-1 (5,000 local hosts), 300 SSH hosts each run exactly once, and
# L-2 (1,000 SSH hosts with --max-handshakes 32: every host succeeds and
# the handshake peak is exactly 32, in pogo's count and in sshd's).
#
# For L-2 sshd looks each login's key up with a command that takes 0.5 s
# (as an LDAP lookup would) and logs when each lookup began and ended: at
# most 32 lookups at once is the limit seen from the server, and 32 is
# reached.  Without it, a handshake on loopback ended about as fast as
# the dispatcher hands tasks out (one per round trip, SPEC 8.4), and
# under ASan on a loaded CI machine the peak stayed at 29.
. "$(dirname "$0")/lib.sh"
e2e_init
cd "$T" || exit 1

start=$(date +%s)
"$POGO" one --local --json --targets 'h[1-5000]' --run-command true \
    >"$T/out" 2>"$T/err" || fail "L-1: $(tail -n3 "$T/err")"
elapsed=$(($(date +%s) - start))
grep -q '^5000 hosts: 5000 ok, 0 failed, 0 unreachable in ' "$T/err" ||
    fail "L-1 summary: $(cat "$T/err")"
peak=$(tail -n1 "$T/out" | sed 's/.*"peak_in_flight":\([0-9]*\).*/\1/')
[ "$peak" -le 256 ] || fail "L-1: peak_in_flight $peak"
# SPEC 13.13's bound is for the release build; under ASan, 5,000 forks of
# a sanitized process take longer, and only the behaviour is checked.
if [ "${POGO_SANITIZED:-0}" = 1 ]; then
	echo "L-1 took $elapsed s (sanitized build: no time bound)"
else
	[ $elapsed -le 60 ] || fail "L-1 took $elapsed s"
fi

# sshd runs the command only from a path no other user may write.
[ "$(id -u)" = 0 ] || skip "the SSH part needs root (sshd, network namespace)"
AKC_DIR=$(mktemp -d /run/pogo-e2e-$E2E_NAME.XXXXXX) || fail "mktemp /run"
chmod 755 "$AKC_DIR"
E2E_RMDIRS="$AKC_DIR"
: >"$T/akc.log"
chmod 666 "$T/akc.log"
cat >"$AKC_DIR/keys" <<EOF
#!/bin/sh
echo "start \$\$ \$(date +%s.%N)" >>$T/akc.log
if [ -f $T/slow-auth ]; then
	# The first lookups wait (up to 5 s) until 32 have begun, so that a
	# loaded machine's slow key exchanges cannot keep the peak under it.
	i=0
	while [ "\$(grep -c '^start ' $T/akc.log)" -lt 32 ] && [ \$i -lt 50 ]; do
		sleep 0.1
		i=\$((i + 1))
	done
	sleep 0.5
fi
echo "end \$\$ \$(date +%s.%N)" >>$T/akc.log
exec cat $T/akc_keys
EOF
chmod 755 "$AKC_DIR/keys"
SSHD_EXTRA="AuthorizedKeysCommand $AKC_DIR/keys
AuthorizedKeysCommandUser $TEST_USER"
start_sshd
# sshd reads the file before it runs the command: the key is the command's.
mv "$T/authorized_keys" "$T/akc_keys" && : >"$T/authorized_keys" ||
    fail "authorized_keys"
: >"$T/runs"
chmod 666 "$T/runs"
pogo_one --json --targets '127.0.[20-22].[1-100]' \
    --run-command "echo \$SSH_CONNECTION | cut -d' ' -f3 >>$T/runs" \
    >"$T/out" 2>"$T/err" || fail "300 hosts: $(tail -n3 "$T/err")"
expect_eq "300 hosts ran" "$(wc -l <"$T/runs")" 300
expect_eq "300 distinct" "$(sort -u "$T/runs" | wc -l)" 300

expect_eq "a lookup per login" "$(grep -c '^end ' "$T/akc.log")" 300
: >"$T/akc.log"
touch "$T/slow-auth"
pogo_one --json --max-handshakes 32 --targets '127.1.[1-10].[1-100]' \
    --run-command true >"$T/out" 2>"$T/err" ||
    fail "L-2: $(tail -n3 "$T/err")"
grep -q '^1000 hosts: 1000 ok, 0 failed, 0 unreachable in ' "$T/err" ||
    fail "L-2 summary: $(cat "$T/err")"
tail -n1 "$T/out" | grep -q '"peak_handshakes":32,' ||
    fail "L-2 peak: $(tail -n1 "$T/out")"
expect_eq "L-2 lookups" "$(grep -c '^end ' "$T/akc.log")" 1000
expect_eq "L-2 peak at sshd" "$(peak_overlap "$T/akc.log" \
    $(awk '{ print $2 }' "$T/akc.log" | sort -u))" 32
echo "PASS $E2E_NAME ($(tail -n1 "$T/err"))"
