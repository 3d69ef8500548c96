"""End-to-end tests of the `ktag` CLI.

Run by meson (`meson test -C BUILD --suite cli`) with $KTAG set to the built
binary.  Every test but the sample-article one tags with the fixture lexicon
next to this file, so that curation of the bundled lexicons cannot break
them.  Each test proves one behaviour of SPEC.md "CLI (ktag)".
"""
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import msgpack
import pytest

HERE = Path(__file__).resolve().parent
KTAG = os.environ.get("KTAG") or shutil.which("ktag")
FIXTURE = HERE / "lexicon"
BROKEN = HERE / "lexicon_broken"
SOURCE_ROOT = Path(os.environ.get("KTAG_SOURCE_ROOT", HERE.parent.parent))
BUILD_ROOT = os.environ.get("KTAG_BUILD_ROOT")

if not KTAG:
    pytest.skip("no ktag binary ($KTAG unset)", allow_module_level=True)


def run(args, stdin=None, lexicon=FIXTURE, env=None, timeout=60):
    """Run ktag; returns (returncode, stdout bytes, stderr text)."""
    cmd = [KTAG]
    if lexicon is not None:
        cmd += ["-L", str(lexicon)]
    cmd += [str(a) for a in args]
    full_env = dict(os.environ)
    full_env.pop("KTAG_LEXICONS", None)
    if env:
        full_env.update(env)
    p = subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout, env=full_env)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def jsonl(out):
    return [json.loads(line) for line in out.decode("utf-8").splitlines()]


def strip_elapsed(objs):
    for o in objs:
        o.pop("elapsed_us", None)
    return objs


def ents(obj):
    return [(e["type"], e["id"], e["text"]) for e in obj["entities"]]


# ---- help, version, usage errors -------------------------------------------

def test_help_and_version_exit_0():
    rc, out, _ = run(["--help"], lexicon=None)
    assert rc == 0 and b"--input" in out and b"lexicon check" in out
    rc, out, _ = run(["--version"], lexicon=None)
    assert rc == 0 and out.startswith(b"ktag ")


@pytest.mark.parametrize("args", [
    ["-i", "xml"],
    ["-f", "yaml"],
    ["--offsets", "furlong"],
    ["--types", "company,planet"],
    ["--types", ","],
    ["-j", "many"],
    ["-j", "-1"],
    ["--no-such-option"],
    ["--timeout", "0"],
    ["--window", "0"],
    ["--batch", "1", "--window", "501"],
    ["--batch", "0"],
    ["--retries", "-1"],
])
def test_usage_errors_exit_2(args):
    rc, out, err = run(args, stdin=b"")
    assert rc == 2, err
    assert out == b""
    assert "ktag" in err


def test_lexicon_subcommand_usage_exit_2():
    rc, _, _ = run(["lexicon"], lexicon=None)
    assert rc == 2
    rc, _, _ = run(["lexicon", "frobnicate"], lexicon=None)
    assert rc == 2


# ---- input formats -----------------------------------------------------------

