#!/bin/sh
# Secret boxes (SPEC 10.3) against independent implementations: X-036
# (a box for a worker key of pogo ca, its size, and the openssl pkeyutl
# cross-check), the KID against openssl, boxes of both versions sealed by
# Python's cryptography package opened by pogo and the other way round,
# and X-WRONG's boxes for another key.
. "$(dirname "$0")/lib.sh"
e2e_init
command -v openssl >/dev/null || skip "no openssl command line"
python3 -c 'import cryptography' 2>/dev/null ||
    skip "no Python cryptography (apt-get install python3-cryptography)"
TOOL=$(dirname "$POGO")/box-tool
PY="python3 $POGO_SRC/test/e2e/box-interop.py"
[ -x "$TOOL" ] || fail "no $TOOL"
cd "$T" || fail "cd"
export POGO_CA_DIR="$T/ca"

"$POGO" ca init >/dev/null 2>err || fail "ca init: $(cat err)"
"$POGO" ca issue worker w1 >/dev/null 2>err || fail "w1: $(cat err)"
"$POGO" ca issue worker w2 --key-type ec >/dev/null 2>err ||
    fail "w2: $(cat err)"
"$POGO" ca issue worker w3 >/dev/null 2>err || fail "w3: $(cat err)"

# The KID is SHA-256 of the certificate's DER SubjectPublicKeyInfo, and
# the worker's key gives the same.
for w in w1 w2; do
	want=$(openssl x509 -in worker-$w.crt -noout -pubkey |
	    openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
	expect_eq "$w KID" "$("$TOOL" kid worker-$w.crt)" "$want"
	expect_eq "$w KID of the key" "$("$TOOL" kid worker-$w.key)" "$want"
done

# X-036: 448 bytes, 600 base64 characters, and it opens.
printf abc | "$TOOL" seal worker-w1.crt >box1 || fail "seal"
expect_eq "base64 length" "$(tr -d '\n' <box1 | wc -c)" 600
base64 -d box1 >box1.bin || fail "the box is not base64"
expect_eq "box length" "$(wc -c <box1.bin)" 448
expect_eq "box version" "$(od -An -tx1 -N1 box1.bin | tr -d ' ')" 01
expect_eq "open" "$("$TOOL" open worker-w1.key <box1)" abc
# ... and openssl recovers K from EK with OAEP, SHA-256 and MGF1-SHA-256,
# and AES-256-GCM with K, IV and the AAD recovers abc.
dd if=box1.bin of=ek bs=1 skip=33 count=384 2>/dev/null
openssl pkeyutl -decrypt -inkey worker-w1.key -in ek -out k \
    -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 \
    -pkeyopt rsa_mgf1_md:sha256 2>err || fail "pkeyutl: $(cat err)"
expect_eq "K length" "$(wc -c <k)" 32
expect_eq "GCM with K" "$($PY gcm "$(od -An -tx1 k | tr -d ' \n')" box1)" abc

# Both directions, both versions, a UTF-8 password and a key file.
printf 'p\303\244ss-\342\202\254' >pw
head -c 3000 /dev/urandom | base64 >keyfile
for w in w1 w2; do
	for s in pw keyfile; do
		$PY seal worker-$w.crt <$s >py.box || fail "python seal $w"
		"$TOOL" open worker-$w.key <py.box >out 2>err ||
		    fail "pogo cannot open python's box ($w, $s): $(cat err)"
		cmp -s out $s || fail "pogo opened python's $w box wrongly"
		"$TOOL" seal worker-$w.crt <$s >pogo.box || fail "seal $w"
		$PY open worker-$w.key <pogo.box >out 2>err ||
		    fail "python cannot open pogo's box ($w, $s): $(cat err)"
		cmp -s out $s || fail "python opened pogo's $w box wrongly"
	done
done
expect_eq "v2 version" "$(base64 -d pogo.box | od -An -tx1 -N1 | tr -d ' ')" 02

# X-WRONG: a box for another worker key, or for another key type.
for k in w3 w2; do
	"$TOOL" open worker-$k.key <box1 >out 2>err &&
	    fail "the box of w1 opened with $k's key"
	expect_eq "error with $k" "$(cat err)" "cannot decrypt job secrets"
done
"$TOOL" open worker-w1.crt <box1 >out 2>err && fail "opened without a key"
expect_eq "no private key" "$(cat err)" "Worker key not defined"
echo "PASS $E2E_NAME"
