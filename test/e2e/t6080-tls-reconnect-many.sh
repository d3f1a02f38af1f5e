#!/bin/sh
# TLS reconnection at scale (SPEC 8.5, 10.1, 6.4, 7.3): 64 workers, each
# its own process, state_dir and certificate (from `pogo ca`), connected
# over mutual TLS to one dispatcher, all with reconnect_delay 0 so that
# they come back at the same instant.  A job of 64 hosts is in flight
# (each command waits for a file), the dispatcher is killed with SIGKILL
# and restarted on the same state directory and worker port:
#   - all 64 reconnect, bounded (/status over HTTPS lists 64, each name
#     once), and no handshake was refused or timed out on the way;
#   - the job in flight is completed as D-3 (t5055) wants without TLS:
#     each worker came back with its instance, so every host ends
#     `finished`, exit 0, run once, and each command ran to its end once;
#   - a job of 128 hosts submitted after the restart runs on them.
# The dispatcher holds one socket per worker after the herd (checked).
# Bounds: the dispatcher's fds are under 100, every wait is bounded; the
# test takes about 10 s on a quiet machine.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$(dirname "$0")/dispatcher.sh"
. "$(dirname "$0")/tls.sh"

N=64
POGO_CA=$POGO make_certs
tls_dispatcher_yaml
# One certificate per worker, EC (RSA-3072 keys take seconds each).
mkdir -p "$T/w"
i=1
while [ $i -le $N ]; do
	"$POGO" ca issue worker "w$i" --dir "$C/ca-dir" --key-type ec \
	    --out "$C/w$i" >/dev/null || fail "cannot issue w$i"
	i=$((i + 1))
done

WL=127.0.0.1:$(e2e_port 1)
WPIDS=
start_dispatcher -o dispatcher.worker_listen=$WL
worker_port || fail "no worker port"
expect_eq "worker port" "$WP" "$WL"
i=1
while [ $i -le $N ]; do
	"$POGO" worker -f /dev/null -o state_dir="$T/w/s$i" --dispatcher "$WL" \
	    -o worker.reconnect_delay=0 -o "worker.name=w$i" \
	    -o "tls.cert=$C/w$i.crt" -o "tls.key=$C/w$i.key" \
	    -o "tls.ca_cert=$C/ca.crt" >/dev/null 2>"$T/w/w$i.log" &
	E2E_PIDS="$E2E_PIDS $!"
	WPIDS="$WPIDS $!"
	i=$((i + 1))
done
wait_for 60 "$N workers in /status" nworkers $N

# listed_once: /status lists w1..wN, each once (N-001's form).
listed_once() {
	jget '"\n".join(sorted(w.split(" ")[0] for w in j["workers"]))' \
	    >"$T/listed"
	i=1
	while [ $i -le $N ]; do
		echo "w$i"
		i=$((i + 1))
	done | sort >"$T/want"
	cmp -s "$T/listed" "$T/want" ||
	    fail "workers listed: $(tr '\n' ' ' <"$T/listed")"
}
listed_once

# The job in flight: every command waits (bounded) for $T/go.
cps_post_submit() {
	code=$(curl -s -o "$T/body" -w '%{http_code}' --max-time 20 \
	    --cacert "$C/ca.crt" --cert "$C/dispatcher.crt" \
	    --key "$C/dispatcher.key" "$@" "https://$CP/v1/jobsubmit") ||
	    fail "curl POST jobsubmit failed"
	expect_eq "jobsubmit status" "$code" 200
}
cps_post_submit -d "range=h[1-$N]" -d user=u -d task_name=local \
    --data-urlencode "command=touch $T/ran.\$POGO_HOST.\$\$; i=0; while [ ! -e $T/go ] && [ \$i -lt 240 ]; do sleep 0.5; i=\$((i + 1)); done; echo x >> $T/count.\$POGO_HOST"
J1=$(jget 'j["jobid"]')

