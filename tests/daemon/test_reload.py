"""Lexicon reloads (control `reload` and SIGHUP) swap atomically while
requests are served; a broken lexicon keeps the old one and says why."""
import os
import signal
import threading

import zmq

from conftest import found, pack, unpack

NEW_ROW = "company\t999999\t테스트전자\t\t\tKOSDAQ\n"
NEW_DOC = "테스트전자 주가 상승, 삼성전자 강세"


def write_entities(env, extra=""):
    """Rewrite entities.tsv atomically (a reload never sees half a file)."""
    path = os.path.join(env.lexicons, "entities.tsv")
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "lexicons",
                           "entities.tsv"), encoding="utf-8") as f:
        base = f.read()
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(base + extra)
    os.replace(tmp, path)


def expected_for(text, has_new):
    e = {("company", "005930")} if "삼성전자" in text else set()
    if "엔비디아" in text:
        e.add(("company", "x:nvidia"))
    if has_new and "테스트전자" in text:
        e.add(("company", "999999"))
    return e


def test_reload_under_traffic_no_lost_or_mismatched_reply(env):
    d = env.start("--bind", env.ipc("front"), "--control", env.ipc("ctl"), "--threads", "2")
    v1 = env.request(env.ipc("ctl"), {"op": "info"})["lexicon"]["version"]
    texts = [NEW_DOC, "엔비디아 강세", "삼성전자 하락", "테스트전자"]
    n = 6000
    replies = {}
    errors = []

    def client():
        try:
            s = env.ctx.socket(zmq.DEALER)
            s.setsockopt(zmq.LINGER, 0)
            s.setsockopt(zmq.RCVTIMEO, 10000)
            s.connect(env.ipc("front"))
            sent = 0
            while len(replies) < n:
                while sent < n and sent - len(replies) < 64:
                    s.send_multipart([b"", pack({"id": sent, "text": texts[sent % len(texts)]})])
                    sent += 1
                r = unpack(s.recv_multipart()[1])
                if r["id"] in replies:
                    errors.append("duplicate reply %r" % r["id"])
                replies[r["id"]] = r
            s.close()
        except Exception as e:          # reported by the main thread
            errors.append(repr(e))

    t = threading.Thread(target=client)
    t.start()
    versions = {v1}
    ctl = env.socket(zmq.REQ, env.ipc("ctl"))
    swaps = 0
    while t.is_alive() or swaps < 4:
        write_entities(env, NEW_ROW if swaps % 2 == 0 else "")
        ctl.send(pack({"op": "reload", "id": swaps}))
        r = unpack(ctl.recv())
        assert r["ok"] and r["id"] == swaps, r
        versions.add(r["lexicon"]["version"])
        swaps += 1
    t.join(60)
    assert not errors, errors[:5]
    assert sorted(replies) == list(range(n))
    assert len(versions) == 2
    v2 = (versions - {v1}).pop()
    seen = set()
    for i, r in replies.items():
        assert r["ok"], r
        assert r["lexicon"] in versions
        seen.add(r["lexicon"])
        # The entities must be those of the lexicon the reply names.
        assert found(r) == expected_for(texts[i % len(texts)], r["lexicon"] == v2), (i, r)
    assert seen == {v1, v2}, "traffic did not span a reload (%d swaps)" % swaps
    st = env.request(env.ipc("ctl"), {"op": "stats"})["stats"]
    assert st["reloads"] == swaps and st["reload_failures"] == 0
    assert d.stop() == 0


def test_sighup_reloads(env):
    d = env.start("--bind", env.ipc("front"), "--threads", "1")
    r = env.request(env.ipc("front"), {"text": NEW_DOC})
    assert found(r) == {("company", "005930")}
    v1 = r["lexicon"]
    write_entities(env, NEW_ROW)
    d.send_signal(signal.SIGHUP)
    d.wait_log(r"reloaded lexicons from \S+: \S+ -> \S+")
    r = env.request(env.ipc("front"), {"text": NEW_DOC})
    assert found(r) == {("company", "005930"), ("company", "999999")}
    assert r["lexicon"] != v1
    assert d.stop() == 0


def test_broken_lexicon_keeps_the_old_one(env):
    d = env.start("--bind", env.ipc("front"), "--control", env.ipc("ctl"), "--threads", "1")
    v1 = env.request(env.ipc("ctl"), {"op": "info"})["lexicon"]["version"]
    write_entities(env, "chp\th900\tH900\t\t\t\n")       # line 11: unknown type
    r = env.request(env.ipc("ctl"), {"op": "reload", "id": "broken"})
    assert r["id"] == "broken" and r["ok"] is False
    assert r["error"]["code"] == "internal"
    msg = r["error"]["message"]
    assert msg.startswith("reload failed, still serving " + v1)
    assert "entities.tsv:11" in msg, msg
    # Still serving the old lexicon.
    r = env.request(env.ipc("front"), {"text": "엔비디아"})
    assert r["ok"] and r["lexicon"] == v1 and found(r) == {("company", "x:nvidia")}
    assert env.request(env.ipc("ctl"), {"op": "info"})["lexicon"]["version"] == v1
    # SIGHUP with the same broken file: logged, still serving.
    d.send_signal(signal.SIGHUP)
    d.wait_log(r"reload of \S+ failed, still serving \S+: .*entities\.tsv:11", count=2)
    st = env.request(env.ipc("ctl"), {"op": "stats"})["stats"]
    assert st["reload_failures"] == 2 and "entities.tsv:11" in st["last_reload_error"]
    assert st["lexicon"]["version"] == v1
    # Fixing the file and reloading brings the new entity in.
    write_entities(env, NEW_ROW)
    r = env.request(env.ipc("ctl"), {"op": "reload"})
    assert r["ok"] and r["lexicon"]["version"] != v1
    assert found(env.request(env.ipc("front"), {"text": "테스트전자"})) == {("company", "999999")}
    assert d.stop() == 0


def test_concurrent_reload_requests_all_answered(env):
    """Several control clients ask at once: each gets an answer from a
    reload that started after its request."""
    d = env.start("--bind", env.ipc("front"), "--control", env.ipc("ctl"))
    socks = [env.socket(zmq.DEALER, env.ipc("ctl")) for _ in range(8)]
    for i, s in enumerate(socks):
        s.send_multipart([b"", pack({"op": "reload", "id": i})])
    for i, s in enumerate(socks):
        r = unpack(s.recv_multipart()[-1])
        assert r["id"] == i and r["ok"]
    assert d.stop() == 0
