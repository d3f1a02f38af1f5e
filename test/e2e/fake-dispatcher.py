#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The pogo authors
#
# A fake dispatcher for the e2e tests of `pogo worker` (SPEC 8): it
# listens on 127.0.0.1:PORT, speaks the protocol by hand and checks what
# the real worker says.  One scenario per run:
#   python3 fake-dispatcher.py SCENARIO PORT WORKER_LOG PID_FILE READY_FILE
# With FAKE_TLS_CERT, FAKE_TLS_KEY and FAKE_TLS_CA in the environment it
# speaks TLS (SPEC 10.1), requiring a client certificate from that CA.
# The secrets scenarios take their boxes (SPEC 10.3, base64) from the
# environment: BOX_PW, BOX_PW_OTHER, BOX_KEY, BOX_PHRASE, and the
# worker's key_id from KEY_ID.
# It creates READY_FILE once it listens, prints what it checks, and exits
# 0 when the scenario held, 1 (with the reason) when it did not.  Every
# wait is bounded.
import base64
import json
import os
import re
import signal
import socket
import ssl
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


def greet(p, name="wtest", key_id=None):
    """Greeting, then the worker's hello; returns the hello."""
    p.send({"channel": 0, "msg": "Hello, worker.", "protocol": "2.0"})
    h = p.recv()
    check("hello msg", h.get("msg"), "hello")
    check("hello channel", h.get("channel"), 0)
    check("hello protocol", h.get("protocol"), "2.0")
    check("hello worker", h.get("worker"), name)
    check("hello max_tasks", h.get("max_tasks"), 3)
    check("hello key_id", h.get("key_id", "absent"), key_id)
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


# ------------------------------------------------------------------
# Task execution (SPEC 8.3, 9): the worker runs `local` and `ssh` tasks.

def task(task_id, name, command, host="wonkhost", **extra):
    data = {"command": command, "job_id": "j1", "user": "u"}
    data.update(extra)
    return {"channel": 2, "command": "run", "task_id": task_id,
            "host": host,
            "task_data": {"task_name": name, "task_data": data}}


class Tasks:
    """What the worker reported, per task id; reports are acknowledged
    as they come (stop-and-wait: task_done waits for task_started's)."""

    def __init__(self, p):
        self.p = p
        self.started = {}
        self.outputs = {}  # task id -> list of task_output messages
        self.done = {}
        self.replies = []  # channel-2 replies, in order

    def pump(self, timeout=WAIT):
        m = self.p.recv(timeout)
        ch = m.get("channel", 0)
        cmd = m.get("command")
        if ch == 1 and cmd == "task_started":
            if m["task_id"] in self.started:
                raise Fail("task_started twice for %s" % m["task_id"])
            self.started[m["task_id"]] = m
            ack(self.p)
        elif ch == 1 and cmd == "task_output":
            self.outputs.setdefault(m["task_id"], []).append(
                (time.time(), m))
        elif ch == 1 and cmd == "task_done":
            if m["task_id"] in self.done:
                raise Fail("task_done twice for %s" % m["task_id"])
            self.done[m["task_id"]] = m
            ack(self.p)
        elif ch == 2 and m.get("type") == "reply":
            self.replies.append(m)
        else:
            raise Fail("unexpected message %r" % m)
        return m

    def until(self, what, cond, timeout=WAIT):
        deadline = time.time() + timeout
        while not cond():
            left = deadline - time.time()
            if left <= 0:
                raise Fail("timed out waiting for %s" % what)
            self.pump(left)
        print("ok:", what)

    def reply(self, task_id):
        """Send nothing; wait for the next reply about task_id."""
        n = len([r for r in self.replies if r.get("task_id") == task_id])
        self.until("a reply about %s" % task_id,
                   lambda: len([r for r in self.replies
                                if r.get("task_id") == task_id]) > n)
        return [r for r in self.replies if r.get("task_id") == task_id][-1]

    def request(self, msg):
        tid = msg.get("task_id")
        n = len([r for r in self.replies if r.get("task_id") == tid])
        self.p.send(msg)
        self.until("the reply to %s %s" % (msg.get("command"), tid),
                   lambda: len([r for r in self.replies
                                if r.get("task_id") == tid]) > n)
        return [r for r in self.replies if r.get("task_id") == tid][-1]

    def records(self, task_id):
        """Every record of task_id, checked to be numbered 0, 1, ..."""
        recs = []
        for _, m in self.outputs.get(task_id, []):
            if m.get("first") != len(recs):
                raise Fail("task %s: a message starts at record %r, "
                           "expected %d" % (task_id, m.get("first"),
                                            len(recs)))
            size = 0
            for r in m["records"]:
                size += len(r["data"].encode())
            if size > 64 * 1024 and len(m["records"]) > 1:
                raise Fail("task %s: %d bytes in one message"
                           % (task_id, size))
            recs.extend(m["records"])
        return recs

    def wait_done(self, task_id, timeout=WAIT):
        self.until("task_done of %s" % task_id,
                   lambda: task_id in self.done, timeout)
        d = self.done[task_id]
        f = d.get("finished_at")
        s = d.get("started_at")
        if not isinstance(f, float) or f < time.time() - 600:
            raise Fail("task %s: finished_at %r" % (task_id, f))
        if s is not None and not (isinstance(s, float) and s <= f):
            raise Fail("task %s: started_at %r after finished_at %r"
                       % (task_id, s, f))
        if s is not None and task_id in self.started:
            check("%s: started_at of task_done and task_started" % task_id,
                  s, self.started[task_id]["started_at"])
        check("%s: records of task_done" % task_id, d.get("records"),
              len(self.records(task_id)))
        return d


