#!/bin/sh
# Dispatcher benchmarks (issue 9, Performance; test/bench/README.md):
#   P4    DISPATCH_P4_HOSTS (2,000) `local` hosts running `true` through a
#         `pogo dispatcher` and 2 `pogo worker`s (real processes on
#         loopback; the job is submitted to the control port and its end
#         polled there) against `pogo one --local` on the same hosts, at the
#         same concurrency (pogo one's --concurrency DISPATCH_CONCURRENCY,
#         256; each worker's max_tasks half of it).  DISPATCH_RUNS (3)
#         rounds, interleaved, the order swapped every round; prints both
#         walls' medians and their ratio (target: at most 1.2).
#   rate  DISPATCH_RATE_HOSTS (20,000) `local` hosts running `true` on 4
#         workers (max_tasks 256 each), one run: tasks dispatched and
#         completed per second, and the store's size per host (pogo.db and
#         its WAL once the job has ended).
# A wall runs from the submission (the dispatcher's answer) to the first
# poll that sees the job finished (every 0.05 s over one kept-alive
# connection); pogo one's from its start to its exit.  The daemons start
# before the clock does.  The figures are printed, not judged; a run that
# fails (a host not finished, a daemon gone, no figure) fails the script.
# Usage: test/bench/dispatch.sh [build/pogo]
set -u
POGO=$(cd "$(dirname "${1:-build/pogo}")" && pwd)/$(basename "${1:-build/pogo}")
export POGO
cd "$(dirname "$0")/../.." || exit 1
POGO_SRC=$PWD
export POGO_SRC
RUNS=${DISPATCH_RUNS:-3}
P4_HOSTS=${DISPATCH_P4_HOSTS:-2000}
RATE_HOSTS=${DISPATCH_RATE_HOSTS:-20000}
CONC=${DISPATCH_CONCURRENCY:-256}

. test/e2e/lib.sh
E2E_NAME=dispatch-bench
e2e_init
[ -x "$POGO" ] || fail "no pogo binary at $POGO"
command -v python3 >/dev/null || fail "no python3 (the job's driver)"

# The driver: submit a job of HOSTS local hosts to the control port CP,
# poll it until it ends (at most LIMIT s), print "wall dispatched"
# (seconds from the submission's answer to the first poll that saw the job
# finished, and to the first that saw no host waiting).  Exit 1 unless
# the job finished with every host finished.
cat >"$T/drive.py" <<'EOP'
import http.client, json, sys, time, urllib.parse
cp, hosts, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
h, p = cp.rsplit(":", 1)
c = http.client.HTTPConnection(h, int(p), timeout=60)
body = urllib.parse.urlencode({"range": "h[1-%d]" % hosts, "user": "bench",
    "task_name": "local", "command": "true"})
t0 = time.monotonic()
c.request("POST", "/v1/jobsubmit", body,
    {"Content-Type": "application/x-www-form-urlencoded"})
r = json.loads(c.getresponse().read())
if r.get("rc") != "ok":
    sys.exit("submit refused: %s" % r)
start = time.monotonic()
dispatched = None
while time.monotonic() - start < limit:
    c.request("GET", "/v1/jobs/" + r["jobid"])
    job = json.loads(c.getresponse().read())["response"]["job"]
    now = time.monotonic()
    if dispatched is None and job["summary"].get("waiting", 0) == 0:
        dispatched = now - start
    if job["state"] not in ("gathering", "running"):
        if job["state"] != "finished" or \
                job["summary"] != {"finished": hosts}:
            sys.exit("job ended %s: %s" % (job["state"], job["summary"]))
        print("%.3f %.3f" % (now - start, dispatched))
        sys.exit(0)
    time.sleep(0.05)
sys.exit("job not over after %g s: %s" % (limit, job["summary"]))
EOP

# cpu PID: the process's own user + system CPU seconds so far.
cpu() {
	awk -v t="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / t }' \
	    "/proc/$1/stat"
}

# daemons NWORKERS MAXTASKS: a fresh state directory, a dispatcher on
# ephemeral loopback ports, NWORKERS workers; waits until every worker is
# listed by /status.  Sets $DPID, $WPIDS, $CP, $STATE.
daemons() {
	STATE=$T/state
	rm -rf "$STATE"
	: >"$T/dispatcher.log"
	"$POGO" dispatcher -f /dev/null -o "state_dir=$STATE" \
	    -o dispatcher.control_listen=127.0.0.1:0 \
	    -o dispatcher.worker_listen=127.0.0.1:0 \
	    >/dev/null 2>>"$T/dispatcher.log" &
	DPID=$!
	E2E_PIDS="$E2E_PIDS $DPID"
	wait_for 30 "the dispatcher's listeners" listening
	CP=$(sed -n 's/.* Listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p' \
	    "$T/dispatcher.log" | sed -n 1p)
	WP=$(sed -n 's/.* Listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p' \
	    "$T/dispatcher.log" | sed -n 2p)
	WPIDS=""
	i=1
	while [ $i -le "$1" ]; do
		"$POGO" worker -f /dev/null --dispatcher "$WP" \
		    -o worker.name=bw$i -o worker.max_tasks="$2" \
		    -o worker.reconnect_delay=0 \
		    >/dev/null 2>>"$T/worker$i.log" &
		WPIDS="$WPIDS $!"
		E2E_PIDS="$E2E_PIDS $!"
		i=$((i + 1))
	done
	NW=$1
	wait_for 60 "$1 workers connected" workers_in
}

