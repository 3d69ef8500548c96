"""Bad inputs through the ktag CLI, in-process (-j 1 and -j 3) and through a
ktagd (--connect): a seeded mix of good documents and broken JSONL lines
(truncated JSON, non-objects, wrong types, invalid UTF-8, NUL and lone
surrogate escapes, 10,000-deep nesting, a 300 KB line with and without sentence breaks, a BOM, CRLF), and a
msgpack stream of odd values ending in a truncated one.

Proves: ktag never crashes (under the ASan build too), exits 1 (some
documents failed), writes exactly one result or error per input line in
input order, tags the good documents right, and says the same thing
in-process and through the daemon.
"""
import json
import os
import random
import subprocess

import msgpack
import pytest


KTAG = os.environ.get("KTAG_CLI", "")
GOOD = ("SK하이닉스 주가가 9% 하락했다", ("company", "000660"))
SEED = 5


def _jsonl_case(rnd, i):
    """(line bytes, expect_ok) for input line i."""
    text, _ = GOOD
    kind = rnd.randrange(16)
    doc_id = "d%d" % i
    if kind < 5:
        return json.dumps({"id": doc_id, "text": text}, ensure_ascii=rnd.random() < 0.5).encode(), True
    if kind == 5:
        return json.dumps({"id": doc_id, "text": text})[: rnd.randrange(1, 30)].encode(), False
    if kind == 6:
        return rnd.choice([b"[1,2,3]", b"42", b'"just a string"', b"null", b"true"]), False
    if kind == 7:
        bad = rnd.choice([5, None, {"a": 1}, [text], 1.5, True])
        return json.dumps({"id": doc_id, "text": bad}).encode(), False
    if kind == 8:
        return json.dumps({"id": doc_id}).encode(), False
    if kind == 9:
        weird_id = rnd.choice([1.5, True, None, {"x": 1}, [1], 2**70, -2**63, ""])
        return json.dumps({"id": weird_id, "text": text}).encode(), None   # either way, no crash
    if kind == 10:
        return b'{"id": "%s", "text": "' % doc_id.encode() + b"\xed\xa0\x80\xff\xc0\xaf" + b'"}', False
    if kind == 11:
        return ('{"id": "%s", "text": "a\\u0000b \\ud800 \\udfff SK하이닉스"}' % doc_id).encode(), None
    if kind == 12:
        return b"[" * 10000 + b"]" * 10000, False
    if kind == 13:
        # ~300 KB, in sentences or as one unbroken run of 9,000 mentions
        # (sentiment was once quadratic in mentions per sentence).
        long = (text + ". ") * 9000 if i % 2 else (text + " ") * 9000
        return json.dumps({"id": doc_id, "text": long}, ensure_ascii=False).encode(), True
    if kind == 14:
        return json.dumps({"id": doc_id, "text": text, "title": 7}).encode(), False
    return json.dumps({"id": doc_id, "text": text, "extra": {"deep": [[[[1]]]]}}).encode() + b"\r", True


def _jsonl_input(n=400):
    rnd = random.Random(SEED)
    lines, expect = [b"\xef\xbb\xbf" + json.dumps({"id": "bom", "text": GOOD[0]}).encode()], [None]
    for i in range(n):
        line, ok = _jsonl_case(rnd, i)
        lines.append(line)
        expect.append(ok)
    return b"\n".join(lines) + b"\n", expect


def _run(args, data, timeout=120):
    p = subprocess.run([KTAG, "--no-progress"] + args, input=data, capture_output=True,
                       timeout=timeout)
    assert p.returncode in (0, 1), (p.returncode, p.stderr.decode("utf-8", "replace")[-3000:])
    assert b"AddressSanitizer" not in p.stderr and b"runtime error" not in p.stderr, \
        p.stderr.decode("utf-8", "replace")[-3000:]
    return p


def _strip(obj):
    obj.pop("elapsed_us", None)
    return obj


@pytest.fixture
def cli():
    if not KTAG or not os.access(KTAG, os.X_OK):
        pytest.skip("$KTAG_CLI does not name the ktag binary")
    return KTAG


