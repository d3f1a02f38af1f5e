#!/bin/sh
# Every defined global symbol of pogo's own objects starts with pogo_, or
# is main, an x* allocator or fatal/fatalx (STYLE.md 10.1).
: "${POGO_CORE:?}"
bad=$(nm -g --defined-only "$POGO_CORE" | awk 'NF == 3 {print $3}' |
    grep -Ev '^(pogo_|main$|xmalloc$|xcalloc$|xreallocarray$|xstrdup$|xstrndup$|xasprintf$|xvasprintf$|fatal$|fatalx$)' |
    grep -Ev '^(__odr_asan|__asan|__ubsan|__sancov)')
if [ -n "$bad" ]; then
	echo "symbols without the pogo_ prefix:"
	echo "$bad"
	exit 1
fi
echo "symbols: $(nm -g --defined-only "$POGO_CORE" | awk 'NF == 3' | wc -l) global symbols, all prefixed"