def run_ok(tk, msg):
    r = tk.request(msg)
    check("run %s accepted" % msg["task_id"], (r.get("ok"), r.get("msg")),
          (0, "OK"))


def scenario_local(lsock, a):
    """Local tasks: output, rc, a signal, many lines and a NUL byte,
    taskstatus, taskkill, busy at capacity (max_tasks 3)."""
    p = accept(lsock)
    greet(p)
    tk = Tasks(p)
    run_ok(tk, task("e1", "local",
                    'echo "hello $POGO_HOST $POGO_JOB_ID"; echo oops >&2'))
    d = tk.wait_done("e1")
    check("e1 done", (d["rc"], d["signal"], d["state"], d["timed_out"],
                      d["message"]), (0, None, "finished", False, "ok"))
    if "e1" not in tk.started:
        raise Fail("no task_started for e1")
    recs = tk.records("e1")
    got = sorted((r["type"], r["data"]) for r in recs)
    check("e1 records", got, [("STDERR", "oops"),
                              ("STDOUT", "hello wonkhost j1")])
    for r in recs:
        if not (d["started_at"] <= r["ts"] <= d["finished_at"] + 1):
            raise Fail("e1 record time %r outside the run" % r["ts"])

    run_ok(tk, task("f1", "local", "echo before; exit 3"))
    d = tk.wait_done("f1")
    check("f1 done", (d["rc"], d["signal"], d["state"], d["message"]),
          (3, None, "failed", "exited with status 3"))

    run_ok(tk, task("s1", "local", "kill -USR1 $$"))
    d = tk.wait_done("s1")
    check("s1 done", (d["rc"], d["signal"], d["state"]),
          (128 + 10, "USR1", "failed"))

    n = 20000
    run_ok(tk, task("m1", "local",
                    "seq 1 %d | sed 's/^/line /'; printf 'a\\000b\\n'" % n))
    d = tk.wait_done("m1", 60)
    check("m1 rc", d["rc"], 0)
    recs = tk.records("m1")
    check("m1 record count", len(recs), n + 1)
    check("m1 first line", recs[0]["data"], "line 1")
    check("m1 line %d" % n, recs[n - 1]["data"], "line %d" % n)
    check("m1 NUL byte kept", recs[n]["data"], "a\x00b")
    msgs = tk.outputs["m1"]
    if len(msgs) < 3:
        raise Fail("m1: %d task_output messages for %d bytes: not "
                   "batched by 64 KiB" % (len(msgs), n * 10))
    # At most 10 messages a second: 100 ms apart, give or take the
    # network (a loaded machine delays, never hurries them).
    times = [t for t, _ in msgs]
    span = times[-1] - times[0]
    if span < (len(msgs) - 1) * 0.1 * 0.5:
        raise Fail("m1: %d messages in %.3f s" % (len(msgs), span))
    print("ok: m1 %d messages over %.2f s" % (len(msgs), span))

    # The host timeout, from the task's data (SPEC 9.10).
    run_ok(tk, task("o1", "local", "echo early; exec sleep 300", timeout=1))
    d = tk.wait_done("o1")
    check("o1 done", (d["state"], d["timed_out"], d["message"]),
          ("failed", True, "timed out after 1 seconds"))
    check("o1 output", [r["data"] for r in tk.records("o1")], ["early"])

    # An attached script, in base64 (SPEC 5.1, 9.7), through the stub.
    script = base64.b64encode(b"#!/bin/sh\necho from-script $POGO_HOST\n")
    run_ok(tk, task("a1", "local", "", exe_name="hello.sh",
                    exe_data=script.decode()))
    d = tk.wait_done("a1")
    check("a1 rc", (d["rc"], d["state"]), (0, "finished"))
    data = [r["data"] for r in tk.records("a1")]
    if "from-script wonkhost" not in data:
        raise Fail("a1: the script's line is not in %r" % data)
    print("ok: a1 ran the attached script")
    run_ok(tk, task("a2", "local", "", exe_name="bad.sh",
                    exe_data="not base64!"))
    d = tk.wait_done("a2")
    check("a2 done", (d["rc"], d["state"], d["message"]),
          (255, "failed", "invalid exe_data"))

    # taskkill and taskstatus of a long task.
    run_ok(tk, task("k1", "local", "sleep 300"))
    tk.until("k1 started", lambda: "k1" in tk.started)
    r = tk.request({"channel": 2, "command": "taskstatus", "task_id": "k1"})
    check("taskstatus of a running task", r.get("msg"), "running")
    r = tk.request({"channel": 2, "command": "taskkill", "task_id": "k1"})
    check("taskkill reply", (r.get("ok"), r.get("msg")), (0, "ack"))
    d = tk.wait_done("k1")
    check("k1 done", (d["state"], d["message"], d["timed_out"]),
          ("failed", "killed", False))
    r = tk.request({"channel": 2, "command": "taskstatus", "task_id": "k1"})
    check("taskstatus of a done task", r.get("msg"), "done")
    r = tk.request({"channel": 2, "command": "taskkill", "task_id": "zz"})
    check("taskkill of an unknown task", r.get("msg"), "unknown")

    # Capacity: three long tasks fill the worker; a fourth is busy.
    for i in (1, 2, 3):
        run_ok(tk, task("b%d" % i, "local", "sleep 300"))
    tk.until("b1-b3 started",
             lambda: all("b%d" % i in tk.started for i in (1, 2, 3)))
    r = tk.request(task("b4", "local", "echo never"))
    check("run beyond max_tasks", (r.get("ok"), r.get("msg")), (1, "busy"))
    p.send({"channel": 2, "command": "status"})
    tk.until("the status reply",
             lambda: any(r.get("task_id") is None for r in tk.replies))
    r = [r for r in tk.replies if r.get("task_id") is None][-1]
    check("status at capacity", (r.get("msg"), r.get("tasks")), ("busy", 3))
    r = tk.request({"channel": 2, "command": "taskkill", "task_id": "b2"})
    check("taskkill b2", r.get("msg"), "ack")
    tk.wait_done("b2")
    # Room again: the task refused before runs now.
    run_ok(tk, task("b4", "local", "echo now"))
    d = tk.wait_done("b4")
    check("b4 after room", d["rc"], 0)
    check("b4 output", [r["data"] for r in tk.records("b4")], ["now"])
    for i in (1, 3):
        tk.request({"channel": 2, "command": "taskkill",
                    "task_id": "b%d" % i})
        tk.wait_done("b%d" % i)
    p.close()


