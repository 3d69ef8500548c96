"""SIGTERM/SIGINT stop taking requests, answer every request already
accepted, and exit 0."""
import re
import signal
import time

import zmq

from conftest import pack, unpack

HEAVY = "삼성전자 주가가 상승했다. 엔비디아는 H800으로 강세. " * 3000   # ~220 KB, ms each


def wait_stats(env, predicate, timeout=30.0, control=None):
    deadline = time.monotonic() + timeout
    while True:
        st = env.request(control or env.ipc("ctl"), {"op": "stats"})["stats"]
        if predicate(st):
            return st
        assert time.monotonic() < deadline, st
        time.sleep(0.005)


def drain_once(env, attempt, n=40):
    """Send n heavy requests to a new daemon, SIGTERM it once it has read
    them all and holds some, read every reply.  @returns how many requests
    the daemon said it was draining when the signal came."""
    front, ctl = env.ipc("front%d" % attempt), env.ipc("ctl%d" % attempt)
    d = env.start("--bind", front, "--control", ctl, "--threads", "2")
    # A minute per reply: on a loaded machine a debug build tags these at a
    # few documents a second.
    s = env.socket(zmq.DEALER, front, timeout_ms=60000)
    for i in range(n):
        s.send_multipart([b"", pack({"id": i, "text": HEAVY * 10})])
    wait_stats(env, lambda st: st["requests"] >= n, control=ctl)
    d.send_signal(signal.SIGTERM)
    got = set()
    for _ in range(n):
        r = unpack(s.recv_multipart()[1])
        assert r["ok"] and len(r["entities"]) > 0
        got.add(r["id"])
    # Every accepted request was answered, once, and the daemon exits 0.
    assert got == set(range(n))
    assert d.wait(timeout=30) == 0
    log = d.log_text()
    assert "drained: every accepted request was answered" in log
    assert "%d requests received, %d replies sent" % (n, n) in log
    m = re.search(r"draining (\d+) in-flight requests", log)
    assert m, log
    return int(m.group(1))


def test_sigterm_answers_in_flight_requests_and_exits_0(env):
    # ~2 MB documents, tens of ms each: the main loop reads as it tags, so
    # when it has read the last one, what it and the worker hold usually
    # outlasts the stats reply and the signal.  Not always: on a busy
    # machine the last of them can finish in between, and the drain then
    # has nothing to answer.  Such an attempt proves nothing about the
    # drain, so another daemon is tried; one must drain something.
    for attempt in range(5):
        draining = drain_once(env, attempt)
        if draining > 0:
            break
    assert draining > 0, "no attempt of 5 drained a request in flight"


def test_replies_reach_a_slow_reader_after_the_drain(env):
    # Replies handed to ZeroMQ are not yet delivered: a client that reads
    # slowly (here: a queue of one message, small kernel buffers, and a
    # pause longer than the daemon's usual one-second linger) must still get
    # every reply to a request the daemon accepted.  The stop waits for them
    # up to the drain timeout.
    n = 20
    d = env.start("--bind", env.ipc("front"), "--control", env.ipc("ctl"), "--threads", "2")
    s = env.ctx.socket(zmq.DEALER)
    env.sockets.append(s)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.RCVHWM, 1)
    s.setsockopt(zmq.RCVBUF, 4096)
    s.setsockopt(zmq.RCVTIMEO, 30000)
    s.connect(env.ipc("front"))
    for i in range(n):
        s.send_multipart([b"", pack({"id": i, "text": HEAVY})])
    wait_stats(env, lambda st: st["replies"] >= n)
    d.send_signal(signal.SIGTERM)
    d.wait_log("drained")
    time.sleep(2.5)
    ids = sorted(unpack(s.recv_multipart()[1])["id"] for _ in range(n))
    assert ids == list(range(n))
    assert d.wait(timeout=30) == 0


def test_no_new_requests_while_draining(env):
    d = env.start("--bind", env.ipc("front"), "--control", env.ipc("ctl"), "--threads", "2")
    s = env.socket(zmq.DEALER, env.ipc("front"))
    for i in range(30):
        s.send_multipart([b"", pack({"id": i, "text": HEAVY})])
    wait_stats(env, lambda st: st["requests"] >= 30)
    d.send_signal(signal.SIGTERM)
    d.wait_log("draining")
    s.send_multipart([b"", pack({"id": "late", "text": "삼성전자"})])
    ids = [unpack(s.recv_multipart()[1])["id"] for _ in range(30)]
    assert sorted(ids) == list(range(30))
    assert d.wait(timeout=30) == 0
    s.setsockopt(zmq.RCVTIMEO, 300)
    try:
        late = unpack(s.recv_multipart()[1])
    except zmq.Again:
        late = None
    assert late is None, late


def test_pipeline_stage_drains_into_the_sink(env):
    vent, sink = env.pipeline(timeout_ms=20000)
    d = env.start("--pull", env.ipc("vent"), "--push", env.ipc("sink"), "--control",
                  env.ipc("ctl"), "--threads", "2", "--max-pending", "16")
    for i in range(40):
        vent.send(pack({"id": i, "text": HEAVY}))
    wait_stats(env, lambda st: st["requests"] >= 16)
    d.send_signal(signal.SIGTERM)
    d.wait_log("draining")
    assert d.wait(timeout=30) == 0
    accepted = int(re.search(r"draining (\d+) in-flight", d.log_text()).group(1))
    results = []
    sink.setsockopt(zmq.RCVTIMEO, 500)
    while True:
        try:
            results.append(unpack(sink.recv()))
        except zmq.Again:
            break
    # Every request the stage accepted reached the sink; backpressure
    # (--max-pending 16) left the rest with the ventilator.
    m = re.search(r"(\d+) requests received, (\d+) replies sent", d.log_text())
    received, replied = int(m.group(1)), int(m.group(2))
    assert accepted > 0
    assert len(results) == received == replied
    assert all(r["ok"] for r in results)
    assert len({r["id"] for r in results}) == len(results)


def test_drain_timeout_bounds_the_stop(env):
    d = env.start("--bind", env.ipc("front"), "--control", env.ipc("ctl"), "--threads", "2",
                  "--drain-timeout", "0.05")
    s = env.socket(zmq.DEALER, env.ipc("front"))
    # The main loop reads a round at a time (at most 32 per thread), so
    # what it holds is made to outlast the timeout by its size: ~2 MB
    # documents, tens of ms each; eight of them take well over 50 ms even
    # on a fast machine, and on a loaded one the reading keeps pace with
    # the tagging, so more are not waited for.
    for i in range(40):
        s.send_multipart([b"", pack({"id": i, "text": HEAVY * 10})])
    wait_stats(env, lambda st: st["in_flight"] >= 8)
    t0 = time.monotonic()
    d.send_signal(signal.SIGTERM)
    assert d.wait(timeout=30) == 0
    assert time.monotonic() - t0 < 10
    assert "drain timeout: stopping with" in d.log_text()


def test_second_signal_stops_at_once(env):
    d = env.start("--bind", env.ipc("front"), "--control", env.ipc("ctl"), "--threads", "2")
    s = env.socket(zmq.DEALER, env.ipc("front"))
    # As above: a backlog of ~2 MB documents outlasts both signals.
    for i in range(40):
        s.send_multipart([b"", pack({"id": i, "text": HEAVY * 10})])
    wait_stats(env, lambda st: st["in_flight"] >= 8)
    d.send_signal(signal.SIGTERM)
    d.wait_log("draining")
    d.send_signal(signal.SIGINT)
    assert d.wait(timeout=30) == 0
    assert "again: stopping now" in d.log_text()
