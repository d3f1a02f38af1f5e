#!/bin/sh
# Fan-out benchmark: pogo one, pdsh (ssh module) and ClusterShell against
# the same throwaway sshd (one sshd in a network namespace, every
# 127.x.y.z a host), interleaved, three runs each, medians printed.
#   W1: true on 300 hosts, fan-out 32
#   W2: true on 300 hosts, fan-out 128
#   W3: sleep 1 on 300 hosts, fan-out 128
# Figures: wall time, client CPU (user+sys of the client and every child
# it waited for) per host, and peak RSS (the largest client process; for
# pogo, per host in flight).  Usage: test/bench/fanout.sh [build/pogo]
set -u
POGO=$(cd "$(dirname "${1:-build/pogo}")" && pwd)/$(basename "${1:-build/pogo}")
export POGO
cd "$(dirname "$0")/../.." || exit 1
POGO_SRC=$PWD
export POGO_SRC
RUNS=${FANOUT_RUNS:-3}
NHOSTS=300

. test/e2e/lib.sh
E2E_NAME=fanout
E2E_NUM=1998
e2e_init
for t in pdsh clush /usr/bin/time; do
	command -v $t >/dev/null || skip "no $t (third_party/deps.sh installs it)"
done
start_sshd
in_ns "$POGO" one -l "$TEST_USER" -i "$T/id_ed25519" --port "$SSHD_PORT" \
    --host-key-check off --targets 127.0.1.1 --run-command true \
    >/dev/null 2>&1 || fail "the test hosts do not answer"

seq -f '127.0.30.%g' 1 100 >"$T/hosts"
seq -f '127.0.31.%g' 1 100 >>"$T/hosts"
seq -f '127.0.32.%g' 1 100 >>"$T/hosts"
HOSTLIST=$(paste -sd, "$T/hosts")
SSHOPTS="-p $SSHD_PORT -i $T/id_ed25519 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR"

# run TOOL FANOUT CMD: one measured run; prints "wall cpu maxrss_kb fails".
run() {
	tool=$1
	f=$2
	cmd=$3
	case $tool in
	pogo)
		in_ns /usr/bin/time -f '%e %U %S %M' -o "$T/time" \
		    "$POGO" one -l "$TEST_USER" -i "$T/id_ed25519" \
		    --port "$SSHD_PORT" --host-key-check off \
		    --concurrency "$f" --targets "@$T/hosts" \
		    --run-command "$cmd" >"$T/out" 2>"$T/err"
		ok=$(grep -c ': Success$' "$T/out")
		;;
	pdsh)
		in_ns env PDSH_SSH_ARGS="$SSHOPTS -l %u %h" \
		    /usr/bin/time -f '%e %U %S %M' -o "$T/time" \
		    pdsh -R ssh -f "$f" -l "$TEST_USER" -w "^$T/hosts" \
		    "$cmd; echo pdsh-ok" >"$T/out" 2>"$T/err"
		ok=$(grep -c ': pdsh-ok$' "$T/out")
		;;
	clush)
		in_ns /usr/bin/time -f '%e %U %S %M' -o "$T/time" \
		    clush -f "$f" -l "$TEST_USER" -o "$SSHOPTS" -w "$HOSTLIST" \
		    "$cmd; echo clush-ok" >"$T/out" 2>"$T/err"
		ok=$(grep -c ': clush-ok$' "$T/out")
		;;
	esac
	awk -v ok="$ok" -v n=$NHOSTS '{ printf "%s %.4f %s %d\n", $1, $2 + $3, $4, n - ok }' \
	    "$T/time"
}

# pogo's own baseline: the RSS of a one-host local run.
in_ns /usr/bin/time -f '%M' -o "$T/base" "$POGO" one --local --targets x \
    --run-command true >/dev/null 2>&1
BASE_KB=$(cat "$T/base")

: >"$T/results"
for r in $(seq 1 "$RUNS"); do
	for w in W1 W2 W3; do
		case $w in
		W1) f=32 cmd=true ;;
		W2) f=128 cmd=true ;;
		W3) f=128 cmd="sleep 1" ;;
		esac
		for tool in pogo pdsh clush; do
			echo "$w $tool $f $(run $tool $f "$cmd")" >>"$T/results"
		done
	done
done

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
printf '\n%-3s %-6s %6s %10s %14s %12s %16s %6s\n' workload tool fanout \
    wall_s cpu_ms_per_host peak_rss_mb rss_kb_per_slot fails
base=0
for w in W1 W2 W3; do
	for tool in pogo pdsh clush; do
		f=$(awk -v w=$w -v t=$tool '$1 == w && $2 == t {print $3; exit}' "$T/results")
		wall=$(awk -v w=$w -v t=$tool '$1 == w && $2 == t {print $4}' "$T/results" | median)
		cpu=$(awk -v w=$w -v t=$tool '$1 == w && $2 == t {print $5}' "$T/results" | median)
		rss=$(awk -v w=$w -v t=$tool '$1 == w && $2 == t {print $6}' "$T/results" | median)
		fails=$(awk -v w=$w -v t=$tool '$1 == w && $2 == t {s += $7} END {print s}' "$T/results")
		# pogo: per slot above its own one-host baseline.
		[ $tool = pogo ] && base=$BASE_KB || base=0
		printf '%-8s %-6s %6s %10s %14.3f %12.1f %16.0f %6s\n' $w $tool $f \
		    "$wall" "$(echo "$cpu" | awk -v n=$NHOSTS '{print $1 * 1000 / n}')" \
		    "$(echo "$rss" | awk '{print $1 / 1024}')" \
		    "$(echo "$rss $base $f" | awk '{print ($1 - $2) / $3}')" "$fails"
	done
done
echo "(cpu: user+sys of the client and its children, per host; peak_rss: the largest"
echo " client process; rss per slot: peak over fan-out, for pogo above its one-host"
echo " baseline of $BASE_KB KB)"
