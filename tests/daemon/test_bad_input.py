"""Bad input never hurts ktagd: each bad message gets its error reply (or,
where ZeroMQ gives no way to reply, is dropped) and the next good request on
the same socket is served."""
import struct

import msgpack
import pytest
import zmq

from conftest import found, pack, unpack

GOOD = {"id": "good", "text": "삼성전자 CB를 발행"}
GOOD_FOUND = {("company", "005930"), ("funding", "cb")}


def nested(depth):
    v = "x"
    for _ in range(depth):
        v = [v]
    return v


# (name, raw bytes, expected code, expected echoed id or None, message fragment)
CASES = [
    ("not_msgpack", b"\xc1\xc1\xc1 hello", "bad_request", None, "not a msgpack value"),
    ("truncated_msgpack", pack({"id": 1, "text": "abc"})[:-2], "bad_request", None, "truncated"),
    ("trailing_bytes", pack({"id": 1, "text": "abc"}) + b"\x01", "bad_request", None, "trailing"),
    ("array_not_map", pack(["text", "삼성전자"]), "bad_request", None, "must be a map, not array"),
    ("int_not_map", pack(7), "bad_request", None, "not int"),
    ("str_not_map", pack("삼성전자"), "bad_request", None, "not str"),
    ("missing_text", pack({"id": 5}), "bad_request", 5, "missing text"),
    ("text_is_int", pack({"id": 6, "text": 42}), "bad_request", 6, "text must be a str, not int"),
    ("text_is_bin", pack({"id": 7, "text": b"bytes"}), "bad_request", 7, "not bin"),
    ("text_is_nil", pack({"id": 8, "text": None}), "bad_request", 8, "not nil"),
    ("title_is_array", pack({"id": 9, "text": "a", "title": [1]}), "bad_request", 9, "title"),
    ("empty_text", pack({"id": "e", "text": ""}), "bad_request", "e", "text is empty"),
    ("id_not_utf8", msgpack.packb({"id": b"\xff\xfe", "text": "a"}, use_bin_type=False),
     "bad_request", None, "id is not valid UTF-8"),
    ("op_not_utf8", msgpack.packb({"id": 19, "op": b"\xc3("}, use_bin_type=False), "unsupported",
     19, "unknown op"),
    ("id_is_float", pack({"id": 1.5, "text": "a"}), "bad_request", None, "id must be a str or an int"),
    ("invalid_utf8", msgpack.packb({"id": "u", "text": b"ok \xff\xfe bad"}, use_bin_type=False),
     "bad_utf8", "u", "byte offset 3"),
    ("invalid_utf8_title", msgpack.packb({"id": "t", "text": b"fine", "title": b"\xc3\x28"},
                                         use_bin_type=False), "bad_utf8", "t", "title"),
    ("overlong_utf8", msgpack.packb({"id": "o", "text": b"\xc0\xaf"}, use_bin_type=False),
     "bad_utf8", "o", "byte offset 0"),
    ("surrogate_utf8", msgpack.packb({"id": "s", "text": b"a\xed\xa0\x80"}, use_bin_type=False),
     "bad_utf8", "s", "byte offset 1"),
    ("unknown_op", pack({"id": 10, "op": "launch"}), "unsupported", 10, "unknown op"),
    ("op_not_str", pack({"id": 11, "op": 3}), "bad_request", 11, "op must be a str"),
    ("reload_on_data_socket", pack({"id": 12, "op": "reload"}), "unsupported", 12, "control"),
    ("options_not_map", pack({"id": 13, "text": "a", "options": []}), "bad_request", 13, "options"),
    ("bad_type", pack({"id": 14, "text": "a", "options": {"types": ["stock"]}}), "bad_request", 14,
     "types[0]"),
    ("empty_types", pack({"id": 15, "text": "a", "options": {"types": []}}), "bad_request", 15,
     "types is empty"),
    ("bad_offsets", pack({"id": 16, "text": "a", "options": {"offsets": "miles"}}), "bad_request",
     16, "offsets"),
    ("sentiment_not_bool", pack({"id": 17, "text": "a", "options": {"sentiment": "yes"}}),
     "bad_request", 17, "sentiment must be a bool"),
    # Nesting deeper than msgpack-c's fixed 32-level stack: refused, no recursion.
    ("deep_nesting", pack({"id": 18, "text": "a", "x": nested(100)}), "bad_request", None,
     "nested deeper than 32 levels"),
    ("deep_nesting_10000", b"\x81\xa1x" + b"\x91" * 10000 + b"\x01", "bad_request", None, ""),
    # A header that claims 4 billion elements in a 10-byte message: refused
    # without allocating memory for them.
    ("huge_array_header", b"\x82\xa2id\x13\xa1x\xdd\xff\xff\xff\xff", "bad_request", None,
     "announces 4294967295 elements but only 0 bytes follow"),
    ("huge_map_header", b"\xdf\xff\xff\xff\xff\xa2id", "bad_request", None,
     "a msgpack map announces"),
    ("nested_huge_arrays", b"\x81\xa1x" + b"\xdd\x00\x00\x10\x00" * 20, "bad_request", None,
     "announces 4096 elements"),
    ("huge_str_header", b"\x81\xa4text\xdb\xff\xff\xff\xf0abc", "bad_request", None, "truncated"),
]


