#!/bin/sh
# The login name of a worker's SSH task (SPEC 1.6, 5.1, 9.3), highest
# first: the job's ssh_user, the ssh_config's User for the host,
# worker.ssh.user, the job's user.  Against a real sshd that takes the
# test's key for any existing user, each task records the name it ran
# as; nosuchuser cannot log in.  Was:
# worker.ssh.user came before the ssh_config's User, and without it the
# worker's own user name (root here) was the last default, not the job's
# user.
. "$(dirname "$0")/lib.sh"
e2e_init
start_sshd
. "$POGO_SRC/test/e2e/dispatcher.sh"

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

# 127.0.0.2 has a User line; 127.0.0.3 has none.
cat >"$T/ssh_config" <<EOC
Host 127.0.0.2
    User $TEST_USER
Host *
    IdentityFile $T/id_ed25519
    Port $SSHD_PORT
EOC
mkdir -p "$T/rec" && chmod 777 "$T/rec" || fail "mkdir rec"
WL=127.0.0.1:$(e2e_port 1)
start_dispatcher -o dispatcher.worker_listen=$WL
WOPTS="-o worker.use_local_identity=true -o worker.ssh.config=$T/ssh_config"

# run NAME HOST FIELDS...: a job on HOST recording its login name in
# $T/rec/NAME; waits for it to end, the host's state in $state.
run() {
	rn_name=$1
	rn_host=$2
	shift 2
	submit range="$rn_host" command="id -un >$T/rec/$rn_name" "$@"
	expect_eq "submission $rn_name: $msg" "$rc_field" ok
	rn_j=$(jget 'j["jobid"]')
	wait_for 60 "job $rn_name to end" job_is "$rn_j" state finished
	cp_get "/v1/jobs/$rn_j/hosts"
	state=$(jget "j['response']['hosts']['$rn_host']['state']")
}

# shellcheck disable=SC2086
start_worker w1 $WOPTS -o worker.ssh.user=nosuchuser
# The ssh_config's User comes before worker.ssh.user.
run config-user 127.0.0.2 user=u
expect_eq "config-user: $(cat "$T/body")" "$state" finished
expect_eq "config-user login" "$(cat "$T/rec/config-user")" "$TEST_USER"
# worker.ssh.user comes before the job's user: nosuchuser cannot log in.
run worker-user 127.0.0.3 user="$TEST_USER"
expect_eq "worker-user: $(cat "$T/body")" "$state" failed
[ -e "$T/rec/worker-user" ] && fail "worker-user ran"
# The job's ssh_user comes first.
run ssh-user 127.0.0.2 user=u ssh_user=nosuchuser
expect_eq "ssh-user: $(cat "$T/body")" "$state" failed
kill -s TERM "$WPID"
wait "$WPID"

# Without worker.ssh.user, the job's user is the last default.
# shellcheck disable=SC2086
start_worker w2 $WOPTS
run job-user 127.0.0.3 user="$TEST_USER"
expect_eq "job-user: $(cat "$T/body")" "$state" finished
expect_eq "job-user login" "$(cat "$T/rec/job-user")" "$TEST_USER"
run job-user-2 127.0.0.3 user=nosuchuser
expect_eq "job-user-2: $(cat "$T/body")" "$state" failed
run config-user-2 127.0.0.2 user=nosuchuser
expect_eq "config-user-2: $(cat "$T/body")" "$state" finished
kill -s TERM "$WPID"
wait "$WPID"
stop_dispatcher_cleanly
echo "PASS $E2E_NAME"