def scenario_sigterm_running(lsock, a):
    """SIGTERM with a task running: busy to new runs, the task goes on
    to its end, its reports are delivered, then the worker exits."""
    go = os.path.join(os.environ["T"], "go")
    p = accept(lsock)
    greet(p)
    tk = Tasks(p)
    run_ok(tk, task("r1", "local",
                    "i=0; while [ ! -f %s ] && [ $i -lt 600 ]; do "
                    "sleep 0.1; i=$((i+1)); done; echo finished" % go))
    tk.until("r1 started", lambda: "r1" in tk.started)
    pid = worker_pid(a["pid_file"])
    os.kill(pid, signal.SIGTERM)
    wait_log(a["log"], "SIGTERM: stopping")
    r = tk.request(task("r2", "local", "echo never"))
    check("run while stopping", (r.get("ok"), r.get("msg")), (1, "busy"))
    os.kill(pid, 0)
    print("ok: the worker waits for its running task")
    with open(go, "w"):
        pass
    d = tk.wait_done("r1")
    check("r1 done", (d["rc"], d["state"]), (0, "finished"))
    check("r1 output", [r["data"] for r in tk.records("r1")], ["finished"])
    p.expect_eof()
    print("ok: connection closed after the report was delivered")
    p.close()


def scenario_sigkill_running(lsock, a):
    """SIGKILL of the worker with a task running: the link drops."""
    p = accept(lsock)
    greet(p)
    tk = Tasks(p)
    pf = os.path.join(os.environ["T"], "task.pid")
    run_ok(tk, task("x1", "local", "echo $$ >%s; exec sleep 300" % pf))
    tk.until("x1 started", lambda: "x1" in tk.started)
    os.kill(worker_pid(a["pid_file"]), signal.SIGKILL)
    try:
        while True:
            tk.pump()
    except EOFError:
        pass
    print("ok: connection dropped with the killed worker")
    if "x1" in tk.done:
        raise Fail("x1 reported done by a killed worker")
    p.close()


