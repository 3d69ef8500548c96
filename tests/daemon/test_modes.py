"""Every socket mode of ktagd, end to end against a real daemon."""
import os
import re
import random
import signal
import socket
import subprocess

import pytest
import zmq

from conftest import DOCS, KTAGD, found, pack, unpack

SUCCESS_KEYS = ["id", "ok", "entities", "sentiment", "events", "lexicon", "elapsed_us"]
ENTITY_KEYS = ["type", "id", "name", "text", "start", "end", "field", "sentiment", "attrs"]


def test_bind_req_client_gets_schema_in_order(env):
    d = env.start("--bind", env.ipc("front"), "--threads", "2")
    r = env.request(env.ipc("front"), {"id": "a1", "text": "SK하이닉스 주가가 하락했다"})
    assert list(r.keys()) == SUCCESS_KEYS
    assert r["id"] == "a1" and r["ok"] is True
    [e] = r["entities"]
    assert list(e.keys()) == ENTITY_KEYS
    assert (e["type"], e["id"], e["name"], e["text"]) == ("company", "000660", "SK하이닉스", "SK하이닉스")
    assert (e["start"], e["end"], e["field"]) == (0, 6, "text")
    assert e["attrs"] == {"market": "KOSPI"}
    assert set(r["sentiment"].keys()) == {"score", "label", "positive", "negative"}
    assert r["lexicon"].startswith("test-1+")
    assert isinstance(r["elapsed_us"], int)
    # No id in, no id out.
    r = env.request(env.ipc("front"), {"text": "엔비디아"})
    assert "id" not in r and r["ok"] is True
    assert d.stop() == 0


def test_bind_tcp_free_loopback_port(env):
    d = env.start("--bind", "tcp://127.0.0.1:*", "--threads", "1")
    endpoint = d.bound("front")
    assert endpoint.startswith("tcp://127.0.0.1:")
    for text, expected in DOCS:
        assert found(env.request(endpoint, {"id": 1, "text": text})) == expected
    assert d.stop() == 0


def test_default_bind_is_loopback_5555(env):
    probe = socket.socket()
    try:
        probe.bind(("127.0.0.1", 5555))
    except OSError:
        pytest.skip("port 5555 is busy on this machine")
    finally:
        probe.close()
    d = env.start("--threads", "1")
    assert d.bound("front") == "tcp://127.0.0.1:5555"
    assert d.stop() == 0


def test_title_and_integer_id_and_int64(env):
    env.start("--bind", env.ipc("front"))
    r = env.request(env.ipc("front"), {"id": -5, "title": "CB를 발행", "text": "삼성전자"})
    assert r["id"] == -5
    fields = {(e["id"], e["field"]) for e in r["entities"]}
    assert fields == {("cb", "title"), ("005930", "text")}
    # Title mentions come first.
    assert r["entities"][0]["field"] == "title"
    r = env.request(env.ipc("front"), {"id": 2**64 - 1, "text": "삼성전자"})
    assert r["id"] == 2**64 - 1


@pytest.mark.parametrize("threads", ["1", "2", "3"])
def test_dealer_pipelined_replies_matched_by_id(env, threads):
    """A DEALER keeps many requests in flight; with several workers replies
    may come out of order and each must carry the answer for its own id.
    One thread is the inline mode (the main loop tags)."""
    d = env.start("--bind", env.ipc("front"), "--threads", threads)
    assert ("(inline)" in d.log_text()) == (threads == "1")
    s = env.socket(zmq.DEALER, env.ipc("front"))
    n, window, sent, got = 2000, 100, 0, {}
    rng = random.Random(7)
    plan = [rng.randrange(len(DOCS)) for _ in range(n)]
    while len(got) < n:
        while sent < n and sent - len(got) < window:
            s.send_multipart([b"", pack({"id": sent, "text": DOCS[plan[sent]][0]})])
            sent += 1
        delim, body = s.recv_multipart()
        assert delim == b""
        r = unpack(body)
        assert r["ok"] and r["id"] not in got
        got[r["id"]] = r
    for i, r in got.items():
        assert found(r) == DOCS[plan[i]][1], i


def test_dealer_without_delimiter_frame(env):
    """A DEALER that sends the bare request gets the bare reply."""
    env.start("--bind", env.ipc("front"))
    s = env.socket(zmq.DEALER, env.ipc("front"))
    s.send(pack({"id": "x", "text": "엔비디아는"}))
    [body] = s.recv_multipart()
    r = unpack(body)
    assert r["id"] == "x" and found(r) == {("company", "x:nvidia")}


