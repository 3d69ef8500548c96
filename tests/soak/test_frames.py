"""Bad inputs at the ZeroMQ framing level, which the msgpack fuzz target
(tests/fuzz) does not reach: messages with no frame body, no delimiter,
many delimiters, more frames than ktagd keeps (KTAGD_MAX_FRAMES = 32),
empty and huge frames, random bytes and random msgpack, sent to the ROUTER
front, to a broker's front and to the control socket.  Seeded, so a failure
reproduces.

Proves: ktagd never crashes or hangs on them, every reply that comes back is
one well-formed msgpack map, interleaved well-formed requests are all
answered right, and the daemon exits 0 afterwards.
"""
import random

import msgpack
import pytest
import zmq

import harness
from harness import pack, unpack

DOC = "삼성전자 CB를 발행, 금감원 조사"
SEED = 8
JUNK = 1500


def _random_msgpack(rnd, depth=0):
    kind = rnd.randrange(9 if depth < 4 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rnd.choice([True, False])
    if kind == 2:
        return rnd.randint(-2**63, 2**64 - 1)
    if kind == 3:
        return rnd.random() * 1e6
    if kind == 4:
        return "".join(chr(rnd.randrange(0x20, 0xD7FF)) for _ in range(rnd.randrange(12)))
    if kind == 5:
        return bytes(rnd.randrange(256) for _ in range(rnd.randrange(12)))
    if kind == 6:
        return [_random_msgpack(rnd, depth + 1) for _ in range(rnd.randrange(5))]
    keys = ["id", "text", "title", "op", "options", "types", "offsets", "sentiment", "x"]
    return {rnd.choice(keys): _random_msgpack(rnd, depth + 1) for _ in range(rnd.randrange(6))}


def _junk_frames(rnd):
    """One malformed (or odd) multipart message, as a DEALER sends it."""
    shape = rnd.randrange(8)
    if shape == 0:
        return [b""]                                       # a delimiter and nothing
    if shape == 1:
        return [b"", b""]                                  # an empty body
    if shape == 2:                                         # no delimiter at all
        return [pack({"id": rnd.randrange(1000), "text": DOC})]
    if shape == 3:                                         # several delimiters, then bodies
        return [b""] * rnd.randrange(2, 6) + [pack(_random_msgpack(rnd))] * rnd.randrange(1, 4)
    if shape == 4:                                         # more frames than ktagd keeps
        return [b""] + [bytes([rnd.randrange(256)]) * rnd.randrange(4) for _ in range(rnd.randrange(30, 80))]
    if shape == 5:                                         # random bytes body
        return [b"", bytes(rnd.randrange(256) for _ in range(rnd.randrange(64)))]
    if shape == 6:                                         # random msgpack body
        return [b"", msgpack.packb(_random_msgpack(rnd), use_bin_type=True)]
    return [b"", pack({"id": "two-bodies", "text": DOC}), pack({"id": "second"})]


def _check_reply(frames):
    """Any reply ktagd sends: [b"", one msgpack map with a bool "ok"]."""
    assert len(frames) >= 1
    body = frames[-1]
    reply = unpack(body)
    assert isinstance(reply, dict) and isinstance(reply.get("ok"), bool), reply
    if reply["ok"] is False:
        assert reply["error"]["code"] in ("bad_request", "bad_utf8", "too_large", "unsupported",
                                          "overloaded", "internal"), reply
    return reply


def _hammer(ctx, endpoint, rnd, junk, good_every=10):
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.SNDHWM, 0)
    s.connect(endpoint)
    good = set()
    for i in range(junk):
        s.send_multipart(_junk_frames(rnd))
        if i % good_every == 0:
            rid = "good-%d" % i
            good.add(rid)
            s.send_multipart([b"", pack({"id": rid, "text": DOC})])
    replies = 0
    while good and s.poll(10000):
        frames = s.recv_multipart()
        replies += 1
        reply = _check_reply(frames)
        if reply.get("id") in good:
            assert reply["ok"] is True, reply
            assert ("company", "005930") in {(e["type"], e["id"]) for e in reply["entities"]}
            good.discard(reply["id"])
    while s.poll(300):              # whatever else the junk earned
        _check_reply(s.recv_multipart())
        replies += 1
    s.close(0)
    assert not good, "well-formed requests not answered: %s" % sorted(good)[:10]
    return replies


@pytest.fixture
def ctx():
    c = zmq.Context()
    yield c
    c.destroy(linger=0)


def test_junk_frames_on_front_and_control_then_still_serving(ws, ctx):
    rnd = random.Random(SEED)
    lex = ws.lexicons()
    endpoint = "tcp://127.0.0.1:%d" % harness.free_port()
    control = ws.ipc("control")
    d = ws.start("--bind", endpoint, "--control", control, "--lexicons", lex, "--threads", "2",
                 "--max-message-size", "65536")
    replies = _hammer(ctx, endpoint, rnd, JUNK)
    # The control socket gets junk too; it must still answer its ops.
    c = ctx.socket(zmq.DEALER)
    c.setsockopt(zmq.LINGER, 0)
    c.connect(control)
    for _ in range(300):
        c.send_multipart(_junk_frames(rnd))
    c.send_multipart([b"", pack({"id": "p", "op": "ping"})])
    pong = None
    while c.poll(5000):
        r = _check_reply(c.recv_multipart())
        if r.get("id") == "p":
            pong = r
            break
    c.close(0)
    assert pong and pong["ok"] is True, pong
    print("%d junk messages on the front (%d replies), 300 on the control socket" % (JUNK, replies))
    assert d.alive()
    assert d.stop() == 0


def test_junk_frames_through_a_broker(ws, ctx):
    rnd = random.Random(SEED + 1)
    lex = ws.lexicons()
    front, back = ws.ipc("front"), ws.ipc("back")
    broker = ws.start("--broker", front, back, "--drain-timeout", "2")
    worker = ws.start("--connect", back, "--lexicons", lex, "--threads", "2")
    _hammer(ctx, front, rnd, JUNK // 2)
    assert broker.alive() and worker.alive()
    assert worker.stop() == 0
    assert broker.stop() == 0
