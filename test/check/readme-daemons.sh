#!/bin/sh
# README.md's "Running the daemons" works as written: its shell block is
# run as is (build/pogo replaced by the binary under test), with two
# waits a reader does by eye (the workers listed, the job finished); the
# job's six hosts must end `finished`, web3's output must be stored, and
# the three daemons must exit 0 on the block's SIGTERM.  It uses the
# default ports 7655 and 7656 of loopback, as the README does.
: "${POGO:?}" "${POGO_SRC:?}"
command -v curl >/dev/null || { echo "readme-daemons: no curl"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/pogo-readme.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
sed -n '/^## Running the daemons/,/^## /p' "$POGO_SRC/README.md" |
    sed -n '/^```sh$/,/^```$/p' | sed '1d;$d' >"$T/block.sh"
grep -q 'jobsubmit' "$T/block.sh" || { echo "readme-daemons: no block"; exit 1; }
python3 - "$T/block.sh" "$T/run.sh" "$POGO" <<'EOP' || exit 1
import sys
src = open(sys.argv[1]).read().replace("build/pogo", sys.argv[3])
def wait(line, cond):
    if line not in src:
        sys.exit("readme-daemons: the block has no line %r" % line)
    return src.replace(line, "i=0; until %s || [ $i -ge 300 ]; do sleep 0.1; "
        "i=$((i + 1)); done; %s" % (cond, line), 1)
src = wait("curl -s http://127.0.0.1:7656/status",
    "curl -s http://127.0.0.1:7656/status | grep -q 'w1 .*w2 \\|w2 .*w1 '")
src = wait("curl -s 'http://127.0.0.1:7656/v1/jobs/p0000000000?format",
    "curl -s http://127.0.0.1:7656/v1/jobs/p0000000000 | "
    "grep -q '\"state\":\"finished\"'")
src = src.replace("kill %1 %2 %3", "kill %1 %2 %3\nfor j in 1 2 3; do wait %$j; echo \"exit $?\"; done")
src += '\nrm -rf "$D"\n'  # the block's state directory
open(sys.argv[2], "w").write(src)
EOP
timeout 120 bash "$T/run.sh" >"$T/out" 2>&1
rc=$?
fail() {
	echo "readme-daemons: $1"
	cat "$T/out"
	exit 1
}
[ $rc -eq 0 ] || fail "the block exited $rc"
grep -q '"jobid":"p0000000000"' "$T/out" || fail "no job id answered"
n=$(grep -o '"state":"finished","message":"ok"' "$T/out" | wc -l)
[ "$n" -eq 6 ] || fail "$n hosts finished, not 6"
grep -q '"data":"hello from web3"' "$T/out" || fail "no output of web3"
[ "$(grep -c '^exit 0$' "$T/out")" -eq 3 ] || fail "a daemon did not exit 0"
echo "readme-daemons: 2 workers, 6 hosts finished, output stored, clean exits"
