#!/bin/sh
# sshd's CPU per session (issue 8 item 2): OpenSSH's ssh client against
# pogo one, against one throwaway sshd (in a network namespace, every
# 127.x.y.z a host) that runs in a cgroup v2 of its own.
# Every client reads the same ssh_config (-F: port, user, ed25519 key,
# KEX curve25519-sha256; a stock sshd's host keys (rsa, ecdsa, ed25519:
# ssh picks Ed25519, pogo ECDSA P-256; BENCH_HOSTKEYS="" leaves Ed25519
# alone), the cipher
# chacha20-poly1305 for both).  Sessions run one at a time, in batches of
# SSHDCOST_N (25) per variant; each round runs one batch of every variant,
# the order rotated by one per round; SSHDCOST_ROUNDS (8) rounds.  A
# batch's figure is the sshd cgroup's usage_usec over the batch, after
# the cgroup is back to the listener alone, divided by the batch's
# sessions; the median over the rounds is printed, with the quartiles,
# and the mean number of sshd processes during the batch (sampled).
# A batch in which a session failed is reported and left out.
# CPU time in a cgroup counts only sshd's own processes (the login shell
# and the command included), so other load on the machine inflates it
# only through caches and frequency, not by adding time; wall time is
# not measured.
# SSHDCOST_CMD (true): the command (CMD below); SSHDCOST_FANOUT (1): how
# many sessions run at once (pogo's --concurrency and --max-handshakes,
# xargs -P for ssh), to see what running many at once does to sshd.
# Variants (SSHDCOST_VARIANTS; default: all but pogo-each, pogo2 and
# pogo3 only when their binary is given):
#   ssh-true   ssh -F cfg HOST CMD
#   ssh-true2  the same again, a second batch per round: how far two
#              batches of the same work differ (the noise)
#   ssh-line   ssh -F cfg HOST 'exec env PATH=... POGO_JOB_ID=... POGO_HOST=... sh -c '\''CMD'\'''
#              (SPEC 9.5's direct-mode line, pogo's)
#   ssh-sh     ssh -F cfg HOST 'exec sh -c '\''export PATH=... POGO_JOB_ID=... POGO_HOST=...; CMD'\'''
#              (sh exports ENV: env(1)'s exec saved; pogo's line
#              from f098cfe until issue 8 item 2 measured both)
#   ssh-login  ssh -F cfg HOST 'export PATH=... POGO_JOB_ID=... POGO_HOST=...; CMD'
#              (the same in the login shell, without sh -c; not a default)
#   pogo       pogo one -F cfg --concurrency 1 --run-command CMD
#   pdsh, clush, pssh  the peers of fanout.sh, with its options and K
#              at once (not defaults)
#   pogo-each  one pogo one per session, --targets HOST (as ssh: a new
#              client process for each session)
#   pogo2      the same with the binary $SSHDCOST_POGO2, pogo3 with
#   pogo3      $SSHDCOST_POGO3 (before/after comparisons in one run;
#              SSHDCOST_POGO2=build/pogo gives pogo against itself)
# Each variant's per-round ratios to ssh-true and to pogo are printed
# with their median and quartiles: ssh-true2 / ssh-true and (with
# SSHDCOST_POGO2 the same binary) pogo2 / pogo show the noise.
# Usage (root): test/bench/sshd-cost.sh [build/pogo]
# SSHDCOST_LOGLEVEL (INFO): sshd's LogLevel; SSHDCOST_LOG=FILE keeps its log.
set -u
. "$(dirname "$0")/lib.sh"
bench_root "$@"
N=${SSHDCOST_N:-25}
ROUNDS=${SSHDCOST_ROUNDS:-8}
CMD=${SSHDCOST_CMD:-true}
K=${SSHDCOST_FANOUT:-1}
VARIANTS="ssh-true ssh-true2 ssh-line ssh-sh pogo"
[ -z "${SSHDCOST_POGO2:-}" ] || VARIANTS="$VARIANTS pogo2"
[ -z "${SSHDCOST_POGO3:-}" ] || VARIANTS="$VARIANTS pogo3"
VARIANTS=${SSHDCOST_VARIANTS:-$VARIANTS}

