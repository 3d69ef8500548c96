"""ktag.asyncio.AsyncClient against a real ktagd: the same results as the
blocking client, input order, many tasks awaiting one client, errors,
timeouts and Lazy Pirate retries across a stopped, killed and restarted daemon.

No pytest plugin: each test runs its coroutine with asyncio.run().
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict

import msgpack
import pytest
import zmq

from ktag import Client, KtagError, TagError, Timeout, read_key
from ktag.asyncio import AsyncClient
from test_curve import curve_daemon  # noqa: F401  (a fixture)
from test_tag_many import COMPANIES, check, make_doc

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus.jsonl"
PACKAGE_DIR = HERE.parent.parent / "clients" / "python"


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 120))


def without_timing(result: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in result.items() if k != "elapsed_us"}


def test_results_equal_the_blocking_client(endpoint):
    docs = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    option_sets = [{}, {"offsets": "byte"}, {"sentiment": False, "types": "company,chip"},
                   {"overlaps": True, "explain": True}, {"events": False},
                   {"types": "company,events"}]
    with Client(endpoint, timeout=10) as c:
        want = [[without_timing(c.tag(d["text"], id=d.get("id"), title=d.get("title"), **o))
                 for d in docs] for o in option_sets]
        want_info = c.info()

    async def main():
        async with AsyncClient(endpoint, timeout=10) as c:
            got = []
            for o in option_sets:
                got.append([without_timing(await c.tag(d["text"], id=d.get("id"),
                                                       title=d.get("title"), **o))
                            for d in docs])
            many = [without_timing(r) async for r in c.tag_many(docs)]
            return got, many, await c.info(), await c.stats(), await c.ping()

    got, many, info, stats, rtt = run(main())
    assert got == want
    assert many == want[0]
    assert sum(len(r["entities"]) for r in many) > 0
    assert info == want_info and info["lexicon"]["version"]
    assert stats["requests"] > 0 and "errors" in stats
    assert 0 < rtt < 10


@pytest.mark.parametrize("window", [1, 7, 64, 1000])
def test_tag_many_keeps_input_order(endpoint, window):
    n = 2000

    async def main():
        async with AsyncClient(endpoint, timeout=10) as c:
            items = (make_doc(i)["text"] if i % 7 == 0 else make_doc(i) for i in range(n))
            return [r async for r in c.tag_many(items, window=window)]

    got = run(main())
    assert len(got) == n
    for i, r in enumerate(got):
        check(i, r, with_id=(i % 7 != 0))


@pytest.mark.parametrize("batch", [1, 64])
def test_tag_many_reads_an_async_source_lazily(endpoint, batch):
    """No more than window * batch documents are read ahead of what was yielded."""
    pulled = []

    async def source():
        for i in range(10_000):
            pulled.append(i)
            await asyncio.sleep(0)
            yield make_doc(i)

    async def main():
        async with AsyncClient(endpoint, timeout=10) as c:
            results = c.tag_many(source(), window=8, batch=batch)
            i = 0
            async for r in results:
                check(i, r, with_id=True)
                assert len(pulled) <= i + 1 + 8 * batch
                i += 1
                if i == 600:
                    break
            await results.aclose()
            assert not c._inflight      # the abandoned ones are forgotten
            return await c.tag("딥시크", id="after")

    assert run(main())["entities"][0]["id"] == "x:deepseek"


def daemon_has_batches(endpoint):
    """Whether this ktagd answers a `docs` request with `results`."""
    ctx = zmq.Context()
    try:
        s = ctx.socket(zmq.REQ)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.RCVTIMEO, 10000)
        s.connect(endpoint)
        s.send(msgpack.packb({"id": 1, "docs": [{"text": "SK하이닉스"}]}))
        return "results" in msgpack.unpackb(s.recv(), raw=False)
    finally:
        ctx.destroy(0)


@pytest.mark.parametrize("batch", [1, 2, 50, 64])
def test_tag_many_in_batches_equals_one_by_one(endpoint, batch):
    n = 1000

    async def main():
        async with AsyncClient(endpoint, timeout=10) as c:
            before = (await c.stats())["requests"]
            got = [r async for r in c.tag_many((make_doc(i) for i in range(n)), window=4,
                                               batch=batch)]
            return got, (await c.stats())["requests"] - before

    got, requests = run(main())
    assert len(got) == n
    for i, r in enumerate(got):
        check(i, r, with_id=True)
    if daemon_has_batches(endpoint):
        # One request per batch, plus `info` (asked once) and `stats`.
        assert requests <= -(-n // batch) + 2, requests
    else:
        print("\nthis ktagd has no batches: each refused batch went again one by one")


def test_batches_are_cut_to_the_daemons_message_size(daemons):
    d = daemons.bind(extra=["--max-message-size", "2K"])
    docs = [{"id": i, "text": make_doc(i)["text"] + " 가나다라" * 20} for i in range(40)]
    docs.insert(17, {"id": "big", "text": "삼성전자 " * 400})    # ~5 KB: too large alone

    async def main():
        async with AsyncClient(d.endpoint, timeout=5, retries=0) as c:
            return [r async for r in c.tag_many(docs, batch=64, errors="return")]

    got = run(main())
    assert [r["id"] for r in got] == [doc["id"] for doc in docs]
    assert [r["ok"] for r in got] == [doc["id"] != "big" for doc in docs]
    assert got[17]["error"]["code"] == "too_large"
    for doc, r in zip(docs, got):
        if doc["id"] != "big":
            assert r["entities"][0]["id"] == COMPANIES[doc["id"] % len(COMPANIES)][1]


def test_concurrent_awaits_on_one_client(endpoint):
    """40 tasks share one client: single tags, tag_many streams and admin
    calls interleave, and every task gets exactly its own results."""

    async def tagger(c, k):
        out = []
        for j in range(25):
            i = k * 1000 + j
            out.append((i, await c.tag(make_doc(i)["text"], id=make_doc(i)["id"])))
        return out

    async def streamer(c, k):
        return [r async for r in c.tag_many((make_doc(k * 1000 + j) for j in range(200)),
                                            window=16)]

    async def admin(c):
        return [await c.ping() for _ in range(10)] + [await c.stats()]

    async def main():
        async with AsyncClient(endpoint, timeout=10) as c:
            taggers = [tagger(c, k) for k in range(30)]
            streamers = [streamer(c, k) for k in range(30, 38)]
            results = await asyncio.gather(*taggers, *streamers, admin(c), admin(c))
            assert not c._inflight
            return results

    results = run(main())
    for out in results[:30]:
        assert len(out) == 25
        for i, r in out:
            check(i, r, with_id=True)
    for k, out in zip(range(30, 38), results[30:38]):
        assert len(out) == 200
        for j, r in enumerate(out):
            check(k * 1000 + j, r, with_id=True)


def test_errors(endpoint):
    async def main():
        async with AsyncClient(endpoint, timeout=10, retries=0) as c:
            with pytest.raises(TagError) as info:
                await c.tag(b"SK\xed\x95\x98\xff\xfe", id="u1")
            assert info.value.code == "bad_utf8" and info.value.id == "u1"
            assert "byte offset 5" in info.value.message
            with pytest.raises(TagError) as info:
                await c.tag("삼성전자", id="o", offsets="furlongs")
            assert info.value.code == "bad_request"
            with pytest.raises(TypeError, match="unknown ktag option"):
                await c.tag("x", offset="byte")
            with pytest.raises(TypeError):
                await c.tag(42)
            with pytest.raises(ValueError):
                c.tag_many([], window=0)
            with pytest.raises(ValueError):
                c.tag_many([], errors="ignore")

            items = ["SK하이닉스", {"id": "bad", "text": b"\xff"}, "삼성전자"]
            got = [r async for r in c.tag_many(items, errors="return")]
            assert [r["ok"] for r in got] == [True, False, True]
            assert got[1]["id"] == "bad" and got[1]["error"]["code"] == "bad_utf8"
            seen = []
            with pytest.raises(TagError) as info:
                async for r in c.tag_many(items):
                    seen.append(r)
            assert len(seen) == 1 and info.value.id == "bad"
            return await c.tag("SK하이닉스", id=1)     # still usable

    assert run(main())["entities"][0]["id"] == "000660"


def test_timeout_when_the_daemon_is_stopped(daemons):
    d = daemons.bind()

    async def main():
        async with AsyncClient(d.endpoint, timeout=0.3, retries=2) as c:
            assert (await c.tag("SK하이닉스", id=1))["ok"] is True
            assert d.stop() == 0
            start = time.monotonic()
            # Three tasks time out together: one rebuilt socket serves them all.
            outcomes = await asyncio.gather(*(c.tag("SK하이닉스", id=i) for i in range(3)),
                                            return_exceptions=True)
            elapsed = time.monotonic() - start
            assert all(isinstance(o, Timeout) for o in outcomes), outcomes
            assert [o.attempts for o in outcomes] == [3, 3, 3]
            assert outcomes[0].endpoint == d.endpoint
            assert 0.85 <= elapsed < 10, elapsed
            with pytest.raises(Timeout):
                await c.ping()
            with pytest.raises(Timeout):
                async for _ in c.tag_many(make_doc(i) for i in range(100)):
                    pass
            assert not c._inflight

    run(main())


def test_a_request_is_retried_across_a_daemon_restart(daemons):
    d = daemons.bind()

    async def main():
        async with AsyncClient(d.endpoint, timeout=0.25, retries=60) as c:
            assert (await c.tag("SK하이닉스", id="before"))["ok"] is True
            assert d.stop() == 0
            restart = threading.Timer(0.8, d.start)
            restart.start()
            try:
                start = time.monotonic()
                r = await c.tag("SK하이닉스 급락", id="after")
                elapsed = time.monotonic() - start
            finally:
                await asyncio.get_running_loop().run_in_executor(None, restart.join)
            assert r["id"] == "after" and r["entities"][0]["id"] == "000660"
            assert c.retried >= 1
            assert 0.5 <= elapsed < 15, elapsed
            before = c.retried
            ids = [r["id"] async for r in c.tag_many(make_doc(i) for i in range(200))]
            assert ids == ["doc-%d" % i for i in range(200)]
            assert c.retried == before

    run(main())


def test_tag_many_survives_a_daemon_crash(daemons):
    d = daemons.bind()
    timers = []

    def items():
        for i in range(3000):
            if i == 1000:
                d.kill()
                timers.append(threading.Timer(0.5, d.start))
                timers[-1].start()
            yield make_doc(i)

    async def main():
        async with AsyncClient(d.endpoint, timeout=0.5, retries=30) as c:
            try:
                got = [r async for r in c.tag_many(items(), window=64)]
            finally:
                for t in timers:
                    await asyncio.get_running_loop().run_in_executor(None, t.join)
            return got, c.retried

    got, retried = run(main())
    assert len(got) == 3000
    for i, r in enumerate(got):
        check(i, r, with_id=True)
    assert retried >= 1 and d.running


def test_cancelled_awaits_and_close(daemons):
    d = daemons.bind()

    async def main():
        c = AsyncClient(d.endpoint, timeout=0.2, retries=100)
        assert d.stop() == 0
        # A caller that gives up: its request is no longer retried.
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(c.tag("SK하이닉스"), 0.5)
        assert not c._inflight
        # Closing fails whoever still waits, at once.
        waiting = [asyncio.ensure_future(c.tag("삼성전자", id=i)) for i in range(5)]
        await asyncio.sleep(0.3)
        c.close()
        outcomes = await asyncio.gather(*waiting, return_exceptions=True)
        assert all(isinstance(o, KtagError) and not isinstance(o, Timeout) for o in outcomes)
        assert c.closed
        with pytest.raises(KtagError, match="closed"):
            await c.tag("x")
        c.close()

    run(main())


def test_a_shorter_timeout_takes_effect_at_once(daemons):
    """A request sent with a shorter timeout than those already waiting
    times out on its own deadline, not on theirs."""
    d = daemons.bind()

    async def main():
        async with AsyncClient(d.endpoint, timeout=5, retries=0) as c:
            assert d.stop() == 0
            slow = asyncio.ensure_future(c.tag("SK하이닉스", id="slow"))
            await asyncio.sleep(0.1)
            c.timeout = 0.2
            start = time.monotonic()
            with pytest.raises(Timeout):
                await c.tag("SK하이닉스", id="fast")
            elapsed = time.monotonic() - start
            slow.cancel()
            return elapsed

    assert run(main()) < 2


def test_arguments_are_checked(endpoint):
    with pytest.raises(ValueError):
        AsyncClient(endpoint, timeout=0)
    with pytest.raises(ValueError):
        AsyncClient(endpoint, retries=-1)
    with pytest.raises(ValueError, match="CURVE"):
        AsyncClient(endpoint, server_key="x" * 40)

    async def shared_context():
        ctx = zmq.Context()
        try:
            async with AsyncClient(endpoint, context=ctx, options={"sentiment": False}) as c:
                r = await c.tag("SK하이닉스 급락")
                assert "sentiment" not in r
                return [e["id"] for e in r["entities"]]
        finally:
            ctx.term()

    assert run(shared_context()) == ["000660"]


def test_curve(curve_daemon):  # noqa: F811
    d, keys = curve_daemon
    server = read_key(str(keys / "server.pub"))
    alice = read_key(str(keys / "alice.key"), secret=True)
    mallory = read_key(str(keys / "mallory.key"), secret=True)

    async def main():
        async with AsyncClient(d.endpoint, timeout=0.5, retries=40, server_key=server,
                               secret_key=alice) as c:
            r = await c.tag("SK하이닉스 주가", id="enc")
            assert r["id"] == "enc" and r["entities"][0]["id"] == "000660"
        async with AsyncClient(d.endpoint, timeout=0.3, retries=1, server_key=server,
                               secret_key=mallory) as c:
            with pytest.raises(Timeout):
                await c.tag("SK하이닉스")

    run(main())



def test_readme_asyncio_example_runs_as_written(endpoint, tmp_path: Path):
    text = (PACKAGE_DIR / "README.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "AsyncClient" in b]
    assert len(blocks) == 1, "the client README has no asyncio example"
    script = tmp_path / "example_asyncio.py"
    script.write_text(blocks[0], encoding="utf-8")
    env = dict(os.environ, KTAG_ENDPOINT=endpoint, PYTHONPATH=str(PACKAGE_DIR))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, timeout=60, env=env)
    out = proc.stdout.decode("utf-8")
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert "a1 ['000660']" in out
    assert "task 0 ['005930', 'rights_offering']" in out
    assert "task 1 ['x:nvidia']" in out and "task 2 ['x:deepseek']" in out
    assert out.index("many 0") < out.index("many 1") < out.index("many 2")
    assert "refused: bad_utf8" in out