def test_ops_ping_info_stats(env):
    env.start("--bind", env.ipc("front"), "--threads", "3")
    ep = env.ipc("front")
    assert env.request(ep, {"op": "ping", "id": 9}) == {"id": 9, "ok": True, "pong": True}
    info = env.request(ep, {"op": "info"})
    assert info["ok"] and info["protocol"] == 1 and info["mode"] == "bind"
    assert info["threads"] == 3 and info["max_message_size"] == 4 << 20
    assert info["lexicon"]["version"].startswith("test-1+")
    assert info["lexicon"]["entities"] == {"company": 3, "org": 1, "chip": 2, "funding": 2}
    for text, _ in DOCS:
        env.request(ep, {"text": text})
    env.request(ep, {"text": ""})           # bad_request
    env.request(ep, b"\x93\x01\x02\x03")    # bad_request (not a map)
    env.request(ep, {"op": "fly"})          # unsupported
    st = env.request(ep, {"op": "stats", "id": "s"})["stats"]
    assert st["documents"] == len(DOCS)
    assert st["errors"]["bad_request"] == 2 and st["errors"]["unsupported"] == 1
    assert st["requests"] == 2 + len(DOCS) + 3 + 1
    assert st["bytes_in"] > 0 and st["bytes_out"] > 0
    assert st["latency_us"]["count"] >= len(DOCS) + 3
    assert 0 <= st["latency_us"]["p50"] <= st["latency_us"]["p99"] <= st["latency_us"]["max"]
    assert st["uptime_s"] > 0 and st["docs_per_sec"] > 0
    assert st["lexicon"]["entities"]["company"] == 3
    assert set(st["errors"]) == {"bad_request", "bad_utf8", "too_large", "unsupported",
                                 "overloaded", "internal"}


def test_options(env):
    env.start("--bind", env.ipc("front"))
    ep = env.ipc("front")
    text = "美 SK하이닉스 CB"
    r = env.request(ep, {"text": text, "options": {"sentiment": False}})
    assert "sentiment" not in r and all("sentiment" not in e for e in r["entities"])
    r = env.request(ep, {"text": text, "options": {"types": ["funding"]}})
    assert found(r) == {("funding", "cb")}
    r = env.request(ep, {"text": text, "options": {"offsets": "byte"}})
    sk = [e for e in r["entities"] if e["id"] == "000660"][0]
    assert (sk["start"], sk["end"]) == (len("美 ".encode()), len("美 SK하이닉스".encode()))
    r = env.request(ep, {"text": "𝐀 SK하이닉스", "options": {"offsets": "utf16"}})
    assert (r["entities"][0]["start"], r["entities"][0]["end"]) == (3, 9)
    r = env.request(ep, {"text": text, "options": {"overlaps": True}})
    assert ("company", "000660") in found(r)
    assert [e["text"] for e in r["entities"]].count("하이닉스") == 1
    r = env.request(ep, {"text": "주가 강세. 악재", "options": {"explain": True}})
    assert list(r.keys()) == ["ok", "entities", "sentiment", "events", "sentences", "explain",
                              "lexicon", "elapsed_us"]
    assert len(r["sentences"]) >= 1 and isinstance(r["explain"], list)


def test_broker_and_connect_workers(env):
    broker = env.start("--broker", env.ipc("bfront"), env.ipc("bback"), lexicons=False)
    w1 = env.start("--connect", env.ipc("bback"), "--threads", "1")
    w2 = env.start("--connect", env.ipc("bback"), "--threads", "1")
    info = env.request(env.ipc("bfront"), {"op": "info"})
    assert info["mode"] == "connect"
    for i, (text, expected) in enumerate(DOCS * 4):
        r = env.request(env.ipc("bfront"), {"id": i, "text": text})
        assert r["id"] == i and found(r) == expected
    assert w1.stop() == 0 and w2.stop() == 0 and broker.stop() == 0


