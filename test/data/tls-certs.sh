#!/bin/sh
# Make test certificates in DIR with the openssl command line, with the
# subjects and extensions of SPEC 10.2 (EC P-256 keys, SHA-256):
#   ca.crt ca.key              CN=pogo CA, O=pogo
#   dispatcher.crt/.key        CN=d1, OU=dispatcher (SAN d1, 127.0.0.1)
#   worker.crt/.key            CN=w1, OU=worker
#   client.crt/.key            CN=alice, OU=client
#   expired.crt/.key           CN=w-old, OU=worker, valid in 2020 only
#   other-ca.crt other-ca.key  a second CA
#   other-worker.crt/.key      CN=w2, OU=worker, from the second CA
#   self.crt/.key              CN=d-self, OU=dispatcher, self-signed
# and NAME.sha256 with the SHA-256 fingerprint of each certificate
# (hex with ':', as `openssl x509 -fingerprint -sha256` prints it).
# With POGO_CA set to a pogo binary, `pogo ca` makes the two CAs and the
# dispatcher, worker, client and other-worker certificates (the worker's
# key is then RSA-3072, SPEC 10.2's default); openssl makes the rest.
# Private keys are made here, at run time, never committed.
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"
umask 077

key() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$1.key" 2>/dev/null
}

cat >ext.cnf <<'CNF'
[ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[dispatcher]
basicConstraints = CA:FALSE
authorityKeyIdentifier = keyid
subjectKeyIdentifier = hash
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:d1, IP:127.0.0.1
[worker]
basicConstraints = CA:FALSE
authorityKeyIdentifier = keyid
subjectKeyIdentifier = hash
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
[client]
basicConstraints = CA:FALSE
authorityKeyIdentifier = keyid
subjectKeyIdentifier = hash
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
[self]
basicConstraints = CA:FALSE
subjectKeyIdentifier = hash
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
CNF

ca() { # NAME CN
	key "$1"
	openssl req -new -x509 -key "$1.key" -out "$1.crt" -days 30 -sha256 \
	    -subj "/CN=$2/O=pogo" -extensions ca -config ext.cnf \
	    2>/dev/null
}

issue() { # NAME CA KIND CN
	key "$1"
	openssl req -new -key "$1.key" -out "$1.csr" -sha256 \
	    -subj "/CN=$4/OU=$3/O=pogo" 2>/dev/null
	openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" \
	    -CAcreateserial -out "$1.crt" -days 30 -sha256 \
	    -extfile ext.cnf -extensions "$3" 2>/dev/null
}

if [ -n "${POGO_CA:-}" ]; then
	# `pogo ca` (SPEC 10.2) makes the CAs and the certificates of the
	# three kinds; openssl only what it cannot: the expired one.
	"$POGO_CA" ca init --dir "$dir/ca-dir" >/dev/null
	cp ca-dir/ca.crt ca.crt
	cp ca-dir/ca.key ca.key
	"$POGO_CA" ca issue dispatcher d1 --dir ca-dir --san 127.0.0.1 \
	    --out dispatcher >/dev/null
	"$POGO_CA" ca issue worker w1 --dir ca-dir --out worker >/dev/null
	"$POGO_CA" ca issue client alice --dir ca-dir --out client >/dev/null
	"$POGO_CA" ca init --dir "$dir/other-ca-dir" --cn "other CA" \
	    >/dev/null
	cp other-ca-dir/ca.crt other-ca.crt
	"$POGO_CA" ca issue worker w2 --dir other-ca-dir --out other-worker \
	    >/dev/null
else
	ca ca "pogo CA"
	ca other-ca "other CA"
	issue dispatcher ca dispatcher d1
	issue worker ca worker w1
	issue client ca client alice
	issue other-worker other-ca worker w2
fi

# Valid in 2020 only: `openssl ca` sets the dates.
key expired
openssl req -new -key expired.key -out expired.csr -sha256 \
    -subj "/CN=w-old/OU=worker/O=pogo" 2>/dev/null
mkdir -p db
: >db/index.txt
echo 1000 >db/serial
cat >ca.cnf <<'CNF'
[ca]
default_ca = pogo
[pogo]
database = db/index.txt
serial = db/serial
new_certs_dir = db
default_md = sha256
policy = any
copy_extensions = none
[any]
commonName = supplied
organizationalUnitName = optional
organizationName = optional
CNF
openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key \
    -in expired.csr -out expired.crt -startdate 20200101000000Z \
    -enddate 20200201000000Z -extfile ext.cnf -extensions worker \
    -notext 2>/dev/null

key self
openssl req -new -x509 -key self.key -out self.crt -days 30 -sha256 \
    -subj "/CN=d-self/OU=dispatcher/O=pogo" -extensions self \
    -config ext.cnf 2>/dev/null

for c in ca dispatcher worker client expired other-ca other-worker self; do
	openssl x509 -in $c.crt -noout -fingerprint -sha256 |
	    sed 's/.*=//' >$c.sha256
done
rm -f ./*.csr
