"""tag_many: input order over 10,000 documents, ids restored, reordered replies, windows."""

from __future__ import annotations

import itertools
import shutil
import tempfile
import threading
import time
from typing import Any, Dict, List

import msgpack
import pytest
import zmq

from ktag import Client, TagError

COMPANIES = [("SK하이닉스", "000660"), ("삼성전자", "005930"), ("엔비디아", "x:nvidia"),
             ("딥시크", "x:deepseek"), ("키움證", "039490")]


def make_doc(i: int) -> Dict[str, Any]:
    """A short document whose expected entities follow from i."""
    name, _ = COMPANIES[i % len(COMPANIES)]
    text = "%d번 기사: %s 주가 %d%% %s" % (i, name, i % 13, "급등" if i % 2 else "급락")
    if i % 3 == 0:
        text += ", CB 발행"
    return {"id": "doc-%d" % i, "text": text}


def check(i: int, result: Dict[str, Any], with_id: bool) -> None:
    doc = make_doc(i)
    if with_id:
        assert result["id"] == doc["id"]
    else:
        assert "id" not in result
    assert result["ok"] is True
    ids = [e["id"] for e in result["entities"]]
    want = [COMPANIES[i % len(COMPANIES)][1]] + (["cb"] if i % 3 == 0 else [])
    assert ids == want, (i, result)
    for e in result["entities"]:
        assert doc["text"][e["start"]:e["end"]] == e["text"]


def test_10000_documents_in_input_order(client):
    n = 10_000
    # Ids on most documents; every seventh is a bare string (no id at all).
    items = (make_doc(i)["text"] if i % 7 == 0 else make_doc(i) for i in range(n))
    start = time.monotonic()
    count = 0
    for i, result in enumerate(client.tag_many(items, window=64)):
        check(i, result, with_id=(i % 7 != 0))
        count += 1
    elapsed = time.monotonic() - start
    assert count == n
    print("\ntag_many: %d documents in %.2fs = %.0f docs/s (window 64, 2 daemon threads, ipc)"
          % (n, elapsed, n / elapsed))
    # Not a speed assertion: a bound that only a hang or a serial fallback
    # gone badly wrong could cross on any machine.
    assert elapsed < 300


@pytest.mark.parametrize("window", [1, 2, 7, 1000])
def test_windows(client, window):
    n = 300
    got = list(client.tag_many((make_doc(i) for i in range(n)), window=window))
    assert len(got) == n
    for i, r in enumerate(got):
        check(i, r, with_id=True)


@pytest.mark.parametrize("batch", [1, 5, 64])
def test_items_are_read_lazily(client, batch):
    """tag_many pulls no more than `window` requests of `batch` items ahead
    of what it yielded."""
    pulled = []

    def source():
        for i in itertools.count():
            pulled.append(i)
            yield make_doc(i)

    results = client.tag_many(source(), window=8, batch=batch)
    for i, r in zip(range(200), results):
        check(i, r, with_id=True)
        assert len(pulled) <= i + 1 + 8 * batch
    results.close()


def test_ids_of_every_kind_are_restored(client):
    items = [{"id": 0, "text": "SK하이닉스"}, {"id": -5, "text": "삼성전자"},
             {"id": 2**63 - 1, "text": "딥시크"}, {"id": "", "text": "엔비디아"},
             {"id": "같은", "text": "SK하이닉스"}, {"id": "같은", "text": "삼성전자"},
             "SK하이닉스", {"text": "키움證", "title": "딥시크"}]
    got = list(client.tag_many(items))
    assert [r.get("id", "<none>") for r in got] == [0, -5, 2**63 - 1, "", "같은", "같은",
                                                   "<none>", "<none>"]
    assert [[e["id"] for e in r["entities"]] for r in got] == [
        ["000660"], ["005930"], ["x:deepseek"], ["x:nvidia"], ["000660"], ["005930"],
        ["000660"], ["x:deepseek", "039490"]]
    assert got[-1]["entities"][0]["field"] == "title"


def test_tag_and_tag_many_interleave(client):
    """A tag() while a tag_many iteration is suspended takes nothing from it."""
    results = client.tag_many((make_doc(i) for i in range(200)), window=32)
    for i, r in enumerate(results):
        check(i, r, with_id=True)
        if i % 50 == 0:
            assert client.tag("딥시크", id="side")["entities"][0]["id"] == "x:deepseek"


def test_abandoned_iteration_leaves_the_client_usable(client):
    results = client.tag_many((make_doc(i) for i in range(500)), window=64)
    next(results)
    results.close()       # 63 requests still in flight; their replies must not leak
    for i in range(100):
        r = client.tag(make_doc(i)["text"], id=i)
        assert r["id"] == i
        assert r["entities"][0]["id"] == COMPANIES[i % len(COMPANIES)][1]


