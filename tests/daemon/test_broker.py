"""ktagd --broker with three ktagd --connect workers: one is killed mid-run
and a retrying client still gets every answer, each one right."""
import random
import signal
import time

import zmq

from conftest import DOCS, found, pack, unpack


def test_broker_three_workers_one_killed_retrying_client_gets_every_answer(env):
    broker = env.start("--broker", env.ipc("front"), env.ipc("back"), "--control",
                       env.ipc("ctl"), "--drain-timeout", "1", lexicons=False)
    workers = [env.start("--connect", env.ipc("back"), "--threads", "1") for _ in range(3)]

    s = env.socket(zmq.DEALER, env.ipc("front"))
    n, window, retry_after = 600, 30, 1.0
    rng = random.Random(3)
    plan = [rng.randrange(len(DOCS)) for _ in range(n)]
    texts = [(DOCS[k][0] + " ") * 200 for k in range(len(DOCS))]
    sent_at, attempts, answers = {}, {}, {}
    next_id, retries, killed, stopped_at = 0, 0, None, None
    deadline = time.monotonic() + 150
    while len(answers) < n:
        assert time.monotonic() < deadline, "not every request answered in 150 s"
        now = time.monotonic()
        # Lazy-pirate style: resend what has been unanswered too long, with
        # a backoff so that a slow (not dead) worker is not buried in copies.
        for i, t in list(sent_at.items()):
            if now - t > retry_after * 2 ** attempts.get(i, 0):
                s.send_multipart([b"", pack({"id": i, "text": texts[plan[i]]})])
                sent_at[i] = now
                attempts[i] = attempts.get(i, 0) + 1
                retries += 1
        while next_id < n and len(sent_at) < window:
            s.send_multipart([b"", pack({"id": next_id, "text": texts[plan[next_id]]})])
            sent_at[next_id] = time.monotonic()
            next_id += 1
        if s.poll(100, zmq.POLLIN):
            r = unpack(s.recv_multipart()[1])
            assert r["ok"], r
            i = r["id"]
            # A late reply to a retried request may come twice: same answer.
            assert found(r) == DOCS[plan[i]][1], (i, r)
            answers[i] = r
            sent_at.pop(i, None)
        # Freeze one worker first, so that requests certainly pile up in it
        # whatever the speed of this machine, then kill it.
        if stopped_at is None and len(answers) >= n // 5:
            workers[1].send_signal(signal.SIGSTOP)
            stopped_at = time.monotonic()
        if killed is None and stopped_at is not None and time.monotonic() - stopped_at > 0.3:
            killed = workers[1]
            killed.proc.kill()
            killed.proc.wait()
    assert sorted(answers) == list(range(n))
    assert killed is not None
    assert retries > 0, "no request was lost with the killed worker: the test proved nothing"

    st = env.request(env.ipc("ctl"), {"op": "stats"})["stats"]
    assert st["requests"] >= n + retries
    assert env.request(env.ipc("ctl"), {"op": "info"})["mode"] == "broker"
    for w in (workers[0], workers[2]):
        assert w.stop() == 0
    # Requests lost with the killed worker never come back: the broker
    # forgot them with the worker, so its drain ends at once.
    assert broker.stop(signal.SIGTERM) == 0
