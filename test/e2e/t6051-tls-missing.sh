#!/bin/sh
# T-MISSING (SPEC 10.1): a role with tls.cert and a missing TLS item does
# not start: exit 2 with a message that names the item.  A dispatcher
# without tls.key (`tls.key is not set`), without tls.ca_cert or pins, with
# an unreadable certificate; a worker without tls.key, with an unreadable
# CA file.  Nothing listens and no state directory is made.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$(dirname "$0")/dispatcher.sh"
. "$(dirname "$0")/tls.sh"

make_certs
# refuse ROLE MESSAGE ARGS...: exit 2, MESSAGE on stderr.
refuse() {
	rf_role=$1
	rf_msg=$2
	shift 2
	"$POGO" "$rf_role" -f /dev/null -o "state_dir=$T/state" "$@" \
	    >"$T/out" 2>"$T/err"
	expect_eq "$rf_role [$*] status" "$?" 2
	grep -qF "$rf_msg" "$T/err" ||
	    fail "$rf_role [$*]: '$(cat "$T/err")' lacks '$rf_msg'"
	[ -e "$T/state" ] && fail "a refused start made the state directory"
	return 0
}
D="-o dispatcher.control_listen=127.0.0.1:0 -o dispatcher.worker_listen=127.0.0.1:0"
# shellcheck disable=SC2086
refuse dispatcher "tls.key is not set" $D -o "tls.cert=$C/dispatcher.crt" \
    -o "tls.ca_cert=$C/ca.crt"
# shellcheck disable=SC2086
refuse dispatcher "tls.ca_cert is not set" $D \
    -o "tls.cert=$C/dispatcher.crt" -o "tls.key=$C/dispatcher.key"
# shellcheck disable=SC2086
refuse dispatcher "tls.cert: $T/nothere.crt: " $D \
    -o "tls.cert=$T/nothere.crt" -o "tls.key=$C/dispatcher.key" \
    -o "tls.ca_cert=$C/ca.crt"
# shellcheck disable=SC2086
refuse dispatcher "tls.key: $C/worker.key does not match tls.cert" $D \
    -o "tls.cert=$C/dispatcher.crt" -o "tls.key=$C/worker.key" \
    -o "tls.ca_cert=$C/ca.crt"
refuse worker "tls.key is not set" --dispatcher 127.0.0.1:1 \
    -o "tls.cert=$C/worker.crt" -o "tls.ca_cert=$C/ca.crt"
refuse worker "tls.ca_cert: $T/nothere.crt: " --dispatcher 127.0.0.1:1 \
    -o "tls.cert=$C/worker.crt" -o "tls.key=$C/worker.key" \
    -o "tls.ca_cert=$T/nothere.crt"
echo "PASS $E2E_NAME"