def scenario_ssh(lsock, a):
    """ssh tasks against a real sshd: the worker's own SSH setup."""
    p = accept(lsock)
    greet(p)
    tk = Tasks(p)
    run_ok(tk, task("h1", "ssh", 'echo "on $POGO_HOST as $(id -un)"',
                    host="127.0.0.1"))
    run_ok(tk, task("h2", "ssh", "echo bad >&2; exit 4", host="127.0.0.2"))
    run_ok(tk, task("h3", "ssh", "kill -TERM $$", host="127.0.0.3"))
    d = tk.wait_done("h1", 60)
    check("h1 done", (d["rc"], d["state"], d["message"]),
          (0, "finished", "ok"))
    check("h1 output", [(r["type"], r["data"]) for r in tk.records("h1")],
          [("STDOUT", "on 127.0.0.1 as %s" % os.environ["TEST_USER"])])
    d = tk.wait_done("h2", 60)
    check("h2 done", (d["rc"], d["state"]), (4, "failed"))
    check("h2 output", [(r["type"], r["data"]) for r in tk.records("h2")],
          [("STDERR", "bad")])
    d = tk.wait_done("h3", 60)
    check("h3 done", (d["rc"], d["signal"], d["state"]),
          (143, "TERM", "failed"))
    # A long one killed over SSH.
    run_ok(tk, task("h4", "ssh", "sleep 300", host="127.0.0.4"))
    tk.until("h4 started", lambda: "h4" in tk.started, 60)
    r = tk.request({"channel": 2, "command": "taskkill", "task_id": "h4"})
    check("taskkill h4", r.get("msg"), "ack")
    d = tk.wait_done("h4", 60)
    check("h4 done", (d["state"], d["message"]), ("failed", "killed"))
    p.close()



