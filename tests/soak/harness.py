"""Shared by the soak, fault and security tests: start a real ktagd, find a
free loopback port, read its memory, and always stop what was started.

The daemon binary is $KTAGD (set by meson); the lexicons are a private copy
of the bundled lexicons/ (the tests delete and rewrite them), so nothing
here depends on data outside the repository.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import msgpack

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(os.path.dirname(HERE))
BUNDLED_LEXICONS = os.path.join(SOURCE_ROOT, "lexicons")
KTAGD = os.environ.get("KTAGD", "")


def pack(obj):
    return msgpack.packb(obj, use_bin_type=True)


def unpack(data):
    return msgpack.unpackb(data, raw=False, strict_map_key=False)


def free_port():
    """A loopback TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_lexicons(workdir, name="lex"):
    """A private copy of the bundled lexicon files (*.tsv and VERSION)."""
    dst = os.path.join(workdir, name)
    os.makedirs(dst)
    for f in os.listdir(BUNDLED_LEXICONS):
        if f.endswith(".tsv") or f == "VERSION":
            shutil.copy(os.path.join(BUNDLED_LEXICONS, f), dst)
    return dst


def rss_kib(pid):
    """Resident memory of a process, KiB (VmRSS of /proc/PID/status)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for pid %d" % pid)


class Ktagd:
    """One ktagd process; stderr goes to a log file (or to `stderr`)."""

    def __init__(self, args, workdir, stderr=None, wait_ready=True, prefix=(), ready_timeout=20.0):
        self.workdir = workdir
        self.log_path = os.path.join(workdir, "ktagd-%d.log" % time.monotonic_ns())
        self.args = list(prefix) + [KTAGD] + list(args)
        self.log = None
        if stderr is None:
            self.log = open(self.log_path, "wb")
            stderr = self.log
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=stderr)
        self.pid = self.proc.pid
        if wait_ready:
            self.wait_log(r"\bready: ", timeout=ready_timeout)

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def wait_log(self, pattern, timeout=10.0, count=1):
        deadline = time.monotonic() + timeout
        while True:
            matches = list(re.finditer(pattern, self.log_text()))
            if len(matches) >= count:
                return matches[-1]
            if self.proc.poll() is not None:
                raise AssertionError("ktagd exited with %s before logging %r:\n%s"
                                     % (self.proc.returncode, pattern, self.log_text()[-4000:]))
            if time.monotonic() > deadline:
                raise AssertionError("ktagd did not log %r within %.0f s:\n%s"
                                     % (pattern, timeout, self.log_text()[-4000:]))
            time.sleep(0.02)

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=30.0):
        """Stop with `sig`; return the exit code (kill -9 and fail if it hangs)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("ktagd did not stop within %.0f s:\n%s"
                                     % (timeout, self.log_text()[-4000:]))
        if self.log:
            self.log.close()
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.log:
            self.log.close()


class Workspace:
    """A short temp dir (ipc:// paths are limited to ~100 bytes), the
    daemons started in it, stopped (killed if need be) at close."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="ktag-soak-", dir="/tmp")
        self.daemons = []

    def lexicons(self, name="lex"):
        return copy_lexicons(self.dir, name)

    def ipc(self, name):
        return "ipc://%s/%s" % (self.dir, name)

    def start(self, *args, **kw):
        d = Ktagd(args, self.dir, **kw)
        self.daemons.append(d)
        return d

    def close(self):
        for d in self.daemons:
            d.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def sanitized(binary=None):
    """True when the ktagd binary is built with ASan (its RSS then measures
    the sanitizer's quarantine, not the daemon, and it runs 2-5x slower)."""
    with open(binary or KTAGD, "rb") as f:
        return b"__asan_init" in f.read()
