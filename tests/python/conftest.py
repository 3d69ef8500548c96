"""Fixtures: a real ktagd (and the ktag CLI) built by meson, on the test lexicon.

meson passes the binaries as $KTAGD and $KTAG_CLI (tests/python/meson.build).
Every daemon binds an ipc:// endpoint in a private temporary directory (or a
free loopback port), and is stopped by the fixture or test that started it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator, List, Optional

import pytest

HERE = Path(__file__).resolve().parent
LEXICON = HERE / "lexicon"
sys.path.insert(0, str(HERE.parent.parent / "clients" / "python"))

from ktag import Client, KtagError  # noqa: E402


def _binary(var: str) -> str:
    path = os.environ.get(var)
    if not path:
        pytest.skip("$%s is not set: run these tests through `meson test` (or set it to the "
                    "built binary)" % var)
    if not os.access(path, os.X_OK):
        pytest.fail("$%s=%s is not an executable" % (var, path))
    return path


def free_tcp_endpoint() -> str:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return "tcp://127.0.0.1:%d" % s.getsockname()[1]


class Daemon:
    """One ktagd process that a test can start, stop, kill and start again."""

    def __init__(self, binary: str, args: List[str], workdir: Path, ready_endpoint: Optional[str]):
        self.binary = binary
        self.args = args
        self.workdir = workdir
        self.ready_endpoint = ready_endpoint
        self.proc: Optional[subprocess.Popen] = None
        self.log = workdir / ("ktagd-%d.log" % id(self))

    def start(self, wait: bool = True) -> "Daemon":
        assert self.proc is None or self.proc.poll() is not None, "already running"
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([self.binary, *self.args], stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=log)
        if wait and self.ready_endpoint:
            self.wait_ready(self.ready_endpoint)
        return self

    def wait_ready(self, endpoint: str, within: float = 20.0) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError("ktagd exited with %s:\n%s" % (self.proc.returncode,
                                                                  self.log_text()))
            try:
                with Client(endpoint, timeout=0.2, retries=0) as c:
                    c.ping()
                    return
            except KtagError:
                pass
        raise RuntimeError("ktagd did not answer a ping on %s within %gs:\n%s"
                           % (endpoint, within, self.log_text()))

    def stop(self, sig: int = signal.SIGTERM, within: float = 15.0) -> int:
        """Signal the daemon and wait for it; returns its exit status."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return proc.returncode if proc else 0
        proc.send_signal(sig)
        try:
            return proc.wait(within)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
            raise RuntimeError("ktagd did not stop within %gs of signal %d" % (within, sig))

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""


class DaemonFactory:
    """Makes daemons bound to private ipc:// endpoints and stops them all at the end."""

    def __init__(self, binary: str):
        self.binary = binary
        # ipc paths are limited to ~107 bytes: a short private directory, not tmp_path.
        self.dir = Path(tempfile.mkdtemp(prefix="ktag-py-"))
        self.daemons: List[Daemon] = []
        self.count = 0

    def endpoint(self) -> str:
        self.count += 1
        return "ipc://%s/d%d.sock" % (self.dir, self.count)

    def bind(self, endpoint: Optional[str] = None, extra: Optional[List[str]] = None,
             threads: int = 2, start: bool = True) -> Daemon:
        endpoint = endpoint or self.endpoint()
        args = ["--bind", endpoint, "-L", str(LEXICON), "--threads", str(threads),
                "--log-level", "warning", "--drain-timeout", "5", *(extra or [])]
        d = Daemon(self.binary, args, self.dir, endpoint)
        d.endpoint = endpoint  # type: ignore[attr-defined]
        self.daemons.append(d)
        return d.start() if start else d

    def raw(self, args: List[str], ready_endpoint: Optional[str]) -> Daemon:
        d = Daemon(self.binary, args, self.dir, ready_endpoint)
        self.daemons.append(d)
        return d.start()

    def close(self) -> None:
        for d in reversed(self.daemons):
            try:
                d.stop(signal.SIGKILL if not d.running else signal.SIGTERM)
            except RuntimeError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def ktagd_bin() -> str:
    return _binary("KTAGD")


@pytest.fixture(scope="session")
def ktag_cli_bin() -> str:
    return _binary("KTAG_CLI")


@pytest.fixture(scope="session")
def session_daemons(ktagd_bin: str) -> Iterator[DaemonFactory]:
    factory = DaemonFactory(ktagd_bin)
    yield factory
    factory.close()


@pytest.fixture(scope="session")
def daemon(session_daemons: DaemonFactory) -> Daemon:
    """A ktagd shared by the tests that do not stop it (2 worker threads)."""
    return session_daemons.bind()


@pytest.fixture(scope="session")
def endpoint(daemon: Daemon) -> str:
    return daemon.endpoint  # type: ignore[attr-defined]


@pytest.fixture()
def client(endpoint: str) -> Iterator[Client]:
    with Client(endpoint, timeout=10.0, retries=1) as c:
        yield c


@pytest.fixture()
def daemons(ktagd_bin: str) -> Iterator[DaemonFactory]:
    """Daemons of one test, which it may stop, kill and restart."""
    factory = DaemonFactory(ktagd_bin)
    yield factory
    factory.close()