def test_bad_arguments(client):
    with pytest.raises(ValueError):
        client.tag_many(["x"], window=0)
    with pytest.raises(ValueError):
        client.tag_many(["x"], errors="ignore")
    with pytest.raises(ValueError):
        client.tag_many(["x"], batch=0)
    with pytest.raises(ValueError):
        client.tag_many(["x"], batch_bytes=0)
    with pytest.raises(TypeError):
        client.tag_many(["x"], offset="byte")
    with pytest.raises(TypeError):
        list(client.tag_many([{"id": 1}]))
    with pytest.raises(TypeError):
        list(client.tag_many([42]))
    with pytest.raises(TypeError):
        list(client.tag_many([{"id": 1.5, "text": "x"}]))


# ----------------------------------------------------------------------------
# A scripted ROUTER stands in for the daemon where the real one cannot be made
# to misbehave on demand: replies in reverse order, lost requests.

class FakeDaemon:
    """Answers one-document tag requests with {id, ok, entities: [], echo:
    text}, in groups of `batch` replied in reverse order; drops the first
    copy of every request whose text is in `drop_once`.  (Batches of
    documents: tests/python/test_batch.py.)"""

    def __init__(self, endpoint: str, batch: int = 1, drop_once=()):
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.ROUTER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.bind(endpoint)
        self.batch = batch
        self.drop_once = set(drop_once)
        self.seen: List[Any] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        held = []
        while not self.stop.is_set():
            if not self.sock.poll(20):
                if held:            # a short batch at the end
                    self._flush(held)
                    held = []
                continue
            frames = self.sock.recv_multipart()
            req = msgpack.unpackb(frames[-1], raw=False)
            self.seen.append(req.get("text"))
            if req.get("text") in self.drop_once:
                self.drop_once.discard(req["text"])
                continue
            held.append((frames[:-1], req))
            if len(held) >= self.batch:
                self._flush(held)
                held = []

    def _flush(self, held) -> None:
        for envelope, req in reversed(held):
            reply = {"id": req["id"], "ok": True, "entities": [], "echo": req["text"]}
            self.sock.send_multipart(envelope + [msgpack.packb(reply)])

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.sock.close(0)
        self.ctx.term()


@pytest.fixture()
def fake_endpoint():
    # ipc paths are short: a private directory under the system temp dir.
    d = tempfile.mkdtemp(prefix="ktag-fake-")
    yield "ipc://%s/fake.sock" % d
    shutil.rmtree(d, ignore_errors=True)


def test_out_of_order_replies_come_out_in_order(fake_endpoint):
    fake = FakeDaemon(fake_endpoint, batch=10)
    try:
        with Client(fake_endpoint, timeout=5, retries=0) as c:
            items = [{"id": "d%d" % i, "text": "t%d" % i} if i % 2 else "t%d" % i
                     for i in range(95)]
            got = list(c.tag_many(items, window=10, batch=1))
        assert [r["echo"] for r in got] == ["t%d" % i for i in range(95)]
        assert [r.get("id") for r in got] == [("d%d" % i if i % 2 else None) for i in range(95)]
        assert all(list(r)[0] == "id" for r in got if "id" in r)
        # The fake really did answer out of order: it saw requests in order.
        assert fake.seen == ["t%d" % i for i in range(95)]
    finally:
        fake.close()


def test_lost_requests_are_sent_again(fake_endpoint):
    """Requests lost on the way (a dead worker) cost a timeout and a retry each round."""
    fake = FakeDaemon(fake_endpoint, batch=1, drop_once={"t3", "t17"})
    try:
        with Client(fake_endpoint, timeout=0.3, retries=2) as c:
            got = list(c.tag_many(("t%d" % i for i in range(40)), window=8, batch=1))
            assert [r["echo"] for r in got] == ["t%d" % i for i in range(40)]
            assert c.retried >= 2
            assert c.tag("t-single")["echo"] == "t-single"
        assert fake.seen.count("t3") == 2 and fake.seen.count("t17") == 2
    finally:
        fake.close()


def test_error_in_the_middle(client):
    items = [make_doc(0), {"id": "bad", "text": b"ok \xc3\x28 no"}, make_doc(2)]
    got = list(client.tag_many(items, errors="return"))
    check(0, got[0], with_id=True)
    assert got[1] == {"id": "bad", "ok": False,
                      "error": {"code": "bad_utf8", "message": got[1]["error"]["message"]}}
    check(2, got[2], with_id=True)

    seen = []
    with pytest.raises(TagError) as info:
        for r in client.tag_many(items):
            seen.append(r["id"])
    assert seen == ["doc-0"]
    assert info.value.code == "bad_utf8" and info.value.id == "bad"
