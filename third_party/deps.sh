#!/bin/sh
# Install every build and test dependency of pogo on a Debian 12 machine,
# then build the libraries that Debian does not ship as usable static
# archives into third_party's prefix: libssh (OpenSSL libcrypto backend) and
# cJSON from Debian source packages, and llhttp from the C sources that
# Debian's node-llhttp package ships.  Idempotent: a second run only checks.
#
# Usage: third_party/deps.sh [PREFIX]   (default: build/third_party)
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
prefix=${1:-$top/build/third_party}
# Bump the version when the recipe below changes: existing prefixes rebuild.
# $sshstamp marks the libssh and cJSON steps: a prefix that has it keeps
# them and only the later steps (llhttp) run again.  v4 patches libssh
# (third_party/patches/), so older prefixes build everything again; v5
# adds a second patch (the OpenSSL key pairs, issue 8); v6: the first
# patch also gives "Match user" the caller's default login.  Since v7 both
# stamps also carry a checksum of the libssh patches, so a patch added,
# changed or removed rebuilds libssh with no bump here (the fourth patch
# needs libsodium-dev: libssh's Ed25519 and X25519 run on libsodium).
patchsum=$(cat "$top"/third_party/patches/libssh-*.patch 2>/dev/null |
    cksum | cut -d' ' -f1)
stamp=$prefix/.deps-v7-$patchsum
sshstamp=$prefix/.deps-v7-$patchsum-ssh

pkgs="build-essential cmake clang clang-format libclang-rt-14-dev dpkg-dev patch curl
    libuv1-dev libmbedtls-dev libssl-dev libsodium-dev libcyaml-dev libyaml-dev
    zlib1g-dev libsqlite3-dev openssh-server openssh-client mandoc iproute2 nftables
    procps psmisc sudo netcat-openbsd bsdutils python3 python3-cryptography
    time pdsh clustershell pssh chromium nodejs wrk"

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed' || missing="$missing $p"
done
src_list=/etc/apt/sources.list.d/pogo-src.sources
need_update=0
if [ ! -f "$src_list" ]; then
	# A deb-src entry made from the machine's own source list: no host is
	# named here, so the script works behind any mirror.
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		sed 's/^Types: deb$/Types: deb-src/' \
		    /etc/apt/sources.list.d/debian.sources |
		    as_root tee "$src_list" >/dev/null
	elif [ -f /etc/apt/sources.list ]; then
		grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' |
		    as_root tee /etc/apt/sources.list.d/pogo-src.list >/dev/null
		as_root touch "$src_list"
	fi
	need_update=1
fi
if [ -n "$missing" ] || [ "$need_update" = 1 ]; then
	echo "deps: apt-get update"
	as_root apt-get update -qq
fi
if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $missing >/dev/null
fi

# npm: Debian's package, unless the machine's nodejs already brings one
# (a nodejs built elsewhere conflicts with Debian's npm package).
if ! command -v npm >/dev/null 2>&1; then
	echo "deps: installing npm"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends npm >/dev/null
fi
# playwright-core from the npm registry, for the browser tests of the web
# UI (t7001): it drives Debian's chromium and downloads no browser.
pw_version=1.57.0
pw_dir=$prefix/node/node_modules/playwright-core
if [ "$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$pw_dir/package.json" \
    2>/dev/null)" != "$pw_version" ]; then
	echo "deps: npm install playwright-core@$pw_version"
	mkdir -p "$prefix/node"
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$prefix/node" \
	    --no-audit --no-fund --silent "playwright-core@$pw_version"
fi

[ -f "$stamp" ] && exit 0

# Builds that share one prefix (git worktrees) wait for each other.
mkdir -p "$prefix"
exec 9>"$prefix/.lock"
flock 9
[ -f "$stamp" ] && exit 0

work=$prefix/src
[ -f "$sshstamp" ] || rm -rf "$work"
mkdir -p "$work"
cd "$work"

# apt-get source for the newest version whose source downloads; the
# newest security release's source is sometimes missing from the archive.
fetch_source() {
	name=$1
	if apt-get source -qq "$name" >/dev/null 2>&1; then
		return 0
	fi
	for v in $(apt-cache showsrc "$name" 2>/dev/null |
	    sed -n 's/^Version: //p' | sort -rV | uniq); do
		echo "deps: $name newest source missing, trying $v"
		if apt-get source -qq "$name=$v" >/dev/null 2>&1; then
			return 0
		fi
	done
	echo "deps: cannot fetch the source of $name" >&2
	return 1
}

