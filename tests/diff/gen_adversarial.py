#!/usr/bin/python3
"""Generate the adversarial corpus of the differential test, deterministically.

The documents are built from the fixture lexicon (tests/diff/lexicon): entity
surface forms, context cues, stop phrases, sentiment terms and particles,
written in the ways that stress the engine: full-width and mixed-case Latin,
combining marks and conjoining jamo, compatibility jamo, 4-byte characters,
characters whose NFKC form is long, invalid UTF-8, dense mentions, particles
at the edges, ambiguous names with and without a finance cue, stop phrases.

    gen_adversarial.py LEXICON_DIR OUT_LINES OUT_TITLED_JSONL

OUT_LINES gets one document per line (raw bytes: some lines are not UTF-8);
OUT_TITLED_JSONL gets {"id", "title", "text"} documents.  The output depends
only on the lexicon files and the seed below (a private LCG, not `random`,
so Python versions agree).
"""
import json
import os
import sys
import unicodedata

SEED = 20261202


class Lcg:
    """64-bit linear congruential generator (Knuth's MMIX constants)."""

    def __init__(self, seed):
        self.state = seed & 0xFFFFFFFFFFFFFFFF

    def next(self):
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        return self.state >> 33

    def below(self, n):
        return self.next() % n

    def pick(self, items):
        return items[self.below(len(items))]

    def chance(self, percent):
        return self.below(100) < percent


def read_tsv(path):
    """Rows of a lexicon file as dicts keyed by its header (comments skipped)."""
    header, rows = None, []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cells = line.split("\t")
            if header is None:
                header = cells
                continue
            rows.append(dict(zip(header, cells)))
    return header, rows


def load_vocab(lexicon_dir):
    vocab = {"forms": [], "ambiguous": [], "latin": [], "cues": [], "stops": [], "terms": {}, "josa": []}
    for name in sorted(os.listdir(lexicon_dir)):
        if not name.endswith(".tsv"):
            continue
        header, rows = read_tsv(os.path.join(lexicon_dir, name))
        if not header:
            continue
        if header[:5] == ["type", "id", "name", "aliases", "flags"]:
            for row in rows:
                forms = [row.get("name", "")] + (row.get("aliases") or "").split("|")
                for form in forms:
                    if not form:
                        continue
                    if "ambiguous" in (row.get("flags") or ""):
                        vocab["ambiguous"].append(form)
                    else:
                        vocab["forms"].append(form)
                    if any("A" <= c <= "Z" or "a" <= c <= "z" for c in form):
                        vocab["latin"].append(form)
        elif header[0] == "cue":
            vocab["cues"] += [r["cue"] for r in rows if r.get("cue")]
        elif header[0] == "stop":
            vocab["stops"] += [r["stop"] for r in rows if r.get("stop")]
        elif header[0] == "josa":
            vocab["josa"] += [r["josa"] for r in rows if r.get("josa")]
        elif header[0] == "term":
            for r in rows:
                vocab["terms"].setdefault(r["class"], []).append(r["term"])
    for key in ("forms", "ambiguous", "latin", "cues", "stops", "josa"):
        vocab[key] = sorted(set(vocab[key]))
    for cls in vocab["terms"]:
        vocab["terms"][cls] = sorted(set(vocab["terms"][cls]))
    return vocab


FILLER = ["오늘", "시장", "발표", "관련", "투자대상", "전방 산업", "한편", "이번", "지난해", "국내", "미국",
          "증시", "코스피", "기관", "외국인", "개인", "회사", "대상자", "동서남북", "국보급", "실적", "전망"]
PUNCT = [" ", " ", " ", ", ", ". ", "… ", "...", "! ", "? ", "·", "/", "-", "(", ")", "[", "]", "\"", "'",
         "“", "”", "‘", "’", " ↑", "↓", "%", " | ", "; ", "\t", "、", "→"]
NUMBERS = ["9%", "4.5%", "1,234억원", "37,7", "-0.4", "마이너스 4.1", "2009년", "3분기", "12개월",
           "14.1 mn에 비해 15.6 mn", "35.8 mn에서 46.4 mn으로", "2억4592만", "(89.1mln)", "8만5천원", "1조2000억원"]
# Code points whose NFKC-casefold form differs, or that sit at the edges of
# the normalizer's fast path.
ODD = ["\u3231", "㈜", "①", "Ⅻ", "ﬁ", "ß", "İ", "Σ", "ς", "µ", "Å", "Ω", "K", "½", "™", "㎏", "㍿", "ｶ",
       "\u00a0", "\u2009", "\u200b", "\u00ad", "\ufeff", "\u3000", "\ufdfa", "\u0301", "\u0308", "\u20dd",
       "e\u0301", "A\u030a", "\u1100\u1161", "\u1112\u1161\u11ab", "ㄱ", "ㅏ", "ㄳ", "ㅥ", "株", "證", "美",
       "𝐒𝐊", "𝟗", "😀", "👍🏽", "🇰🇷", "𠀀", "\U0001d400", "Ⓐ", "ＳＫ", "ｈｂｍ３ｅ", "Ｈ８００"]
INVALID = [b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe0\x80", b"\xf4\x90\x80\x80", b"\x80", b"\xe2\x82",
           b"\xf0\x9f\x98", b"\xc3"]


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


