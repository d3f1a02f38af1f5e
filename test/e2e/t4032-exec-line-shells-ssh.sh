#!/bin/sh
# The direct-mode exec request (SPEC 9.5) works whatever POSIX login shell
# runs it: sshd runs "<login shell> -c <request>"; here the request pogo
# sends is recorded by a ForceCommand and run by sh, dash and bash; each
# must give the command POGO_JOB_ID, POGO_HOST and PATH, run it with sh,
# and pass its exit status.  The request is SPEC 9.5's line, exactly
# ("exec env ENV sh -c Q(cmd)"; issue 8 item 2 measured it).  (csh, tcsh and fish are not POSIX shells: a
# newline or ! in the command breaks there, as pogo-one(1) says.)
. "$(dirname "$0")/lib.sh"
e2e_init
mkdir -m 1777 "$T/rec"
SSHD_EXTRA="Match LocalAddress 127.0.7.1
    ForceCommand printf '%s' \"\$SSH_ORIGINAL_COMMAND\" >$T/rec/line"
start_sshd
cd "$T" || exit 1

cmd='printf "%s|%s|%s|%s\n" "$POGO_JOB_ID" "$POGO_HOST" "$PATH" "$0"
echo "it'\''s \"quoted\""; exit 3'
pogo_one --targets 127.0.7.1 --run-command "$cmd" >"$T/out" 2>"$T/err"
expect_eq "recording run" $? 0
line=$(cat "$T/rec/line")
[ -n "$line" ] || fail "no exec request recorded"
path=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin
shells="sh dash bash"
for s in $shells; do
	command -v $s >/dev/null || { have $s "the $s login shell"; continue; }
	env -i HOME=/ PATH=/usr/bin:/bin "$(command -v $s)" -c "$line" \
	    >"$T/$s.out" 2>&1
	expect_eq "$s: exit status" $? 3
	job=$(sed -n '1s/|.*//p' "$T/$s.out")
	case $job in
	p[0-9]*) ;;
	*) fail "$s: POGO_JOB_ID '$job': $(cat "$T/$s.out")" ;;
	esac
	expect_eq "$s: output" "$(cat "$T/$s.out")" \
	    "$job|127.0.7.1|$path|sh
it's \"quoted\""
done
# SPEC 9.5, byte for byte: Q(cmd) quotes each ' as '\''.
q=$(printf '%s' "$cmd" | sed "s/'/'\\\\''/g")
expect_eq "the exec request" "$line" \
    "exec env PATH=$path POGO_JOB_ID='$job' POGO_HOST='127.0.7.1' sh -c '$q'"
echo "PASS $E2E_NAME"