@pytest.fixture
def daemon(env):
    d = env.start("--bind", env.ipc("front"), "--threads", "2", "--max-message-size", "64K",
                  "--control", env.ipc("ctl"))
    yield d
    assert d.stop() == 0


@pytest.mark.parametrize("name,raw,code,echo,fragment", CASES, ids=[c[0] for c in CASES])
def test_bad_request_then_good_one(env, daemon, name, raw, code, echo, fragment):
    s = env.socket(zmq.REQ, env.ipc("front"))
    s.send(raw)
    r = unpack(s.recv())
    assert r["ok"] is False, r
    assert list(r.keys()) == (["id"] if echo is not None else []) + ["ok", "error"]
    assert r["error"]["code"] == code, r
    assert fragment in r["error"]["message"], r
    if echo is not None:
        assert r["id"] == echo
    s.send(pack(GOOD))
    r = unpack(s.recv())
    assert r["ok"] and r["id"] == "good" and found(r) == GOOD_FOUND


def test_too_large_gets_reply_with_id(env, daemon):
    s = env.socket(zmq.REQ, env.ipc("front"))
    s.send(pack({"id": "big", "text": "가" * 30000}))   # 90 KB > 64 KiB
    r = unpack(s.recv())
    assert r == {"id": "big", "ok": False,
                 "error": {"code": "too_large", "message": r["error"]["message"]}}
    assert "exceeds the limit of 65536 bytes" in r["error"]["message"]
    s.send(pack(GOOD))
    assert unpack(s.recv())["ok"]


def test_far_too_large_is_dropped_and_daemon_serves_others(env, daemon):
    """Above twice the limit libzmq drops the message and the connection
    (ZMQ_MAXMSGSIZE): no reply is possible, nothing is buffered, and the
    daemon goes on serving."""
    s = env.socket(zmq.REQ, env.ipc("front"), timeout_ms=1000)
    s.send(pack({"id": "huge", "text": "x" * (1 << 20)}))
    with pytest.raises(zmq.Again):
        s.recv()
    r = env.request(env.ipc("front"), GOOD)
    assert r["ok"] and found(r) == GOOD_FOUND
    # The drop is counted as a closed connection although the client kept
    # its socket open.
    st = env.request(env.ipc("ctl"), {"op": "stats"})["stats"]
    assert st["connections"]["closed"] >= 1 and st["connections"]["opened"] >= 2


def test_extra_frames(env, daemon):
    s = env.socket(zmq.REQ, env.ipc("front"))
    s.send_multipart([pack({"id": "mf", "text": "삼성전자"}), b"extra", b"more"])
    r = unpack(s.recv())
    assert r["id"] == "mf" and r["error"]["code"] == "bad_request"
    assert "3 frames" in r["error"]["message"]
    s.send(pack(GOOD))
    assert unpack(s.recv())["ok"]


def test_many_frames_beyond_what_is_kept(env, daemon):
    s = env.socket(zmq.DEALER, env.ipc("front"))
    s.send_multipart([b""] + [b"x"] * 100)
    delim, body = s.recv_multipart()
    r = unpack(body)
    # The relay keeps the first 32 frames of a message and discards the rest.
    assert r["error"]["code"] == "bad_request"
    assert "frames after the envelope" in r["error"]["message"]
    s.send_multipart([b"", pack(GOOD)])
    assert unpack(s.recv_multipart()[1])["ok"]


def test_empty_message_from_dealer(env, daemon):
    s = env.socket(zmq.DEALER, env.ipc("front"))
    s.send_multipart([b""])          # a delimiter and no request
    reply = s.recv_multipart()
    assert unpack(reply[-1])["error"]["message"] == "empty message: no request frame"
    s.send_multipart([b"", pack(GOOD)])
    assert unpack(s.recv_multipart()[1])["ok"]


