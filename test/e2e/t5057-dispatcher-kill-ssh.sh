#!/bin/sh
# Faults (issue 9): the dispatcher killed with SIGKILL mid-job at several
# timings (right after the submission, mid-way, near the end) and
# restarted on its state, with a real worker running SSH tasks against a
# real sshd on many addresses.  Each run records its start on the target
# (a file per run, a server-side timestamp).  Nothing is lost, no host
# runs twice, and every host ends `finished` with one run: the worker
# keeps its tasks and reports, comes back with the same instance and its
# tasks are resolved by the lost-worker rule (SPEC 6.3, 6.4, 7.3).
. "$(dirname "$0")/lib.sh"
e2e_init
start_sshd
. "$POGO_SRC/test/e2e/dispatcher.sh"

# Every pogo process, curl and the submissions run in the namespace,
# where the sshd answers on every 127.x.y.z.
printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$E2E_NS" "$POGO" \
    >"$T/pogo-ns"
chmod 755 "$T/pogo-ns"
POGO=$T/pogo-ns
curl() {
	ip netns exec "$E2E_NS" curl "$@"
}
python3() {
	if [ "$1" = - ]; then # submit's client
		ip netns exec "$E2E_NS" python3 "$@"
	else
		command python3 "$@"
	fi
}

mkdir -p "$HOME/.ssh" && chmod 700 "$HOME/.ssh" || fail "mkdir"
cat >"$HOME/.ssh/config" <<EOC
Host *
    IdentityFile $T/id_ed25519
    User $TEST_USER
    Port $SSHD_PORT
EOC
mkdir -p "$T/rec" && chmod 777 "$T/rec" || fail "mkdir rec"

N=12
WL=127.0.0.1:$(e2e_port 1)
DARGS="-o dispatcher.worker_listen=$WL -o dispatcher.lost_worker_grace=30"
# shellcheck disable=SC2086
start_dispatcher $DARGS
start_worker kw1 -o worker.max_tasks=4 -o worker.use_local_identity=true

# records SEED: the runs recorded on the target for round SEED.
records() {
	ls "$T/rec" | grep -c "^$1\."
}
at_least() {
	[ "$(records "$1")" -ge "$2" ]
}

for seed in 1 2 3; do
	CMD="a=\$(echo \$SSH_CONNECTION | cut -d' ' -f3); date +%s.%N >$T/rec/$seed.\$a.\$\$; sleep 1; echo ran \$a"
	submit range="127.0.$((20 + seed)).[1-$N]" command="$CMD" user=u \
	    timeout=60
	expect_eq "round $seed submission" "$rc_field" ok
	J=$(jget 'j["jobid"]')
	case $seed in
	1) ;; # at once
	2) wait_for 60 "round 2 mid-way" at_least 2 5 ;;
	3) wait_for 60 "round 3 near the end" at_least 3 $((N - 1)) ;;
	esac
	echo "round $seed: SIGKILL with $(records $seed) runs recorded"
	# shellcheck disable=SC2086
	restart_dispatcher KILL $DARGS
	wait_for 90 "round $seed: job $J finished" job_is "$J" state finished
	cp_get "/v1/jobs/$J/hosts"
	expect_eq "round $seed: hosts" "$(jget "len(j['response']['hosts'])")" $N
	expect_eq "round $seed: host states, runs, exit statuses" \
	    "$(jget "sorted(set((h['state'], h['runs'], h['exitstatus'])
	        for h in j['response']['hosts'].values()))")" \
	    '[["finished", 1, 0]]'
	for i in $(seq 1 $N); do
		h=127.0.$((20 + seed)).$i
		expect_eq "round $seed: runs of $h on the target" \
		    "$(ls "$T/rec" | grep -c "^$seed\.$h\.")" 1
	done
	expect_eq "round $seed: runs on the target" "$(records $seed)" $N
done
alive "$WPID" || fail "the worker died"
kill -s TERM "$WPID"
wait_for 30 "the worker to exit" eval '! alive "$WPID"'
stop_dispatcher TERM
expect_eq "dispatcher exit" "$drc" 0
echo "PASS $E2E_NAME"
