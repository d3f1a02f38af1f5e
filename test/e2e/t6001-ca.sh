#!/bin/sh
# T-CA (SPEC 10.2, 13.11): pogo ca init and issue, checked with the
# openssl command line: modes, key types, SHA-256 signatures, subjects,
# extensions, validity, serials, the chain, the fingerprint of pogo ca
# show, and --p12 opened with the password.
. "$(dirname "$0")/lib.sh"
e2e_init
command -v openssl >/dev/null || skip "no openssl command line"
cd "$T" || fail "cd"

mode() { stat -c %a "$1"; }
x509() { openssl x509 -in "$1" -noout -text; }
# ext CERT NAME: the lines of extension NAME (its header and value).
ext() {
	x509 "$1" | grep -A1 "X509v3 $2" | sed 's/^ *//' | tr '\n' '|'
}
# days_left CERT: whole days from now to notAfter.
days_left() {
	end=$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)
	echo $((($(date -d "$end" +%s) - $(date +%s) + 43200) / 86400))
}

# init: the default directory is ~/.pogo/ca, then $POGO_CA_DIR.
"$POGO" ca init >out 2>err || fail "ca init: $(cat err)"
[ -f "$HOME/.pogo/ca/ca.key" ] || fail "no ~/.pogo/ca/ca.key"
export POGO_CA_DIR="$T/ca"
umask 022
"$POGO" ca init >out 2>err || fail "ca init: $(cat err)"
expect_eq "CA directory mode" "$(mode ca)" 700
expect_eq "ca.key mode" "$(mode ca/ca.key)" 600
[ -f ca/serials ] && [ ! -s ca/serials ] || fail "no empty serials file"
"$POGO" ca init >out 2>err && fail "a second init overwrote ca.key"
grep -q "ca.key exists" err || fail "second init: $(cat err)"

"$POGO" ca issue dispatcher d1 --san 127.0.0.1 --san d1.example >d1.out \
    2>err || fail "issue dispatcher: $(cat err)"
"$POGO" ca issue worker w1 >w1.out 2>err || fail "issue worker: $(cat err)"
printf 'Pw-1\nPw-1\n' | "$POGO" ca issue client alice --p12 >alice.out \
    2>err || fail "issue client: $(cat err)"

for c in dispatcher-d1 worker-w1 client-alice; do
	expect_eq "$c.key mode" "$(mode $c.key)" 600
	[ -f $c.crt ] || fail "no $c.crt"
	# The printed fingerprint is openssl's.
	f=$(openssl x509 -in $c.crt -noout -fingerprint -sha256 | cut -d= -f2)
	o=$(echo $c | cut -d- -f1 | sed 's/dispatcher/d1/;s/worker/w1/;s/client/alice/')
	expect_eq "$c fingerprint" "$(cat $o.out)" "sha256 fingerprint: $f"
	"$POGO" ca show $c.crt >show 2>err || fail "show $c: $(cat err)"
	grep -qx "sha256 fingerprint: $f" show || fail "show $c: $(cat show)"
	# Signatures: the CA's EC key with SHA-256.
	x509 $c.crt | grep 'Signature Algorithm' | sort -u |
	    grep -v 'ecdsa-with-SHA256' && fail "$c: not SHA-256"
	# RFC 5758 3.2: ecdsa-with-SHA256 without parameters (no NULL),
	# which strict verifiers (browsers, webpki) require.
	openssl x509 -in $c.crt -outform DER | openssl asn1parse -inform DER |
	    grep -A1 ':ecdsa-with-SHA256' | grep -q 'prim: NULL' &&
	    fail "$c: ecdsa-with-SHA256 has NULL parameters"
	# Validity: from 5 minutes ago, 825 days.
	start=$(openssl x509 -in $c.crt -noout -startdate | cut -d= -f2)
	ago=$(($(date +%s) - $(date -d "$start" +%s)))
	[ $ago -ge 290 ] && [ $ago -le 400 ] || fail "$c starts $ago s ago"
	expect_eq "$c days" "$(days_left $c.crt)" 825
	# 16 bytes of serial, positive, and its line in serials.
	s=$(openssl x509 -in $c.crt -noout -serial | cut -d= -f2 |
	    tr A-F a-f)
	expect_eq "$c serial length" ${#s} 32
	case $s in [0-7]*) ;; *) fail "$c serial $s is not positive" ;; esac
	grep -q "^$s $(echo $c | tr - ' ') [0-9-]*T[0-9:]*Z\$" ca/serials ||
	    fail "serials has no line for $c: $(cat ca/serials)"
