#!/bin/sh
# Namespaces on the control port (SPEC 2.10, 3.5, 11.3, A-NS): the files
# of dispatcher.namespace_dir listed, read, their hosts' tags, replaced
# atomically by an admin's POST (400 with the configuration error, 403
# for a forwarded user who is no admin); a job's config or namespace
# naming one takes its text when submitted (a later edit changes only
# later jobs) and names that do not exist are refused; the locks of a
# namespace shared by two jobs of a real worker's local tasks, with their
# holders; POST /v1/jobs in SPEC 11.5's envelope; through curl and
# Python's http.client on one keep-alive connection.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$(dirname "$0")/dispatcher.sh"

NS=$T/ns
mkdir -p "$NS" || fail "mkdir"
# CFG-NA-SEA and S-022's configuration.
cat >"$NS/a.yaml" <<'EOC'
# CFG-NA-SEA
tag:
  colo:
    north_america: [host1, host2, host3]
    south_east_asia: [host4, host5, host6]
EOC
cat >"$NS/b.yaml" <<'EOC'
tag:
  colo:
    north_america: [host4, host5, host6]
constraint:
  $colo.north_america:
    max_parallel: 1
sequence:
  - $colo.north_america
EOC
# Not namespaces: another suffix, a name SPEC 2.10 does not allow.
echo 'tag: {x: [h]}' >"$NS/c.yml"
echo 'tag: {x: [h]}' >"$NS/.hidden.yaml"

# jraw EXPR: the string EXPR of the body, as it is (no newline added).
jraw() {
	python3 -c '
import json, sys
sys.stdout.write(eval(sys.argv[2], {"j": json.load(open(sys.argv[1]))}))
' "$T/body" "$1" || fail "cannot evaluate $1 on: $(cat "$T/body")"
}

start_dispatcher -o dispatcher.namespace_dir="$NS"
start_worker nw1 -o worker.max_tasks=8

cp_get /v1/namespaces
expect_eq "list code" "$code" 200
expect_eq "list" "$(jget 'j["response"]')" '{"namespaces": ["a", "b"]}'

cp_get /v1/namespaces/a
expect_eq "a code" "$code" 200
expect_eq "a" "$(jget '[j["response"]["namespace"], j["response"]["hosts"]]')" \
    '["a", 6]'
jraw 'j["response"]["config"]' >"$T/a.got"
cmp -s "$NS/a.yaml" "$T/a.got" || fail "a's config differs: $(cat "$T/a.got")"
cp_get /v1/namespaces/a/constraints
jraw 'j["response"]["config"]' >"$T/a.got"
cmp -s "$NS/a.yaml" "$T/a.got" || fail "a's constraints differ"
cp_get '/v1/namespaces/a/constraints?format=json-pretty'
expect_eq "pretty" "$(sed -n 2p "$T/body")" '  "meta": {'

cp_get /v1/namespaces/a/hosts/host1/tags
expect_eq "tags of host1" "$(jget 'j["response"]')" \
    '{"tags": ["colo", "colo.north_america"]}'
cp_get /v1/namespaces/a/hosts/host5/tags
expect_eq "tags of host5" "$(jget 'j["response"]["tags"]')" \
    '["colo", "colo.south_east_asia"]'
cp_get /v1/namespaces/a/hosts/nohost/tags
expect_eq "tags of an unknown host" "$(jget 'j["response"]["tags"]')" '[]'

