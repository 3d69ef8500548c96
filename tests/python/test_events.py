"""The Python client returns events as dicts (SPEC.md "Events"): linked to
entity ids, amounts as Python numbers, offsets that slice the Python string,
and the `events` and `types` options."""

from __future__ import annotations

import pytest

from ktag import OPTION_KEYS

TEXT = "키움증권, 300억원 규모 유상증자 결정…SK하이닉스 5% 급등"


def test_events_are_dicts_linked_to_entities(client):
    r = client.tag(TEXT)
    funding, move = r["events"]
    assert isinstance(funding, dict)
    assert funding["type"] == "funding" and funding["kind"] == "rights_offering"
    assert funding["company"] == "039490" and funding["amount"] == 30000000000
    assert isinstance(funding["amount"], int) and funding["unit"] == "KRW"
    assert move["company"] == "000660" and move["direction"] == "up" and move["amount"] == 5
    ids = {e["id"] for e in r["entities"]}
    for e in r["events"]:
        assert e["company"] in ids
        assert TEXT[e["start"]:e["end"]] == e["text"]
        assert "counterparty" not in e and "source" not in e     # absent facts are absent keys


def test_events_option_and_types(client):
    assert "events" in OPTION_KEYS
    assert "events" not in client.tag(TEXT, events=False)
    assert "events" not in client.tag(TEXT, types="company,funding")
    assert len(client.tag(TEXT, types="company,funding,events")["events"]) == 2
    assert len(client.tag(TEXT, types=["events"])["events"]) == 2


def test_tag_many_carries_events(client):
    results = list(client.tag_many([TEXT, "이벤트 없는 문장"]))
    assert len(results[0]["events"]) == 2 and results[1]["events"] == []


def test_unknown_option_is_refused(client):
    with pytest.raises(TypeError):
        client.tag(TEXT, event=True)
