#!/bin/sh
# J-9 (SPEC 3.5, 13.3) over SSH: namespace n1 holds S-022's configuration
# (host4-6, $colo.north_america at most 1, in a sequence); two jobs in n1
# run `sleep 1` on a real sshd through a real `pogo dispatcher` and
# `pogo worker`, each run appending its start and end, stamped by the
# target, to a file.  From those server-side times: at no time do two of
# host4-6 run at once across both jobs, and the peak is the limit; both
# jobs finish, neither deadlocks.  Meanwhile A-NS's
# /v1/namespaces/n1/locks shows $colo.north_america with limit 1, used 1
# and one holder.
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

# host4-6 are three addresses of the sshd; the target's address is in
# $SSH_CONNECTION.
mkdir -p "$HOME/.ssh" && chmod 700 "$HOME/.ssh" || fail "mkdir"
cat >"$HOME/.ssh/config" <<EOC
Host host4
    HostName 127.0.9.4
Host host5
    HostName 127.0.9.5
Host host6
    HostName 127.0.9.6
Host *
    IdentityFile $T/id_ed25519
    User $TEST_USER
    Port $SSHD_PORT
EOC
: >"$T/times" && chmod 666 "$T/times" || fail "times"

mkdir -p "$DNS" || fail "mkdir"
cat >"$DNS/n1.yaml" <<'EOC'
tag:
  colo:
    north_america: [host4, host5, host6]
constraint:
  $colo.north_america:
    max_parallel: 1
sequence:
  - $colo.north_america
EOC

start_dispatcher
start_worker jw1 -o worker.max_tasks=8 -o worker.use_local_identity=true
wait_for 30 "the worker at /status" sh -c \
    "ip netns exec $E2E_NS curl -s http://$CP/status | grep -q jw1"

CMD="a=\$(echo \$SSH_CONNECTION | cut -d' ' -f3); echo \"\$(date +%s.%N) start \$a \$\$\" >>$T/times; sleep 1; echo \"\$(date +%s.%N) end \$a \$\$\" >>$T/times"
submit range=host4,host5,host6 command="$CMD" user=u namespace=n1 timeout=60
expect_eq "job 1" "$rc_field" ok
J1=$(jget 'j["jobid"]')
submit range=host4,host5,host6 command="$CMD" user=u namespace=n1 timeout=60
expect_eq "job 2" "$rc_field" ok
J2=$(jget 'j["jobid"]')

# The locks while a host of one job runs and the other job waits.
locked() {
	cp_get /v1/namespaces/n1/locks
	[ "$(jget '[(l["group"], l["limit"], l["used"], len(l["holders"]))
	    for l in j["response"]["locks"]]')" = \
	    '[["$colo.north_america", 1, 1, 1]]' ]
}
wait_for 60 "a host holding \$colo.north_america" locked
jget 'j["response"]["locks"][0]["holders"][0]["jobid"]' |
    grep -Eq "^($J1|$J2)\$" || fail "holder: $(cat "$T/body")"

for j in "$J1" "$J2"; do
	wait_for 90 "$j finished" job_is "$j" state finished
	cp_get "/v1/jobs/$j/hosts"
	expect_eq "$j hosts" "$(jget "sorted(set((h['state'], h['runs'])
	    for h in j['response']['hosts'].values()))")" '[["finished", 1]]'
	cp_get "/v1/jobs/$j/log"
	jget '[e["state"] for e in j["response"]["joblog"]]' |
	    grep -q deadlocked && fail "$j deadlocked"
done

# The server-side times: 6 runs, never two at once, the peak the limit.
command python3 - "$T/times" <<'EOP' || fail "J-9 times: $(cat "$T/times")"
import sys
ev = []
for line in open(sys.argv[1]):
    t, kind, addr, pid = line.split()
    ev.append((float(t), 0 if kind == "end" else 1, addr, pid))
starts = [e for e in ev if e[1] == 1]
assert len(starts) == 6, ev
assert sorted(e[2] for e in starts) == ["127.0.9.4"] * 2 + ["127.0.9.5"] * 2 \
    + ["127.0.9.6"] * 2, ev
assert len([e for e in ev if e[1] == 0]) == 6, ev
ev.sort()  # an end before a start at the same instant
cur = peak = 0
for t, kind, addr, pid in ev:
    cur += 1 if kind == 1 else -1
    peak = max(peak, cur)
print("J-9: peak %d of a limit of 1 over %.2f s" % (peak, ev[-1][0] - ev[0][0]))
assert peak == 1, ev
EOP

stop_dispatcher_cleanly
echo "PASS $E2E_NAME"
