#!/bin/sh
# API benchmarks (issue 11, Performance; test/bench/README.md), through
# `pogo api` in front of a real `pogo dispatcher` and one `pogo worker`
# on loopback, with the same figure straight from the control port side
# by side:
#   reads  GET /v1/jobs/:id/hosts (its default page, 500 hosts) of a job
#          of APIBENCH_HOSTS (10,000) `local` hosts, by `wrk` at
#          APIBENCH_CONNS (64) connections for APIBENCH_SECS (10) seconds
#          each, after a warm-up run of APIBENCH_WARMUP (5) seconds:
#          requests per second and wrk's latency percentiles.
#          Through pogo api plain, through pogo api with TLS (HTTPS to the
#          API and mutual TLS from the API to the control port: a second
#          dispatcher with tls.*), and the control port directly (plain
#          only: wrk presents no client certificate).
#   wake   APIBENCH_FOLLOWERS (200) long-poll followers of the same job's
#          log (GET .../log?offset=<next>&wait=30, each on its own
#          kept-alive connection), for APIBENCH_WAKE_SECS (20) seconds,
#          through pogo api and then straight from the control port: the
#          time from a host's state change (the `time` of its log entry,
#          the dispatcher's clock) to each follower's answer (the
#          kernel's receive time of its last byte, SO_TIMESTAMPNS, so that
#          the one Python process reading 200 sockets in turn does not add
#          its own queue to the later ones; the time Python read it is
#          printed too, "read").  Only answers to polls sent before the
#          entry was written count (a poll that found the entry already
#          there did not wait).  p50, p99 and max; target p99 < 50 ms.
# APIBENCH_STAGES (reads wake tls) names the stages to run, e.g. `wake`
# alone.
# The job runs `APIBENCH_CMD` (sleep 0.2) on its hosts one at a time
# (`concurrent` 1): a host changes state a few times a second, so every
# follower is waiting again when the next change comes.
# The figures are printed, not judged; a run that fails (a daemon gone,
# an answer that is not 200, no figure) fails the script.
# Usage: test/bench/api.sh [build/pogo]
set -u
. "$(dirname "$0")/lib.sh"
bench_root "$@"
HOSTS=${APIBENCH_HOSTS:-10000}
CONNS=${APIBENCH_CONNS:-64}
SECS=${APIBENCH_SECS:-10}
WARMUP=${APIBENCH_WARMUP:-5}
FOLLOWERS=${APIBENCH_FOLLOWERS:-200}
WAKE_SECS=${APIBENCH_WAKE_SECS:-20}
CMD=${APIBENCH_CMD:-sleep 0.2}
STAGES=${APIBENCH_STAGES:-reads wake tls}
stage() {
	case " $STAGES " in *" $1 "*) return 0 ;; esac
	return 1
}

bench_init api-bench
. test/bench/daemons.sh
. test/e2e/tls.sh
command -v wrk >/dev/null || fail "no wrk (Debian package wrk)"
POGO_CA=$POGO make_certs

# The followers: one non-blocking socket each, in one selector loop that
# only reads and timestamps while answers come in (the JSON of an answer
# is parsed after its time is taken).
cat >"$T/follow.py" <<'EOP'
import json, selectors, socket, struct, sys, time
addr, job, n, secs = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
host, port = addr.rsplit(":", 1)
port = int(port)
# Linux's receive time stamp of the last byte read (a struct timespec).
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
ANC = socket.CMSG_SPACE(16)

def get(path):
    s = socket.create_connection((host, port), timeout=30)
    s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (path, addr)).encode())
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    clen = int([l.split(b":")[1] for l in head.split(b"\r\n")
                if l.lower().startswith(b"content-length:")][0])
    while len(body) < clen:
        body += s.recv(65536)
    s.close()
    return json.loads(body)

start = get("/v1/jobs/%s/log?offset=0&max=1" % job)["meta"]["count"]
sel = selectors.DefaultSelector()
class F: pass
fs = []
for i in range(n):
    f = F()
    f.s = socket.create_connection((host, port), timeout=30)
    f.s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    f.s.setblocking(False)
    f.offset = start
    f.buf = b""
    fs.append(f)
    sel.register(f.s, selectors.EVENT_READ, f)

def send(f):
    f.sent = time.time()
    f.buf = b""
    req = ("GET /v1/jobs/%s/log?offset=%d&max=100&wait=30 HTTP/1.1\r\n"
           "Host: %s\r\n\r\n" % (job, f.offset, addr)).encode()
    f.s.setblocking(True)
    f.s.sendall(req)
    f.s.setblocking(False)

for f in fs:
    send(f)
lat = []
rlat = []
polls = waited = 0
deadline = time.monotonic() + secs
stop = deadline + 35
active = n
while active > 0 and time.monotonic() < stop:
    for key, _ in sel.select(timeout=1):
        f = key.data
        try:
            d, anc, _, _ = f.s.recvmsg(262144, ANC)
        except BlockingIOError:
            continue
        now = time.time()
        f.came = now
        for lvl, typ, v in anc:
            if lvl == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS:
                sec, nsec = struct.unpack("qq", v[:16])
                f.came = sec + nsec / 1e9
        if not d:
            sys.exit("a connection closed (%d polls)" % polls)
        f.buf += d
        i = f.buf.find(b"\r\n\r\n")
        if i < 0:
            continue
        head = f.buf[:i]
        clen = None
        for l in head.split(b"\r\n")[1:]:
            k, _, v = l.partition(b":")
            if k.strip().lower() == b"content-length":
                clen = int(v)
        if clen is None or len(f.buf) < i + 4 + clen:
            continue
        status = head.split(b" ", 2)[1]
        if status != b"200":
            sys.exit("answer %s: %s" % (status.decode(), f.buf[:300]))
        polls += 1
        log = json.loads(f.buf[i + 4:i + 4 + clen])["response"]["joblog"]
        if log and log[0]["index"] == f.offset and log[0]["time"] > f.sent:
            waited += 1
            lat.append(f.came - log[0]["time"])
            rlat.append(now - log[0]["time"])
        f.offset += len(log)
        if time.monotonic() < deadline:
            send(f)
        else:
            sel.unregister(f.s)
            f.s.close()
            active -= 1