for p in /v1/namespaces/zz /v1/namespaces/zz/locks \
    /v1/namespaces/zz/hosts/host1/tags /v1/namespaces/zz/constraints \
    /v1/namespaces/c /v1/namespaces/.hidden /v1/namespaces/..%2Fns%2Fa; do
	cp_get "$p"
	expect_eq "$p code" "$code" 404
	want=${p#/v1/namespaces/}
	want=${want%%/*}
	[ "$want" = ..%2Fns%2Fa ] && want=../ns/a
	expect_eq "$p error" "$(jget 'j["errors"]')" \
	    "[\"no such namespace '$want'\"]"
done

# POST: checked as a job's configuration; the file is unchanged.
cp_post /v1/namespaces/a/constraints --data-urlencode 'config=sequence: [x]
'
expect_eq "no tag code" "$code" 400
expect_eq "no tag" "$(jget 'j["errors"]')" '["Improper config file: No tag"]'
cp_post /v1/namespaces/a/constraints --data-urlencode 'config=tag: {t: [a], t: [b]}
'
expect_eq "duplicate key code" "$code" 400
expect_eq "duplicate key" "$(jget 'j["errors"]')" \
    "[\"line 1, column 15: duplicate key 't'\"]"
cp_post /v1/namespaces/a/constraints
expect_eq "no config code" "$code" 400
cmp -s "$NS/a.yaml" "$T/a.got" || fail "a changed by refused POSTs"
# A forwarded user must be an admin (SPEC 11.1).
cp_post /v1/namespaces/a/constraints -H 'X-Pogo-User: bob' \
    --data-urlencode 'config=tag: {t: [h1]}
'
expect_eq "non-admin code" "$code" 403
expect_eq "non-admin" "$(jget 'j["errors"]')" '["permission denied"]'
cmp -s "$NS/a.yaml" "$T/a.got" || fail "a changed by bob"

# Jobs: config naming a namespace, namespace alone, names that are none.
nl='
'
submit range=host1 command=true user=u task_name=local config=a
expect_eq "config=a" "$rc_field" ok
J1=$(jget 'j["jobid"]')
submit range=host4 command=true user=u task_name=local namespace=b
expect_eq "namespace=b" "$rc_field" ok
J2=$(jget 'j["jobid"]')
submit range=host1 command=true user=u task_name=local config=a namespace=b
expect_eq "config=a namespace=b" "$rc_field" ok
J3=$(jget 'j["jobid"]')
expect_refused "no such namespace 'zz'" range=h1 command=true user=u \
    config=zz
expect_refused "no such namespace 'zz'" range=h1 command=true user=u \
    namespace=zz
expect_refused "no such namespace 'zz'" range=h1 command=true user=u \
    config="tag: {t: [h1]}$nl" namespace=zz
expect_refused "no such namespace 'c'" range=h1 command=true user=u \
    namespace=c
expect_refused "no such namespace '.hidden'" range=h1 command=true user=u \
    config=.hidden
# A config that is no namespace name, beside a namespace that exists: not
# run with the namespace's configuration (review4 F-H, SPEC 2.10).
expect_refused "no such namespace '../a'" range=h1 command=true user=u \
    config=../a namespace=b
expect_refused "no such namespace 'my ns'" range=h1 command=true user=u \
    config='my ns' namespace=b
cp_get "/v1/jobs/$J1"
jraw 'j["response"]["job"]["config"]' >"$T/j1.got"
cmp -s "$NS/a.yaml" "$T/j1.got" || fail "job 1's config: $(cat "$T/j1.got")"
expect_eq "job 1 namespace" "$(jget 'j["response"]["job"]["namespace"]')" null
cp_get "/v1/jobs/$J2"
jraw 'j["response"]["job"]["config"]' >"$T/j2.got"
cmp -s "$NS/b.yaml" "$T/j2.got" || fail "job 2's config: $(cat "$T/j2.got")"
expect_eq "job 2 namespace" "$(jget 'j["response"]["job"]["namespace"]')" b
cp_get "/v1/jobs/$J3"
jraw 'j["response"]["job"]["config"]' >"$T/j3.got"
cmp -s "$NS/a.yaml" "$T/j3.got" || fail "job 3's config"
for j in "$J1" "$J2" "$J3"; do
	wait_for 30 "$j finished" job_is "$j" state finished
done

# An admin's POST replaces a (atomically: no file left beside it) and
# makes c; a job submitted afterwards takes the new text, the old job
# keeps its own.
NEWA='tag:
  colo:
    north_america: [host1]
'
cp_post /v1/namespaces/a/constraints -H 'X-Pogo-User: root' \
    -H 'X-Pogo-Admin: 1' --data-urlencode "config=$NEWA"
expect_eq "update code" "$code" 200
expect_eq "update" "$(jget 'j["response"]')" \
    '{"message": "namespace a updated"}'
printf '%s' "$NEWA" | cmp -s - "$NS/a.yaml" || fail "a not replaced"
cp_post /v1/namespaces/new_1.x/constraints --data-urlencode "config=$NEWA"
expect_eq "create" "$(jget 'j["response"]["message"]')" \
    "namespace new_1.x updated"
expect_eq "files" "$(cd "$NS" && ls -A | tr '\n' ' ')" \
    ".hidden.yaml a.yaml b.yaml c.yml new_1.x.yaml "
cp_get /v1/namespaces
expect_eq "list after" "$(jget 'j["response"]["namespaces"]')" \
    '["a", "b", "new_1.x"]'
cp_get /v1/namespaces/a
expect_eq "a's hosts after" "$(jget 'j["response"]["hosts"]')" 1
cp_get "/v1/jobs/$J1"
jraw 'j["response"]["job"]["config"]' >"$T/j1.got2"
cmp -s "$T/j1.got" "$T/j1.got2" || fail "job 1's config changed"
submit range=host1 command=true user=u task_name=local config=a
cp_get "/v1/jobs/$(jget 'j["jobid"]')"
expect_eq "a later job's config" "$(jget 'j["response"]["job"]["config"]')" \
    "$(printf '%s' "$NEWA")"

# Locks (SPEC 3.5): two jobs in namespace b share $colo.north_america
# (limit 1); host6 of the first holds it, the second waits.
cmd="i=0; while [ ! -e $T/go ] && [ \$i -lt 1200 ]; do sleep 0.1; i=\$((i+1)); done"
submit range=host4,host5,host6 command="$cmd" user=u task_name=local \
    namespace=b
L1=$(jget 'j["jobid"]')
wait_for 30 "host6 of $L1 running" host_is "$L1" host6 state running
submit range=host4,host5,host6 command="$cmd" user=u task_name=local \
    namespace=b
L2=$(jget 'j["jobid"]')
wait_for 30 "$L2 running" job_is "$L2" state running
cp_get /v1/namespaces/b/locks
expect_eq "locks code" "$code" 200
expect_eq "locks" "$(jget 'j["response"]')" \
    "{\"locks\": [{\"group\": \"\$colo.north_america\", \"holders\": [{\"host\": \"host6\", \"jobid\": \"$L1\"}], \"limit\": 1, \"used\": 1}]}"
cp_get /v1/namespaces/a/locks
expect_eq "no locks in a" "$(jget 'j["response"]')" '{"locks": []}'
cp_get "/v1/jobs/$L2/hosts"
expect_eq "second job waits" "$(jget '[j["response"]["hosts"][h]["state"]
    for h in ("host4", "host5", "host6")]')" \
    '["waiting", "waiting", "waiting"]'
touch "$T/go"
wait_for 60 "$L1 finished" job_is "$L1" state finished
wait_for 60 "$L2 finished" job_is "$L2" state finished
cp_get /v1/namespaces/b/locks
# Ended jobs hold nothing (and may be freed: then no group is listed).
expect_eq "locks after" "$(jget '[l for l in j["response"]["locks"]
    if l["used"] != 0 or l["holders"]]')" '[]'

# POST /v1/jobs: SPEC 11.5's envelope.
cp_post /v1/jobs -d range=host1 -d command=true -d user=u -d task_name=local
expect_eq "POST /v1/jobs code" "$code" 200
expect_eq "POST /v1/jobs" "$(jget '[j["meta"]["rc"], j["meta"]["status"],
    j["response"]["message"], j["response"]["jobid"][:1]]')" \
    '["ok", 200, "dispatcher CP: job received", "p"]'
cp_post /v1/jobs -d command=true -d user=u
expect_eq "POST /v1/jobs refused code" "$code" 200
expect_eq "POST /v1/jobs refused" "$(jget '[j["meta"]["rc"],
    j["response"]["message"]]')" "[\"nok\", \"Mandatory field 'range' missing\"]"
cp_post /v1/jobs -d range=h1 -d command=true -d user=u -d config=zz
expect_eq "POST /v1/jobs no namespace" "$(jget 'j["response"]["message"]')" \
    "no such namespace 'zz'"

# Python's http.client: one keep-alive connection, several requests.
python3 - "$CP" <<'EOP' || fail "keep-alive"
import http.client, json, sys
host, port = sys.argv[1].rsplit(":", 1)
c = http.client.HTTPConnection(host, int(port), timeout=20)
for path, want in (("/v1/namespaces", ["a", "b", "new_1.x"]),
                   ("/v1/namespaces/b/hosts/host4/tags",
                    ["colo", "colo.north_america"]),
                   ("/v1/namespaces", ["a", "b", "new_1.x"])):
    c.request("GET", path)
    r = c.getresponse()
    body = json.loads(r.read())
    got = list(body["response"].values())[0]
    assert r.status == 200 and got == want, (path, r.status, body)
c.request("POST", "/v1/namespaces/b/constraints", body="config=sequence%3A+%5Bx%5D%0A",
          headers={"Content-Type": "application/x-www-form-urlencoded"})
r = c.getresponse()
body = json.loads(r.read())
assert r.status == 400 and body["errors"] == ["Improper config file: No tag"], body
c.close()
EOP

stop_dispatcher_cleanly
echo "PASS $E2E_NAME"
