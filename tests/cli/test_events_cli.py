"""Events end to end through the `ktag` CLI (SPEC.md "Events"): the JSON
keys and their order, amounts as numbers, offsets in every unit, the tsv
and pretty lines, --no-events, --types naming events, and --explain naming
the rule behind each event.  Tags with the fixture lexicon next to this
file (삼성전자, SK하이닉스, 엔비디아, 유상증자, CB …)."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
KTAG = os.environ.get("KTAG") or shutil.which("ktag")
FIXTURE = HERE / "lexicon"

if not KTAG:
    pytest.skip("no ktag binary ($KTAG unset)", allow_module_level=True)

EVENT_KEYS = ["type", "kind", "company", "counterparty", "source", "direction", "amount", "unit",
              "previous", "limit", "text", "start", "end", "field", "sentiment"]

HEADLINE = "삼성전자, 1조2000억원 규모 유상증자 결정…SK하이닉스 29.9% 급등"


def run(args, stdin):
    env = dict(os.environ)
    env.pop("KTAG_LEXICONS", None)
    p = subprocess.run([KTAG, "-L", str(FIXTURE), "--no-progress", *args], input=stdin.encode(),
                       capture_output=True, timeout=60, env=env)
    assert p.returncode == 0, p.stderr.decode()
    return p.stdout.decode()


def tag(text, *args):
    return json.loads(run(["-i", "lines", *args], text + "\n"))


def test_events_are_linked_and_amounts_are_numbers():
    r = tag(HEADLINE)
    assert list(r)[:5] == ["id", "ok", "entities", "sentiment", "events"]
    funding, move = r["events"]
    assert funding == {"type": "funding", "kind": "rights_offering", "company": "005930",
                       "amount": 1200000000000, "unit": "KRW", "text": "1조2000억원 규모 유상증자",
                       "start": 6, "end": 22, "field": "text", "sentiment": funding["sentiment"]}
    assert move["type"] == "price_move" and move["company"] == "000660"
    assert move["direction"] == "up" and move["amount"] == 29.9 and move["unit"] == "percent"
    for e in r["events"]:
        keys = list(e)
        assert keys == [k for k in EVENT_KEYS if k in keys]
        assert HEADLINE[e["start"]:e["end"]] == e["text"]


def test_event_offsets_follow_the_unit():
    text = "😀 " + HEADLINE          # a 4-byte character before the events
    cp = tag(text)["events"][0]
    by_byte = tag(text, "--offsets", "byte")["events"][0]
    utf16 = tag(text, "--offsets", "utf16")["events"][0]
    assert text[cp["start"]:cp["end"]] == cp["text"]
    raw = text.encode()
    assert raw[by_byte["start"]:by_byte["end"]].decode() == cp["text"]
    assert utf16["start"] == cp["start"] + 1          # the emoji is two UTF-16 units


def test_target_price_with_previous_and_loss():
    r = tag("SK하이닉스, 2분기 영업손실 3천억원…목표가 9만원→8만5천원")
    earnings = [e for e in r["events"] if e["type"] == "earnings"][0]
    assert earnings["kind"] == "operating_profit" and earnings["amount"] == -300000000000
    target = [e for e in r["events"] if e["type"] == "target_price"][0]
    assert target["company"] == "000660" and target["amount"] == 85000 and target["previous"] == 90000
    assert target["direction"] == "down"


def test_title_events_come_first_and_say_their_field():
    p = subprocess.run([KTAG, "-L", str(FIXTURE), "-i", "jsonl", "--no-progress"],
                       input=json.dumps({"id": 1, "title": "엔비디아 상한가", "text": HEADLINE},
                                        ensure_ascii=False).encode(), capture_output=True, timeout=60)
    r = json.loads(p.stdout)
    assert [e["field"] for e in r["events"]] == ["title", "text", "text"]
    assert r["events"][0]["limit"] is True and r["events"][0]["company"] == "x:nvidia"


def test_no_events_and_types():
    assert "events" not in tag(HEADLINE, "--no-events")
    assert "events" not in tag(HEADLINE, "--types", "company,funding")
    r = tag(HEADLINE, "--types", "company,funding,events")
    assert [e["type"] for e in r["events"]] == ["funding", "price_move"]
    r = tag(HEADLINE, "--types", "events")
    assert len(r["entities"]) == 3 and len(r["events"]) == 2


def test_explain_names_the_rule():
    r = tag(HEADLINE, "--explain")
    assert "event funding by subject_comma" in r["explain"]
    assert "event price_move by clause_subject" in r["explain"]


def test_tsv_and_pretty_list_events():
    rows = [line.split("\t") for line in run(["-i", "lines", "-f", "tsv"], HEADLINE + "\n").splitlines()]
    events = [r for r in rows if r[1] == "event"]
    assert events[0][:7] == ["1", "event", "funding",
                             "kind=rights_offering;company=005930;amount=1200000000000;unit=KRW",
                             "1조2000억원 규모 유상증자", "6", "22"]
    assert events[1][2] == "price_move" and "amount=29.9;unit=percent" in events[1][3]
    pretty = run(["-i", "lines", "-f", "pretty"], HEADLINE + "\n")
    assert "event 6-22" in pretty and "kind=rights_offering company=005930" in pretty
