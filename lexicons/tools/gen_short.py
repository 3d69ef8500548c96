#!/usr/bin/python3
"""Generate lexicons/companies_krx_short.tsv: the clipped names finance news
writes for listed companies (한컴 for 한글과컴퓨터, LS일렉 for LS일렉트릭,
하나금융 for 하나금융지주), by rule from the listing names of
companies_krx.tsv, plus a reviewed list of clippings no rule derives.

  gen_short.py [-L DIR] [--out FILE] [--report]

Rules, on every listed name (common shares and preferred alike carry one id):
- a holding suffix dropped: X지주 -> X, X홀딩스 -> X (하나금융지주 -> 하나금융);
- a long corporate suffix at the end of the name clipped the way news clips it: 에너지솔루션 -> 엔솔,
  이노베이션 -> 이노, 바이오사이언스 -> 바사, 에어로스페이스 -> 에어로,
  일렉트릭 -> 일렉, 로보틱스 -> 로보, 케미칼 -> 케미, 헬스케어 -> 헬스,
  인터내셔널 -> 인터, 엔지니어링 -> ENG, 머티리얼즈 -> 머티.

A candidate is dropped, and listed by --report with the reason, when:
- any lexicon file of DIR already has the form (for this or another entity):
  오리온홀딩스 -> 오리온 is the other listed company 오리온, and a curated
  decision always wins;
- it is shorter than three Hangul syllables (or two Latin letters and a
  syllable): 대상, 동서, 한미 are ordinary words or two bodies;
- two listed names give it, or another listed name starts with it
  (한국전자홀딩스 -> 한국전자, but 한국전자금융 is listed too);
- it comes from a preferred share's name (SK케미칼우).
The reviewed clippings (CLIPPINGS) skip the length rule only; each was read
against the 15k corpus headlines and the general-news sentences
(bench/eval/entities.py --review-headlines) before it was added.
"""
import argparse
import collections
import os
import re
import sys
import unicodedata


import lextsv  # the tools' lexicon reader, beside this file

HERE = os.path.dirname(os.path.abspath(__file__))
LEXDIR = os.path.dirname(HERE)
OUT = "companies_krx_short.tsv"
PREFERRED = re.compile(r"(\d?우[A-C]?|\(전환\))$")

DROP = ["지주", "홀딩스"]
CLIP = [("에너지솔루션", "엔솔"), ("이노베이션", "이노"), ("바이오사이언스", "바사"),
        ("에어로스페이스", "에어로"), ("일렉트릭", "일렉"), ("로보틱스", "로보"),
        ("케미칼", "케미"), ("헬스케어", "헬스"), ("인터내셔널", "인터"),
        ("엔지니어링", "ENG"), ("머티리얼즈", "머티")]

# Rule forms rejected in review: ordinary words or other bodies' names.
REJECT = {"비케이": "BK, initials many firms share", "이스트아시아": "East Asia, a region"}

# Reviewed clippings no rule derives: (id, form, why it is safe).
CLIPPINGS = [
    ("030520", "한컴", "한글과컴퓨터; 한컴위드 and 한컴라이프케어 are longer forms and win"),
    ("373220", "엔솔", "LG에너지솔루션, written alone once the company is named"),
    ("delisted:091990", "셀트리온헬스", "셀트리온헬스케어 (merged into 셀트리온 2023-12)"),
    ("000660", "하닉", "SK하이닉스 in market slang"),
    ("323410", "카뱅", "카카오뱅크"),
    ("293490", "카겜", "카카오게임즈"),
    ("034020", "두에빌", "두산에너빌리티"),
    ("247540", "에코비엠", "에코프로비엠"),
    ("012330", "모비스", "현대모비스"),
    ("086280", "글로비스", "현대글로비스"),
    ("047050", "포스코인터", "포스코인터내셔널 (the rule gives it too)"),
    ("003670", "퓨처엠", "포스코퓨처엠"),
    ("015760", "한전", "한국전력; 한전KPS and 한전기술 are longer forms and win"),
    ("036460", "가스공사", "한국가스공사"),
    ("161390", "한국타이어", "한국타이어앤테크놀로지"),
    ("011780", "금호석화", "금호석유화학"),
    ("011780", "금호석유", "금호석유화학"),
    ("051900", "LG생건", "LG생활건강"),
    ("090430", "아모레", "아모레퍼시픽 (the holding is 아모레G or 아모레퍼시픽홀딩스)"),
    ("036570", "엔씨", "엔씨소프트"),
    ("241560", "밥캣", "두산밥캣"),
    ("097950", "제일제당", "CJ제일제당"),
    ("017800", "현대엘베", "현대엘리베이터"),
    ("032640", "LG유플", "LG유플러스"),
    ("141080", "리가켐", "리가켐바이오"),
    ("047810", "KAI", "한국항공우주산업"),
    ("028050", "삼성ENG", "삼성E&A, formerly 삼성엔지니어링"),
    ("267260", "현대일렉", "HD현대일렉트릭"),
    ("010120", "LS일렉", "LS ELECTRIC, written LS일렉트릭 in Korean"),
    ("010120", "LS일렉트릭", "LS ELECTRIC"),
    ("010620", "미포조선", "HD현대미포 (미포조선 before)"),
    ("089140", "넥스턴바이오", "넥스턴앤롤코리아, formerly 넥스턴바이오사이언스"),
    ("005380", "현차", "현대차 in market slang (현차·기아); 현 차관 has a space, 현차원 no particle"),
    ("034020", "두산에너빌", "두산에너빌리티 clipped"),
    ("373220", "엘지엔솔", "LG에너지솔루션 with LG in Hangul"),
]