def scenario_ssh_nokeys(lsock, a):
    """Without use_local_identity the worker offers none of its keys
    (SPEC 9.4), not even those its ssh_config names."""
    p = accept(lsock)
    greet(p)
    tk = Tasks(p)
    run_ok(tk, task("n1", "ssh", "echo never", host="127.0.0.1"))
    d = tk.wait_done("n1", 60)
    check("n1 done", (d["rc"], d["state"], d["message"]),
          (None, "failed", "authentication failed"))
    check("n1 output", tk.records("n1"), [])
    p.close()


def flip(box):
    """The box with one byte of its ciphertext flipped."""
    b = bytearray(base64.b64decode(box))
    b[-20] ^= 0x01
    return base64.b64encode(bytes(b)).decode()


def scenario_secrets(lsock, a):
    """Job secrets through a TLS worker (SPEC 8.3, 9.4, 9.6, 10.3):
    W-029 with a password box, the password redacted and answering
    sudo, X-WRONG (a box for another key, a flipped byte), X-037 (an
    encrypted private key and its passphrase, in memory)."""
    e = os.environ
    p = accept(lsock)
    greet(p, key_id=e["KEY_ID"])
    tk = Tasks(p)
    # W-029: the password logs in (the worker offers no key of its own).
    run_ok(tk, task("p1", "ssh", "echo foo; echo bar", host="127.0.0.1",
                    password=e["BOX_PW"]))
    # X-WRONG: another worker's box; one flipped byte.
    run_ok(tk, task("p2", "ssh", "echo never", host="127.0.0.2",
                    password=e["BOX_PW_OTHER"]))
    run_ok(tk, task("p3", "ssh", "echo never", host="127.0.0.3",
                    password=flip(e["BOX_PW"])))
    d = tk.wait_done("p1", 60)
    check("p1 done", (d["rc"], d["state"], d["message"]),
          (0, "finished", "ok"))
    # A password means a PTY: one stream (SPEC 9.5).
    check("p1 output", [(r["type"], r["data"]) for r in tk.records("p1")],
          [("STDOUT", "foo"), ("STDOUT", "bar")])
    for tid in ("p2", "p3"):
        d = tk.wait_done(tid, 60)
        check("%s done" % tid, (d["rc"], d["state"], d["message"],
                                d["started_at"]),
              (None, "failed", "cannot decrypt job secrets", None))
        check("%s not started" % tid, tid in tk.started, False)
        check("%s output" % tid, tk.records(tid), [])
    # The password echoed by the target is redacted (W-REDACT).
    # (The command holds it in two halves: nothing but the box has it.)
    pw = e["TEST_PASSWORD"]
    run_ok(tk, task("p4", "ssh", "printf '<%%s%%s>\\n' '%s' '%s'"
                    % (pw[:4], pw[4:]), host="127.0.0.4",
                    password=e["BOX_PW"]))
    d = tk.wait_done("p4", 60)
    check("p4 done", (d["state"], d["message"]), ("finished", "ok"))
    check("p4 output", [r["data"] for r in tk.records("p4")],
          ["<********>"])
    # the job's encrypted key and its passphrase; no password.
    run_ok(tk, task("k1", "ssh", "echo key-ok", host="127.0.0.5",
                    client_private_key=e["BOX_KEY"],
                    pvt_key_passphrase=e["BOX_PHRASE"]))
    d = tk.wait_done("k1", 60)
    check("k1 done", (d["rc"], d["state"], d["message"]),
          (0, "finished", "ok"))
    check("k1 output", [(r["type"], r["data"]) for r in tk.records("k1")],
          [("STDOUT", "key-ok")])
    # The key without its passphrase does not load: nothing else works.
    run_ok(tk, task("k2", "ssh", "echo never", host="127.0.0.6",
                    client_private_key=e["BOX_KEY"]))
    d = tk.wait_done("k2", 60)
    check("k2 done", (d["state"], d["message"]),
          ("failed", "authentication failed"))
    if e.get("SUDO_OK") == "1":
        # W-SUDO through the worker: the task's password answers sudo.
        run_ok(tk, task("u1", "ssh", "id -u", host="127.0.0.7",
                        run_as="root", password=e["BOX_PW"]))
        d = tk.wait_done("u1", 60)
        check("u1 done", (d["state"], d["message"]), ("finished", "ok"))
        data = [r["data"] for r in tk.records("u1")]
        if not any(re.fullmatch(r"\[sudo\] password for %s: *"
                                r"\(supplied by pogo\)" % e["TEST_USER"],
                                x) for x in data) or "0" not in data:
            raise Fail("u1 output %r" % data)
        print("ok: u1 sudo answered")
    p.close()


