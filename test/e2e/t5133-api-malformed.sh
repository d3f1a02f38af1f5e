#!/bin/sh
# Malformed and hostile clients of pogo api (SPEC 11.1; http.c's limits):
# a header over 64 KiB gets 431, a body shorter than its Content-Length
# and a client sending a byte a second hold only their own connection,
# 1,000 idle connections do not stop others from being served.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$(dirname "$0")/dispatcher.sh"
. "$(dirname "$0")/api.sh"
[ "$(ulimit -n)" -ge 1100 ] 2>/dev/null || ulimit -n 2048 2>/dev/null ||
    skip "cannot open 1,100 descriptors"

start_dispatcher
start_api
python3 - "$API" <<'EOP' || fail "malformed requests"
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
port = int(port)

def ping():
    t0 = time.monotonic()
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(b"GET /v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    d = b""
    while True:
        x = s.recv(65536)
        if not x:
            break
        d += x
    s.close()
    assert d.startswith(b"HTTP/1.1 200") and b"pong" in d, d
    assert time.monotonic() - t0 < 5, "ping took %.1f s" % (time.monotonic() - t0)

# A header over 64 KiB: 431, the connection closed.
s = socket.create_connection((host, port), timeout=10)
s.sendall(b"GET /v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n")
d = s.recv(65536)
assert d.startswith(b"HTTP/1.1 431"), d[:80]
s.close()
ping()

# A body shorter than its Content-Length, the client waiting: others go on.
short = socket.create_connection((host, port), timeout=10)
short.sendall(b"POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n"
              b"Content-Type: application/x-www-form-urlencoded\r\n\r\nrange=h1")
# A slowloris client: a byte at a time.
slow = socket.create_connection((host, port), timeout=10)
req = b"GET /v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
for i in range(5):
    slow.send(req[i:i + 1])
    ping()
    time.sleep(0.2)
# 1,000 idle connections.
idle = []
for i in range(1000):
    idle.append(socket.create_connection((host, port), timeout=10))
ping()
for i in range(3):
    ping()
for c in idle:
    c.close()
ping()
# The short body's client gives up: only its own connection ends.
short.close()
slow.close()
ping()
EOP
api_get /v1/ping
expect_eq "after all of it" "$code" 200
stop_api
echo "PASS $E2E_NAME"
