#!/bin/sh
# The control port's reads of SPEC 11.3 that change no job, on a real
# `pogo dispatcher`: the job list with its filters and paging (meta.count),
# last/:user, whoami, namespaces (none here; t5130 has them), admin
# nomas (admin only when a user is forwarded), the error forms of 11.3;
# through curl and Python's http.client on one keep-alive connection.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$(dirname "$0")/dispatcher.sh"

mkdir -p "$DNS" && echo 'tag: {t: [h5]}' >"$DNS/ns1.yaml" || fail "ns1"
start_dispatcher

# An empty list: count 0, no jobs.
cp_get /v1/jobs
expect_eq "empty list code" "$code" 200
expect_eq "empty list" "$(jget '[j["response"]["jobs"], j["meta"]["count"]]')" \
    '[[], 0]'

# Five jobs: alice p0, p2, p4 (p4 in namespace ns1), bob p1, p3.
submit range=h1 command=true user=alice
submit range=h2 command=true user=bob
submit range=h1 range=h3 command=true user=alice
submit range=h4 command=true user=bob
submit range=h5 command=true user=alice namespace=ns1
expect_eq "fifth job" "$(jget 'j["jobid"]')" p0000000004

ids() {
	jget '([x["jobid"][-1:] for x in j["response"]["jobs"]] +
	    [j["meta"]["count"]])'
}
cp_get /v1/jobs
expect_eq "all, newest first" "$(ids)" '["4", "3", "2", "1", "0", 5]'
cp_get '/v1/jobs?max=2&offset=1'
expect_eq "a page" "$(ids)" '["3", "2", 5]'
cp_get '/v1/jobs?max=2&offset=4'
expect_eq "last page cut" "$(ids)" '["0", 5]'
cp_get '/v1/jobs?offset=9'
expect_eq "offset past the end" "$(ids)" '[5]'
cp_get '/v1/jobs?user=alice'
expect_eq "user filter" "$(ids)" '["4", "2", "0", 3]'
cp_get '/v1/jobs?user=alice&max=1&offset=1'
expect_eq "user filter paged" "$(ids)" '["2", 3]'
cp_get '/v1/jobs?target=h1'
expect_eq "target filter" "$(ids)" '["2", "0", 2]'
cp_get '/v1/jobs?namespace=ns1'
expect_eq "namespace filter" "$(ids)" '["4", 1]'
cp_get '/v1/jobs?state=running&user=bob'
expect_eq "state filter" "$(ids)" '["3", "1", 2]'
cp_get '/v1/jobs?state=finished'
expect_eq "state filter none" "$(ids)" '[0]'
cp_get '/v1/jobs?user=alice&max=1'
expect_eq "list item is the job object" "$(jget '[j["response"]["jobs"][0][k]
    for k in ("jobid", "user", "namespace", "range", "host_count",
    "end_time", "lock")]')" '["p0000000004", "alice", "ns1", ["h5"], 1, null, false]'
cp_get '/v1/jobs?state=bogus'
expect_eq "bad state code" "$code" 400
expect_eq "bad state" "$(jget 'j["errors"]')" "[\"invalid value for 'state'\"]"
cp_get '/v1/jobs?max=-1'
expect_eq "bad max code" "$code" 400
cp_get '/v1/jobs?format=xml'
expect_eq "bad format code" "$code" 400
expect_eq "bad format" "$(jget 'j["errors"]')" "[\"format 'xml' not known\"]"
cp_get '/v1/jobs?max=1&cb=my.cb_1'
expect_eq "jsonp" "$(head -c 9 "$T/body")" 'my.cb_1({'

# last/:user.
cp_get /v1/jobs/last/bob
expect_eq "last code" "$code" 200
expect_eq "last of bob" "$(jget 'j["response"]["job"]["jobid"]')" p0000000003
cp_get /v1/jobs/last/carol
expect_eq "last of nobody code" "$code" 404
expect_eq "last of nobody" "$(jget 'j["errors"]')" '["no jobs for user carol"]'

# whoami from the API's headers (SPEC 7.5).
cp_get /v1/whoami
expect_eq "whoami anonymous" "$(jget 'j["response"]')" \
    '{"admin": false, "auth": "none", "user": null}'
cp_get /v1/whoami -H 'X-Pogo-User: alice' -H 'X-Pogo-Auth: cert'
expect_eq "whoami alice" "$(jget 'j["response"]')" \
    '{"admin": false, "auth": "cert", "user": "alice"}'
cp_get /v1/whoami -H 'X-Pogo-User: root' -H 'X-Pogo-Admin: 1' \
    -H 'X-Pogo-Auth: token'
expect_eq "whoami admin" "$(jget 'j["response"]')" \
    '{"admin": true, "auth": "token", "user": "root"}'