def test_text_file_id_is_path_and_particles_match(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("딥시크가 엔비디아는 SK하이닉스의 H800으로 CB를 샀다. CBS H1000 투자대상", encoding="utf-8")
    rc, out, err = run([f])
    assert rc == 0, err
    [obj] = jsonl(out)
    assert obj["id"] == str(f)
    assert obj["ok"] is True
    assert ents(obj) == [
        ("company", "x:deepseek", "딥시크"),
        ("company", "x:nvidia", "엔비디아"),
        ("company", "000660", "SK하이닉스"),
        ("chip", "h800", "H800"),
        ("funding", "cb", "CB"),
    ]
    assert obj["lexicon"].startswith("cli-test.1+")
    assert isinstance(obj["elapsed_us"], int)


def test_schema_key_order_and_attrs(tmp_path):
    rc, out, _ = run(["-i", "lines", "-"], stdin="삼성전자 주가 급등\n".encode())
    assert rc == 0
    obj = json.loads(out)
    assert list(obj) == ["id", "ok", "entities", "sentiment", "events", "lexicon", "elapsed_us"]
    e = obj["entities"][0]
    assert list(e) == ["type", "id", "name", "text", "start", "end", "field", "sentiment", "attrs"]
    assert e["attrs"] == {"market": "KOSPI", "isin": "KR7005930003"}
    assert set(obj["sentiment"]) == {"score", "label", "positive", "negative"}
    assert obj["sentiment"]["label"] == "positive"
    # Compact, unescaped UTF-8 output.
    assert b'": ' not in out and b', "' not in out
    assert "삼성전자".encode() in out and b"\\u" not in out


def test_directory_recursed_in_name_order_hidden_skipped(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.txt").write_text("엔비디아", encoding="utf-8")
    (tmp_path / "a.txt").write_text("삼성전자", encoding="utf-8")
    (tmp_path / "c.txt").write_text("TSMC", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("딥시크", encoding="utf-8")
    rc, out, err = run([tmp_path])
    assert rc == 0, err
    objs = jsonl(out)
    assert [o["id"] for o in objs] == [str(tmp_path / "a.txt"), str(tmp_path / "b" / "2.txt"),
                                       str(tmp_path / "c.txt")]
    assert [ents(o)[0][1] for o in objs] == ["005930", "x:nvidia", "x:tsmc"]


def test_stdin_dash_and_no_args_read_stdin():
    for args in (["-"], []):
        rc, out, _ = run(args, stdin="딥시크가".encode())
        assert rc == 0
        [obj] = jsonl(out)
        assert obj["id"] == "-"
        assert ents(obj) == [("company", "x:deepseek", "딥시크")]


def test_lines_mode_ids_are_line_numbers_empty_lines_skipped():
    data = "삼성전자\n\n   \n엔비디아는\r\n\r\nH800".encode()
    rc, out, err = run(["-i", "lines"], stdin=data)
    assert rc == 0, err
    objs = jsonl(out)
    # Empty lines are not documents; whitespace-only lines are; ids stay line numbers.
    assert [o["id"] for o in objs] == [1, 3, 4, 6]
    assert [len(o["entities"]) for o in objs] == [1, 0, 1, 1]
    assert all(o["ok"] for o in objs)
    assert ents(objs[2]) == [("company", "x:nvidia", "엔비디아")]


def test_lines_mode_several_files_ids_name_the_file(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("삼성전자\nTSMC\n", encoding="utf-8")
    b.write_text("H800\n", encoding="utf-8")
    rc, out, _ = run(["-i", "lines", a, b])
    assert rc == 0
    assert [o["id"] for o in jsonl(out)] == [f"{a}:1", f"{a}:2", f"{b}:1"]


def test_jsonl_ids_echoed_as_given_title_and_custom_fields():
    lines = [
        {"id": 17, "text": "삼성전자 급등"},
        {"id": "doc-b", "text": "엔비디아", "title": "딥시크 충격"},
        {"text": "TSMC"},
        {"id": None, "text": "H100"},
    ]
    data = "\n".join(json.dumps(d, ensure_ascii=False) for d in lines).encode()
    rc, out, err = run(["-i", "jsonl"], stdin=data)
    assert rc == 0, err
    objs = jsonl(out)
    assert objs[0]["id"] == 17 and isinstance(objs[0]["id"], int)
    assert objs[1]["id"] == "doc-b"
    assert "id" not in objs[2] and "id" not in objs[3]
    # Title first, then text; each entity says its field.
    assert [(e["field"], e["id"]) for e in objs[1]["entities"]] == [("title", "x:deepseek"), ("text", "x:nvidia")]

    custom = json.dumps({"key": "k1", "body": "금감원은", "text": "엔비디아"}, ensure_ascii=False).encode()
    rc, out, _ = run(["-i", "jsonl", "--text-field", "body", "--id-field", "key"], stdin=custom)
    assert rc == 0
    [obj] = jsonl(out)
    assert obj["id"] == "k1" and ents(obj) == [("org", "x:fss", "금감원")]


def test_jsonl_bad_line_in_the_middle(tmp_path):
    f = tmp_path / "docs.jsonl"
    good = [json.dumps({"id": i, "text": "삼성전자 주가"}, ensure_ascii=False) for i in range(6)]
    rows = good[:3] + ['{"id": 99, "text": "unterminated'] + good[3:4] + ['{"id": "nt", "body": "x"}'] \
        + ['[1, 2]', '{"id": [1], "text": "x"}'] + good[4:]
    f.write_text("\n".join(rows) + "\n", encoding="utf-8")
    rc, out, err = run(["-i", "jsonl", f])
    assert rc == 1
    objs = jsonl(out)
    assert len(objs) == 10
    assert [o["ok"] for o in objs] == [True] * 3 + [False, True, False, False, False, True, True]
    assert objs[3]["error"]["code"] == "bad_request" and "id" not in objs[3]
    assert objs[5] == {"id": "nt", "ok": False,
                       "error": {"code": "bad_request", "message": "missing text field 'text'"}}
    assert [o.get("id") for o in objs if o["ok"]] == [0, 1, 2, 3, 4, 5]
    assert all(ents(o) == [("company", "005930", "삼성전자")] for o in objs if o["ok"])
    # stderr names the file and the line of each bad document.
    assert f"{f}:4:" in err and f"{f}:6:" in err and f"{f}:7:" in err and f"{f}:8:" in err
    assert "4 of 10 documents failed" in err


def test_jsonl_blank_lines_are_not_documents_empty_text_is_an_error():
    data = '\n{"id":1,"text":"TSMC"}\n   \n\n{"id":2,"text":""}\n{"id":3,"text":" "}\n'.encode()
    rc, out, err = run(["-i", "jsonl"], stdin=data)
    assert rc == 1
    objs = jsonl(out)
    assert [o["id"] for o in objs] == [1, 2, 3]
    assert objs[1] == {"id": 2, "ok": False, "error": {"code": "bad_request", "message": "text is empty"}}
    assert objs[2]["ok"] and objs[2]["entities"] == []
    assert "<stdin>:5: text is empty" in err


def test_invalid_utf8_text_file_names_file_and_line(tmp_path):
    good = tmp_path / "1.txt"
    bad = tmp_path / "2.txt"
    good.write_text("삼성전자", encoding="utf-8")
    bad.write_bytes("첫 줄\n둘째 줄 삼성전자 ".encode() + b"\xff\xfe" + " 끝\n".encode())
    rc, out, err = run([good, bad])
    assert rc == 1
    objs = jsonl(out)
    assert objs[0]["ok"] is True
    assert objs[1]["ok"] is False and objs[1]["id"] == str(bad)
    assert objs[1]["error"]["code"] == "bad_utf8"
    assert f"{bad}:2:" in err


def test_invalid_utf8_lines_and_jsonl():
    rc, out, err = run(["-i", "lines"], stdin=b"ok \xc3\x28 bad\n" + "엔비디아\n".encode())
    assert rc == 1
    objs = jsonl(out)
    assert objs[0]["error"]["code"] == "bad_utf8" and objs[0]["id"] == 1
    assert objs[1]["ok"] and objs[1]["id"] == 2
    assert "<stdin>:1:" in err

    rc, out, err = run(["-i", "jsonl"], stdin=b'{"id":1,"text":"\xff"}\n{"id":2,"text":"TSMC"}\n')
    assert rc == 1
    objs = jsonl(out)
    assert objs[0]["ok"] is False and objs[0]["error"]["code"] == "bad_utf8"
    assert objs[1]["ok"] is True


def test_empty_file_is_an_error_whitespace_only_is_a_document(tmp_path):
    e, w = tmp_path / "empty.txt", tmp_path / "ws.txt"
    e.write_bytes(b"")
    w.write_text(" \n\t\n  ", encoding="utf-8")
    rc, out, err = run([e, w])
    assert rc == 1
    objs = jsonl(out)
    assert objs[0] == {"id": str(e), "ok": False, "error": {"code": "bad_request", "message": "text is empty"}}
    assert objs[1]["ok"] is True and objs[1]["entities"] == []
    assert objs[1]["sentiment"]["label"] == "neutral"
    assert f"{e}: text is empty" in err


def test_missing_file_is_an_error_object_at_its_position(tmp_path):
    a = tmp_path / "a.txt"
    a.write_text("TSMC", encoding="utf-8")
    missing = tmp_path / "nope.txt"
    rc, out, err = run([missing, a])
    assert rc == 1
    objs = jsonl(out)
    assert objs[0]["id"] == str(missing) and objs[0]["ok"] is False
    assert objs[1]["ok"] is True
    assert str(missing) in err


def test_lines_mode_unreadable_input_reported_others_tagged(tmp_path):
    a = tmp_path / "a.txt"
    a.write_text("TSMC\n", encoding="utf-8")
    missing = tmp_path / "missing.txt"
    rc, out, err = run(["-i", "lines", missing, a])
    assert rc == 1
    assert [o["id"] for o in jsonl(out)] == [f"{a}:1"]
    assert f"{missing}: cannot open" in err and "1 input could not be read" in err


def test_jsonl_byte_order_mark_ignored():
    rc, out, _ = run(["-i", "jsonl"], stdin=b'\xef\xbb\xbf{"id":1,"text":"TSMC"}\n')
    assert rc == 0 and jsonl(out)[0]["entities"][0]["id"] == "x:tsmc"


def test_msgpack_input_matches_jsonl_input():
    docs = [{"id": 1, "text": "딥시크가 H800으로"}, {"id": "b", "text": "유상증자결정", "title": "삼전"},
            {"text": "TSMC"}, {"id": 4, "body": "no text"}, [1, 2]]
    packed = b"".join(msgpack.packb(d) for d in docs)
    rc, out, err = run(["-i", "msgpack"], stdin=packed)
    assert rc == 1
    objs = strip_elapsed(jsonl(out))
    assert [o["ok"] for o in objs] == [True, True, True, False, False]
    assert objs[3]["id"] == 4 and objs[3]["error"]["code"] == "bad_request"
    as_jsonl = "\n".join(json.dumps(d, ensure_ascii=False) for d in docs[:3]).encode()
    rc2, out2, _ = run(["-i", "jsonl"], stdin=as_jsonl)
    assert rc2 == 0
    assert strip_elapsed(jsonl(out2)) == objs[:3]


def test_msgpack_truncated_stream_is_reported():
    packed = msgpack.packb({"id": 1, "text": "TSMC"}) + msgpack.packb({"id": 2, "text": "삼성전자"})[:-3]
    rc, out, err = run(["-i", "msgpack"], stdin=packed)
    assert rc == 1
    assert [o["id"] for o in jsonl(out)] == [1]
    assert "truncated" in err


# ---- output formats ----------------------------------------------------------

def _docs_bytes():
    """Three JSONL documents, the middle one without text."""
    return "\n".join(['{"id":1,"text":"삼성전자 주가 급등"}', '{"id":"x"}',
                      '{"id":3,"text":"딥시크가 H800으로"}']).encode() + b"\n"


def test_msgpack_output_equals_jsonl_output():
    rc1, out1, _ = run(["-i", "jsonl", "-f", "jsonl"], stdin=_docs_bytes())
    rc2, out2, _ = run(["-i", "jsonl", "-f", "msgpack"], stdin=_docs_bytes())
    assert rc1 == rc2 == 1
    unpacked = list(msgpack.Unpacker(io.BytesIO(out2), raw=False))
    assert strip_elapsed(unpacked) == strip_elapsed(jsonl(out1))


def test_tsv_output_one_line_per_entity():
    rc, out, _ = run(["-i", "jsonl", "-f", "tsv"], stdin=_docs_bytes())
    assert rc == 1
    rows = [r.split("\t") for r in out.decode().splitlines()]
    assert rows[0] == ["doc", "type", "id", "name", "text", "start", "end", "sentiment"]
    body = rows[1:]
    assert [r[:7] for r in body if r[1] != "event"] == [
        ["1", "company", "005930", "삼성전자", "삼성전자", "0", "4"],
        ["3", "company", "x:deepseek", "딥시크", "딥시크", "0", "3"],
        ["3", "chip", "h800", "H800", "H800", "5", "9"],
    ]
    assert float(body[0][7]) > 0
    rc, out, _ = run(["-i", "lines", "-f", "tsv", "--no-sentiment"], stdin="TSMC\n".encode())
    assert out.decode().splitlines()[1].split("\t")[7] == ""


def test_pretty_output_is_readable():
    rc, out, _ = run(["-i", "jsonl", "-f", "pretty"], stdin=_docs_bytes())
    assert rc == 1
    text = out.decode()
    assert "1: 1 entity" in text and "삼성전자" in text and "005930" in text
    assert "x: ERROR bad_request: missing text field 'text'" in text
    assert "H800" in text and "h800" in text


def test_output_file(tmp_path):
    o = tmp_path / "out.jsonl"
    rc, out, _ = run(["-i", "lines", "-o", o], stdin="TSMC\n".encode())
    assert rc == 0 and out == b""
    assert jsonl(o.read_bytes())[0]["entities"][0]["id"] == "x:tsmc"
    rc, _, err = run(["-i", "lines", "-o", tmp_path / "no" / "such" / "dir.jsonl"], stdin=b"x\n")
    assert rc == 1 and "cannot write" in err


# ---- tagging options ---------------------------------------------------------

def test_offsets_units():
    text = "😀 삼성전자와 H800"
    data = text.encode()
    spans = {}
    for unit in ("codepoint", "byte", "utf16"):
        rc, out, _ = run(["-i", "lines", "--offsets", unit], stdin=data)
        assert rc == 0
        spans[unit] = [(e["start"], e["end"], e["text"]) for e in jsonl(out)[0]["entities"]]
    for s, e, t in spans["codepoint"]:
        assert text[s:e] == t
    for s, e, t in spans["byte"]:
        assert data[s:e].decode() == t
    u16 = text.encode("utf-16-le")
    for s, e, t in spans["utf16"]:
        assert u16[2 * s:2 * e].decode("utf-16-le") == t
    assert spans["codepoint"][0][:2] == (2, 6)
    assert spans["utf16"][0][:2] == (3, 7)
    assert spans["byte"][0][:2] == (5, 17)


def test_no_sentiment_types_explain():
    data = "삼성전자 급등, 딥시크가 H800으로 유상증자결정\n".encode()
    rc, out, _ = run(["-i", "lines", "--no-sentiment"], stdin=data)
    obj = jsonl(out)[0]
    assert "sentiment" not in obj and all("sentiment" not in e for e in obj["entities"])
    rc, out, _ = run(["-i", "lines", "--types", "chip,funding"], stdin=data)
    assert [e["type"] for e in jsonl(out)[0]["entities"]] == ["chip", "funding"]
    rc, out, _ = run(["-i", "lines", "--explain"], stdin=data)
    obj = jsonl(out)[0]
    assert list(obj)[:7] == ["id", "ok", "entities", "sentiment", "events", "sentences", "explain"]
    assert obj["sentences"] and isinstance(obj["explain"], list) and obj["explain"]


def test_overlaps_option_reports_more():
    data = "SK하이닉스\n".encode()
    rc, out, _ = run(["-i", "lines"], stdin=data)
    assert [e["text"] for e in jsonl(out)[0]["entities"]] == ["SK하이닉스"]
    rc, out, _ = run(["-i", "lines", "--overlaps"], stdin=data)
    assert sorted(e["text"] for e in jsonl(out)[0]["entities"]) == ["SK하이닉스", "하이닉스"]


# ---- threads and order -------------------------------------------------------

def test_jobs_keep_input_order_on_many_documents(tmp_path):
    # Documents of very different sizes, so workers finish out of order.
    names = ["삼성전자", "엔비디아", "TSMC", "딥시크가", "H800으로", "CB를", "금감원은", "하이닉스"]
    rows = []
    for i in range(3000):
        filler = "가나다 " * (2000 if i % 97 == 0 else i % 7)
        rows.append(json.dumps({"id": i, "text": filler + names[i % len(names)]}, ensure_ascii=False))
    rows[1234] = "{not json"
    f = tmp_path / "many.jsonl"
    f.write_text("\n".join(rows) + "\n", encoding="utf-8")
    rc1, out1, _ = run(["-i", "jsonl", "-j", "1", f])
    rc2, out2, _ = run(["-i", "jsonl", "-j", "2", f])
    rc4, out4, _ = run(["-i", "jsonl", "-j", "4", "-f", "tsv", f])
    assert rc1 == rc2 == rc4 == 1
    a, b = strip_elapsed(jsonl(out1)), strip_elapsed(jsonl(out2))
    assert len(a) == 3000 and a == b
    assert [o.get("id") for o in b if o["ok"]] == [i for i in range(3000) if i != 1234]
    assert b[1234]["ok"] is False
    tsv_ids = [int(r.split("\t")[0]) for r in out4.decode().splitlines()[1:] if r.split("\t")[1] != "event"]
    assert tsv_ids == sorted(tsv_ids) and len(tsv_ids) == 2999


def test_jobs_text_files(tmp_path):
    for i in range(200):
        (tmp_path / f"{i:04d}.txt").write_text("엔비디아 " * (i % 13) + "TSMC", encoding="utf-8")
    rc, out, _ = run(["-j", "3", tmp_path])
    assert rc == 0
    objs = jsonl(out)
    assert [o["id"] for o in objs] == [str(tmp_path / f"{i:04d}.txt") for i in range(200)]
    assert [len(o["entities"]) for o in objs] == [i % 13 + 1 for i in range(200)]


def test_jobs_memory_stays_bounded_after_many_big_documents():
    """With -j the ring of slots held every big document's buffers after it
    was written: 2,100 lines of 200 KB peaked at ~500 MB with -j 2 while
    at most 64 MB may be read ahead.  Whitespace lines tag fastest."""
    import resource
    import threading
    env = dict(os.environ)
    env.pop("KTAG_LEXICONS", None)
    # ASan's quarantine would hold freed buffers and hide the fix.
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=0"
    p = subprocess.Popen([KTAG, "-L", str(FIXTURE), "-i", "lines", "-j", "2"], env=env,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    line = b" " * 200_000 + b"\n"

    def feed():
        for _ in range(2100):
            p.stdin.write(line)
        p.stdin.close()

    feeder = threading.Thread(target=feed)
    feeder.start()
    lines = sum(1 for _ in p.stdout)
    feeder.join()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    assert p.returncode == 0 and lines == 2100
    assert usage.ru_maxrss < 250_000, f"peak RSS {usage.ru_maxrss} KB"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_results_arrive_while_input_is_still_open(jobs):
    """Fed through a pipe line by line, ktag answers each line before the next."""
    p = subprocess.Popen([KTAG, "-L", str(FIXTURE), "-i", "lines", "-j", jobs],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for i, text in enumerate(["삼성전자", "TSMC", "딥시크가"], start=1):
            p.stdin.write((text + "\n").encode())
            p.stdin.flush()
            line = _readline_within(p.stdout, 10)
            obj = json.loads(line)
            assert obj["id"] == i and obj["ok"]
        p.stdin.close()
        assert p.wait(timeout=10) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def _readline_within(stream, seconds):
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(stream, selectors.EVENT_READ)
    assert sel.select(timeout=seconds), f"no output within {seconds} s"
    return stream.readline()


# ---- robustness ---------------------------------------------------------------

def test_random_inputs_never_crash_and_output_stays_parseable():
    """Seeded garbage and near-miss documents in every input mode: exit 0 or 1,
    one parseable JSON object per document, never a signal."""
    import random
    rnd = random.Random(20261129)
    pieces = ["삼성전자", "SK하이닉스의", "CB를", "H800으로", "딥시크가", "\"", "\\", "{", "}", "\n", "\r\n",
              " ", "😀", "text", "id", ":", ",", "null"]
    for _ in range(60):
        mode = rnd.choice(["lines", "jsonl", "msgpack", "text"])
        roll = rnd.random()
        if roll < 0.3:
            data = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 300)))
        elif mode == "msgpack":
            objs = [rnd.choice([{"id": rnd.randint(-5, 5), "text": "".join(rnd.choices(pieces[:5], k=3))},
                                {"text": None}, [1], "x", {"id": [1], "text": "a"}]) for _ in range(5)]
            data = b"".join(msgpack.packb(o) for o in objs)
            if rnd.random() < 0.3:
                data = data[:rnd.randint(0, len(data))]
        else:
            data = "".join(rnd.choices(pieces, k=rnd.randint(0, 40))).encode()
        jobs = rnd.choice(["1", "2"])
        rc, out, err = run(["-i", mode, "-j", jobs], stdin=data)
        assert rc in (0, 1), (mode, data, err)
        for line in out.decode("utf-8").splitlines():
            obj = json.loads(line)
            assert isinstance(obj["ok"], bool)
            if not obj["ok"]:
                assert obj["error"]["code"] in {"bad_request", "bad_utf8", "too_large", "internal"}


def _jsonl_edge_lines():
    """JSON lines where simdjson and jansson could part ways: escapes, every
    id type, repeated and escaped keys, numbers at the edges of int64, NUL,
    deep nesting, broken UTF-8, CRLF, a byte-order mark in the middle, a
    line longer than the reader's chunk and one longer than simdjson takes
    (4 MiB); and seeded near-misses."""
    import random
    lines = [
        b'{"id": 1, "text": "\xec\x82\xbc\xec\x84\xb1\xec\xa0\x84\xec\x9e\x90 TSMC"}',
        '{"id":"a\\"b","text":"삼전\\n\\u00e9\\ud83d\\ude00 TSMC","title":"삼성전자"}'.encode(),
        b'{"id":null,"text":"TSMC","title":null}', b'{"text":"TSMC"}',
        b'{"id":-0,"text":"TSMC"}', b'{"id":1.0,"text":"TSMC"}', b'{"id":1e2,"text":"TSMC"}',
        b'{"id":-9223372036854775808,"text":"TSMC"}', b'{"id":9223372036854775807,"text":"TSMC"}',
        b'{"id":9223372036854775808,"text":"TSMC"}', b'{"id":18446744073709551615,"text":"TSMC"}',
        b'{"id":-9223372036854775809,"text":"TSMC"}', b'{"x":[1,{"y":18446744073709551615}],"text":"TSMC"}',
        b'{"x":1e400,"text":"TSMC"}', b'{"x":1e-400,"text":"TSMC"}', b'{"x":-1.5E+3,"text":"TSMC"}',
        b'{"text":"a","text":"TSMC"}', b'{"text":"TSMC","te\\u0078t":"\xec\x82\xbc\xec\xa0\x84"}',
        b'{"te\\u0000xt":"x","text":"TSMC"}', b'{"x":{"\\u0000":1},"text":"TSMC"}',
        b'{"text":"TS\\u0000MC"}', b'{"id":"\\u0000","text":"TSMC"}',
        b'{"text":"\\ud800"}', b'{"text":"\\udc00 TSMC"}', b'{"text":"\\ud800\\u0041"}',
        b'{"text":"\xff TSMC"}', b'{"id":"\xed\xa0\x80","text":"TSMC"}', b'{"text":"\xc0\x80"}',
        b'{"text":"a\x01"}', b'{"text":"a\x7f TSMC"}', b'{"text":"TSMC"} x', b'{"text":"TSMC",}',
        b'{"text":"TSMC"}\r', b'\xef\xbb\xbf{"text":"TSMC"}', b'[1,2]', b'"TSMC"', b'7', b'null',
        b'{}', b'{"id":5}', b'{"text":7}', b'{"text":null}', b'{"text":""}', b'{"text":" "}',
        b'{"id":true,"text":"TSMC"}', b'{"id":[1],"text":"TSMC"}', b'{"id":{},"text":"TSMC"}',
        b'{"text":"TSMC","title":1}', b'{"text":"TSMC","title":"\xec\x82\xbc\xec\xa0\x84"}',
        b'{"text":"TSMC", "x": ' + b"[" * 1500 + b"]" * 1500 + b"}",
        b'{"text":"TSMC", "x": ' + b"[" * 3000 + b"]" * 3000 + b"}",
        b'{"id":"long","text":"' + "삼성전자 TSMC ".encode() * 200000 + b'"}',
        b'{"id":"longer than simdjson takes","text":"' + "가나다 ".encode() * 450000 + b'TSMC"}',
        b'{"text":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u001f TSMC"}',
        b'   {"text":"TSMC"}   ', b'\t{"text":"TSMC"}', b'{"text":"TSMC"}\x0c', b'{"text":01}',
    ]
    rnd = random.Random(20261202)
    pieces = [b'{', b'}', b'[', b']', b'"', b'\\', b':', b',', b'"text"', b'"id"', b'"title"', b'1', b'-',
              b'1e5', b'null', b'true', b'"TSMC"', "\"삼성전자\"".encode(), b'\\u', b'00', b'd8', b' ',
              b'\xff', b'\x00']
    for _ in range(300):
        line = b"".join(rnd.choices(pieces, k=rnd.randint(1, 25))).replace(b"\n", b"")
        if rnd.random() < 0.5:
            line = b'{"id":%d,"text":"TSMC",' % rnd.randint(-9, 9) + line[1:]
        lines.append(line)
    return b"\n".join(lines) + b"\n"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_jsonl_simdjson_path_writes_the_bytes_of_the_jansson_path(tmp_path, jobs):
    """simdjson reads the JSON lines it can vouch for and jansson the rest
    (clients/cli/jsonl.cpp); KTAG_CLI_JSONL=jansson reads all with jansson.
    Both write the same output and stderr, byte for byte (elapsed_us aside)."""
    data = _jsonl_edge_lines()
    f = tmp_path / "edge.jsonl"
    f.write_bytes(data)
    results = []
    for env in ({}, {"KTAG_CLI_JSONL": "jansson"}):
        rc, out, err = run(["-i", "jsonl", "-j", jobs, f], env=env, timeout=120)
        results.append((rc, re.sub(rb'"elapsed_us":[0-9]+', b'"elapsed_us":0', out), err))
    fast, slow = results
    assert fast[0] == slow[0] == 1
    assert fast[2] == slow[2]
    assert fast[1] == slow[1]
    objs = jsonl(fast[1])
    assert len(objs) == sum(1 for line in data.split(b"\n")[:-1] if line.strip(b" \t\r"))
    assert sum(o["ok"] for o in objs) > 15 and sum(not o["ok"] for o in objs) > 100


# ---- progress ---------------------------------------------------------------

def test_progress_only_on_request_and_only_on_stderr():
    data = "\n".join(["삼성전자"] * 2000).encode()
    rc, out_on, err_on = run(["-i", "lines", "--progress"], stdin=data)
    rc2, out_off, err_off = run(["-i", "lines"], stdin=data)
    assert rc == rc2 == 0
    assert "docs" in err_on and "MB/s" in err_on
    assert err_off == ""
    assert strip_elapsed(jsonl(out_on)) == strip_elapsed(jsonl(out_off))


# ---- lexicons ----------------------------------------------------------------

def test_lexicon_check_reports_file_line_problems():
    rc, out, err = run(["lexicon", "check", BROKEN], lexicon=None)
    assert rc == 1
    lines = out.decode().splitlines()
    assert any(l.startswith(f"{BROKEN}/entities.tsv:3: ") and "chp" in l for l in lines)
    assert any(l.startswith(f"{BROKEN}/entities.tsv:4: ") and "삼성전자" in l for l in lines)
    assert "problem" in err


def test_lexicon_check_clean_fixture():
    rc, out, err = run(["lexicon", "check", FIXTURE], lexicon=None)
    assert rc == 0, out + err.encode()
    assert out == b"" and "ok" in err


def test_broken_lexicon_fails_to_load():
    rc, out, err = run(["-i", "lines"], stdin=b"x\n", lexicon=BROKEN)
    assert rc == 1 and out == b""
    assert "entities.tsv:3" in err


def test_lexicon_dir_from_environment_and_flag_wins(tmp_path):
    rc, out, _ = run(["-i", "lines"], stdin="TSMC\n".encode(), lexicon=None,
                     env={"KTAG_LEXICONS": str(FIXTURE)})
    assert rc == 0 and jsonl(out)[0]["lexicon"].startswith("cli-test.1+")
    rc, out, _ = run(["--version"], lexicon=None, env={"KTAG_LEXICONS": str(FIXTURE)})
    assert f"{FIXTURE} (env)" in out.decode()
    rc, out, _ = run(["--version"], lexicon=BROKEN, env={"KTAG_LEXICONS": str(FIXTURE)})
    assert f"{BROKEN} (flag)" in out.decode()


def test_build_tree_binary_uses_source_lexicons():
    if not BUILD_ROOT or not os.path.realpath(KTAG).startswith(os.path.realpath(BUILD_ROOT) + "/"):
        pytest.skip("ktag under test is not in the build tree")
    rc, out, _ = run(["--version"], lexicon=None)
    assert rc == 0
    assert f"{SOURCE_ROOT / 'lexicons'} (build-tree)" in out.decode()


def test_sample_article_with_bundled_lexicons():
    """The README's example: a few entities that any curation must keep."""
    article = SOURCE_ROOT / "examples" / "article_ko.txt"
    rc, out, err = run([article], lexicon=SOURCE_ROOT / "lexicons")
    assert rc == 0, err
    [obj] = jsonl(out)
    found = {(e["type"], e["id"]) for e in obj["entities"]}
    for want in [("company", "005930"), ("company", "000660"), ("company", "x:nvidia"),
                 ("company", "x:deepseek"), ("chip", "h800"), ("chip", "hbm3e"),
                 ("funding", "cb"), ("funding", "rights_offering"), ("org", "x:fss")]:
        assert want in found, f"{want} not found in the sample article"
    text = article.read_text(encoding="utf-8")
    for e in obj["entities"]:
        assert text[e["start"]:e["end"]] == e["text"]
    surfaces = {e["text"] for e in obj["entities"]}
    assert {"딥시크", "엔비디아", "SK하이닉스", "H800", "CB"} <= surfaces


# ---- --connect through a real ktagd ------------------------------------------

def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def ktagd():
    exe = Path(BUILD_ROOT or "") / "daemon" / "ktagd"
    if not BUILD_ROOT or not exe.exists():
        pytest.skip("ktagd not built")
    endpoint = f"tcp://127.0.0.1:{_free_port()}"
    p = subprocess.Popen([str(exe), "--bind", endpoint, "-L", str(FIXTURE), "--threads", "2",
                          "--max-message-size", "65536"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # Ready when it answers; ktag --connect retries nothing, so wait here.
        deadline = time.time() + 10
        while time.time() < deadline:
            rc, out, _ = run(["-c", endpoint, "-i", "lines", "--timeout", "1"], stdin=b"TSMC\n",
                             lexicon=None)
            if rc == 0:
                break
            if p.poll() is not None:
                pytest.fail("ktagd exited: " + p.stderr.read().decode())
        else:
            pytest.fail("ktagd did not answer within 10 s")
        yield endpoint
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def test_connect_output_equals_in_process(ktagd, tmp_path):
    rows = [json.dumps({"id": i if i % 3 else f"s{i}", "text": "가 " * (i % 50) + "딥시크가 H800으로 삼성전자 급등"},
                       ensure_ascii=False) for i in range(500)]
    rows[7] = '{"id": 7, "body": "no text"}'
    rows[9] = "not json"
    rows[11] = '{"id": 11, "text": ""}'
    rows[12] = '{"id": 12, "text": "  "}'
    f = tmp_path / "docs.jsonl"
    f.write_text("\n".join(rows) + "\n", encoding="utf-8")
    for fmt in ("jsonl", "tsv"):
        rc1, local, err1 = run(["-i", "jsonl", "-f", fmt, f])
        rc2, remote, err2 = run(["-i", "jsonl", "-f", fmt, "-c", ktagd, "--window", "16", f], lexicon=None)
        assert rc1 == rc2 == 1, err2
        if fmt == "jsonl":
            assert strip_elapsed(jsonl(remote)) == strip_elapsed(jsonl(local))
        else:
            assert remote == local


@pytest.mark.parametrize("opts", [["--explain"], ["--offsets", "utf16"], ["--offsets", "byte"],
                                  ["--no-sentiment"], ["--types", "chip,funding"], ["--overlaps"]])
def test_connect_options_give_in_process_bytes(ktagd, opts):
    data = "삼성전자 급등, SK하이닉스의 HBM3E\n\n  \n😀 딥시크가 H800으로 CB를 유상증자결정\n".encode()
    rc1, local, _ = run(["-i", "lines"] + opts, stdin=data)
    rc2, remote, _ = run(["-i", "lines", "-c", ktagd] + opts, stdin=data, lexicon=None)
    assert rc1 == rc2 == 0
    strip = lambda b: re.sub(rb',"elapsed_us":\d+', b"", b)
    assert strip(local) == strip(remote)


def test_connect_full_window_loses_nothing(ktagd):
    data = "\n".join(f"{i} 삼성전자 TSMC" for i in range(3000)).encode()
    rc, out, err = run(["-i", "lines", "-c", ktagd, "--window", "500", "--timeout", "20"], stdin=data,
                       lexicon=None)
    assert rc == 0, err
    assert [o["id"] for o in jsonl(out)] == list(range(1, 3001))


def test_connect_too_large_document_fails_alone(ktagd, tmp_path):
    small, big = tmp_path / "a.txt", tmp_path / "b.txt"
    small.write_text("TSMC", encoding="utf-8")
    big.write_text("삼성전자 " * 20000, encoding="utf-8")   # ~260 KB, over the daemon's 64 KiB
    rc, out, err = run(["-c", ktagd, small, big, small], lexicon=None)
    assert rc == 1
    objs = jsonl(out)
    assert [o["ok"] for o in objs] == [True, False, True]
    assert objs[1]["id"] == str(big) and objs[1]["error"]["code"] == "too_large"
    assert f"{big}:" in err


def test_connect_msgpack_and_pretty_formats(ktagd):
    data = "딥시크가 H800으로\nTSMC\n".encode()
    for fmt in ("msgpack", "pretty"):
        rc1, local, _ = run(["-i", "lines", "-f", fmt], stdin=data)
        rc2, remote, _ = run(["-i", "lines", "-f", fmt, "-c", ktagd], stdin=data, lexicon=None)
        assert rc1 == rc2 == 0
        if fmt == "msgpack":
            a = strip_elapsed(list(msgpack.Unpacker(io.BytesIO(local), raw=False)))
            b = strip_elapsed(list(msgpack.Unpacker(io.BytesIO(remote), raw=False)))
            assert a == b and len(a) == 2
        else:
            assert local == remote


def test_connect_no_daemon_times_out():
    endpoint = f"tcp://127.0.0.1:{_free_port()}"
    t0 = time.time()
    rc, out, err = run(["-c", endpoint, "-i", "lines", "--timeout", "0.5"], stdin=b"TSMC\n", lexicon=None)
    assert rc == 1 and out == b""
    assert "no answer" in err and "0.5 s" in err
    assert time.time() - t0 < 10