def mixed_case(rng, s):
    return "".join(c.upper() if rng.chance(50) else c.lower() for c in s)


def decompose(s):
    """NFD: Hangul syllables become conjoining jamo, accents combining marks."""
    return unicodedata.normalize("NFD", s)


def compat_jamo(s):
    """Spell a syllable's leading consonant with a compatibility jamo
    (ㄱ U+3131…) followed by a conjoining vowel: NFKC must fold and recompose it."""
    out = []
    for c in s:
        if "가" <= c <= "힣" and len(out) % 3 == 0:
            lead = (ord(c) - 0xAC00) // 588
            compat = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"[lead]
            out.append(compat + chr(0x1161 + ((ord(c) - 0xAC00) % 588) // 28))
        else:
            out.append(c)
    return "".join(out)


def variant(rng, vocab, form):
    """A mention of `form`, possibly disguised."""
    roll = rng.below(100)
    if roll < 55:
        return form
    if roll < 65:
        return fullwidth(form)
    if roll < 75:
        return mixed_case(rng, form)
    if roll < 82:
        return decompose(form)
    if roll < 86:
        return compat_jamo(form)
    if roll < 90:
        return form + rng.pick(["\u0301", "\u200b", "\u00ad"])
    if roll < 94:
        return form[: len(form) // 2] + rng.pick(ODD) + form[len(form) // 2:]
    return rng.pick(ODD) + form


def term(rng, vocab):
    classes = sorted(vocab["terms"])
    return rng.pick(vocab["terms"][rng.pick(classes)])


def token(rng, vocab, dense):
    roll = rng.below(100)
    if roll < (40 if dense else 18):
        form = rng.pick(vocab["latin"] if rng.chance(25) else vocab["forms"])
        out = variant(rng, vocab, form)
        if rng.chance(50):
            out += rng.pick(vocab["josa"])
        elif rng.chance(20):
            out += rng.pick(["s", "1", "0", "가나", "다", "X", "é", "ｓ"])   # edges that must fail
        return out
    if roll < 48:
        return rng.pick(vocab["ambiguous"]) + (rng.pick(vocab["josa"]) if rng.chance(40) else "")
    if roll < 55:
        return rng.pick(vocab["cues"])
    if roll < 60:
        return rng.pick(vocab["stops"])
    if roll < 78:
        return term(rng, vocab)
    if roll < 84:
        return rng.pick(NUMBERS)
    if roll < 90:
        return rng.pick(ODD)
    return rng.pick(FILLER)


def document(rng, vocab, dense=False):
    parts = []
    for _ in range(rng.below(40 if dense else 14) + 1):
        parts.append(token(rng, vocab, dense))
        parts.append(rng.pick(PUNCT) if rng.chance(35) else " ")
    return "".join(parts).replace("\n", " ").replace("\r", " ").strip(" ") or "."


def fixed_documents(vocab):
    """Cases written out: ambiguous names with and without a cue, stop
    phrases, particles at edges, growth under NFKC."""
    hangul = [a for a in vocab["ambiguous"] if any("가" <= c <= "힣" for c in a)]
    amb = list(dict.fromkeys([a for a in ("대상", "동서", "국보", "대교") if a in hangul] + hangul[::17]
                             + vocab["ambiguous"][:2]))[:10]
    cue = "주가" if "주가" in vocab["cues"] else vocab["cues"][0]
    docs = []
    for name in amb:
        docs += [f"{name} {cue} 급등", f"{name} 발표", f"{name}{vocab['josa'][0] if vocab['josa'] else ''} 전망",
                 f"{cue} " + "가나다라마바사아자차카타파하 " * 4 + name,
                 f"{cue} " + "가나다 " * 3 + name, f"투자{name} {cue}", f"({name}) {cue}"]
    for stop in vocab["stops"][:10]:
        docs.append(f"{stop} {cue} 상승")
    docs += ["\ufdfa" * 20, "ﷺ삼성전자", "㈜" * 10 + "SK", "ＳＫ하이닉스가 급등", "sk하이닉스는 하락",
             "Sk하이닉스의 주가", "CBS 전환사채발행", "H1000 H100 H800으로", "e\u0301" * 5, "A" * 50,
             "\u1100\u1161\u11a8 \u1112\u1161\u11ab", "😀삼성전자😀", "삼성전자" * 30, " 삼성전자 ", "\t삼성전자\t"]
    return docs


def main(argv):
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    vocab = load_vocab(argv[1])
    rng = Lcg(SEED)
    lines = [d.encode("utf-8") for d in fixed_documents(vocab)]
    for n in range(600):
        doc = document(rng, vocab, dense=n % 10 == 0).encode("utf-8")
        if n % 23 == 0:
            cut = rng.below(len(doc) + 1)
            doc = doc[:cut] + rng.pick(INVALID) + doc[cut:]
        lines.append(doc)
    with open(argv[2], "wb") as f:
        for line in lines:
            f.write(line + b"\n")
    with open(argv[3], "w", encoding="utf-8") as f:
        for n in range(120):
            title = document(rng, vocab)
            text = " ".join(document(rng, vocab, dense=n % 7 == 0) for _ in range(rng.below(4) + 1))
            f.write(json.dumps({"id": f"t{n}", "title": title, "text": text}, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