def norm(s):
    return unicodedata.normalize("NFKC", s).casefold()


def read_entities(d, skip):
    """{normalized form: set of ids} over every entity file of d but `skip`,
    and [(id, name)] of the listed companies (companies_krx.tsv)."""
    forms, listed = collections.defaultdict(set), []
    for fn in sorted(os.listdir(d)):
        if not fn.endswith(".tsv") or fn == skip:
            continue
        for header, cols in lextsv.rows(os.path.join(d, fn)):
            if header[0] != "type":
                break
            for form in lextsv.entity_forms(cols):
                forms[norm(form)].add(cols[1])
            if fn == "companies_krx.tsv" and len(cols) > 2 and cols[2]:
                listed.append((cols[1], cols[2]))
    return forms, listed


def syllables(form):
    return len(re.findall(r"[가-힣]", form)) + len(re.findall(r"[A-Za-z]", form)) / 2


def candidates(name):
    for suf in DROP:
        if name.endswith(suf) and len(name) > len(suf):
            yield name[:-len(suf)], "drop " + suf
    for long, short in CLIP:
        if name.endswith(long) and len(name) > len(long):
            yield name[:-len(long)] + short, long + " -> " + short


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-L", "--lexicons", default=LEXDIR)
    ap.add_argument("--out")
    ap.add_argument("--report", action="store_true", help="list dropped candidates and why")
    a = ap.parse_args()
    forms, listed = read_entities(a.lexicons, OUT)
    ids = {i for s in forms.values() for i in s}
    by_form = collections.defaultdict(list)
    names = [n for _c, n in listed]
    for code, name in listed:
        if PREFERRED.search(name):
            continue
        for form, why in candidates(name):
            by_form[form].append((code, name, why))
    rows, dropped = [], []
    for form, gens in sorted(by_form.items()):
        codes = {c for c, _n, _w in gens}
        code, name, why = gens[0]
        if form in REJECT:
            dropped.append((form, name, "rejected in review: " + REJECT[form]))
        elif norm(form) in forms:
            dropped.append((form, name, "already a form of %s" % ",".join(sorted(forms[norm(form)]))))
        elif len(codes) > 1:
            dropped.append((form, name, "given by %d listed names" % len(codes)))
        elif syllables(form) < 3:
            dropped.append((form, name, "shorter than three syllables"))
        elif any(n != name and n.startswith(form) for n in names):
            dropped.append((form, name, "the start of another listed name"))
        else:
            rows.append((code, form, "%s (%s)" % (name, why)))
    taken = {norm(f) for _c, f, _w in rows}
    for code, form, why in CLIPPINGS:
        if code not in ids:
            dropped.append((form, code, "the id is not in the lexicon set"))
        elif norm(form) in forms and forms[norm(form)] != {code}:
            dropped.append((form, code, "already a form of %s" % ",".join(sorted(forms[norm(form)]))))
        elif norm(form) not in forms and norm(form) not in taken:
            rows.append((code, form, why))
            taken.add(norm(form))
    out = a.out or os.path.join(a.lexicons, OUT)
    with open(out, "w", encoding="utf-8") as f:
        f.write("# GENERATED by lexicons/tools/gen_short.py from companies_krx.tsv and the reviewed clippings\n"
                "# in that script.  Do not edit by hand: edit the script's rules or CLIPPINGS, then rerun.\n"
                "# Clipped names of listed companies (한컴, LS일렉, 두산로보); a form another file already\n"
                "# holds is never emitted, so curated rows always win.\n")
        f.write("type\tid\tname\taliases\tflags\n")
        for code, form, why in sorted(rows):
            f.write("company\t%s\t\t%s\t\n" % (code, form))
    sys.stderr.write("gen_short.py: %d forms written to %s, %d candidates dropped\n"
                     % (len(rows), out, len(dropped)))
    if a.report:
        for code, form, why in sorted(rows):
            print("+ %-16s %-16s %s" % (form, code, why))
        for form, name, why in sorted(dropped):
            print("- %-16s %-20s %s" % (form, name, why))
    return 0


if __name__ == "__main__":
    sys.exit(main())