def test_pipeline_pull_push(env):
    """ventilator (PUSH, bound) -> ktagd --pull/--push -> sink (PULL, bound)."""
    vent, sink = env.pipeline()
    d = env.start("--pull", env.ipc("vent"), "--push", env.ipc("sink"), "--threads", "2")
    n = 300
    for i in range(n):
        vent.send(pack({"id": i, "text": DOCS[i % len(DOCS)][0]}))
    vent.send(b"\xc1 not msgpack")
    vent.send(pack({"id": "bad", "text": 42}))
    got, errors = {}, []
    for _ in range(n + 2):
        r = unpack(sink.recv())
        if r["ok"]:
            got[r["id"]] = r
        else:
            errors.append(r)
    assert sorted(got) == list(range(n))
    for i, r in got.items():
        assert found(r) == DOCS[i % len(DOCS)][1]
    assert sorted(e["error"]["code"] for e in errors) == ["bad_request", "bad_request"]
    assert [e.get("id") for e in errors if "id" in e] == ["bad"]
    assert d.stop() == 0


def test_pipeline_bind_syntax(env):
    """@EP binds: here ktagd binds both ends and the test connects."""
    d = env.start("--pull", "@" + env.ipc("in"), "--push", "@" + env.ipc("out"))
    vent = env.socket(zmq.PUSH, env.ipc("in"))
    sink = env.socket(zmq.PULL, env.ipc("out"))
    vent.send(pack({"id": 1, "text": "엔비디아"}))
    assert found(unpack(sink.recv())) == {("company", "x:nvidia")}
    assert d.stop() == 0


def test_control_socket(env):
    d = env.start("--bind", env.ipc("front"), "--control", env.ipc("ctl"))
    assert env.request(env.ipc("ctl"), {"op": "ping"}) == {"ok": True, "pong": True}
    st = env.request(env.ipc("ctl"), {"op": "stats", "id": 1})
    assert st["id"] == 1 and "requests" in st["stats"]
    r = env.request(env.ipc("ctl"), {"op": "reload", "id": "r"})
    assert r["id"] == "r" and r["ok"] and r["lexicon"]["version"].startswith("test-1+")
    r = env.request(env.ipc("ctl"), {"text": "삼성전자"})
    assert r["ok"] is False and r["error"]["code"] == "unsupported"
    r = env.request(env.ipc("front"), {"op": "reload"})
    assert r["ok"] is False and r["error"]["code"] == "unsupported"
    assert d.stop() == 0


def test_config_file_and_flags_override(env):
    conf = os.path.join(env.dir, "ktagd.conf")
    with open(conf, "w") as f:
        f.write("# test config\nbind = %s\nthreads = 3\nmax-message-size = 64K\n"
                "log-level debug\n" % env.ipc("conf"))
    d = env.start("--config", conf, "--threads", "2")
    info = env.request(env.ipc("conf"), {"op": "info"})
    assert info["threads"] == 2                      # the flag wins
    assert info["max_message_size"] == 65536         # from the file
    assert d.stop() == 0

    with open(conf, "w") as f:
        f.write("bind = %s\nthreds = 3\n" % env.ipc("conf"))
    p = subprocess.run([KTAGD, "--config", conf], capture_output=True, timeout=10)
    assert p.returncode == 2
    assert b"ktagd.conf:2: unknown key 'threds'" in p.stderr


def test_usage_errors_exit_2(env):
    for args in (["--bind", "ipc://x", "--connect", "ipc://y"], ["--pull", "ipc://x"],
                 ["--threads", "0"], ["--max-message-size", "huge"], ["--bogus"],
                 ["--log-level", "loud"], ["--curve-secret-key", "/nonexistent"],
                 ["--curve-allow", "/tmp"]):
        p = subprocess.run([KTAGD] + args, capture_output=True, timeout=10)
        assert p.returncode == 2, args
    p = subprocess.run([KTAGD, "--help"], capture_output=True, timeout=10)
    assert p.returncode == 0 and b"--broker FRONT BACK" in p.stdout


def test_check_warns_about_reachable_binds(env):
    """--check reports what the server would log about exposure: loopback
    and ipc are quiet, a wildcard bind without CURVE gets a warning."""
    p = subprocess.run([KTAGD, "--check", "--bind", "tcp://0.0.0.0:5999", "-L", env.lexicons],
                       capture_output=True, timeout=10)
    assert p.returncode == 0
    assert b"reachable from other hosts without encryption" in p.stderr
    assert b"--curve-secret-key" in p.stderr
    p = subprocess.run([KTAGD, "--check", "--bind", "tcp://127.0.0.1:5999", "--control",
                        env.ipc("c"), "-L", env.lexicons], capture_output=True, timeout=10)
    assert p.returncode == 0 and b"warning" not in p.stderr


