#!/usr/bin/env python3
"""Tests of gen_krx.py on a small synthetic KRX data set (no ../shared needed).

  python3 -m unittest lexicons/tools/test_gen_krx.py      (or pytest)
"""
import csv
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "gen_krx.py")

LISTING = [
    # Code, ISU_CD, Name, Market
    ("900010", "KR7900010001", "가나다전자", "KOSPI"),
    ("900020", "KR7900020000", "라마증권", "KOSPI"),
    ("900030", "KR7900030009", "바사투자증권", "KOSDAQ"),
    ("900040", "KR7900040008", "KCC글라스", "KOSPI"),
    ("900045", "KR7900041006", "가나다전자우", "KOSPI"),
    ("900050", "KR7900050007", "아자바이오AI", "KOSDAQ"),
    ("900060", "KR7900060006", "새이름", "KOSDAQ"),
    ("900070", "KR7900070005", "옛이름", "KOSDAQ"),
]
DESC = {"900010": "통신 및 방송 장비 제조업"}
ENGLISH = {
    "900010": ("GanadaElec", "Ganada Electronics Co., Ltd."),
    "900040": ("KCC GLASS", "KCC GLASS Corporation"),
    "900050": ("AJABIO", "Aja Bio AI Inc."),
}
MASTER = {"900010": "가나다전자공업", "900060": "헌이름", "900070": "차카"}
DELISTING = [
    # Symbol, Name, Market, SecuGroup, Kind, ListingDate, DelistingDate
    ("800010", "타파제약", "KOSDAQ", "주권", "보통주", "2001-01-01", "2023-05-01"),
    ("800020", "하하", "KOSDAQ", "주권", "보통주", "2001-01-01", "2022-05-01"),
    ("800030", "오래된회사", "KOSPI", "주권", "보통주", "1990-01-01", "2001-05-01"),
    ("800040", "옛이름", "KOSPI", "주권", "보통주", "1995-01-01", "2015-05-01"),
    ("9000601C", "중간이름 5R", "KOSDAQ", "신주인수권증서", "보통주", "2021-01-01", "2021-02-01"),
]


def write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow(r)


def rows_of(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line and not line.startswith("#"):
                out.append(line.split("\t"))
    return out[0], out[1:]


class GenKrxTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        d = self.tmp.name
        krx = os.path.join(d, "data", "krx")
        os.makedirs(krx)
        self.lex = os.path.join(d, "lex")
        os.makedirs(self.lex)
        write_csv(os.path.join(krx, "krx_listing_2026-03-22.csv"),
                  ["Code", "ISU_CD", "Name", "Market", "Dept"],
                  [r + ("",) for r in LISTING])
        write_csv(os.path.join(krx, "krx_desc_2026-03-22.csv"),
                  ["Code", "Name", "Market", "Sector", "Industry"],
                  [(c, n, m, "", DESC.get(c, "")) for c, _i, n, m in LISTING])
        write_csv(os.path.join(krx, "english_names_2024-05-13.csv"),
                  ["code", "market", "name_ko_fdr_2026_03_22", "en_short_name", "en_long_name"],
                  [(c, "KOSPI", "", s, l) for c, (s, l) in ENGLISH.items()])
        write_csv(os.path.join(krx, "stock_master_2018-09-30.csv"),
                  ["Symbol", "Name", "Market"], [(c, n, "KOSPI") for c, n in MASTER.items()])
        write_csv(os.path.join(krx, "krx_delisting_2026-03-22.csv"),
                  ["Symbol", "Name", "Market", "SecuGroup", "Kind", "ListingDate",
                   "DelistingDate", "Reason", "ToSymbol", "ToName"],
                  [r + ("", "", "") for r in DELISTING])
        # A curated file in the same directory: its forms (and flags) win.
        with open(os.path.join(self.lex, "companies_curated.tsv"), "w", encoding="utf-8") as f:
            f.write("type\tid\tname\taliases\tflags\n"
                    "company\t900010\t\t가나다전자공업\tambiguous\n")
        self.data = os.path.join(d, "data")

    def tearDown(self):
        self.tmp.cleanup()

    def run_gen(self, data=None):
        return subprocess.run([sys.executable, GEN, "--data", data or self.data,
                               "--out", os.path.join(self.lex, "companies_krx.tsv")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def forms(self, rows, eid):
        out = {}
        for r in rows:
            if r[1] == eid:
                for f in [r[2]] + (r[3].split("|") if len(r) > 3 and r[3] else []):
                    if f:
                        out[f] = r[4] if len(r) > 4 else ""
        return out

    def test_missing_data_exits_2_and_writes_nothing(self):
        p = self.run_gen(data=os.path.join(self.tmp.name, "absent"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("not here", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.lex, "companies_krx.tsv")))

    def test_listing_rows_and_attributes(self):
        self.assertEqual(self.run_gen().returncode, 0)
        header, rows = rows_of(os.path.join(self.lex, "companies_krx.tsv"))
        self.assertEqual(header[:5], ["type", "id", "name", "aliases", "flags"])
        first = [r for r in rows if r[1] == "900010" and r[2]][0]
        attrs = dict(zip(header[5:], first[5:]))
        self.assertEqual(first[2], "가나다전자")
        self.assertEqual(attrs["market"], "KOSPI")
        self.assertEqual(attrs["isin"], "KR7900010001")
        self.assertEqual(attrs["sector"], "통신 및 방송 장비 제조업")
        self.assertEqual(attrs["name_en"], "Ganada Electronics")
        self.assertEqual(len({r[1] for r in rows}), len(LISTING))

    def test_english_earlier_and_curated_forms(self):
        self.run_gen()
        _h, rows = rows_of(os.path.join(self.lex, "companies_krx.tsv"))
        f = self.forms(rows, "900010")
        self.assertIn("Ganada Electronics", f)
        # the 2018 name is claimed by the curated file: not emitted again here
        self.assertNotIn("가나다전자공업", f)
        # the name of a rights record (9000601C) is an earlier name of 900060
        f60 = self.forms(rows, "900060")
        self.assertIn("중간이름", f60)
        self.assertIn("헌이름", f60)
        # a two-syllable earlier name is ambiguous
        self.assertEqual(self.forms(rows, "900070").get("차카"), "ambiguous")

    def test_broker_forms(self):
        self.run_gen()
        _h, rows = rows_of(os.path.join(self.lex, "companies_krx.tsv"))
        f = self.forms(rows, "900020")
        for form in ("라마證", "-라마", "\u2013라마"):
            self.assertIn(form, f)
        f = self.forms(rows, "900030")
        for form in ("바사투자證", "바사證", "바사증권", "바사투자", "-바사", "-바사투자"):
            self.assertIn(form, f)

    def test_spelling_variants(self):
        self.run_gen()
        _h, rows = rows_of(os.path.join(self.lex, "companies_krx.tsv"))
        self.assertIn("케이씨씨글라스", self.forms(rows, "900040"))
        self.assertIn("KCC 글라스", self.forms(rows, "900040"))
        self.assertIn("아자바이오 AI", self.forms(rows, "900050"))

    def test_delisted(self):
        self.run_gen()
        _h, rows = rows_of(os.path.join(self.lex, "companies_delisted.tsv"))
        ids = {r[1]: r for r in rows if r[2]}
        self.assertIn("delisted:800010", ids)
        self.assertEqual(ids["delisted:800020"][4], "ambiguous")     # two syllables
        self.assertNotIn("delisted:800030", ids)                     # delisted before 2010
        self.assertNotIn("delisted:800040", ids)                     # a listed company's name


if __name__ == "__main__":
    unittest.main()
