#!/bin/sh
# git t0450: every implemented subcommand has a manual page whose SYNOPSIS
# matches its -h usage line, and pogo(1) lists it in SEE ALSO.
. "$(dirname "$0")/lib.sh"
e2e_init
command -v mandoc >/dev/null || skip "no mandoc (apt-get install mandoc)"

# synopsis PAGE: the SYNOPSIS paragraph of a page, on one line.
synopsis() {
	mandoc -Tascii -Owidth=400 "$1" | sed 's/.\x08//g' |
	    awk '/^SYNOPSIS/ {on = 1; next} on && /^[A-Z]/ {exit}
	         on && NF {sub(/^ +/, ""); printf "%s%s", sep, $0; sep = " "}'
}

n=0
for c in $("$POGO" help | awk '/^  [a-z]/ && !/not implemented/ {print $1}'); do
	case $c in help | version) continue ;; esac
	page=""
	for s in 1 8; do
		[ -f "$POGO_SRC/man/pogo-$c.$s" ] && page="$POGO_SRC/man/pogo-$c.$s"
	done
	[ -n "$page" ] || fail "no manual page for pogo $c"
	# A usage of several forms (pogo ca) is several lines.
	usage=$("$POGO" "$c" -h | sed 's/^usage: //; s/^ *//' | tr '\n' ' ' |
	    sed 's/ $//')
	syn=$(synopsis "$page" | tr -s ' ')
	expect_eq "pogo $c SYNOPSIS" "$syn" "$usage"
	grep -q "^\.Xr pogo-$c " "$POGO_SRC/man/pogo.1" ||
	    fail "pogo.1 does not refer to pogo-$c"
	n=$((n + 1))
done
[ $n -ge 1 ] || fail "no implemented subcommand found"
echo "PASS $E2E_NAME ($n pages)"