def test_broken_jsonl_one_answer_per_line_in_order_same_in_process_and_remote(ws, cli):
    lex = ws.lexicons()
    data, expect = _jsonl_input()
    outputs = {}
    for name, args in (("j1", ["-j", "1"]), ("j3", ["-j", "3"])):
        p = _run(["-i", "jsonl", "-L", lex] + args, data)
        assert p.returncode == 1, "some lines are broken: exit 1"
        outputs[name] = [_strip(json.loads(l)) for l in p.stdout.splitlines()]
    endpoint = ws.ipc("front")
    d = ws.start("--bind", endpoint, "--lexicons", lex, "--threads", "2")
    # This test is about bad input, not retries: a timeout no sanitizer
    # build on a loaded machine reaches, so no batch is sent twice.
    p = _run(["-i", "jsonl", "--connect", endpoint, "--timeout", "300"], data)
    assert p.returncode == 1
    outputs["remote"] = [_strip(json.loads(l)) for l in p.stdout.splitlines()]
    assert d.stop() == 0

    local = outputs["j1"]
    assert len(local) == len(expect), (len(local), len(expect))
    for i, (obj, ok) in enumerate(zip(local, expect)):
        assert isinstance(obj.get("ok"), bool), obj
        if ok is True:
            assert obj["ok"] is True, (i, obj)
            assert GOOD[1] in {(e["type"], e["id"]) for e in obj["entities"]}, (i, obj)
        elif ok is False:
            assert obj["ok"] is False and obj["error"]["code"], (i, obj)
    assert outputs["j3"] == local
    assert outputs["remote"] == local


def test_odd_msgpack_stream_no_crash_one_answer_per_value(ws, cli):
    lex = ws.lexicons()
    rnd = random.Random(SEED + 1)
    values = []
    for i in range(300):
        k = rnd.randrange(8)
        if k < 3:
            values.append({"id": i, "text": GOOD[0]})
        elif k == 3:
            values.append([i, GOOD[0]])
        elif k == 4:
            values.append({"id": i, "text": b"binary text"})
        elif k == 5:
            values.append({"id": {"nested": i}, "text": GOOD[0]})
        elif k == 6:
            values.append({"id": i, "text": ""})
        else:
            values.append(rnd.choice([None, 3.5, "str", True, -7]))
    data = b"".join(msgpack.packb(v, use_bin_type=True) for v in values)
    data += b"\x82\xa2id\x01\xa4text\xda\x00\x10abc"            # truncated last value
    p = _run(["-i", "msgpack", "-L", lex], data)
    out = [json.loads(l) for l in p.stdout.splitlines()]
    assert p.returncode == 1
    assert len(values) <= len(out) <= len(values) + 1, (len(out), len(values))
    for v, obj in zip(values, out):
        if isinstance(v, dict) and isinstance(v.get("text"), str) and v["text"] and \
                isinstance(v.get("id"), int):
            assert obj["ok"] is True and obj["id"] == v["id"], (v, obj)
        elif not isinstance(v, dict):
            assert obj["ok"] is False, (v, obj)
    p2 = _run(["-i", "msgpack", "-L", lex, "-f", "msgpack"], data)
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    unpacker.feed(p2.stdout)
    assert len(list(unpacker)) == len(out)


def test_cli_full_disk_unwritable_output_and_closed_pipe_fail_loudly(ws, cli):
    lex = ws.lexicons()
    data = ("\n".join("SK하이닉스 주가가 %d%% 하락했다" % i for i in range(3000)) + "\n").encode()
    # Disk full: every write fails with ENOSPC; ktag must say so and exit non-zero.
    for args in (["-o", "/dev/full"], []):
        kw = {"stdout": open("/dev/full", "wb")} if not args else {"stdout": subprocess.PIPE}
        p = subprocess.run([cli, "--no-progress", "-i", "lines", "-L", lex] + args, input=data,
                           stderr=subprocess.PIPE, timeout=60, **kw)
        assert p.returncode not in (0, None), p.returncode
        assert b"No space left" in p.stderr, p.stderr
    # An output path that cannot be created: refused, naming it.
    bad = "/nonexistent-dir/out.jsonl"
    p = subprocess.run([cli, "--no-progress", "-i", "lines", "-L", lex, "-o", bad], input=data,
                       capture_output=True, timeout=60)
    assert p.returncode != 0 and bad.encode() in p.stderr, p.stderr
    # The reader goes away after one line (ktag ... | head -1): ktag stops
    # promptly instead of tagging into a dead pipe or hanging.
    proc = subprocess.Popen([cli, "--no-progress", "-i", "lines", "-L", lex],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = b"".join(data.splitlines(keepends=True)[:200])    # 7 KB: never blocks the write
    try:
        proc.stdin.write(first)
        proc.stdin.flush()
        proc.stdout.readline()
        proc.stdout.close()
        for _ in range(20):
            proc.stdin.write(data)
        proc.stdin.close()
    except BrokenPipeError:
        pass
    try:
        assert proc.wait(60) != 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
