#!/usr/bin/python3
"""Behaviour of the bundled lexicons on hand-written headlines (none taken from
../shared): broker forms, boundaries, ambiguity, renames, funding, chips.

The headlines are tagged by the ktag CLI when $KTAG names it, else by
refmatch.py (the Python reading of docs/LEXICONS.md; needs /usr/bin/python3 for
pyahocorasick).   KTAG=build/clients/cli/ktag /usr/bin/python3 -m unittest lexicons/tools/test_lexicons.py
"""
import json
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
LEXDIR = os.path.dirname(HERE)

# (headline, ids that must be found, ids that must not)
CASES = [
    ("현대글로비스, 신사업으로 장기 성장 기대-현대차증권", {"086280", "001500"}, {"005380"}),
    ("기아, 신차 효과에 실적 개선…목표가↑-현대차", {"000270", "001500"}, {"005380"}),
    ("현대차 주가, 신차 효과에 강세", {"005380"}, {"001500"}),
    ("KT, 경쟁사 대비 높은 성장 예상-SK", {"030200", "001510"}, {"034730"}),
    ("SK, 자회사 상장 모멘텀 소멸", {"034730"}, {"001510"}),
    ("펄어비스, 신작 지연에 목표가↓ –KB證", {"263750", "x:kb-securities"}, set()),
    ("삼성SDI, 주가 조정 과도-키움證", {"006400", "039490"}, set()),
    ("코스맥스, 리오프닝 수혜…목표가↑-하나", {"192820", "x:hana-securities"}, set()),
    ("하나 더 늘어난 혜택", set(), {"x:hana-securities"}),
    ("투자대상 기업을 고르는 법", set(), {"001680"}),
    ("대상, 3분기 영업이익 시장 기대 상회", {"001680"}, set()),
    ("올해의 대상을 받은 작품", set(), {"001680"}),
    ("SK하이닉스, 인텔 낸드사업 인수", {"000660", "x:intel", "nand"}, {"034730"}),
    ("美엔비디아, H100 공급 확대…HBM3E 수요↑", {"x:nvidia", "h100", "hbm3e"}, set()),
    ("H1000 모델 공개", set(), {"h100"}),
    ("CBS 라디오 인터뷰", set(), {"cb"}),
    ("에이치엘비, 200억 규모 CB를 발행", {"028300", "cb"}, set()),
    ("두산중공업, 유상증자결정에 약세", {"034020", "rights_offering"}, set()),
    ("미래에셋대우, 연금 잔고 1조 돌파", {"006800"}, set()),
    ("오스템임플란트, 해외 실적 성장", {"delisted:048260"}, set()),
    ("금감원, 증권사 검사 착수…금융위도 점검", {"x:fss", "x:fsc"}, set()),
    ("코스피 상장사 실적 개선", set(), {"ipo"}),
    ("배당주 투자 전략", set(), {"dividend"}),
    ("LG그룹주 강세", set(), {"x:lg-group", "003550"}),
    ("SK바이오팜, 코스피 상장 첫날 상한가", {"326030", "ipo"}, set()),
    ("코스피, 외인 매도에 1%대 하락…3000선은 수성", set(), {"084180"}),
    ("신한 쏠, 주식 모으기 서비스 출시", set(), {"delisted:005450"}),
    ("이지 투자 가이드", set(), {"037370"}),
]


def tag_with_cli(ktag, texts):
    lines = "".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n"
                    for i, t in enumerate(texts))
    p = subprocess.run([ktag, "-L", LEXDIR, "-i", "jsonl", "-f", "jsonl", "--no-sentiment", "-"],
                       input=lines.encode("utf-8"), stdout=subprocess.PIPE, check=True)
    out = {}
    for line in p.stdout.decode("utf-8").splitlines():
        r = json.loads(line)
        out[r["id"]] = {e["id"] for e in r["entities"]}
    return [out[i] for i in range(len(texts))]


def tag_with_ref(texts):
    sys.path.insert(0, HERE)
    import refmatch
    lex = refmatch.Lexicon(LEXDIR)
    return [{m[1] for m in lex.tag(t)} for t in texts]


class LexiconBehaviour(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        texts = [c[0] for c in CASES]
        ktag = os.environ.get("KTAG")
        cls.found = tag_with_cli(ktag, texts) if ktag else tag_with_ref(texts)

    def test_cases(self):
        for (text, want, not_want), got in zip(CASES, self.found):
            with self.subTest(text=text):
                self.assertTrue(want <= got, "missing %s in %s" % (want - got, got))
                self.assertFalse(not_want & got, "unexpected %s" % (not_want & got))


if __name__ == "__main__":
    unittest.main()
