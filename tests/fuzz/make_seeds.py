#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/).

Run it again after changing it; the seeds are committed so that a fuzz run
and the replay tests need nothing but the source tree.  The texts are
written for this file (not taken from any data set): headlines in the style
of Korean finance news, plus the hostile shapes a decoder must survive.
"""
import os
import struct
import sys

import msgpack

HERE = os.path.dirname(os.path.abspath(__file__))

HEADLINES = [
    "SK하이닉스 주가가 9% 하락했다",
    "삼성전자, HBM3E 엔비디아 공급 임박… 주가 급등",
    "딥시크가 H800으로 학습했다는 주장에 엔비디아는 약세",
    "에코프로비엠 유상증자 결정, 주가 급락",
    "CBS 라디오: 투자대상 발굴",
    "현대차증권 1,500억 CB 발행 -NH",
    "ＳＫ하이닉스 sk하이닉스 SK hynix",
    "셀트리온, 자사주 매입 후 소각… 주주환원 강화",
    "금융감독원, 공매도 전수조사 착수",
    "한국은행 기준금리 동결; KOSPI 2,500선 회복",
    "카카오 블록딜 여파로 52주 신저가",
    "H100 H1000 H800s GPU DRAM",
    "LG에너지솔루션 IPO 공모주 청약 첫날 흥행",
    "대상 주가 상승, 동서 배당 확대",
]

TRICKY = [
    b"",
    b"\x00",
    b"\xff\xfe\xfd",
    b"\xed\xa0\x80",                     # a UTF-16 surrogate encoded in UTF-8
    b"\xc0\xaf",                         # overlong '/'
    "a\u0301\u0308 e\u0301 가\u0300나".encode(),  # combining marks
    "😀 SK하이닉스 😀 급등 😀".encode(),  # astral plane: utf16 offsets differ
    "ﾃｽﾄ ㈜삼성전자 ⅩⅡ ﬁ".encode(),      # NFKC changes lengths
    "ß İ ẞ ΣΑΣ".encode(),                 # case folding changes lengths
    ("가" * 500).encode(),
    ("SK하이닉스 " * 200).encode(),
    b"\xea\xb0",                         # truncated Hangul
    "주가\r\n급등\n\n하락. 상승! 급락?".encode(),
]


def tag_seeds():
    seeds = []
    for i, h in enumerate(HEADLINES):
        seeds.append(bytes([i % 32, 0]) + h.encode())
    for i, t in enumerate(TRICKY):
        seeds.append(bytes([(i * 5) % 32, i % 16]) + t)
    # title + separator + text
    seeds.append(b"\x10\x00" + "삼성전자 급등".encode() + b"\xff\xff" + "SK하이닉스는 하락".encode())
    seeds.append(b"\x01\x03" + b"\xff\xff" + "CB를 발행한 셀트리온".encode())
    return seeds


def req(**kw):
    return msgpack.packb(kw, use_bin_type=True)


def request_seeds():
    s = []
    for i, h in enumerate(HEADLINES):
        s.append(req(id=f"doc-{i}", text=h))
    s.append(req(id=7, text=HEADLINES[1], title=HEADLINES[0]))
    s.append(req(id=-5, text=HEADLINES[2], options={"sentiment": False, "overlaps": True,
                                                    "explain": True, "offsets": "utf16",
                                                    "types": ["company", "chip"]}))
    s.append(req(id=2**64 - 1, text="😀 SK하이닉스", options={"offsets": "byte"}))
    s.append(req(text=HEADLINES[3], title=None))
    s.append(req(op="ping", id="p"))
    s.append(req(op="info"))
    s.append(req(op="stats", id=1))
    s.append(req(op="reload"))
    s.append(req(op="nope", id="x"))
    s.append(req(id="e", text=""))
    s.append(req(id=[1, 2], text="a"))
    s.append(req(id="t", text=5))
    s.append(req(id="o", text="a", options=[]))
    s.append(req(id="o2", text="a", options={"types": []}))
    s.append(req(id="o3", text="a", options={"types": ["company", 3]}))
    s.append(req(id="o4", text="a", options={"offsets": "x" * 40}))
    s.append(req(id="o5", text="a", options={"sentiment": 1}))
    s.append(req(id="u", text=b"\xff\xfe".decode("latin-1")))
    s.append(msgpack.packb({"id": "bad", "text": "x"}, use_bin_type=True)[:-1])     # truncated
    s.append(msgpack.packb({"id": "extra", "text": "x"}, use_bin_type=True) + b"\xc0")
    s.append(msgpack.packb({"text": b"bin text"}, use_bin_type=True))
    s.append(msgpack.packb({"text": msgpack.ExtType(5, b"ext")}, use_bin_type=True))
    s.append(msgpack.packb([1, 2, 3]))
    s.append(msgpack.packb("just a string"))
    s.append(msgpack.packb(3.5))
    nested = {"text": "x"}
    for _ in range(40):
        nested = {"n": nested, "text": "deep"}
    s.append(msgpack.packb(nested))
    s.append(b"\x91" * 64)
    # A map that declares 2^32-1 entries and an array of 2^32-1 elements.
    s.append(b"\xdf\xff\xff\xff\xff")
    s.append(b"\x81\xa4text\xdb\xff\xff\xff\xff")
    s.append(b"\x82\xa2id\xa1a\xa4text\xdd\xff\xff\xff\xff")
    # Invalid UTF-8 inside a str that msgpack happily carries.
    raw = b"\x82\xa2id\xa1u\xa4text" + b"\xa6" + b"\xed\xa0\x80abc"
    s.append(raw)
    # Duplicate keys: the decoder takes the first.
    s.append(b"\x83\xa4text\xa1a\xa4text\xa1b\xa2id\x01")
    s.append(b"")
    s.append(b"\xc1")
    # Batches: good, mixed, and every whole-batch refusal.
    s.append(req(id="b", docs=[{"id": i, "text": h} for i, h in enumerate(HEADLINES)]))
    s.append(req(id=9, docs=[{"id": "t", "text": HEADLINES[0], "title": HEADLINES[1]},
                             {"text": ""}, {"id": 1.5, "text": "x"}, {"text": 3},
                             {"id": "u", "text": b"\xff".decode("latin-1")}],
                 options={"sentiment": False, "offsets": "byte"}))
    s.append(req(id="both", text="a", docs=[{"text": "b"}]))
    s.append(req(id="e", docs=[]))
    s.append(req(id="m", docs={"text": "a"}))
    s.append(req(id="n", docs=[{"text": "a"}, "b"]))
    return s


def lexicon_seeds():
    ent = ("type\tid\tname\taliases\tflags\tmarket\n"
           "company\t000660\tSK하이닉스\t하이닉스|SK hynix\t\tKOSPI\n"
           "company\t001680\t대상\t\tambiguous\tKOSPI\n"
           "company\t000660\t\t하닉\n"
           "chip\th800\tH800\n"
           "funding\tcb\t전환사채\tCB\tshort\n"
           "funding\trights_offering\t유상증자\t\tglue\n"
           "org\tx:fss\t금융감독원\t금감원\n")
    josa = "josa\tnote\n가\n이\n는\n은\n의\n으로\n를\n"
    cue = "cue\n주가\n%\n상장\n"
    senti = ("term\tclass\tweight\tflags\tnote\n급등\tpolarity\t0.9\n하락\tpolarity\t-0.6\n"
             "않\tnegator\t0\tstart\n")
    s = []
    s.append("\0".join([ent, josa, cue, "2026.01.01-fuzz\n"]).encode())
    s.append("\0".join([ent, josa + "\n", senti, "v1"]).encode())
    s.append(ent.encode())
    s.append(("# comment only\n\n   \n").encode())
    s.append(b"type\tid\tname\ncompany\t000660\tSK\xff\n")
    s.append("type\tid\tname\ncompany\t000660\tA\ncompany\t000661\tA\n".encode())       # alias names two ids
    s.append("type\tid\tname\nchp\th800\tH800\n".encode())                               # unknown type
    s.append("type\tid\tname\ncompany\t000660\tSK\tx\ty\n".encode())                     # too many columns
    s.append("type\tid\tname\tflags\ncompany\t1\tB\tbogus\n".encode())                   # unknown flag
    s.append("type\tid\tname\tmarket\ncompany\t1\tAB\tKOSPI\ncompany\t1\tAB\tKOSDAQ\n".encode())
    s.append("term\tclass\tweight\n급등\tpolarity\tabc\n".encode())                        # bad weight
    s.append("term\tclass\tweight\n급등\tnoclass\t1\n".encode())
    s.append("\0".join(["josa\n가\n", "cue\n주가\n", "term\tclass\tweight\n급등\tpolarity\t1e308\n",
                        ""]).encode())
    s.append("type\tid\tname\r\ncompany\t005930\t삼성전자\r\n".encode())
    s.append("type\tid\tname\ncompany\t005930\tＳＡＭＳＵＮＧ\ncompany\tx:a\t가\n".encode())
    s.append("type\tid\tname\ncompany\tdelisted:048260\t오스템임플란트\n".encode())
    s.append("type\tid\tname\tflags\nfunding\tcb\tC\tshort\nchip\tgpu\tGPU\n".encode())
    s.append("unknownkind\tx\n1\t2\n".encode())
    s.append(b"\x00\x00\x00")
    # Stop phrases: a mention inside one is dropped.
    s.append("\0".join([ent, josa, "stop\tnote\n(상보)\t\nSK하이닉스 우\n대상 주가\n", "stop-1"]).encode())
    s.append("stop\n\n(종합)\nstop\n".encode())
    return s


def write(target, seeds):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.startswith("seed-"):
            os.unlink(os.path.join(d, f))
    for i, data in enumerate(seeds):
        with open(os.path.join(d, f"seed-{i:03d}"), "wb") as f:
            f.write(data)
    print(f"{target}: {len(seeds)} seeds", file=sys.stderr)


if __name__ == "__main__":
    write("tag", tag_seeds())
    write("request", request_seeds())
    write("lexicon", lexicon_seeds())
