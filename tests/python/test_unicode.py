"""Offsets index the original Python strings directly: text[start:end] == entity["text"]."""

from __future__ import annotations

import unicodedata

import pytest

# (text, title, entity ids that must be found, in order)
CASES = [
    ("SK하이닉스 주가가 9% 하락했다", None, ["000660"]),
    ("🚀🚀🚀 엔비디아 급등 📈📈 SK하이닉스의 HBM3E", None, ["x:nvidia", "000660", "hbm3e"]),
    ("ＳＫ하이닉스와 ｓｋ하이닉스", None, ["000660", "000660"]),     # full-width, NFKC
    ("𝐀𝐁𝐂 \U00020000 딥시크가 H800으로 학습", None, ["x:deepseek", "h800"]),
    ("café́ 삼성전자는 e\u0301\u0301 금감원에서", None, ["005930", "x:fss"]),  # combining marks
    (unicodedata.normalize("NFD", "뉴스: 삼성전자가 유상증자결정"), None,
     ["005930", "rights_offering"]),                                       # decomposed Hangul
    ("\u200b\ufeff키움證\u00a0엔비디아\u3000GPU", None, ["039490", "x:nvidia", "gpu"]),
    ("본문에는 CB 발행 소식", "😀 [단독] 딥시크 쇼크, 엔비디아 😱", ["x:deepseek", "x:nvidia", "cb"]),
    ("Ｈ８００ 과 hbm3e", None, ["h800", "hbm3e"]),
]


def _field(text, title, entity):
    return title if entity["field"] == "title" else text


@pytest.mark.parametrize("text,title,ids", CASES)
def test_codepoint_offsets_slice_python_strings(client, text, title, ids):
    r = client.tag(text, title=title)
    assert [e["id"] for e in r["entities"]] == ids
    for e in r["entities"]:
        s = _field(text, title, e)
        assert s[e["start"]:e["end"]] == e["text"], e


@pytest.mark.parametrize("text,title,ids", CASES)
def test_byte_and_utf16_offsets(client, text, title, ids):
    by_cp = client.tag(text, title=title)["entities"]
    by_byte = client.tag(text, title=title, offsets="byte")["entities"]
    by_u16 = client.tag(text, title=title, offsets="utf16")["entities"]
    assert len(by_cp) == len(by_byte) == len(by_u16) == len(ids)
    for cp, b, u in zip(by_cp, by_byte, by_u16):
        s = _field(text, title, cp)
        assert s.encode("utf-8")[b["start"]:b["end"]].decode("utf-8") == cp["text"]
        u16 = s.encode("utf-16-le")
        assert u16[2 * u["start"]:2 * u["end"]].decode("utf-16-le") == cp["text"]
        # The units really differ where the text before the mention is not ASCII.
        prefix = s[:cp["start"]]
        assert b["start"] == len(prefix.encode("utf-8"))
        assert u["start"] == len(prefix.encode("utf-16-le")) // 2


def test_tag_many_offsets_too(client):
    items = [{"id": i, "text": t, "title": h} for i, (t, h, _) in enumerate(CASES)]
    for r in client.tag_many(items, window=3):
        text, title, ids = CASES[r["id"]]
        assert [e["id"] for e in r["entities"]] == ids
        for e in r["entities"]:
            assert _field(text, title, e)[e["start"]:e["end"]] == e["text"]
