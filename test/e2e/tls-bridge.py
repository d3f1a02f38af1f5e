# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The pogo authors
#
# A plain-to-TLS bridge for tests: it listens on 127.0.0.1 (an ephemeral
# port, printed on stdout) and connects each client to argv[1] (host:port)
# over TLS with the certificate argv[3] and key argv[4], checking the
# server's chain against argv[2] (no host name check).  It lets a test's
# `pogo api` (plain HTTP to its upstream for now) reach a TLS control
# port.  Test use only.
import socket
import socketserver
import ssl
import sys
import threading

HOST, PORT = sys.argv[1].rsplit(":", 1)
CTX = ssl.create_default_context(cafile=sys.argv[2])
CTX.check_hostname = False
CTX.load_cert_chain(sys.argv[3], sys.argv[4])


def pump(src, dst):
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            dst.sendall(b)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        up = CTX.wrap_socket(socket.create_connection((HOST, int(PORT)),
                                                      timeout=120))
        t = threading.Thread(target=pump, args=(up, self.request),
                             daemon=True)
        t.start()
        pump(self.request, up)
        t.join(120)
        up.close()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True


srv = Server(("127.0.0.1", 0), Handler)
print(srv.server_address[1], flush=True)
srv.serve_forever()
