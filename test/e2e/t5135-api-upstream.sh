#!/bin/sh
# pogo api's forwarding to the control port (SPEC 11.1): HEAD through the
# API answers as GET does, without the body (review3 11, review4 F-Q: it
# was 500 "problem in communication with dispatcher"); requests reuse a
# few kept-alive connections to the control port instead of opening one
# (and with TLS a mutual-TLS handshake) each (review4 F-K): 60 requests
# leave at most a handful of connections, counted with ss(8) on both
# ends, TIME-WAIT included; a dispatcher restarted on the same port
# (every kept connection closed by it) is served again at once.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$(dirname "$0")/dispatcher.sh"
. "$(dirname "$0")/tls.sh"
. "$(dirname "$0")/api.sh"
have ss "counting connections" || skip "no ss"

start_dispatcher
start_api

# HEAD answers as GET does: same status, same Content-Length, no body.
head_like_get() {
	hg=$(curl -s -o "$T/get.body" -D "$T/get.hdr" -w '%{http_code}' \
	    --max-time 20 "http://$API$1") || fail "GET $1"
	hh=$(curl -s -I -o "$T/head.hdr" -w '%{http_code}' --max-time 20 \
	    "http://$API$1") || fail "HEAD $1"
	expect_eq "HEAD $1 status" "$hh" "$hg"
	gl=$(sed -n 's/^[Cc]ontent-[Ll]ength: *\([0-9]*\).*/\1/p' "$T/get.hdr")
	hl=$(sed -n 's/^[Cc]ontent-[Ll]ength: *\([0-9]*\).*/\1/p' "$T/head.hdr")
	expect_eq "HEAD $1 Content-Length" "$hl" "$gl"
	expect_eq "GET $1 body length" "$(wc -c <"$T/get.body")" "$gl"
}
head_like_get /v1/ping
head_like_get /status
head_like_get /v1/jobs
head_like_get /v1/jobs/p0000000042
# A HEAD and then a GET on the same kept-alive connection to the API.
out=$(curl -s -o /dev/null -w '%{http_code} ' --max-time 20 -I \
    "http://$API/v1/ping" --next -s -o /dev/null -w '%{http_code}' \
    --max-time 20 "http://$API/v1/ping") || fail "HEAD then GET"
expect_eq "HEAD then GET" "$out" "200 200"

# conns PORT: TCP sockets with PORT at either end, listeners aside.
conns() {
	ss -Htan state all exclude listening \
	    "( sport = :$1 or dport = :$1 )" | wc -l
}

# 60 requests, 20 at a time from 3 clients: at most a few connections.
cport=${CP##*:}
before=$(conns "$cport")
urls=""
i=0
while [ $i -lt 20 ]; do
	urls="$urls http://$API/v1/ping"
	i=$((i + 1))
done
for k in 1 2 3; do
	# shellcheck disable=SC2086
	curl -s --max-time 60 $urls >/dev/null &
	eval "cpid$k=\$!"
done
# shellcheck disable=SC2154
for p in "$cpid1" "$cpid2" "$cpid3"; do
	wait "$p" || fail "curl $p failed"
done
after=$(conns "$cport")
echo "control port sockets: $before before, $after after 60 requests"
# Each kept connection is two sockets here (both ends on loopback); one
# per request would leave 60 in TIME-WAIT at least.
[ $((after - before)) -le 8 ] ||
    { ss -tan "( sport = :$cport or dport = :$cport )"
      fail "60 requests left $((after - before)) sockets on the control port"; }
api_get /v1/ping
expect_eq "ping after" "$code" 200

# The dispatcher restarts on the same port: every kept connection is
# closed by it; the next requests are answered.
restart_dispatcher TERM -o "dispatcher.control_listen=$CP"
i=0
while [ $i -lt 5 ]; do
	api_get /v1/ping
	expect_eq "ping after the restart ($i)" "$code" 200
	i=$((i + 1))
done
stop_api
stop_dispatcher_cleanly

# With TLS: the same count (a handshake per request before).
mv "$T/api.log" "$T/api-plain.log"
mv "$T/dispatcher.log" "$T/dispatcher-plain.log"
POGO_CA=$POGO make_certs
tls_dispatcher_yaml
start_dispatcher
start_api
cport=${CP##*:}
before=$(conns "$cport")
# shellcheck disable=SC2086
curl -s --max-time 60 --cacert "$C/ca.crt" \
    $(echo "$urls" | sed "s|http://[^/]*/|https://$API/|g") >/dev/null ||
    fail "curl over HTTPS: $?"
after=$(conns "$cport")
echo "control port sockets with TLS: $before before, $after after 20 requests"
[ $((after - before)) -le 4 ] ||
    fail "20 requests over TLS left $((after - before)) sockets on the control port"
code=$(curl -s -o /dev/null -w '%{http_code}' -I --max-time 20 \
    --cacert "$C/ca.crt" "https://$API/v1/ping") || fail "HEAD over HTTPS"
expect_eq "HEAD over HTTPS" "$code" 200
stop_api
stop_dispatcher_cleanly
echo "PASS $E2E_NAME"
