#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The pogo authors
#
# A fake HTTP server for the e2e tests (lib.sh's start_fake_http): it
# serves the request handler class H that the Python file HANDLER defines
# (a subclass of http.server.BaseHTTPRequestHandler), one thread per
# connection, on 127.0.0.1 at a port the kernel picks, and writes that
# port to T/fake.port once it listens, through a renamed file so that a
# reader never sees half of it.  HANDLER runs with sys.argv [HANDLER, T].
#   python3 fake-http.py HANDLER T
# It runs until it is killed.
import http.server
import os
import sys

handler, T = sys.argv[1:3]
sys.argv = [handler, T]
scope = {"__name__": "fake_handler", "__file__": handler}
with open(handler) as f:
    exec(compile(f.read(), handler, "exec"), scope)

s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), scope["H"])
s.daemon_threads = True
with open(T + "/fake.port.tmp", "w") as f:
    f.write(str(s.server_address[1]))
os.rename(T + "/fake.port.tmp", T + "/fake.port")
s.serve_forever()
