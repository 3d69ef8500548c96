"""Batches (SPEC.md "Batches") against a real ktagd: `docs` instead of `text`
gives one reply {id?, ok: true, results: [...]} in input order, each entry
exactly the single-document reply; a bad document is an error entry; the
whole batch is refused only when the request itself is wrong."""
import random

import pytest
import zmq

from conftest import DOCS, found, pack, unpack


def same_reply(batch_entry, single):
    """A batch entry equals the single-document reply, key order included,
    except for the time it took."""
    a = {k: v for k, v in batch_entry.items() if k != "elapsed_us"}
    b = {k: v for k, v in single.items() if k != "elapsed_us"}
    assert list(batch_entry.keys()) == list(single.keys())
    assert a == b


def start(env, mode, threads="2", extra=()):
    """Start ktagd in `mode`; return the endpoint a REQ client talks to, or
    the (vent, sink) pair of a pipeline."""
    if mode == "bind":
        env.start("--bind", env.ipc("front"), "--threads", threads, *extra)
        return env.ipc("front")
    if mode == "connect":
        env.start("--broker", env.ipc("bf"), env.ipc("bb"), lexicons=False)
        env.start("--connect", env.ipc("bb"), "--threads", threads, *extra)
        return env.ipc("bf")
    raise ValueError(mode)


@pytest.mark.parametrize("mode,threads", [("bind", "1"), ("bind", "2"), ("connect", "1"),
                                          ("connect", "2")])
