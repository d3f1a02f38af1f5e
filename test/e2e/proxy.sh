# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The pogo authors
#
# The test proxy of the lost-worker tests (wire-proxy.py), sourced after
# lib.sh and dispatcher.sh:
#   worker_port         set $WP to the dispatcher's worker port (its
#                       second Listening line)
#   start_proxy UPSTREAM  start the proxy in front of UPSTREAM (HOST:PORT)
#                       with its files in $T/proxy; set $PP (its
#                       127.0.0.1:PORT) and $PROXY_PID
#   proxy_cmd CMD...    give the proxy a command (cut, halfcut, drop
#                       REGEX) and wait up to 30 s until it is carried
#                       out (for drop: the line dropped and cut)
#   proxy_seen EREGEX   whether the proxy's log has a line matching EREGEX
#   proxy_count EREGEX  how many lines of the proxy's log match EREGEX
#   start_worker NAME ARGS...  `pogo worker` through the proxy (no
#                       reconnect delay), its log appended to
#                       $T/worker.log; sets $WPID

worker_port() {
	WP=$(sed -n 's/.* Listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p' \
	    "$T/dispatcher.log" | sed -n 2p)
	[ -n "$WP" ]
}

start_proxy() {
	mkdir -p "$T/proxy"
	PROXY_NCMD=0
	python3 "$POGO_SRC/test/e2e/wire-proxy.py" "$1" "$T/proxy" \
	    2>"$T/proxy-stderr.log" &
	PROXY_PID=$!
	E2E_PIDS="$E2E_PIDS $PROXY_PID"
	wait_for 20 "the proxy's port" test -s "$T/proxy/port"
	PP=127.0.0.1:$(cat "$T/proxy/port")
}

proxy_cmd() {
	PROXY_NCMD=$((PROXY_NCMD + 1))
	echo "$*" >>"$T/proxy/cmd"
	wait_for 30 "the proxy's command $*" proxy_seen "^done $PROXY_NCMD\$"
}

proxy_seen() {
	grep -Eq "$1" "$T/proxy/log" 2>/dev/null
}

proxy_count() {
	grep -Ec "$1" "$T/proxy/log" 2>/dev/null
}

start_worker() {
	sw_name=$1
	shift
	"$POGO" worker -f /dev/null --dispatcher "$PP" \
	    -o worker.reconnect_delay=0 -o worker.name="$sw_name" "$@" \
	    >>"$T/worker.out" 2>>"$T/worker.log" &
	WPID=$!
	E2E_PIDS="$E2E_PIDS $WPID"
}