done
expect_eq "serials lines" "$(wc -l <ca/serials)" 3

# Key types: the worker RSA-3072, the others EC P-256.
openssl pkey -in worker-w1.key -noout -text | head -n1 |
    grep -q 'Private-Key: (3072 bit' || fail "worker key is not RSA-3072"
openssl x509 -in worker-w1.crt -noout -text | grep -q 'Exponent: 65537' ||
    fail "worker exponent"
for k in ca/ca.key dispatcher-d1.key client-alice.key; do
	openssl pkey -in $k -noout -text | grep -q 'ASN1 OID: prime256v1' ||
	    fail "$k is not P-256"
done

# Subjects.
subj() { openssl x509 -in "$1" -noout -subject; }
expect_eq "CA subject" "$(subj ca/ca.crt)" "subject=CN = pogo CA, O = pogo"
expect_eq "d1 subject" "$(subj dispatcher-d1.crt)" \
    "subject=CN = d1, OU = dispatcher, O = pogo"
expect_eq "w1 subject" "$(subj worker-w1.crt)" \
    "subject=CN = w1, OU = worker, O = pogo"
expect_eq "alice subject" "$(subj client-alice.crt)" \
    "subject=CN = alice, OU = client, O = pogo"

# Extensions.
expect_eq "CA basicConstraints" "$(ext ca/ca.crt 'Basic Constraints')" \
    "X509v3 Basic Constraints: critical|CA:TRUE, pathlen:0|"
expect_eq "CA keyUsage" "$(ext ca/ca.crt 'Key Usage')" \
    "X509v3 Key Usage: critical|Certificate Sign, CRL Sign|"
ext ca/ca.crt 'Subject Key Identifier' | grep -q ':' || fail "CA has no SKI"
ski=$(x509 ca/ca.crt | grep -A1 'Subject Key Identifier' | tail -n1 |
    tr -d ' ')
for c in dispatcher-d1 worker-w1 client-alice; do
	expect_eq "$c basicConstraints" "$(ext $c.crt 'Basic Constraints')" \
	    "X509v3 Basic Constraints: |CA:FALSE|"
	aki=$(x509 $c.crt | grep -A1 'Authority Key Identifier' |
	    tail -n1 | tr -d ' ' | sed 's/^keyid://')
	expect_eq "$c AKI" "$aki" "$ski"
	ext $c.crt 'Subject Key Identifier' | grep -q ':' || fail "$c SKI"
done
expect_eq "d1 keyUsage" "$(ext dispatcher-d1.crt 'Key Usage:')" \
    "X509v3 Key Usage: critical|Digital Signature|"
expect_eq "w1 keyUsage" "$(ext worker-w1.crt 'Key Usage:')" \
    "X509v3 Key Usage: critical|Digital Signature, Key Encipherment|"
expect_eq "alice keyUsage" "$(ext client-alice.crt 'Key Usage:')" \
    "X509v3 Key Usage: critical|Digital Signature|"
expect_eq "d1 EKU" "$(ext dispatcher-d1.crt 'Extended Key Usage')" \
    "X509v3 Extended Key Usage: |TLS Web Server Authentication, TLS Web Client Authentication|"