# Namespaces: ns1 alone; others are unknown.
cp_get /v1/namespaces
expect_eq "namespaces code" "$code" 200
expect_eq "namespaces" "$(jget 'j["response"]')" '{"namespaces": ["ns1"]}'
for p in /v1/namespaces/ns2 /v1/namespaces/ns2/locks \
    /v1/namespaces/ns2/hosts/h1/tags /v1/namespaces/ns2/constraints; do
	cp_get "$p"
	expect_eq "$p code" "$code" 404
	expect_eq "$p error" "$(jget 'j["errors"]')" \
	    "[\"no such namespace 'ns2'\"]"
done

# No más: read and set; a forwarded user needs X-Pogo-Admin: 1.
cp_get /v1/admin/nomas
expect_eq "nomas read code" "$code" 200
expect_eq "nomas read" "$(jget 'j["response"]')" '{"accepting": true}'
cp_post /v1/admin/nomas -d enable=0 -H 'X-Pogo-User: alice'
expect_eq "nomas by a user code" "$code" 403
expect_eq "nomas by a user" "$(jget 'j["errors"]')" '["permission denied"]'
cp_get /v1/admin/nomas -H 'X-Pogo-User: alice'
expect_eq "nomas read by a user" "$code" 403
cp_get /v1/admin/nomas -H 'X-Pogo-User: alice' -H 'X-Pogo-Admin: yes'
expect_eq "nomas read with a bad admin header" "$code" 403
cp_get /v1/admin/nomas -H 'X-Pogo-User;'
expect_eq "nomas read with an empty user" "$code" 200
cp_get /v1/admin/nomas
expect_eq "nomas unchanged" "$(jget 'j["response"]')" '{"accepting": true}'
cp_post /v1/admin/nomas -d enable=0 -H 'X-Pogo-User: root' \
    -H 'X-Pogo-Admin: 1'
expect_eq "nomas by an admin" "$(jget '[j["response"], "'"$code"'"]')" \
    '[{"accepting": false}, "200"]'
cp_get /v1/admin/nomas -H 'X-Pogo-User: root' -H 'X-Pogo-Admin: 1'
expect_eq "nomas read after" "$(jget 'j["response"]')" '{"accepting": false}'
cp_post /v1/admin/nomas -d enable=1
cp_post /v1/admin/nomas -d enable=2
expect_eq "nomas bad enable" "$code" 400

# Error forms of SPEC 11.3: 400 below /v1, 404 outside it.
cp_get /v1/nothing/here
expect_eq "unknown v1 code" "$code" 400
expect_eq "unknown v1" "$(jget 'j["errors"]')" \
    "[\"unknown request: GET '/nothing/here'\"]"
code=$(curl -s -o "$T/body" -w '%{http_code}' --max-time 20 -X DELETE \
    "http://$CP/v1/jobs") || fail "curl DELETE failed"
expect_eq "unknown method code" "$code" 400
expect_eq "unknown method" "$(jget 'j["errors"]')" \
    "[\"unknown request: DELETE '/jobs'\"]"
cp_get /nowhere
expect_eq "outside v1 code" "$code" 404
expect_eq "outside v1" "$(jget 'j["errors"]')" \
    "[\"unknown request: '/nowhere'\"]"

# Python's http.client: several reads on one keep-alive connection.
python3 - "$CP" <<'EOP' || fail "http.client reads"
import http.client, json, sys
host, port = sys.argv[1].rsplit(":", 1)
c = http.client.HTTPConnection(host, int(port), timeout=20)
def get(path, headers={}):
    c.request("GET", path, headers=headers)
    r = c.getresponse()
    body = r.read()
    assert body.endswith(b"\n"), body
    assert r.getheader("Content-Type") == "application/json", r.getheaders()
    return r.status, json.loads(body)
s, j = get("/v1/jobs?user=bob&format=json-pretty")
assert s == 200 and j["meta"]["count"] == 2, j
assert [x["jobid"] for x in j["response"]["jobs"]] == \
    ["p0000000003", "p0000000001"], j
assert isinstance(j["response"]["jobs"][0]["host_count"], int), j
s, j = get("/v1/jobs/last/alice")
assert s == 200 and j["response"]["job"]["jobid"] == "p0000000004", j
s, j = get("/v1/whoami", {"X-Pogo-User": "bob"})
assert j["response"] == {"user": "bob", "auth": "none", "admin": False}, j
s, j = get("/v1/namespaces")
assert s == 200 and j["response"]["namespaces"] == ["ns1"], j
s, j = get("/v1/admin/nomas")
assert s == 200 and j["response"]["accepting"] is True, j
s, j = get("/v1/jobs/last/nobody")
assert s == 404 and j["errors"] == ["no jobs for user nobody"], j
c.close()
print("http.client ok")
EOP

stop_dispatcher TERM
expect_eq "dispatcher exit" "$drc" 0
echo "PASS $E2E_NAME"
