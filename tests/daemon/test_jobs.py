"""ktagd --bind reads requests in rounds: the main loop tags its share and
hands each idle worker thread an equal share in a job (several requests,
one hand-off) when the round is big enough, and sends the replies of a
round together.  Whatever the window, every request gets exactly its own
reply, nothing stays in flight, and a drain answers what the round and the
jobs hold."""
import random
import signal

import pytest
import zmq

from conftest import DOCS, found, pack, unpack


@pytest.mark.parametrize("threads", ["1", "2", "3"])
def test_a_window_wider_than_the_jobs_gets_every_reply(env, threads):
    """3 threads hold a round of at most 3 x 32 = 96 requests; a window of
    600 makes the front queue the rest."""
    env.start("--bind", env.ipc("front"), "--threads", threads, "--control", env.ipc("ctl"))
    s = env.socket(zmq.DEALER, env.ipc("front"))
    n, window, sent, got = 6000, 600, 0, {}
    rng = random.Random(11)
    plan = [rng.randrange(len(DOCS)) for _ in range(n)]
    while len(got) < n:
        while sent < n and sent - len(got) < window:
            s.send_multipart([b"", pack({"id": sent, "text": DOCS[plan[sent]][0]})])
            sent += 1
        _, body = s.recv_multipart()
        r = unpack(body)
        assert r["ok"] and r["id"] not in got
        got[r["id"]] = r
    assert all(found(r) == DOCS[plan[i]][1] for i, r in got.items())
    st = env.request(env.ipc("ctl"), {"op": "stats"})["stats"]
    assert st["in_flight"] == 0 and st["documents"] == n and st["dropped"] == 0


def test_many_clients_each_get_their_own_replies(env):
    """Requests of several clients share jobs; each reply goes back to the
    client that asked."""
    env.start("--bind", env.ipc("front"), "--threads", "2")
    clients = [env.socket(zmq.DEALER, env.ipc("front")) for _ in range(5)]
    for c, s in enumerate(clients):
        for i in range(200):
            s.send_multipart([b"", pack({"id": "%d-%d" % (c, i), "text": DOCS[i % len(DOCS)][0]})])
    for c, s in enumerate(clients):
        ids = set()
        for _ in range(200):
            r = unpack(s.recv_multipart()[1])
            assert r["id"].startswith("%d-" % c)
            assert found(r) == DOCS[int(r["id"].split("-")[1]) % len(DOCS)][1]
            ids.add(r["id"])
        assert len(ids) == 200


@pytest.mark.parametrize("threads", ["1", "2"])
def test_sigterm_answers_what_the_jobs_hold(env, threads):
    d = env.start("--bind", env.ipc("front"), "--threads", threads)
    s = env.socket(zmq.DEALER, env.ipc("front"))
    heavy = "삼성전자 주가가 상승했다. 엔비디아는 H800으로 강세. " * 300
    n = 150
    for i in range(n):
        s.send_multipart([b"", pack({"id": i, "text": heavy})])
    # Wait for the first reply: the rest are in jobs or queued at the front.
    got = {unpack(s.recv_multipart()[1])["id"]}
    d.send_signal(signal.SIGTERM)
    assert d.wait() == 0
    # The replies were flushed before it exited: they are here by now.
    s.setsockopt(zmq.RCVTIMEO, 500)
    while len(got) < n:
        try:
            got.add(unpack(s.recv_multipart()[1])["id"])
        except zmq.Again:
            break
    # Every request ktagd had read when the signal came was answered.
    accepted = d.wait_log(r"draining (\d+) in-flight").group(1)
    assert len(got) >= int(accepted)
    assert "drained: every accepted request was answered" in d.log_text()
