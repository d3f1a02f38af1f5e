#!/bin/sh
# T-PIN (SPEC 10.1): a worker with tls.pins set to the dispatcher
# certificate's SHA-256 fingerprint connects (with the CA, and with the
# pin alone: no tls.ca_cert); with a wrong pin it is refused, says why,
# and never appears in /status.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$(dirname "$0")/dispatcher.sh"
. "$(dirname "$0")/tls.sh"

make_certs
tls_dispatcher_yaml
start_dispatcher
wait_for 10 "the worker port's Listening line" worker_port
pin=$(cat "$C/dispatcher.sha256")
wrong=$(cat "$C/client.sha256")
nopin=$(echo "$pin" | tr -d : | tr 'A-F' 'a-f')

# A wrong pin: refused by the worker.
start_tls_worker wbad worker -o "tls.ca_cert=$C/ca.crt" \
    -o "tls.pins=[\"$wrong\"]"
BAD=$WPID
no_pin() {
	grep -q "matches no pin" "$T/worker-wbad.log"
}
wait_for 30 "the wrong pin refused" no_pin
nworkers 0 || fail "a worker with a wrong pin is listed: $(cat "$T/body")"
kill "$BAD"
wait "$BAD" 2>/dev/null

# The right pin, with the CA.
start_tls_worker wn1 worker -o "tls.ca_cert=$C/ca.crt" \
    -o "tls.pins=[\"$pin\"]"
W1=$WPID
wait_for 30 "the pinned worker in /status" nworkers 1
# The right pin alone (hex without ':'), no CA: the pin decides.
start_tls_worker wn2 worker -o "tls.pins=[$nopin]"
W2=$WPID
wait_for 30 "the pin-only worker in /status" nworkers 2
for w in $W1 $W2; do
	kill -TERM "$w"
	wait "$w"
	expect_eq "worker exit status" "$?" 0
done
stop_dispatcher TERM
expect_eq "dispatcher exit status" "$drc" 0
echo "PASS $E2E_NAME"