listening() {
	[ "$(grep -c ' Listening on ' "$T/dispatcher.log")" = 2 ] ||
	    { alive "$DPID" || fail "the dispatcher exited"; return 1; }
}

workers_in() {
	[ "$(curl -s --max-time 10 "http://$CP/status" |
	    grep -o '"bw[0-9]* ' | wc -l)" = "$NW" ]
}

# stop_daemons: SIGTERM to the workers, then the dispatcher; each must
# exit 0 within 30 s.
stop_daemons() {
	for pid in $WPIDS $DPID; do
		kill -s TERM "$pid"
		i=0
		while alive "$pid" && [ $i -lt 600 ]; do
			sleep 0.05
			i=$((i + 1))
		done
		alive "$pid" && fail "process $pid did not exit after SIGTERM"
		wait "$pid" || fail "process $pid exited $?"
	done
}

# run_daemons HOSTS: one P4 run through the daemons; appends its wall to
# $T/p4-daemons.
run_daemons() {
	daemons 2 $((CONC / 2))
	out=$(python3 "$T/drive.py" "$CP" "$1" 900) ||
	    fail "P4 through the daemons failed: $out"
	echo "$out" | awk '{ print $1 }' >>"$T/p4-daemons"
	echo "  dispatcher + 2 workers: ${out%% *} s" \
	    "(dispatcher CPU $(cpu "$DPID") s)"
	stop_daemons
}

# run_one HOSTS: one P4 run of pogo one; appends its wall to $T/p4-one.
run_one() {
	t0=$(date +%s.%N)
	"$POGO" one --local --targets "h[1-$1]" --run-command true \
	    --concurrency "$CONC" >"$T/one.out" 2>"$T/one.log" ||
	    fail "pogo one failed"
	t1=$(date +%s.%N)
	grep -q "^$1 hosts: $1 ok, 0 failed" "$T/one.log" ||
	    fail "pogo one: $(tail -n 1 "$T/one.log")"
	w=$(echo "$t0 $t1" | awk '{ printf "%.3f", $2 - $1 }')
	echo "$w" >>"$T/p4-one"
	echo "  pogo one --local: $w s"
}

median() {
	sort -g | awk '{ v[NR] = $1 } END {
	    if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "P4: $P4_HOSTS local hosts, true, concurrency $CONC, $RUNS rounds" \
    "(load average $(cut -d' ' -f1-3 /proc/loadavg))"
r=1
while [ $r -le "$RUNS" ]; do
	echo " round $r"
	if [ $((r % 2)) = 1 ]; then
		run_one "$P4_HOSTS"
		run_daemons "$P4_HOSTS"
	else
		run_daemons "$P4_HOSTS"
		run_one "$P4_HOSTS"
	fi
	r=$((r + 1))
done
mo=$(median <"$T/p4-one")
md=$(median <"$T/p4-daemons")
echo "P4 hosts=$P4_HOSTS runs=$RUNS one=${mo}s daemons=${md}s" \
    "ratio=$(echo "$md $mo" | awk '{ printf "%.2f", $1 / $2 }')" \
    "(medians; target ratio <= 1.2)"

echo "rate: $RATE_HOSTS local hosts, true, 4 workers of max_tasks 256" \
    "(load average $(cut -d' ' -f1-3 /proc/loadavg))"
daemons 4 256
out=$(python3 "$T/drive.py" "$CP" "$RATE_HOSTS" 3600) ||
    fail "the rate run failed: $out"
dcpu=$(cpu "$DPID")
# The store once the job is over: the database and its WAL.
bytes=0
for f in "$STATE/pogo.db" "$STATE/pogo.db-wal"; do
	[ -f "$f" ] && bytes=$((bytes + $(wc -c <"$f")))
done
stop_daemons
echo "$out" | awk -v n="$RATE_HOSTS" -v b="$bytes" -v c="$dcpu" '{
    printf "rate hosts=%d completed=%.0f/s dispatched=%.0f/s wall=%.3fs" \
        " dispatcher_cpu=%ss store=%d bytes (%.0f per host)\n",
        n, n / $1, n / $2, $1, c, b, b / n }'
