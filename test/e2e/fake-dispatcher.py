#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The pogo authors
#
# A fake dispatcher for the e2e tests of `pogo worker` (SPEC 8): it
# listens on 127.0.0.1:PORT, speaks the protocol by hand and checks what
# the real worker says.  One scenario per run:
#   python3 fake-dispatcher.py SCENARIO PORT WORKER_LOG PID_FILE READY_FILE
# It creates READY_FILE once it listens, prints what it checks, and exits
# 0 when the scenario held, 1 (with the reason) when it did not.  Every
# wait is bounded.
import json
import os
import re
import signal
import socket
import sys
import time

WAIT = 20  # seconds for anything the worker should do promptly


class Fail(Exception):
    pass


class Peer:
    def __init__(self, sock):
        self.s = sock
        self.buf = b""

    def send(self, obj):
        self.raw((json.dumps(obj) + "\n").encode())

    def raw(self, data):
        self.s.settimeout(WAIT)
        self.s.sendall(data)

    def _fill(self, deadline):
        left = deadline - time.time()
        if left <= 0:
            raise Fail("timed out waiting for the worker")
        self.s.settimeout(left)
        try:
            data = self.s.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            data = b""
        if not data:
            raise EOFError
        self.buf += data

    def recv(self, timeout=WAIT):
        """The next message, answering pings on the way."""
        deadline = time.time() + timeout
        while True:
            while b"\n" not in self.buf:
                self._fill(deadline)
            line, _, self.buf = self.buf.partition(b"\n")
            m = json.loads(line)
            if m.get("channel", 0) == 0 and m.get("msg") == "ping":
                self.send({"channel": 0, "msg": "pong"})
                continue
            print("worker:", line.decode()[:200])
            return m

    def expect_eof(self, timeout=WAIT):
        deadline = time.time() + timeout
        try:
            while True:
                self._fill(deadline)
        except EOFError:
            return
        except OSError:
            return

    def close(self):
        self.s.close()


def check(what, got, want):
    if got != want:
        raise Fail("%s: got %r, expected %r" % (what, got, want))
    print("ok:", what)


def accept(lsock):
    lsock.settimeout(WAIT)
    s, _ = lsock.accept()
    return Peer(s)


def greet(p, name="wtest"):
    """Greeting, then the worker's hello; returns the hello."""
    p.send({"channel": 0, "msg": "Hello, worker.", "protocol": "2.0"})
    h = p.recv()
    check("hello msg", h.get("msg"), "hello")
    check("hello channel", h.get("channel"), 0)
    check("hello protocol", h.get("protocol"), "2.0")
    check("hello worker", h.get("worker"), name)
    check("hello max_tasks", h.get("max_tasks"), 3)
    check("hello key_id", h.get("key_id", "absent"), None)
    if not re.fullmatch(r"[0-9a-f]{32}", h.get("instance", "")):
        raise Fail("hello instance %r is not 32 hex" % h.get("instance"))
    return h


def run(task_id, name="blech"):
    return {"channel": 2, "command": "run", "task_id": task_id,
            "host": "wonkhost",
            "task_data": {"task_name": name, "task_data": {
                "command": "command-by-dispatcher", "job_id": "j1",
                "user": "u"}}}


def expect_reply(p, task_id, ok, msg):
    r = p.recv()
    check("reply to %s: channel" % task_id, r.get("channel"), 2)
    check("reply to %s: type" % task_id, r.get("type"), "reply")
    check("reply to %s: task_id" % task_id, r.get("task_id"), task_id)
    check("reply to %s: ok" % task_id, r.get("ok"), ok)
    check("reply to %s: msg" % task_id, r.get("msg"), msg)
    return r


def expect_blech_done(p, task_id):
    d = p.recv()
    check("done: channel", d.get("channel"), 1)
    check("done: command", d.get("command"), "task_done")
    check("done: task_id", d.get("task_id"), task_id)
    check("done: rc", d.get("rc"), 255)
    check("done: state", d.get("state"), "failed")
    check("done: message", d.get("message"), "invalid task name blech")
    return d


def ack(p):
    p.send({"channel": 1, "type": "reply", "ok": 0, "msg": "OK"})


def wait_log(path, text):
    deadline = time.time() + WAIT
    while time.time() < deadline:
        try:
            with open(path, errors="replace") as f:
                if text in f.read():
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise Fail("the worker log never said %r" % text)


def worker_pid(pid_file):
    deadline = time.time() + WAIT
    while time.time() < deadline:
        try:
            with open(pid_file) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            time.sleep(0.05)
    raise Fail("no pid file %s" % pid_file)


