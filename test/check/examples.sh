#!/bin/sh
# pogo schedule loads every configuration in examples/, so they cannot rot.
# examples/pogo.yaml is the daemon configuration file: unit.cfg loads it.
: "${POGO:?}"
n=0
for f in "${POGO_SRC:?}"/examples/*.yaml; do
	[ "${f##*/}" != pogo.yaml ] || continue
	"$POGO" schedule "$f" >/dev/null || { echo "examples: $f fails"; exit 1; }
	n=$((n + 1))
done
[ $n -ge 3 ] || { echo "examples: only $n files"; exit 1; }
echo "examples: $n configurations load"
