#!/bin/sh
# The demo of `make demo`: pogo one rolls a (pretend) release out to 102
# SSH hosts, under the sequences and limits of examples/demo-rollout.yaml.
# The hosts are one throwaway OpenSSH server in a network namespace, where
# every 127.x.y.z address is a distinct host (TESTHOSTS.md); two of them
# fail on purpose.  Everything is torn down afterwards.
set -u
POGO=$(cd "$(dirname "${1:-build/pogo}")" && pwd)/$(basename "${1:-build/pogo}")
export POGO
cd "$(dirname "$0")/.." || exit 1
POGO_SRC=$PWD
export POGO_SRC

if [ "$(id -u)" != 0 ]; then
	echo "demo: the throwaway SSH hosts need root (a network namespace);"
	echo "      run 'sudo make demo', or see the local run below."
	"$POGO" one --local --config examples/demo-rollout.yaml \
	    --targets '127.0.[1-3].[1-32],127.0.4.[1-6]' \
	    --run-command 'sleep 0.1'
	exit $?
fi

# The end-to-end harness brings the throwaway sshd and its clean-up.
. test/e2e/lib.sh
E2E_NAME=demo
E2E_NUM=1999
e2e_init
start_sshd

cat <<'MSG'

== pogo one: release 2.4.1 on 102 hosts (examples/demo-rollout.yaml)
   web: colo by colo (sin, then ams, then iad), at most 25% of a colo at
   once; databases one at a time.  127.0.2.7 and 127.0.2.19 will fail.

MSG
pogo_one --config examples/demo-rollout.yaml \
    --targets '127.0.[1-3].[1-32],127.0.4.[1-6]' \
    --run-command 'sleep 0.2
case "$POGO_HOST" in 127.0.2.7|127.0.2.19)
    echo "deploy 2.4.1: disk full" >&2; exit 1;; esac
echo "deployed 2.4.1 on $POGO_HOST"'
rc=$?
cat <<MSG

== pogo one exited $rc (1: some hosts failed).  Each failed host kept its
   share of iad's limit (8 web hosts at once): had 8 of them failed, the
   rollout would have stopped there by itself, the rest "Deadlocked".
   The plan behind it: build/pogo schedule examples/demo-rollout.yaml
MSG
exit 0
