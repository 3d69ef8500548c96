"""Shared by the soak, fault and security tests: start a real ktagd, find a
free loopback port, read its memory, and always stop what was started.

The daemon binary is $KTAGD (set by meson); the lexicons are a private copy
of the bundled lexicons/ (the tests delete and rewrite them), so nothing
here depends on data outside the repository.
"""
import importlib.util
import os
import shutil
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


def _daemon_test_helpers():
    """tests/daemon/conftest.py, loaded under its own name: its Ktagd
    (log file, wait_log, stop) is the one the daemon tests use."""
    path = os.path.join(SOURCE_ROOT, "tests", "daemon", "conftest.py")
    spec = importlib.util.spec_from_file_location("ktag_daemon_test_helpers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Ktagd(_daemon_test_helpers().Ktagd):
    """One ktagd process, its stderr in a log file; log_text(), wait_log()
    and stop() come from the daemon tests' Ktagd.  This constructor can
    also start ktagd under a tool (`prefix`, e.g. valgrind) and give it
    longer to get ready."""

    def __init__(self, args, workdir, wait_ready=True, prefix=(), ready_timeout=20.0):
        self.workdir = workdir
        self.log_path = os.path.join(workdir, "ktagd-%d.log" % time.monotonic_ns())
        self.args = list(prefix) + [KTAGD] + list(args)
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=self.log)
        self.pid = self.proc.pid
        if wait_ready:
            self.wait_log(r"\bready: ", timeout=ready_timeout)

    def alive(self):
        return self.proc.poll() is None

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
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