expect_eq "w1 EKU" "$(ext worker-w1.crt 'Extended Key Usage')" \
    "X509v3 Extended Key Usage: |TLS Web Client Authentication|"
expect_eq "alice EKU" "$(ext client-alice.crt 'Extended Key Usage')" \
    "X509v3 Extended Key Usage: |TLS Web Client Authentication|"
expect_eq "d1 SAN" "$(ext dispatcher-d1.crt 'Subject Alternative Name')" \
    "X509v3 Subject Alternative Name: |DNS:d1, IP Address:127.0.0.1, DNS:d1.example|"
ext worker-w1.crt 'Subject Alternative Name' | grep -q . &&
    fail "a worker certificate has a subjectAltName"
expect_eq "CA days" "$(days_left ca/ca.crt)" 3650
openssl x509 -in ca/ca.crt -outform DER | openssl asn1parse -inform DER |
    grep -A1 ':ecdsa-with-SHA256' | grep -q 'prim: NULL' &&
    fail "CA: ecdsa-with-SHA256 has NULL parameters"

# The chain, and the purposes openssl derives from the extensions.
openssl verify -CAfile ca/ca.crt dispatcher-d1.crt worker-w1.crt \
    client-alice.crt >verify 2>&1 || fail "openssl verify: $(cat verify)"
openssl verify -CAfile ca/ca.crt -purpose sslserver dispatcher-d1.crt \
    >/dev/null 2>&1 || fail "d1 is no TLS server certificate"
openssl verify -CAfile ca/ca.crt -purpose sslclient client-alice.crt \
    >/dev/null 2>&1 || fail "alice is no TLS client certificate"
openssl verify -CAfile ca/ca.crt -purpose sslserver worker-w1.crt \
    >/dev/null 2>&1 && fail "w1 passes as a TLS server certificate"

# pogo ca show.
"$POGO" ca show worker-w1.crt >show || fail "show"
grep -qx 'subject: CN=w1, OU=worker, O=pogo' show || fail "$(cat show)"
grep -qx 'kind: worker' show || fail "show kind: $(cat show)"
grep -qx 'key: RSA-3072' show || fail "show key: $(cat show)"
grep -qx "serial: $(sed -n 2p ca/serials | cut -d' ' -f1)" show || fail "show serial: $(cat show)"
"$POGO" ca show ca/ca.crt | grep -qx 'kind: CA' || fail "CA kind"
"$POGO" ca show ca/serials >out 2>err && fail "show of a non-certificate"
grep -q 'not a certificate' err || fail "show error: $(cat err)"

# --p12: openssl opens it with the password, and nothing else.
openssl pkcs12 -info -in client-alice.p12 -passin pass:Pw-1 -noout \
    >p12 2>&1 || fail "pkcs12 -info: $(cat p12)"
grep -q '^MAC: sha256, Iteration 2048' p12 || fail "MAC: $(cat p12)"
n=$(grep -c 'PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256' p12)
expect_eq "PBES2 bags" "$n" 2
expect_eq "p12 mode" "$(mode client-alice.p12)" 600
openssl pkcs12 -in client-alice.p12 -passin pass:Pw-1 -nodes -nocerts \
    2>/dev/null | openssl pkey -pubout >p12.pub || fail "p12 key"
openssl pkey -in client-alice.key -pubout >alice.pub
cmp -s p12.pub alice.pub || fail "the p12 key is not client-alice.key"
openssl pkcs12 -in client-alice.p12 -passin pass:Pw-1 -nokeys 2>/dev/null |
    openssl x509 -outform DER >p12.der || fail "p12 certificate"
openssl x509 -in client-alice.crt -outform DER | cmp -s - p12.der ||
    fail "the p12 certificate is not client-alice.crt"
openssl pkcs12 -info -in client-alice.p12 -passin pass:Pw-2 -noout \
    >/dev/null 2>&1 && fail "the p12 opens with a wrong password"