bench_init sshd-cost 1997
bench_cgroups sshd
bench_sshd "$CG_SSHD" "${SSHDCOST_LOGLEVEL:-INFO}"
bench_ssh_config
bench_hosts "$N"

P=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin
# batch VARIANT: run N sessions one after another.
batch() {
	case $1 in
	pogo | pogo2 | pogo3)
		case $1 in
		pogo) bin=$POGO ;;
		pogo2) bin=$SSHDCOST_POGO2 ;;
		pogo3) bin=$SSHDCOST_POGO3 ;;
		esac
		in_ns "$bin" one -F "$T/ssh_config" --host-key-check off \
		    --connect-timeout 300 --concurrency "$K" \
		    --max-handshakes "$K" --targets "@$T/hosts" \
		    --run-command "$CMD" >"$T/out" 2>"$T/err"
		ok=$(grep -c ': Success$' "$T/out")
		;;
	pogo-each)
		ok=0
		while read -r h; do
			in_ns "$POGO" one -F "$T/ssh_config" \
			    --host-key-check off --connect-timeout 300 \
			    --targets "$h" --run-command "$CMD" </dev/null \
			    >"$T/out" 2>"$T/err" &&
			    grep -q ': Success$' "$T/out" && ok=$((ok + 1))
		done <"$T/hosts"
		;;
	pdsh)
		# (-S: pdsh's status is the largest of the hosts'; a
		# failure of the tool itself drops the batch too.)
		if in_ns env PDSH_SSH_ARGS="-F $T/ssh_config %h" pdsh -S \
		    -R ssh -f "$K" -w "^$T/hosts" "$CMD" >"$T/out" 2>"$T/err"
		then ok=$N; else ok=0; fi
		;;
	clush)
		# (clush's status is the largest of the hosts'.)
		if in_ns clush -f "$K" -o "-F $T/ssh_config" \
		    -w "$(paste -sd, "$T/hosts")" "$CMD" >"$T/out" 2>"$T/err"
		then ok=$N; else ok=0; fi
		;;
	pssh)
		in_ns parallel-ssh -p "$K" -t 0 -X -F -X "$T/ssh_config" \
		    -h "$T/hosts" "$CMD" >"$T/out" 2>"$T/err"
		ok=$(grep -c '\[SUCCESS\]' "$T/out")
		;;
	ssh-*)
		case $1 in
		ssh-true | ssh-true2) c=$CMD ;;
		ssh-line) c="exec env PATH=$P POGO_JOB_ID='p0000000001' POGO_HOST='%h' sh -c '$CMD'" ;;
		ssh-sh) c="exec sh -c 'export PATH=$P POGO_JOB_ID='\\''p0000000001'\\'' POGO_HOST='\\''%h'\\''; $CMD'" ;;
		ssh-login) c="export PATH=$P POGO_JOB_ID='p0000000001' POGO_HOST='%h'; $CMD" ;;
		esac
		# K at a time; the host's name replaces %h, as pogo's line
		# names it.
		: >"$T/ok"
		xargs -P "$K" -I @H@ sh -c 'c=$(printf "%s" "$1" |
		    sed "s/%h/$4/g"); ip netns exec "$3" ssh -F "$2/ssh_config" \
		    "$4" "$c" </dev/null >/dev/null 2>>"$2/err" &&
		    echo ok >>"$2/ok"' sh "$c" "$T" "$E2E_NS" @H@ <"$T/hosts"
		ok=$(wc -l <"$T/ok")
		;;
	esac
	[ "$ok" = "$N" ] && return 0
	echo "sshd-cost: $1: $ok of $N sessions succeeded; batch dropped:" \
	    "$(grep -v -e ': Success$' -e ': Running target$' "$T/out" |
	    head -n 3) $(head -n 3 "$T/err")" >&2
	return 1
}

