#!/bin/sh
# The web UI's schedule and constraint views, the "why is this host
# waiting" panel and keyboard use, in a real browser (issue 12, "beyond
# the original"; Debian's chromium driven by playwright-core, as t7001),
# against `pogo api` in front of a real dispatcher and worker running
# local tasks.  First GET /v1/jobs/:jobid/schedule itself: its table is
# `pogo schedule --targets`'s byte for byte, its slots' progress follows
# the hosts.  Then test/e2e/ui-views.js checks the schedule view (threads
# and slots as pogo schedule prints them, progress changing live without
# a reload), the constraint view of a namespace job (limit, units used,
# holders; the peak seen reaches the limit and never passes it), the panel
# of a waiting host (the group's holders, the sequence's slot) and the
# keyboard (tab order in document order, a visible focus ring, Enter and
# Space on actions, Escape).  Then the halted job's page, whose first
# schedule request the browser answers 503 with Retry-After: 1 (a test of
# the page's behaviour with the dispatcher's answer while it builds two
# schedules, review7 2): the page asks again a second later and draws the
# views without a reload; answered 503 every time, it shows the error
# after its fifth try.  Last, a 10,000-host job of 20 sequence slots
# and 1,020 groups: the page asks for at most ?max= hosts a slot or group,
# draws 10 slots and 50 groups (those in use first) with the totals and
# what it leaves out, and Enter on a Why? button answers, telling a slot
# from a group of the same name.  Screenshots go to <build>/ui-screenshots/.
# Last, with token authentication, the schedule needs what the job needs.
. "$(dirname "$0")/ui.sh"
ui_local_start uv1

# A sequence: s1, s2 before s3, s4; x1 outside the configuration.
seqcfg="tag:${nl}  colo:${nl}    one: [s1, s2]${nl}    two: [s3, s4]${nl}sequence:${nl}  - \$colo.one${nl}  - \$colo.two$nl"
printf '%s' "$seqcfg" >"$T/seq.yaml"
asubmit range=s1,s2,s3,s4,x1 user=alice task_name=local config="$seqcfg" \
    command="$(waitcmd "s-\$POGO_HOST")"
JSEQ=$JID
wait_for 30 "s1 running" host_is "$JSEQ" s1 state running
wait_for 30 "s2 running" host_is "$JSEQ" s2 state running

# The endpoint: pogo schedule's table, byte for byte, and the progress.
api_get "/v1/jobs/$JSEQ/schedule"
expect_eq "GET schedule" "$code" 200
python3 -c 'import json, sys
sys.stdout.write(json.load(open(sys.argv[1]))["response"]["schedule"]["table"])' \
    "$T/body" >"$T/api-table" || fail "no table in $(cat "$T/body")"
"$POGO" schedule "$T/seq.yaml" --targets s1,s2,s3,s4,x1 >"$T/cli-table" ||
    fail "pogo schedule failed"
cmp "$T/api-table" "$T/cli-table" ||
    fail "the endpoint's table differs from pogo schedule's: $(diff "$T/cli-table" "$T/api-table")"
expect_eq "slot 1 progress" \
    "$(jget '[s["summary"] for s in j["response"]["schedule"]["threads"][0]["slots"]]')" \
    '[{"running": 2}, {"waiting": 2}]'
expect_eq "active slots" \
    "$(jget '[t["active_slot"] for t in j["response"]["schedule"]["threads"]]')" \
    '[0, 0]'
api_get "/v1/jobs/$JSEQ/schedule?max=1"
expect_eq "max=1 lists one host a slot" \
    "$(jget '[len(s["hosts"]) for s in j["response"]["schedule"]["threads"][0]["slots"]]')" \
    '[1, 1]'
api_get "/v1/jobs/p0000999999/schedule"
expect_eq "schedule of no job" "$code $(jget 'j["errors"]')" \
    '404 ["no such job p0000999999"]'

# A namespace whose group `all` lets two of c1..c5 run at once.
nscfg="tag: {all: [c1, c2, c3, c4, c5]}${nl}constraint: {\$all: {max_parallel: 2}}$nl"
api_post /v1/namespaces/web/constraints --data-urlencode "config=$nscfg"
expect_eq "namespace web" "$code" 200
asubmit range=c1,c2,c3,c4,c5 user=alice task_name=local namespace=web \
    command="$(waitcmd "c-\$POGO_HOST")"
JCON=$JID
wait_for 30 "the constraint job running" state_is "$JCON" running

# 10,000 hosts n1..n10000: 20 colos of 500 in one sequence, two at a
# time in a colo (which leaves the worker's other task slots to the jobs
# above), 1,000 racks of 10 with one unit each: a thread of 20 slots and
# 1,020 groups.
awk 'BEGIN {
	print "tag:"; print "  colo:"
	for (c = 1; c <= 20; c++)
		printf "    c%d: \"n[%d-%d]\"\n", c, (c - 1) * 500 + 1, c * 500
	print "  rack:"
	for (r = 1; r <= 1000; r++)
		printf "    r%d: \"n[%d-%d]\"\n", r, (r - 1) * 10 + 1, r * 10
	print "sequence:"
	for (c = 1; c <= 20; c++)
		printf "  - $colo.c%d\n", c
	print "constraint:"; print "  $rack: {max_parallel: 1}"
	print "  $colo: {max_parallel: 2}"
}' >"$T/big.yaml" || fail "awk"
asubmit range='n[1-10000]' user=alice task_name=local \
    config="$(cat "$T/big.yaml")" command="$(waitcmd big)"
JBIG=$JID
# Its first slot's progress, from its schedule (cheaper than its hosts).
big_running() {
	api_get "/v1/jobs/$JBIG/schedule?max=1"
	br='j["response"]["schedule"]["threads"][0]["slots"][0]["summary"]'
	[ "$code" = 200 ] && [ "$(jget "$br.get('running', 0)")" -gt 0 ]
}
wait_for 60 "a host of the 10,000-host job running" big_running

JOBS=$(printf '{"seq": "%s", "con": "%s", "big": "%s"}' "$JSEQ" "$JCON" \
    "$JBIG")
ui_browser ui-views.js JOBS="$JOBS"
ui_shots schedule-view constraint-view why-panel
stop_api
mv "$T/api.log" "$T/api-none.log"

# The schedule is read as the job is (SPEC 11.1): 401 without a token,
# 200 for any user, the owner or not.
TA=alice-0123456789abcdef0123456789abcdef
TB=bob-0123456789abcdef0123456789abcdef00
printf 'alice %s\nbob %s\n' "$TA" "$TB" >"$T/tokens"
chmod 600 "$T/tokens"
start_api -o api.auth=token -o "api.token_file=$T/tokens"
for p in "/v1/jobs/$JSEQ" "/v1/jobs/$JSEQ/schedule"; do
	api_get "$p"
	expect_eq "$p without a token" "$code" 401
	api_get "$p" -H "Authorization: Bearer $TB"
	expect_eq "$p as bob (not the owner)" "$code" 200
	api_get "$p" -H "Authorization: Bearer ${TB}x"
	expect_eq "$p with a wrong token" "$code" 401
done
touch "$T/go-big"
for h in s1 s2 s3 s4 x1 c1 c2 c3 c4 c5; do
	touch "$T/go-s-$h" "$T/go-c-$h"
done
stop_api
stop_dispatcher_cleanly