# llhttp: Debian has no C library package, but node-llhttp (built from
# node-undici) ships the generated C parser (usr/share/llhttp/*.c) and its
# header (usr/share/include/llhttp/llhttp.h).  The package is unpacked here,
# never installed, and its three files are compiled into libllhttp.a.
build_llhttp() {
	echo "deps: building llhttp from Debian's node-llhttp package"
	rm -rf llhttp-pkg build-llhttp node-llhttp_*.deb
	if ! apt-get download -qq node-llhttp >/dev/null 2>&1; then
		for v in $(apt-cache show node-llhttp 2>/dev/null |
		    sed -n 's/^Version: //p' | sort -rV | uniq); do
			echo "deps: node-llhttp candidate missing, trying $v"
			apt-get download -qq "node-llhttp=$v" >/dev/null 2>&1 && break
		done
	fi
	deb=$(ls node-llhttp_*.deb 2>/dev/null | head -n1)
	if [ -z "$deb" ]; then
		echo "deps: cannot download node-llhttp" >&2
		return 1
	fi
	dpkg-deb -x "$deb" llhttp-pkg
	{
		grep -v '^node-llhttp_' "$prefix/versions.txt" 2>/dev/null || true
		echo "node-llhttp_$(dpkg-deb -f "$deb" Version)"
	} > "$prefix/versions.txt.new"
	mv "$prefix/versions.txt.new" "$prefix/versions.txt"
	llsrc=llhttp-pkg/usr/share/llhttp
	mkdir -p build-llhttp "$prefix/include" "$prefix/lib"
	# Strict mode: a server parser refuses bare LF line ends and other
	# leniencies that differ between parsers (request smuggling).
	for f in llhttp api http; do
		cc -O2 -g -fPIC -DLLHTTP_STRICT_MODE=1 \
		    -Illhttp-pkg/usr/share/include/llhttp -c "$llsrc/$f.c" \
		    -o "build-llhttp/$f.o" || return 1
	done
	ar rcs build-llhttp/libllhttp.a build-llhttp/llhttp.o \
	    build-llhttp/api.o build-llhttp/http.o
	mv -f build-llhttp/libllhttp.a "$prefix/lib/libllhttp.a"
	cp llhttp-pkg/usr/share/include/llhttp/llhttp.h "$prefix/include/llhttp.h"
}

if [ -f "$sshstamp" ]; then
	build_llhttp
	touch "$stamp"
	echo "deps: done ($(tr '\n' ' ' < "$prefix/versions.txt"))"
	exit 0
fi

echo "deps: building libssh and cJSON from Debian source packages"
fetch_source libssh
fetch_source cjson
ls libssh_*.dsc cjson_*.dsc | sed 's/\.dsc$//' > "$prefix/versions.txt"

sshdir=$(ls -d libssh-*/ | head -n1)
# pogo's own patches of the Debian source (third_party/README.md): the
# build stops if one does not apply, rather than build libssh without it.
for p in "$top"/third_party/patches/libssh-*.patch; do
	[ -f "$p" ] || continue
	echo "deps: patching libssh: $(basename "$p")"
	patch -d "$sshdir" -p1 --batch --forward --quiet <"$p" || {
		echo "deps: $(basename "$p") does not apply to $sshdir" >&2
		exit 1
	}
	echo "$(basename "$p" .patch)" >>"$prefix/versions.txt"
done
cmake -S "$sshdir" -B build-libssh -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib \
    -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
    -DBUILD_SHARED_LIBS=OFF -DWITH_MBEDTLS=OFF -DWITH_GCRYPT=OFF \
    -DOPENSSL_USE_STATIC_LIBS=ON -DWITH_GSSAPI=OFF \
    -DWITH_EXAMPLES=OFF -DWITH_PCAP=OFF -DUNIT_TESTING=OFF \
    -DWITH_SERVER=OFF >build-libssh.log 2>&1 ||
    { cat build-libssh.log; exit 1; }
cmake --build build-libssh -j"$(nproc)" >>build-libssh.log 2>&1 ||
    { tail -50 build-libssh.log; exit 1; }
cmake --install build-libssh >>build-libssh.log 2>&1

cjdir=$(ls -d cjson-*/ | head -n1)
cmake -S "$cjdir" -B build-cjson -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib \
    -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
    -DBUILD_SHARED_LIBS=OFF -DBUILD_SHARED_AND_STATIC_LIBS=OFF \
    -DENABLE_CJSON_TEST=OFF -DENABLE_CJSON_UTILS=OFF \
    -DENABLE_CUSTOM_COMPILER_FLAGS=OFF >build-cjson.log 2>&1 ||
    { cat build-cjson.log; exit 1; }
cmake --build build-cjson -j"$(nproc)" >>build-cjson.log 2>&1 ||
    { tail -50 build-cjson.log; exit 1; }
cmake --install build-cjson >>build-cjson.log 2>&1
touch "$sshstamp"

build_llhttp

touch "$stamp"
echo "deps: done ($(tr '\n' ' ' < "$prefix/versions.txt"))"
