"""Error replies become TagError with the reply's code and message; misuse is caught locally."""

from __future__ import annotations

import pytest

from ktag import Client, KtagError, TagError, Timeout


def test_bad_utf8(client):
    with pytest.raises(TagError) as info:
        client.tag(b"SK\xed\x95\x98\xff\xfe", id="u1")
    e = info.value
    assert e.code == "bad_utf8"
    assert "byte offset 5" in e.message       # the daemon names where
    assert e.id == "u1"
    assert e.reply == {"id": "u1", "ok": False, "error": {"code": "bad_utf8", "message": e.message}}
    assert "bad_utf8" in str(e) and "u1" in str(e)


def test_bad_utf8_in_title(client):
    with pytest.raises(TagError) as info:
        client.tag("삼성전자", title=b"\xc0\xaf")
    assert info.value.code == "bad_utf8"
    assert info.value.id is None and "id" not in info.value.reply


@pytest.mark.parametrize("options,word", [
    ({"offsets": "furlongs"}, "offsets"),
    ({"types": ["company", "planet"]}, "types"),
    ({"types": [1, 2]}, "types"),
])
def test_bad_option_values_are_bad_request(client, options, word):
    with pytest.raises(TagError) as info:
        client.tag("SK하이닉스", id="o", **options)
    assert info.value.code == "bad_request"
    assert word in info.value.message


def test_client_is_usable_after_errors(client):
    for _ in range(3):
        with pytest.raises(TagError):
            client.tag(b"\xff")
    assert client.tag("SK하이닉스", id=1)["entities"][0]["id"] == "000660"


def test_too_large(daemons):
    d = daemons.bind(extra=["--max-message-size", "2K"])
    with Client(d.endpoint, timeout=5, retries=0) as c:
        assert c.info()["max_message_size"] == 2048
        with pytest.raises(TagError) as info:
            c.tag("삼성전자 " * 400, id="big")      # ~5 KB: over the limit, under the hard cap
        assert info.value.code == "too_large"
        assert info.value.id == "big"
        assert c.tag("삼성전자", id="small")["ok"] is True


def test_unknown_option_and_wrong_types_are_caught_before_sending(client):
    with pytest.raises(TypeError, match="unknown ktag option 'offset'"):
        client.tag("x", offset="byte")
    with pytest.raises(TypeError):
        client.tag(42)
    with pytest.raises(TypeError):
        client.tag("x", id=True)
    with pytest.raises(TypeError):
        client.tag("x", id=["a"])
    with pytest.raises(TypeError):
        client.tag("x", title=3)


def test_constructor_arguments():
    with pytest.raises(ValueError):
        Client("ipc:///nonexistent/x", timeout=0)
    with pytest.raises(ValueError):
        Client("ipc:///nonexistent/x", retries=-1)
    with pytest.raises(TypeError):
        Client("ipc:///nonexistent/x", options={"colour": "red"})
    import zmq
    with pytest.raises(zmq.ZMQError):
        Client("not-an-endpoint")


def test_closed_client(endpoint):
    c = Client(endpoint, timeout=5)
    assert c.ping() > 0
    c.close()
    c.close()
    assert c.closed
    with pytest.raises(KtagError):
        c.tag("SK하이닉스")


def test_exception_hierarchy():
    assert issubclass(TagError, KtagError) and issubclass(Timeout, KtagError)
    assert issubclass(Timeout, TimeoutError)
    assert not issubclass(TagError, TimeoutError)


def test_overloaded_is_retried_with_backoff(daemons):
    """A daemon whose queue is full answers 'overloaded': the client backs off and
    sends again (up to `retries` times), so a burst still gets every result."""
    from test_tag_many import check, make_doc
    # Two worker threads (one tags inline, with no queue to overflow) and a
    # queue of one; two long documents first keep both workers busy for some
    # milliseconds while the rest of the window arrives: it overflows.
    d = daemons.bind(threads=2, extra=["--max-pending", "1"])
    heavy = "가나다라마바사 " * 100_000

    def burst():
        yield heavy
        yield heavy
        for i in range(300):
            yield make_doc(i)

    with Client(d.endpoint, timeout=10, retries=100) as c:
        got = list(c.tag_many(burst(), window=64))
        assert len(got) == 302 and got[0]["entities"] == got[1]["entities"] == []
        for i, r in enumerate(got[2:]):
            check(i, r, with_id=True)
        assert c.retried > 0
        refused = c.stats()["errors"]["overloaded"]
        assert refused >= 1 and c.retried >= refused
    with Client(d.endpoint, timeout=5, retries=0) as c:
        with pytest.raises(TagError) as info:
            list(c.tag_many(burst(), window=64))
        assert info.value.code == "overloaded"
