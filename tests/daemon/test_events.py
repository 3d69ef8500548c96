"""Events through ktagd (SPEC.md "Events", "Wire protocol"): the reply's
`events` key in schema order, the `events` option, `types` naming events,
batches, and the same events as the in-process CLI."""
import json
import os
import subprocess

import pytest

from conftest import pack, unpack  # noqa: F401  (conftest sets up the path)

TEXT = "삼성전자, 5000억원 규모 유상증자 결정…SK하이닉스 10% 하락"


def tag(env, ep, **options):
    req = {"id": "e1", "text": TEXT}
    if options:
        req["options"] = options
    r = env.request(ep, req)
    assert r["ok"] is True, r
    return r


def test_reply_carries_events_in_schema_order(env):
    env.start("--bind", env.ipc("front"))
    r = tag(env, env.ipc("front"))
    assert list(r)[:5] == ["id", "ok", "entities", "sentiment", "events"]
    funding, move = r["events"]
    assert list(funding) == ["type", "kind", "company", "amount", "unit", "text", "start", "end", "field",
                             "sentiment"]
    assert (funding["kind"], funding["company"], funding["amount"]) == ("rights_offering", "005930",
                                                                        500000000000)
    assert isinstance(funding["amount"], int)
    assert (move["company"], move["direction"], move["amount"]) == ("000660", "down", 10)
    assert TEXT[funding["start"]:funding["end"]] == funding["text"]


def test_events_option_and_types(env):
    env.start("--bind", env.ipc("front"))
    ep = env.ipc("front")
    assert "events" not in tag(env, ep, events=False)
    assert "events" not in tag(env, ep, types=["company", "funding"])
    assert [e["type"] for e in tag(env, ep, types=["company", "funding", "events"])["events"]] == [
        "funding", "price_move"]
    assert len(tag(env, ep, types=["events"])["events"]) == 2
    r = env.request(ep, {"text": TEXT, "options": {"events": "yes"}})
    assert r["ok"] is False and r["error"]["code"] == "bad_request"
    r = env.request(ep, {"text": TEXT, "options": {"types": ["events", "stocks"]}})
    assert r["ok"] is False and r["error"]["code"] == "bad_request"
    explain = tag(env, ep, explain=True)["explain"]
    assert "event funding by subject_comma" in explain


def test_batch_results_carry_events(env):
    env.start("--bind", env.ipc("front"))
    r = env.request(env.ipc("front"), {"id": "b", "docs": [{"id": 1, "text": TEXT}, {"id": 2, "text": "없음"}]})
    assert r["ok"] is True
    first, second = r["results"]
    assert len(first["events"]) == 2 and second["events"] == []


def test_daemon_and_cli_agree(env):
    cli = os.environ.get("KTAG_CLI")
    if not cli:
        pytest.skip("$KTAG_CLI not set")
    env.start("--bind", env.ipc("front"))
    r = tag(env, env.ipc("front"))
    p = subprocess.run([cli, "-L", env.lexicons, "-i", "lines", "--no-progress"], input=(TEXT + "\n").encode(),
                       capture_output=True, timeout=60)
    local = json.loads(p.stdout)
    assert local["events"] == r["events"]