if active > 0:
    sys.exit("%d followers still waiting %d s after the end" % (active, stop - deadline))
if not lat:
    sys.exit("no wake-up measured (%d polls)" % polls)
lat.sort()
rlat.sort()
pct = lambda l, q: l[min(len(l) - 1, int(q * len(l)))] * 1000
print("%d %d %.1f %.1f %.1f %.1f %.1f" % (polls, len(lat), pct(lat, 0.5),
    pct(lat, 0.99), lat[-1] * 1000, pct(rlat, 0.5), pct(rlat, 0.99)))
EOP

# api_start NAME ARGS...: pogo api in front of $CP (its log
# $T/api-NAME.log); sets $APID and $API.
api_start() {
	an=$1
	shift
	"$POGO" api -f /dev/null -o api.listen=127.0.0.1:0 \
	    -o "api.dispatcher=$CP" "$@" >/dev/null 2>"$T/api-$an.log" &
	APID=$!
	E2E_PIDS="$E2E_PIDS $APID"
	AN=$an
	: >>"$T/api-$an.log"
	wait_for 30 "pogo api's listener" api_listening
	API=$(listen_addr "$T/api-$an.log" 1)
}

api_listening() {
	grep -q ' Listening on ' "$T/api-$AN.log" ||
	    { alive "$APID" || fail "pogo api exited"; return 1; }
}

# submit: the job of $HOSTS hosts on the daemons; sets $JOB.
submit() {
	JOB=$(submit_job "$HOSTS" "$CMD" 1) || fail "submission failed: $JOB"
}

# reads NAME URL: wrk on URL (after a warm-up run of $WARMUP s, not
# counted: connections made, TLS handshakes done); prints a line of
# figures.
reads() {
	timeout $((WARMUP + 30)) wrk -t 2 -c "$CONNS" -d "${WARMUP}s" \
	    --timeout 10s "$2" >"$T/wrk-$1-warmup.out" 2>&1 ||
	    { cat "$T/wrk-$1-warmup.out"; fail "wrk ($1, warm-up) failed"; }
	timeout $((SECS + 30)) wrk -t 2 -c "$CONNS" -d "${SECS}s" --timeout 10s \
	    --latency "$2" >"$T/wrk-$1.out" 2>&1 ||
	    { cat "$T/wrk-$1.out"; fail "wrk ($1) failed"; }
	# (Timeouts are a figure; refused, cut or wrong answers a failure.)
	if grep -q 'Non-2xx' "$T/wrk-$1.out" || grep 'Socket errors' \
	    "$T/wrk-$1.out" | grep -qv 'connect 0, read 0, write 0,'; then
		cat "$T/wrk-$1.out"
		fail "wrk ($1): errors"
	fi
	awk -v n="$1" -v c="$CONNS" -v s="$SECS" '
	    $1 == "Requests/sec:" { rps = $2 }
	    $1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 }
	    / requests in / { req = $1 }
	    /Socket errors:/ { to = $NF }
	    END { if (rps == "") exit 1
	        if (req + 0 == 0) { p50 = "-"; p99 = "-" }
	        printf "reads %s conns=%d secs=%d requests=%s rps=%.0f" \
	            " p50=%s p99=%s timeouts=%d%s\n", n, c, s, req, rps, p50,
	            p99, to, req + 0 == 0 ? " (no answer within the run)" : "" }' \
	    "$T/wrk-$1.out" || { cat "$T/wrk-$1.out"; fail "no wrk figures ($1)"; }
}

# wake NAME ADDR: the followers against ADDR; prints a line of figures.
wake() {
	out=$(timeout $((WAKE_SECS + 90)) python3 "$T/follow.py" "$2" "$JOB" \
	    "$FOLLOWERS" "$WAKE_SECS") || fail "the followers ($1) failed: $out"
	echo "$out" | awk -v n="$1" -v f="$FOLLOWERS" -v s="$WAKE_SECS" '{
	    printf "wake %s followers=%d secs=%d polls=%d wakeups=%d" \
	        " p50=%.1fms p99=%.1fms max=%.1fms (target p99 < 50 ms;" \
	        " read p50=%.1fms p99=%.1fms)\n",
	        n, f, s, $1, $2, $3, $4, $5, $6, $7 }'
}

echo "api: $HOSTS local hosts ($CMD, one at a time), 1 worker;" \
    "wrk $CONNS connections x ${SECS}s; $FOLLOWERS followers x ${WAKE_SECS}s" \
    "(load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cpus)"
if stage reads || stage wake; then
	daemons 1 4
	submit
	api_start plain
	if stage reads; then
		reads api "http://$API/v1/jobs/$JOB/hosts"
		reads direct "http://$CP/v1/jobs/$JOB/hosts"
	fi
	if stage wake; then
		wake api "$API"
		wake direct "$CP"
	fi
	kill -s TERM "$APID"
	reap "$APID"
	stop_daemons
fi

if stage tls; then
	daemons 1 4 tls
	submit
	# shellcheck disable=SC2046
	api_start tls $(tls_opts dispatcher)
	reads api-tls "https://$API/v1/jobs/$JOB/hosts"
	kill -s TERM "$APID"
	reap "$APID"
	stop_daemons
fi
echo "api: done (load average $(cut -d' ' -f1-3 /proc/loadavg))"
