#!/bin/sh
# pogo schedule loads every configuration in examples/, so they cannot rot.
: "${POGO:?}"
n=0
for f in "${POGO_SRC:?}"/examples/*.yaml; do
	"$POGO" schedule "$f" >/dev/null || { echo "examples: $f fails"; exit 1; }
	n=$((n + 1))
done
[ $n -ge 3 ] || { echo "examples: only $n files"; exit 1; }
echo "examples: $n configurations load"
