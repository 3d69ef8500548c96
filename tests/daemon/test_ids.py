"""Request ids are echoed whole, on every socket ktagd serves: the front
ROUTER (worker threads and inline), the control socket (including `reload`,
whose reply is sent after the request frame is gone), a pull/push stage and
a --connect worker behind a broker.  A 20,000-byte id is far past the 33
bytes libzmq stores inside a message, so an id that still pointed into a
closed request frame would be read from freed memory (ASan aborts) or come
back cut.  The only limit on an id is the message size limit."""
import pytest
import zmq

from conftest import found, pack, unpack

LONG_ID = "문서-" + "0123456789abcdef" * 1250          # 20,007 bytes of UTF-8
assert len(LONG_ID.encode()) > 20000


def check_ok(reply, id_=LONG_ID):
    assert reply.get("ok") is True, reply
    assert reply["id"] == id_, "id came back %d bytes long" % len(reply.get("id", ""))


@pytest.mark.parametrize("threads", ["1", "2"])
def test_front_router_echoes_long_id(env, threads):
    env.start("--bind", env.ipc("front"), "--threads", threads,
              "--max-message-size", "64K", "--control", env.ipc("ctl"))
    ep = env.ipc("front")
    r = env.request(ep, {"id": LONG_ID, "text": "엔비디아는 H800으로 강세"})
    check_ok(r)
    assert found(r) == {("company", "x:nvidia"), ("chip", "h800")}
    for op in ("ping", "info", "stats"):
        check_ok(env.request(ep, {"id": LONG_ID, "op": op}))
    # Error replies echo it whole too: from the worker (decode error)...
    r = env.request(ep, {"id": LONG_ID, "text": ""})
    assert r["ok"] is False and r["error"]["code"] == "bad_request" and r["id"] == LONG_ID
    # ...and from the main loop (a request over --max-message-size).
    r = env.request(ep, {"id": LONG_ID, "text": "가" * 20000})
    assert r["ok"] is False and r["error"]["code"] == "too_large" and r["id"] == LONG_ID


def test_control_socket_echoes_long_id_on_every_op(env):
    d = env.start("--bind", env.ipc("front"), "--control", env.ipc("ctl"))
    ctl = env.ipc("ctl")
    for op in ("ping", "info", "stats"):
        check_ok(env.request(ctl, {"id": LONG_ID, "op": op}))
    r = env.request(ctl, {"id": LONG_ID, "op": "reload"})
    check_ok(r)
    assert r["lexicon"]["version"].startswith("test-1+")
    # Several reloads waiting at once, asked while one runs: each reply
    # carries its own id.
    socks = [env.socket(zmq.REQ, ctl) for _ in range(4)]
    ids = ["%d-%s" % (i, LONG_ID) for i in range(len(socks))]
    for s, id_ in zip(socks, ids):
        s.send(pack({"id": id_, "op": "reload"}))
    for s, id_ in zip(socks, ids):
        check_ok(unpack(s.recv()), id_)
    r = env.request(ctl, {"id": LONG_ID, "text": "삼성전자"})
    assert r["error"]["code"] == "unsupported" and r["id"] == LONG_ID
    assert d.stop() == 0


def test_control_socket_refuses_over_its_limit_naming_it(env):
    """The control socket takes requests of up to 64 KiB: a bigger one is
    too_large with the limit in the message, not cut."""
    env.start("--bind", env.ipc("front"), "--control", env.ipc("ctl"))
    huge = "x" * 70000
    r = env.request(env.ipc("ctl"), {"id": huge, "op": "reload"})
    assert r["ok"] is False and r["error"]["code"] == "too_large"
    assert "65536 bytes" in r["error"]["message"]
    assert r.get("id", huge) == huge


def test_pipeline_echoes_long_id(env):
    vent, sink = env.pipeline()
    for threads in ("1", "2"):
        d = env.start("--pull", env.ipc("vent"), "--push", env.ipc("sink"), "--threads", threads)
        vent.send(pack({"id": LONG_ID, "text": "삼성전자"}))
        check_ok(unpack(sink.recv()))
        vent.send(pack({"id": LONG_ID, "text": 42}))
        r = unpack(sink.recv())
        assert r["error"]["code"] == "bad_request" and r["id"] == LONG_ID
        assert d.stop() == 0


@pytest.mark.parametrize("threads", ["1", "2"])
def test_connect_worker_echoes_long_id(env, threads):
    broker = env.start("--broker", env.ipc("bfront"), env.ipc("bback"), lexicons=False)
    w = env.start("--connect", env.ipc("bback"), "--threads", threads)
    r = env.request(env.ipc("bfront"), {"id": LONG_ID, "text": "삼성전자"})
    check_ok(r)
    assert found(r) == {("company", "005930")}
    r = env.request(env.ipc("bfront"), {"id": LONG_ID, "op": "ping"})
    check_ok(r)
    assert w.stop() == 0 and broker.stop() == 0

