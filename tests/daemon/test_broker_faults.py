"""The broker's failure cases of issue 12, each of which the zmq_proxy
broker failed: a worker killed mid-stream under `ktag --connect`, a worker
gone silent without closing its connection under the Python client's
tag_many, a broker stopped after its workers died, and a stopped worker that
must not collect a round-robin share.

A SIGSTOPped worker stands for a cut link here: its connection stays open
and it says nothing (tests/netns cuts real links)."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import zmq

from conftest import DOCS, found, pack, unpack

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "clients", "python"))

KTAG = os.environ.get("KTAG_CLI")
# Short intervals keep the tests quick: a silent peer is dead after 0.6 s.
BEAT = ["--heartbeat", "200", "--liveness", "3"]


def start_broker(env, *extra):
    return env.start("--broker", env.ipc("front"), env.ipc("back"), *BEAT, *extra,
                     lexicons=False)


def start_worker(env, *extra):
    return env.start("--connect", env.ipc("back"), *BEAT, *extra)


def wait_workers(broker, n):
    broker.wait_log(r"worker \S+ (ready|adopted)", count=n)


def test_worker_killed_mid_stream_cli_answers_every_document_once(env, tmp_path):
    if not KTAG or not os.access(KTAG, os.X_OK):
        pytest.skip("$KTAG_CLI does not name the ktag binary")
    broker = start_broker(env)
    workers = [start_worker(env, "--threads", "1", "--credit", "8") for _ in range(2)]
    wait_workers(broker, 2)
    n = 6000
    lines = [DOCS[i % len(DOCS)][0] + " %d" % i for i in range(n)]
    src = tmp_path / "in.txt"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    cli = subprocess.Popen([KTAG, "--connect", env.ipc("front"), "-i", "lines", "--timeout", "1",
                            "--retries", "3", "--window", "64", "-o", str(out), str(src)],
                           stderr=subprocess.PIPE)
    # Let the stream start, freeze a worker so that it certainly holds
    # requests, then kill it.
    deadline = time.monotonic() + 30
    while (not out.exists() or out.stat().st_size == 0) and cli.poll() is None:
        assert time.monotonic() < deadline, "no output from ktag --connect"
        time.sleep(0.005)
    workers[0].send_signal(signal.SIGSTOP)
    time.sleep(0.2)
    workers[0].proc.kill()
    workers[0].proc.wait()
    _, err = cli.communicate(timeout=60)
    assert cli.returncode == 0, err.decode()
    results = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in results] == list(range(1, n + 1))     # once each, in order
    for i, r in enumerate(results):
        assert r["ok"] and found(r) == DOCS[i % len(DOCS)][1], r
    assert b"sent again after a timeout" in err, "nothing was lost with the killed worker"
    broker.wait_log(r"worker \S+ is gone")


def test_silent_worker_is_expired_and_tag_many_completes(env):
    from ktag import Client
    broker = start_broker(env)
    workers = [start_worker(env, "--threads", "1", "--credit", "8") for _ in range(2)]
    wait_workers(broker, 2)
    n = 3000
    docs = [{"id": i, "text": DOCS[i % len(DOCS)][0]} for i in range(n)]

    def feed():
        for i, d in enumerate(docs):
            if i == 300:
                workers[1].send_signal(signal.SIGSTOP)
            yield d

    got = []
    with Client(env.ipc("front"), timeout=1.0, retries=3) as c:
        for r in c.tag_many(feed(), window=64):
            got.append(r)
        assert c.retried > 0, "the silent worker held nothing: the test proved nothing"
    assert [r["id"] for r in got] == list(range(n))
    for i, r in enumerate(got):
        assert found(r) == DOCS[i % len(DOCS)][1], r
    broker.wait_log(r"worker \S+ expired: silent for 3 heartbeats of 200 ms")
    # Back from the cut: its heartbeats make the broker take it again.
    workers[1].send_signal(signal.SIGCONT)
    broker.wait_log(r"worker \S+ (ready|adopted)", count=3)


def test_broker_sigterm_after_workers_died_exits_at_once(env):
    broker = start_broker(env, "--drain-timeout", "30")
    workers = [start_worker(env, "--threads", "1", "--credit", "4") for _ in range(2)]
    wait_workers(broker, 2)
    s = env.socket(zmq.DEALER, env.ipc("front"))
    for w in workers:
        w.send_signal(signal.SIGSTOP)
    for i in range(20):
        s.send_multipart([b"", pack({"id": i, "text": DOCS[0][0]})])
    # Both hold requests (4 each); one dies, the other stays frozen.
    time.sleep(0.3)
    workers[0].proc.kill()
    workers[0].proc.wait()
    t0 = time.monotonic()
    broker.send_signal(signal.SIGTERM)
    assert broker.wait(timeout=10) == 0
    took = time.monotonic() - t0
    # The killed one is dropped at the next heartbeat, the frozen one after
    # 3 x 200 ms of silence: far below the 30 s drain timeout.
    assert took < 3.0, "the broker waited %.1f s for replies that could not come" % took
    log = broker.log_text()
    assert "drained: no live worker holds a request" in log
    workers[1].send_signal(signal.SIGCONT)


def test_stopped_worker_gets_at_most_its_credit(env):
    # A long liveness: the stopped worker stays "alive" for the whole test,
    # so only its credit keeps work away from it.
    slow_beat = ["--heartbeat", "1000", "--liveness", "30"]
    broker = env.start("--broker", env.ipc("front"), env.ipc("back"), *slow_beat, lexicons=False)
    slow = env.start("--connect", env.ipc("back"), *slow_beat, "--threads", "1", "--credit", "3",
                     "--control", env.ipc("slow-ctl"))
    fast = env.start("--connect", env.ipc("back"), *slow_beat, "--threads", "1", "--credit", "8")
    broker.wait_log(r"worker \S+ ready", count=2)
    slow.send_signal(signal.SIGSTOP)
    s = env.socket(zmq.DEALER, env.ipc("front"))
    n = 300
    for i in range(n):
        s.send_multipart([b"", pack({"id": i, "text": DOCS[i % len(DOCS)][0]})])
    answered = set()
    deadline = time.monotonic() + 20
    while len(answered) < n - 3:
        assert time.monotonic() < deadline, "only %d answered" % len(answered)
        if s.poll(100):
            r = unpack(s.recv_multipart()[1])
            answered.add(r["id"])
    slow.send_signal(signal.SIGCONT)
    while len(answered) < n:
        assert time.monotonic() < deadline, "only %d answered" % len(answered)
        if s.poll(100):
            answered.add(unpack(s.recv_multipart()[1])["id"])
    st = env.request(env.ipc("slow-ctl"), {"op": "stats"})["stats"]
    assert st["requests"] == 3, st
    assert fast.stop() == 0 and slow.stop() == 0
    assert broker.stop() == 0


def test_worker_speaks_ktagw1_and_reconnects_to_a_silent_broker(env):
    """A broker played by the test: the worker's READY, heartbeats, a
    request through it, a new connection (and READY) when the broker goes
    silent, DISCONNECT on SIGTERM (docs/PROTOCOL.md, "Broker and workers")."""
    router = env.ctx.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    router.bind(env.ipc("back"))
    env.sockets.append(router)
    worker = env.start("--connect", env.ipc("back"), "--threads", "1", *BEAT)

    def recv(timeout_ms=3000):
        assert router.poll(timeout_ms), "the worker said nothing"
        return router.recv_multipart()

    ident, empty, proto, command, body = recv()
    assert (empty, proto, command) == (b"", b"ktagw/1", b"READY")
    ready = unpack(body)
    assert ready["credit"] == 64 and ready["heartbeat_ms"] == 200
    assert ready["name"].endswith("/%d" % worker.proc.pid)
    # Heartbeats follow, every 200 ms.
    frames = recv()
    assert frames[:4] == [ident, b"", b"ktagw/1", b"HEARTBEAT"]
    # A request as the broker forwards it: [worker, client, "", body].
    router.send_multipart([ident, b"client-1", b"", pack({"id": 5, "text": DOCS[1][0]})])
    while True:
        frames = recv()
        if frames[1] != b"":
            break
    assert frames[:3] == [ident, b"client-1", b""]
    assert found(unpack(frames[3])) == DOCS[1][1]
    # One heartbeat tells the worker that it has a ktagw/1 broker; then our
    # broker says nothing: after 3 x 200 ms the worker starts over on a new
    # connection (new identity) and announces itself again.
    router.send_multipart([ident, b"", b"ktagw/1", b"HEARTBEAT", pack({"heartbeat_ms": 200})])
    worker.wait_log("the broker speaks ktagw/1: heartbeats every 200 ms")
    t0 = time.monotonic()
    while True:
        frames = recv()
        if frames[0] != ident:
            break
        assert time.monotonic() - t0 < 3, "the worker did not give up on a silent broker"
    assert frames[1:4] == [b"", b"ktagw/1", b"READY"]
    worker.wait_log("the broker has been silent")
    new = frames[0]
    router.send_multipart([new, b"", b"ktagw/1", b"HEARTBEAT", pack({"heartbeat_ms": 200})])
    worker.send_signal(signal.SIGTERM)
    while True:
        frames = recv()
        if frames[0] == new and frames[3:4] == [b"DISCONNECT"]:
            break
    assert worker.wait() == 0


def test_worker_behind_a_plain_proxy_does_not_count_its_silence(env):
    """A plain ROUTER/DEALER proxy never sends heartbeats: the worker must
    not take it for a dead broker and keep reconnecting."""
    env.proxy("pf", "pb")
    worker = env.start("--connect", env.ipc("pb"), "--threads", "1", "--heartbeat", "50",
                       "--liveness", "2")
    s = env.socket(zmq.DEALER, env.ipc("pf"))
    for round in range(3):
        time.sleep(0.4)         # 4 x liveness x interval: silence, were it counted
        s.send_multipart([b"", pack({"id": round, "text": DOCS[0][0]})])
        r = unpack(s.recv_multipart()[1])
        assert r["id"] == round and found(r) == DOCS[0][1]
    assert "silent" not in worker.log_text()
    assert worker.stop() == 0
