#!/bin/sh
# test/e2e/lib.sh's cleanup ends only processes the test started, by PID
# (review7 6).  A test that waited for a child leaves its PID in
# $E2E_PIDS, and the kernel may give that PID to an unrelated process
# before the cleanup runs: the cleanup must leave that process alone.
# Here a process this check starts outside the test (not of its run)
# stands for the reused PID: the test adds its PID to E2E_PIDS, and
# starts a child of its own that it does not wait for.  After the test:
# the outside process still runs, the test's child was ended, and the
# test exited 0.  The outside process is then ended by this check, by PID.
: "${POGO:?}" "${POGO_SRC:?}"
D=$(mktemp -d "${TMPDIR:-/tmp}/pogo-e2e-cleanup.XXXXXX") || exit 1
# Not of the test's run: started before it, outside its environment.
sleep 120 &
OUTSIDE=$!
end() {
	rc=$?
	kill "$OUTSIDE" 2>/dev/null
	wait "$OUTSIDE" 2>/dev/null
	[ -n "${CHILD:-}" ] && kill -s 0 "$CHILD" 2>/dev/null &&
	    kill "$CHILD" 2>/dev/null
	rm -rf "$D"
	exit $rc
}
trap end EXIT
trap 'exit 1' INT TERM HUP
cat >"$D/t0000-cleanup.sh" <<EOT
. "$POGO_SRC/test/e2e/lib.sh"
e2e_init
sleep 120 &
E2E_PIDS="\$E2E_PIDS \$!"
echo \$! >"$D/child"
true &
E2E_PIDS="\$E2E_PIDS \$!"
wait \$!
# As if the PID of the reaped child had been reused by OUTSIDE.
E2E_PIDS="\$E2E_PIDS $OUTSIDE"
exit 0
EOT
POGO_SRC=$POGO_SRC sh "$D/t0000-cleanup.sh"
rc=$?
CHILD=$(cat "$D/child" 2>/dev/null)
[ $rc -eq 0 ] || { echo "e2e-cleanup: the test exited $rc"; exit 1; }
[ -n "$CHILD" ] || { echo "e2e-cleanup: no child PID"; exit 1; }
# The test's child: ended by the cleanup (it is not our child: no zombie).
if kill -s 0 "$CHILD" 2>/dev/null; then
	echo "e2e-cleanup: the test's own child $CHILD still runs"
	exit 1
fi
# The outside process: never signalled (a zombie would mean it was killed).
st=$(ps -o stat= -p "$OUTSIDE" 2>/dev/null)
case $st in
S* | R*) ;;
*)
	echo "e2e-cleanup: the outside process $OUTSIDE was ended (state '$st')"
	exit 1
	;;
esac
echo "PASS e2e-cleanup"
