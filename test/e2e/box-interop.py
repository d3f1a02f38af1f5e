#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The pogo authors
"""An independent implementation of pogo's secret boxes (SPEC 10.3) on
Python's cryptography package, for the interoperability tests.

  box-interop.py seal CERT        secret on stdin -> base64 box on stdout
  box-interop.py open KEY         base64 box on stdin -> secret on stdout
  box-interop.py gcm K_HEX BOX    X-036's second half: the secret of a
                                  version 1 box (base64 in the file BOX)
                                  with the AES key K, printed
"""
import base64
import hashlib
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

INFO = b"pogo-secret-v1"
OAEP = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()),
                    algorithm=hashes.SHA256(), label=None)


def kid(pub):
    spki = pub.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).digest()


def point(pub):
    return pub.public_bytes(serialization.Encoding.X962,
                            serialization.PublicFormat.UncompressedPoint)


def hkdf(salt, z):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt,
                info=INFO).derive(z)


def seal(pub, p):
    iv = os.urandom(12)
    if isinstance(pub, rsa.RSAPublicKey):
        k = os.urandom(32)
        head = b"\x01" + kid(pub) + pub.encrypt(k, OAEP)
    else:
        e = ec.generate_private_key(ec.SECP256R1())
        epk = point(e.public_key())
        z = e.exchange(ec.ECDH(), pub)
        k = hkdf(epk + point(pub), z)
        head = b"\x02" + kid(pub) + epk
    return head + iv + AESGCM(k).encrypt(iv, p, head)


def open_box(key, box):
    pub = key.public_key()
    if box[1:33] != kid(pub):
        raise SystemExit("KID is not this key's")
    if box[0] == 1:
        n = pub.key_size // 8
        k = key.decrypt(box[33:33 + n], OAEP)
        head = box[:33 + n]
    elif box[0] == 2:
        epk = box[33:98]
        e = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), epk)
        k = hkdf(epk + point(pub), key.exchange(ec.ECDH(), e))
        head = box[:98]
    else:
        raise SystemExit("unknown version")
    iv = box[len(head):len(head) + 12]
    return AESGCM(k).decrypt(iv, box[len(head) + 12:], head)


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    if cmd in ("seal", "open"):
        data = open(path, "rb").read()
    if cmd == "seal":
        pub = x509.load_pem_x509_certificate(data).public_key()
        box = seal(pub, sys.stdin.buffer.read())
        print(base64.b64encode(box).decode())
    elif cmd == "open":
        key = serialization.load_pem_private_key(data, password=None)
        box = base64.b64decode(sys.stdin.read().strip(), validate=True)
        sys.stdout.buffer.write(open_box(key, box))
    elif cmd == "gcm":
        k = bytes.fromhex(path)
        box = base64.b64decode(open(sys.argv[3]).read().strip(),
                               validate=True)
        head = box[:33 + 384]
        iv = box[len(head):len(head) + 12]
        sys.stdout.buffer.write(
            AESGCM(k).decrypt(iv, box[len(head) + 12:], head))
    else:
        raise SystemExit("usage: box-interop.py seal|open|gcm ...")


if __name__ == "__main__":
    main()
