"""Timeouts and Lazy Pirate retries against real daemons: stopped, restarted, crashed,
and a worker dying behind a broker."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from conftest import LEXICON
from ktag import Client, Timeout
from test_tag_many import check, make_doc


def test_timeout_when_the_daemon_is_stopped(daemons):
    d = daemons.bind()
    with Client(d.endpoint, timeout=0.3, retries=2) as c:
        assert c.tag("SK하이닉스", id=1)["ok"] is True
        assert d.stop() == 0          # SIGTERM drains and exits 0
        start = time.monotonic()
        with pytest.raises(Timeout) as info:
            c.tag("SK하이닉스", id=2)
        elapsed = time.monotonic() - start
        assert info.value.attempts == 3
        assert info.value.endpoint == d.endpoint
        assert 0.85 <= elapsed < 10, elapsed      # three attempts of 0.3s, no hang
        assert c.retried == 2
        with pytest.raises(Timeout):
            c.ping()
        with pytest.raises(Timeout):
            list(c.tag_many(make_doc(i) for i in range(100)))


def test_timeout_when_no_daemon_ever_ran(daemons):
    with Client(daemons.endpoint(), timeout=0.2, retries=0) as c:
        start = time.monotonic()
        with pytest.raises(Timeout) as info:
            c.info()
        assert info.value.attempts == 1
        assert time.monotonic() - start < 5


def test_tcp_endpoint_and_timeout_on_a_free_port(daemons):
    from conftest import free_tcp_endpoint
    ep = free_tcp_endpoint()
    with Client(ep, timeout=0.2, retries=1) as c:
        with pytest.raises(Timeout):
            c.tag("삼성전자")
        # The same client reaches a daemon that comes up later on that port
        # (its socket may first wait out a ZeroMQ reconnect interval: allow
        # it more tries on a loaded machine).
        daemons.bind(endpoint=ep)
        c.retries = 20
        r = c.tag("삼성전자", id="tcp")
        assert r["id"] == "tcp" and r["entities"][0]["id"] == "005930"


def test_a_request_is_retried_across_a_daemon_restart(daemons):
    d = daemons.bind()
    with Client(d.endpoint, timeout=0.25, retries=60) as c:
        assert c.tag("SK하이닉스", id="before")["ok"] is True
        assert d.stop() == 0
        restart = threading.Timer(0.8, d.start)
        restart.start()
        try:
            start = time.monotonic()
            r = c.tag("SK하이닉스 급락", id="after")
            elapsed = time.monotonic() - start
        finally:
            restart.join()
        assert r["id"] == "after" and r["entities"][0]["id"] == "000660"
        assert c.retried >= 1
        assert 0.5 <= elapsed < 15, elapsed
        # And it goes on without retries once the daemon is back.
        before = c.retried
        assert [r["id"] for r in c.tag_many(make_doc(i) for i in range(200))] == \
            ["doc-%d" % i for i in range(200)]
        assert c.retried == before


def test_tag_many_survives_a_daemon_crash(daemons):
    """SIGKILL mid-stream loses whatever the daemon held; the client sends it
    again to the restarted daemon and every result still comes, in order."""
    d = daemons.bind()
    timers = []

    def items():
        for i in range(3000):
            if i == 1000:
                d.kill()
                timers.append(threading.Timer(0.5, d.start))
                timers[-1].start()
            yield make_doc(i)

    with Client(d.endpoint, timeout=0.5, retries=30) as c:
        try:
            got = list(c.tag_many(items(), window=64))
        finally:
            for t in timers:
                t.join()
        assert len(got) == 3000
        for i, r in enumerate(got):
            check(i, r, with_id=True)
        assert c.retried >= 1
        assert d.running


def test_a_worker_dying_behind_a_broker_costs_a_retry(daemons):
    front, back = daemons.endpoint(), daemons.endpoint()
    ctl1, ctl2 = daemons.endpoint(), daemons.endpoint()
    # A short drain: the requests the dead worker took are never answered,
    # and the broker would wait for them on SIGTERM.
    broker = daemons.raw(["--broker", front, back, "--log-level", "info",
                          "--drain-timeout", "2"], None)
    workers = [daemons.raw(["--connect", back, "--control", ctl, "-L", str(LEXICON),
                            "--threads", "1", "--log-level", "warning", "--drain-timeout", "2"],
                           None)
               for ctl in (ctl1, ctl2)]
    broker.wait_ready(front)

    # Both workers must be attached before one dies: tag until each has served.
    deadline = time.monotonic() + 20
    with Client(front, timeout=5) as c, Client(ctl1, timeout=5) as s1, \
            Client(ctl2, timeout=5) as s2:
        while s1.stats()["documents"] == 0 or s2.stats()["documents"] == 0:
            assert time.monotonic() < deadline, "a worker never attached to the broker"
            list(c.tag_many(make_doc(i) for i in range(20)))

    victim = workers[0]
    timers = []

    def items():
        for i in range(2000):
            if i == 500:
                # Freeze the victim so that the broker's next requests to it
                # are held there for certain, then kill it: they are lost.
                os.kill(victim.proc.pid, signal.SIGSTOP)
                timers.append(threading.Timer(0.3, victim.kill))
                timers[-1].start()
            yield make_doc(i)

    with Client(front, timeout=0.6, retries=5) as c:
        try:
            start = time.monotonic()
            got = list(c.tag_many(items(), window=32))
            elapsed = time.monotonic() - start
        finally:
            for t in timers:
                t.join()
        assert len(got) == 2000
        for i, r in enumerate(got):
            check(i, r, with_id=True)
        assert c.retried >= 1
        assert not victim.running and workers[1].running
        print("\nbroker: a worker killed mid-stream; %d requests resent; %.2fs for 2000 documents"
              % (c.retried, elapsed))
        assert elapsed < 60
