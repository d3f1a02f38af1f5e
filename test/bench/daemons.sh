# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The pogo authors
#
# Helpers shared by the daemon benchmarks (dispatch.sh, tls.sh, api.sh),
# sourced after test/bench/lib.sh's bench_root and bench_init; it defines
#   daemons N MAXTASKS [tls]  a fresh state directory, a dispatcher on
#               ephemeral loopback ports, N workers (bw1 ...); with tls,
#               TLS on both ports with the certificates of $C (tls.sh's
#               make_certs).  Waits until /status lists every worker.
#               Sets $DPID, $WPIDS, $CP, $WP, $STATE, $NW, $DTLS
#   stop_daemons  SIGTERM to every worker at once, then the dispatcher;
#               each must exit 0 within 30 s (reap PID), and leaves
#               E2E_PIDS (its PID may be reused)
#   cp_get PATH  GET from the control port (HTTPS when $DTLS is tls)
#   listen_addr LOG N  the address of the Nth "Listening on" line of LOG
#   drive HOSTS LIMIT  submit a job of HOSTS local hosts running `true`
#               and poll it (at most LIMIT s): prints "wall dispatched"
#               (seconds from the submission's answer to the first poll
#               that saw the job finished, and to the first that saw no
#               host waiting); fails unless every host finished
#   submit_job HOSTS CMD CONCURRENT  submit a job of HOSTS local hosts
#               running CMD, CONCURRENT at a time; prints its id
#   run_daemons MODE HOSTS  one P4 run (MODE plain or tls) through a
#               dispatcher and 2 workers of max_tasks $CONC / 2; appends
#               its wall to $T/p4-daemons (plain) or $T/p4-daemons-tls,
#               and the CPU the run cost the daemons (their commands
#               included) to the same name with -cpu
#   rounds N CMD1 CMD2 ARGS...  N rounds of CMD1 ARGS and CMD2 ARGS,
#               the order swapped every round (CMDs are split into words)
#   cpu PID     the process's own user + system CPU seconds so far
#   tcpu PID    the same plus that of its children it reaped (a worker's
#               commands)
#   ratio A B   A / B with two decimals

[ -x "$POGO" ] || fail "no pogo binary at $POGO"
command -v python3 >/dev/null || fail "no python3 (the job's driver)"

# The driver: the control port's job submission (CONCURRENT empty: no
# such field) and, unless LIMIT is 0 (then it prints the job's id),
# polling, over one kept-alive connection (HTTPS with the dispatcher-kind
# certificate, the API server's, when CA CERT KEY are given).
# Arguments: CP HOSTS LIMIT CMD CONCURRENT [CA CERT KEY].
cat >"$T/drive.py" <<'EOP'
import http.client, json, ssl, sys, time, urllib.parse
cp, hosts, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
cmd, conc = sys.argv[4], sys.argv[5]
h, p = cp.rsplit(":", 1)
if len(sys.argv) > 6:
    ctx = ssl.create_default_context(cafile=sys.argv[6])
    ctx.load_cert_chain(sys.argv[7], sys.argv[8])
    c = http.client.HTTPSConnection(h, int(p), timeout=60, context=ctx)
else:
    c = http.client.HTTPConnection(h, int(p), timeout=60)
fields = {"range": "h[1-%d]" % hosts, "user": "bench",
    "task_name": "local", "command": cmd}
if conc:
    fields["concurrent"] = conc
body = urllib.parse.urlencode(fields)
c.request("POST", "/v1/jobsubmit", body,
    {"Content-Type": "application/x-www-form-urlencoded"})
r = json.loads(c.getresponse().read())
if r.get("rc") != "ok":
    sys.exit("submit refused: %s" % r)
if limit == 0:
    print(r["jobid"])
    sys.exit(0)
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

cpu() {
	awk -v t="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / t }' \
	    "/proc/$1/stat"
}

tcpu() {
	awk -v t="$(getconf CLK_TCK)" \
	    '{ printf "%.2f", ($14 + $15 + $16 + $17) / t }' "/proc/$1/stat"
}

# The daemons' CPU so far (tcpu of the dispatcher and every worker).
daemons_cpu() {
	dc=$(tcpu "$DPID")
	for pid in $WPIDS; do
		dc=$(echo "$dc $(tcpu "$pid")" | awk '{ printf "%.2f", $1 + $2 }')
	done
	echo "$dc"
}

ratio() {
	echo "$1 $2" | awk '{ printf "%.2f", $1 / $2 }'
}

# The TLS options of a role (dispatcher or worker) when $DTLS is tls.
tls_opts() {
	[ "$DTLS" = tls ] || return 0
	echo "-o tls.cert=$C/$1.crt -o tls.key=$C/$1.key -o tls.ca_cert=$C/ca.crt"
}

