"""ping/info/stats, `python -m ktag`, and the README example run as written."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import HERE, LEXICON

README = HERE.parent.parent / "clients" / "python" / "README.md"
PACKAGE_DIR = HERE.parent.parent / "clients" / "python"


def fixture_version() -> str:
    return (LEXICON / "VERSION").read_text().strip()


def test_ping(client):
    rtt = client.ping()
    assert isinstance(rtt, float) and 0 < rtt < 10


def test_info(client):
    info = client.info()
    assert info["protocol"] == 1
    assert info["mode"] == "bind"
    assert info["threads"] == 2
    assert info["lexicon"]["version"].startswith(fixture_version() + "+")
    assert "id" not in info and "ok" not in info


def test_stats_count_what_this_client_did(client):
    before = client.stats()
    for r in client.tag_many(["SK하이닉스"] * 25):
        assert r["ok"]
    try:
        client.tag(b"\xff")
    except Exception:
        pass
    after = client.stats()
    assert after["documents"] - before["documents"] >= 25
    assert after["errors"]["bad_utf8"] - before["errors"]["bad_utf8"] >= 1


def test_lexicon_version_in_results(client):
    r = client.tag("삼성전자")
    assert r["lexicon"] == client.info()["lexicon"]["version"]
    assert isinstance(r["elapsed_us"], int)


def test_module_main_errors_and_stdin(endpoint, tmp_path: Path):
    good = tmp_path / "good.txt"
    good.write_text("딥시크가 H800으로", encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe")
    env = dict(os.environ, PYTHONPATH=str(PACKAGE_DIR))
    proc = subprocess.run([sys.executable, "-m", "ktag", "-c", endpoint, str(good), str(bad)],
                          capture_output=True, timeout=60, env=env)
    assert proc.returncode == 1
    lines = [json.loads(l) for l in proc.stdout.decode().splitlines()]
    assert [l["id"] for l in lines] == [str(good), str(bad)]
    assert [e["id"] for e in lines[0]["entities"]] == ["x:deepseek", "h800"]
    assert lines[1]["error"]["code"] == "bad_utf8"
    assert b"bad_utf8" in proc.stderr

    proc = subprocess.run([sys.executable, "-m", "ktag", "--lines", "--types", "chip"],
                          input="H800 딥시크\n삼성전자\r\nHBM3E\n".encode(), capture_output=True,
                          timeout=60, env=dict(env, KTAG_ENDPOINT=endpoint))
    lines = [json.loads(l) for l in proc.stdout.decode().splitlines()]
    assert [l["id"] for l in lines] == [1, 2, 3]
    assert [[e["id"] for e in l.get("entities", [])] for l in lines] == [["h800"], [], ["hbm3e"]]
    assert proc.returncode == 0, proc.stderr


def test_module_main_timeout(daemons):
    from ktag.__main__ import main
    out = io.StringIO()
    assert main(["-c", daemons.endpoint(), "--timeout", "0.2", "--retries", "0",
                 str(LEXICON / "VERSION")], out=out) == 1
    assert out.getvalue() == ""


def readme_example() -> str:
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks, "the README has no python example"
    return blocks[0]


def test_readme_example_runs_as_written(endpoint, tmp_path: Path):
    script = tmp_path / "example.py"
    script.write_text(readme_example(), encoding="utf-8")
    env = dict(os.environ, KTAG_ENDPOINT=endpoint, PYTHONPATH=str(PACKAGE_DIR))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, timeout=60, env=env)
    out = proc.stdout.decode("utf-8")
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert "a1 company 000660 SK하이닉스 SK하이닉스 0 6" in out
    assert "a1 chip h800 H800 H800" in out
    assert "[('text', '005930'), ('text', 'rights_offering')]" in out
    assert "7 [('title', 'x:deepseek'), ('text', 'x:nvidia')]" in out
    assert "refused: bad_utf8" in out
    assert "documents tagged so far:" in out
