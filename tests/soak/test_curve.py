"""CURVE against a real ktagd: an allow-listed client is served over an
encrypted connection; a client whose key is not listed, a plain client, and
a client that has the wrong server key get nothing at all (no reply, no
error), while the daemon logs the refusal and keeps serving.  A
non-loopback bind without CURVE gets a clear warning.

Keys are made with pyzmq's zmq.curve_keypair(), as docs/SECURITY.md shows.
Skipped while ktagd does not have the CURVE flags.
"""
import os
import subprocess

import pytest
import zmq

import harness
from harness import pack, unpack

DOC = "SK하이닉스 주가가 9% 하락했다"


def _has_curve_flags():
    out = subprocess.run([harness.KTAGD, "--help"], capture_output=True, timeout=10)
    return b"--curve-secret-key" in out.stdout + out.stderr


@pytest.fixture
def keys(ws):
    if not _has_curve_flags():
        pytest.skip("ktagd has no --curve-secret-key yet")
    if not zmq.has("curve"):
        pytest.skip("libzmq without CURVE")
    k = {}
    for name in ("server", "alice", "mallory"):
        pub, sec = zmq.curve_keypair()
        k[name] = (pub, sec)
    secret = os.path.join(ws.dir, "server.key")
    with open(secret, "wb") as f:
        f.write(k["server"][1] + b"\n")
    os.chmod(secret, 0o600)
    allow = os.path.join(ws.dir, "allow")
    os.makedirs(allow)
    with open(os.path.join(allow, "alice.key"), "wb") as f:
        f.write(b"# alice's laptop\n" + k["alice"][0] + b"\n")
    k["secret_file"], k["allow_dir"] = secret, allow
    return k


def _client(ctx, endpoint, server_pub=None, keypair=None, timeout_ms=3000):
    s = ctx.socket(zmq.REQ)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.RCVTIMEO, timeout_ms)
    s.setsockopt(zmq.SNDTIMEO, timeout_ms)
    if keypair:
        s.curve_serverkey = server_pub
        s.curve_publickey, s.curve_secretkey = keypair
    s.connect(endpoint)
    return s


def test_listed_client_served_unlisted_plain_and_wrong_key_get_nothing(ws, keys):
    lex = ws.lexicons()
    endpoint = "tcp://127.0.0.1:%d" % harness.free_port()
    d = ws.start("--bind", endpoint, "--lexicons", lex, "--threads", "2",
                 "--curve-secret-key", keys["secret_file"], "--curve-allow", keys["allow_dir"])
    ctx = zmq.Context()
    try:
        alice = _client(ctx, endpoint, keys["server"][0], keys["alice"])
        alice.send(pack({"id": "a", "text": DOC}))
        r = unpack(alice.recv())
        assert r["ok"] is True and r["id"] == "a"
        assert ("company", "000660") in {(e["type"], e["id"]) for e in r["entities"]}

        strangers = {
            "unlisted key": _client(ctx, endpoint, keys["server"][0], keys["mallory"], 2000),
            "plain": _client(ctx, endpoint, timeout_ms=2000),
            "wrong server key": _client(ctx, endpoint, keys["mallory"][0], keys["alice"], 2000),
        }
        for what, s in strangers.items():
            s.send(pack({"id": what, "text": DOC}))
        for what, s in strangers.items():
            with pytest.raises(zmq.Again):
                s.recv()
            s.close(0)
        d.wait_log(r"refused a client from 127\.0\.0\.1", timeout=5)
        # Alice, already admitted and newly connected, is still served.
        for i in range(20):
            alice.send(pack({"id": i, "text": DOC}))
            assert unpack(alice.recv())["id"] == i
        alice2 = _client(ctx, endpoint, keys["server"][0], keys["alice"])
        alice2.send(pack({"op": "ping", "id": 1}))
        assert unpack(alice2.recv())["ok"] is True
        alice.close(0)
        alice2.close(0)
        log = d.log_text()
        assert keys["server"][1].decode() not in log      # the secret never reaches the log
    finally:
        ctx.destroy(linger=0)
    assert d.stop() == 0


def test_unreadable_or_malformed_keys_refuse_to_start(ws, keys):
    lex = ws.lexicons()
    bad = os.path.join(ws.dir, "bad.key")
    with open(bad, "w") as f:
        f.write("not-a-key\n")
    cases = [
        ["--curve-secret-key", os.path.join(ws.dir, "missing.key"), "--curve-allow", keys["allow_dir"]],
        ["--curve-secret-key", bad, "--curve-allow", keys["allow_dir"]],
        ["--curve-secret-key", keys["secret_file"], "--curve-allow", os.path.join(ws.dir, "nope")],
    ]
    for extra in cases:
        p = subprocess.run([harness.KTAGD, "--bind", "tcp://127.0.0.1:%d" % harness.free_port(),
                            "--lexicons", lex] + extra, capture_output=True, timeout=30)
        assert p.returncode != 0, extra
        assert b"error" in p.stderr, p.stderr
    # One flag without the other is a usage error.
    p = subprocess.run([harness.KTAGD, "--check", "--lexicons", lex,
                        "--curve-secret-key", keys["secret_file"]], capture_output=True, timeout=30)
    assert p.returncode == 2, p.stderr


def test_non_loopback_bind_without_curve_warns(ws, keys):
    lex = ws.lexicons()
    port = harness.free_port()
    # --check validates and reports without binding anything: the test never
    # opens a port other hosts could reach.
    p = subprocess.run([harness.KTAGD, "--check", "--bind", "tcp://0.0.0.0:%d" % port,
                        "--lexicons", lex], capture_output=True, timeout=30)
    err = p.stderr.decode("utf-8", "replace")
    assert p.returncode == 0, err
    assert "warning" in err and "--curve-secret-key" in err, err
    p = subprocess.run([harness.KTAGD, "--check", "--bind", "tcp://0.0.0.0:%d" % port,
                        "--lexicons", lex, "--curve-secret-key", keys["secret_file"],
                        "--curve-allow", keys["allow_dir"]], capture_output=True, timeout=30)
    err = p.stderr.decode("utf-8", "replace")
    assert p.returncode == 0, err
    assert "--curve-secret-key" not in err or "warning" not in err, err