cp_get() {
	if [ "$DTLS" = tls ]; then
		curl -s --max-time 10 --cacert "$C/ca.crt" \
		    --cert "$C/dispatcher.crt" --key "$C/dispatcher.key" \
		    "https://$CP$1"
	else
		curl -s --max-time 10 "http://$CP$1"
	fi
}

listen_addr() {
	sed -n 's/.* Listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p' "$1" |
	    sed -n "$2p"
}

# drive_py HOSTS LIMIT CMD CONCURRENT: drive.py on the control port.
drive_py() {
	if [ "$DTLS" = tls ]; then
		python3 "$T/drive.py" "$CP" "$@" "$C/ca.crt" \
		    "$C/dispatcher.crt" "$C/dispatcher.key"
	else
		python3 "$T/drive.py" "$CP" "$@"
	fi
}

drive() {
	drive_py "$1" "$2" true ""
}

submit_job() {
	drive_py "$1" 0 "$2" "$3"
}

# ($C holds no blank, so the options split into words.)
daemons() {
	DTLS=${3:-plain}
	STATE=$T/state
	rm -rf "$STATE"
	: >"$T/dispatcher.log"
	# shellcheck disable=SC2046
	"$POGO" dispatcher -f /dev/null -o "state_dir=$STATE" \
	    -o dispatcher.control_listen=127.0.0.1:0 \
	    -o dispatcher.worker_listen=127.0.0.1:0 \
	    $(tls_opts dispatcher) >/dev/null 2>>"$T/dispatcher.log" &
	DPID=$!
	E2E_PIDS="$E2E_PIDS $DPID"
	wait_for 30 "the dispatcher's listeners" listening
	CP=$(listen_addr "$T/dispatcher.log" 1)
	WP=$(listen_addr "$T/dispatcher.log" 2)
	WPIDS=""
	i=1
	while [ $i -le "$1" ]; do
		# shellcheck disable=SC2046
		"$POGO" worker -f /dev/null --dispatcher "$WP" \
		    -o worker.name=bw$i -o worker.max_tasks="$2" \
		    -o worker.reconnect_delay=0 -o state_dir="$T/wstate$i" \
		    $(tls_opts worker) \
		    >/dev/null 2>>"$T/worker$i.log" &
		WPIDS="$WPIDS $!"
		E2E_PIDS="$E2E_PIDS $!"
		i=$((i + 1))
	done
	NW=$1
	wait_for $((60 + NW / 2)) "$1 workers connected" workers_in
}

listening() {
	[ "$(grep -c ' Listening on ' "$T/dispatcher.log")" = 2 ] ||
	    { alive "$DPID" || fail "the dispatcher exited"; return 1; }
}

workers_in() {
	[ "$(cp_get /status | grep -o '"bw[0-9]* ' | wc -l)" = "$NW" ]
}

stop_daemons() {
	for pid in $WPIDS; do
		kill -s TERM "$pid"
	done
	for pid in $WPIDS; do
		reap "$pid"
	done
	kill -s TERM "$DPID"
	reap "$DPID"
}

# reap PID: wait (at most 30 s) for its exit, which must be 0.  It leaves
# E2E_PIDS: its PID may be reused.  (Builtins only while it polls: there
# may be hundreds to reap on a loaded machine.)
reap() {
	i=0
	while ! gone "$1" && [ $i -lt 600 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	gone "$1" || fail "process $1 did not exit after SIGTERM"
	wait "$1" || fail "process $1 exited $?"
	rp=""
	for p in $E2E_PIDS; do
		[ "$p" = "$1" ] || rp="$rp $p"
	done
	E2E_PIDS=$rp
}

# gone PID: the process has exited (it may be a zombie).
gone() {
	! { read -r _ _ g3 _ <"/proc/$1/stat"; } 2>/dev/null || [ "$g3" = Z ]
}

run_daemons() {
	daemons 2 $((CONC / 2)) "$1"
	c0=$(daemons_cpu)
	out=$(drive "$2" 900) || fail "P4 through the daemons ($1) failed: $out"
	c1=$(echo "$(daemons_cpu) $c0" | awk '{ printf "%.2f", $1 - $2 }')
	f=$T/p4-daemons
	[ "$1" = plain ] || f=$T/p4-daemons-$1
	echo "$out" | awk '{ print $1 }' >>"$f"
	echo "$c1" >>"$f-cpu"
	echo "  dispatcher + 2 workers ($1): ${out%% *} s" \
	    "(dispatcher CPU $(cpu "$DPID") s; CPU of the run, commands" \
	    "included, $c1 s)"
	stop_daemons
}

rounds() {
	rd_n=$1
	rd_1=$2
	rd_2=$3
	shift 3
	rd_r=1
	while [ $rd_r -le "$rd_n" ]; do
		echo " round $rd_r"
		if [ $((rd_r % 2)) = 1 ]; then
			$rd_1 "$@"
			$rd_2 "$@"
		else
			$rd_2 "$@"
			$rd_1 "$@"
		fi
		rd_r=$((rd_r + 1))
	done
}
