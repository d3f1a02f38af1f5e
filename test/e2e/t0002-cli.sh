#!/bin/sh
# The command table: help, version, usage errors and the subcommands that
# are not implemented yet (they must say so and exit 2, never pretend).
. "$(dirname "$0")/lib.sh"
e2e_init

"$POGO" >"$T/out" 2>"$T/err" || fail "pogo without arguments failed"
for c in api dispatcher one schedule submit worker help version; do
	grep -q "^  $c " "$T/out" || fail "pogo lists no '$c'"
done
"$POGO" help >"$T/help" || fail "pogo help failed"
cmp -s "$T/out" "$T/help" || fail "pogo help differs from pogo"

"$POGO" --version >"$T/v" || fail "--version failed"
head -n1 "$T/v" | grep -q '^pogo [0-9]' || fail "no pogo version"
for lib in libuv mbedTLS libssh libcyaml libyaml cJSON SQLite; do
	grep -q "^$lib [0-9]" "$T/v" || fail "--version lacks $lib"
done
# libssh's crypto is OpenSSL's libcrypto (third_party/README.md says why).
grep -q '^libssh .*/openssl' "$T/v" || fail "libssh backend is not OpenSSL"
grep -q '^libcrypto OpenSSL [0-9]' "$T/v" || fail "--version lacks libcrypto"
# ... with its Ed25519 and X25519 on libsodium (the fourth libssh patch).
grep -q '^libsodium [0-9][0-9.]* (Ed25519, X25519)$' "$T/v" ||
    fail "--version lacks libsodium"
"$POGO" -V | cmp -s - "$T/v" || fail "-V differs from --version"

# Unknown commands and options: a message on stderr, exit 2.
"$POGO" frobnicate >"$T/out" 2>"$T/err"
expect_eq "unknown command status" $? 2
grep -q "unknown command 'frobnicate'" "$T/err" || fail "no message"
[ -s "$T/out" ] && fail "stdout not empty for an unknown command"
"$POGO" --frob >"$T/out" 2>"$T/err"
expect_eq "unknown option status" $? 2
grep -q "unknown option '--frob'" "$T/err" || fail "no option message"
"$POGO" schedule --frob x.yaml >"$T/out" 2>"$T/err"
expect_eq "unknown schedule option" $? 2
grep -q '^usage: pogo schedule CONFIG' "$T/err" || fail "no usage"

# -h prints the usage line from the table, exit 0.
"$POGO" schedule -h >"$T/out" || fail "schedule -h failed"
expect_eq "schedule -h" "$(cat "$T/out")" \
    "usage: pogo schedule CONFIG [--targets LIST] [--resolver-path PATH]"

"$POGO" worker -h >"$T/out" || fail "worker -h failed"
grep -q "^usage: pogo worker" "$T/out" || fail "worker -h: no usage"
# The dispatcher runs (t0020, t50xx): here only its usage line.
"$POGO" dispatcher -h >"$T/out" || fail "dispatcher -h failed"
grep -q "^usage: pogo dispatcher" "$T/out" || fail "dispatcher -h: no usage"
# pogo submit without targets: the missing parameter, exit 2 (t5111).
"$POGO" submit >"$T/out" 2>"$T/err"
expect_eq "submit status" $? 2
expect_eq "submit" "$(cat "$T/err")" "Mandatory parameter targets missing"
# pogo api runs (t5130): here only its usage line.
"$POGO" api -h >"$T/out" || fail "api -h failed"
grep -q "^usage: pogo api" "$T/out" || fail "api -h: no usage"
"$POGO" help frobnicate >/dev/null 2>&1
expect_eq "help unknown" $? 2
echo "PASS $E2E_NAME"
