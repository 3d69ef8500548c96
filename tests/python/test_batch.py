"""tag_many sends batches (SPEC.md "Batches"): by default 64 documents or
1 MiB a request, results in input order, Lazy Pirate retries per batch with
no document dropped or answered twice, a batch refused as too large sent
again document by document."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from typing import Any, Dict, List, Optional

import msgpack
import pytest
import zmq

from ktag import Client, TagError
from test_tag_many import check, make_doc


def requests_served(client: Client) -> int:
    return client.stats()["requests"]


def test_default_is_batches_of_64(daemons):
    d = daemons.bind()
    with Client(d.endpoint, timeout=10) as c:
        before = requests_served(c)
        got = list(c.tag_many(make_doc(i) for i in range(1000)))
        assert len(got) == 1000
        for i, r in enumerate(got):
            check(i, r, with_id=True)
        # 16 batches (15 of 64, one of 40), the info asked once, and the
        # stats request itself.
        assert requests_served(c) - before == 16 + 1 + 1
        assert c.stats()["documents"] == 1000


@pytest.mark.parametrize("batch", [1, 2, 7, 64, 500])
def test_batch_sizes_give_the_same_results_as_single_requests(client, batch):
    items = [make_doc(i) if i % 4 else make_doc(i)["text"] for i in range(300)]
    got = list(client.tag_many(items, window=3, batch=batch))
    assert len(got) == 300
    for i, r in enumerate(got):
        check(i, r, with_id=bool(i % 4))
    # Exactly the reply tag() gives, but for the time it took.
    for i in (0, 1, 150, 299):
        single = client.tag(make_doc(i)["text"], id=make_doc(i)["id"] if i % 4 else None)
        assert {k: v for k, v in single.items() if k != "elapsed_us"} == \
            {k: v for k, v in got[i].items() if k != "elapsed_us"}


def test_batches_are_cut_at_batch_bytes(daemons):
    d = daemons.bind()
    with Client(d.endpoint, timeout=10) as c:
        c.info()
        before = requests_served(c)
        text = "SK하이닉스 " + "가" * 330       # 1,005 bytes of UTF-8
        assert len(text.encode()) == 1005
        got = list(c.tag_many([text] * 100, batch=64, batch_bytes=5000))
        assert [r["entities"][0]["id"] for r in got] == ["000660"] * 100
        # Five documents reach 5,025 bytes: 20 requests.
        assert requests_served(c) - before == 20 + 1 + 1


def test_bad_documents_fail_alone_inside_a_batch(client):
    items = [make_doc(0), {"id": "bad", "text": b"ok \xc3\x28 no"}, make_doc(2),
             {"id": "empty", "text": ""}, make_doc(4)]
    got = list(client.tag_many(items, errors="return"))
    check(0, got[0], with_id=True)
    assert got[1]["id"] == "bad" and got[1]["error"]["code"] == "bad_utf8"
    check(2, got[2], with_id=True)
    assert got[3] == {"id": "empty", "ok": False,
                      "error": {"code": "bad_request", "message": "text is empty"}}
    check(4, got[4], with_id=True)

    seen = []
    with pytest.raises(TagError) as info:
        for r in client.tag_many(items):
            seen.append(r["id"])
    assert seen == ["doc-0"]
    assert info.value.code == "bad_utf8" and info.value.id == "bad"


def test_a_batch_too_large_for_the_daemon_goes_again_one_by_one(daemons):
    """--max-message-size 64K: the client reads the limit (info) and cuts
    batches at half of it; a batch_bytes the caller set past that is
    lowered, and a single document over the limit fails alone."""
    d = daemons.bind(extra=["--max-message-size", "64K"])
    text = "삼성전자 " + "나" * 3000                  # ~9 KB
    huge = "SK하이닉스 " + "다" * 30000                # ~90 KB: over 64K, under 128K
    items = [{"id": i, "text": text} for i in range(20)]
    items.insert(7, {"id": "huge", "text": huge})
    with Client(d.endpoint, timeout=10) as c:
        got = list(c.tag_many(items, batch=64, batch_bytes=1 << 20, errors="return"))
        assert [r["id"] for r in got] == [r["id"] for r in items]
        for r in got:
            if r["id"] == "huge":
                assert r["ok"] is False and r["error"]["code"] == "too_large"
            else:
                assert r["ok"] is True and r["entities"][0]["id"] == "005930"
        assert c.stats()["errors"]["too_large"] >= 1


# ----------------------------------------------------------------------------
# A scripted ROUTER that serves batches, where the real daemon cannot be made
# to lose or delay one on demand.

class FakeBatchDaemon:
    """Answers a batch with {id, ok, results: [{ok, entities: [], echo}...]}.
    `drop_once`: texts whose batch is dropped the first time it comes;
    `delay_once`: texts whose batch is answered `delay` seconds late the
    first time (after the client sent it again: both copies are answered);
    `no_batches`: answer a batch as a ktagd without batches would."""

    def __init__(self, endpoint: str, drop_once=(), delay_once=(), delay: float = 0.0,
                 no_batches: bool = False):
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.ROUTER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.bind(endpoint)
        self.drop_once = set(drop_once)
        self.delay_once = set(delay_once)
        self.delay = delay
        self.no_batches = no_batches
        self.seen: List[List[Optional[str]]] = []
        self.late: List[Any] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _reply(self, req: Dict[str, Any]) -> Dict[str, Any]:
        if req.get("op") == "info":
            return {"id": req["id"], "ok": True, "max_message_size": 4 << 20}
        if "docs" in req:
            if self.no_batches:
                return {"id": req["id"], "ok": False,
                        "error": {"code": "bad_request", "message": "missing text"}}
            return {"id": req["id"], "ok": True,
                    "results": [{"ok": True, "entities": [], "echo": d["text"]}
                                for d in req["docs"]]}
        return {"id": req["id"], "ok": True, "entities": [], "echo": req["text"]}

    def _run(self) -> None:
        while not self.stop.is_set():
            now = time.monotonic()
            for item in [x for x in self.late if x[0] <= now]:
                self.late.remove(item)
                self.sock.send_multipart(item[1])
            if not self.sock.poll(10):
                continue
            frames = self.sock.recv_multipart()
            req = msgpack.unpackb(frames[-1], raw=False)
            texts = [d.get("text") for d in req.get("docs", [])] or [req.get("text")]
            self.seen.append(texts)
            out = frames[:-1] + [msgpack.packb(self._reply(req))]
            if self.drop_once & set(texts):
                self.drop_once -= set(texts)
                continue
            if self.delay_once & set(texts):
                self.delay_once -= set(texts)
                self.late.append((now + self.delay, out))
                continue
            self.sock.send_multipart(out)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.sock.close(0)
        self.ctx.term()


@pytest.fixture()
def fake_endpoint():
    d = tempfile.mkdtemp(prefix="ktag-fakeb-")
    yield "ipc://%s/fake.sock" % d
    shutil.rmtree(d, ignore_errors=True)


def test_a_lost_batch_is_sent_again_whole(fake_endpoint):
    fake = FakeBatchDaemon(fake_endpoint, drop_once={"t70", "t300"})
    try:
        with Client(fake_endpoint, timeout=0.3, retries=2) as c:
            got = list(c.tag_many(("t%d" % i for i in range(400)), window=4, batch=64))
            assert [r["echo"] for r in got] == ["t%d" % i for i in range(400)]
            assert c.retried >= 1
        batches = [b for b in fake.seen if b != [None]]     # [None]: the info request
        # The batches holding t70 and t300 came again, whole (a retry also
        # resends whatever else is in flight then, so "at least").
        for text, first in (("t70", 64), ("t300", 256)):
            copies = [b for b in batches if text in b]
            assert len(copies) >= 2
            assert all(b == ["t%d" % i for i in range(first, first + 64)] for b in copies)
    finally:
        fake.close()


def test_a_late_batch_reply_is_not_a_duplicate(fake_endpoint):
    """A batch answered after the client gave up on it and sent it again:
    both replies come, each document comes out once."""
    fake = FakeBatchDaemon(fake_endpoint, delay_once={"t5"}, delay=0.5)
    try:
        with Client(fake_endpoint, timeout=0.3, retries=3) as c:
            got = list(c.tag_many(("t%d" % i for i in range(200)), window=2, batch=10))
            assert [r["echo"] for r in got] == ["t%d" % i for i in range(200)]
            assert c.retried >= 1
            time.sleep(0.4)                       # the late reply arrives now
            assert c.tag("after")["echo"] == "after"
    finally:
        fake.close()


def test_a_daemon_without_batches_gets_single_requests(fake_endpoint):
    fake = FakeBatchDaemon(fake_endpoint, no_batches=True)
    try:
        with Client(fake_endpoint, timeout=2, retries=0) as c:
            got = list(c.tag_many(({"id": i, "text": "t%d" % i} for i in range(30)), batch=8))
            assert [(r["id"], r["echo"]) for r in got] == [(i, "t%d" % i) for i in range(30)]
    finally:
        fake.close()


def test_a_batch_refused_whole_fails_each_of_its_documents(daemons):
    """overloaded with no retries left: every document of the batch carries
    the error, with its own id."""
    d = daemons.bind(threads=2, extra=["--max-pending", "1"])
    heavy = "가나다라마바사 " * 100_000
    with Client(d.endpoint, timeout=10, retries=0) as c:
        items = [heavy, heavy] + [{"id": i, "text": "삼성전자"} for i in range(200)]
        got = list(c.tag_many(items, window=16, batch=8, errors="return"))
        assert len(got) == 202
        refused = [r for r in got if not r["ok"]]
        assert refused, "nothing was refused: the test did not overload the daemon"
        assert all(r["error"]["code"] == "overloaded" for r in refused)
        assert [r["id"] for r in got[2:]] == list(range(200))