echo "sshd-cost: $(nproc) cores; $N sessions per batch ($K at once) of" \
    "'$CMD', $ROUNDS rounds;" \
    "load before: $(uptime | sed 's/.*load average: //')"
: >"$T/results"
for r in $(seq 1 "$ROUNDS"); do
	order=$(rotate "$r" $VARIANTS)
	for v in $order; do
		cg_wait "$CG_SSHD" 1
		s0=$(cg_usec "$CG_SSHD")
		# sshd's processes, sampled every 0.1 s (at most 10 minutes)
		(i=0; while [ $i -lt 6000 ]; do
			wc -l <"$CG_SSHD/cgroup.procs"; sleep 0.1; i=$((i + 1))
		done) >"$T/procs" &
		sampler=$!
		batch "$v"
		okb=$?
		kill $sampler 2>/dev/null
		wait $sampler 2>/dev/null
		cg_wait "$CG_SSHD" 1
		s1=$(cg_usec "$CG_SSHD")
		[ $okb = 0 ] || continue
		procs=$(awk '{ s += $1 - 1 } END { printf "%.1f", NR ? s / NR : 0 }' \
		    "$T/procs")
		echo "$r $v $s0 $s1 $procs" | awk -v n="$N" \
		    '{ printf "%s %s %.2f %s\n", $1, $2, ($4 - $3) / 1000 / n, $5 }' |
		    tee -a "$T/results"
	done
done
echo "sshd-cost: load after: $(uptime | sed 's/.*load average: //')"
[ -z "${SSHDCOST_LOG:-}" ] || cp "$T/sshd.log" "$SSHDCOST_LOG"

# q VARIANT P: the Pth quantile (0.25, 0.5, 0.75) of its batches.
q() {
	awk -v v="$1" '$2 == v { print $3 }' "$T/results" | sort -g |
	    awk -v p="$2" '{ x[NR] = $1 } END { i = 1 + (NR - 1) * p; j = int(i)
	        printf "%.1f", x[j] + (i - j) * (x[j + 1 < NR ? j + 1 : NR] - x[j]) }'
}
# ratio VARIANT BASE: the per-round ratios VARIANT / BASE (load on the
# machine drifts between rounds, less within one): "median q1-q3".
ratio() {
	awk -v v="$1" -v b="$2" '$2 == b { y[$1] = $3 } $2 == v { x[$1] = $3 }
	    END { for (r in x) if (y[r] > 0) print x[r] / y[r] }' \
	    "$T/results" | sort -g | awk '{ x[NR] = $1 }
	    function q(p,  i, j) { i = 1 + (NR - 1) * p; j = int(i)
	        return x[j] + (i - j) * (x[j + 1 < NR ? j + 1 : NR] - x[j]) }
	    END { if (NR) printf "%.3f %.3f-%.3f", q(0.5), q(0.25), q(0.75)
	        else printf "- -" }'
}
echo
# procs VARIANT: the median over its batches of sshd's mean process
# count, the listener left out (each session is about 3: monitor, user
# child, the command's shell).
procs() { awk -v v="$1" '$2 == v { print $4 }' "$T/results" | median; }
echo "| variant | sshd CPU per session (median) | quartiles | / ssh-true, same round: median | quartiles | / pogo, same round: median | quartiles | sshd processes, mean |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for v in $VARIANTS; do
	echo "$v $(q "$v" 0.5) $(q "$v" 0.25) $(q "$v" 0.75) $(ratio "$v" ssh-true) $(ratio "$v" pogo) $(procs "$v")" |
	    awk '{ printf "| %s | %.1f ms | %.1f-%.1f ms | %s | %s | %s | %s | %.1f |\n",
	        $1, $2, $3, $4, $5, $6, $7, $8, $9 }'
done
echo "($ROUNDS batches of $N sessions of '$CMD' per variant, $K at a time)"