def test_info_reports_curve_off(env):
    env.start("--bind", env.ipc("front"))
    assert env.request(env.ipc("front"), {"op": "info"})["curve"] is False


def test_missing_lexicon_fails_at_start(env):
    p = subprocess.run([KTAGD, "--bind", env.ipc("x"), "--lexicons", "/nonexistent/lex"],
                       capture_output=True, timeout=10)
    assert p.returncode == 1
    assert b"cannot load lexicons from /nonexistent/lex" in p.stderr


def test_sigint_stops_cleanly(env):
    d = env.start("--bind", env.ipc("front"))
    env.request(env.ipc("front"), {"text": "삼성전자"})
    assert d.stop(signal.SIGINT) == 0
    assert "drained" in d.log_text()


def test_overloaded_beyond_max_pending(env):
    """--bind: with --max-pending requests already queued to the workers, a
    new one is answered `overloaded` at once (with its id) instead of
    queueing without bound; every request still gets exactly one reply."""
    env.start("--bind", env.ipc("front"), "--threads", "2", "--max-pending", "4",
              "--control", env.ipc("ctl"))
    heavy = "삼성전자 주가가 상승했다. 엔비디아는 H800으로 강세. " * 1000
    s = env.socket(zmq.DEALER, env.ipc("front"))
    n = 100
    for i in range(n):
        s.send_multipart([b"", pack({"id": i, "text": heavy})])
    ok, overloaded = set(), set()
    for _ in range(n):
        r = unpack(s.recv_multipart()[1])
        if r["ok"]:
            ok.add(r["id"])
        else:
            assert r["error"]["code"] == "overloaded", r
            assert "--max-pending" in r["error"]["message"]
            overloaded.add(r["id"])
    assert ok | overloaded == set(range(n)) and not ok & overloaded
    assert len(ok) >= 4 and len(overloaded) > 0
    st = env.request(env.ipc("ctl"), {"op": "stats"})["stats"]
    assert st["errors"]["overloaded"] == len(overloaded)
    assert st["in_flight"] == 0


LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (error|warning|info|debug) ktagd: \S.*$")


def test_log_lines_and_levels(env):
    d = env.start("--bind", env.ipc("front"), "--log-level", "debug")
    env.request(env.ipc("front"), {"id": 1, "text": ""})
    env.request(env.ipc("front"), b"\xc1")
    assert d.stop() == 0
    lines = d.log_text().splitlines()
    assert lines and all(LOG_LINE.match(l) for l in lines), lines
    assert any(" debug ktagd: request refused: bad_request: text is empty" in l for l in lines)

    d = env.start("--bind", env.ipc("quiet"), "--log-level", "error", wait_ready=False)
    assert env.request(env.ipc("quiet"), {"op": "ping"})["pong"] is True
    assert d.stop() == 0
    assert d.log_text() == ""


def test_journald_lines_have_no_timestamp(env):
    os.environ["JOURNAL_STREAM"] = "8:12345"
    try:
        d = env.start("--bind", env.ipc("front"))
    finally:
        del os.environ["JOURNAL_STREAM"]
    assert d.stop() == 0
    lines = d.log_text().splitlines()
    assert lines and all(re.match(r"^(error|warning|info|debug) ktagd: ", l) for l in lines), lines


def test_example_config_is_valid(env):
    example = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "daemon",
                           "ktagd.conf.example")
    p = subprocess.run([KTAGD, "--check", "--config", example, "-L", env.lexicons],
                       capture_output=True, timeout=10)
    assert p.returncode == 0, p.stderr
    assert b"configuration and lexicons are fine" in p.stderr


def test_connect_workers_behind_zeromq_own_proxy(env):
    """ktagd --connect works behind any ROUTER/DEALER proxy, here pyzmq's
    zmq.proxy() in a thread, not only behind ktagd --broker."""
    env.proxy("pf", "pb")
    workers = [env.start("--connect", env.ipc("pb"), "--threads", "2") for _ in range(2)]
    s = env.socket(zmq.DEALER, env.ipc("pf"))
    for i in range(200):
        s.send_multipart([b"", pack({"id": i, "text": DOCS[i % len(DOCS)][0]})])
    got = {}
    for _ in range(200):
        r = unpack(s.recv_multipart()[1])
        got[r["id"]] = r
    assert sorted(got) == list(range(200))
    assert all(found(r) == DOCS[i % len(DOCS)][1] for i, r in got.items())
    for w in workers:
        assert w.stop() == 0