# job_state_is JOB STATE: the job's state.
job_state_is() {
	cps_get "/v1/jobs/$1"
	[ "$code" = 200 ] && [ "$(jget 'j["response"]["job"]["state"]')" = "$2" ]
}

# hosts_in STATE JOB: every host of JOB is in STATE.
hosts_in() {
	cps_get "/v1/jobs/$2/hosts"
	[ "$code" = 200 ] &&
	    [ "$(jget "','.join(sorted(set(h['state'] for h in j['response']['hosts'].values())))")" = "$1" ]
}
wait_for 60 "the $N hosts running" hosts_in running "$J1"

# The kill, and the herd: 64 TLS handshakes at once on the new process.
restart_dispatcher KILL -o dispatcher.worker_listen=$WL
t0=$(date +%s)
wait_for 60 "$N workers back in /status" nworkers $N
t1=$(date +%s)
listed_once
echo "$N workers reconnected over TLS in about $((t1 - t0)) s"
if grep -q ': TLS: ' "$T/dispatcher.log"; then
	fail "a handshake failed: $(grep ': TLS: ' "$T/dispatcher.log" | head -n 5)"
fi
expect_eq "hellos after the restart" \
    "$(grep -c ': hello (max_tasks' "$T/dispatcher.log")" $N
# One socket per worker, the two listeners, and at most a few control
# connections that curl has just closed: no connection of the herd left
# behind, none doubled.
nfd=$(ls "/proc/$DPID/fd" | wc -l)
nsock=$(ls -l "/proc/$DPID/fd" | grep -c 'socket:')
echo "the dispatcher holds $nfd fds, $nsock of them sockets"
[ "$nsock" -ge $((N + 2)) ] && [ "$nsock" -le $((N + 8)) ] ||
    fail "the dispatcher holds $nsock sockets for $N workers"

# Every worker kept its instance: the hosts are still in flight (the
# grace of 60 s has not passed), none became "lost contact".
cps_get "/v1/jobs/$J1/hosts"
expect_eq "hosts after the restart" \
    "$(jget "','.join(sorted(set(h['state'] for h in j['response']['hosts'].values())))")" \
    running
: >"$T/go"
wait_for 60 "the $N hosts finished" hosts_in finished "$J1"
expect_eq "exit statuses" \
    "$(jget "sorted(set((h['exitstatus'], h['runs']) for h in j['response']['hosts'].values()))")" \
    "[[0, 1]]"
expect_eq "commands started" "$(ls "$T" | grep -c '^ran\.')" $N
expect_eq "commands that ran to their end" \
    "$(cat "$T"/count.h* | wc -l)" $N
wait_for 20 "job 1 finished" job_state_is "$J1" finished

# A job after the restart runs on the reconnected workers.
cps_post_submit -d "range=g[1-128]" -d user=u -d task_name=local \
    --data-urlencode 'command=echo ran $POGO_HOST'
J2=$(jget 'j["jobid"]')
wait_for 60 "job 2's 128 hosts finished" hosts_in finished "$J2"
# The workers that ran them: in their logs, after the restart.
nw=$(grep -l ' host g[0-9]*: ok$' "$T"/w/w*.log | wc -l)
expect_eq "job 2's hosts in the workers' logs" \
    "$(cat "$T"/w/w*.log | grep -c ' host g[0-9]*: ok$')" 128
# 128 tasks over 64 workers chosen at random (SPEC 7.2): fewer than 16
# distinct workers has a probability below 1e-20.
[ "$nw" -ge 16 ] || fail "job 2 ran on $nw workers only"
echo "job 2 ran on $nw of the $N workers"

# Every worker stops gracefully, then the dispatcher.
for pid in $WPIDS; do
	kill -s TERM "$pid"
done
for pid in $WPIDS; do
	wait "$pid"
	wrc=$?
	[ $wrc -eq 0 ] || fail "worker $pid exited $wrc"
done
stop_dispatcher_cleanly
echo "PASS $E2E_NAME"
