"""The client's results equal the ktag CLI's (in-process engine) for the same documents."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import pytest

from conftest import HERE, LEXICON

CORPUS = HERE / "corpus.jsonl"

# (client options, the CLI flags that say the same)
OPTION_SETS = [
    ({}, []),
    ({"offsets": "byte"}, ["--offsets", "byte"]),
    ({"offsets": "utf16"}, ["--offsets", "utf16"]),
    ({"sentiment": False}, ["--no-sentiment"]),
    ({"types": ["company", "funding"]}, ["--types", "company,funding"]),
    ({"types": "chip"}, ["--types", "chip"]),
    ({"overlaps": True}, ["--overlaps"]),
    ({"explain": True}, ["--explain"]),
]


def load_corpus() -> List[Dict[str, Any]]:
    with open(CORPUS, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def comparable(result: Dict[str, Any]) -> Dict[str, Any]:
    # elapsed_us is a measurement, not a result.
    return {k: v for k, v in result.items() if k != "elapsed_us"}


def cli_results(cli: str, flags: List[str]) -> List[Dict[str, Any]]:
    proc = subprocess.run([cli, "-L", str(LEXICON), "-i", "jsonl", *flags, str(CORPUS)],
                          capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines()]


@pytest.mark.parametrize("options,flags", OPTION_SETS, ids=lambda v: json.dumps(v))
def test_tag_equals_cli(client, ktag_cli_bin, options, flags):
    docs = load_corpus()
    expected = cli_results(ktag_cli_bin, flags)
    assert len(expected) == len(docs)
    found = 0
    for doc, want in zip(docs, expected):
        got = client.tag(doc["text"], id=doc["id"], title=doc.get("title"), **options)
        assert comparable(got) == comparable(want), doc["id"]
        # Same key order as the CLI's JSON (the schema order).
        assert list(got) == list(want)
        found += len(got["entities"])
    assert found > 0, "the corpus must find something, or this test proves nothing"


@pytest.mark.parametrize("options,flags", OPTION_SETS[:5], ids=lambda v: json.dumps(v))
def test_tag_many_equals_cli(client, ktag_cli_bin, options, flags):
    docs = load_corpus()
    expected = [comparable(r) for r in cli_results(ktag_cli_bin, flags)]
    got = [comparable(r) for r in client.tag_many(docs, window=4, **options)]
    assert got == expected


def test_defaults_from_constructor(endpoint, ktag_cli_bin):
    from ktag import Client
    docs = load_corpus()
    expected = [comparable(r) for r in cli_results(ktag_cli_bin, ["--offsets", "utf16",
                                                                   "--no-sentiment"])]
    with Client(endpoint, timeout=10, options={"offsets": "utf16", "sentiment": False}) as c:
        got = [comparable(c.tag(d["text"], id=d["id"], title=d.get("title"))) for d in docs]
        assert got == expected
        # A call's own option wins over the client's default; None restores the daemon's.
        r = c.tag("SK하이닉스 급락", sentiment=True, offsets=None)
        assert "sentiment" in r and "sentiment" in r["entities"][0]


def test_module_main_equals_cli(endpoint, ktag_cli_bin, tmp_path: Path):
    """`python -m ktag FILE…` prints what `ktag FILE…` prints (text mode and --lines)."""
    import io
    from ktag.__main__ import main
    files = []
    for i, doc in enumerate(load_corpus()[:6]):
        p = tmp_path / ("doc%d.txt" % i)
        p.write_text(doc["text"], encoding="utf-8")
        files.append(str(p))
    for mode_flags, py_flags in ((["-i", "text"], []), (["-i", "lines"], ["--lines"])):
        proc = subprocess.run([ktag_cli_bin, "-L", str(LEXICON), *mode_flags, *files],
                              capture_output=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        want = [comparable(json.loads(l)) for l in proc.stdout.decode().splitlines()]
        out = io.StringIO()
        assert main(["-c", endpoint, *py_flags, *files], out=out) == 0
        got = [comparable(json.loads(l)) for l in out.getvalue().splitlines()]
        assert got == want
        assert len(got) >= 6