def test_bad_input_burst_then_stats(env, daemon):
    """All the bad inputs at once, pipelined, then good ones: every reply
    comes back, and stats count each error by code."""
    s = env.socket(zmq.DEALER, env.ipc("front"))
    for _, raw, _, _, _ in CASES:
        s.send_multipart([b"", raw])
    for i in range(50):
        s.send_multipart([b"", pack({"id": i, "text": "삼성전자"})])
    codes, good = {}, 0
    for _ in range(len(CASES) + 50):
        r = unpack(s.recv_multipart()[1])
        if r["ok"]:
            good += 1
        else:
            codes[r["error"]["code"]] = codes.get(r["error"]["code"], 0) + 1
    assert good == 50
    expected = {}
    for c in CASES:
        expected[c[2]] = expected.get(c[2], 0) + 1
    assert codes == expected
    st = env.request(env.ipc("ctl"), {"op": "stats"})["stats"]
    for code, n in expected.items():
        assert st["errors"][code] == n
    assert st["documents"] == 50


def test_garbage_connection_is_harmless(env, daemon):
    """A TCP peer that speaks no ZMTP at all (here: random bytes on the
    port) is dropped by libzmq; the daemon keeps serving."""
    import socket
    d = env.start("--bind", "tcp://127.0.0.1:*", "--control", env.ipc("ctl2"))
    ep = d.bound("front")
    host, port = ep[len("tcp://"):].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        raw.sendall(b"GET / HTTP/1.0\r\n\r\n" + bytes(range(256)) * 10)
        raw.settimeout(2)
        try:
            raw.recv(100)
        except OSError:
            pass
    r = env.request(ep, GOOD)
    assert r["ok"] and found(r) == GOOD_FOUND
    st = env.request(env.ipc("ctl2"), {"op": "stats"})["stats"]
    # libzmq drops a peer that sends no ZMTP greeting: counted as closed.
    assert st["connections"]["closed"] >= 1, st["connections"]
    assert d.stop() == 0


def test_nesting_limit_matches_msgpack_c(env, daemon):
    """ktagd's header check and msgpack-c agree on the deepest value: one
    level less is served, the limit is bad_request, never internal."""
    ok = env.request(env.ipc("front"), {"text": "삼성전자", "x": nested(31)})
    assert ok["ok"] and found(ok) == {("company", "005930")}
    for depth, inner in ((32, "x"), (31, []), (31, {})):
        v = inner
        for _ in range(depth):
            v = [v]
        r = env.request(env.ipc("front"), {"text": "삼성전자", "x": v})
        assert r["error"]["code"] == "bad_request", (depth, inner, r)


def test_random_mutations_all_get_replies(env, daemon):
    """2000 corrupted requests (bytes flipped, cut, duplicated), pipelined:
    each gets exactly one reply, none is `internal`, and the daemon stays up."""
    import random
    rng = random.Random(20261129)
    bases = [pack({"id": 1, "text": "삼성전자 CB를 발행", "title": "엔비디아",
                   "options": {"types": ["company", "chip"], "offsets": "byte",
                               "sentiment": False, "explain": True}}),
             pack({"id": "x", "op": "info"}), pack({"text": "H800 " * 50})]
    s = env.socket(zmq.DEALER, env.ipc("front"))
    n = 2000
    for i in range(n):
        b = bytearray(rng.choice(bases))
        for _ in range(rng.randint(1, 4)):
            k = rng.randrange(4)
            pos = rng.randrange(len(b))
            if k == 0:
                b[pos] = rng.randrange(256)
            elif k == 1:
                del b[pos:]
                if not b:
                    b = bytearray(b"\xc1")
            elif k == 2:
                b[pos:pos] = b[pos:pos + rng.randint(1, 8)]
            else:
                b[pos] ^= 1 << rng.randrange(8)
        s.send_multipart([b"", bytes(b)])
    codes = {}
    for _ in range(n):
        r = unpack(s.recv_multipart()[1])
        code = "ok" if r.get("ok") else r["error"]["code"]
        codes[code] = codes.get(code, 0) + 1
    assert "internal" not in codes, codes
    assert sum(codes.values()) == n
    assert codes.get("bad_request", 0) > 0
    r = env.request(env.ipc("front"), GOOD)
    assert r["ok"] and found(r) == GOOD_FOUND
