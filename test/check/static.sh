#!/bin/sh
# The default build is one static executable.
: "${POGO:?}"
[ "${POGO_STATIC:-ON}" = ON ] || { echo "not a static build"; exit 77; }
out=$(ldd "$POGO" 2>&1)
case $out in
*"not a dynamic executable"* | *"statically linked"*) ;;
*) echo "pogo is dynamic:"; echo "$out"; exit 1 ;;
esac
file "$POGO" 2>/dev/null | grep -q 'statically linked' || {
	command -v file >/dev/null && { file "$POGO"; exit 1; }
}
echo "static: $out"
