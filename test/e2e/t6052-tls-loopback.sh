#!/bin/sh
# T-LOOPBACK (SPEC 10.1): a dispatcher with worker_listen 0.0.0.0:<p> and
# no TLS exits 2 with "refusing to listen on 0.0.0.0:<p> without TLS; use
# --insecure to override"; the same address with TLS starts (the wildcard
# is reached over loopback, and a TLS worker connects there).
. "$(dirname "$0")/lib.sh"
e2e_init
. "$(dirname "$0")/dispatcher.sh"
. "$(dirname "$0")/tls.sh"

p=$(e2e_port 0)
"$POGO" dispatcher -f "$T/pogo.yaml" -o dispatcher.control_listen=127.0.0.1:0 \
    -o "dispatcher.worker_listen=0.0.0.0:$p" >"$T/out" 2>"$T/err"
expect_eq "exit status without TLS" "$?" 2
grep -qxF "pogo dispatcher: refusing to listen on 0.0.0.0:$p without TLS; use --insecure to override" \
    "$T/err" || fail "without TLS: $(cat "$T/err")"
[ -e "$DSTATE" ] && fail "a refused start made the state directory"

make_certs
tls_dispatcher_yaml
start_pogo dispatcher -f "$T/pogo.yaml" \
    -o dispatcher.control_listen=127.0.0.1:0 \
    -o "dispatcher.worker_listen=0.0.0.0:$p"
DPID=$POGO_PID
wait_for 30 "the TLS dispatcher" listening
CP=$(sed -n 's/.* Listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p' \
    "$T/dispatcher.log" | head -n 1)
wlisten() {
	grep -q "Listening on 0.0.0.0:$p" "$T/dispatcher.log"
}
wait_for 10 "the worker port on 0.0.0.0:$p" wlisten
WP=127.0.0.1:$p
start_tls_worker wn1 worker -o "tls.ca_cert=$C/ca.crt"
wait_for 30 "the TLS worker in /status" nworkers 1
kill -TERM "$WPID"
wait "$WPID"
expect_eq "worker exit status" "$?" 0
stop_dispatcher TERM
expect_eq "dispatcher exit status" "$drc" 0
echo "PASS $E2E_NAME"