def scenario_secrets_nokey(lsock, a):
    """X-WRONG: secrets on a worker without tls.key."""
    e = os.environ
    p = accept(lsock)
    greet(p)
    tk = Tasks(p)
    run_ok(tk, task("n1", "ssh", "echo never", host="127.0.0.1",
                    password=e["BOX_PW"]))
    d = tk.wait_done("n1", 60)
    check("n1 done", (d["rc"], d["state"], d["message"]),
          (None, "failed", "Worker key not defined"))
    check("n1 not started", "n1" in tk.started, False)
    p.close()


def scenario_secrets_kbdint(lsock, a):
    """A task's password box answers keyboard-interactive (SPEC 9.4,
    9.6): sshd has password authentication off; a box of a wrong
    password fails to log in."""
    e = os.environ
    p = accept(lsock)
    greet(p, key_id=e["KEY_ID"])
    tk = Tasks(p)
    run_ok(tk, task("q1", "ssh", "echo kbdint-ok", host="127.0.0.1",
                    password=e["BOX_PW"]))
    run_ok(tk, task("q2", "ssh", "echo never", host="127.0.0.2",
                    password=e["BOX_WRONG"], connect_timeout=15))
    d = tk.wait_done("q1", 60)
    check("q1 done", (d["rc"], d["state"], d["message"]),
          (0, "finished", "ok"))
    check("q1 output", [r["data"] for r in tk.records("q1")],
          ["kbdint-ok"])
    d = tk.wait_done("q2", 60)
    check("q2 done", (d["state"], d["message"]),
          ("failed", "authentication failed"))
    p.close()


SCENARIOS = {
    "protocol": scenario_protocol,
    "reconnect-report": scenario_reconnect_report,
    "sigkill": scenario_sigkill,
    "sigterm": scenario_sigterm,
    "sigterm-idle": scenario_sigterm_idle,
    "local": scenario_local,
    "sigterm-running": scenario_sigterm_running,
    "sigkill-running": scenario_sigkill_running,
    "ssh": scenario_ssh,
    "ssh-nokeys": scenario_ssh_nokeys,
    "secrets": scenario_secrets,
    "secrets-nokey": scenario_secrets_nokey,
    "secrets-kbdint": scenario_secrets_kbdint,
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
    if os.environ.get("FAKE_TLS_CERT"):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(os.environ["FAKE_TLS_CERT"],
                            os.environ["FAKE_TLS_KEY"])
        ctx.load_verify_locations(os.environ["FAKE_TLS_CA"])
        ctx.verify_mode = ssl.CERT_REQUIRED
        lsock = ctx.wrap_socket(lsock, server_side=True)
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
