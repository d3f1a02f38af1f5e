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
#   start_behind_proxy NAME ARGS...  start_dispatcher ARGS, the proxy in
#                       front of its worker port and worker NAME through it
#   $GO_WAIT            a shell snippet for a test's command: wait (up to
#                       60 s) for the test's go, the file $T/go
#   cut_while_running CMD  submit a command for h1 that waits for the go
#                       (the job in $J), give the proxy CMD (cut or
#                       halfcut) while it runs, then the go; wait for the
#                       worker to connect again and h1 to finish: exit
#                       status 0, and the command ran once ($T/runs)

GO_WAIT="i=0; while [ ! -e $T/go ] && [ \$i -lt 1200 ]; do sleep 0.05; i=\$((i + 1)); done"

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
	"$POGO" worker -f /dev/null -o state_dir="$(mktemp -d "$T/ws.XXXXXX")" --dispatcher "$PP" \
	    -o worker.reconnect_delay=0 -o worker.name="$sw_name" "$@" \
	    >>"$T/worker.out" 2>>"$T/worker.log" &
	WPID=$!
	E2E_PIDS="$E2E_PIDS $WPID"
}

start_behind_proxy() {
	sbp_name=$1
	shift
	start_dispatcher "$@"
	wait_for 10 "the worker port's Listening line" worker_port
	start_proxy "$WP"
	start_worker "$sbp_name"
}

cut_while_running() {
	submit range=h1 user=u task_name=local \
	    command="echo run >>$T/runs; $GO_WAIT; echo end >>$T/ends"
	J=$(jget 'j["jobid"]')
	wait_for 30 "the command to start" test -e "$T/runs"
	proxy_cmd "$1"
	[ -e "$T/ends" ] && fail "the command ended before the $1"
	touch "$T/go"
	wait_for 30 "the worker to reconnect" proxy_seen '^accept 2$'
	wait_for 30 "h1 finished" host_is "$J" h1 state finished
	host_is "$J" h1 exitstatus 0 || fail "h1 exit: $(cat "$T/body")"
	expect_eq "commands run" "$(wc -l <"$T/runs")" 1
}
