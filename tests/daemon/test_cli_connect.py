"""`ktag --connect EP` against a real ktagd gives the same output as
in-process tagging of the same documents (issue 3, item 5)."""
import json
import os
import subprocess

import msgpack
import pytest

from conftest import DOCS

KTAG = os.environ.get("KTAG_CLI")


def run(args, stdin=None, timeout=60):
    return subprocess.run([KTAG] + args, input=stdin, capture_output=True, timeout=timeout)


def without_elapsed(objs):
    # elapsed_us is a timing: the only field allowed to differ.
    for o in objs:
        o.pop("elapsed_us", None)
    return objs


@pytest.fixture
def cli(env):
    if not KTAG or not os.access(KTAG, os.X_OK):
        pytest.skip("$KTAG_CLI does not name the ktag binary")
    return KTAG


def corpus(n):
    lines = []
    for i in range(n):
        text, _ = DOCS[i % len(DOCS)]
        doc = {"id": "d%d" % i if i % 3 else i, "text": text}
        if i % 4 == 0:
            doc["title"] = "CB를 발행한 삼성전자"
        lines.append(json.dumps(doc, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("extra", [[], ["--no-sentiment"], ["--offsets", "utf16", "--overlaps"],
                                   ["--types", "company,chip"], ["--explain"]],
                         ids=["default", "no-sentiment", "utf16-overlaps", "types", "explain"])
def test_connect_output_equals_in_process(env, cli, extra):
    d = env.start("--bind", env.ipc("front"), "--threads", "2")
    data = corpus(500)
    local = run(["-i", "jsonl", "-L", env.lexicons, "--no-progress"] + extra, data)
    remote = run(["-i", "jsonl", "--connect", env.ipc("front"), "--no-progress"] + extra, data)
    assert local.returncode == 0, local.stderr
    assert remote.returncode == 0, remote.stderr
    lo = without_elapsed([json.loads(l) for l in local.stdout.splitlines()])
    re_ = without_elapsed([json.loads(l) for l in remote.stdout.splitlines()])
    assert len(lo) == 500
    assert re_ == lo
    # Same bytes, apart from elapsed_us: key order and number formatting agree.
    strip = lambda out: [l.rsplit(b',"elapsed_us":', 1)[0] for l in out.splitlines()]
    assert strip(remote.stdout) == strip(local.stdout)
    assert d.stop() == 0


def test_connect_msgpack_output_equals_in_process(env, cli):
    d = env.start("--bind", env.ipc("front"), "--threads", "2")
    data = corpus(100)
    local = run(["-i", "jsonl", "-f", "msgpack", "-L", env.lexicons, "--no-progress"], data)
    remote = run(["-i", "jsonl", "-f", "msgpack", "--connect", env.ipc("front"),
                  "--no-progress"], data)
    assert local.returncode == 0 and remote.returncode == 0, remote.stderr
    lo = without_elapsed(_unpack_all(local.stdout))
    re_ = without_elapsed(_unpack_all(remote.stdout))
    assert len(lo) == 100 and re_ == lo
    assert d.stop() == 0


def _unpack_all(data):
    u = msgpack.Unpacker(raw=False, strict_map_key=False)
    u.feed(data)
    return list(u)


def test_connect_bad_utf8_line_fails_alone(env, cli):
    """A line with invalid UTF-8: an error object and exit 1, both ways, and
    the other documents are tagged."""
    d = env.start("--bind", env.ipc("front"))
    data = "엔비디아 강세\n".encode() + b"bad \xff line\n" + "삼성전자\n".encode()
    local = run(["-i", "lines", "-L", env.lexicons, "--no-progress"], data)
    remote = run(["-i", "lines", "--connect", env.ipc("front"), "--no-progress"], data)
    assert local.returncode == remote.returncode == 1
    lo = without_elapsed([json.loads(l) for l in local.stdout.splitlines()])
    re_ = without_elapsed([json.loads(l) for l in remote.stdout.splitlines()])
    assert [o["ok"] for o in lo] == [True, False, True]
    assert [o["ok"] for o in re_] == [True, False, True]
    assert re_[1]["error"]["code"] == lo[1]["error"]["code"] == "bad_utf8"
    assert re_[0] == lo[0] and re_[2] == lo[2]
    assert d.stop() == 0


def test_connect_through_broker(env, cli):
    broker = env.start("--broker", env.ipc("bf"), env.ipc("bb"), lexicons=False)
    workers = [env.start("--connect", env.ipc("bb"), "--threads", "1") for _ in range(2)]
    data = corpus(300)
    local = run(["-i", "jsonl", "-L", env.lexicons, "--no-progress"], data)
    remote = run(["-i", "jsonl", "--connect", env.ipc("bf"), "--no-progress"], data)
    assert remote.returncode == 0, remote.stderr
    assert without_elapsed([json.loads(l) for l in remote.stdout.splitlines()]) == \
        without_elapsed([json.loads(l) for l in local.stdout.splitlines()])
    for w in workers:
        assert w.stop() == 0
    assert broker.stop() == 0
