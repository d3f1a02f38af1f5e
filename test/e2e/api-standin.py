# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The pogo authors
#
# A stand-in for `pogo api` (SPEC 11.5) until it exists: it listens on
# 127.0.0.1 (an ephemeral port, printed on stdout), forwards every request
# to the dispatcher's control port given as argv[1], and turns POST
# /v1/jobs into the control port's POST /v1/jobsubmit with the answer in
# the envelope of 11.5.  Test use only.
import http.client
import http.server
import json
import sys

CP = sys.argv[1]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def forward(self, method):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        path = self.path
        submit = method == "POST" and path.split("?")[0] == "/v1/jobs"
        if submit:
            path = "/v1/jobsubmit"
        c = http.client.HTTPConnection(CP, timeout=90)
        hdrs = {}
        if body is not None:
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        c.request(method, path, body=body, headers=hdrs)
        r = c.getresponse()
        status, data = r.status, r.read()
        if submit:
            j = json.loads(data)
            resp = {"message": j.get("message")}
            if j.get("jobid"):
                resp["jobid"] = j["jobid"]
            data = (json.dumps({"meta": {"rc": j.get("rc"), "status": 200},
                                "response": resp}) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.forward("GET")

    def do_POST(self):
        self.forward("POST")


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(srv.server_address[1], flush=True)
srv.serve_forever()
