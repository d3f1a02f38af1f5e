#!/bin/sh
# mandoc -Tlint on every manual page: no warnings.
cd "${POGO_SRC:?}/man" || exit 1
command -v mandoc >/dev/null || { echo "no mandoc"; exit 77; }
out=$(mandoc -Tlint -Wwarning ./* 2>&1)
if [ -n "$out" ]; then
	echo "$out"
	exit 1
fi
echo "mandoc: $(ls | wc -l) pages clean"
