"""Fixtures for the ktagd tests: start a real ktagd on ipc:// (or a free
loopback port), talk to it with pyzmq + msgpack, and always stop it.

The daemon binary comes from $KTAGD (set by tests/daemon/meson.build); the
lexicon is the small fixture next to this file, copied per test so that a
test may edit it and reload.
"""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import msgpack
import pytest
import zmq

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE_LEXICONS = os.path.join(HERE, "lexicons")
KTAGD = os.environ.get("KTAGD")

# Every test is bounded: a socket that waits longer than this fails the test.
RECV_TIMEOUT_MS = 10000


def pack(obj):
    return msgpack.packb(obj, use_bin_type=True)


def unpack(data):
    return msgpack.unpackb(data, raw=False, strict_map_key=False)


class Ktagd:
    """One ktagd process.  Its stderr goes to a log file that the tests
    read ("bound to", "ready", reload and drain lines)."""

    def __init__(self, workdir, args, lexicons=None, wait_ready=True):
        self.workdir = workdir
        self.log_path = os.path.join(workdir, "ktagd-%d.log" % time.monotonic_ns())
        self.args = [KTAGD] + list(args)
        if lexicons is not None:
            self.args += ["--lexicons", lexicons]
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=self.log)
        if wait_ready:
            self.wait_log(r"\bready: ")

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_log(self, pattern, timeout=10.0, count=1):
        """Wait until `pattern` occurs `count` times in the log; return the
        last match."""
        deadline = time.monotonic() + timeout
        while True:
            matches = list(re.finditer(pattern, self.log_text()))
            if len(matches) >= count:
                return matches[-1]
            if self.proc.poll() is not None:
                raise AssertionError("ktagd exited with %s before logging %r:\n%s"
                                     % (self.proc.returncode, pattern, self.log_text()))
            if time.monotonic() > deadline:
                raise AssertionError("ktagd did not log %r within %.0f s:\n%s"
                                     % (pattern, timeout, self.log_text()))
            time.sleep(0.02)

    def bound(self, what):
        """The endpoint a socket was bound to, e.g. bound("front")."""
        return self.wait_log(re.escape(what) + r" \([A-Z]+\) bound to (\S+)").group(1)

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout=15.0):
        """Wait for the process to exit by itself; return its exit code."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("ktagd did not exit within %.0f s:\n%s"
                                 % (timeout, self.log_text()))
        self.log.close()
        return self.proc.returncode

    def stop(self, sig=signal.SIGTERM, timeout=15.0):
        """Stop with `sig` and return the exit code; kill if it hangs."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("ktagd did not stop within %.0f s:\n%s"
                                     % (timeout, self.log_text()))
        self.log.close()
        return self.proc.returncode


class Env:
    """Per-test workspace: a short temp dir (ipc paths are limited to about
    100 bytes), a copy of the fixture lexicons, a ZeroMQ context, and every
    ktagd started, stopped at the end."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="ktagd-", dir="/tmp")
        self.lexicons = os.path.join(self.dir, "lex")
        shutil.copytree(FIXTURE_LEXICONS, self.lexicons)
        self.ctx = zmq.Context()
        self.daemons = []
        self.sockets = []

    def ipc(self, name):
        return "ipc://%s/%s" % (self.dir, name)

    def start(self, *args, lexicons=True, wait_ready=True):
        d = Ktagd(self.dir, args, self.lexicons if lexicons else None, wait_ready)
        self.daemons.append(d)
        return d

    def socket(self, kind, endpoint, timeout_ms=RECV_TIMEOUT_MS):
        s = self.ctx.socket(kind)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.RCVTIMEO, timeout_ms)
        s.setsockopt(zmq.SNDTIMEO, timeout_ms)
        s.connect(endpoint)
        self.sockets.append(s)
        return s

    def pipeline(self, timeout_ms=RECV_TIMEOUT_MS):
        """The two ends of a --pull/--push stage, bound here: a ventilator
        (PUSH, at ipc "vent") and a sink (PULL, at ipc "sink") that waits at
        most `timeout_ms` for a result."""
        vent = self.ctx.socket(zmq.PUSH)
        sink = self.ctx.socket(zmq.PULL)
        for s in (vent, sink):
            s.setsockopt(zmq.LINGER, 0)
            self.sockets.append(s)
        sink.setsockopt(zmq.RCVTIMEO, timeout_ms)
        vent.bind(self.ipc("vent"))
        sink.bind(self.ipc("sink"))
        return vent, sink

    def proxy(self, front_name, back_name):
        """pyzmq's zmq.proxy() between a ROUTER bound at ipc `front_name`
        and a DEALER bound at ipc `back_name`, in a daemon thread that ends
        with the context: any ROUTER/DEALER proxy, not ktagd --broker."""
        front, back = self.ctx.socket(zmq.ROUTER), self.ctx.socket(zmq.DEALER)
        for s in (front, back):
            s.setsockopt(zmq.LINGER, 0)
        front.bind(self.ipc(front_name))
        back.bind(self.ipc(back_name))

        def run():
            try:
                zmq.proxy(front, back)
            except zmq.ContextTerminated:
                pass
            finally:
                front.close(0)
                back.close(0)

        threading.Thread(target=run, daemon=True).start()

    def request(self, endpoint, obj):
        """One REQ round trip of a msgpack object (or raw bytes)."""
        s = self.socket(zmq.REQ, endpoint)
        s.send(obj if isinstance(obj, bytes) else pack(obj))
        reply = unpack(s.recv())
        s.close()
        self.sockets.remove(s)
        return reply

    def close(self):
        for s in self.sockets:
            s.close(0)
        for d in self.daemons:
            if d.proc.poll() is None:
                d.proc.kill()
                d.proc.wait()
            d.log.close()
        self.ctx.term()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def env():
    if not KTAGD or not os.access(KTAGD, os.X_OK):
        pytest.skip("$KTAGD does not name the ktagd binary")
    e = Env()
    try:
        yield e
    finally:
        e.close()


# The fixture lexicon (tests/daemon/lexicons) and what it must find.
DOCS = [
    ("SK하이닉스 주가가 하락했다", {("company", "000660")}),
    ("엔비디아는 H800으로 강세", {("company", "x:nvidia"), ("chip", "h800")}),
    ("삼성전자 CB를 발행, 금감원 조사", {("company", "005930"), ("funding", "cb"),
                                      ("org", "x:fss")}),
    ("CBS 뉴스에는 아무것도 없다", set()),
    ("HBM 유상증자결정", {("chip", "hbm"), ("funding", "rights_offering")}),
]


def found(reply):
    return {(e["type"], e["id"]) for e in reply["entities"]}