def test_batch_results_in_order_equal_single_replies(env, mode, threads):
    ep = start(env, mode, threads)
    rng = random.Random(3)
    docs = []
    for i in range(64):
        text, _ = DOCS[rng.randrange(len(DOCS))]
        doc = {"id": "d%d" % i if i % 3 else i, "text": text}
        if i % 5 == 0:
            doc["title"] = DOCS[(i // 5) % len(DOCS)][0]
        if i % 7 == 0:
            del doc["id"]
        docs.append(doc)
    r = env.request(ep, {"id": "batch-1", "docs": docs})
    assert list(r.keys()) == ["id", "ok", "results"]
    assert r["id"] == "batch-1" and r["ok"] is True
    assert len(r["results"]) == len(docs)
    for doc, entry in zip(docs, r["results"]):
        same_reply(entry, env.request(ep, doc))
        assert ("id" in entry) == ("id" in doc)
        if "id" in doc:
            assert entry["id"] == doc["id"]
    # No batch id in, none out.
    r = env.request(ep, {"docs": docs[:2]})
    assert list(r.keys()) == ["ok", "results"]


def test_bad_documents_are_error_entries(env):
    ep = start(env, "bind", extra=("--control", env.ipc("ctl")))
    docs = [
        {"id": 0, "text": "삼성전자"},
        {"id": 1, "text": ""},                          # empty
        {"id": 2},                                      # no text
        {"id": 3, "text": 42},                          # wrong type
        {"id": 4, "text": b"SK\xff".decode("latin-1").encode("latin-1")},  # bin, not str
        {"id": 5, "text": "엔비디아", "title": 7},      # bad title
        {"id": 1.5, "text": "x"},                       # bad id: no id echoed
        {"id": 7, "text": "SK하이닉스"},
    ]
    r = env.request(ep, {"id": "b", "docs": docs})
    assert r["ok"] is True
    res = r["results"]
    assert [e["ok"] for e in res] == [True, False, False, False, False, False, False, True]
    assert found(res[0]) == {("company", "005930")} and res[0]["id"] == 0
    assert found(res[7]) == {("company", "000660")} and res[7]["id"] == 7
    expected = {1: "text is empty", 2: "missing text", 3: "text must be a str, not int",
                4: "text must be a str, not bin", 5: "title must be a str, not int"}
    for i, message in expected.items():
        assert res[i]["id"] == i
        assert res[i]["error"] == {"code": "bad_request", "message": message}
        if i != 2:      # alone, a request without text may also mean a batch
            same_reply(res[i], env.request(ep, docs[i]))
    assert "id" not in res[6]
    assert res[6]["error"]["message"] == "id must be a str or an int, not float"
    st = env.request(env.ipc("ctl"), {"op": "stats"})["stats"]
    # Six error entries and the single requests that repeated four of them.
    assert st["errors"]["bad_request"] == 6 + 4
    assert st["documents"] == 2


def test_invalid_utf8_document_names_its_offset(env):
    ep = start(env, "bind")
    raw = pack({"id": "b", "docs": [{"id": "ok", "text": "삼성전자"}, {"id": "bad", "text": "x"}]})
    # Make the second text invalid UTF-8 in place (a str the sender mangled).
    raw = raw.replace(b"\xa1x", b"\xa1\xff")
    s = env.socket(zmq.REQ, ep)
    s.send(raw)
    r = unpack(s.recv())
    assert r["ok"] is True
    good, bad = r["results"]
    assert good["ok"] is True and found(good) == {("company", "005930")}
    assert bad["id"] == "bad" and bad["error"]["code"] == "bad_utf8"
    assert "at byte offset 0" in bad["error"]["message"]


@pytest.mark.parametrize("request_,message", [
    ({"id": 1, "text": "a", "docs": [{"text": "b"}]}, "not both"),
    ({"id": 1}, "missing text (one document) or docs (a batch)"),
    ({"id": 1, "docs": "삼성전자"}, "docs must be an array of maps, not str"),
    ({"id": 1, "docs": {"text": "a"}}, "docs must be an array of maps, not map"),
    ({"id": 1, "docs": []}, "docs is empty"),
    ({"id": 1, "docs": [{"text": "a"}, ["b"]]}, "docs[1] must be a map, not array"),
    ({"id": 1, "docs": [{"text": "a"}], "options": {"types": ["stock"]}}, "options.types[0]"),
])
def test_whole_batch_refusals_name_the_problem(env, request_, message):
    ep = start(env, "bind")
    r = env.request(ep, request_)
    assert r["ok"] is False and r["id"] == 1
    assert r["error"]["code"] == "bad_request"
    assert message in r["error"]["message"]
    assert "results" not in r


def test_batch_over_the_size_limit_is_too_large(env):
    ep = start(env, "bind", extra=("--max-message-size", "64K"))
    docs = [{"id": i, "text": "삼성전자 주가가 상승했다 " * 20} for i in range(120)]
    assert 65536 < len(pack({"id": "big", "docs": docs})) < 100000
    r = env.request(ep, {"id": "big", "docs": docs})
    assert r["ok"] is False and r["id"] == "big"
    assert r["error"]["code"] == "too_large"
    assert "exceeds the limit of 65536 bytes" in r["error"]["message"]
    # Just under the limit it is served.
    assert len(pack({"id": "fits", "docs": docs[:80]})) < 65536
    r = env.request(ep, {"id": "fits", "docs": docs[:80]})
    assert r["ok"] is True and len(r["results"]) == 80


def test_batch_over_the_document_limit_is_too_large(env):
    ep = start(env, "bind")
    r = env.request(ep, {"id": "many", "docs": [{"text": "a"}] * 10001})
    assert r["error"]["code"] == "too_large"
    assert "10001 documents exceeds the limit of 10000 documents" in r["error"]["message"]
    r = env.request(ep, {"id": "max", "docs": [{"text": "삼성전자"}] * 10000})
    assert r["ok"] is True and len(r["results"]) == 10000
    assert all(found(e) == {("company", "005930")} for e in r["results"])


def test_batch_options_apply_to_every_document(env):
    ep = start(env, "bind")
    docs = [{"id": i, "text": "美 SK하이닉스 CB"} for i in range(3)]
    r = env.request(ep, {"docs": docs, "options": {"sentiment": False, "offsets": "byte",
                                                   "types": ["company"]}})
    for entry in r["results"]:
        assert "sentiment" not in entry
        [e] = entry["entities"]
        assert e["id"] == "000660" and "sentiment" not in e
        assert (e["start"], e["end"]) == (len("美 ".encode()), len("美 SK하이닉스".encode()))


def test_pipeline_stage_serves_batches(env):
    vent, sink = env.pipeline()
    env.start("--pull", env.ipc("vent"), "--push", env.ipc("sink"), "--threads", "2")
    for b in range(10):
        vent.send(pack({"id": b, "docs": [{"id": i, "text": DOCS[i % len(DOCS)][0]}
                                          for i in range(b * 10, b * 10 + 10)]}))
    got = {}
    for _ in range(10):
        r = unpack(sink.recv())
        got[r["id"]] = r
    assert sorted(got) == list(range(10))
    for b, r in got.items():
        assert [e["id"] for e in r["results"]] == list(range(b * 10, b * 10 + 10))
        for e in r["results"]:
            assert found(e) == DOCS[e["id"] % len(DOCS)][1]


def test_pipelined_batches_on_a_dealer(env):
    """Many batches in flight on one DEALER: every batch comes back whole,
    its entries in order, and stats count documents, not messages."""
    ep = start(env, "bind", threads="3", extra=("--control", env.ipc("ctl")))
    s = env.socket(zmq.DEALER, ep)
    n, size = 50, 16
    for b in range(n):
        docs = [{"id": b * size + i, "text": DOCS[(b + i) % len(DOCS)][0]} for i in range(size)]
        s.send_multipart([b"", pack({"id": b, "docs": docs})])
    got = {}
    for _ in range(n):
        delim, body = s.recv_multipart()
        r = unpack(body)
        got[r["id"]] = r
    assert sorted(got) == list(range(n))
    for b, r in got.items():
        assert [e["id"] for e in r["results"]] == list(range(b * size, b * size + size))
        for i, e in enumerate(r["results"]):
            assert found(e) == DOCS[(b + i) % len(DOCS)][1]
    st = env.request(env.ipc("ctl"), {"op": "stats"})["stats"]
    assert st["documents"] == n * size and st["requests"] == n


def test_control_socket_does_not_tag_batches(env):
    start(env, "bind", extra=("--control", env.ipc("ctl")))
    r = env.request(env.ipc("ctl"), {"id": 1, "docs": [{"text": "삼성전자"}]})
    assert r["ok"] is False and r["error"]["code"] == "unsupported" and r["id"] == 1
