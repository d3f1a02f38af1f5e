#!/bin/sh
# The static binary runs --version inside an empty chroot that holds only
# the binary and a minimal /etc.
: "${POGO:?}"
[ "${POGO_STATIC:-ON}" = ON ] || { echo "not a static build"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "chroot needs root"; exit 77; }
d=$(mktemp -d) || exit 1
trap 'rm -rf "$d"' EXIT
mkdir -p "$d/etc"
cp "$POGO" "$d/pogo"
printf '127.0.0.1 localhost\n' >"$d/etc/hosts"
printf 'nameserver 127.0.0.1\n' >"$d/etc/resolv.conf"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$d/etc/passwd"
printf 'root:x:0:\n' >"$d/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$d/etc/nsswitch.conf"
out=$(chroot "$d" /pogo --version) || { echo "pogo failed in the chroot"; exit 1; }
echo "$out" | grep -q '^libssh .*/openssl' || { echo "$out"; exit 1; }
echo "$out" | grep -q '^libcrypto OpenSSL ' || { echo "$out"; exit 1; }
echo "$out" | grep -q '^libsodium [0-9]' || { echo "$out"; exit 1; }
echo "$out" | grep -q '^pogo ' || exit 1
echo "chroot: ok ($(echo "$out" | head -n1))"
