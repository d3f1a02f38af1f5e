#!/bin/sh
# The web UI in a real browser (SPEC 11.6, 13.9, issue 12): Debian's
# chromium driven headless by playwright-core (installed by
# third_party/deps.sh), against `pogo api` in front of a real dispatcher
# and worker running local tasks.  test/e2e/ui-browser.js checks U-1 and
# U-2 in the browser, the job list and its filters, the job page's live
# rows (running -> finished / failed within 1 s of the log entry, no
# reload) in SPEC's colours with text labels, Retry, Halt, Skip of
# several hosts, Resume, the output page following a host, and that no
# request went to another origin; a 10,000-host job page loads, pages and
# filters within bounds; buttons disabled for a user who may not act (whoami
# answered by the test); the token prompt on 401; the password box sealed
# in the page opened by box.c and by Python.  Screenshots of the job list, a job
# page mid-rollout and an output page go to <build>/ui-screenshots/.
. "$(dirname "$0")/ui.sh"
ui_local_start uw1

asubmit range=d1,d2 user=alice task_name=local command=true
JDONE=$JID
asubmit range=b1 user=bob task_name=local command=true
JBOB=$JID
for j in $JDONE $JBOB; do
	wait_for 30 "$j finished" state_is "$j" finished
done
# l1..l3 run at once, each until its go-file; l2 then fails.
asubmit range=l1,l2,l3 user=alice task_name=local concurrent=0 \
    command="echo out-\$POGO_HOST; echo err-\$POGO_HOST >&2; $(waitcmd "\$POGO_HOST"); echo after-\$POGO_HOST; test \$POGO_HOST != l2 || exit 3"
JLIVE=$JID
# One host at a time, for Halt, Skip and Resume.
cfg="tag: {all: [h1, h2, h3, h4]}${nl}constraint: {\$all: {max_parallel: 1}}$nl"
asubmit range=h1,h2,h3,h4 user=alice task_name=local config="$cfg" \
    command="$(waitcmd "h-\$POGO_HOST")"
JOPS=$JID
# 10,000 hosts, one at a time: the first waits, the page must stay usable.
asubmit range='n[1-10000]' user=alice task_name=local concurrent=1 \
    command="$(waitcmd big)"
JBIG=$JID
wait_for 30 "l3 running" host_is "$JLIVE" l3 state running
wait_for 120 "the 10,000-host job running" state_is "$JBIG" running

# Worker keys (RSA, EC P-256) for the boxes the page seals (SPEC 10.3):
# opened by pogo's own box.c (box-tool) and by Python's cryptography.
have openssl "the page's secret boxes" || fail "no openssl"
openssl req -x509 -newkey rsa:3072 -nodes -keyout "$T/rsa.key" \
    -out "$T/rsa.crt" -subj /CN=w-rsa -days 1 2>/dev/null ||
    fail "openssl rsa"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/ec.key" -out "$T/ec.crt" -subj /CN=w-ec -days 1 \
    2>/dev/null || fail "openssl ec"
spki() {
	openssl x509 -in "$1" -pubkey -noout |
	    openssl pkey -pubin -outform DER | base64 -w0
}
SEAL_RSA=$(spki "$T/rsa.crt")
SEAL_EC=$(spki "$T/ec.crt")
export SEAL_RSA SEAL_EC

JOBS=$(printf '{"done": "%s", "bob": "%s", "live": "%s", "ops": "%s", "big": "%s"}' \
    "$JDONE" "$JBOB" "$JLIVE" "$JOPS" "$JBIG")
ui_browser ui-browser.js JOBS="$JOBS" TOKENS="${TOKENS:-}"
TOOL=$(dirname "$POGO")/box-tool
for k in rsa ec; do
	[ -s "$T/box-$k.b64" ] || fail "the page sealed no $k box"
	got=$("$TOOL" open "$T/$k.key" <"$T/box-$k.b64") ||
	    fail "box-tool cannot open the page's $k box"
	expect_eq "the page's $k box, opened by box.c" "$got" "pässwörd $k"
	got=$(python3 "$POGO_SRC/test/e2e/box-interop.py" open "$T/$k.key" \
	    <"$T/box-$k.b64") || fail "cryptography cannot open the $k box"
	expect_eq "the page's $k box, opened by cryptography" "$got" \
	    "pässwörd $k"
done
touch "$T/go-big"
got=$("$TOOL" open "$T/rsa.key" <"$T/box-page.b64") ||
    fail "box-tool cannot open the password the page posted"
expect_eq "the page's retry password, opened by box.c" "$got" \
    "typed pässword"
ui_shots job-list job-page output-page
stop_api
stop_dispatcher_cleanly
