#!/bin/sh
# clang-format --dry-run --Werror over every C file of pogo (STYLE.md 10.8).
cd "${POGO_SRC:?}" || exit 1
command -v clang-format >/dev/null || { echo "no clang-format"; exit 77; }
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find src include test -name '*.[ch]')
[ -n "$files" ] || files=$(find src include test -name '*.[ch]')
# shellcheck disable=SC2086
clang-format --dry-run --Werror $files || exit 1
echo "format: $(echo "$files" | wc -w) files clean"
