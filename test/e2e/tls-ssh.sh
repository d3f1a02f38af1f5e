# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The pogo authors
#
# The start of the tests that run a TLS dispatcher and worker (certificates
# from `pogo ca`) against a real sshd whose logins need the test user's
# password, everything in the sshd's network namespace (t5113 and the
# browser test t7002), sourced after lib.sh's e2e_init (or ui.sh),
# dispatcher.sh and tls.sh.  It starts the sshd
# (SSHD_PASSWORD=yes), makes the certificates (make_certs), writes the
# dispatcher's TLS keys to $T/pogo.yaml (tls_dispatcher_yaml) and defines,
# in place of lib.sh's and tls.sh's:
#   start_pogo ROLE ARGS...  pogo ROLE in the namespace (`ip netns exec`
#                 executes pogo itself: $POGO_PID is pogo's pid), logged
#   cps_get PATH [CURL ARGS...]  GET over HTTPS from the control port,
#                 from the namespace: $code, the body in $T/body
#   tjob_is JOB FIELD VALUE  the job's FIELD is VALUE
#   thost_is JOB HOST FIELD VALUE  the host's FIELD is VALUE

SSHD_PASSWORD=yes
start_sshd
POGO_CA=$POGO make_certs
tls_dispatcher_yaml

start_pogo() {
	role=$1
	shift
	: >"$T/$role.log" # as lib.sh's
	ip netns exec "$E2E_NS" "$POGO" "$role" "$@" >"$T/$role.out" \
	    2>"$T/$role.log" &
	E2E_PIDS="$E2E_PIDS $!"
	POGO_PID=$!
}
cps_get() {
	p=$1
	shift
	code=$(in_ns curl -s -o "$T/body" -w '%{http_code}' --max-time 20 \
	    --cacert "$C/ca.crt" --cert "$C/dispatcher.crt" \
	    --key "$C/dispatcher.key" "$@" "https://$CP$p") ||
	    fail "curl GET https $p failed"
}
tjob_is() {
	cps_get "/v1/jobs/$1"
	[ "$code" = 200 ] &&
	    [ "$(jget "j['response']['job']['$2']")" = "$3" ]
}
thost_is() {
	cps_get "/v1/jobs/$1/hosts"
	[ "$code" = 200 ] &&
	    [ "$(jget "j['response']['hosts']['$2']['$3']")" = "$4" ]
}
