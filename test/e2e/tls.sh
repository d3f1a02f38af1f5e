# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The pogo authors
#
# Helpers for the TLS tests (t60xx), sourced after lib.sh and
# dispatcher.sh:
#   make_certs    certificates in $C ($T/certs) from test/data/tls-certs.sh
#                 (ca, dispatcher d1, worker w1, client alice, expired,
#                 other-ca, other-worker, self; with POGO_CA=$POGO, the
#                 CAs and the certificates of the three kinds by `pogo ca`)
#   tls_dispatcher_yaml [PINS]  TLS keys for the dispatcher's
#                 $T/pogo.yaml (certificate d1, CA ca)
#   worker_port   the second "Listening on" address, in $WP
#   start_tls_worker NAME CERT [ARGS...]  a worker with certificate CERT
#                 (a name of $C) to $WP; its pid in $WPID, log
#                 $T/worker-NAME.log
#   cps_get PATH [CURL ARGS...]  GET over HTTPS from the control port
#                 with the dispatcher certificate (the API server's)
#   nworkers N    /status lists N workers
have openssl "certificates" || skip "no openssl"

C=$T/certs

make_certs() {
	POGO_CA=${POGO_CA:-} sh "$POGO_SRC/test/data/tls-certs.sh" "$C" ||
	    fail "cannot make the certificates"
}

tls_dispatcher_yaml() {
	cat >>"$T/pogo.yaml" <<EOY
tls:
  cert: $C/dispatcher.crt
  key: $C/dispatcher.key
  ca_cert: $C/ca.crt
EOY
}

worker_port() {
	WP=$(sed -n 's/.* Listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p' \
	    "$T/dispatcher.log" | sed -n 2p)
	[ -n "$WP" ]
}

start_tls_worker() {
	sw_name=$1
	sw_cert=$2
	shift 2
	"$POGO" worker -f /dev/null -o state_dir="$(mktemp -d "$T/ws.XXXXXX")" --dispatcher "$WP" \
	    -o worker.reconnect_delay=0 -o "worker.name=$sw_name" \
	    -o "tls.cert=$C/$sw_cert.crt" -o "tls.key=$C/$sw_cert.key" \
	    "$@" >"$T/worker-$sw_name.out" 2>>"$T/worker-$sw_name.log" &
	WPID=$!
	E2E_PIDS="$E2E_PIDS $WPID"
}

cps_get() {
	p=$1
	shift
	code=$(curl -s -o "$T/body" -w '%{http_code}' --max-time 20 \
	    --cacert "$C/ca.crt" --cert "$C/dispatcher.crt" \
	    --key "$C/dispatcher.key" "$@" "https://$CP$p") ||
	    fail "curl GET https $p failed"
}

nworkers() {
	cps_get /status
	[ "$code" = 200 ] && [ "$(jget 'len(j["workers"])')" = "$1" ]
}
