#!/bin/sh
# The demo of `make demo`: pogo's planner on the example rollout.  Until
# `pogo one` runs jobs, `pogo schedule` is pogo's main job: it shows which
# hosts run together, in which order, under which limits.
set -eu
POGO=${1:-build/pogo}
cd "$(dirname "$0")/.."

echo "== pogo $("$POGO" --version | head -n1 | cut -d' ' -f2), a static binary:"
ldd "$POGO" 2>&1 | sed 's/^/   /'
echo
echo "== The rollout plan of examples/web-rollout.yaml (3 colos, databases"
echo "   and web servers in their own sequences, at most 2 hosts per colo):"
"$POGO" schedule examples/web-rollout.yaml
echo
echo "== The same configuration, for a job on a few hosts and one the"
echo "   configuration does not know (it runs unconstrained):"
"$POGO" schedule examples/web-rollout.yaml \
    --targets 'web[01-03].{sin,ams},db1.ams,db2.iad,newhost1'
echo
echo "== A configuration error is refused with its line and column:"
printf 'tag:\nconstraint:\n  $colo:\n    max_parallel: 0\n' >/tmp/pogo-demo-bad.$$
"$POGO" schedule /tmp/pogo-demo-bad.$$ || echo "   (exit status $?)"
rm -f /tmp/pogo-demo-bad.$$
