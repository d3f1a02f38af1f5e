# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The pogo authors
#
# A test proxy between workers and a dispatcher's worker port (SPEC 8.1:
# JSON lines), for the lost-worker tests (N-LOST-1/2/3).
#
#   python3 wire-proxy.py UPSTREAM_HOST:PORT DIR
#
# It listens on 127.0.0.1 (an ephemeral port, written to DIR/port once
# it listens), and for each connection accepted opens one to UPSTREAM and
# relays lines both ways.  DIR/log gets one line per event, flushed at
# once, for the tests to wait on:
#   accept N                  connection N (from 1) is relayed
#   w2d N LINE / d2w N LINE   a line relayed worker -> dispatcher / back
#   drop N LINE               a line dropped (below)
#   close N SIDE              one side of connection N ended by itself
#   cut N                     connection N cut on command
#   halfcut N                 connection N's worker side cut on command
#   done K                    command K (from 1) is carried out
# Commands are lines appended to DIR/cmd, read as they come:
#   cut             close both sides of every connection
#   halfcut         close the worker's side of every connection and leave
#                   the dispatcher's open and silent (a half-open
#                   connection as the dispatcher sees it)
#   drop REGEX      drop the next line from the dispatcher to a worker
#                   that matches REGEX (Python re.search), then cut that
#                   connection (both sides)
# "done K" is logged once a cut is carried out, or for drop once the line
# is dropped and its connection cut.  The proxy runs until killed.
import os
import re
import selectors
import socket
import sys

upstream, ctl = sys.argv[1], sys.argv[2]
uhost, uport = upstream.rsplit(":", 1)
sel = selectors.DefaultSelector()
logf = open(os.path.join(ctl, "log"), "a", buffering=1)
cmdpath = os.path.join(ctl, "cmd")
open(cmdpath, "a").close()
cmdf = open(cmdpath, "r")
cmdbuf = ""
ncmd = 0
drops = []  # [(command number, compiled regex)]


def log(*words):
    logf.write(" ".join(str(w) for w in words) + "\n")


class Side:
    def __init__(self, conn, sock, name):
        self.conn, self.sock, self.name = conn, sock, name
        self.buf = b""
        self.open = True
        sock.setblocking(False)
        sel.register(sock, selectors.EVENT_READ, self)

    def close(self):
        if self.open:
            self.open = False
            sel.unregister(self.sock)
            self.sock.close()

    def send(self, data):
        if self.open:
            # Test traffic is small: a blocking send is fine.
            self.sock.setblocking(True)
            try:
                self.sock.sendall(data)
            except OSError:
                pass
            self.sock.setblocking(False)


class Conn:
    n = 0

    def __init__(self, wsock):
        Conn.n += 1
        self.n = Conn.n
        self.dead = False  # cut: nothing more is relayed
        d = socket.create_connection((uhost, int(uport)))
        self.w = Side(self, wsock, "worker")
        self.d = Side(self, d, "dispatcher")
        log("accept", self.n)

    def cut(self):
        self.dead = True
        self.w.close()
        self.d.close()
        log("cut", self.n)

    def halfcut(self):
        self.dead = True
        self.w.close()
        log("halfcut", self.n)

    def readable(self, side):
        try:
            data = side.sock.recv(65536)
        except OSError:
            data = b""
        if self.dead:
            # Half-open: the dispatcher's side is read and ignored.
            if not data and side.open:
                log("close", self.n, side.name)
                side.close()
            return
        if not data:
            log("close", self.n, side.name)
            self.cut()
            return
        side.buf += data
        other = self.d if side is self.w else self.w
        tag = "w2d" if side is self.w else "d2w"
        while b"\n" in side.buf and not self.dead:
            line, side.buf = side.buf.split(b"\n", 1)
            text = line.decode("utf-8", "replace")
            if tag == "d2w":
                for i, (k, rx) in enumerate(drops):
                    if rx.search(text):
                        del drops[i]
                        log("drop", self.n, text)
                        self.cut()
                        log("done", k)
                        break
                if self.dead:
                    break
            log(tag, self.n, text)
            other.send(line + b"\n")


conns = []


def command(line):
    global ncmd
    ncmd += 1
    verb, _, arg = line.partition(" ")
    if verb == "cut" or verb == "halfcut":
        for c in conns:
            if not c.dead:
                c.cut() if verb == "cut" else c.halfcut()
        log("done", ncmd)
    elif verb == "drop":
        drops.append((ncmd, re.compile(arg)))
    else:
        log("unknown command", line)
        log("done", ncmd)


lsock = socket.socket()
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind(("127.0.0.1", 0))
lsock.listen(16)
lsock.setblocking(False)
sel.register(lsock, selectors.EVENT_READ, None)
with open(os.path.join(ctl, "port.tmp"), "w") as f:
    f.write("%d\n" % lsock.getsockname()[1])
os.rename(os.path.join(ctl, "port.tmp"), os.path.join(ctl, "port"))

while True:
    for key, _ in sel.select(timeout=0.02):
        if key.data is None:
            try:
                s, _ = lsock.accept()
            except OSError:
                continue
            try:
                conns.append(Conn(s))
            except OSError as e:
                log("upstream", e)
                s.close()
        else:
            key.data.conn.readable(key.data)
    conns = [c for c in conns if c.w.open or c.d.open]
    cmdbuf += cmdf.read()
    while "\n" in cmdbuf:
        line, cmdbuf = cmdbuf.split("\n", 1)
        if line.strip():
            command(line.strip())
