#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The pogo authors
#
# A fake worker for the e2e tests of `pogo dispatcher` (SPEC 8), until
# `pogo worker` runs tasks itself: it connects to the dispatcher's worker
# port, says hello, and runs every `run` it is given with /bin/sh on this
# machine, one at a time, reporting task_started, task_output (one record
# per line) and task_done, each report resent until the dispatcher
# acknowledges it (SPEC 8.4).
#   python3 fake-worker.py HOST:PORT NAME MAX_TASKS LOG [KEY_ID [TASKS]]
# It appends what it does to LOG ("run <task_id> <host>", "ack") and runs
# until the connection ends or it is killed.  Every wait is bounded.
# KEY_ID (64 hex, or "-" for null) is the hello's key_id; each run's
# inner task_data is appended to the file TASKS, one JSON line each.
import json
import os
import socket
import subprocess
import sys
import time

addr, name, max_tasks, logpath = sys.argv[1:5]
key_id = sys.argv[5] if len(sys.argv) > 5 and sys.argv[5] != "-" else None
tasks = open(sys.argv[6], "a", buffering=1) if len(sys.argv) > 6 else None
host, port = addr.rsplit(":", 1)
log = open(logpath, "a", buffering=1)
s = socket.create_connection((host, int(port)), timeout=20)
buf = b""
acks = 0
backlog = []  # channel-1 messages received while waiting for an ack


def send(obj):
    s.sendall((json.dumps(obj) + "\n").encode())


def recv():
    global buf
    deadline = time.time() + 120
    while b"\n" not in buf:
        s.settimeout(max(0.1, deadline - time.time()))
        data = s.recv(65536)
        if not data:
            sys.exit(0)
        buf += data
    line, _, buf = buf.partition(b"\n")
    m = json.loads(line)
    if m.get("channel", 0) == 0 and m.get("msg") == "ping":
        send({"channel": 0, "msg": "pong"})
        return recv()
    return m


def report(obj):
    """Send a report and wait for its acknowledgement."""
    send(obj)
    while True:
        m = recv()
        if m.get("channel") == 1 and m.get("type") == "reply":
            log.write("ack %s %s\n" % (obj["command"], obj["task_id"]))
            return
        backlog.append(m)


g = recv()
assert g.get("msg") == "Hello, worker.", g
send({"channel": 0, "msg": "hello", "protocol": "2.0", "worker": name,
      "instance": os.urandom(16).hex(), "max_tasks": int(max_tasks),
      "key_id": key_id})
while True:
    m = backlog.pop(0) if backlog else recv()
    if m.get("channel") != 2:
        continue
    tid = m.get("task_id")
    if m.get("command", "run") != "run":
        send({"channel": 2, "type": "reply", "ok": 0, "task_id": tid,
              "msg": "unknown"})
        continue
    send({"channel": 2, "type": "reply", "ok": 0, "task_id": tid,
          "msg": "OK"})
    td = m["task_data"]["task_data"]
    if tasks is not None:
        tasks.write(json.dumps(td, sort_keys=True) + "\n")
    log.write("run %s %s %s %s\n" % (tid, m["host"],
              m["task_data"]["task_name"], td.get("job_id")))
    t0 = time.time()
    report({"channel": 1, "command": "task_started", "task_id": tid,
            "started_at": t0})
    env = dict(os.environ, POGO_HOST=m["host"])
    p = subprocess.run(["/bin/sh", "-c", td["command"]], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60)
    lines = p.stdout.decode(errors="replace").splitlines()
    if lines:
        send({"channel": 1, "command": "task_output", "task_id": tid,
              "first": 0, "records": [{"ts": time.time(), "type": "STDOUT",
                                       "data": l} for l in lines]})
    rc = p.returncode
    report({"channel": 1, "command": "task_done", "task_id": tid,
            "rc": rc, "signal": None, "timed_out": False,
            "state": "finished" if rc == 0 else "failed",
            "message": "ok" if rc == 0 else "exited with status %d" % rc,
            "started_at": t0, "finished_at": time.time(),
            "records": len(lines)})