# A second, independent reader: Python's cryptography package.
if python3 -c 'import cryptography' 2>/dev/null; then
	python3 - client-alice.p12 client-alice.crt <<'PY' || fail "python p12"
import sys
from cryptography import x509
from cryptography.hazmat.primitives.serialization import (
    Encoding, PublicFormat, pkcs12)
key, crt, extra = pkcs12.load_key_and_certificates(
    open(sys.argv[1], "rb").read(), b"Pw-1")
want = x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read())
assert crt.public_bytes(Encoding.DER) == want.public_bytes(Encoding.DER)
spki = lambda k: k.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
assert spki(key.public_key()) == spki(want.public_key())
assert not extra
PY
fi
# A password beyond ASCII (the MAC's key takes it as a BMPString).
printf 'p\303\244ss\360\237\224\221\np\303\244ss\360\237\224\221\n' |
    "$POGO" ca issue client bob --p12 >/dev/null 2>err ||
    fail "issue bob: $(cat err)"
openssl pkcs12 -info -in client-bob.p12 -noout \
    -passin pass:"$(printf 'p\303\244ss\360\237\224\221')" >/dev/null 2>&1 ||
    fail "the p12 of a UTF-8 password does not open"
printf 'a\nb\n' | "$POGO" ca issue client carol --p12 >out 2>err &&
    fail "mismatched passwords accepted"
grep -q 'do not match' err || fail "mismatch: $(cat err)"
[ -e client-carol.key ] && fail "a key was written without its p12"

# --out, --key-type, --days, --cn and a second CA with an RSA key.
"$POGO" ca issue dispatcher d2 --key-type rsa --days 30 --out sub/x \
    >/dev/null 2>err && fail "--out into a missing directory"
mkdir sub
"$POGO" ca issue dispatcher d2 --key-type rsa --days 30 --out sub/x \
    >/dev/null 2>err || fail "issue --out: $(cat err)"
expect_eq "--days" "$(days_left sub/x.crt)" 30
x509 sub/x.crt | grep -q 'Public-Key: (3072 bit)' || fail "--key-type rsa"
"$POGO" ca init --dir ca2 --key-type rsa --cn 'Test CA' --days 10 \
    >/dev/null 2>err || fail "init rsa: $(cat err)"
expect_eq "ca2 subject" "$(subj ca2/ca.crt)" "subject=CN = Test CA, O = pogo"
"$POGO" ca issue client bob --dir ca2 --out ca2-bob >/dev/null 2>err ||
    fail "issue from ca2: $(cat err)"
x509 ca2-bob.crt | grep 'Signature Algorithm' | sort -u |
    grep -v sha256WithRSAEncryption && fail "RSA CA: not SHA-256"
openssl verify -CAfile ca2/ca.crt ca2-bob.crt >/dev/null 2>&1 ||
    fail "verify ca2-bob"
openssl verify -CAfile ca/ca.crt ca2-bob.crt >/dev/null 2>&1 &&
    fail "ca2-bob verifies with another CA"

# Usage errors exit 2; refusals exit 1.
"$POGO" ca >/dev/null 2>&1
expect_eq "no subcommand" $? 2
"$POGO" ca issue admin x >/dev/null 2>err
expect_eq "bad kind status" $? 2
grep -q "invalid kind 'admin'" err || fail "bad kind: $(cat err)"
"$POGO" ca issue worker 'a,b' >/dev/null 2>&1
expect_eq "bad name status" $? 2
"$POGO" ca issue worker w1 >/dev/null 2>err
expect_eq "reissue status" $? 1
grep -q 'refusing to overwrite' err || fail "reissue: $(cat err)"
"$POGO" ca init --days 0 >/dev/null 2>&1
expect_eq "--days 0" $? 2
"$POGO" ca issue worker w9 --dir "$T/none" >/dev/null 2>err
expect_eq "missing CA status" $? 1
grep -q "$T/none/ca.key" err || fail "missing CA: $(cat err)"
echo "PASS $E2E_NAME"
