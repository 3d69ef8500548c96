"""`ktag --connect` never drops, duplicates or reorders a result, against a
daemon played by the test that misbehaves on purpose: it answers twice,
loses requests, answers late, refuses batches, or never answers a
document.  (The real failures, a killed worker and a silent one behind a
broker, are in test_broker_faults.py.)"""
import io
import json
import os
import subprocess
import tempfile
import threading

import msgpack
import pytest
import zmq

KTAG = os.environ.get("KTAG_CLI")


def pack(obj):
    return msgpack.packb(obj, use_bin_type=True)


class Daemon(threading.Thread):
    """A ROUTER that answers like ktagd: `info`, one document (`text`),
    batches (`docs`).  A document's result names its text, so that the
    test can check what was answered where.  `policy(seq_of_request,
    attempt, texts)` returns how many times to answer (0 = lose it) and
    may refuse batches."""

    def __init__(self, ctx, endpoint, policy, batches=True):
        super().__init__(daemon=True)
        self.sock = ctx.socket(zmq.ROUTER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.bind(endpoint)
        self.policy = policy
        self.batches = batches
        self.seen = {}          # request id -> times received
        self.stop = False

    def result(self, text):
        return {"ok": True, "entities": [{"type": "company", "id": text, "name": text,
                                          "text": text, "start": 0, "end": len(text),
                                          "field": "text", "attrs": {}}],
                "lexicon": "fake", "elapsed_us": 1}

    def run(self):
        while not self.stop:
            if not self.sock.poll(50):
                continue
            frames = self.sock.recv_multipart()
            envelope, body = frames[:-1], msgpack.unpackb(frames[-1], raw=False)
            rid = body.get("id")
            if body.get("op") == "info":
                self.sock.send_multipart(envelope + [pack(
                    {"id": rid, "ok": True, "max_message_size": 4 << 20})])
                continue
            attempt = self.seen.get(rid, 0)
            self.seen[rid] = attempt + 1
            if "docs" in body:
                if not self.batches:
                    reply = {"id": rid, "ok": False,
                             "error": {"code": "bad_request", "message": "missing text"}}
                    texts = None
                else:
                    texts = [d["text"] for d in body["docs"]]
                    reply = {"id": rid, "ok": True,
                             "results": [self.result(t) for t in texts]}
            else:
                texts = [body["text"]]
                reply = dict(self.result(body["text"]), id=rid)
            times = self.policy(rid, attempt, texts or [])
            for _ in range(times):
                self.sock.send_multipart(envelope + [pack(reply)])
        self.sock.close()


@pytest.fixture
def fake():
    if not KTAG or not os.access(KTAG, os.X_OK):
        pytest.skip("$KTAG_CLI does not name the ktag binary")
    ctx = zmq.Context()
    tmp = tempfile.mkdtemp(prefix="ktag-fake-", dir="/tmp")
    started = []

    def start(policy, batches=True):
        d = Daemon(ctx, "ipc://%s/d" % tmp, policy, batches)
        d.start()
        started.append(d)
        return "ipc://%s/d" % tmp, d

    yield start
    for d in started:
        d.stop = True
        d.join(5)
    ctx.term()
    os.rmdir(tmp) if not os.listdir(tmp) else None


def run(endpoint, lines, *opts):
    data = "".join(l + "\n" for l in lines).encode()
    p = subprocess.run([KTAG, "--connect", endpoint, "-i", "lines", "--timeout", "0.3",
                        *opts], input=data, capture_output=True, timeout=60)
    out = [json.loads(l) for l in p.stdout.decode().splitlines()]
    return p.returncode, out, p.stderr.decode()


def check_exactly_once(out, lines):
    assert [o["id"] for o in out] == list(range(1, len(lines) + 1))
    assert [o["entities"][0]["id"] for o in out] == lines


LINES = ["doc%d" % i for i in range(500)]


@pytest.mark.parametrize("batch", ["1", "16"])
def test_every_reply_twice_each_document_once(fake, batch):
    endpoint, d = fake(lambda rid, attempt, texts: 2)
    rc, out, err = run(endpoint, LINES, "--batch", batch)
    assert rc == 0, err
    check_exactly_once(out, LINES)


@pytest.mark.parametrize("batch", ["1", "16"])
def test_lost_and_late_replies_are_retried_once_answered_once(fake, batch):
    # The first try of every request holding a multiple of 7 is lost; the
    # second try of those is answered twice (a late reply and the retry's).
    def policy(rid, attempt, texts):
        if any(int(t[3:]) % 7 == 0 for t in texts):
            return 0 if attempt == 0 else 2
        return 1
    endpoint, d = fake(policy)
    rc, out, err = run(endpoint, LINES, "--batch", batch, "--retries", "2")
    assert rc == 0, err
    check_exactly_once(out, LINES)
    assert "sent again after a timeout" in err
    assert max(d.seen.values()) >= 2


def test_a_document_never_answered_fails_by_name_after_the_retries(fake):
    endpoint, d = fake(lambda rid, attempt, texts: 0 if "doc42" in texts else 1)
    rc, out, err = run(endpoint, LINES, "--batch", "1", "--retries", "2", "--window", "8")
    assert rc == 1
    # Everything before it answered, it an error at its place, nothing twice.
    assert [o["id"] for o in out] == list(range(1, len(out) + 1))
    assert len(out) >= 43
    assert all(o["ok"] for o in out[:42])
    assert out[42]["ok"] is False and out[42]["error"]["code"] == "timeout"
    assert "<stdin>:43: no reply from %s after 3 attempts of 0.3 s" % endpoint in err
    assert "giving up" in err and "the rest of the input was not read" in err
    assert d.seen[42] == 3


def test_batches_refused_as_a_whole_are_sent_one_by_one(fake):
    # Refusals come twice: the second must not answer the first document.
    endpoint, d = fake(lambda rid, attempt, texts: 2, batches=False)
    rc, out, err = run(endpoint, LINES, "--batch", "64")
    assert rc == 0, err
    check_exactly_once(out, LINES)
    assert "refused a batch" in err


def test_a_timeout_keeps_its_code_in_msgpack_output(fake):
    # The CLI's own error codes ("timeout") are not wire codes; msgpack
    # output must spell them as JSON output does, not as "internal".
    endpoint, d = fake(lambda rid, attempt, texts: 0 if "doc3" in texts else 1)
    data = "".join(l + "\n" for l in LINES[:10]).encode()
    p = subprocess.run([KTAG, "--connect", endpoint, "-i", "lines", "--timeout", "0.3",
                        "--batch", "1", "--retries", "0", "--format", "msgpack"],
                       input=data, capture_output=True, timeout=60)
    assert p.returncode == 1
    out = list(msgpack.Unpacker(io.BytesIO(p.stdout), raw=False))
    assert [o["ok"] for o in out[:4]] == [True, True, True, False]
    assert out[3]["id"] == 4 and out[3]["error"]["code"] == "timeout", out[3]