def scenario_protocol(lsock, a):
    """N-HELLO, N-002's unknown task name, N-DEDUP, taskstatus, status,
    an unknown command, ping, N-MALFORMED, then reconnection."""
    p = accept(lsock)
    h = greet(p)
    p.send(run("123"))
    expect_reply(p, "123", 0, "OK")
    expect_blech_done(p, "123")
    ack(p)
    # N-DEDUP: the same run again is acknowledged and not run again: the
    # next message is the reply to taskstatus, not another task_done.
    p.send(run("123"))
    expect_reply(p, "123", 0, "OK")
    p.send({"channel": 2, "command": "taskstatus", "task_id": "123"})
    expect_reply(p, "123", 0, "done")
    p.send({"channel": 2, "command": "taskstatus", "task_id": "nope"})
    expect_reply(p, "nope", 0, "unknown")
    p.send({"channel": 2, "command": "status"})
    r = p.recv()
    check("status reply", (r.get("type"), r.get("ok"), r.get("msg"),
                           r.get("tasks")), ("reply", 0, "ok", 0))
    p.send({"channel": 2, "command": "frob", "task_id": "f1"})
    expect_reply(p, "f1", 1, "unknown command frob")
    p.send({"channel": 7, "command": "whatever"})
    # N-MALFORMED: a line that is not JSON is ignored, the link stays.
    p.raw(b"this is not JSON\n[1, 2]\n")
    p.send({"channel": 0, "msg": "ping"})
    r = p.recv()
    check("pong after garbage", (r.get("channel"), r.get("msg")),
          (0, "pong"))
    # A line over 4 MiB closes the connection...
    try:
        p.raw(b"x" * (4 * 1024 * 1024 + 100))
    except OSError:
        pass
    p.expect_eof()
    print("ok: connection closed after a line over 4 MiB")
    p.close()
    # ... and the worker comes back, the same instance.
    p = accept(lsock)
    h2 = greet(p)
    check("instance after reconnect", h2["instance"], h["instance"])
    p.close()


def scenario_reconnect_report(lsock, a):
    """A report not acknowledged is sent again on the next connection."""
    p = accept(lsock)
    h = greet(p)
    p.send(run("t1"))
    expect_reply(p, "t1", 0, "OK")
    expect_blech_done(p, "t1")
    p.close()  # no acknowledgement
    p = accept(lsock)
    h2 = greet(p)
    check("instance after reconnect", h2["instance"], h["instance"])
    expect_blech_done(p, "t1")
    ack(p)
    p.send({"channel": 2, "command": "taskstatus", "task_id": "t1"})
    expect_reply(p, "t1", 0, "done")
    p.close()


def scenario_sigkill(lsock, a):
    """The worker killed with SIGKILL and started again: a new instance."""
    p = accept(lsock)
    h = greet(p)
    os.kill(worker_pid(a["pid_file"]), signal.SIGKILL)
    p.expect_eof()
    print("ok: connection ended with the killed worker")
    p.close()
    with open(a["ready"] + ".killed", "w"):
        pass
    p = accept(lsock)
    h2 = greet(p)
    if h2["instance"] == h["instance"]:
        raise Fail("a restarted worker kept its instance")
    print("ok: new instance after restart")
    p.close()


def scenario_sigterm(lsock, a):
    """SIGTERM: new runs are answered busy; the worker delivers its
    report, then closes and exits."""
    p = accept(lsock)
    greet(p)
    p.send(run("t1"))
    expect_reply(p, "t1", 0, "OK")
    expect_blech_done(p, "t1")
    pid = worker_pid(a["pid_file"])
    os.kill(pid, signal.SIGTERM)
    wait_log(a["log"], "stopping: delivering 1 reports")
    p.send(run("t2"))
    expect_reply(p, "t2", 1, "busy")
    p.send({"channel": 2, "command": "status"})
    r = p.recv()
    check("status while stopping", r.get("msg"), "busy")
    os.kill(pid, 0)  # still there, waiting for the acknowledgement
    print("ok: the worker waits for its report to be acknowledged")
    ack(p)
    p.expect_eof()
    print("ok: connection closed after the report was delivered")
    p.close()


def scenario_sigterm_idle(lsock, a):
    """SIGTERM with nothing to deliver: the worker leaves at once."""
    p = accept(lsock)
    greet(p)
    os.kill(worker_pid(a["pid_file"]), signal.SIGTERM)
    p.expect_eof()
    print("ok: connection closed at SIGTERM")
    p.close()


SCENARIOS = {
    "protocol": scenario_protocol,
    "reconnect-report": scenario_reconnect_report,
    "sigkill": scenario_sigkill,
    "sigterm": scenario_sigterm,
    "sigterm-idle": scenario_sigterm_idle,
}


def main():
    if len(sys.argv) != 6 or sys.argv[1] not in SCENARIOS:
        print("usage: fake-dispatcher.py SCENARIO PORT LOG PID_FILE READY",
              file=sys.stderr)
        return 2
    a = {"port": int(sys.argv[2]), "log": sys.argv[3],
         "pid_file": sys.argv[4], "ready": sys.argv[5]}
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", a["port"]))
    lsock.listen(8)
    with open(a["ready"], "w"):
        pass
    try:
        SCENARIOS[sys.argv[1]](lsock, a)
    except (Fail, EOFError, OSError, ValueError, KeyError) as e:
        print("FAIL:", type(e).__name__, e)
        return 1
    print("PASS", sys.argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
